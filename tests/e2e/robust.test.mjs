// The defended network in the page (issue 5), on both backends: the switcher changes the network
// every view uses (and the address), the transfer view crafts on one network and tests both, and
// a small robustness curve is computed in the browser.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, afterNext, launch } from './helpers.mjs';

const panel = '#robust-panel';
const nextTransfer = (page, action) => afterNext(page, panel, 'transfers', action);

const predictions = (page) => page.evaluate(() => Number(document.documentElement.dataset.predictions ?? 0));

for (const mode of MODES) {
  describe(`the defended network (${mode.name})`, () => {
    let session;
    let page;
    before(async () => {
      session = await launch(mode);
      page = await session.open('/');
      // The transfer view works only while on screen: bring the panel into view first.
      await page.locator('#transfer-table').scrollIntoViewIfNeeded();
      await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.transfers ?? 0) > 0, panel, { timeout: 180_000 });
    });
    after(async () => session?.close());

    test('the transfer view: PGD crafted on the standard network fools it, far less the robust one', async () => {
      await page.selectOption('#transfer-method', 'pgd');
      await page.selectOption('#transfer-source', 'standard');
      const fooled = { standard: 0, robust: 0 };
      const digits = 6;
      for (let i = 0; i < digits; i++) {
        await nextTransfer(page, () => page.evaluate((n) => document.querySelector(`#samples button:nth-child(${n})`).click(), i + 1));
        const rows = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#transfer-table tbody tr')].map((r) => [r.dataset.model, r.dataset.fooled === 'true'])));
        for (const name of ['standard', 'robust']) if (rows[name]) fooled[name]++;
      }
      assert.equal(fooled.standard, digits, 'PGD at ε = 0.3 fools the network it was crafted on, every time');
      assert.ok(fooled.robust <= digits / 2, `the robust network is fooled by transferred examples far less often (${fooled.robust} of ${digits})`);
      assert.match(await page.textContent('#transfer-status'), /PGD-40 at ε = 0\.30, crafted on the standard network/);
      // Crafted on the robust network: the table says so.
      await nextTransfer(page, () => page.selectOption('#transfer-source', 'robust'));
      assert.match(await page.textContent('#transfer-table'), /Adversarially trained \(crafted on\)/);
    });

    test('a small robustness curve, computed in the browser', async () => {
      await page.selectOption('#curve-count', '20');
      await page.click('#curve-run');
      await page.waitForFunction((sel) => ['done', 'error', 'cancelled'].includes(document.querySelector(sel).dataset.curves), panel, { timeout: 300_000 });
      assert.equal(await page.evaluate((sel) => document.querySelector(sel).dataset.curves, panel), 'done', await page.textContent('#curve-status'));
      const table = await page.evaluate(() => [...document.querySelectorAll('#curve-table tbody tr')].map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.dataset.value))));
      // Columns: standard FGSM, standard PGD, robust FGSM, robust PGD; rows: ε = 0 … 0.4.
      assert.equal(table.length, 9);
      const column = (c) => table.map((row) => row[c]);
      for (let c = 0; c < 4; c++) {
        assert.ok(column(c).every((v) => v >= 0 && v <= 1), `column ${c} holds accuracies`);
        assert.ok(column(c)[0] >= column(c)[8], `column ${c}: accuracy does not grow from ε = 0 to 0.4`);
        assert.ok(column(c)[0] >= 0.9, `column ${c}: clean accuracy ${column(c)[0]}`);
      }
      const at03 = table[6];
      assert.ok(at03[1] <= 0.1, `standard network under PGD at ε = 0.3: ${at03[1]}`);
      assert.ok(at03[3] >= 0.5, `robust network under PGD at ε = 0.3: ${at03[3]}`);
      assert.ok(at03[1] <= at03[0] && at03[3] <= at03[2] + 0.05, 'PGD is at least about as strong as FGSM');
      assert.match(await page.textContent('#curve-status'), /^On 20 test digits/);
    });

    test('the switcher: every view uses the chosen network, and the address keeps it', async () => {
      const before = await predictions(page);
      await page.selectOption('#model-select', 'robust');
      await page.waitForFunction((n) => Number(document.documentElement.dataset.predictions ?? 0) > n, before, { timeout: 120_000 });
      assert.match(await page.evaluate(() => location.hash), /model=robust/);
      assert.match(await page.textContent('#model-info'), /Adversarially trained/);
      // The page's own numbers now come from the robust network: compare with it directly.
      const check = await page.evaluate(async () => {
        const api = window.adversarialDigits;
        const digit = api.current();
        const mine = await api.classify(digit.pixels);
        api.setModel('robust');
        const robust = await api.classify(digit.pixels);
        api.setModel('standard');
        const standard = await api.classify(digit.pixels);
        api.setModel(null);
        // Logits tell the networks apart even where both are sure of the digit.
        const logits = async (model) => Array.from((await api.featureMaps({ pixels: digit.pixels, model })).layers.at(-1).values);
        return {
          shown: digit.probabilities, mine: mine.probabilities, robust: robust.probabilities, standard: standard.probabilities,
          robustLogits: await logits('robust'), standardLogits: await logits('standard'),
        };
      });
      const close = (a, b) => a.every((v, i) => Math.abs(v - b[i]) < 1e-5);
      assert.ok(close(check.shown, check.robust), 'the bars show the robust network');
      assert.ok(close(check.mine, check.robust), 'the API follows the page');
      assert.ok(!close(check.robustLogits, check.standardLogits), 'the two networks differ');
      // A reload keeps the choice.
      await page.reload();
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 120_000 });
      assert.equal(await page.inputValue('#model-select'), 'robust');
      await page.selectOption('#model-select', 'standard');
    });
  });
}
