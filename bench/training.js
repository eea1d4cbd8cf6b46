// Training throughput beside TensorFlow.js, in one page (issue 19's targets): the engine's
// `Training` (src/training.rs, as the training worker runs it) and the same network trained by
// TensorFlow.js with the same batch size and optimiser (Adam, learning rate 2e-3, dropout 0.25
// before the last layer, He-uniform start), on the same first MNIST training digits. Reports
// digits per second: clean steps, and PGD-3 adversarial steps (ours; three input-gradient steps
// then the weight step).
//
// Query: ?backend=cpu|webgpu (ours; TensorFlow.js runs wasm beside cpu, webgpu beside webgpu)
//        ?steps=N (timed steps, default 30; PGD-3 gets a third)
// Result: window.benchResult and <html data-done>, as in shared.js.
import { measure, publish, benchParams } from './shared.js';

const { params } = benchParams();
const backend = params.get('backend') ?? 'cpu';
const steps = Math.max(3, Number(params.get('steps') ?? 30));
const BATCH = 64;
const DIGITS = 2048;
const tf = globalThis.tf;

async function gunzip(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
}

async function ours(data) {
  const module = await import(backend === 'webgpu' ? '../pkg/adversarial_digits.js' : '../pkg/train/adversarial_digits.js');
  await module.default();
  const quick = module.trainingPresets()[0].options;
  const run = async (options, n) => {
    const training = await module.Training.create(backend, { ...quick, digits: DIGITS, epochs: 100, batchSize: BATCH, ...options }, data.images, data.labels, data.testImages, data.testLabels);
    try {
      const timing = await measure(() => training.step(), n);
      return { ...timing, digitsPerSecond: (BATCH * 1000) / timing.median };
    } finally {
      training.free();
    }
  };
  return {
    clean: await run({ defence: 'clean' }, steps),
    pgd3: await run({ defence: 'pgd', eps: 0.3, steps: 3, warmupEpochs: 0 }, Math.ceil(steps / 3)),
  };
}

/** The same network in TensorFlow.js layers, trained from scratch on `tfBackend`. */
async function tfjs(data, tfBackend) {
  if (tfBackend === 'wasm') {
    tf.wasm.setWasmPaths(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url).href);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(tfBackend))) throw new Error(`TensorFlow.js's ${tfBackend} backend did not start`);
  await tf.ready();
  const model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: 'heUniform' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: 'heUniform' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: 'heUniform' }),
    tf.layers.dropout({ rate: 0.25 }),
    tf.layers.dense({ units: 10 }),
  ] });
  const optimizer = tf.train.adam(2e-3);
  const pixels = new Float32Array(DIGITS * 784);
  const images = data.images.subarray(16);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (images[i] / 255 - 0.1307) / 0.3081;
  const x = tf.tensor4d(pixels, [DIGITS, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Array.from(data.labels.subarray(8, 8 + DIGITS)), 'int32'), 10);
  let at = 0;
  const step = async () => {
    const start = at;
    at = (at + BATCH) % (DIGITS - BATCH);
    const loss = optimizer.minimize(() => {
      const xb = x.slice([start, 0, 0, 0], [BATCH, 28, 28, 1]);
      const yb = y.slice([start, 0], [BATCH, 10]);
      return tf.losses.softmaxCrossEntropy(yb, model.apply(xb, { training: true }));
    }, true);
    await loss.data(); // one read-back per step, as ours reads its loss
    loss.dispose();
  };
  const timing = await measure(step, steps);
  tf.dispose([x, y]);
  return { backend: tf.getBackend(), version: tf.version?.['tfjs-core'], clean: { ...timing, digitsPerSecond: (BATCH * 1000) / timing.median } };
}

await publish(async (status) => {
  const base = new URL('../www/data/train/', import.meta.url);
  const [images, labels, testImages, testLabels] = await Promise.all(['train-0-images-idx3-ubyte.gz', 'train-0-labels-idx1-ubyte.gz', 'test-images-idx3-ubyte.gz', 'test-labels-idx1-ubyte.gz'].map((n) => gunzip(new URL(n, base))));
  const data = { images, labels, testImages, testLabels };
  status('training ours…');
  const engine = await ours(data);
  status('training TensorFlow.js…');
  // TensorFlow.js's wasm backend has no gradient of a convolution's filter (4.22:
  // "Kernel 'Conv2DBackpropFilter' not registered"): it cannot train this network. Its plain
  // JavaScript backend can, and is what a TensorFlow.js page trains with on the CPU.
  const tries = backend === 'webgpu' ? ['webgpu'] : ['wasm', 'cpu'];
  const peers = {};
  for (const name of tries) {
    try {
      peers[name] = await tfjs(data, name);
    } catch (error) {
      peers[name] = { error: String(error?.message ?? error) };
    }
  }
  return { backend, batch: BATCH, digits: DIGITS, ours: engine, tfjs: peers };
});
