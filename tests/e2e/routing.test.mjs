// Where work runs and what is downloaded again (issues 7 and 16): each class of work (a single
// prediction, an attack on one digit, a batch) on whichever engine measured faster on this
// machine, timed once after WebGPU took over (the CPU meanwhile). Under ?backend=webgpu everything
// runs on WebGPU, and without WebGPU everything runs on the CPU. A returning reader downloads
// nothing unchanged. The first prediction waits for neither WebGPU nor the panels below it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, attackPanelIdle, launch, mnistTest, mode as modeNamed, report, requestsOf, settle } from './helpers.mjs';

const digits = mnistTest(6);

/** One batched FGSM on the page's standard engine: its call counts before and after, its routing
 * then, and the footer's sentence on batches. The page's own panels are let finish first: the
 * counts are the engine worker's, as of its last answer. */
async function oneBatch(page) {
  await settle(page);
  await attackPanelIdle(page);
  return page.evaluate(async (digits) => {
    const { getEngine } = await import('/www/models.js');
    const engine = await getEngine('standard');
    const before = { ...engine.calls };
    await engine.attackLabels(Float32Array.from(digits.pixels.flat()), digits.labels, { method: 'fgsm', eps: 0.2 });
    return { before, after: { ...engine.calls }, routing: engine.batchRouting, allRouting: engine.routing, footer: document.getElementById('backend-batches').textContent };
  }, digits);
}

describe('routing on WebGPU (SwiftShader)', () => {
  let session;
  before(async () => { session = await launch(modeNamed('webgpu')); });
  after(async () => session?.close());

  test('each class of work is measured on both engines and runs on the faster; the footer and the API say where', { timeout: 300_000 }, async (t) => {
    const page = await session.open('/');
    await settle(page);
    await attackPanelIdle(page);
    const result = await page.evaluate(async (digits) => {
      const { getEngine } = await import('/www/models.js');
      const engine = await getEngine('standard');
      await engine.routed;
      const routing = engine.routing;
      const pixels = Float32Array.from(digits.pixels.flat());
      const before = { ...engine.calls };
      const batch = Array.from(await engine.attackLabels(pixels, digits.labels, { method: 'fgsm', eps: 0.2 }));
      const afterBatch = { ...engine.calls };
      const single = [];
      for (let i = 0; i < digits.labels.length; i++) {
        single.push((await engine.attack(pixels.slice(i * 784, (i + 1) * 784), digits.labels[i], { method: 'fgsm', eps: 0.2 })).label);
      }
      const afterSingle = { ...engine.calls };
      for (let i = 0; i < digits.labels.length; i++) await engine.classify(pixels.slice(i * 784, (i + 1) * 784));
      return {
        routing, batch, single, before, afterBatch, afterSingle, afterPredict: { ...engine.calls }, backend: engine.backend,
        footer: document.getElementById('backend-batches').textContent,
        footerBackend: document.getElementById('backend-batches').dataset.backend,
        routingFooter: document.getElementById('backend-routing').textContent,
        routingData: { ...document.getElementById('backend-routing').dataset },
        api: window.adversarialDigits.routing,
        apiBatch: window.adversarialDigits.batchRouting,
      };
    }, digits);
    report(t, `routing ${JSON.stringify(result.routing)}`);

    assert.equal(result.backend, 'webgpu');
    const { routing } = result;
    assert.deepEqual(Object.keys(routing), ['predict', 'attack', 'batch']);
    for (const [kind, r] of Object.entries(routing)) {
      assert.ok(r.cpuMs > 0 && r.webgpuMs > 0, `${kind}: both engines were timed`);
      assert.equal(r.backend, r.webgpuMs < r.cpuMs ? 'webgpu' : 'cpu', `${kind}: the faster one was chosen`);
      assert.equal(result.routingData[kind], r.backend, `${kind}: the footer's data`);
    }
    assert.equal(routing.batch.images, 16);

    // Each class ran where the routing says: the batch in one call, the single digits one call each.
    const ran = (from, to, where) => to[where] - from[where];
    const n = digits.labels.length;
    assert.equal(ran(result.before, result.afterBatch, routing.batch.backend), 1);
    assert.equal(ran(result.afterBatch, result.afterSingle, routing.attack.backend), n);
    assert.equal(ran(result.afterSingle, result.afterPredict, routing.predict.backend), n);
    // Same network, same answers, wherever it ran.
    assert.deepEqual(result.batch, result.single);

    // The page says where each runs and why, and the API tells the same.
    const where = (b) => (b === 'webgpu' ? 'WebGPU' : 'the CPU');
    assert.match(result.footer, new RegExp(`Batches .* run on ${where(routing.batch.backend)}, measured faster here: FGSM on 16 digits, [\\d.]+ ms on WebGPU and [\\d.]+ ms on the CPU\\.`));
    assert.equal(result.footerBackend, routing.batch.backend);
    assert.match(result.routingFooter, new RegExp(`single predictions on ${where(routing.predict.backend)} \\([\\d.]+ ms on WebGPU, [\\d.]+ ms on the CPU\\); attacks on one digit on ${where(routing.attack.backend)}`));
    assert.deepEqual(result.api, routing);
    assert.deepEqual(result.apiBatch, routing.batch);
    await page.close();
  });

  test('?backend=webgpu: every batch on WebGPU, unmeasured', async () => {
    const page = await session.open('/?backend=webgpu');
    const result = await oneBatch(page);
    assert.deepEqual(result.routing, { backend: 'webgpu', forced: true });
    assert.deepEqual(result.allRouting, { predict: { backend: 'webgpu', forced: true }, attack: { backend: 'webgpu', forced: true }, batch: { backend: 'webgpu', forced: true } });
    assert.equal(result.after.webgpu - result.before.webgpu, 1);
    assert.equal(result.after.cpu, result.before.cpu);
    assert.equal(result.footer, '');
    await page.close();
  });

  test('no request outside the origin, no error', () => session.assertClean());
});

describe('routing without WebGPU', () => {
  let session;
  before(async () => { session = await launch(modeNamed('no-webgpu')); });
  after(async () => session?.close());

  test('batches run on the CPU and nothing is measured', async () => {
    const page = await session.open('/');
    const result = await oneBatch(page);
    assert.equal(result.routing, null);
    assert.equal(result.allRouting, null);
    assert.equal(result.footer, '');
    assert.equal(result.after.cpu - result.before.cpu, 1);
    assert.equal(result.after.webgpu, 0);
    await page.close();
  });

  test('no request outside the origin, no error', () => session.assertClean());
});

describe('a returning reader (no-webgpu)', () => {
  const served = []; // the server's log: "STATUS METHOD URL"
  let session;
  before(async () => { session = await launch(modeNamed('no-webgpu'), { server: { log: (line) => served.push(line) } }); });
  after(async () => session?.close());

  test('downloads the weights and the wasm once: every later request revalidates them (304, no body)', async () => {
    const statuses = (path) => served.filter((l) => l.endsWith(` ${path}`)).map((l) => Number(l.split(' ')[0]));
    const first = await session.open('/');
    await first.close();
    const second = await session.open('/');
    assert.notEqual(await second.textContent('#prediction'), '');
    await second.close();
    // The page preloads both and the engine's worker fetches them: one body, the rest 304s.
    for (const path of ['/models/standard.i8.safetensors', '/pkg/cpu/adversarial_digits_bg.wasm']) {
      const seen = statuses(path);
      assert.equal(seen.filter((s) => s === 200).length, 1, `${path}: ${seen}`);
      assert.ok(seen.length >= 2 && seen.every((s) => s === 200 || s === 304), `${path}: ${seen}`);
    }
  });

  test('no request outside the origin, no error', () => session.assertClean());
});

/** Marks, in the page's clock, when the first prediction is shown (run before the page's scripts). */
function markFirstPrediction() {
  new MutationObserver(() => {
    if (window.__firstPrediction == null && Number(document.documentElement.dataset.predictions ?? 0) > 0) window.__firstPrediction = performance.now();
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-predictions'] });
}

/** Modules and files the first prediction must not wait for. */
const LATER = ['/www/input/camera.js', '/www/input/upload.js', '/www/render/print-sheet.js', '/www/panels/visualize-panel.js', '/www/panels/robust-panel.js', '/www/training/train-panel.js', '/www/render/chart.js', '/www/share.js', '/www/exercises.js', '/www/exercise-checks.js', '/www/exercises/builtin.json', '/pkg/adversarial_digits_bg.wasm'];

for (const name of ['webgpu', 'no-webgpu']) {
  describe(`the first prediction (${name})`, () => {
    let session;
    before(async () => { session = await launch(modeNamed(name)); });
    after(async () => session?.close());

    test('waits for no panel below the first screen nor for WebGPU, and for at most 1 MiB gzip', async (t) => {
      const page = await session.open('/', { init: markFirstPrediction });
      if (name === 'webgpu') await page.waitForFunction(() => document.getElementById('backend').dataset.backend === 'webgpu', null, { timeout: 120_000 });
      const first = await page.evaluate(() => window.__firstPrediction);
      // The later parts load once the first prediction is shown, a chain of module imports each:
      // wait until all have been asked for (or a minute has passed) before looking.
      const later = LATER.filter((path) => !(path.startsWith('/pkg/') && name !== 'webgpu'));
      let entries = await requestsOf(page);
      for (const start = Date.now(); Date.now() - start < 60_000 && !later.every((path) => entries.some((e) => e.path === path));) {
        await page.waitForTimeout(200);
        entries = await requestsOf(page);
      }
      assert.ok(first > 0, 'a first prediction was shown');
      const requested = (path) => entries.filter((e) => e.path === path);
      for (const path of later) {
        assert.ok(requested(path).length > 0, `${path} is loaded at all`);
        assert.ok(requested(path).every((e) => e.start > first), `${path} was requested before the first prediction`);
      }
      // Everything requested before it (finished or not), at its gzip -9 size: the target of issue 7.
      const files = [...new Set(entries.filter((e) => e.start < first).map((e) => (e.path === '/' ? '/index.html' : decodeURIComponent(e.path))))];
      const gzip = files.reduce((sum, path) => sum + gzipSync(readFileSync(join(ROOT, path)), { level: 9 }).length, 0);
      report(t, `${files.length} files, ${Math.round(gzip / 1024)} KB gzip requested before the first prediction`);
      assert.ok(files.includes('/pkg/cpu/adversarial_digits_bg.wasm') && files.includes('/models/standard.i8.safetensors'), files.join(' '));
      assert.ok(gzip <= 1024 * 1024, `${Math.round(gzip / 1024)} KB gzip before the first prediction: ${files.join(' ')}`);
      await page.close();
    });

    test('no request outside the origin, no error', () => session.assertClean());
  });
}
