// Exercises (issue 6): every built-in challenge solved for real through the page and accepted,
// wrong answers refused with a reason, learner code isolated in a worker (no DOM, no network,
// stopped by the time limit while the page stays responsive), progress kept and reset, and
// course files loaded, validated and refused with clear errors.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MODES, ROOT, afterNext, attackPanelIdle, launch, mnistTest, mode as modeNamed, predictionAfter, settle } from './helpers.mjs';

const ROBUST = existsSync(join(ROOT, 'models/robust.safetensors'));

const FGSM = `async function attack(pixels, label, eps) {
  const g = await gradient(pixels, label);
  log('label', label, 'eps', eps, 'first gradient', g[0]);
  return pixels.map((p, i) => Math.min(1, Math.max(0, p + eps * Math.sign(g[i]))));
}`;
const TWO_STEPS = `async function attack(pixels, label, eps) {
  let x = Float32Array.from(pixels);
  for (let step = 0; step < 2; step++) {
    const g = await gradient(x, label);
    x = x.map((v, i) => Math.min(1, Math.max(0, Math.min(pixels[i] + eps, Math.max(pixels[i] - eps, v + (eps / 2) * Math.sign(g[i]))))));
  }
  return x;
}`;

const challenge = (id) => `#exercise-${id}`;

/** Clicks `button` in challenge `id` and returns its verdict once given: {kind, text}. */
async function verdictAfter(p, id, button = '.check', { timeout = 60_000 } = {}) {
  await p.evaluate((id) => { const v = document.getElementById(`exercise-${id}-verdict`); v.dataset.kind = ''; v.textContent = ''; }, id);
  await p.click(`${challenge(id)} ${button}`);
  await p.waitForFunction((id) => ['pass', 'fail', 'info'].includes(document.getElementById(`exercise-${id}-verdict`).dataset.kind), id, { timeout });
  return p.evaluate((id) => {
    const v = document.getElementById(`exercise-${id}-verdict`);
    return { kind: v.dataset.kind, text: v.textContent, status: document.getElementById(`exercise-${id}`).dataset.status };
  }, id);
}

async function nextAttack(p, action) {
  await afterNext(p, '#attack-panel', 'results', action);
  await p.waitForTimeout(100);
}
/** Waits until the attack panel shows a finished result with L∞ = `eps` (results of earlier settings may arrive first). */
const attackShown = (p, eps) => p.waitForFunction((eps) => {
  const panel = document.getElementById('attack-panel');
  return !panel.hasAttribute('aria-busy') && document.getElementById('attack-norms').textContent.includes(`L∞ ${eps.toFixed(3)},`);
}, eps, { timeout: 120_000 });
const setRange = (p, id, value) => p.evaluate(({ id, value }) => {
  const input = document.getElementById(id);
  input.value = String(value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}, { id, value });

/** A 3 drawn with the mouse: two bumps on the right, in the drawing canvas's 280 px coordinates. */
async function drawThree(p) {
  const box = await p.locator('#draw-canvas').boundingBox();
  const at = ([x, y]) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  const bump = (cy, ry, from, to) => Array.from({ length: 25 }, (_, i) => {
    const a = ((from + ((to - from) * i) / 24) * Math.PI) / 180;
    return [140 + 62 * Math.cos(a), cy + ry * Math.sin(a)];
  });
  const points = [...bump(92, 50, -160, 90), ...bump(188, 54, -90, 160).slice(1)];
  await p.mouse.move(...at(points[0]));
  await p.mouse.down();
  for (const point of points.slice(1)) await p.mouse.move(...at(point), { steps: 3 });
  await p.mouse.up();
}

const openWithExercises = async (session, path = '/', options = {}) => {
  const p = await session.open(path, options);
  await p.waitForFunction(() => document.getElementById('exercises').dataset.ready, null, { timeout: 60_000 });
  return p;
};

for (const mode of MODES) {
  describe(`exercises: code runs in a worker and is checked (${mode.name})`, () => {
    let session;
    let p;
    before(async () => {
      session = await launch(mode);
      p = await openWithExercises(session);
    });
    after(async () => session?.close());

    test('"Write FGSM yourself": the template is refused, real FGSM accepted', { timeout: 120_000 }, async () => {
      const refused = await verdictAfter(p, 'fgsm-by-hand');
      assert.equal(refused.kind, 'fail');
      assert.match(refused.text, /differs from FGSM|still reads/);
      assert.match(refused.text, /Hint:/, 'a wrong answer comes with the hint');
      await p.fill(`${challenge('fgsm-by-hand')} textarea`, FGSM);
      const accepted = await verdictAfter(p, 'fgsm-by-hand');
      assert.equal(accepted.kind, 'pass', accepted.text);
      assert.equal(accepted.status, 'solved');
      assert.match(await p.textContent('#exercise-fgsm-by-hand-output'), /label 2 eps 0.2 first gradient/, 'log() output is shown');
    });

    test('no request outside the origin, no error', () => session.assertClean());
  });
}

describe('exercises: every built-in challenge, solved and refused (no-webgpu)', () => {
  let session;
  let p;
  const { labels } = mnistTest(100);
  before(async () => {
    session = await launch(modeNamed('no-webgpu'));
    p = await openWithExercises(session, '/', ROBUST ? {} : { allowErrors: /status of 404/ });
  });
  after(async () => session?.close());

  test('"Turn this 7 into a 1": FGSM is refused, targeted PGD within the budget accepted', { timeout: 180_000 }, async () => {
    await p.click(`${challenge('seven-into-one')} button`); // Show it in the demo
    await p.waitForFunction(() => /no\. 81\b/.test(document.getElementById('preview-caption').textContent), null, { timeout: 60_000 });
    assert.equal(labels[80], 7);
    await p.selectOption('#attack-method', 'fgsm');
    await setRange(p, 'attack-eps', 0.05);
    await attackShown(p, 0.05);
    const fgsm = await verdictAfter(p, 'seven-into-one');
    assert.equal(fgsm.kind, 'fail');
    assert.match(fgsm.text, /reads a 7 \(.*\), not a 1/);
    // Too large a budget: refused for its size, whatever the network reads.
    await setRange(p, 'attack-eps', 0.3);
    await attackShown(p, 0.3);
    const large = await verdictAfter(p, 'seven-into-one');
    assert.equal(large.kind, 'fail');
    assert.match(large.text, /too large: L∞ 0\.300, over the budget of 0\.15/);
    await p.selectOption('#attack-method', 'pgd');
    await p.selectOption('#attack-target', '1');
    await setRange(p, 'attack-eps', 0.15);
    await attackShown(p, 0.15);
    assert.equal(await p.getAttribute('#attack-result', 'data-label'), '1');
    const solved = await verdictAfter(p, 'seven-into-one');
    assert.equal(solved.kind, 'pass', solved.text);
    assert.match(solved.text, /reads a 1 .* where it read a 7; the change is L∞ 0\.15/);
  });

  test('"The smallest ε": found by moving the slider, within 10%; too small and too large refused', { timeout: 300_000 }, async () => {
    await p.click(`${challenge('smallest-epsilon')} button`);
    await p.waitForFunction(() => /no\. 5\b/.test(document.getElementById('preview-caption').textContent), null, { timeout: 60_000 });
    assert.equal(await p.inputValue('#attack-method'), 'fgsm');
    // Bisection on the slider (steps of 0.005), as a learner would.
    const flips = async (eps) => {
      await setRange(p, 'attack-eps', eps);
      await attackShown(p, eps);
      return (await p.getAttribute('#attack-result', 'data-flipped')) === 'true';
    };
    let low = 0;
    let high = 0.5;
    assert.equal(await flips(high), true);
    while (high - low > 0.005 + 1e-9) {
      const mid = Math.round((low + high) / 2 / 0.005) * 0.005;
      if (mid <= low || mid >= high) break;
      if (await flips(mid)) high = mid;
      else low = mid;
    }
    const answer = async (eps) => {
      await p.fill('#exercise-smallest-epsilon-eps', String(eps));
      return verdictAfter(p, 'smallest-epsilon');
    };
    const small = await answer(Number((low / 2).toFixed(3)));
    assert.equal(small.kind, 'fail');
    assert.match(small.text, /does not fool the network yet.*Try larger/);
    const large = await answer(0.5);
    assert.equal(large.kind, 'fail');
    assert.match(large.text, /a smaller ε does too/);
    const right = await answer(Number(high.toFixed(3)));
    assert.equal(right.kind, 'pass', `${right.text} (answer ${high})`);
  });

  test('"Two small steps": one step refused (it needs two gradients), two steps accepted', { timeout: 120_000 }, async () => {
    const template = await verdictAfter(p, 'two-steps');
    assert.equal(template.kind, 'fail');
    assert.match(template.text, /still reads a 1/);
    await p.fill(`${challenge('two-steps')} textarea`, FGSM);
    const oneStep = await verdictAfter(p, 'two-steps');
    assert.equal(oneStep.kind, 'fail');
    assert.match(oneStep.text, /called gradient\(\) 1 time; this exercise needs at least 2/);
    await p.fill(`${challenge('two-steps')} textarea`, TWO_STEPS);
    const solved = await verdictAfter(p, 'two-steps');
    assert.equal(solved.kind, 'pass', solved.text);
  });

  test('"Draw a convincing 3": a sample and a 7 are refused, a drawn 3 accepted', { timeout: 120_000 }, async () => {
    const three = labels.indexOf(3);
    assert.ok(three >= 0 && three < 20, 'a 3 in the sample strip');
    await predictionAfter(p, () => p.click(`#samples .sample[data-index="${three}"]`));
    const sample = await verdictAfter(p, 'draw-a-three');
    assert.equal(sample.kind, 'fail');
    assert.match(sample.text, /draw one yourself/);
    await p.click('#clear-button');
    const box = await p.locator('#draw-canvas').boundingBox();
    await predictionAfter(p, async () => {
      await p.mouse.move(box.x + box.width / 2, box.y + 30);
      await p.mouse.down();
      for (let y = 30; y <= 250; y += 8) await p.mouse.move(box.x + box.width / 2, box.y + y);
      await p.mouse.up();
    });
    const one = await verdictAfter(p, 'draw-a-three');
    assert.equal(one.kind, 'fail');
    assert.match(one.text, /reads a \d .*, not a 3/);
    await p.click('#clear-button');
    await predictionAfter(p, () => drawThree(p));
    assert.equal(await p.getAttribute('#prediction', 'data-label'), '3');
    const solved = await verdictAfter(p, 'draw-a-three');
    assert.equal(solved.kind, 'pass', solved.text);
  });

  test('"Fool the robust network": solved if the robust model is here, skipped with the reason if not', { timeout: 600_000 }, async () => {
    if (!ROBUST) {
      const skipped = await verdictAfter(p, 'fool-the-robust-model', 'button');
      assert.equal(skipped.kind, 'info');
      assert.match(skipped.text, /Skipped: the adversarially trained network is not on this site/);
      assert.equal(skipped.status, 'skipped');
      assert.match(await p.textContent('.exercises-tally'), /\(1 skipped\)/);
      assert.equal(await p.isDisabled(`${challenge('fool-the-robust-model')} .check`), true);
      return;
    }
    await p.click(`${challenge('fool-the-robust-model')} button`);
    await p.selectOption('#attack-method', 'pgd');
    await setRange(p, 'attack-eps', 0.3);
    await setRange(p, 'attack-steps', 100);
    let verdict = null;
    for (let i = 0; i < 20 && verdict?.kind !== 'pass'; i++) {
      // The page answers while the engine works: the previous digit's attack must be shown before
      // the next digit is picked, or it would be taken for the next one's.
      await attackPanelIdle(p);
      await nextAttack(p, () => p.click(`#samples .sample[data-index="${i}"]`));
      if ((await p.getAttribute('#attack-result', 'data-flipped')) !== 'true') continue;
      verdict = await verdictAfter(p, 'fool-the-robust-model');
    }
    assert.equal(verdict?.kind, 'pass', verdict?.text ?? 'PGD at ε = 0.3 fooled the robust network on none of 20 digits');
  });

  test('"A defence that only looks robust": PGD is refused with its figure, BPDA and Square break the masked network', { timeout: 300_000 }, async () => {
    const select = `#exercise-break-the-masked-defence-method`;
    await p.waitForFunction((sel) => document.querySelector(sel)?.options.length > 0, select);
    const offered = await p.$$eval(`${select} option`, (options) => options.map((o) => o.value));
    assert.ok(['pgd', 'bpda', 'square', 'apgd', 'fgsm'].every((m) => offered.includes(m)), `the L∞ attacks: ${offered}`);
    assert.ok(!offered.includes('cw') && !offered.includes('pgd-l2'), 'no attack without an L∞ budget');
    await p.selectOption(select, 'pgd');
    const refused = await verdictAfter(p, 'break-the-masked-defence', '.check', { timeout: 120_000 });
    assert.equal(refused.kind, 'fail', refused.text);
    assert.match(refused.text, /Under PGD \(L∞\) at ε = 0\.3 the network still reads [\d.]+% of the 10 digits correctly; breaking it means at most 20(\.0)?%\. Hint: Rounding/);
    await p.selectOption(select, 'square');
    const square = await verdictAfter(p, 'break-the-masked-defence', '.check', { timeout: 120_000 });
    assert.equal(square.kind, 'pass', square.text);
    assert.match(square.text, /^Solved: under Square Attack at ε = 0\.3 the network reads only [\d.]+% of the 10 digits correctly\.$/);
  });

  test('progress is kept across visits, and reset', { timeout: 120_000 }, async () => {
    const solved = await p.$$eval('.challenge[data-status="solved"]', (items) => items.map((i) => i.dataset.id));
    assert.deepEqual(solved.sort(), ['draw-a-three', 'seven-into-one', 'smallest-epsilon', 'two-steps', 'break-the-masked-defence', ...(ROBUST ? ['fool-the-robust-model'] : [])].sort());
    const again = await openWithExercises(session, '/');
    const kept = await again.$$eval('.challenge[data-status="solved"]', (items) => items.map((i) => i.dataset.id));
    assert.deepEqual(kept.sort(), solved.sort());
    assert.equal(await again.inputValue(`${challenge('two-steps')} textarea`), TWO_STEPS, 'the code draft is kept');
    await again.click('.exercises-reset');
    assert.equal(await again.$$eval('.challenge[data-status="solved"]', (items) => items.length), 0);
    assert.match(await again.textContent('.exercises-tally'), /^0 of/);
    const fresh = await openWithExercises(session, '/');
    assert.equal(await fresh.$$eval('.challenge[data-status="solved"]', (items) => items.length), 0);
    assert.notEqual(await fresh.inputValue(`${challenge('two-steps')} textarea`), TWO_STEPS);
  });

  test('no request outside the origin, no unexpected error', () => session.assertClean());
});

describe('exercises: the worker is a sandbox (no-webgpu)', () => {
  const PROBE = `async function attack(pixels, label, eps) {
  const seen = { document: typeof document, window: typeof window, fetch: typeof fetch, xhr: typeof XMLHttpRequest, importScripts: typeof importScripts, worker: typeof Worker, socket: typeof WebSocket };
  try { await self.fetch('/index.html'); seen.fetched = 'yes'; } catch (error) { seen.fetched = 'no'; }
  try { await import('/www/dom.js'); seen.imported = 'yes'; } catch (error) { seen.imported = 'no'; }
  try { await new Promise((resolve, reject) => { const img = new Image(); img.onload = resolve; img.onerror = reject; img.src = '/docs/screenshot.png'; }); seen.image = 'yes'; } catch (error) { seen.image = 'no'; }
  log(JSON.stringify(seen));
  return pixels;
}`;

  async function probe(session) {
    const p = await openWithExercises(session);
    await p.fill(`${challenge('fgsm-by-hand')} textarea`, PROBE);
    const verdict = await verdictAfter(p, 'fgsm-by-hand');
    const printed = await p.textContent('#exercise-fgsm-by-hand-output');
    return { verdict, seen: JSON.parse(printed.split('\n').find((line) => line.startsWith('{'))) };
  }

  test('with the server\'s headers: no DOM, no fetch, no import; the worker has its own policy', async () => {
    const session = await launch(modeNamed('no-webgpu'));
    try {
      const { verdict, seen } = await probe(session);
      assert.equal(verdict.kind, 'fail', 'the unchanged digit is refused, so the code ran');
      assert.deepEqual(seen, { document: 'undefined', window: 'undefined', fetch: 'undefined', xhr: 'undefined', importScripts: 'undefined', worker: 'undefined', socket: 'undefined', fetched: 'no', imported: 'no', image: 'no' });
      const requested = session.requests.filter((u) => /\/index\.html$|screenshot\.png$/.test(u));
      assert.deepEqual(requested, [], 'the worker reached the server');
      // The worker's policy allows eval and nothing else; the page's never allows eval.
      const headers = await fetch(`${session.server.url}/www/exercise-worker.js`).then((r) => r.headers.get('content-security-policy'));
      assert.match(headers, /default-src 'none'/);
      assert.match(headers, /script-src 'unsafe-eval'/);
      const page = await fetch(`${session.server.url}/`).then((r) => r.headers.get('content-security-policy'));
      assert.doesNotMatch(page, /'unsafe-eval'/);
      session.assertClean();
    } finally {
      await session.close();
    }
  });

  test('on a static host that sends no headers: the code still runs, still without DOM or fetch', async () => {
    const session = await launch(modeNamed('no-webgpu'), { server: { headers: { 'Content-Security-Policy': null }, pathHeaders: {} } });
    try {
      const { verdict, seen } = await probe(session);
      assert.equal(verdict.kind, 'fail', 'the unchanged digit is refused, so the code ran');
      assert.equal(seen.document, 'undefined');
      assert.equal(seen.fetch, 'undefined');
      assert.equal(seen.fetched, 'no');
      assert.equal(seen.xhr, 'undefined');
    } finally {
      await session.close();
    }
  });

  test('code that never ends is stopped by the time limit, and the page stays responsive', { timeout: 120_000 }, async () => {
    const session = await launch(modeNamed('no-webgpu'));
    try {
      const p = await openWithExercises(session);
      await p.fill(`${challenge('fgsm-by-hand')} textarea`, 'async function attack(pixels) {\n  for (;;) {}\n}');
      await p.click(`${challenge('fgsm-by-hand')} .check`);
      await p.waitForFunction(() => /Running your code/.test(document.getElementById('exercise-fgsm-by-hand-verdict').textContent));
      // While the worker spins, the page reads digits as usual.
      const label = await predictionAfter(p, () => p.click('#samples .sample[data-index="1"]'));
      assert.equal(label, 2);
      assert.match(await p.textContent('#exercise-fgsm-by-hand-verdict'), /Running your code/, 'still running while the page answered');
      await p.waitForFunction(() => document.getElementById('exercise-fgsm-by-hand-verdict').dataset.kind === 'fail', null, { timeout: 30_000 });
      assert.match(await p.textContent('#exercise-fgsm-by-hand-verdict'), /stopped after 10 s/);
      assert.equal(await p.isEnabled(`${challenge('fgsm-by-hand')} .check`), true);
      // And the next run works.
      await p.fill(`${challenge('fgsm-by-hand')} textarea`, FGSM);
      assert.equal((await verdictAfter(p, 'fgsm-by-hand')).kind, 'pass');
      session.assertClean();
    } finally {
      await session.close();
    }
  });
});

describe('exercises: a course\'s own file (no-webgpu)', () => {
  const course = {
    title: 'Week 3: adversarial examples',
    challenges: [
      { id: 'nine-to-four', title: 'A 9 that reads as a 4', prompt: 'Make test digit no. 8 read as a 4.', kind: 'perturb', digit: 7, budget: { norm: 'l2', max: 3 }, target: 4 },
      { id: 'fgsm-again', title: 'FGSM on a 0', prompt: 'FGSM, ε = 0.25.', kind: 'code', digit: 3, eps: 0.25, budget: { norm: 'linf', max: 0.25 }, starter: 'async function attack(pixels) { return pixels; }', timeLimitSeconds: 3 },
    ],
  };
  const broken = {
    title: 'Broken',
    challenges: [
      { id: 'Bad Id', title: 'x', prompt: 'y', kind: 'perturb', digit: 120, budget: { norm: 'l3', max: -1 } },
      { id: 'ok', title: 'x', prompt: 'y', kind: 'draw', colour: 'red' },
      { id: 'ok', title: 'x', prompt: 'y', kind: 'teleport' },
    ],
  };
  let session;
  before(async () => {
    session = await launch(modeNamed('no-webgpu'), {
      routes: {
        '/courses/week3.json': { type: 'application/json', body: JSON.stringify(course) },
        '/courses/broken.json': { type: 'application/json', body: JSON.stringify(broken) },
        '/courses/not-json.json': { type: 'application/json', body: '{"title": "oops",' },
      },
    });
  });
  after(async () => session?.close());

  test('?exercises= loads a course file; its challenges are checked like the built-in ones', { timeout: 120_000 }, async () => {
    const p = await openWithExercises(session, '/?exercises=/courses/week3.json');
    assert.deepEqual(await p.$$eval('.challenge', (items) => items.map((i) => i.dataset.id)), ['nine-to-four', 'fgsm-again']);
    await p.fill(`${challenge('fgsm-again')} textarea`, FGSM);
    const solved = await verdictAfter(p, 'fgsm-again');
    assert.equal(solved.kind, 'pass', solved.text);
    assert.match(await p.textContent(`${challenge('fgsm-again')}`), /stopped after 3 s/);
    // Progress of a course is its own: the built-in set is untouched.
    const builtin = await openWithExercises(session, '/');
    assert.equal(await builtin.$$eval('.challenge[data-status="solved"]', (items) => items.length), 0);
  });

  test('a faulty file is refused with every fault named', async () => {
    const p = await openWithExercises(session, '/?exercises=/courses/broken.json');
    assert.equal(await p.getAttribute('#exercises', 'data-ready'), 'error');
    const text = await p.textContent('#exercises');
    for (const fault of [/challenges\[0\]\.id: lower-case/, /challenges\[0\]\.digit: a whole number from 0 to 99, not 120/, /challenges\[0\]\.budget\.norm: one of "linf", "l2", "l0", not "l3"/,
      /challenges\[0\]\.budget\.max: a number above 0, not -1/, /challenges\[1\]\.colour: unknown field/, /challenges\[1\]\.target: .*\(missing\)/, /challenges\[2\]\.id: an id no other challenge has/, /challenges\[2\]\.kind: one of/]) {
      assert.match(text, fault);
    }
    assert.equal(await p.getAttribute('#exercises a', 'href'), '/', 'a way back to the built-in exercises');
    const notJson = await openWithExercises(session, '/?exercises=/courses/not-json.json');
    assert.match(await notJson.textContent('#exercises'), /not valid JSON/);
    const missing = await openWithExercises(session, '/?exercises=/courses/missing.json', { allowErrors: /status of 404/ });
    assert.match(await missing.textContent('#exercises'), /HTTP 404/);
    const foreign = await openWithExercises(session, '/?exercises=http://courses.example.invalid/x.json');
    assert.match(await foreign.textContent('#exercises'), /from this site only/);
    assert.ok(!session.requests.some((u) => new URL(u).hostname.endsWith('example.invalid')));
  });

  test('no request outside the origin, no unexpected error', () => session.assertClean());
});

describe('the example exercise sheet, www/examples/course.html (no-webgpu)', () => {
  let session;
  before(async () => { session = await launch(modeNamed('no-webgpu')); });
  after(async () => session?.close());

  test('its own exercises work with its embedded demo, and it logs the demo\'s attacks from their events', { timeout: 180_000 }, async () => {
    const p = await session.open('/www/examples/course.html', { until: () => document.getElementById('exercises').dataset.ready === 'true' });
    assert.deepEqual(await p.$$eval('.challenge', (items) => items.map((i) => i.dataset.id)), ['nine-into-four', 'targeted-fgsm', 'pgd-smallest-epsilon', 'confident-seven']);
    // "Show it in the demo" drives the embedded demo; an L2 attack there solves the first one.
    await p.click(`${challenge('nine-into-four')} button`);
    const lab = p.locator('#lab');
    await p.waitForFunction(() => document.getElementById('lab').shadowRoot.querySelector('.sample[data-index="7"]').getAttribute('aria-pressed') === 'true');
    const logged = await p.locator('#attempts tbody tr').count();
    await lab.locator('select[id$="attack-method"]').selectOption('pgd-l2');
    await lab.locator('select[id$="attack-target"]').selectOption('4');
    await p.evaluate(() => {
      const input = document.getElementById('lab').shadowRoot.querySelector('input[id$="attack-eps"]');
      input.value = '2.5';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await p.waitForFunction(() => {
      const r = document.getElementById('lab').shadowRoot;
      return !r.querySelector('.attack-panel').hasAttribute('aria-busy') && /L2 2\.\d\d/.test(r.querySelector('[id$="attack-norms"]').textContent) && r.querySelector('.attack-result').dataset.label === '4';
    }, null, { timeout: 120_000 });
    const solved = await verdictAfter(p, 'nine-into-four');
    assert.equal(solved.kind, 'pass', solved.text);
    assert.ok(await p.locator('#attempts tbody tr').count() > logged, 'the attack was logged');
    assert.match(await p.textContent('#attempts tbody tr:first-child'), /pgd-l2\s*2\.500\s*9\s*4 \(/);
    // The code exercise: targeted FGSM, written for real.
    await p.fill(`${challenge('targeted-fgsm')} textarea`, `async function attack(pixels, label, eps) {
  const g = await gradient(pixels, 3);
  return pixels.map((p, i) => Math.min(1, Math.max(0, p - eps * Math.sign(g[i]))));
}`);
    const coded = await verdictAfter(p, 'targeted-fgsm');
    assert.equal(coded.kind, 'pass', coded.text);
    session.assertClean();
  });
});
