#!/usr/bin/env node
// The bench command (`npm run bench`): what a reader downloads (sizes computed here, gzip with
// zlib), then, in headless Chromium on each backend, the real page (time from navigation to the
// first prediction shown, and to its backend taking over) and the bench page bench/ (the page's
// engine: first prediction on that backend, then median [p10–p90] latency of each operation on
// one digit). Prints one Markdown table; timings are reported, never asserted.
//
//   node tools/bench.mjs [--runs N] [--backends cpu,webgpu] [--quick] [--ops predict,fgsm] [--json FILE]
//     --quick   only `predict` (a minute instead of several: the attacks are slow on SwiftShader)
//     --json    also write every measurement to FILE
//
// To add a row: a fixed one goes in ROWS below; a new engine operation goes in bench/bench.js's
// OPERATIONS and appears here by itself. To add a column (another backend or library), add an
// entry to BACKENDS with the bench page URL that measures it.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startServer } from './serve.mjs';

function parseArgs(argv) {
  const options = { runs: 30, backends: ['cpu', 'webgpu'], ops: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--runs') options.runs = Number(value());
    else if (flag === '--backends') options.backends = value().split(',');
    else if (flag === '--ops') options.ops = value().split(',');
    else if (flag === '--quick') options.ops = ['predict'];
    else if (flag === '--json') options.json = value();
    else if (flag === '-h' || flag === '--help') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]} (try --help)`);
  }
  if (!(options.runs >= 1)) throw new Error('--runs must be a positive number');
  return options;
}

const FILES = {
  cpuWasm: 'pkg/cpu/adversarial_digits_bg.wasm',
  cpuJs: 'pkg/cpu/adversarial_digits.js',
  gpuWasm: 'pkg/adversarial_digits_bg.wasm',
  gpuJs: 'pkg/adversarial_digits.js',
  weights: 'models/standard.safetensors',
};

/** Columns. `files`: what the page downloads for that backend (the CPU build always comes first). */
const BACKENDS = {
  cpu: {
    title: 'CPU (flex, wasm)',
    args: ['--disable-features=WebGPU'],
    wasm: [FILES.cpuWasm],
    js: [FILES.cpuJs],
    runsShare: 1,
  },
  webgpu: {
    title: 'WebGPU',
    args: ['--enable-unsafe-webgpu'],
    wasm: [FILES.cpuWasm, FILES.gpuWasm],
    js: [FILES.cpuJs, FILES.gpuJs],
    runsShare: 1 / 6, // SwiftShader emulates the GPU on the CPU: far fewer runs there
  },
};

const size = (path) => {
  const bytes = readFileSync(join(ROOT, path));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const kb = (n) => `${Math.round(n / 1024)} KB`;
const ms = (n) => (n == null || Number.isNaN(n) ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
const sizes = (paths) => {
  const s = paths.map(size);
  const sum = (k) => s.reduce((a, x) => a + x[k], 0);
  return `${kb(sum('raw'))} / ${kb(sum('gzip'))}`;
};
const timing = (r) => (r ? `${ms(r.median)} [${ms(r.p10)}–${ms(r.p90)}]` : '–');

/** Fixed rows: label, and the cell for one backend's column from its results `r`. */
const ROWS = [
  { label: 'wasm downloaded, raw / gzip', cell: (b) => sizes(BACKENDS[b].wasm) },
  { label: 'JS glue, raw / gzip', cell: (b) => sizes(BACKENDS[b].js) },
  { label: 'weights, raw / gzip', cell: () => sizes([FILES.weights]) },
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

async function measureBackend(server, key, options) {
  const spec = BACKENDS[key];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...spec.args],
  });
  try {
    // The page as a reader gets it (no ?backend=: the browser decides), cold (a fresh context
    // has an empty cache).
    const appContext = await browser.newContext();
    const app = await appContext.newPage();
    await app.addInitScript(recordMilestones);
    await app.goto(`${server.url}/`);
    await app.waitForFunction(() => document.documentElement.dataset.ready && Number(document.documentElement.dataset.predictions ?? 0) > 0, null, { timeout: 180_000 });
    if (key !== 'cpu') {
      await app.waitForFunction(() => window.adversarialDigits?.fallbackReason != null || document.getElementById('backend').dataset.backend !== 'cpu', null, { timeout: 180_000 }).catch(() => {});
    }
    const marks = await app.evaluate(() => window.__benchMarks);
    const backend = await app.getAttribute('#backend', 'data-backend');
    const adapter = await app.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter?.().catch(() => null);
      return a ? `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}`.trim() : null;
    });
    await appContext.close();

    // The bench page, cold too.
    const benchContext = await browser.newContext();
    const page = await benchContext.newPage();
    const runs = Math.max(3, Math.ceil(options.runs * spec.runsShare));
    const ops = options.ops ? `&ops=${encodeURIComponent(options.ops.join(','))}` : '';
    process.stderr.write(`bench: ${key}: ${runs} runs${options.ops ? ` of ${options.ops.join(', ')}` : ''}…\n`);
    await page.goto(`${server.url}/bench/?backend=${key}&runs=${runs}${ops}`);
    await page.waitForFunction(() => document.documentElement.dataset.done, null, { timeout: 1_800_000 });
    if ((await page.evaluate(() => document.documentElement.dataset.done)) !== 'true') {
      throw new Error(`bench page failed on ${key}: ${await page.evaluate(() => window.benchError)}`);
    }
    const bench = await page.evaluate(() => window.benchResult);
    await benchContext.close();
    return {
      browser: browser.version(),
      adapter,
      runs,
      app: { backend, firstPrediction: marks.firstPrediction, ready: marks.ready, backendActive: marks[`backend:${key}`] },
      bench,
    };
  } finally {
    await browser.close();
  }
}

const options = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
})();
for (const key of options.backends) if (!BACKENDS[key]) throw new Error(`unknown backend ${key}: ${Object.keys(BACKENDS).join(', ')}`);

const server = await startServer({ port: 0, root: ROOT });
const results = {};
let failed = false;
try {
  for (const key of options.backends) {
    try {
      results[key] = await measureBackend(server, key, options);
    } catch (error) {
      failed = true;
      console.error(`bench: ${key}: ${error.message}`);
    }
  }
} finally {
  await server.close();
}

const keys = options.backends.filter((k) => results[k]);
const title = (k) => (k === 'webgpu' && results[k].adapter ? `WebGPU (${results[k].adapter})` : BACKENDS[k].title);
const lines = [`| measure | ${keys.map(title).join(' | ')} |`, `|---|${keys.map(() => '---|').join('')}`];
for (const row of ROWS) lines.push(`| ${row.label} | ${keys.map((k) => row.cell(k, results[k])).join(' | ')} |`);
const opNames = [...new Set(keys.flatMap((k) => results[k].bench.rows.map((r) => r.name)))];
for (const name of opNames) {
  lines.push(`| ${name}: median [p10–p90] ms | ${keys.map((k) => timing(results[k].bench.rows.find((r) => r.name === name))).join(' | ')} |`);
}
console.log(lines.join('\n'));
const notes = keys.map((k) => {
  const r = results[k];
  const used = r.bench.backend === k ? '' : ` (WARNING: the engine ran on ${r.bench.backend}: ${r.bench.reason})`;
  return `${k}: ${r.runs} runs (fewer for slow attacks)${used}`;
});
console.log(`\nChromium ${results[keys[0]]?.browser ?? '?'}, headless; ${notes.join('; ')}. Batch of one digit; sizes: gzip -9 in Node.`);
if (options.json) {
  const files = Object.fromEntries(Object.entries(FILES).map(([k, p]) => [k, { path: p, ...size(p) }]));
  writeFileSync(options.json, `${JSON.stringify({ date: new Date().toISOString(), files, results }, null, 2)}\n`);
  console.log(`(all measurements in ${options.json})`);
}
process.exit(failed ? 1 : 0);
