#!/usr/bin/env node
// Training throughput in the browser beside TensorFlow.js (`npm run bench:training`): one
// headless Chromium per backend opens bench/training.html, which trains the page's network for a
// few steps in the engine's build (clean and PGD-3) and in TensorFlow.js (clean; wasm beside the
// CPU build, webgpu beside the WebGPU build), batch 64, Adam. Prints a Markdown table of digits
// per second; nothing is asserted (these machines are noisy).
//
//   node tools/bench-training.mjs [--steps N] [--backends cpu,webgpu] [--json FILE]
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ROOT, startServer } from './serve.mjs';

const options = { steps: 30, backends: ['cpu', 'webgpu'], json: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--steps') options.steps = Number(argv[++i]);
  else if (argv[i] === '--backends') options.backends = argv[++i].split(',');
  else if (argv[i] === '--json') options.json = argv[++i];
  else throw new Error(`unknown argument ${argv[i]} (--steps N, --backends cpu,webgpu, --json FILE)`);
}
const ARGS = { cpu: ['--disable-features=WebGPU'], webgpu: ['--enable-unsafe-webgpu'] };

const server = await startServer({ port: 0, root: ROOT });
const results = {};
try {
  for (const backend of options.backends) {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', ...ARGS[backend]] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/bench/training.html?backend=${backend}&steps=${options.steps}`);
      await page.waitForFunction(() => document.documentElement.dataset.done, null, { timeout: 1_800_000 });
      const result = await page.evaluate(() => window.benchResult ?? { error: window.benchError });
      if (result.error) throw new Error(`${backend}: ${result.error}`);
      results[backend] = result;
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
const rate = (r) => (r?.digitsPerSecond ? `${Math.round(r.digitsPerSecond)} (${r.median.toFixed(0)} ms/step)` : '–');
const peer = (p) => (p.error ? `cannot: ${p.error}` : rate(p.clean));
console.log(`Training the page's network in Chromium, batch 64, Adam, digits per second (median step; ${options.steps} timed steps, PGD-3 a third):\n`);
console.log('| backend | ours, clean | ours, PGD-3 | TensorFlow.js, clean |\n|---|---|---|---|');
for (const [backend, r] of Object.entries(results)) {
  const peers = Object.entries(r.tfjs).map(([name, p]) => `${name}: ${peer(p)}`).join('; ');
  console.log(`| ${backend === 'cpu' ? 'CPU (our wasm build)' : 'WebGPU'} | ${rate(r.ours.clean)} | ${rate(r.ours.pgd3)} | ${peers} |`);
}
if (options.json) writeFileSync(options.json, JSON.stringify(results, null, 2));
