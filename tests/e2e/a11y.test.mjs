// Accessibility (issue 6): axe-core finds no serious or critical violation on the main page and
// the blog post, in light and dark; every control is reached with Tab and works from the
// keyboard (drawing included); results are announced; reduced motion stops the replay.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, launch, mode as modeNamed, predictionAfter, report, settle } from './helpers.mjs';

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** axe-core's violations in `p` (shadow roots included), as {id, impact, nodes: [target…]}. */
async function axeViolations(p) {
  // Through the DevTools protocol, which the page's CSP does not govern (no script is added to it).
  await p.evaluate(AXE);
  return p.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
}

// axe-core measures colours with elements of its own, styled inline, which the pages' CSP refuses
// (and logs); the same pages are checked for errors without axe in the other suites.
const AXE_NOISE = /Applying inline style violates the following Content Security Policy/;
const serious = (violations) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
const embedsReady = () => [...document.querySelectorAll('adversarial-digits')].every((e) => e.dataset.ready === 'true');
const attackResults = (p) => p.evaluate(() => Number(document.getElementById('attack-panel').dataset.results ?? 0));

describe('accessibility (no-webgpu)', () => {
  let session;
  before(async () => { session = await launch(modeNamed('no-webgpu')); });
  after(async () => session?.close());

  for (const scheme of ['light', 'dark']) {
    test(`axe: the main page has no serious or critical violation (${scheme})`, { timeout: 120_000 }, async (t) => {
      const p = await session.open('/#sample=0&attack=fgsm&eps=0.3', { allowErrors: AXE_NOISE });
      await p.emulateMedia({ colorScheme: scheme });
      await p.waitForFunction(() => document.getElementById('exercises').dataset.ready === 'true');
      await p.waitForFunction(() => document.getElementById('attack-result').dataset.flipped === 'true', null, { timeout: 60_000 });
      // Everything that shows only after a use: a verdict, code output, the share field.
      await p.click('#exercise-fgsm-by-hand .check');
      await p.waitForFunction(() => document.getElementById('exercise-fgsm-by-hand-verdict').dataset.kind === 'fail', null, { timeout: 60_000 });
      await settle(p);
      const violations = await axeViolations(p);
      report(t, `${scheme}: ${violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`).join(', ') || 'no violation'}`);
      assert.deepEqual(serious(violations), []);
      await p.close();
    });

    test(`axe: the blog post has no serious or critical violation (${scheme})`, { timeout: 120_000 }, async (t) => {
      const p = await session.open('/www/examples/blog-post.html', { until: embedsReady, allowErrors: AXE_NOISE, wake: true });
      await p.emulateMedia({ colorScheme: scheme });
      await p.waitForFunction(() => [...document.querySelectorAll('adversarial-digits')].every((e) => {
        const panel = e.shadowRoot.querySelector('.attack-panel');
        return !panel || Number(panel.dataset.results ?? 0) > 0;
      }), null, { timeout: 60_000 });
      const violations = await axeViolations(p);
      report(t, `${scheme}: ${violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`).join(', ') || 'no violation'}`);
      assert.deepEqual(serious(violations), []);
      await p.close();
    });
  }

  test('Tab reaches every control of the main page, and each has a name', { timeout: 120_000 }, async () => {
    const p = await session.open('/');
    await p.waitForFunction(() => document.getElementById('exercises').dataset.ready === 'true');
    const controls = await p.evaluate(() => {
      const all = [...document.querySelectorAll('button, input, select, textarea, a[href], [tabindex="0"]')]
        // A closed <details> hides its content from Tab until opened (its summary is reached).
        .filter((e) => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('details:not([open]) > :not(summary)'));
      all.forEach((e, i) => { e.dataset.kbd = String(i); });
      return all.map((e) => ({ kbd: e.dataset.kbd, what: `${e.tagName.toLowerCase()}#${e.id || e.className}` }));
    });
    assert.ok(controls.length > 40, `${controls.length} controls`);
    await p.evaluate(() => document.activeElement?.blur());
    const reached = new Set();
    for (let i = 0; i < controls.length + 20; i++) {
      // The code editors keep Tab for indenting; Escape, then Tab, leaves them (as their note says).
      if (await p.evaluate(() => document.activeElement?.tagName === 'TEXTAREA')) await p.keyboard.press('Escape');
      await p.keyboard.press('Tab');
      const focused = await p.evaluate(() => document.activeElement?.dataset.kbd ?? null);
      if (focused) reached.add(focused);
    }
    assert.deepEqual(controls.filter((c) => !reached.has(c.kbd)).map((c) => c.what), [], 'not reached with Tab');
    // Names, as a screen reader would read them (the accessibility tree).
    const nameless = await p.evaluate(() => [...document.querySelectorAll('[data-kbd]')].filter((e) => {
      const labelled = e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.textContent.trim() || e.title;
      return !labelled;
    }).map((e) => e.id || e.className));
    assert.deepEqual(nameless, []);
  });

  test('the keyboard alone picks a digit, draws one, moves ε and runs code; results are announced', { timeout: 180_000 }, async () => {
    const p = await session.open('/');
    await settle(p);
    // A sample: focus it and press Enter.
    await p.focus('#samples .sample[data-index="2"]');
    const picked = await predictionAfter(p, () => p.keyboard.press('Enter'));
    assert.equal(picked, 1);
    assert.equal(await p.getAttribute('#prediction', 'aria-live'), 'polite');
    assert.match(await p.textContent('#prediction'), /reads a 1/);
    // Drawing: the pen starts in the middle; Space puts it down, the arrows draw a stroke.
    await p.focus('#draw-canvas');
    await p.keyboard.press('ArrowUp');
    for (let i = 0; i < 8; i++) await p.keyboard.press('ArrowUp');
    const drawn = await predictionAfter(p, async () => {
      await p.keyboard.press('Space');
      for (let i = 0; i < 18; i++) await p.keyboard.press('ArrowDown');
      await p.keyboard.press('Space');
    });
    assert.equal(await p.getAttribute('#preview-canvas', 'data-source'), 'draw');
    assert.equal(drawn, 1, 'a vertical stroke reads as a 1');
    await p.focus('#clear-button');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => window.adversarialDigits.current() === null);
    // ε with the arrow keys, until the attack flips the digit; the flip is announced.
    await p.focus('#samples .sample[data-index="0"]');
    await predictionAfter(p, () => p.keyboard.press('Enter'));
    assert.equal(await p.inputValue('#attack-method'), 'fgsm');
    await p.focus('#attack-eps');
    for (let i = 0; i < 60 && (await p.getAttribute('#attack-result', 'data-flipped')) !== 'true'; i++) {
      const before = await attackResults(p);
      await p.keyboard.press('ArrowRight');
      await p.waitForFunction((n) => Number(document.getElementById('attack-panel').dataset.results ?? 0) > n && !document.getElementById('attack-panel').hasAttribute('aria-busy'), before, { timeout: 60_000 });
    }
    assert.equal(await p.getAttribute('#attack-result', 'data-flipped'), 'true');
    assert.match(await p.textContent('#attack-announcer'), /Attack flipped the 7 into a \d/);
    assert.equal(await p.getAttribute('#attack-announcer', 'aria-live'), 'polite');
    // A code exercise from the keyboard: Tab in the editor indents, Escape then Tab leaves it.
    await p.focus('#exercise-fgsm-by-hand-code');
    await p.keyboard.press('Control+End');
    await p.keyboard.press('Tab');
    assert.match(await p.inputValue('#exercise-fgsm-by-hand-code'), / {2}$/, 'Tab indents');
    await p.keyboard.press('Escape');
    await p.keyboard.press('Tab');
    assert.equal(await p.evaluate(() => document.activeElement.textContent), 'Run and check');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.getElementById('exercise-fgsm-by-hand-verdict').dataset.kind === 'fail', null, { timeout: 60_000 });
    assert.equal(await p.getAttribute('#exercise-fgsm-by-hand-verdict', 'role'), 'status');
  });

  test('reduced motion: an iterative attack shows its result at once, without the replay', { timeout: 120_000 }, async () => {
    const p = await session.open('/#attack=bim&eps=0.1');
    await p.emulateMedia({ reducedMotion: 'reduce' });
    await p.waitForFunction(() => Number(document.getElementById('attack-panel').dataset.results ?? 0) > 0, null, { timeout: 60_000 });
    assert.equal(await p.evaluate(() => getComputedStyle(document.querySelector('.bar-fill')).transitionDuration), '0s');
    // From the moment the result is shown, every frame of the adversarial canvas is the final
    // image (a replay would draw the recorded steps first).
    const frames = await p.evaluate(() => new Promise((resolve) => {
      const panel = document.getElementById('attack-panel');
      const canvas = document.getElementById('attack-adversarial');
      const hash = () => {
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let h = 0;
        for (let i = 0; i < d.length; i++) h = (Math.imul(h, 31) + d[i]) | 0;
        return h;
      };
      const before = Number(panel.dataset.results ?? 0);
      new MutationObserver((_, observer) => {
        if (Number(panel.dataset.results) <= before) return;
        observer.disconnect();
        const seen = [hash()];
        const next = () => {
          seen.push(hash());
          if (seen.length < 40) requestAnimationFrame(next);
          else resolve(seen);
        };
        requestAnimationFrame(next);
      }).observe(panel, { attributes: true, attributeFilter: ['data-results'] });
      const eps = document.getElementById('attack-eps');
      eps.value = '0.2';
      eps.dispatchEvent(new Event('input', { bubbles: true }));
    }));
    assert.deepEqual([...new Set(frames)], [frames[0]], 'the canvas changed after the result was shown');
  });

  test('no request outside the origin, no error', () => session.assertClean());
});
