// Measures the page's engine in this browser: time from navigation to the first prediction,
// then the median (and 10th/90th percentiles) of each operation over N runs, batch 1.
import { loadEngine } from '../www/engine.js';

const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'cpu';
const runs = Number(params.get('runs') ?? 30);
const out = document.getElementById('out');

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), n: s.length };
}

async function measure(fn, n) {
  await fn(); // warm-up: first use compiles shaders / allocates
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return stats(times);
}

const engine = await loadEngine({ backend });
if (backend === 'webgpu') await engine.settled;
const images = new Uint8Array(await (await fetch('../www/data/samples-images-idx3-ubyte')).arrayBuffer());
const labels = new Uint8Array(await (await fetch('../www/data/samples-labels-idx1-ubyte')).arrayBuffer());
const data = engine.parseMnist(images, labels);
const x = data.pixels.slice(0, 784);
const label = data.labels[0];
await engine.classify(x);
const firstPrediction = performance.now(); // since navigation start

const rows = [];
rows.push(['predict', await measure(() => engine.classify(x), runs)]);
rows.push(['input gradient', await measure(() => engine.gradient(x, label), runs)]);
const attack = (method, extra = {}) => () => engine.attack(x, label, { method, eps: 0.2, ...extra });
rows.push(['fgsm', await measure(attack('fgsm'), runs)]);
rows.push(['bim-10', await measure(attack('bim', { steps: 10 }), Math.ceil(runs / 2))]);
rows.push(['pgd-40', await measure(attack('pgd', { steps: 40, alpha: 0.01 }), Math.ceil(runs / 3))]);
rows.push(['mi-fgsm-10', await measure(attack('mi-fgsm', { steps: 10 }), Math.ceil(runs / 2))]);
rows.push(['pgd-l2-40', await measure(attack('pgd-l2', { eps: 2, steps: 40 }), Math.ceil(runs / 3))]);
rows.push(['deepfool', await measure(attack('deepfool', { steps: 50 }), Math.ceil(runs / 3))]);
rows.push(['few-pixel-10', await measure(attack('few-pixel', { pixels: 10 }), Math.ceil(runs / 3))]);
rows.push(['jsma', await measure(attack('jsma'), Math.ceil(runs / 6))]);
rows.push(['cw (6x100)', await measure(attack('cw', { steps: 100 }), Math.max(2, Math.ceil(runs / 10)))]);

const result = { backend: engine.backend, firstPredictionMs: firstPrediction, rows: rows.map(([name, s]) => ({ name, ...s })) };
window.benchResult = result;
out.textContent = JSON.stringify(result, null, 2);
document.documentElement.dataset.done = 'true';
