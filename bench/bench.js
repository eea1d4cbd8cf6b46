// Measures the page's engine in this browser, loaded exactly as the page loads it
// (www/engine/engine.js): time from navigation to the engine and to its first prediction on the
// requested backend, then the median (10th, 90th percentiles) of each operation, one digit at a
// time, over N runs after warm-up runs (shared.js: measure); then, on request, whether memory stays flat over
// many attacks.
//
// Query: ?backend=cpu|webgpu|auto  ?runs=N  ?ops=predict,fgsm (a subset of OPERATIONS' names)
//        ?memory=fgsm:1000,pgd-40:200 (run that many of each, recording memory after 10, 100, ...)
// Result: window.benchResult, and <html data-done="true"> (or "error", with window.benchError).
//
// To add a measurement, add an entry to OPERATIONS: tools/bench.mjs prints every row it gets.
import { loadEngine as loadWorkerEngine } from '../www/engine/client.js';
import { loadEngine } from '../www/engine/engine.js';
import { MODELS } from '../www/models.js';
import { benchParams, fetchSamples, FGSM, measure, PGD, publish } from './shared.js';

const { params, runs, only } = benchParams();

/**
 * What the WebGPU build asks of the device, counted at the browser's own WebGPU API (the calls
 * pass through unchanged): shader modules and pipelines created (compilations), buffers mapped
 * for reading (read-backs to the CPU), and queue submissions. Installed before the engine loads.
 */
const gpuCounts = { shaders: 0, pipelines: 0, readbacks: 0, submits: 0 };
if (globalThis.GPUDevice) {
  const count = (proto, name, key) => {
    const original = proto[name];
    if (!original) return;
    proto[name] = function counted(...args) {
      gpuCounts[key] += 1;
      return original.apply(this, args);
    };
  };
  count(GPUDevice.prototype, 'createShaderModule', 'shaders');
  count(GPUDevice.prototype, 'createComputePipeline', 'pipelines');
  count(GPUDevice.prototype, 'createComputePipelineAsync', 'pipelines');
  count(GPUBuffer.prototype, 'mapAsync', 'readbacks');
  count(GPUQueue.prototype, 'submit', 'submits');
}
const backend = params.get('backend') ?? 'cpu';

/**
 * name: the row's label; share: the fraction of `runs` it gets (slow operations get fewer, at
 * least `min`); run(ctx): one measured call. ctx: {engine, x (784 pixels), label, batch(n):
 * {pixels, labels} of n test digits}. The batch rows (×n) are where WebGPU can earn its place:
 * the engine routes batches by such a measurement (www/engine/engine.js), this bench times each backend
 * on its own.
 * `fgsm` and `pgd-40` use the settings TensorFlow.js is compared on (shared.js).
 */
export const OPERATIONS = [
  { name: 'predict', share: 1, run: ({ engine, x }) => engine.classify(x) },
  { name: 'input gradient', share: 1, run: ({ engine, x, label }) => engine.gradient(x, label) },
  { name: 'fgsm', share: 1, run: ({ engine, x, label }) => engine.attack(x, label, FGSM) },
  { name: 'bim-10', share: 1 / 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'bim', eps: 0.2, steps: 10 }) },
  { name: 'pgd-40', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, PGD) },
  { name: 'mi-fgsm-10', share: 1 / 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'mi-fgsm', eps: 0.2, steps: 10 }) },
  { name: 'pgd-l2-40', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'pgd-l2', eps: 2, steps: 40 }) },
  { name: 'deepfool', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'deepfool', eps: 0.2, steps: 50 }) },
  { name: 'few-pixel-10', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'few-pixel', eps: 0.2, pixelsBudget: 10 }) },
  { name: 'jsma', share: 1 / 6, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'jsma', eps: 0.2 }) },
  { name: 'cw (6x100)', share: 1 / 10, min: 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'cw', eps: 0.2, steps: 100 }) },
  { name: 'simba (784 pixels)', share: 1 / 10, min: 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'simba', eps: 0.2, steps: 784 }) },
  { name: 'square (≤1000 queries)', share: 1 / 6, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'square', eps: 0.3, queries: 1000 }) },
  { name: 'square-l2 (≤1000 queries)', share: 1 / 10, min: 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'square-l2', eps: 2, queries: 1000 }) },
  { name: 'apgd-100', share: 1 / 6, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'apgd', eps: 0.3, steps: 100 }) },
  { name: 'fab-100', share: 1 / 10, min: 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'fab', steps: 100 }) },
  { name: 'bpda-40', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'bpda', eps: 0.3, steps: 40, alpha: 0.01 }) },
  { name: 'hopskipjump (5000 queries)', share: 1 / 20, min: 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'hopskipjump', queries: 5000 }) },
  // What the page pays on top: the same engine in its worker (www/engine/client.js), a message
  // each way with the pixels copied in and the result transferred out.
  { name: 'predict via the worker', share: 1, viaWorker: true, run: async ({ worker, x }) => (await worker()).classify(x) },
  { name: 'fgsm via the worker', share: 1, viaWorker: true, run: async ({ worker, x, label }) => (await worker()).attack(x, label, FGSM) },
  { name: 'predict ×100', share: 1 / 3, run: ({ engine, batch }) => engine.classifyBatch(batch(100).pixels) },
  { name: 'fgsm ×16', share: 1 / 3, run: ({ engine, batch }) => engine.attackLabels(batch(16).pixels, batch(16).labels, FGSM) },
  { name: 'fgsm ×100', share: 1 / 6, run: ({ engine, batch }) => engine.attackLabels(batch(100).pixels, batch(100).labels, FGSM) },
  { name: 'pgd-10 ×50 (curve point)', share: 1 / 10, min: 2, run: ({ engine, batch }) => engine.attackLabels(batch(50).pixels, batch(50).labels, { ...PGD, steps: 10, alpha: 0.05 }) },
  { name: 'evolved fooling image (one class)', share: 1 / 10, min: 2, run: ({ engine }) => engine.evolveFoolingImages([3], {}) },
  { name: 'class gallery (10 classes ×20 steps)', share: 1 / 10, min: 2, run: ({ engine }) => engine.visualizeClasses([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { steps: 20 }) },
];

/**
 * The WebAssembly memory of the build doing the work. wasm-bindgen's init function returns the
 * instance's exports (memory included) and, once initialised, returns them again without
 * reloading; engine.js has initialised this module already (same URL, same module record).
 */
async function wasmMemory(engine) {
  const build = engine.backend === 'webgpu' ? '../pkg/adversarial_digits.js' : '../pkg/cpu/adversarial_digits.js';
  const exports = await (await import(build)).default();
  return exports.memory;
}

/** JS heap in use after a full collection (needs Chromium's --js-flags=--expose-gc and
 * --enable-precise-memory-info; null without them). */
function jsHeapBytes() {
  globalThis.gc?.();
  return globalThis.gc && performance.memory ? performance.memory.usedJSHeapSize : null;
}

/** Runs `count` calls of `run`, recording memory before and after 10, 100, 1000, ... calls. */
async function memoryCurve(name, count, run, memory) {
  const snapshot = (attacks) => ({ attacks, wasmBytes: memory.buffer.byteLength, jsHeapBytes: jsHeapBytes() });
  const points = [snapshot(0)];
  const t0 = performance.now();
  for (let i = 1; i <= count; i++) {
    await run();
    if (i === count || /^10+$/.test(String(i))) points.push(snapshot(i));
  }
  return { name, count, totalMs: performance.now() - t0, points };
}

await publish(async (status) => {
  const engine = await loadEngine({ backend, weightsUrl: MODELS.standard.url });
  const engineMs = performance.now(); // since navigation start
  if (backend !== 'cpu') await engine.settled; // wait for WebGPU to take over (or to fall back)
  const samples = await fetchSamples();
  const data = engine.parseMnist(samples.images, samples.labels);
  const x = data.pixels.slice(0, 784);
  const label = data.labels[0];
  const batches = new Map();
  /** n test digits (the sample strip, repeated as needed), the same arrays every call. */
  const batch = (n) => {
    if (!batches.has(n)) {
      const count = data.labels.length;
      const pixels = new Float32Array(n * 784);
      for (let i = 0; i < n; i++) pixels.set(data.pixels.subarray((i % count) * 784, (i % count + 1) * 784), i * 784);
      batches.set(n, { pixels, labels: Array.from({ length: n }, (_, i) => data.labels[i % count]) });
    }
    return batches.get(n);
  };
  await engine.classify(x);
  const firstPredictionMs = performance.now();
  // The page's engine in its worker, started on the first row that asks for it.
  let viaWorker = null;
  const worker = () => (viaWorker ??= loadWorkerEngine({ backend, weightsUrl: MODELS.standard.url }).then(async (e) => {
    if (backend !== 'cpu') await e.settled;
    return e;
  }));

  const rows = [];
  for (const op of OPERATIONS) {
    if (only && !only.includes(op.name)) continue;
    status(`running ${op.name}…`);
    const n = Math.max(op.min ?? 1, Math.ceil(runs * op.share));
    const before = { ...gpuCounts };
    let first = null;
    let warm = null;
    const timing = await measure(() => op.run({ engine, x, label, batch, worker }), n, {
      afterFirst: () => (first = { ...gpuCounts }),
      afterWarmup: () => (warm = { ...gpuCounts }),
    });
    const after = { ...gpuCounts };
    // On WebGPU: what the first call and each timed call asked of the device.
    // (The worker's device is not this page's: its calls are not counted here.)
    const gpu = engine.backend !== 'webgpu' || op.viaWorker ? null : Object.fromEntries(Object.keys(gpuCounts).map((key) => [key, {
      first: first[key] - before[key],
      perCall: (after[key] - warm[key]) / n,
    }]));
    rows.push({ name: op.name, ...timing, gpu });
  }

  const memory = [];
  const requested = params.get('memory')?.split(',').filter(Boolean) ?? [];
  if (requested.length) {
    const wasm = await wasmMemory(engine);
    for (const item of requested) {
      const [name, count] = item.split(':');
      const op = OPERATIONS.find((o) => o.name === name);
      if (!op || !(Number(count) >= 1)) throw new Error(`?memory=${item}: expected OPERATION:COUNT`);
      status(`memory: ${count} × ${name}…`);
      memory.push(await memoryCurve(name, Number(count), () => op.run({ engine, x, label, batch }), wasm));
    }
  }

  return {
    requested: backend,
    backend: engine.backend,
    reason: engine.fallbackReason,
    engineMs,
    firstPredictionMs,
    userAgent: navigator.userAgent,
    rows,
    memory,
  };
});
