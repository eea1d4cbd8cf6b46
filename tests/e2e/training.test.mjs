// "Train it yourself" (issue 19): the reader trains a network in the tab, in the training worker,
// from the card and through the API; it becomes "yours" in the panels and the API, is downloaded
// and loaded back, survives a reload, and is what the `defend` exercise checks. The CPU runs the
// card; WebGPU (emulated) checks that training runs on the device and agrees with the CPU.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODES, ROOT, launch, mnistTest, native } from './helpers.mjs';

const mode = (name) => MODES.find((m) => m.name === name);

/** A short run: 2,000 digits, two epochs of 32 batches. */
const SHORT = { preset: 'quick', digits: 2000, epochs: 2 };

/** Trains through the API in `page` and collects its events: {summary, events} or {error}. */
function trainInPage(page, options) {
  return page.evaluate(async (options) => {
    const events = [];
    try {
      const summary = await window.adversarialDigits.train({ ...options, onProgress: (e) => events.push(e.type === 'examples' ? { type: 'examples', count: e.pixels.length / 784 } : e) });
      return { summary, events };
    } catch (error) {
      return { error: `${error.name}: ${error.message}`, events };
    }
  }, options);
}

describe('training in the tab (no-webgpu)', () => {
  let session;
  let page;
  before(async () => {
    session = await launch(mode('no-webgpu'));
    page = await session.open('/');
    await page.waitForSelector('#train-start-button', { timeout: 120_000 });
    // The card starts its worker once it is seen: nothing of training is loaded before.
    const training = (url) => /\/pkg\/train\/|\/www\/data\/train\/|training-worker\.js/.test(url);
    assert.deepEqual(session.requests.filter(training), []);
    await page.locator('#train-panel').scrollIntoViewIfNeeded();
    await page.waitForSelector('#train-panel [data-preset="quick"]', { timeout: 60_000 });
  });
  after(async () => session?.close());

  test('bad settings are refused with a clear message, before any download', async () => {
    for (const [options, words] of [
      [{ defence: 'fgsm', eps: -0.1 }, /ε must be above 0/],
      [{ batchSize: 0 }, /batch size must be between 1 and 1024/],
      [{ learningRate: Number.NaN }, /learning rate must be a number/],
      [{ epoch: 3 }, /unknown training option `epoch`/],
      [{ preset: 'fast' }, /unknown preset "fast"/],
    ]) {
      const out = await trainInPage(page, options);
      assert.match(out.error ?? '', words, JSON.stringify(options));
      assert.equal(out.events.filter((e) => e.type === 'data').length, 0, 'nothing downloaded');
    }
    // The card: a batch of 0 is refused, the settings stay as the reader left them.
    await page.click('#train-settings summary');
    await page.fill('#train-batch', '0');
    await page.click('#train-start-button');
    await page.waitForFunction(() => document.getElementById('train-message').dataset.kind === 'error', null, { timeout: 60_000 });
    assert.match(await page.textContent('#train-message'), /batch size must be between 1 and 1024.*settings are kept/);
    assert.equal(await page.inputValue('#train-batch'), '0');
    assert.equal(await page.isDisabled('#train-start-button'), false);
    await page.click('#train-panel [data-preset="quick"]'); // back to the preset's values
    assert.equal(await page.inputValue('#train-batch'), '64');
    // The card's bounds are the engine's own: its largest value of each is accepted, one more refused.
    for (const [input, option, words] of [['#train-batch', 'batchSize', /batch size must be between/], ['#train-epochs', 'epochs', /number of epochs must be between/], ['#train-steps', 'steps', /PGD training takes/]]) {
      const max = Number(await page.getAttribute(input, 'max'));
      assert.ok(max >= 1, `${input} has a bound`);
      const base = { defence: 'pgd', eps: 0.1, steps: 3, digits: 0 };
      const refused = await trainInPage(page, { ...base, digits: 10, [option]: max + 1 });
      assert.match(refused.error ?? '', words, `${option} = ${max + 1}`);
      const fine = await trainInPage(page, { ...base, [option]: max });
      assert.doesNotMatch(fine.error ?? '', words, `${option} = ${max} is within the card's bounds`);
    }
  });

  test('the browser trains as the CLI does: the same losses, batch by batch', { timeout: 300_000 }, async () => {
    const out = await page.evaluate(async () => {
      const losses = [];
      const controller = new AbortController();
      try {
        await window.adversarialDigits.train({ preset: 'quick', backend: 'cpu', signal: controller.signal, onProgress: (e) => {
          if (e.type !== 'step') return;
          losses.push(e.loss);
          if (losses.length === 20) controller.abort();
        } });
      } catch (error) {
        return { losses, error: error.name };
      }
      return { losses, error: null };
    });
    assert.equal(out.error, 'AbortError', 'cancelled through its signal');
    const reference = native(['train', '--preset', 'quick', '--losses-after', '20']).losses;
    assert.ok(out.losses.length >= 20, `${out.losses.length} batches`); // one more may finish before the cancellation arrives
    out.losses.slice(0, 20).forEach((loss, i) => assert.ok(Math.abs(loss - reference[i]) <= 1e-4 * Math.max(1, reference[i]), `batch ${i}: ${loss} in the browser, ${reference[i]} natively`));
  });

  test('a short run from the card: loss down, accuracy up, pause and resume; then the network is "yours"', { timeout: 600_000 }, async () => {
    await page.locator('#train-start-button').scrollIntoViewIfNeeded();
    await page.click('#train-panel [data-preset="quick"]');
    await page.evaluate(() => { document.getElementById('train-settings').open = true; });
    await page.fill('#train-epochs', String(SHORT.epochs));
    // 2,000 digits is not one of the card's choices: a subset through its <select>.
    await page.evaluate((n) => {
      const select = document.getElementById('train-digits');
      select.append(new Option(`${n} digits`, String(n)));
      select.value = String(n);
    }, SHORT.digits);
    await page.click('#train-start-button');
    await page.waitForFunction(() => /Epoch 1, batch (1\d|[2-9]\d)/.test(document.getElementById('train-status').textContent), null, { timeout: 120_000 });
    await page.click('#train-pause');
    await page.waitForFunction(() => /Paused/.test(document.getElementById('train-status').textContent), null, { timeout: 30_000 });
    const at = await page.textContent('#train-status');
    const progressAt = await page.evaluate(() => document.getElementById('train-progress').value);
    await page.waitForTimeout(1500);
    assert.equal(await page.evaluate(() => document.getElementById('train-progress').value), progressAt, `paused: ${at}`);
    // The page answers while paused and while training: a prediction through the API.
    const { pixels, labels } = mnistTest(1);
    assert.equal((await page.evaluate((p) => window.adversarialDigits.classify(p, { model: 'standard' }), pixels[0])).label, labels[0]);
    await page.click('#train-pause'); // resume
    await page.waitForFunction(() => /^Done/.test(document.getElementById('train-status').textContent), null, { timeout: 540_000 });
    // What the run fetched: the worker, its wasm, one file of digits (2,000 of them) and the test digits.
    for (const part of ['training-worker.js', '/pkg/train/adversarial_digits_bg.wasm', '/www/data/train/train-0-images-idx3-ubyte.gz', '/www/data/train/test-images-idx3-ubyte.gz']) {
      assert.ok(session.requests.some((url) => url.includes(part)), `${part} was fetched`);
    }
    assert.ok(!session.requests.some((url) => url.includes('train-1-images')), 'no more digits than asked for');
    const rows = await page.$$eval('#train-checks tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.equal(rows.length, 2, JSON.stringify(rows));
    const clean = rows.map((r) => Number.parseFloat(r[1]));
    assert.ok(clean[1] >= 85, `clean accuracy after two short epochs: ${clean}`);
    const examples = await page.$$eval('#train-examples canvas', (cs) => cs.filter((c) => c.getContext('2d').getImageData(0, 0, 28, 28).data.some((v, i) => i % 4 !== 3 && v > 0)).length);
    assert.ok(examples >= 8, `the batch grid shows digits: ${examples}`);
    // The network is "yours": in the network switch, the transfer table, and the API.
    await page.waitForSelector('#model-select option[value="yours"]', { state: 'attached', timeout: 30_000 });
    await page.waitForSelector('#transfer-source option[value="yours"]', { state: 'attached' });
    assert.match(await page.textContent('#yours-info'), /trained in this tab on 2,000 digits.*stays in this browser/);
    await page.click('#yours-use');
    await page.waitForFunction(() => location.hash.includes('model=yours'), null, { timeout: 30_000 });
    const mine = await page.evaluate(async (p) => {
      const api = window.adversarialDigits;
      api.setModel('yours');
      const yours = await api.classify(p);
      const attacked = await api.attack({ pixels: p, method: 'fgsm', eps: 0.1 });
      api.setModel(null);
      return { yours, attacked: attacked.probabilities.length };
    }, pixels[0]);
    assert.equal(mine.yours.probabilities.length, 10);
    assert.equal(mine.attacked, 10);
  });

  test('Cancel in the card stops the run and keeps the network there was', { timeout: 300_000 }, async () => {
    const before = await page.evaluate(async () => Array.from((await window.adversarialDigits.yourNetwork()).weights.slice(-256)));
    await page.click('#train-start-button');
    await page.waitForFunction(() => /Epoch 1, batch/.test(document.getElementById('train-status').textContent), null, { timeout: 120_000 });
    await page.click('#train-cancel');
    await page.waitForFunction(() => /^Cancelled/.test(document.getElementById('train-status').textContent), null, { timeout: 30_000 });
    assert.equal(await page.isDisabled('#train-start-button'), false);
    assert.deepEqual(await page.evaluate(async () => Array.from((await window.adversarialDigits.yourNetwork()).weights.slice(-256))), before);
  });

  test('download, load back, the same probabilities natively; it survives a reload; forget', { timeout: 300_000 }, async () => {
    const { pixels } = mnistTest(4);
    // The reader's download: the link's file, as the browser saves it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#yours-download')]);
    assert.equal(download.suggestedFilename(), 'my-digit-network.safetensors');
    const dir = mkdtempSync(join(tmpdir(), 'yours-'));
    const file = join(dir, 'mine.safetensors');
    await download.saveAs(file);
    const bytes = [...readFileSync(file)];
    assert.deepEqual(bytes, await page.evaluate(async () => Array.from((await window.adversarialDigits.yourNetwork()).weights)));
    const inPage = (p) => page.evaluate(async (digits) => Promise.all(digits.map((d) => window.adversarialDigits.classify(d, { model: 'yours' }))), p);
    const before = await inPage(pixels);
    // The native CLI reads the file the page made (the README's PyTorch layout).
    const reference = native(['predict', '--model', file, '--samples', '4']);
    before.forEach((r, i) => r.probabilities.forEach((p, k) => assert.ok(Math.abs(p - reference.probabilities[i][k]) < 1e-4, `digit ${i} class ${k}: ${p} vs ${reference.probabilities[i][k]}`)));
    // Loaded back through the card's file picker: the same answers.
    await page.setInputFiles('#yours-file', file);
    await page.waitForFunction(() => /Loaded mine\.safetensors/.test(document.getElementById('train-status').textContent), null, { timeout: 60_000 });
    assert.deepEqual(await inPage(pixels), before);
    // A damaged file is refused; the network stays.
    await page.setInputFiles('#yours-file', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes.slice(0, 500)) });
    await page.waitForFunction(() => document.getElementById('train-message').dataset.kind === 'error', null, { timeout: 60_000 });
    assert.match(await page.textContent('#train-message'), /broken\.safetensors cannot be used: .*previous network.*stays/);
    assert.deepEqual(await inPage(pixels), before);
    // A reload: still there, from IndexedDB, and the address's #model=yours works.
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 120_000 });
    assert.deepEqual(await inPage(pixels), before);
    await page.waitForSelector('#yours-forget', { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.getElementById('model-select').value), 'yours');
    await page.click('#yours-forget');
    await page.waitForFunction(() => document.getElementById('model-select').value === 'standard', null, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.adversarialDigits.yourNetwork()), null);
    // Said once IndexedDB has let it go (a reload before that could still find it there).
    await page.waitForFunction(() => document.getElementById('train-status').textContent === 'Your network is forgotten.', null, { timeout: 30_000 });
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 120_000 });
    assert.match(await page.evaluate(() => window.adversarialDigits.classify(new Array(784).fill(0), { model: 'yours' }).then(() => 'answered', (e) => e.message)), /no network of your own yet/);
  });

  test('the defend exercise refuses a weak network and accepts a defended one', { timeout: 300_000 }, async () => {
    const check = async () => {
      const before = await page.textContent('#exercise-defend-it-verdict').catch(() => '');
      await page.click('#exercise-defend-it .check');
      await page.waitForFunction((b) => {
        const v = document.querySelector('#exercise-defend-it-verdict');
        return v && v.dataset.kind !== 'checking' && v.textContent !== b && v.textContent !== 'Checking…';
      }, before, { timeout: 240_000 });
      return page.textContent('#exercise-defend-it-verdict');
    };
    await page.locator('#exercise-defend-it').scrollIntoViewIfNeeded();
    assert.match(await check(), /no network of your own yet/);
    // A clean network (the standard one, loaded as the reader's own): refused.
    await page.setInputFiles('#yours-file', join(ROOT, 'models/standard.safetensors'));
    await page.waitForFunction(() => /Loaded standard\.safetensors/.test(document.getElementById('train-status').textContent), null, { timeout: 60_000 });
    assert.match(await check(), /^Under PGD-20 at ε = 0\.1 your network keeps [\d.]+% of the 100 digits .* needs at least 80/);
    // An adversarially trained one: accepted.
    await page.setInputFiles('#yours-file', join(ROOT, 'models/robust.safetensors'));
    await page.waitForFunction(() => /Loaded robust\.safetensors/.test(document.getElementById('train-status').textContent), null, { timeout: 60_000 });
    assert.match(await check(), /^Solved: your network keeps [\d.]+% of the 100 digits under PGD-20/);
    assert.equal(await page.getAttribute('#exercise-defend-it', 'data-status'), 'solved');
    session.assertClean();
  });
});

describe('training on WebGPU (webgpu, emulated)', () => {
  let session;
  let page;
  before(async () => {
    session = await launch(mode('webgpu'));
    page = await session.open('/?backend=cpu', { waitForBackend: false });
  });
  after(async () => session?.close());

  test('a run on WebGPU agrees with the CPU (same seed: the loss within 1% after 50 batches); auto measures both', { timeout: 900_000 }, async (t) => {
    const run = (backend) => trainInPage(page, { preset: 'quick', digits: 3200, epochs: 1, backend });
    const gpu = await run('webgpu');
    assert.equal(gpu.error, undefined, gpu.error);
    const cpu = await run('cpu');
    assert.equal(gpu.summary.backend, 'webgpu');
    assert.equal(cpu.summary.backend, 'cpu');
    const losses = (out) => out.events.filter((e) => e.type === 'step').map((e) => e.loss);
    const [g, c] = [losses(gpu), losses(cpu)];
    assert.equal(g.length, 50);
    assert.equal(c.length, 50);
    const last = (xs) => xs.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(Math.abs(last(g) - last(c)) <= 0.01 * last(c), `mean loss of the last 5 batches: WebGPU ${last(g)}, CPU ${last(c)}`);
    assert.ok(last(c) < c[0] * 0.6, `the loss went down: ${c[0]} → ${last(c)}`);
    t.diagnostic(`50 batches of 64: WebGPU ${gpu.summary.imagesPerSecond.toFixed(0)} digits/s, CPU ${cpu.summary.imagesPerSecond.toFixed(0)} digits/s (SwiftShader)`);
    // 'auto' times a few batches on both and says where it trains and why.
    const auto = await trainInPage(page, { preset: 'quick', digits: 256, epochs: 1, backend: 'auto' });
    const ready = auto.events.find((e) => e.type === 'ready');
    assert.match(ready.reason, /measured a batch of 64: \d+ ms on the CPU, \d+ ms on WebGPU/);
    assert.equal(ready.backend, ready.webgpuMs < ready.cpuMs ? 'webgpu' : 'cpu');
    session.assertClean();
  });
});
