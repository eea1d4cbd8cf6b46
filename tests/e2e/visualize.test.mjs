// What the network looks at (issue 4), in the real page on both backends: saliency and feature
// maps follow the digit live, the class-visualisation and fooling galleries run with progress
// and can be cancelled, and the JS API's functions keep their promises (integrated gradients'
// completeness, determinism for a seed, 99% fooling images for every class).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, afterNext, count, launch } from './helpers.mjs';

const panel = '#visualize-panel';
const liveUpdates = (page) => count(page, panel, 'liveUpdates');
const nextLiveUpdate = (page, action) => afterNext(page, panel, 'liveUpdates', action);

async function runGallery(page, name) {
  await page.click(`#${name}-run`);
  await page.waitForFunction(([sel, key]) => ['done', 'error', 'cancelled'].includes(document.querySelector(sel).dataset[key]), [panel, name === 'class-vis' ? 'classVis' : 'fooling'], { timeout: 300_000 });
  return page.evaluate(([sel, key, grid]) => ({
    state: document.querySelector(sel).dataset[key],
    status: document.getElementById(`${grid}-status`).textContent,
    probabilities: [...document.querySelectorAll(`#${grid}-gallery figure`)].map((f) => Number(f.dataset.probability)),
  }), [panel, name === 'class-vis' ? 'classVis' : 'fooling', name]);
}

for (const mode of MODES) {
  describe(`what the network looks at (${mode.name})`, () => {
    let session;
    let page;
    before(async () => {
      session = await launch(mode);
      page = await session.open('/');
      // The live views work only while on screen: bring the panel into view first.
      await page.locator(panel).scrollIntoViewIfNeeded();
      await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.liveUpdates ?? 0) > 0, panel, { timeout: 120_000 });
    });
    after(async () => session?.close());

    test('saliency and feature maps follow the digit and the controls', async () => {
      const predicted = Number(await page.getAttribute('#prediction', 'data-label'));
      assert.equal(Number(await page.getAttribute('#saliency-map', 'data-explained')), predicted);
      assert.match(await page.textContent('#saliency-info'), /Simonyan/);
      for (const method of ['smoothgrad', 'gradient-x-input', 'integrated-gradients']) {
        await nextLiveUpdate(page, () => page.selectOption('#saliency-method', method));
        assert.equal(await page.getAttribute('#saliency-map', 'data-method'), method);
        assert.match(await page.textContent('#saliency-info'), /20\d\d/);
      }
      await nextLiveUpdate(page, () => page.selectOption('#saliency-class', '3'));
      assert.equal(await page.getAttribute('#saliency-map', 'data-explained'), '3');
      // Another digit: the maps are drawn again, for it.
      const before = await page.getAttribute('#features-conv1', 'data-maximum');
      // Another sample, picked without scrolling the panel out of view.
      await nextLiveUpdate(page, () => page.evaluate(() => document.querySelector('#samples button:nth-child(2)').click()));
      assert.notEqual(await page.getAttribute('#features-conv1', 'data-maximum'), before);
      const sizes = await page.evaluate(() => ['filters', 'conv1', 'conv2', 'hidden'].map((n) => {
        const c = document.getElementById(`features-${n}`);
        return [c.width, c.height];
      }));
      assert.deepEqual(sizes, [[23, 23], [115, 115], [119, 59], [31, 15]]);
    });

    test('off screen, the live views wait, and catch up when scrolled to', async () => {
      await page.evaluate(() => window.scrollTo(0, 0));
      // A live update already in flight (the engine's worker answers after the scroll) is not one the
      // off-screen panel started: wait until the count has been still for a while (2 s: on the
      // emulated GPU, under a loaded machine, one update has taken over 500 ms).
      let before = await liveUpdates(page);
      for (let still = 0; still < 20; still++) {
        await page.waitForTimeout(100);
        const now = await liveUpdates(page);
        if (now !== before) { before = now; still = -1; }
      }
      await page.evaluate(() => document.querySelector('#samples button:nth-child(4)').click());
      await page.waitForFunction(() => document.getElementById('preview-caption').textContent.includes('no. 4'), null, { timeout: 60_000 });
      await page.waitForTimeout(500);
      assert.equal(await liveUpdates(page), before, 'no saliency work while the panel is off screen');
      await nextLiveUpdate(page, () => page.locator(panel).scrollIntoViewIfNeeded());
    });

    test('the class gallery: ten readable digits, with progress, and a cancel button', async () => {
      const { state, probabilities } = await runGallery(page, 'class-vis');
      assert.equal(state, 'done');
      for (let d = 0; d < 10; d++) assert.ok(probabilities[d] > 0.5, `the visualisation of ${d} is read as ${d} (p = ${probabilities[d]})`);
      // Cancel at once (in the same task as the start: on a fast machine the run would finish first).
      await page.evaluate(() => {
        document.getElementById('class-vis-run').click();
        document.getElementById('class-vis-cancel').click();
      });
      await page.waitForFunction((sel) => document.querySelector(sel).dataset.classVis !== 'running', panel, { timeout: 120_000 });
      assert.equal(await page.evaluate((sel) => document.querySelector(sel).dataset.classVis, panel), 'cancelled');
      assert.equal(await page.textContent('#class-vis-status'), 'Cancelled.');
    });

    test('fooling images: noise read as each digit with at least 99% confidence', async () => {
      const { state, status, probabilities } = await runGallery(page, 'fooling');
      assert.equal(state, 'done');
      assert.match(status, /^10 of 10/);
      probabilities.forEach((p, d) => assert.ok(p >= 0.99, `digit ${d}: ${p}`));
    });

    test('the JS API: saliency, class visualisation, fooling image, feature maps', async () => {
      const result = await page.evaluate(async () => {
        const api = window.adversarialDigits;
        const digit = api.current();
        const black = new Float32Array(784);
        const logitsOf = async (pixels) => (await api.featureMaps({ pixels })).layers.find((l) => l.name === 'logits').values;
        const ig = await api.saliency({ method: 'integrated-gradients' });
        const sum = ig.map.reduce((a, b) => a + b, 0);
        const difference = (await logitsOf(digit.pixels))[ig.label] - (await logitsOf(black))[ig.label];
        const a = await api.visualizeClass({ target: 3, steps: 20, seed: 5 });
        const b = await api.visualizeClass({ target: 3, steps: 20, seed: 5 });
        const c = await api.visualizeClass({ target: 3, steps: 20, seed: 6 });
        const fool = await api.foolingImage({ target: 8, seed: 2 });
        const maps = await api.featureMaps();
        let error = null;
        try { await api.saliency({ method: 'nonsense' }); } catch (e) { error = e.message; }
        return {
          label: ig.label, predicted: digit.label, sum, difference, mapLength: ig.map.length,
          same: a.pixels.every((v, i) => v === b.pixels[i]), differs: a.pixels.some((v, i) => v !== c.pixels[i]),
          fool: { success: fool.success, p8: fool.probabilities[8], length: fool.pixels.length },
          layers: maps.layers.map((l) => [l.name, l.channels, l.height, l.width, l.values.length]),
          filters: [maps.filters.channels, maps.filters.height, maps.filters.width],
          error,
        };
      });
      assert.equal(result.label, result.predicted);
      assert.equal(result.mapLength, 784);
      // Completeness (Sundararajan et al.): within 5% of the score difference from black.
      assert.ok(Math.abs(result.sum - result.difference) <= 0.05 * Math.abs(result.difference), `${result.sum} vs ${result.difference}`);
      assert.ok(result.same, 'the same seed gives the same class visualisation');
      assert.ok(result.differs, 'another seed gives another');
      assert.deepEqual(result.fool, { success: true, p8: result.fool.p8, length: 784 });
      assert.ok(result.fool.p8 >= 0.99);
      assert.deepEqual(result.layers, [['conv1', 16, 28, 28, 12544], ['conv2', 32, 14, 14, 6272], ['hidden', 128, 1, 1, 128], ['logits', 10, 1, 1, 10]]);
      assert.deepEqual(result.filters, [16, 5, 5]);
      assert.match(result.error, /unknown saliency method/);
    });
  });
}
