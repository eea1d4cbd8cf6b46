// Embedding (issue 6): <adversarial-digits> in a blog post (two demos, one engine), an embed
// configured by its attributes, embed.html in a frame of a page that runs no script, and the
// main page's "Copy link" and "Copy embed code" restoring what the reader saw.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, launch, mnistTest, mode as modeNamed, predictionAfter, settle, snapshot } from './helpers.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";
const page = (body, { csp = CSP } = {}) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">` +
  `<title>test host page</title><link rel="icon" href="data:,"><script type="module" src="/www/embed.js"></script></head><body>${body}</body></html>`;

const allReady = () => [...document.querySelectorAll('adversarial-digits')].every((e) => e.dataset.ready === 'true');

/** What the n-th embed shows, read from its shadow root. */
function embedState(p, n = 0) {
  return p.evaluate((n) => {
    const host = document.querySelectorAll('adversarial-digits')[n];
    const r = host.shadowRoot;
    const q = (s) => r.querySelector(s);
    // checkVisibility: not inside a closed "More" either.
    const visible = (s) => { const e = q(s); return !!e && e.getClientRects().length > 0 && e.checkVisibility({ visibilityProperty: true }); };
    return {
      ready: host.dataset.ready,
      prediction: q('.prediction')?.dataset.label ?? null,
      predictions: Number(q('.demo').dataset.predictions ?? 0),
      attacks: Number(q('.attack-panel')?.dataset.results ?? 0),
      method: q('select[id$="attack-method"]')?.value ?? null,
      eps: q('input[id$="attack-eps"]')?.value ?? null,
      target: q('select[id$="attack-target"]')?.value ?? null,
      result: q('.attack-result')?.textContent ?? null,
      flipped: q('.attack-result')?.dataset.flipped ?? null,
      adversarialLabel: q('.attack-result')?.dataset.label ?? null,
      original: q('[id$="attack-original-caption"]')?.textContent ?? null,
      pressed: [...r.querySelectorAll('.sample[aria-pressed="true"]')].map((b) => Number(b.dataset.index)),
      shown: { draw: visible('.draw-canvas'), upload: visible('input[type="file"]'), samples: visible('.samples'), method: visible('select[id$="attack-method"]'), eps: visible('input[id$="attack-eps"]'), target: visible('select[id$="attack-target"]'), extras: visible('.attack-extras') },
      notes: r.querySelector('.embed-notes').hidden ? '' : r.querySelector('.embed-notes').textContent,
      ids: [...r.querySelectorAll('[id]')].map((e) => e.id),
    };
  }, n);
}

/** Runs `action` and waits for the n-th embed's next attack result. */
async function nextAttack(p, n, action) {
  const before = (await embedState(p, n)).attacks;
  await action();
  await p.waitForFunction(({ n, before }) => {
    const r = document.querySelectorAll('adversarial-digits')[n].shadowRoot;
    return Number(r.querySelector('.attack-panel').dataset.results ?? 0) > before;
  }, { n, before }, { timeout: 120_000 });
}

for (const mode of MODES) {
  describe(`blog post with embedded demos (${mode.name})`, () => {
    let session;
    let p;
    before(async () => {
      session = await launch(mode);
      p = await session.open('/www/examples/blog-post.html', { until: allReady, wake: true });
      if (mode.expect === 'webgpu') await p.waitForFunction(() => window.adversarialDigits.backend === 'webgpu', null, { timeout: 120_000 });
      // Every result either demo shows, as the page's scripts would hear it.
      await p.evaluate(() => {
        window.heard = [];
        for (const type of ['prediction', 'attack']) {
          addEventListener(`adversarialdigits:${type}`, (event) => {
            const demo = [...document.querySelectorAll('adversarial-digits')].indexOf(event.target);
            window.heard.push({ type, demo, label: event.detail.label, method: event.detail.method ?? null, eps: event.detail.eps ?? null, success: event.detail.success ?? null, original: event.detail.original?.label ?? null });
          });
        }
      });
    });
    after(async () => session?.close());

    test('both demos classify and attack, each as its attributes say', { timeout: 300_000 }, async () => {
      const { pixels, labels } = mnistTest(10);
      // Demo 1 (classify attack, BIM, compact): a sample, read and attacked.
      await p.waitForFunction(() => document.querySelectorAll('adversarial-digits')[0].shadowRoot.querySelector('.attack-panel').dataset.results, null, { timeout: 120_000 });
      const first = await embedState(p, 0);
      assert.equal(first.prediction, String(labels[0]), 'demo 1 reads its first sample');
      assert.equal(first.method, 'bim');
      assert.equal(first.eps, '0.15');
      assert.match(first.result, /Flipped|Not fooled/);
      // Demo 2 (attack only, FGSM ε = 0.2 on sample 4): the panel's answer is the API's answer.
      await p.waitForFunction(() => document.querySelectorAll('adversarial-digits')[1].shadowRoot.querySelector('.attack-panel').dataset.results, null, { timeout: 120_000 });
      const second = await embedState(p, 1);
      assert.equal(second.method, 'fgsm');
      assert.equal(second.eps, '0.2');
      assert.deepEqual(second.pressed, [4]);
      assert.equal(second.prediction, null, 'demo 2 has no classify view');
      assert.match(second.original, new RegExp(`Original: ${labels[4]}`));
      const api = await p.evaluate((px) => window.adversarialDigits.attack({ pixels: px, method: 'fgsm', eps: 0.2 }).then((r) => r.label), pixels[4]);
      assert.equal(Number(second.adversarialLabel), api, 'demo 2 shows what attack() computes');
      assert.equal(second.flipped, String(api !== labels[4]));

      // Each demo answers its own reader: a sample picked in demo 2 changes demo 2 only.
      const demo1Before = await embedState(p, 0);
      await nextAttack(p, 1, () => p.locator('adversarial-digits').nth(1).locator('.sample[data-index="7"]').click());
      const after7 = await embedState(p, 1);
      assert.match(after7.original, new RegExp(`Original: ${labels[7]}`));
      assert.deepEqual(after7.pressed, [7]);
      const demo1After = await embedState(p, 0);
      assert.equal(demo1After.predictions, demo1Before.predictions, 'demo 1 did not react to demo 2');
      // Demo 1 with another sample and another method.
      await nextAttack(p, 0, () => p.locator('adversarial-digits').nth(0).locator('.sample[data-index="2"]').click());
      // The method is behind "More" in the compact layout.
      await p.locator('adversarial-digits').nth(0).locator('.more > summary').first().click();
      await nextAttack(p, 0, () => p.locator('adversarial-digits').nth(0).locator('select[id$="attack-method"]').selectOption('pgd'));
      await p.waitForTimeout(300);
      const pgd = await embedState(p, 0);
      assert.equal(pgd.prediction, String(labels[2]));
      assert.equal(pgd.method, 'pgd');

      // The page heard every result, from the demo that showed it.
      const heard = await p.evaluate(() => window.heard);
      assert.ok(heard.some((h) => h.type === 'prediction' && h.demo === 0 && h.label === labels[2]), 'demo 1 prediction event');
      assert.ok(heard.some((h) => h.type === 'prediction' && h.demo === 1 && h.label === labels[7]), 'demo 2 prediction event');
      assert.ok(heard.some((h) => h.type === 'attack' && h.demo === 0 && h.method === 'pgd' && h.original === labels[2]), 'demo 1 attack event');
      assert.ok(heard.some((h) => h.type === 'attack' && h.demo === 1 && h.method === 'fgsm' && h.eps === 0.2 && h.original === labels[7]), 'demo 2 attack event');
    });

    test('the demos share one network: one weights download, one download of each build', async () => {
      const count = (pattern) => session.requests.filter((u) => pattern.test(new URL(u).pathname)).length;
      assert.equal(count(/\/models\/standard\.i8\.safetensors$/), 1);
      assert.equal(count(/\/pkg\/cpu\/adversarial_digits_bg\.wasm$/), 1);
      assert.equal(count(/\/pkg\/adversarial_digits_bg\.wasm$/), mode.expect === 'webgpu' ? 1 : 0);
      // The first screens' sample strip once (its 20-digit pair); the 100 only if something needs them.
      assert.equal(count(/samples-strip-images-idx3-ubyte$/), 1);
      assert.ok(count(/\/samples-images-idx3-ubyte$/) <= 1);
      // Scoped: no id is shared between the two demos, and none leaks into the page.
      const [a, b] = [await embedState(p, 0), await embedState(p, 1)];
      assert.deepEqual(a.ids.filter((x) => b.ids.includes(x)), []);
      assert.equal(await p.evaluate(() => document.querySelectorAll('[id]').length), 0);
    });

    test('no request outside the origin, no error', () => session.assertClean());
  });
}

describe('an embed configured by its attributes (no-webgpu)', () => {
  let session;
  before(async () => {
    session = await launch(modeNamed('no-webgpu'), {
      routes: {
        '/test/configured.html': { type: 'text/html; charset=utf-8', body: page('<adversarial-digits view="attack" attack="pgd" eps="0.25" target="3" digit="7" controls="samples,eps,target" theme="dark"></adversarial-digits>') },
        '/test/bad.html': { type: 'text/html; charset=utf-8', body: page('<adversarial-digits view="classify nonsense" eps="lots" controls="draw,levers"></adversarial-digits>') },
        // A page that runs no script at all frames embed.html.
        '/test/framed.html': {
          type: 'text/html; charset=utf-8',
          body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'none'; img-src data:"><title>no scripts here</title><link rel="icon" href="data:,"></head>` +
            '<body><iframe title="demo" width="380" height="900" src="/embed.html?view=attack&amp;attack=bim&amp;eps=0.12&amp;digit=2&amp;controls=samples,eps&amp;theme=light"></iframe></body></html>',
        },
      },
    });
  });
  after(async () => session?.close());

  test('starts in the state its attributes give, with only the controls it names', { timeout: 180_000 }, async () => {
    const p = await session.open('/test/configured.html', { until: allReady });
    await p.waitForFunction(() => document.querySelector('adversarial-digits').shadowRoot.querySelector('.attack-panel').dataset.results, null, { timeout: 120_000 });
    const heard = p.evaluate(() => new Promise((resolve) => addEventListener('adversarialdigits:attack', (e) => resolve({ method: e.detail.method, eps: e.detail.eps, target: e.detail.target }), { once: true })));
    // Compact (the default): the target is behind "More".
    assert.equal((await embedState(p)).shown.target, false, 'closed "More"');
    await p.locator('adversarial-digits .more > summary').first().click();
    const s = await embedState(p);
    const { labels } = mnistTest(10);
    assert.equal(s.method, 'pgd');
    assert.equal(s.eps, '0.25');
    assert.equal(s.target, '3');
    assert.deepEqual(s.pressed, [7]);
    assert.match(s.original, new RegExp(`Original: ${labels[7]}`));
    assert.equal(s.adversarialLabel, '3', 'PGD at ε = 0.25 reaches the target 3');
    assert.deepEqual(s.shown, { draw: false, upload: false, samples: true, method: false, eps: true, target: true, extras: false });
    assert.equal(s.notes, '');
    // The theme: the dark palette, whatever the reader's preference (the browser's is light).
    const background = await p.evaluate(() => getComputedStyle(document.querySelector('adversarial-digits')).backgroundColor);
    assert.equal(background, 'rgb(18, 21, 27)');
    // An attribute changed later changes the demo.
    await nextAttack(p, 0, () => p.evaluate(() => document.querySelector('adversarial-digits').setAttribute('eps', '0.05')));
    assert.deepEqual(await heard, { method: 'pgd', eps: 0.05, target: 3 });
    assert.equal((await embedState(p)).eps, '0.05');
  });

  test('fits a 360 px wide screen', async () => {
    const p = await session.open('/test/configured.html', { until: allReady });
    await p.setViewportSize({ width: 360, height: 800 });
    await p.locator('adversarial-digits .more > summary').first().click(); // what is behind "More" fits too
    await p.waitForTimeout(200);
    const widths = await p.evaluate(() => {
      const host = document.querySelector('adversarial-digits');
      const wide = [...host.shadowRoot.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).map((e) => e.className || e.tagName);
      return { page: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, wide };
    });
    assert.deepEqual(widths.wide, [], 'elements past the right edge');
    assert.ok(widths.page <= widths.client, `the page scrolls sideways: ${widths.page} > ${widths.client}`);
  });

  test('bad attributes are named in the embed, which still works', async () => {
    const p = await session.open('/test/bad.html', { until: allReady });
    await settle(p);
    const s = await embedState(p);
    assert.match(s.notes, /unknown view “nonsense”/);
    assert.match(s.notes, /eps="lots"/);
    assert.match(s.notes, /unknown control “levers”/);
    assert.notEqual(s.prediction, null, 'the classify view still reads its digit');
    assert.equal(s.shown.draw, true);
  });

  test('embed.html in a frame of a page without scripts, configured by its query string', { timeout: 120_000 }, async () => {
    const p = await session.context.newPage();
    await p.goto(`${session.server.url}/test/framed.html`);
    const frame = p.frameLocator('iframe');
    await frame.locator('adversarial-digits[data-ready="true"]').waitFor({ timeout: 120_000 });
    await frame.locator('.attack-result').filter({ hasText: /Flipped|Not fooled/ }).waitFor({ timeout: 120_000 });
    assert.equal(await frame.locator('select[id$="attack-method"]').inputValue(), 'bim');
    assert.equal(await frame.locator('input[id$="attack-eps"]').inputValue(), '0.12');
    assert.equal(await frame.locator('.sample[aria-pressed="true"]').getAttribute('data-index'), '2');
    assert.equal(await frame.locator('.draw-canvas').count(), 0);
  });

  test('no request outside the origin, no error', () => session.assertClean());
});

describe('sharing from the main page (no-webgpu)', () => {
  let session;
  before(async () => {
    session = await launch(modeNamed('no-webgpu'));
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: session.server.url });
  });
  after(async () => session?.close());

  const clipboard = (p) => p.evaluate(() => navigator.clipboard.readText());
  const setEps = (p, v) => p.evaluate((v) => {
    const input = document.getElementById('attack-eps');
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, v);
  const attackResults = (p) => p.evaluate(() => Number(document.getElementById('attack-panel').dataset.results ?? 0));

  test('a copied link restores the digit and the settings', { timeout: 180_000 }, async () => {
    const p = await session.open('/');
    await settle(p);
    await predictionAfter(p, () => p.click('#samples .sample[data-index="5"]'));
    await p.selectOption('#attack-method', 'pgd');
    await setEps(p, 0.12);
    await p.selectOption('#attack-target', '2');
    await p.click('#copy-link');
    await p.waitForFunction(() => /copied/.test(document.getElementById('share-status').textContent));
    const link = await clipboard(p);
    assert.match(link, /#/);
    const params = new URLSearchParams(new URL(link).hash.slice(1));
    assert.deepEqual(Object.fromEntries(params), { sample: '5', attack: 'pgd', eps: '0.12', target: '2' });
    const before = await snapshot(p);

    const restored = await session.context.newPage();
    await restored.goto(link);
    await restored.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 120_000 });
    await restored.waitForFunction(() => Number(document.getElementById('attack-panel').dataset.results ?? 0) > 0, null, { timeout: 120_000 });
    await settle(restored);
    assert.equal(await restored.getAttribute('#samples .sample[data-index="5"]', 'aria-pressed'), 'true');
    assert.equal(await restored.inputValue('#attack-method'), 'pgd');
    assert.equal(await restored.inputValue('#attack-eps'), '0.12');
    assert.equal(await restored.inputValue('#attack-target'), '2');
    const after = await snapshot(restored);
    assert.equal(after.label, before.label);
    assert.equal(after.preview, before.preview);
    await restored.close();
    await p.close();
  });

  test('a drawn digit travels in the link too', { timeout: 120_000 }, async () => {
    const p = await session.open('/');
    await settle(p);
    const box = await p.locator('#draw-canvas').boundingBox();
    const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
    await predictionAfter(p, async () => {
      await p.mouse.move(...at(140, 50));
      await p.mouse.down();
      for (let y = 50; y <= 240; y += 6) await p.mouse.move(...at(140 - (y - 50) * 0.1, y));
      await p.mouse.up();
    });
    const drawn = await snapshot(p);
    assert.match(drawn.preview, /^draw:/);
    await p.click('#copy-link');
    await p.waitForFunction(() => /copied/.test(document.getElementById('share-status').textContent));
    const link = await clipboard(p);
    assert.match(new URL(link).hash, /^#drawn=1[\w-]+$/);
    const restored = await session.context.newPage();
    await restored.goto(link);
    await restored.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 120_000 });
    await settle(restored);
    const back = await snapshot(restored);
    assert.equal(back.preview.replace(/^link:/, 'draw:'), drawn.preview, 'the same 28x28 pixels');
    assert.equal(back.label, drawn.label);
    assert.deepEqual(back.bars, drawn.bars);
    await restored.close();
    await p.close();
  });

  test('copied embed code shows the same digit and settings in another page', { timeout: 180_000 }, async () => {
    const p = await session.open('/#sample=3&attack=fgsm&eps=0.3');
    await p.waitForFunction(() => Number(document.getElementById('attack-panel').dataset.results ?? 0) > 0, null, { timeout: 120_000 });
    await p.click('#copy-embed');
    await p.waitForFunction(() => /copied/.test(document.getElementById('share-status').textContent));
    const code = await clipboard(p);
    assert.match(code, /<script type="module" src="http:\/\/[^"]+\/www\/embed\.js"><\/script>/);
    assert.match(code, /<adversarial-digits [^>]*digit="3"[^>]*eps="0.3"/);
    // Compact by default; inside, the poster and a link back: what readers without JavaScript get.
    assert.doesNotMatch(code, /layout=/);
    assert.match(code, /<a href="http:\/\/[^"]+#[^"]*sample=3[^"]*"><img src="http:\/\/[^"]+\/www\/embed\/poster\.png" width="600" height="475" loading="lazy" alt="[^"]+"><\/a><\/adversarial-digits>$/);
    await p.evaluate(() => { document.getElementById('share-status').textContent = ''; });
    await p.selectOption('#embed-layout', 'full');
    await p.click('#copy-embed');
    await p.waitForFunction(() => /copied/.test(document.getElementById('share-status').textContent));
    assert.match(await clipboard(p), /<adversarial-digits view="classify attack" layout="full"/);
    const mainResult = await p.getAttribute('#attack-result', 'data-label');
    // Serve the snippet as a page of its own and look.
    const host = await session.context.newPage();
    await host.route('**/test/pasted.html', (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}"><title>pasted</title><link rel="icon" href="data:,"></head><body>${code}</body></html>` }));
    await host.goto(`${session.server.url}/test/pasted.html`);
    await host.waitForFunction(() => document.querySelector('adversarial-digits')?.shadowRoot?.querySelector('.attack-panel')?.dataset.results, null, { timeout: 120_000 });
    const s = await embedState(host);
    assert.deepEqual(s.pressed, [3]);
    assert.equal(s.method, 'fgsm');
    assert.equal(s.eps, '0.3');
    assert.equal(s.adversarialLabel, mainResult, 'the same attack result as on the main page');
    await host.close();
    await p.close();
  });

  test('where the clipboard is refused, the text is shown selected in a field', async () => {
    const p = await session.open('/#sample=9', { init: () => {
      Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => ({ writeText: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')) }) });
    } });
    await settle(p);
    await p.click('#copy-link');
    await p.waitForFunction(() => !document.getElementById('share-fallback').hidden);
    assert.match(await p.textContent('#share-status'), /did not let/);
    const field = await p.evaluate(() => {
      const f = document.getElementById('share-text');
      return { value: f.value, focused: document.activeElement === f, selected: f.selectionEnd - f.selectionStart === f.value.length };
    });
    assert.match(field.value, /#sample=9$/);
    assert.equal(field.focused, true);
    assert.equal(field.selected, true);
    assert.ok(await p.isVisible('#share-text'));
  });

  test('no request outside the origin, no error', () => session.assertClean());
});
