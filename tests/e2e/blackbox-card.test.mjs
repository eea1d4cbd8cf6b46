// "Without the gradient", the card (issue 18): a black-box attack's search streamed to the page as
// it runs (queries, best image, probabilities), compared with a gradient attack on the same digit;
// fooling images evolved from the scores alone beside the gradient's; the API's `onProgress`,
// Square L2 and HopSkipJump aimed at a digit. The CPU runs the card; WebGPU (forced, emulated)
// checks that the stream and the new methods run on the device too, on a small budget.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, launch, mnistTest } from './helpers.mjs';

const mode = (name) => MODES.find((m) => m.name === name);

describe('the black-box card (no-webgpu)', () => {
  let session;
  let page;
  before(async () => {
    session = await launch(mode('no-webgpu'));
    page = await session.open('/');
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 180_000 });
    await page.waitForSelector('#bb-run', { timeout: 60_000 });
  });
  after(async () => session?.close());

  test('the query counter moves while HopSkipJump searches, then the result beside C&W', { timeout: 300_000 }, async () => {
    await page.locator('#bb-run').scrollIntoViewIfNeeded();
    await page.selectOption('#bb-method', 'hopskipjump');
    assert.match(await page.textContent('#bb-sees'), /only the top label/);
    // Every value the counter shows, as it shows it.
    await page.evaluate(() => {
      window.seenQueries = [];
      new MutationObserver(() => window.seenQueries.push(Number(document.getElementById('bb-queries').dataset.queries)))
        .observe(document.getElementById('bb-queries'), { attributes: true, attributeFilter: ['data-queries'] });
    });
    await page.click('#bb-run');
    await page.waitForFunction(() => /after \d+ queries/.test(document.getElementById('bb-status').textContent), null, { timeout: 240_000 });
    const seen = await page.evaluate(() => window.seenQueries);
    const status = await page.textContent('#bb-status');
    assert.match(status, /fooled/, status);
    const final = Number(status.match(/after (\d+) queries/)[1]);
    const during = seen.filter((q) => q < final);
    assert.ok(new Set(during).size >= 2, `the counter moved during the search: ${seen.join(', ')}`);
    assert.ok(seen.every((q, i) => i === 0 || q >= seen[i - 1]), `never backwards: ${seen.join(', ')}`);
    assert.ok(final <= 5000);
    const rows = await page.$$eval('#bb-compare tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.equal(rows.length, 2);
    assert.match(rows[0][1], /labels/);
    assert.match(rows[1][1], /gradient/);
    assert.match(rows[1][0], /Carlini/);
  });

  test('Square on the defended network streams its probabilities; the budget holds', { timeout: 300_000 }, async () => {
    const { pixels, labels } = mnistTest(1);
    const out = await page.evaluate(async ({ pixels, label }) => {
      const api = window.adversarialDigits;
      const progress = [];
      const result = await api.attack({ pixels, label, method: 'square', eps: 0.3, queries: 2000, model: 'robust', onProgress: (p) => progress.push({ queries: p.queries, top: Array.from(p.probabilities), pixels: p.pixels.length }) });
      return { progress, queries: result.queries, success: result.success };
    }, { pixels: pixels[0], label: labels[0] });
    assert.ok(out.progress.length >= 2, `${out.progress.length} reports`);
    assert.ok(out.progress.every((p, i) => p.pixels === 784 && p.top.length === 10 && (i === 0 || p.queries >= out.progress[i - 1].queries)));
    assert.ok(out.progress.at(-1).queries <= out.queries && out.queries <= 2000, JSON.stringify(out.progress.at(-1)));
    // Each report is the search's best so far: the margin it drives down (the true digit's
    // log-probability less the best other's) never rises.
    const margin = out.progress.map((p) => Math.log(Math.max(p.top[labels[0]], 1e-30)) - Math.log(Math.max(...p.top.filter((_, k) => k !== labels[0]), 1e-30)));
    assert.ok(margin.every((m, i) => i === 0 || m <= margin[i - 1] + 1e-4), margin.join(', '));
  });

  test('fooling images evolved from the scores alone: all ten digits at 99%', { timeout: 300_000 }, async () => {
    await page.locator('#bb-evolve').scrollIntoViewIfNeeded();
    await page.click('#bb-evolve');
    await page.waitForFunction(() => document.getElementById('bb-evolve-status').dataset.done === 'true' || /failed/.test(document.getElementById('bb-evolve-status').textContent), null, { timeout: 280_000 });
    const status = await page.textContent('#bb-evolve-status');
    assert.match(status, /^Evolved: 10 of 10 digits read with 99% certainty, the slowest after [\d,]+ queries\.$/, status);
    const success = await page.$$eval('#bb-evolved-gallery figure', (figures) => figures.map((f) => f.dataset.success));
    assert.deepEqual(success, Array(10).fill('true'));
    // Through the API: the image it returns is what the network reads as the target.
    const api = await page.evaluate(async () => {
      const r = await window.adversarialDigits.foolingImage({ target: 4, evolve: true });
      const c = await window.adversarialDigits.classify(r.pixels);
      return { success: r.success, queries: r.queries, label: c.label, p: c.probabilities[4] };
    });
    assert.ok(api.success && api.label === 4 && api.p >= 0.99 && api.queries > 0 && api.queries <= 20000, JSON.stringify(api));
  });

  test('made no request outside its origin and logged no error', () => session.assertClean());
});

describe('black-box streaming on WebGPU (forced)', () => {
  let session;
  let page;
  before(async () => {
    session = await launch(mode('webgpu'));
    page = await session.open('/?backend=webgpu');
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 180_000 });
  });
  after(async () => session?.close());

  test('Square L2 and HopSkipJump aimed at a digit run on the device and report progress', { timeout: 400_000 }, async () => {
    const { pixels, labels } = mnistTest(40);
    const start = labels.indexOf(3);
    const out = await page.evaluate(async ({ pixels, label, start }) => {
      const api = window.adversarialDigits;
      const reports = [];
      const l2 = await api.attack({ pixels, label, method: 'square-l2', eps: 2, queries: 40, onProgress: (p) => reports.push(p.queries) });
      const hsj = await api.attack({ pixels, label, method: 'hopskipjump', target: 3, start, queries: 300 });
      return { reports, l2: { queries: l2.queries, norm: l2.norms.l2 }, hsj: { label: hsj.label, queries: hsj.queries }, backend: api.backend };
    }, { pixels: pixels[0], label: labels[0], start: pixels[start] });
    assert.equal(out.backend, 'webgpu');
    assert.ok(out.reports.length >= 1 && out.l2.queries <= 40 && out.l2.norm <= 2 + 1e-4, JSON.stringify(out));
    assert.equal(out.hsj.label, 3, 'aimed at a 3 from a 3, it stays a 3 while it nears the 7');
    assert.ok(out.hsj.queries <= 300);
  });

  test('made no request outside its origin and logged no error', () => session.assertClean());
});
