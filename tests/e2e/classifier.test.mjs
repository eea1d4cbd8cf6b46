// The classifier in the browser (issue 2): load, agreement with native, drawing, uploads,
// bad input, on WebGPU (SwiftShader) and with WebGPU disabled.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODES, ROOT, launch, mnistTest, native, predictionAfter } from './helpers.mjs';

/** Strokes in the 280x280 canvas's own coordinates, one list of points per stroke. */
const STROKES = {
  1: [[[150, 40], [146, 100], [142, 170], [140, 240]]],
  0: [Array.from({ length: 41 }, (_, i) => [140 + 62 * Math.sin((i / 40) * 2 * Math.PI), 140 - 95 * Math.cos((i / 40) * 2 * Math.PI)])],
  7: [[[70, 55], [140, 52], [210, 55], [180, 110], [150, 170], [125, 240]]],
  4: [[[165, 40], [120, 110], [75, 175], [150, 175], [215, 172]], [[170, 90], [168, 160], [166, 245]]],
};

async function draw(page, strokes) {
  const box = await page.locator('#draw-canvas').boundingBox();
  const at = ([x, y]) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (let i = 1; i < stroke.length; i++) {
      const [x0, y0] = stroke[i - 1];
      const [x1, y1] = stroke[i];
      for (let t = 1; t <= 6; t++) await page.mouse.move(...at([x0 + ((x1 - x0) * t) / 6, y0 + ((y1 - y0) * t) / 6]));
    }
    await page.mouse.up();
  }
}

/** PNG/JPEG files of an MNIST digit rendered in the page: white-on-black, or a photo-like dark-on-light. */
async function digitFile(page, pixels, { type, photo }) {
  const base64 = await page.evaluate(async ({ pixels, type, photo }) => {
    const canvas = new OffscreenCanvas(300, 360);
    const ctx = canvas.getContext('2d');
    const image = ctx.createImageData(300, 360);
    for (let y = 0; y < 360; y++) {
      for (let x = 0; x < 300; x++) {
        const sx = Math.floor((x - 10) / 10), sy = Math.floor((y - 40) / 10);
        const ink = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? pixels[sy * 28 + sx] : 0;
        // A photo of paper: warm light grey with grain and a shading gradient, dark blue-grey ink.
        const paper = 205 + 25 * (x / 300) + ((x * 7919 + y * 104729) % 17) - 8;
        const v = photo ? paper - ink * (paper - 45) : ink * 255;
        image.data.set([v, v * (photo ? 0.98 : 1), v * (photo ? 0.93 : 1), 255], (y * 300 + x) * 4);
      }
    }
    ctx.putImageData(image, 0, 0);
    const blob = await canvas.convertToBlob({ type, quality: 0.85 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
  }, { pixels, type, photo });
  return Buffer.from(base64, 'base64');
}

for (const mode of MODES) {
  describe(`classifier (${mode.name})`, () => {
    let session;
    let page;
    before(async () => {
      session = await launch(mode);
      page = await session.open('/');
    });
    after(async () => session?.close());

    test('loads, shows its backend, and asks for nothing beyond its origin', async () => {
      assert.equal(await page.getAttribute('#backend', 'data-backend'), mode.expect);
      if (mode.expect === 'cpu') assert.match(await page.textContent('#backend-note'), /WebGPU/);
      assert.equal(await page.getAttribute('#draw-canvas', 'aria-label').then((l) => /Draw/.test(l)), true);
      assert.equal(await page.locator('#bars .bar').count(), 10);
      assert.equal(await page.getAttribute('#prediction', 'role'), 'status');
      assert.deepEqual(session.foreign, []);
      assert.deepEqual(session.errors, []);
    });

    test('agrees with the native network on 1,000 test digits', { timeout: 600_000 }, async () => {
      const { pixels } = mnistTest(1000);
      const reference = native(['predict', '--samples', '1000']);
      const browser = await page.evaluate(async (all) => {
        const out = [];
        for (const p of all) out.push((await window.adversarialDigits.classify(p)).probabilities);
        return { probabilities: out, backend: window.adversarialDigits.backend };
      }, pixels);
      assert.equal(browser.backend, mode.expect);
      let same = 0;
      let maxDiff = 0;
      browser.probabilities.forEach((p, i) => {
        const label = p.indexOf(Math.max(...p));
        if (label === reference.predictions[i]) same++;
        p.forEach((v, k) => { maxDiff = Math.max(maxDiff, Math.abs(v - reference.probabilities[i][k])); });
      });
      console.log(`# ${mode.name}: same label on ${same}/1000, max probability difference ${maxDiff.toExponential(2)}`);
      assert.ok(same >= 999, `same label on only ${same}/1000`);
      assert.ok(maxDiff <= 1e-3, `max probability difference ${maxDiff}`);
    });

    test('recognises digits drawn with the mouse', async () => {
      for (const [digit, strokes] of Object.entries(STROKES)) {
        await page.click('#clear-button');
        const label = await predictionAfter(page, () => draw(page, strokes));
        // The last rendered prediction is for the finished drawing.
        await page.waitForTimeout(200);
        const final = Number(await page.getAttribute('#prediction', 'data-label'));
        assert.equal(final, Number(digit), `drew a ${digit}, the network read ${final} (first ${label})`);
        assert.match(await page.textContent('#prediction'), new RegExp(digit));
      }
    });

    test('undo removes the last stroke and clear gives a hint, not a prediction', async () => {
      await page.click('#clear-button');
      await draw(page, STROKES[4]);
      await page.waitForTimeout(300);
      await page.click('#undo-button');
      await page.click('#undo-button');
      assert.equal(await page.getAttribute('#message', 'data-kind'), 'hint');
      assert.match(await page.textContent('#prediction'), /Draw a digit/);
      assert.equal(await page.getAttribute('#prediction', 'data-label'), null);
    });

    test('classifies uploaded PNG and JPEG digits, including a dark-on-light photo, and a dropped file', async () => {
      const { pixels, labels } = mnistTest(4);
      const cases = [
        { i: 0, type: 'image/png', photo: false, name: 'digit.png' },
        { i: 1, type: 'image/jpeg', photo: false, name: 'digit.jpg' },
        { i: 2, type: 'image/png', photo: true, name: 'paper.png' },
        { i: 3, type: 'image/jpeg', photo: true, name: 'photo.jpg' },
      ];
      for (const c of cases) {
        const buffer = await digitFile(page, pixels[c.i], c);
        const label = await predictionAfter(page, () => page.setInputFiles('#file-input', { name: c.name, mimeType: c.type, buffer }));
        assert.equal(label, labels[c.i], `${c.name}: expected ${labels[c.i]}, read ${label}`);
        assert.equal(await page.getAttribute('#preview-canvas', 'data-source'), 'upload');
      }
      const buffer = await digitFile(page, pixels[1], { type: 'image/png', photo: true });
      const label = await predictionAfter(page, () => page.evaluate((base64) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
        document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, buffer.toString('base64')));
      assert.equal(label, labels[1]);
    });

    test('bad uploads show a message and keep the current digit', async () => {
      const { pixels, labels } = mnistTest(1);
      const png = await digitFile(page, pixels[0], { type: 'image/png', photo: false });
      await predictionAfter(page, () => page.setInputFiles('#file-input', { name: 'good.png', mimeType: 'image/png', buffer: png }));
      const huge = Buffer.from(png.subarray(0, 33));
      huge.writeUInt32BE(20000, 16);
      huge.writeUInt32BE(20000, 20);
      const bad = [
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture at all'), message: /not a PNG, JPEG, GIF or WebP/ },
        { name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), message: /SVG/ },
        { name: 'broken.png', mimeType: 'image/png', buffer: png.subarray(0, Math.floor(png.length / 2)), message: /damaged/ },
        { name: 'huge.png', mimeType: 'image/png', buffer: huge, message: /20000 x 20000/ },
      ];
      const predictions = await page.evaluate(() => document.documentElement.dataset.predictions);
      for (const file of bad) {
        await page.setInputFiles('#file-input', file);
        await page.waitForFunction((name) => document.getElementById('message').textContent.includes(name), file.name);
        assert.equal(await page.getAttribute('#message', 'data-kind'), 'error');
        assert.match(await page.textContent('#message'), file.message);
        assert.equal(Number(await page.getAttribute('#prediction', 'data-label')), labels[0], `${file.name} changed the prediction`);
      }
      assert.equal(await page.evaluate(() => document.documentElement.dataset.predictions), predictions);
    });

    test('picking a sample classifies it', async () => {
      const label = await predictionAfter(page, () => page.click('#samples .sample[data-index="3"]'));
      assert.equal(label, Number(await page.getAttribute('#samples .sample[data-index="3"]', 'data-label')));
      assert.equal(await page.getAttribute('#preview-canvas', 'data-source'), 'sample');
    });
  });
}

describe('broken weights', () => {
  test('NaN weights are refused with a clear message', async () => {
    const session = await launch(MODES[1]);
    try {
      const weights = readFileSync(join(ROOT, 'models/standard.safetensors'));
      const headerLength = Number(weights.readBigUInt64LE(0));
      const poisoned = Buffer.from(weights);
      poisoned.writeFloatLE(Number.NaN, 8 + headerLength + 40); // inside the first tensor
      const page = await session.browser.newPage();
      await page.route('**/models/standard.safetensors', (route) => route.fulfill({ body: poisoned, contentType: 'application/octet-stream' }));
      await page.goto(session.server.url + '/');
      await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 60_000 });
      assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), 'error');
      assert.match(await page.textContent('#message'), /NaN/);
    } finally {
      await session.close();
    }
  });
});
