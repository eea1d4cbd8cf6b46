// Measures the page's engine in this browser, loaded exactly as the page loads it
// (www/engine.js): time from navigation to the engine and to its first prediction on the
// requested backend, then the median (10th, 90th percentiles) of each operation, one digit at a
// time, over N runs after one warm-up run.
//
// Query: ?backend=cpu|webgpu|auto  ?runs=N  ?ops=predict,fgsm (a subset of OPERATIONS' names)
// Result: window.benchResult, and <html data-done="true"> (or "error", with window.benchError).
//
// To add a measurement, add an entry to OPERATIONS: tools/bench.mjs prints every row it gets.
import { loadEngine } from '../www/engine.js';

const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'cpu';
const runs = Math.max(1, Number(params.get('runs') ?? 30));
const only = params.get('ops')?.split(',').filter(Boolean) ?? null;
const out = document.getElementById('out');

/**
 * name: the row's label; share: the fraction of `runs` it gets (slow operations get fewer, at
 * least `min`); run(ctx): one measured call. ctx: {engine, x (784 pixels), label}.
 */
export const OPERATIONS = [
  { name: 'predict', share: 1, run: ({ engine, x }) => engine.classify(x) },
  { name: 'input gradient', share: 1, run: ({ engine, x, label }) => engine.gradient(x, label) },
  { name: 'fgsm', share: 1, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'fgsm', eps: 0.2 }) },
  { name: 'bim-10', share: 1 / 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'bim', eps: 0.2, steps: 10 }) },
  { name: 'pgd-40', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'pgd', eps: 0.2, steps: 40, alpha: 0.01 }) },
  { name: 'mi-fgsm-10', share: 1 / 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'mi-fgsm', eps: 0.2, steps: 10 }) },
  { name: 'pgd-l2-40', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'pgd-l2', eps: 2, steps: 40 }) },
  { name: 'deepfool', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'deepfool', eps: 0.2, steps: 50 }) },
  { name: 'few-pixel-10', share: 1 / 3, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'few-pixel', eps: 0.2, pixels: 10 }) },
  { name: 'jsma', share: 1 / 6, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'jsma', eps: 0.2 }) },
  { name: 'cw (6x100)', share: 1 / 10, min: 2, run: ({ engine, x, label }) => engine.attack(x, label, { method: 'cw', eps: 0.2, steps: 100 }) },
];

export function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0], max: s[s.length - 1], n: s.length };
}

async function measure(fn, n) {
  await fn(); // warm-up: the first call compiles shaders and allocates
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return stats(times);
}

try {
  const engine = await loadEngine({ backend });
  const engineMs = performance.now(); // since navigation start
  if (backend !== 'cpu') await engine.settled; // wait for WebGPU to take over (or to fall back)
  const images = new Uint8Array(await (await fetch('../www/data/samples-images-idx3-ubyte')).arrayBuffer());
  const labels = new Uint8Array(await (await fetch('../www/data/samples-labels-idx1-ubyte')).arrayBuffer());
  const data = engine.parseMnist(images, labels);
  const x = data.pixels.slice(0, 784);
  const label = data.labels[0];
  await engine.classify(x);
  const firstPredictionMs = performance.now();

  const rows = [];
  for (const op of OPERATIONS) {
    if (only && !only.includes(op.name)) continue;
    out.textContent = `running ${op.name}…`;
    const n = Math.max(op.min ?? 1, Math.ceil(runs * op.share));
    rows.push({ name: op.name, ...(await measure(() => op.run({ engine, x, label }), n)) });
  }
  window.benchResult = {
    requested: backend,
    backend: engine.backend,
    reason: engine.reason,
    engineMs,
    firstPredictionMs,
    userAgent: navigator.userAgent,
    rows,
  };
  out.textContent = JSON.stringify(window.benchResult, null, 2);
  document.documentElement.dataset.done = 'true';
} catch (error) {
  window.benchError = String(error?.stack ?? error);
  out.textContent = `failed: ${window.benchError}`;
  document.documentElement.dataset.done = 'error';
}
