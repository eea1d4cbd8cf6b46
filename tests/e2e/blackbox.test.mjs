// Without the gradient (issue 18), in the browser: the Square Attack, APGD and BPDA through the
// API and the panel; the gradient-masked network (the standard weights behind an 8-level input
// squeezer, declared in its file's metadata) on WebGPU itself and on the CPU; and the masking
// lesson's table, computed in the page.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, afterNext, attackPanelIdle, launch, mnistTest, native } from './helpers.mjs';

const squeeze = (pixels) => pixels.map((v) => Math.round(v * 7) / 7);

for (const mode of MODES) {
  describe(`without the gradient (${mode.name})`, () => {
    let session;
    let page;
    before(async () => {
      session = await launch(mode);
      // On WebGPU every call goes to the device (?backend=webgpu): the emulated GPU computes the
      // rounding, the straight-through gradient and the attacks itself, not the CPU's routing.
      page = await session.open(mode.expect === 'webgpu' ? '/?backend=webgpu' : '/');
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 180_000 });
    });
    after(async () => session?.close());

    test('the masked network reads the squeezed digit, has no gradient, and BPDA breaks it', { timeout: 300_000 }, async () => {
      const { pixels, labels } = mnistTest(2);
      const result = await page.evaluate(async ({ pixels, labels, squeezed }) => {
        const api = window.adversarialDigits;
        const out = [];
        for (let i = 0; i < pixels.length; i++) {
          const masked = await api.classify(pixels[i], { model: 'masked' });
          const standard = await api.classify(squeezed[i], { model: 'standard' });
          api.setModel('masked');
          const gradient = await api.gradient(pixels[i], labels[i]);
          const fgsm = await api.attack({ pixels: pixels[i], label: labels[i], method: 'fgsm', eps: 0.3 });
          const bpda = await api.attack({ pixels: pixels[i], label: labels[i], method: 'bpda', eps: 0.3, steps: 10 });
          api.setModel(null);
          out.push({
            masked: Array.from(masked.probabilities), standard: Array.from(standard.probabilities),
            gradientZero: Array.from(gradient).every((g) => g === 0),
            fgsmMoved: fgsm.norms.linf, fgsmLabel: fgsm.label, bpdaLabel: bpda.label, bpdaLinf: bpda.norms.linf,
          });
        }
        return out;
      }, { pixels, labels, squeezed: pixels.map(squeeze) });
      result.forEach((r, i) => {
        assert.ok(r.masked.every((p, k) => Math.abs(p - r.standard[k]) < 1e-4), `digit ${i}: the masked network is the standard one on the squeezed digit`);
        assert.ok(r.gradientZero, `digit ${i}: the squeezer hides the gradient`);
        assert.equal(r.fgsmMoved, 0, `digit ${i}: FGSM has no direction to take`);
        assert.equal(r.fgsmLabel, labels[i]);
        assert.notEqual(r.bpdaLabel, labels[i], `digit ${i}: BPDA sees through the squeezer`);
        assert.ok(r.bpdaLinf <= 0.3 + 1e-5);
      });
    });

    test('Square and APGD through the API: the budget kept, queries counted, the native figures', { timeout: 300_000 }, async () => {
      const { pixels, labels } = mnistTest(3);
      const square = native(['predict', '--samples', '3', '--attack', 'square']);
      const browser = await page.evaluate(async ({ pixels, labels }) => {
        const api = window.adversarialDigits;
        const out = [];
        for (let i = 0; i < pixels.length; i++) {
          const s = await api.attack({ pixels: pixels[i], label: labels[i], method: 'square' });
          const capped = await api.attack({ pixels: pixels[i], label: labels[i], method: 'square', eps: 0.02, queries: 30 });
          const a = await api.attack({ pixels: pixels[i], label: labels[i], method: 'apgd', eps: 0.3, steps: 10 });
          const f = await api.attack({ pixels: pixels[i], label: labels[i], method: 'fab', steps: 20 });
          out.push({ square: { label: s.label, linf: s.norms.linf, queries: s.queries }, capped: capped.queries, apgd: { label: a.label, linf: a.norms.linf, queries: a.queries, steps: a.steps }, fab: { label: f.label, linf: f.norms.linf, success: f.success } });
        }
        return out;
      }, { pixels, labels });
      browser.forEach((r, i) => {
        assert.equal(r.square.label, square.predictions[i], `digit ${i}: Square in the browser ${r.square.label}, native ${square.predictions[i]}`);
        assert.notEqual(r.square.label, labels[i]);
        assert.ok(r.square.linf <= 0.3 + 1e-5 && r.square.queries >= 1 && r.square.queries <= 1000, JSON.stringify(r.square));
        assert.equal(r.capped, 30, `digit ${i}: a budget Square cannot win with is spent to the last query, no further`);
        assert.notEqual(r.apgd.label, labels[i]);
        assert.ok(r.apgd.linf <= 0.3 + 1e-5);
        assert.equal(r.apgd.queries, null, 'a gradient attack asks no queries');
        assert.equal(r.apgd.steps, 10);
        // FAB looks for the smallest L∞ change: on the standard network, well inside ε = 0.3.
        assert.ok(r.fab.success && r.fab.label !== labels[i] && r.fab.linf < 0.3, `digit ${i}: FAB ${JSON.stringify(r.fab)}`);
      });
    });

    test('made no request outside its origin and logged no error', () => session.assertClean());
  });
}

describe('the black-box attacks in the panel, and the masking lesson (no-webgpu)', () => {
  // The CPU alone: the panel's controls and the lesson's table are the page's, whichever backend
  // computes (the emulated GPU would only make them slower; the cases above check its numbers).
  let session;
  let page;
  before(async () => {
    session = await launch(MODES.find((m) => m.name === 'no-webgpu'));
    page = await session.open('/');
    await page.waitForFunction(() => Number(document.getElementById('attack-panel').dataset.results ?? 0) > 0, null, { timeout: 120_000 });
  });
  after(async () => session?.close());

  test('Square in the attack panel: a query budget, what it reads, how many questions it asked', { timeout: 180_000 }, async () => {
    await afterNext(page, '#attack-panel', 'results', () => page.selectOption('#attack-method', 'square'));
    assert.ok(await page.isVisible('#attack-queries'), 'the query budget has its slider');
    assert.ok(!(await page.isVisible('#attack-steps')), 'Square takes no steps');
    assert.match(await page.textContent('#attack-method-info'), /reads only the network’s output probabilities/);
    assert.match(await page.textContent('#attack-method-info'), /Andriushchenko/);
    assert.match(await page.textContent('#attack-norms'), /\d+ quer(y|ies) to the network/);
    // A smaller budget reruns it, and the address keeps it.
    await afterNext(page, '#attack-panel', 'results', () => page.evaluate(() => {
      const input = document.getElementById('attack-queries');
      input.value = '100';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }));
    await attackPanelIdle(page);
    assert.match(await page.evaluate(() => location.hash), /queries=100/);
    const queries = Number((await page.textContent('#attack-norms')).match(/(\d+) quer/)[1]);
    assert.ok(queries >= 1 && queries <= 100, `${queries} queries within a budget of 100`);
    // HopSkipJump: the label alone, its own budget, no budget ε (it minimises the change).
    await afterNext(page, '#attack-panel', 'results', () => page.selectOption('#attack-method', 'hopskipjump'), { timeout: 180_000 });
    assert.match(await page.textContent('#attack-method-info'), /reads only the network’s answer, the top label/);
    assert.equal(await page.inputValue('#attack-queries'), '5000', 'each method starts at its own budget');
    assert.ok(!(await page.isVisible('#attack-eps')), 'no budget ε');
    assert.equal(await page.getAttribute('#attack-result', 'data-flipped'), 'true', 'HopSkipJump always ends misread');
    assert.match(await page.textContent('#attack-norms'), /(\d+) quer(y|ies) to the network/);
    // Aimed at a digit, it starts from the first sample of that digit and ends there.
    await afterNext(page, '#attack-panel', 'results', () => page.selectOption('#attack-target', '3'), { timeout: 180_000 });
    await attackPanelIdle(page);
    assert.equal(await page.getAttribute('#attack-result', 'data-label'), '3', await page.textContent('#attack-result'));
    await afterNext(page, '#attack-panel', 'results', () => page.selectOption('#attack-target', ''), { timeout: 180_000 });
    for (const method of ['apgd', 'bpda']) {
      await afterNext(page, '#attack-panel', 'results', () => page.selectOption('#attack-method', method));
      assert.match(await page.textContent('#attack-method-info'), /\(\d{4}\)/, `${method} cites its paper`);
      assert.match(await page.textContent('#attack-norms'), /\d+ steps?\./);
    }
  });

  test('the masking lesson: PGD says robust, BPDA and Square say otherwise', { timeout: 600_000 }, async () => {
    await page.locator('#lesson-run').scrollIntoViewIfNeeded();
    await page.selectOption('#lesson-count', '20');
    await page.click('#lesson-run');
    await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.getElementById('robust-panel').dataset.lesson), null, { timeout: 540_000 });
    assert.equal(await page.evaluate(() => document.getElementById('robust-panel').dataset.lesson), 'done', await page.textContent('#lesson-status'));
    const table = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#lesson-table tbody tr')].map((r) => [r.dataset.model, [...r.querySelectorAll('td')].map((td) => Number(td.dataset.value))])));
    const header = await page.evaluate(() => [...document.querySelectorAll('#lesson-table thead th')].map((th) => th.textContent));
    assert.deepEqual(header.slice(0, 5), ['Network', 'Clean', 'FGSM', 'PGD-40', 'BPDA']);
    const column = (name) => header.indexOf(name) - 1;
    const [clean, pgd, bpda, square] = ['Clean', 'PGD-40', 'BPDA', 'Square (1,000 queries)'].map(column);
    assert.deepEqual(Object.keys(table), ['standard', 'robust', 'masked']);
    for (const [name, row] of Object.entries(table)) {
      assert.equal(row.length, 6, name);
      assert.ok(row.every((v) => v >= 0 && v <= 1), `${name}: accuracies`);
      assert.ok(row[clean] >= 0.9, `${name}: clean ${row[clean]}`);
    }
    assert.ok(table.masked[pgd] >= 0.9, `the masked network looks robust to PGD: ${table.masked[pgd]}`);
    assert.ok(table.masked[bpda] <= table.masked[pgd] - 0.3 && table.masked[square] <= table.masked[pgd] - 0.3, `BPDA ${table.masked[bpda]} and Square ${table.masked[square]}, at least 30 points lower`);
    assert.ok(table.standard[pgd] <= 0.1, `the standard network under PGD: ${table.standard[pgd]}`);
    assert.ok(table.robust[pgd] >= 0.5 && table.robust[bpda] === table.robust[pgd], 'without a squeezer BPDA is PGD');
    assert.match(await page.textContent('#lesson-status'), /^On 20 test digits\. The gradient-masked network keeps \d+(\.\d)?% under PGD/);
  });

  test('AutoAttack as the lesson’s last column: the whole chain in the page', { timeout: 600_000 }, async () => {
    // APGD-CE, APGD-T, FAB-T and Square (src/attacks/autoattack.rs) on each network, in the
    // engine's worker: nothing survives it on the standard and the masked networks; the defended
    // one keeps most digits, and no more than under PGD.
    await page.check('#lesson-autoattack');
    await page.click('#lesson-run');
    await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.getElementById('robust-panel').dataset.lesson) && document.getElementById('lesson-table').querySelectorAll('thead th').length === 8, null, { timeout: 580_000 });
    const header = await page.evaluate(() => [...document.querySelectorAll('#lesson-table thead th')].map((th) => th.textContent));
    assert.equal(header.at(-1), 'AutoAttack');
    const table = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#lesson-table tbody tr')].map((r) => [r.dataset.model, [...r.querySelectorAll('td')].map((td) => Number(td.dataset.value))])));
    const [pgd, autoattack] = ['PGD-40', 'AutoAttack'].map((name) => header.indexOf(name) - 1);
    assert.equal(table.standard[autoattack], 0);
    assert.equal(table.masked[autoattack], 0, `the masked network under AutoAttack: ${table.masked[autoattack]}`);
    assert.ok(table.robust[autoattack] >= 0.5 && table.robust[autoattack] <= table.robust[pgd], `the defended network: AutoAttack ${table.robust[autoattack]}, PGD ${table.robust[pgd]}`);
    assert.match(await page.textContent('#lesson-status'), /AutoAttack's chain leaves it 0(\.0)?%/);
  });

  test('made no request outside its origin and logged no error', () => session.assertClean());
});
