// TensorFlow.js beside the page's engine, in the same browser: the same network and weights
// (tfjs-model.js), first checked against the engine on a few test digits (the bench refuses to
// time a model that disagrees), then timed on the operations the engine bench times, with the
// same settings, digit, warm-up and statistics (shared.js).
//
// Query: ?backend=wasm|webgpu  ?runs=N  ?ops=predict,fgsm  ?peak=1 (also time a large matrix
// product: the achievable GFLOP/s of this CPU in WebAssembly, for the bench's FLOP floor)
// Result: window.benchResult, and <html data-done="true"> (or "error", with window.benchError).
//
// The wasm backend runs as this site would deploy it: SIMD on, one thread. Threads need
// SharedArrayBuffer, so cross-origin isolation (COEP, which the product page does not send; the
// bench pages get it only for finer timers) and a blob: worker (which the CSP forbids); they are
// switched off explicitly, so that the result does not depend on how the bench is served.
import { loadEngine } from '../www/engine/engine.js';
import { benchParams, fetchSamples, FGSM, measure, PGD, publish } from './shared.js';
import { createTfjsDigitNet, parseSafetensors } from './tfjs-model.js';

/** Largest allowed difference between the two implementations' probabilities. */
const PROBABILITY_TOLERANCE = 1e-4;
/** Largest allowed difference between their input gradients, relative to the largest entry. */
const GRADIENT_TOLERANCE = 1e-4;
const CHECKED_DIGITS = 5;
const PEAK_SIZE = 512;

const tf = globalThis.tf;
const { params, runs, only } = benchParams();
const backend = params.get('backend') ?? 'wasm';

/** Same names as bench.js's OPERATIONS: tools/bench.mjs pairs the rows by name. */
const OPERATIONS = [
  { name: 'predict', share: 1, run: ({ model, x }) => model.classify(x) },
  { name: 'input gradient', share: 1, run: ({ model, x, label }) => model.gradient(x, label) },
  { name: 'fgsm', share: 1, run: ({ model, x, label }) => model.fgsm(x, label, FGSM) },
  { name: 'pgd-40', share: 1 / 3, run: ({ model, x, label }) => model.pgd(x, label, PGD) },
];

const maxAbsDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** `x` plus faint deterministic noise in [0, 0.02) that differs between neighbouring pixels. */
const withFaintNoise = (x) => x.map((v, i) => Math.min(1, v + 0.02 * (((i * 7919) % 997) / 997)));

/**
 * Compares probabilities and input gradients with the engine's on the first digits. Gradients
 * are compared on the digits plus faint noise, for a wrong label. Plain MNIST digits have flat
 * black backgrounds, so max-pool windows hold equal maxima, where the gradient is not defined
 * and each library routes it to a different (equally valid) input; and for the true label the
 * network is so sure that softmax − one-hot is rounding noise in either library.
 */
async function verify(model, engine, data) {
  let probabilities = 0;
  let gradient = 0;
  let gradientScale = 0;
  for (let i = 0; i < CHECKED_DIGITS; i++) {
    const x = data.pixels.slice(i * 784, (i + 1) * 784);
    probabilities = Math.max(probabilities, maxAbsDiff(await model.classify(x), (await engine.classify(x)).probabilities));
    const noisy = withFaintNoise(x);
    const wrong = (data.labels[i] + 1) % 10;
    const [ours, theirs] = [await engine.gradient(noisy, wrong), await model.gradient(noisy, wrong)];
    gradient = Math.max(gradient, maxAbsDiff(ours, theirs));
    gradientScale = Math.max(gradientScale, maxAbs(ours));
  }
  const result = {
    digits: CHECKED_DIGITS,
    probabilitiesMaxAbsDiff: probabilities,
    gradientMaxRelDiff: gradient / gradientScale,
    tolerance: { probabilities: PROBABILITY_TOLERANCE, gradient: GRADIENT_TOLERANCE },
  };
  if (!(probabilities < PROBABILITY_TOLERANCE) || !(result.gradientMaxRelDiff < GRADIENT_TOLERANCE)) {
    throw new Error(`TensorFlow.js's model disagrees with the engine (${JSON.stringify(result)}): not timing it`);
  }
  return result;
}

/** GFLOP/s of a PEAK_SIZE³ matrix product (2 n³ FLOPs), from its fastest run. */
async function matmulPeak() {
  const [a, b] = [tf.randomUniform([PEAK_SIZE, PEAK_SIZE]), tf.randomUniform([PEAK_SIZE, PEAK_SIZE])];
  const timing = await measure(async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }, 20);
  tf.dispose([a, b]);
  const flops = 2 * PEAK_SIZE ** 3;
  return { size: PEAK_SIZE, flops, bestMs: timing.min, medianMs: timing.median, gflops: flops / (timing.min * 1e6), medianGflops: flops / (timing.median * 1e6) };
}

await publish(async (status) => {
  if (!tf?.setBackend) throw new Error('TensorFlow.js did not load (run `npm install`: it is a dev dependency)');
  if (backend === 'wasm') {
    tf.wasm.setWasmPaths(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url).href);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js's ${backend} backend did not start`);
  await tf.ready();

  const weights = new Uint8Array(await (await fetch('../models/standard.safetensors')).arrayBuffer());
  const model = createTfjsDigitNet(tf, parseSafetensors(weights));
  // The reference: the engine on the same F32 file (the page's 8-bit copy quantises it).
  const engine = await loadEngine({ backend: 'cpu', weightsUrl: new URL('../models/standard.safetensors', import.meta.url) });
  const samples = await fetchSamples();
  const data = engine.parseMnist(samples.images, samples.labels);
  status('checking against the engine…');
  const verification = await verify(model, engine, data);

  const x = data.pixels.slice(0, 784);
  const label = data.labels[0];
  const rows = [];
  for (const op of OPERATIONS) {
    if (only && !only.includes(op.name)) continue;
    status(`running ${op.name}…`);
    const n = Math.max(1, Math.ceil(runs * op.share));
    rows.push({ name: op.name, ...(await measure(() => op.run({ model, x, label }), n)) });
  }
  const tensorsLeft = tf.memory().numTensors;
  const peak = params.get('peak') ? (status('timing a matrix product…'), await matmulPeak()) : null;
  return {
    backend: tf.getBackend(),
    version: tf.version?.['tfjs-core'] ?? tf.version_core,
    wasm: backend === 'wasm' ? { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') } : null,
    verification,
    rows,
    tensorsLeft,
    peak,
  };
});
