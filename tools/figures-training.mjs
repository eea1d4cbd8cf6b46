#!/usr/bin/env node
// The training presets' figures as a reader gets them (README, "Train it yourself"): each preset
// trained through the page's API in headless Chromium on the CPU (`?backend=cpu`, WebGPU off),
// its time and digits per second taken from the run, then its weights (the page's download)
// evaluated natively on the first 1,000 MNIST test digits, clean and under PGD-20 at 0.1 and 0.3.
// Needs `cargo build --release` (the CLI) and `npm install`.
//
//   node tools/figures-training.mjs [--presets quick,defended-0.1,defended-0.3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startServer } from './serve.mjs';

const argv = process.argv.slice(2);
const presets = (argv[argv.indexOf('--presets') + 1] && argv.includes('--presets') ? argv[argv.indexOf('--presets') + 1] : 'quick,defended-0.1,defended-0.3').split(',');
const cli = join(ROOT, 'target/release/adversarial-digits');
const dir = mkdtempSync(join(tmpdir(), 'training-figures-'));

function evaluate(file, eps) {
  const args = ['eval', '--model', file, '--samples', '1000', '--json', ...(eps ? ['--attack', 'pgd', '--eps', String(eps), '--steps', '20'] : [])];
  return JSON.parse(execFileSync(cli, args, { cwd: ROOT, maxBuffer: 64 << 20 }).toString());
}

const server = await startServer({ port: 0, root: ROOT });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-features=WebGPU'] });
const rows = [];
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/?backend=cpu`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 180_000 });
  for (const preset of presets) {
    const out = await page.evaluate(async (preset) => {
      const checks = [];
      // The page's thread while training: its longest task (the work is the worker's).
      let longest = 0;
      const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longest = Math.max(longest, e.duration); });
      observer.observe({ type: 'longtask' });
      const summary = await window.adversarialDigits.train({ preset, onProgress: (e) => e.type === 'check' && checks.push(e) });
      observer.disconnect();
      return { summary, checks, longestTaskMs: longest, weights: Array.from((await window.adversarialDigits.yourNetwork()).weights) };
    }, preset);
    const file = join(dir, `${preset}.safetensors`);
    writeFileSync(file, Buffer.from(out.weights));
    const clean = evaluate(file);
    const pgd01 = evaluate(file, 0.1);
    const pgd03 = evaluate(file, 0.3);
    const row = { preset, ...out.summary, checks: out.checks, longestTaskMs: out.longestTaskMs, test: { clean: clean.accuracy ?? clean.clean_accuracy, pgd20At01: pgd01.adversarial_accuracy, pgd20At03: pgd03.adversarial_accuracy } };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
} finally {
  await browser.close();
  await server.close();
}
const pct = (v) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`);
const mib = (b) => (b == null ? '?' : (b / 2 ** 20).toFixed(1));
console.log('| preset | time | digits/s | test clean | PGD-20 ε = 0.1 | PGD-20 ε = 0.3 | guard | wasm memory per epoch, MiB | page\'s longest task |\n|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const memory = r.checks.map((c) => mib(c.wasmBytes)).join(' → ');
  console.log(`| ${r.preset} | ${r.seconds.toFixed(0)} s | ${r.imagesPerSecond.toFixed(0)} | ${pct(r.test.clean)} | ${pct(r.test.pgd20At01)} | ${pct(r.test.pgd20At03)} | ${r.collapsed ? 'collapsed: best epoch kept' : r.options.defence === 'clean' ? '–' : 'held'} | ${memory} | ${r.longestTaskMs.toFixed(0)} ms |`);
}
