// "Can you see it?" (issue 20): the perception experiment in the page. A scripted reader labels
// the 20 pictures by keyboard, the network's answers are checked against the API on the same
// pictures, a scripted observer who sees changes only from ε = 0.1 runs the staircase by
// keyboard and gets a threshold near it, the CSV and JSON download; axe-core finds nothing
// serious; on a phone-sized viewport the answers are tapped. The CPU only: the experiment's
// numbers are the engine's, checked on both backends by the other suites.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, launch, mode } from './helpers.mjs';
import { seeded } from '../../www/experiment/seeded.js';

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const AXE_NOISE = /Applying inline style violates the following Content Security Policy/;

async function seriousViolations(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document.getElementById('see-card'), { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  });
}

const phase = (page, pattern) => page.waitForFunction((source) => new RegExp(source).test(document.getElementById('see-status').textContent), pattern.source, { timeout: 120_000 });

describe('can you see it? (no-webgpu)', () => {
  let session;
  let page;
  before(async () => {
    session = await launch(mode('no-webgpu'));
    page = await session.open('/?seed=7', { allowErrors: AXE_NOISE });
    await page.waitForSelector('#see-start', { timeout: 60_000 });
  });
  after(async () => session?.close());

  test('label 20 pictures by keyboard; the network’s answers are its own; the staircase finds the scripted threshold; CSV and JSON', { timeout: 400_000 }, async () => {
    assert.equal(await page.inputValue('#see-seed'), '7', '?seed= sets the seed');
    await page.locator('#see-start').scrollIntoViewIfNeeded();
    await page.click('#see-start');
    await phase(page, /^Picture 1 of 20/);
    assert.deepEqual(await seriousViolations(page), [], 'axe while labelling');
    // The reader answers 3 to every picture (the table must show those answers, whatever they are).
    for (let i = 0; i < 20; i++) {
      await page.waitForFunction((n) => document.getElementById('see-label-stage').dataset.trial === String(n) || n === 20, i);
      await page.keyboard.press(i % 5 === 4 ? 'n' : '3');
    }
    await phase(page, /^Done: your answers/);
    const rows = await page.$$eval('#see-label-table tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
    assert.equal(rows.length, 20);
    assert.deepEqual(rows.map((r) => r.kind).sort(), [...Array(8).fill('adversarial'), ...Array(8).fill('clean'), ...Array(4).fill('fooling')].sort());
    assert.deepEqual(rows.map((r) => r.answer), Array.from({ length: 20 }, (_, i) => (i % 5 === 4 ? 'none' : '3')));

    // The staircase: a scripted observer who sees the change from ε = 0.1 on, and guesses below.
    await page.click('#see-pair-start');
    // A seeded fair coin for the guesses: the whole run is deterministic.
    const random = seeded(2024);
    const coin = () => random() < 0.5;
    for (let trial = 0; trial < 40; trial++) {
      const shown = await page.waitForFunction(() => {
        const stage = document.getElementById('see-pair-stage');
        const status = document.getElementById('see-status').textContent;
        if (stage.hidden) return { done: true };
        return /^Pair \d+/.test(status) && stage.dataset.changed ? { changed: stage.dataset.changed, eps: Number(stage.dataset.eps), status } : null;
      }, null, { timeout: 120_000 }).then((h) => h.jsonValue());
      if (shown.done) break;
      const sees = shown.eps >= 0.1;
      const side = sees ? shown.changed : (coin() ? 'left' : 'right');
      await page.evaluate(() => { document.getElementById('see-pair-stage').dataset.changed = ''; });
      await page.keyboard.press(side === 'left' ? 'ArrowLeft' : 'ArrowRight');
    }
    await page.waitForFunction(() => !document.getElementById('see-pair-results').hidden, null, { timeout: 240_000 });
    const result = await page.evaluate(() => ({ ...document.getElementById('see-pair-results').dataset, text: document.getElementById('see-pair-results').textContent }));
    const threshold = Number(result.threshold);
    assert.ok(threshold > 0.05 && threshold < 0.2, `the threshold ${threshold} is near the scripted observer's 0.1: ${result.text}`);
    assert.ok(Number(result.network) > 0 && Number(result.network) <= 0.5, result.text);
    assert.deepEqual(await seriousViolations(page), [], 'axe at the results');

    // Downloads: the CSV's header and a line per answer; the JSON's pictures, read again by the
    // network through the API, give the network's answers recorded.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#see-csv')]);
    const text = readFileSync(await csv.path(), 'utf8').trim().split('\n');
    assert.equal(text[0], 'part,trial,sample,kind,eps,true_label,answer,network_label,network_confidence,correct');
    assert.ok(text.length >= 21 + 8, `${text.length - 1} lines`);
    assert.ok(text.slice(1).filter((l) => l.startsWith('label,')).length === 20);
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#see-json')]);
    const data = JSON.parse(readFileSync(await json.path(), 'utf8'));
    assert.equal(data.seed, 7);
    const labelled = data.records.filter((r) => r.part === 'label');
    const again = await page.evaluate(async (pictures) => {
      const out = [];
      for (const pixels of pictures) out.push((await window.adversarialDigits.classify(pixels)).label);
      return out;
    }, labelled.map((r) => r.pixels));
    assert.deepEqual(again, labelled.map((r) => r.network), 'the network’s answers recorded are its answers on the pictures shown');
    // Fooling images are read as digits with high confidence; clean ones mostly right.
    assert.ok(labelled.filter((r) => r.kind === 'fooling').every((r) => r.confidence >= 0.9));
    assert.ok(labelled.filter((r) => r.kind === 'clean' && r.network === r.truth).length >= 7);
  });

  test('on a phone-sized screen the answers are tapped', { timeout: 240_000 }, async () => {
    const phone = await session.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const p = await phone.newPage();
    await p.goto(`${session.server.url}/?seed=3&backend=cpu`);
    await p.waitForSelector('#see-start', { timeout: 120_000 });
    await p.locator('#see-start').scrollIntoViewIfNeeded();
    await p.tap('#see-start');
    await phase(p, /^Picture 1 of 20/);
    for (let i = 0; i < 3; i++) {
      await p.tap(`#see-label-stage button[data-answer="${i}"]`);
      await phase(p, new RegExp(`^Picture ${i + 2} of 20`));
    }
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling on a phone: ${width} px wide`);
    const small = await p.$$eval('#see-label-stage button', (buttons) => buttons.filter((b) => { const r = b.getBoundingClientRect(); return r.width < 44 || r.height < 44; }).length);
    assert.equal(small, 0, 'every answer button is at least 44 px');
    await phone.close();
  });

  test('made no request outside its origin and logged no error', () => session.assertClean());
});
