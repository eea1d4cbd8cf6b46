#!/usr/bin/env node
// The bench command (`npm run bench`). In one run, one headless Chromium per backend:
//   1. the real page as a reader gets it (cold): time from navigation to the first prediction
//      shown and to its backend taking over, and what it downloaded before that first prediction;
//   2. bench/ (the page's engine): median [p10–p90] latency of each operation on one digit, then
//      WebAssembly memory and JS heap over many attacks;
//   3. bench/tfjs.html: the same network and weights in TensorFlow.js (wasm backend beside our
//      CPU build, webgpu beside our WebGPU build), checked against the engine first (it refuses
//      to time a model that disagrees), timed on the same operations; on the CPU, also a large
//      matrix product, the achievable GFLOP/s that the FLOP floor is measured against.
// Prints Markdown tables; timings are reported, never asserted. Sizes: gzip -9 with zlib.
//
//   node tools/bench.mjs [--runs N] [--backends cpu,webgpu] [--quick] [--ops predict,fgsm] [--json FILE]
//     --runs    timed calls per operation (default 30; slow operations and WebGPU get a share)
//     --quick   a smoke run: 5 runs of the cheap operations, 100 attacks for the memory curve
//     --json    also write every measurement to FILE
//
// The bench pages are served with Cross-Origin-Embedder-Policy (cross-origin isolation), only so
// that performance.now() ticks in 5 µs instead of 100 µs; the real page is served as deployed.
//
// To add a row: a fixed one goes in ROWS below; a new engine operation goes in bench/bench.js's
// OPERATIONS and appears here by itself (and in the comparison if bench/tfjs.js has it too). To
// add a column (another backend), add an entry to BACKENDS.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { requestsOf } from './requests.mjs';
import { ROOT, startServer } from './serve.mjs';
import { WARMUP_MS } from '../bench/shared.js';

const WARMUP_SECONDS = WARMUP_MS / 1000;

const QUICK_OPS = ['predict', 'input gradient', 'fgsm'];
/** The operations timed on both sides, in the comparison's order. */
const COMPARED = ['predict', 'input gradient', 'fgsm', 'pgd-40'];

function parseArgs(argv) {
  const options = { runs: 30, backends: ['cpu', 'webgpu'], ops: null, json: null, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--runs') options.runs = Number(value());
    else if (flag === '--backends') options.backends = value().split(',');
    else if (flag === '--ops') options.ops = value().split(',');
    else if (flag === '--quick') options.quick = true;
    else if (flag === '--json') options.json = value();
    else if (flag === '-h' || flag === '--help') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]} (try --help)`);
  }
  if (options.quick) {
    options.ops ??= QUICK_OPS;
    if (!argv.some((a) => a.startsWith('--runs'))) options.runs = 5;
  }
  if (!(options.runs >= 1)) throw new Error('--runs must be a positive number');
  return options;
}

const FILES = {
  cpuWasm: 'pkg/cpu/adversarial_digits_bg.wasm',
  cpuJs: 'pkg/cpu/adversarial_digits.js',
  gpuWasm: 'pkg/adversarial_digits_bg.wasm',
  gpuJs: 'pkg/adversarial_digits.js',
  weights: 'models/standard.i8.safetensors',
};

/**
 * Columns. `files`: what the page downloads for that backend (the CPU build always comes
 * first); `tfjs`: TensorFlow.js's backend compared with it; `memory`: attacks run for the memory
 * curve (bench.js's ?memory=), full and quick.
 */
const BACKENDS = {
  cpu: {
    title: 'CPU (flex, wasm)',
    args: ['--disable-features=WebGPU'],
    wasm: [FILES.cpuWasm],
    js: [FILES.cpuJs],
    runsShare: 1,
    tfjs: 'wasm',
    memory: { full: 'fgsm:10000,pgd-40:200', quick: 'fgsm:100' },
  },
  webgpu: {
    title: 'WebGPU',
    args: ['--enable-unsafe-webgpu'],
    wasm: [FILES.cpuWasm, FILES.gpuWasm],
    js: [FILES.cpuJs, FILES.gpuJs],
    runsShare: 1 / 6, // SwiftShader emulates the GPU on the CPU: far fewer runs there
    tfjs: 'webgpu',
    memory: { full: 'fgsm:1000', quick: 'fgsm:100' }, // PGD-40 takes ~2 s each on SwiftShader
  },
};
/** For JS heap figures after a full collection (bench.js calls gc()). */
const MEMORY_ARGS = ['--js-flags=--expose-gc', '--enable-precise-memory-info'];

/**
 * The network's multiply-adds (MACs), counted densely as an im2col product would (zero padding
 * included). The input gradient's backward pass is each layer's transposed product (as many
 * MACs as forward); weight gradients are not computed, and element-wise work (normalisation,
 * ReLU, pooling, softmax: ~40k operations, ~1%) is left out.
 */
const LAYERS = [
  { name: 'conv1', formula: '16·28²·(1·5²)', macs: 16 * 28 * 28 * (1 * 5 * 5) },
  { name: 'conv2', formula: '32·14²·(16·5²)', macs: 32 * 14 * 14 * (16 * 5 * 5) },
  { name: 'fc1', formula: '1568·128', macs: 1568 * 128 },
  { name: 'fc2', formula: '128·10', macs: 128 * 10 },
];
const FORWARD_MACS = LAYERS.reduce((sum, l) => sum + l.macs, 0);
/** Forward passes' worth of MACs in each operation (a backward pass costs one forward). */
const FORWARDS = {
  predict: { count: 1, why: 'F' },
  'input gradient': { count: 2, why: 'F + backward F' },
  fgsm: { count: 3, why: 'gradient 2F + predict F' },
  'pgd-40': { count: 81, why: '40 gradients 80F + predict F' },
};

const size = (path) => {
  const bytes = readFileSync(join(ROOT, path));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const total = (paths) => {
  const s = paths.map(size);
  return { raw: s.reduce((a, x) => a + x.raw, 0), gzip: s.reduce((a, x) => a + x.gzip, 0) };
};
const kb = (n) => `${Math.round(n / 1024).toLocaleString('en')} KB`;
const mib = (n) => (n == null ? '–' : `${(n / 2 ** 20).toFixed(2)} MiB`);
const sizes = (paths) => {
  const t = total(paths);
  return `${kb(t.raw)} / ${kb(t.gzip)}`;
};
const ms = (n) => (n == null || Number.isNaN(n) ? '–' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const timing = (r) => (r ? `${ms(r.median)} [${ms(r.p10)}–${ms(r.p90)}]` : '–');
const count = (n) => n.toLocaleString('en');

/** Fixed rows: label, and the cell for one backend's column from its results `r`. */
const ROWS = [
  { label: 'wasm downloaded, raw / gzip', cell: (b) => sizes(BACKENDS[b].wasm) },
  { label: 'JS glue, raw / gzip', cell: (b) => sizes(BACKENDS[b].js) },
  { label: 'weights, raw / gzip', cell: () => sizes([FILES.weights]) },
  { label: 'page: downloaded before the first prediction, raw / gzip', cell: (b, r) => `${sizes(r.app.downloaded)} (${r.app.downloaded.length} files)` },
  { label: 'page: navigation → first prediction shown, ms', cell: (b, r) => ms(r.app.firstPrediction) },
  { label: 'page: navigation → this backend running, ms', cell: (b, r) => (r.app.backend === b ? ms(r.app.backendActive) : `fell back: ${r.app.backend}`) },
  { label: 'engine: navigation → first prediction on it, ms', cell: (b, r) => ms(r.bench.firstPredictionMs) },
];

/** Timestamps of the page's own milestones, taken in the page as they happen. */
function recordMilestones() {
  const marks = (window.__benchMarks = {});
  new MutationObserver(() => {
    const root = document.documentElement; // (absent when this script starts)
    if (marks.firstPrediction == null && Number(root.dataset.predictions ?? 0) > 0) marks.firstPrediction = performance.now();
    if (marks.ready == null && root.dataset.ready) marks.ready = performance.now();
    const backend = document.getElementById('backend')?.dataset.backend;
    if (backend && marks[`backend:${backend}`] == null) marks[`backend:${backend}`] = performance.now();
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-predictions', 'data-ready', 'data-backend'] });
}

/** Opens a bench page and returns its window.benchResult (or throws its error). */
async function runBenchPage(browser, url, what) {
  const context = await browser.newContext(); // cold: an empty cache
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.documentElement.dataset.done, null, { timeout: 1_800_000 });
    if ((await page.evaluate(() => document.documentElement.dataset.done)) !== 'true') {
      throw new Error(`${what} failed: ${await page.evaluate(() => window.benchError)}`);
    }
    return await page.evaluate(() => ({ ...window.benchResult, crossOriginIsolated: self.crossOriginIsolated }));
  } finally {
    await context.close();
  }
}

/** The real page, cold, as a reader gets it (no ?backend=: the browser decides). */
async function measureApp(browser, server, key) {
  const context = await browser.newContext();
  try {
    const app = await context.newPage();
    const requested = [];
    app.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await app.addInitScript(recordMilestones);
    await app.goto(`${server.url}/`);
    await app.waitForFunction(() => document.documentElement.dataset.ready && Number(document.documentElement.dataset.predictions ?? 0) > 0, null, { timeout: 180_000 });
    if (key !== 'cpu') {
      await app.waitForFunction(() => window.adversarialDigits?.fallbackReason != null || document.getElementById('backend').dataset.backend !== 'cpu', null, { timeout: 180_000 }).catch(() => {});
    }
    const marks = await app.evaluate(() => window.__benchMarks);
    // Same-origin files whose download ended before the first prediction, in the page and in
    // the engine's worker (which fetches the wasm and the weights).
    const before = (await requestsOf(app)).filter((e) => e.end <= marks.firstPrediction).map((e) => e.path);
    const backend = await app.getAttribute('#backend', 'data-backend');
    const adapter = await app.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter?.().catch(() => null);
      return a ? `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}`.trim() : null;
    });
    const leaked = requested.filter((p) => p.startsWith('/node_modules/'));
    if (leaked.length) throw new Error(`the product page requested development files: ${leaked.join(', ')}`);
    const downloaded = [...new Set(before.map((p) => decodeURIComponent(p === '/' ? '/index.html' : p).slice(1)))];
    return { backend, adapter, firstPrediction: marks.firstPrediction, ready: marks.ready, backendActive: marks[`backend:${key}`], downloaded };
  } finally {
    await context.close();
  }
}

async function measureBackend(servers, key, options) {
  const spec = BACKENDS[key];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...MEMORY_ARGS, ...spec.args],
  });
  try {
    const app = await measureApp(browser, servers.app, key);
    const runs = Math.max(3, Math.ceil(options.runs * spec.runsShare));
    const ops = options.ops ? `&ops=${encodeURIComponent(options.ops.join(','))}` : '';
    const memory = encodeURIComponent(options.quick ? spec.memory.quick : spec.memory.full);
    process.stderr.write(`bench: ${key}: engine, ${runs} runs${options.ops ? ` of ${options.ops.join(', ')}` : ''}, memory ${decodeURIComponent(memory)}…\n`);
    const bench = await runBenchPage(browser, `${servers.bench.url}/bench/?backend=${key}&runs=${runs}${ops}&memory=${memory}`, `the engine bench on ${key}`);
    process.stderr.write(`bench: ${key}: TensorFlow.js ${spec.tfjs}…\n`);
    const peak = spec.tfjs === 'wasm' ? '&peak=1' : '';
    const tfjs = await runBenchPage(browser, `${servers.bench.url}/bench/tfjs.html?backend=${spec.tfjs}&runs=${runs}${ops}${peak}`, `TensorFlow.js on ${spec.tfjs}`);
    return { browser: browser.version(), adapter: app.adapter, runs, app, bench, tfjs };
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------------------------

const options = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
})();
for (const key of options.backends) if (!BACKENDS[key]) throw new Error(`unknown backend ${key}: ${Object.keys(BACKENDS).join(', ')}`);

const servers = {
  app: await startServer({ port: 0, root: ROOT }),
  bench: await startServer({ port: 0, root: ROOT, headers: { 'Cross-Origin-Embedder-Policy': 'require-corp' } }),
};
const results = {};
const loadBefore = loadavg()[0]; // other work on the machine skews every timing: reported
let failed = false;
try {
  for (const key of options.backends) {
    try {
      results[key] = await measureBackend(servers, key, options);
    } catch (error) {
      failed = true;
      console.error(`bench: ${key}: ${error.message}`);
    }
  }
} finally {
  await Promise.all(Object.values(servers).map((s) => s.close()));
}

const keys = options.backends.filter((k) => results[k]);
if (!keys.length) process.exit(1);
const title = (k) => (k === 'webgpu' && results[k].adapter ? `WebGPU (${results[k].adapter})` : BACKENDS[k].title);
const row = (cells) => `| ${cells.join(' | ')} |`;
const out = [];

// 1. What a reader downloads and waits for, and every engine operation.
out.push(row(['measure', ...keys.map(title)]), `|---|${keys.map(() => '---|').join('')}`);
for (const r of ROWS) out.push(row([r.label, ...keys.map((k) => r.cell(k, results[k]))]));
const opNames = [...new Set(keys.flatMap((k) => results[k].bench.rows.map((r) => r.name)))];
for (const name of opNames) out.push(row([`${name}: median [p10–p90] ms`, ...keys.map((k) => timing(results[k].bench.rows.find((r) => r.name === name)))]));
const allWasm = total([FILES.cpuWasm, FILES.gpuWasm]);
out.push('', `All wasm (both builds): ${kb(allWasm.raw)} raw, ${kb(allWasm.gzip)} gzip.`);

// 2. Beside TensorFlow.js.
const first = results[keys[0]];
const tfjsVersion = first.tfjs.version;
const wasmMode = results.cpu?.tfjs.wasm;
out.push('', `Beside TensorFlow.js ${tfjsVersion} (same browser, same network and weights; FGSM ε = 0.1; PGD-40 L∞ ε = 0.3, α = 0.01, random start):`, '');
out.push(row(['operation', 'backend', 'project median [p10–p90] ms', 'TensorFlow.js median [p10–p90] ms', 'tfjs / project', 'n']), '|---|---|---|---|---|---|');
for (const name of COMPARED) {
  for (const k of keys) {
    const ours = results[k].bench.rows.find((r) => r.name === name);
    const theirs = results[k].tfjs.rows.find((r) => r.name === name);
    if (!ours || !theirs) continue;
    out.push(row([name, `${BACKENDS[k].title.split(' ')[0]} / tfjs ${BACKENDS[k].tfjs}`, timing(ours), timing(theirs), `${(theirs.median / ours.median).toFixed(2)}×`, `${ours.n} / ${theirs.n}`]));
  }
}
const checks = keys.map((k) => {
  const v = results[k].tfjs.verification;
  return `tfjs ${BACKENDS[k].tfjs}: probabilities within ${v.probabilitiesMaxAbsDiff.toExponential(1)}, input gradients within ${v.gradientMaxRelDiff.toExponential(1)} (relative) of the engine's on ${v.digits} test digits`;
});
out.push('', `Checked before timing: ${checks.join('; ')}. ` +
  `${wasmMode ? `tfjs wasm: SIMD ${wasmMode.simd ? 'on' : 'off'}, threads ${wasmMode.threads ? 'on' : 'off'} (as this site deploys it: threads need cross-origin isolation and blob: workers). ` : ''}` +
  `Warm-up calls excluded (at least one, then more until ${WARMUP_SECONDS} s have passed: V8 optimises hot WebAssembly in the background, which takes about a second for the engine's module); n = timed calls.`);

// 3. The FLOP floor, on the CPU.
const peak = results.cpu?.tfjs.peak;
out.push('', `FLOP floor: forward F = ${LAYERS.map((l) => `${l.name} ${l.formula}`).join(' + ')} = ${LAYERS.map((l) => count(l.macs)).join(' + ')} = ${count(FORWARD_MACS)} multiply-adds (2 FLOPs each). ` +
  'The input gradient adds one backward pass to the input only (each layer\'s transposed product, F again; no weight gradients).');
if (peak) {
  const gflops = peak.gflops;
  out.push(`Achievable CPU peak: TensorFlow.js wasm's ${peak.size}×${peak.size}×${peak.size} matMul (XNNPACK, SIMD, one thread), fastest of 20: ${gflops.toFixed(1)} GFLOP/s (median ${peak.medianGflops.toFixed(1)}).`, '');
  out.push(row(['operation', 'work', 'MFLOP', `floor at ${gflops.toFixed(1)} GFLOP/s, ms`, 'project CPU median, ms (× floor)', 'tfjs wasm median, ms (× floor)']), '|---|---|---|---|---|---|');
  for (const name of COMPARED) {
    const ours = results.cpu.bench.rows.find((r) => r.name === name);
    const theirs = results.cpu.tfjs.rows.find((r) => r.name === name);
    if (!ours) continue;
    const flops = 2 * FORWARD_MACS * FORWARDS[name].count;
    const floor = flops / (gflops * 1e6);
    const vs = (r) => (r ? `${ms(r.median)} (${(r.median / floor).toFixed(1)}×)` : '–');
    out.push(row([name, FORWARDS[name].why, (flops / 1e6).toFixed(1), ms(floor), vs(ours), vs(theirs)]));
  }
}

// 4. Batches: where WebGPU could earn its place (the page routes batches by the same kind of
// measurement, www/engine/engine.js).
const batchNames = opNames.filter((name) => name.includes('×'));
if (batchNames.length && keys.length > 1) {
  out.push('', 'Batches, each backend on its own (the page measures 16-digit FGSM on both and sends batches to the faster):', '');
  out.push(row(['batch', ...keys.map((k) => `${BACKENDS[k].title.split(' ')[0]} median, ms`), 'faster']), `|---|${keys.map(() => '---|').join('')}---|`);
  for (const name of batchNames) {
    const medians = keys.map((k) => results[k].bench.rows.find((r) => r.name === name)?.median);
    const best = medians.every((m) => m !== undefined) ? keys[medians.indexOf(Math.min(...medians))] : null;
    out.push(row([name, ...medians.map((m) => (m === undefined ? '–' : ms(m))), best ? `${BACKENDS[best].title.split(' ')[0]} (${(Math.max(...medians) / Math.min(...medians)).toFixed(1)}×)` : '–']));
  }
}

// 5. What each WebGPU call asks of the device (counted at the browser's WebGPU API).
const gpuRows = keys.flatMap((k) => results[k].bench.rows.filter((r) => r.gpu).map((r) => ({ k, ...r })));
if (gpuRows.length) {
  out.push('', 'WebGPU work per call, counted at the browser\'s WebGPU API (the first call; then the mean of the timed calls, after the warm-up):', '');
  out.push(row(['operation', 'GPU→CPU read-backs, first / per call', 'queue submits per call', 'shaders + pipelines compiled, first / per later call']), '|---|---|---|---|');
  const n = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  for (const r of gpuRows) {
    const compiled = (phase) => r.gpu.shaders[phase] + r.gpu.pipelines[phase];
    out.push(row([r.name, `${n(r.gpu.readbacks.first)} / ${n(r.gpu.readbacks.perCall)}`, n(r.gpu.submits.perCall), `${n(compiled('first'))} / ${n(compiled('perCall'))}`]));
  }
}

// 6. Memory over many attacks.
const curves = keys.flatMap((k) => results[k].bench.memory.map((c) => ({ k, ...c })));
if (curves.length) {
  const marks = [...new Set(curves.flatMap((c) => c.points.map((p) => p.attacks)))].sort((a, b) => a - b);
  out.push('', 'Memory over repeated attacks on one digit (WebAssembly memory of the build in use; JS heap after a full collection):', '');
  out.push(row(['backend', 'attack', 'memory', ...marks.map((m) => `after ${count(m)}`)]), `|---|---|---|${marks.map(() => '---|').join('')}`);
  for (const c of curves) {
    for (const [label, field] of [['wasm', 'wasmBytes'], ['JS heap', 'jsHeapBytes']]) {
      out.push(row([BACKENDS[c.k].title.split(' ')[0], `${c.name} ×${count(c.count)}`, label, ...marks.map((m) => mib(c.points.find((p) => p.attacks === m)?.[field]))]));
    }
  }
}

const cpu = cpus();
const notes = keys.map((k) => {
  const r = results[k];
  const used = r.bench.backend === k ? '' : ` (WARNING: the engine ran on ${r.bench.backend}: ${r.bench.reason})`;
  return `${k}: ${r.runs} runs (fewer for slow attacks)${used}`;
});
const isolated = keys.every((k) => results[k].bench.crossOriginIsolated && results[k].tfjs.crossOriginIsolated);
out.push('', `Chromium ${first.browser}, headless, ${cpu.length} cores (${cpu[0]?.model ?? '?'}); ${notes.join('; ')}. ` +
  `Batch of one digit; timer resolution ${isolated ? '5 µs (bench pages cross-origin isolated)' : '100 µs'}; ` +
  `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; sizes: gzip -9 in Node.`);
console.log(out.join('\n'));

if (options.json) {
  const files = Object.fromEntries(Object.entries(FILES).map(([k, p]) => [k, { path: p, ...size(p) }]));
  const downloaded = Object.fromEntries(keys.map((k) => [k, results[k].app.downloaded.map((p) => ({ path: p, ...size(p) }))]));
  const flops = { layers: LAYERS, forwardMacs: FORWARD_MACS, operations: Object.fromEntries(Object.entries(FORWARDS).map(([n, f]) => [n, { ...f, flops: 2 * FORWARD_MACS * f.count }])) };
  const machine = { cores: cpu.length, model: cpu[0]?.model, loadAverage: { before: loadBefore, after: loadavg()[0] } };
  writeFileSync(options.json, `${JSON.stringify({ date: new Date().toISOString(), options, machine, files, allWasm, downloaded, flops, results }, null, 2)}\n`);
  console.log(`(all measurements in ${options.json})`);
}
process.exit(failed ? 1 : 0);
