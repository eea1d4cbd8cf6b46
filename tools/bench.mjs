#!/usr/bin/env node
// The bench command: sizes of what a reader downloads, then the bench page (bench/) in headless
// Chromium on each backend. Prints one Markdown table. Timings are medians with the 10th and
// 90th percentiles; they are reported, never asserted (these machines are noisy).
// Usage: node tools/bench.mjs [--runs N]
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';
import { ROOT } from '../tests/e2e/helpers.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 30);
const size = (path) => {
  const bytes = readFileSync(join(ROOT, path));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const ms = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

console.log('| file | raw | gzip |\n|---|---|---|');
for (const file of ['pkg/cpu/adversarial_digits_bg.wasm', 'pkg/cpu/adversarial_digits.js', 'pkg/adversarial_digits_bg.wasm', 'pkg/adversarial_digits.js', 'models/standard.safetensors']) {
  const s = size(file);
  console.log(`| ${file} | ${kb(s.raw)} | ${kb(s.gzip)} |`);
}

const server = await startServer({ port: 0, root: ROOT });
const results = {};
for (const [backend, args] of [['cpu', ['--disable-features=WebGPU']], ['webgpu', ['--enable-unsafe-webgpu']]]) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...args],
  });
  const page = await browser.newPage();
  // SwiftShader emulates the GPU on the CPU: far fewer runs there.
  await page.goto(`${server.url}/bench/?backend=${backend}&runs=${backend === 'webgpu' ? Math.max(3, Math.ceil(runs / 6)) : runs}`);
  await page.waitForFunction(() => document.documentElement.dataset.done, null, { timeout: 1_200_000 });
  results[backend] = await page.evaluate(() => window.benchResult);
  await browser.close();
}
await server.close();

console.log(`\n| operation (batch 1) | CPU (flex, wasm) median [p10–p90] ms | WebGPU (${'SwiftShader'}) median [p10–p90] ms |\n|---|---|---|`);
console.log(`| navigation → first prediction | ${ms(results.cpu.firstPredictionMs)} | ${ms(results.webgpu.firstPredictionMs)} |`);
for (const row of results.cpu.rows) {
  const gpu = results.webgpu.rows.find((r) => r.name === row.name);
  const cell = (r) => `${ms(r.median)} [${ms(r.p10)}–${ms(r.p90)}]`;
  console.log(`| ${row.name} | ${cell(row)} | ${gpu ? cell(gpu) : '–'} |`);
}
console.log(`\nbackends reported by the page: cpu=${results.cpu.backend}, webgpu=${results.webgpu.backend}; ${runs} runs (fewer for slow attacks)`);
