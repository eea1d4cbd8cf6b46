// Where work runs and what is downloaded again (issue 7): single digits on the engine that took
// over; batches (robustness curves, galleries) on whichever engine measured faster on this
// machine, timed once on the first batch after WebGPU took over. Under ?backend=webgpu everything
// runs on WebGPU, and without WebGPU everything runs on the CPU. A returning reader downloads
// nothing unchanged. The first prediction waits for neither WebGPU nor the panels below it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, launch, mnistTest, mode as modeNamed, report } from './helpers.mjs';

const digits = mnistTest(6);

/** One batched FGSM on the page's standard engine: its call counts before and after, its routing
 * then, and the footer's sentence on batches. */
function oneBatch(page) {
  return page.evaluate(async (digits) => {
    const { getEngine } = await import('/www/models.js');
    const engine = await getEngine('standard');
    const before = { ...engine.calls };
    await engine.attackLabels(Float32Array.from(digits.pixels.flat()), digits.labels, { method: 'fgsm', eps: 0.2 });
    return { before, after: { ...engine.calls }, routing: engine.batchRouting, footer: document.getElementById('backend-batches').textContent };
  }, digits);
}

describe('routing on WebGPU (SwiftShader)', () => {
  let session;
  before(async () => { session = await launch(modeNamed('webgpu')); });
  after(async () => session?.close());

  test('the first batch measures both engines; batches go to the faster, single digits stay on WebGPU', async (t) => {
    const page = await session.open('/');
    const result = await page.evaluate(async (digits) => {
      const { getEngine } = await import('/www/models.js');
      const engine = await getEngine('standard');
      const before = { routing: engine.batchRouting, calls: { ...engine.calls } };
      const pixels = Float32Array.from(digits.pixels.flat());
      const batch = Array.from(await engine.attackLabels(pixels, digits.labels, { method: 'fgsm', eps: 0.2 }));
      const afterBatch = { ...engine.calls };
      const single = [];
      for (let i = 0; i < digits.labels.length; i++) {
        single.push((await engine.attack(pixels.slice(i * 784, (i + 1) * 784), digits.labels[i], { method: 'fgsm', eps: 0.2 })).label);
      }
      // A second batch is not measured again.
      const routing = engine.batchRouting;
      await engine.classifyBatch(pixels);
      return {
        before, routing, sameRouting: routing === engine.batchRouting, batch, single, afterBatch,
        afterSingle: { ...engine.calls }, backend: engine.backend,
        footer: document.getElementById('backend-batches').textContent,
        footerBackend: document.getElementById('backend-batches').dataset.backend,
        api: window.adversarialDigits.batchRouting,
      };
    }, digits);
    report(t, `batch routing ${JSON.stringify(result.routing)}`);

    assert.equal(result.backend, 'webgpu');
    assert.equal(result.before.routing, null, 'nothing measured before the first batch');
    const { routing } = result;
    assert.equal(routing.images, 16);
    assert.ok(routing.cpuMs > 0 && routing.webgpuMs > 0, 'both engines were timed');
    assert.equal(routing.backend, routing.webgpuMs < routing.cpuMs ? 'webgpu' : 'cpu', 'the faster one was chosen');
    assert.ok(result.sameRouting, 'measured once');

    // The batch ran where the routing says (one call), and the single digits on WebGPU.
    const winner = routing.backend;
    assert.equal(result.afterBatch[winner] - result.before.calls[winner], 1);
    assert.equal(result.afterSingle.webgpu - result.afterBatch.webgpu, digits.labels.length);
    // Same network, same answers, wherever it ran.
    assert.deepEqual(result.batch, result.single);

    // The page says where batches run and why, and the API tells the same.
    assert.match(result.footer, new RegExp(`Batches .* run on ${winner === 'webgpu' ? 'WebGPU' : 'the CPU'}, measured faster here: FGSM on 16 digits, [\\d.]+ ms on WebGPU and [\\d.]+ ms on the CPU\\.`));
    assert.equal(result.footerBackend, winner);
    assert.deepEqual(result.api, routing);
    await page.close();
  });

  test('?backend=webgpu: every batch on WebGPU, unmeasured', async () => {
    const page = await session.open('/?backend=webgpu');
    const result = await oneBatch(page);
    assert.deepEqual(result.routing, { backend: 'webgpu', forced: true });
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

  test('downloads the weights and the wasm once: the second visit revalidates them (304, no body)', async () => {
    const statuses = (path) => served.filter((l) => l.endsWith(` ${path}`)).map((l) => Number(l.split(' ')[0]));
    const first = await session.open('/');
    await first.close();
    const second = await session.open('/');
    assert.notEqual(await second.textContent('#prediction'), '');
    await second.close();
    for (const path of ['/models/standard.i8.safetensors', '/pkg/cpu/adversarial_digits_bg.wasm']) {
      assert.deepEqual(statuses(path), [200, 304], `${path}: ${statuses(path)}`);
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
const LATER = ['/www/visualize-panel.js', '/www/robust-panel.js', '/www/chart.js', '/www/share.js', '/www/exercises.js', '/www/exercise-checks.js', '/www/exercises/builtin.json', '/pkg/adversarial_digits_bg.wasm'];

for (const name of ['webgpu', 'no-webgpu']) {
  describe(`the first prediction (${name})`, () => {
    let session;
    before(async () => { session = await launch(modeNamed(name)); });
    after(async () => session?.close());

    test('waits for no panel below the first screen nor for WebGPU, and for at most 1 MiB gzip', async (t) => {
      const page = await session.open('/', { init: markFirstPrediction });
      if (name === 'webgpu') await page.waitForFunction(() => document.getElementById('backend').dataset.backend === 'webgpu', null, { timeout: 120_000 });
      const { first, entries } = await page.evaluate(() => ({
        first: window.__firstPrediction,
        entries: [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
          .filter((e) => e.name.startsWith(location.origin))
          .map((e) => ({ path: new URL(e.name).pathname, start: e.startTime })),
      }));
      assert.ok(first > 0, 'a first prediction was shown');
      const requested = (path) => entries.filter((e) => e.path === path);
      for (const path of LATER) {
        if (path.startsWith('/pkg/') && name !== 'webgpu') continue;
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
