// The compact embed (issue 21): each compact view's height at four column widths, no empty grid
// cell, nothing past the edge; the poster it shows until it loads is what the engine computes;
// the blog post loads the engine once, when the first demo comes near, without moving its text
// (cumulative layout shift); a reader on a phone scrolls to a demo, moves ε and sees the flip on
// one screen; axe-core and the keyboard on every compact view; the poster without JavaScript.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDS, WIDTHS, embedSettled, hostPage, windowFor } from '../../tools/embed-shots.mjs';
import { ROOT, SEVEN, launch, mode as modeNamed, report, stroke } from './helpers.mjs';

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const POSTER_MODULE = readFileSync(join(ROOT, 'www/embed/poster.js'), 'utf8');
const POSTER = JSON.parse(POSTER_MODULE.slice(POSTER_MODULE.indexOf('{'), POSTER_MODULE.lastIndexOf('}') + 1));

/** Height limits (px) at a 736 px column and wider; at 320-390 px, 1.5 times as much. */
const LIMITS = { attack: 520, 'classify-attack': 640, classify: 520, visualise: 520, robust: 640, 'attack-all-controls': 520, 'classify-attack-all-controls': 640 };
const limitAt = (name, width) => (width >= 736 ? LIMITS[name] : LIMITS[name] * 1.5);

/** The engine's files: the worker, both wasm builds and their glue, the standard weights. */
const ENGINE = /\/(www\/engine\/engine-worker\.js|pkg\/(cpu\/)?adversarial_digits(_bg\.wasm|\.js)|models\/standard\.i8\.safetensors)$/;

/**
 * Layout faults inside the embed at the current width: grid rows with an empty cell (a track no
 * visible child covers), and elements past the embed's right edge.
 */
function layoutFaults() {
  const host = document.querySelector('adversarial-digits');
  const edge = host.getBoundingClientRect().right + 0.5;
  const faults = [];
  // checkVisibility: not hidden, and not inside a closed <details> (content-visibility: hidden).
  const visible = (e) => e.getClientRects().length > 0 && e.checkVisibility({ visibilityProperty: true });
  const name = (e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}#${e.id}`;
  for (const e of host.shadowRoot.querySelectorAll('*')) {
    if (!visible(e)) continue;
    if (e.getBoundingClientRect().right > edge) faults.push(`past the edge: ${name(e)}`);
    const style = getComputedStyle(e);
    if (style.display !== 'grid') continue;
    // The grid's tracks, as [start, end] in px (auto-fit's collapsed tracks, 0 wide, do not count).
    const box = e.getBoundingClientRect();
    const spans = (template, origin, gap) => {
      const out = [];
      template.split(' ').map(parseFloat).reduce((x, w) => { if (w > 0.5) out.push([x, x + w]); return x + w + gap; }, origin);
      return out;
    };
    const columns = spans(style.gridTemplateColumns, box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft), parseFloat(style.columnGap) || 0);
    const rows = spans(style.gridTemplateRows, box.top + parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop), parseFloat(style.rowGap) || 0);
    const children = [...e.children].filter((c) => visible(c) && getComputedStyle(c).position !== 'absolute');
    if (columns.length < 2 || children.length === 0) continue;
    // A child covers the tracks its box overlaps, or at least the one its start lies in (an item
    // narrower or shorter than its cell).
    const covers = (tracks, from, to) => tracks.flatMap(([a, b], i) => ((from < b - 1 && to > a + 1) || (from >= a - 1 && from < b) ? [i] : []));
    const covered = rows.map(() => new Set());
    for (const c of children) {
      const r = c.getBoundingClientRect();
      for (const row of covers(rows, r.top, r.bottom)) for (const column of covers(columns, r.left, r.right)) covered[row].add(column);
    }
    covered.forEach((set, row) => {
      if (set.size < columns.length) faults.push(`empty grid cell: ${name(e)}, row ${row + 1}: ${set.size} of ${columns.length} columns`);
    });
  }
  return faults;
}

/** axe-core's serious and critical violations in `p`, shadow roots included. */
async function axeSerious(p) {
  await p.evaluate(AXE);
  return p.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  });
}
const AXE_NOISE = /Applying inline style violates the following Content Security Policy/;

describe('compact embeds (no-webgpu)', () => {
  let session;
  const routes = Object.fromEntries(EMBEDS.flatMap((e) => ['light', 'dark'].map((theme) => [
    `/test/${e.name}-${theme}.html`, { type: 'text/html; charset=utf-8', body: hostPage(e.attributes, { theme }) },
  ])));
  before(async () => {
    session = await launch(modeNamed('no-webgpu'), {
      routes: {
        ...routes,
        '/test/full.html': { type: 'text/html; charset=utf-8', body: hostPage('layout="full" view="classify attack visualise robust"') },
        // Far below the fold: it must load nothing until scrolled near.
        '/test/far.html': { type: 'text/html; charset=utf-8', body: hostPage('view="attack" controls="samples,eps"', { lazy: true, before: '<p>A paragraph of the post.</p>'.repeat(120) }) },
      },
    });
  });
  after(async () => session?.close());

  for (const embed of EMBEDS) {
    test(`${embed.name}: height within the limits at ${WIDTHS.join(', ')} px, no empty grid cell, nothing past the edge`, { timeout: 180_000 }, async (t) => {
      const p = await session.open(`/test/${embed.name}-light.html`, { until: () => document.querySelector('adversarial-digits')?.dataset.ready === 'true' });
      await embedSettled(p);
      const heights = [];
      for (const width of WIDTHS) {
        await p.setViewportSize({ width: windowFor(width), height: 1000 });
        await p.waitForTimeout(150);
        const height = (await p.locator('adversarial-digits').boundingBox()).height;
        heights.push(Math.round(height));
        assert.ok(height <= limitAt(embed.name, width), `${embed.name} at ${width} px: ${Math.round(height)} px > ${limitAt(embed.name, width)}`);
        assert.deepEqual(await p.evaluate(layoutFaults), [], `${embed.name} at ${width} px`);
      }
      // What is behind "More" fits as well (no limit on the height there: the reader asked for it).
      for (const summary of await p.locator('adversarial-digits .more > summary').all()) await summary.click();
      for (const width of WIDTHS) {
        await p.setViewportSize({ width: windowFor(width), height: 1000 });
        await p.waitForTimeout(150);
        assert.deepEqual(await p.evaluate(layoutFaults), [], `${embed.name} at ${width} px, "More" open`);
      }
      report(t, `${embed.name}: ${heights.map((h, i) => `${h} px at ${WIDTHS[i]}`).join(', ')}`);
      await p.close();
    });
  }

  test(`the full layout (every view): no empty grid cell, nothing past the edge at ${WIDTHS.join(', ')} px`, { timeout: 180_000 }, async () => {
    const p = await session.open('/test/full.html', { until: () => document.querySelector('adversarial-digits')?.dataset.ready === 'true' });
    await embedSettled(p);
    for (const width of WIDTHS) {
      await p.setViewportSize({ width: windowFor(width), height: 1000 });
      await p.waitForTimeout(150);
      assert.deepEqual(await p.evaluate(layoutFaults), [], `full layout at ${width} px`);
    }
    await p.close();
  });

  for (const theme of ['light', 'dark']) {
    test(`axe: every compact view (${theme}), with "More" open too`, { timeout: 240_000 }, async () => {
      for (const embed of EMBEDS) {
        const p = await session.open(`/test/${embed.name}-${theme}.html`, { until: () => document.querySelector('adversarial-digits')?.dataset.ready === 'true', allowErrors: AXE_NOISE });
        await p.emulateMedia({ colorScheme: theme });
        await embedSettled(p);
        assert.deepEqual(await axeSerious(p), [], `${embed.name} (${theme})`);
        for (const summary of await p.locator('adversarial-digits .more > summary').all()) await summary.click();
        await p.waitForTimeout(300);
        assert.deepEqual(await axeSerious(p), [], `${embed.name} (${theme}), "More" open`);
        await p.close();
      }
    });
  }

  test('the keyboard reaches "More" and opens it; the slider moves ε', { timeout: 120_000 }, async () => {
    const p = await session.open('/test/classify-attack-light.html', { until: () => document.querySelector('adversarial-digits')?.dataset.ready === 'true' });
    await embedSettled(p);
    const focused = () => p.evaluate(() => {
      let e = document.activeElement;
      while (e?.shadowRoot?.activeElement) e = e.shadowRoot.activeElement;
      return e ? `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}` : null;
    });
    const reached = [];
    for (let i = 0; i < 40 && !reached.includes('summary'); i++) {
      await p.keyboard.press('Tab');
      reached.push(await focused());
    }
    assert.ok(reached.some((f) => /attack-eps$/.test(f)), `ε slider not reached: ${reached.join(', ')}`);
    assert.ok(reached.includes('summary'), `"More" not reached: ${reached.join(', ')}`);
    await p.keyboard.press('Enter');
    assert.equal(await p.evaluate(() => document.querySelector('adversarial-digits').shadowRoot.querySelector('.more').open), true);
    await p.keyboard.press('Tab');
    assert.match(await focused(), /attack-method$/, 'the first control inside "More"');
    await p.close();
  });

  test('drawing on the row\'s first picture: the paper shows, the drawing is read and attacked; a sample replaces it', { timeout: 120_000 }, async () => {
    const p = await session.open('/test/classify-attack-light.html', { until: () => document.querySelector('adversarial-digits')?.dataset.ready === 'true' });
    await embedSettled(p);
    const read = () => p.evaluate(() => {
      const r = document.querySelector('adversarial-digits').shadowRoot;
      return {
        shows: r.querySelector('.input-stack').dataset.source, label: r.querySelector('.prediction').dataset.label,
        source: r.querySelector('[id$="preview-canvas"]').dataset.source, results: Number(r.querySelector('.attack-panel').dataset.results ?? 0),
        original: r.querySelector('[id$="attack-original-caption"]').textContent,
      };
    });
    const before = await read();
    assert.equal(before.shows, 'digit', 'a sample is shown over the paper');
    await stroke(p, SEVEN, await p.locator('adversarial-digits .draw-canvas').boundingBox());
    await p.waitForFunction((n) => {
      const r = document.querySelector('adversarial-digits').shadowRoot;
      return r.querySelector('[id$="preview-canvas"]').dataset.source === 'draw' && Number(r.querySelector('.attack-panel').dataset.results ?? 0) > n;
    }, before.results, { timeout: 60_000 });
    const drawn = await read();
    assert.equal(drawn.shows, 'draw', 'the paper shows while drawing');
    assert.equal(drawn.label, '7', 'the drawn 7 is read as a 7');
    assert.match(drawn.original, /Original: 7/);
    // A sample picked afterwards replaces the drawing (blank paper under it).
    await p.locator('adversarial-digits .sample[data-index="1"]').click();
    await p.waitForFunction(() => document.querySelector('adversarial-digits').shadowRoot.querySelector('[id$="preview-canvas"]').dataset.source === 'sample', null, { timeout: 60_000 });
    assert.equal((await read()).shows, 'digit');
    const ink = await p.evaluate(() => {
      const canvas = document.querySelector('adversarial-digits').shadowRoot.querySelector('.draw-canvas');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
      return dark;
    });
    assert.equal(ink, 0, 'the drawing was cleared when a sample replaced it');
    await p.close();
  });

  test('the poster is what the engine computes, shown until the embed comes near; then it loads', { timeout: 120_000 }, async () => {
    const p = await session.open('/test/far.html', { until: () => document.querySelector('adversarial-digits')?.shadowRoot?.querySelector('.attack-result')?.textContent });
    await p.waitForTimeout(1500);
    const early = await p.evaluate(() => {
      const host = document.querySelector('adversarial-digits');
      const r = host.shadowRoot;
      return {
        ready: host.dataset.ready ?? null, poster: r.querySelector('.demo').dataset.poster,
        result: r.querySelector('.attack-result').textContent, height: host.getBoundingClientRect().height,
        loaded: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
      };
    });
    assert.equal(early.ready, null, 'not started far below the fold');
    assert.equal(early.poster, 'true');
    assert.match(early.result, new RegExp(`reads a ${POSTER.output.label} .* where it read a ${POSTER.input.label}`));
    assert.deepEqual(early.loaded.filter((path) => ENGINE.test(path)), [], 'engine files fetched before the embed came near');
    // Scrolled near, it loads and keeps its height; the default attack gives the poster's answer.
    const result = p.evaluate(() => new Promise((resolve) => addEventListener('adversarialdigits:attack', (e) => resolve({ label: e.detail.label, original: e.detail.original.label, method: e.detail.method, eps: e.detail.eps, pixels: Array.from(e.detail.pixels) }), { once: true })));
    await p.evaluate(() => document.querySelector('adversarial-digits').scrollIntoView());
    const live = await result;
    assert.equal(live.method, POSTER.method);
    assert.equal(live.eps, POSTER.eps);
    assert.equal(live.original, POSTER.input.label);
    assert.equal(live.label, POSTER.output.label, 'the poster shows the label the engine gives (rerun tools/poster.mjs)');
    const posterPixels = Buffer.from(POSTER.output.pixels, 'base64');
    const worst = Math.max(...live.pixels.map((v, i) => Math.abs(v - posterPixels[i] / 255)));
    assert.ok(worst <= 1 / 255, `the poster's adversarial digit differs from the engine's by ${worst} (rerun tools/poster.mjs)`);
    const catalogue = await p.evaluate(() => window.adversarialDigits.attackMethods);
    assert.deepEqual(POSTER.catalogue, catalogue, 'the poster\'s copy of the catalogue is the engine\'s (rerun tools/poster.mjs)');
    const height = await p.evaluate(() => document.querySelector('adversarial-digits').getBoundingClientRect().height);
    assert.ok(Math.abs(height - early.height) <= 1, `the embed changed height when it came alive: ${early.height} → ${height}`);
    await p.close();
  });

  test('without JavaScript: each embed of the blog post shows its poster and a link; embed.html too', { timeout: 60_000 }, async () => {
    const context = await session.browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 900 } });
    const p = await context.newPage();
    await p.goto(`${session.server.url}/www/examples/blog-post.html`);
    const posters = await p.evaluate(() => [...document.querySelectorAll('adversarial-digits')].map((e) => {
      const img = e.querySelector('a > img');
      return { href: e.querySelector('a')?.getAttribute('href'), loaded: !!img && img.complete && img.naturalWidth > 0, shown: !!img && img.getBoundingClientRect().height > 100 };
    }));
    assert.equal(posters.length, 5);
    for (const poster of posters) assert.deepEqual(poster, { href: '../../index.html', loaded: true, shown: true });
    await p.goto(`${session.server.url}/embed.html?view=attack`);
    const framed = await p.evaluate(() => ({ img: document.querySelector('img[src="www/embed/poster.png"]')?.complete, link: document.querySelector('a[href="index.html"]') != null }));
    assert.deepEqual(framed, { img: true, link: true });
    await context.close();
  });

  test('no request outside the origin, no error', () => session.assertClean());
});

for (const modeName of ['no-webgpu', 'webgpu']) {
  describe(`the blog post's embeds, coming alive (${modeName})`, () => {
    let session;
    before(async () => { session = await launch(modeNamed(modeName)); });
    after(async () => session?.close());

    test('the engine is requested once, when the first demo comes near; each demo starts as it comes near; layout shift < 0.05', { timeout: 420_000 }, async (t) => {
      const context = await session.browser.newContext({ viewport: { width: 390, height: 360 } });
      const requested = [];
      context.on('request', (r) => requested.push(new URL(r.url()).pathname));
      const p = await context.newPage();
      await p.addInitScript(() => {
        window.shifts = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) if (!e.hadRecentInput) window.shifts.push(e.value);
        }).observe({ type: 'layout-shift', buffered: true });
      });
      await p.goto(`${session.server.url}/www/examples/blog-post.html`);
      await p.waitForTimeout(2000);
      const engine = () => requested.filter((path) => ENGINE.test(path));
      const state = () => p.evaluate(() => [...document.querySelectorAll('adversarial-digits')].map((e) => ({ ready: e.dataset.ready ?? null, top: e.getBoundingClientRect().top })));
      const first = await state();
      assert.ok(first[0].top > 360 + 400, `the first demo must start below the fold for this test (top ${first[0].top})`);
      assert.deepEqual(engine(), [], 'engine files requested before any demo was near');
      assert.ok(first.every((e) => e.ready === null), 'a demo started far from the viewport');

      // Down the post, one demo at a time: each starts once near, the others wait.
      for (let n = 0; n < first.length; n++) {
        await p.evaluate((n) => document.querySelectorAll('adversarial-digits')[n].scrollIntoView({ block: 'center' }), n);
        await p.waitForFunction((n) => document.querySelectorAll('adversarial-digits')[n].dataset.ready === 'true', n, { timeout: 180_000 });
        const now = await state();
        const far = now.filter((e, i) => i > n && e.top > 360 + 400 + 10);
        assert.ok(far.every((e) => e.ready === null), `demo ${n + 1}: a demo further down started early`);
        await p.waitForTimeout(800);
      }
      const files = engine();
      const once = [...new Set(files)];
      assert.deepEqual(files.sort(), once.sort(), `an engine file requested twice: ${files.join(', ')}`);
      assert.ok(files.some((f) => f.endsWith('engine-worker.js')) && files.some((f) => f.endsWith('.wasm')), `the engine was loaded: ${files.join(', ')}`);
      const cls = await p.evaluate(() => window.shifts.reduce((a, b) => a + b, 0));
      report(t, `cumulative layout shift ${cls.toFixed(4)}; engine files: ${files.join(', ')}`);
      assert.ok(cls < 0.05, `cumulative layout shift ${cls}`);
      await context.close();
    });

    if (modeName === 'no-webgpu') {
      test('a reader on a phone scrolls to the second demo, moves ε and sees the flip on one screen', { timeout: 180_000 }, async () => {
        const context = await session.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
        const p = await context.newPage();
        await p.goto(`${session.server.url}/www/examples/blog-post.html`);
        const demo = p.locator('adversarial-digits').nth(1);
        await demo.scrollIntoViewIfNeeded();
        await p.waitForFunction(() => Number(document.querySelectorAll('adversarial-digits')[1].shadowRoot.querySelector('.attack-panel').dataset.results ?? 0) > 0, null, { timeout: 120_000 });
        const results = () => p.evaluate(() => Number(document.querySelectorAll('adversarial-digits')[1].shadowRoot.querySelector('.attack-panel').dataset.results ?? 0));
        const slider = demo.locator('input[id$="attack-eps"]');
        // Down to a budget too small to fool it, then up until the label flips: the keyboard's steps.
        await slider.focus();
        let n = await results();
        await p.keyboard.press('Home');
        await p.waitForFunction((n) => Number(document.querySelectorAll('adversarial-digits')[1].shadowRoot.querySelector('.attack-panel').dataset.results ?? 0) > n, n, { timeout: 60_000 });
        const flipped = () => demo.locator('.attack-result').getAttribute('data-flipped');
        assert.equal(await flipped(), 'false', 'no change at ε = 0');
        for (let i = 0; i < 40 && (await flipped()) !== 'true'; i++) {
          n = await results();
          await p.keyboard.press('ArrowRight');
          await p.waitForFunction((n) => Number(document.querySelectorAll('adversarial-digits')[1].shadowRoot.querySelector('.attack-panel').dataset.results ?? 0) > n, n, { timeout: 60_000 });
        }
        assert.equal(await flipped(), 'true', 'the label flipped as ε grew');
        // All of it on one screen: the digit, the noise, the adversarial digit and the new label.
        const boxes = await p.evaluate(() => {
          const r = document.querySelectorAll('adversarial-digits')[1].shadowRoot;
          const box = (s) => { const b = r.querySelector(s).getBoundingClientRect(); return { top: b.top, bottom: b.bottom, left: b.left, right: b.right }; };
          return { view: { width: innerWidth, height: innerHeight }, input: box('.input-stack'), noise: box('[id$="attack-noise"]'), adversarial: box('[id$="attack-adversarial"]'), label: box('[id$="attack-adversarial-caption"]'), result: box('.attack-result'), eps: box('input[id$="attack-eps"]') };
        });
        for (const [what, b] of Object.entries(boxes)) {
          if (what === 'view') continue;
          assert.ok(b.top >= 0 && b.bottom <= boxes.view.height && b.left >= 0 && b.right <= boxes.view.width, `${what} outside the screen: ${JSON.stringify(b)}`);
        }
        await context.close();
      });
    }

    test('no request outside the origin, no error', () => session.assertClean());
  });
}
