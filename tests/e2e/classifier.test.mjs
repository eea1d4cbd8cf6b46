// The classifier in the browser: loading, agreement with the native network on 1,000 test
// digits, mouse drawing, uploads, bad input, samples, backend choice, broken weights. Each
// behavioural test runs on WebGPU (SwiftShader) and with WebGPU disabled (CPU fallback).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODES, ROOT, launch, mnistTest, mode as modeNamed, native, predictionAfter, report, settle, shownLabel, snapshot, stroke } from './helpers.mjs';

// ---------------------------------------------------------------------------------------------
// Handwriting. Strokes in the drawing canvas's own 280x280 coordinates, one polyline per stroke,
// shaped like a person's digits (slant, round turns), drawn with the mouse point by point.

const arc = (cx, cy, rx, ry, fromDeg, toDeg, n = 28) =>
  Array.from({ length: n + 1 }, (_, i) => {
    const a = ((fromDeg + ((toDeg - fromDeg) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });

const STROKES = {
  // A slightly slanted downstroke with a small lead-in at the top.
  1: [[[132, 62], [146, 46], [153, 40], [149, 100], [143, 170], [137, 242]]],
  // An oval started at the top, drawn anticlockwise, closing a little past the start.
  0: [arc(140, 140, 62, 96, -80, -80 - 375, 48)],
  // A top bar, then a long slanted stroke down.
  7: [[[72, 58], [140, 53], [208, 52], [190, 90], [165, 140], [142, 195], [126, 244]]],
  // An open 4: down-left then across, and a separate vertical stroke.
  4: [[[160, 42], [128, 100], [92, 160], [80, 176], [150, 176], [214, 172]], [[178, 92], [175, 170], [172, 246]]],
  // Two bumps on the right, one stroke.
  3: [[...arc(140, 92, 58, 48, -155, 90, 30), ...arc(140, 186, 64, 52, -90, 150, 30).slice(1)]],
  // A hook, a diagonal down to the left, a base to the right.
  2: [[...arc(140, 95, 58, 50, -165, 20, 26), [150, 150], [110, 200], [82, 238], [140, 236], [208, 236]]],
};

/** Draws `strokes` with the mouse, a pointer move every ~4 canvas pixels. */
async function draw(page, strokes) {
  for (const points of strokes) {
    for (const [x, y] of points) assert.ok(x >= 8 && x <= 272 && y >= 8 && y <= 272, `point ${x},${y} outside the canvas`);
    await stroke(page, points);
  }
}

// ---------------------------------------------------------------------------------------------
// Picture files, made in the browser from MNIST digits: white ink on black as in MNIST, or a
// photo of paper (light grey, uneven light, grain, dark blue-grey ink), as PNG or JPEG.

async function digitFile(page, pixels, { type, photo = false, width = 300, height = 360, scale = 10, at = [10, 40] }) {
  const base64 = await page.evaluate(async ({ pixels, type, photo, width, height, scale, at }) => {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    const image = ctx.createImageData(width, height);
    let seed = 12345;
    const noise = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // Bilinear upscaling, so the strokes are smooth like ink, not blocky.
        const fx = (x - at[0]) / scale - 0.5;
        const fy = (y - at[1]) / scale - 0.5;
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        const px = (xx, yy) => (xx >= 0 && xx < 28 && yy >= 0 && yy < 28 ? pixels[yy * 28 + xx] : 0);
        const ax = fx - x0;
        const ay = fy - y0;
        const ink = (1 - ay) * ((1 - ax) * px(x0, y0) + ax * px(x0 + 1, y0)) + ay * ((1 - ax) * px(x0, y0 + 1) + ax * px(x0 + 1, y0 + 1));
        let r;
        let g;
        let b;
        if (photo) {
          const paper = 200 + 30 * (x / width) - 18 * (y / height) + 14 * noise(); // light falls from the left
          const inkColour = [40, 44, 62];
          r = paper + (inkColour[0] - paper) * ink;
          g = paper * 0.98 + (inkColour[1] - paper * 0.98) * ink;
          b = paper * 0.92 + (inkColour[2] - paper * 0.92) * ink;
        } else {
          r = g = b = ink * 255;
        }
        image.data.set([r, g, b, 255], (y * width + x) * 4);
      }
    }
    ctx.putImageData(image, 0, 0);
    const blob = await canvas.convertToBlob({ type, quality: 0.85 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
  }, { pixels, type, photo, width, height, scale, at });
  const buffer = Buffer.from(base64, 'base64');
  // The files are what their names say.
  if (type === 'image/png') assert.equal(buffer.subarray(1, 4).toString(), 'PNG');
  if (type === 'image/jpeg') assert.deepEqual([...buffer.subarray(0, 2)], [0xff, 0xd8]);
  return buffer;
}

/** A white PNG with nothing on it. */
async function blankPng(page) {
  const base64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(200, 200);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 200, 200);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    return btoa(String.fromCharCode(...bytes));
  });
  return Buffer.from(base64, 'base64');
}

const upload = (page, name, mimeType, buffer) => page.setInputFiles('#file-input', { name, mimeType, buffer });

// ---------------------------------------------------------------------------------------------

for (const mode of MODES) {
  describe(`classifier (${mode.name})`, () => {
    let session;
    let page;
    before(async () => {
      session = await launch(mode);
      page = await session.open('/');
    });
    after(async () => session?.close());

    test('loads, shows its backend and a first prediction', async (t) => {
      assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), 'true');
      assert.equal(await page.getAttribute('#backend', 'data-backend'), mode.expect);
      assert.equal(await page.evaluate(() => window.adversarialDigits.backend), mode.expect);
      const note = await page.textContent('#backend-note');
      report(t, `${mode.name}: #backend "${await page.textContent('#backend')}", #backend-note "${note}"`);
      if (mode.expect === 'cpu') assert.match(note, /WebGPU/, 'the note says why the CPU is used');
      else assert.doesNotMatch(note, /CPU/, 'no fallback note on WebGPU');
      assert.match(await page.getAttribute('#draw-canvas', 'aria-label'), /Draw/);
      assert.equal(await page.getAttribute('#prediction', 'role'), 'status');
      assert.equal(await page.getAttribute('#message', 'role'), 'alert');
      const digits = await page.$$eval('#bars .bar', (bars) => bars.map((b) => b.dataset.digit));
      assert.deepEqual(digits, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      // The first sample is shown and classified at start; the API and the DOM agree on it.
      await settle(page);
      const current = await page.evaluate(() => window.adversarialDigits.current());
      assert.ok(current, 'current() gives the digit on the page');
      assert.equal(current.pixels.length ?? Object.keys(current.pixels).length, 784);
      assert.equal(await shownLabel(page), current.label);
      assert.match(await page.textContent('#prediction'), new RegExp(String(current.label)));
      const bars = await page.$$eval('#bars .bar', (b) => b.map((x) => Number(x.dataset.probability)));
      bars.forEach((p, d) => assert.ok(Math.abs(p - current.probabilities[d]) < 1e-5, `bar ${d}: ${p} vs ${current.probabilities[d]}`));
      assert.ok(Math.abs(bars.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
      const api = await page.evaluate(() => window.adversarialDigits.ready.then((a) => a === window.adversarialDigits));
      assert.equal(api, true, 'ready resolves to the API');
      report(t, `${mode.name}: ${session.requests.length} requests, all to ${session.server.url}`);
    });

    test('agrees with the native network on the first 1,000 test digits', { timeout: 900_000 }, async (t) => {
      const { pixels, labels } = mnistTest(1000);
      const reference = native(['predict', '--samples', '1000']);
      assert.equal(reference.samples, 1000);
      assert.deepEqual(reference.labels, labels, 'the CLI read the same test digits');
      const result = await page.evaluate(async (all) => {
        const out = [];
        const started = performance.now();
        for (const p of all) {
          const r = await window.adversarialDigits.classify(Float32Array.from(p)); // one digit at a time, as the page does
          out.push({ label: r.label, probabilities: Array.from(r.probabilities) });
        }
        return { out, ms: performance.now() - started, backend: window.adversarialDigits.backend };
      }, pixels);
      assert.equal(result.backend, mode.expect, 'the backend did not change during the run');
      let sameLabel = 0;
      let correct = 0;
      let maxDiff = 0;
      let worst = -1;
      result.out.forEach((r, i) => {
        assert.equal(r.probabilities.length, 10);
        const argmax = r.probabilities.indexOf(Math.max(...r.probabilities));
        assert.equal(r.label, argmax, `digit ${i}: label is not the argmax of the probabilities`);
        if (r.label === reference.predictions[i]) sameLabel++;
        if (r.label === labels[i]) correct++;
        r.probabilities.forEach((v, k) => {
          const d = Math.abs(v - reference.probabilities[i][k]);
          if (!(d <= maxDiff)) { maxDiff = d; worst = i; } // NaN counts as worst
        });
      });
      report(t, `${mode.name}: same label as native on ${sameLabel}/1000, max |probability difference| ${maxDiff.toExponential(2)} (digit ${worst}), ` +
        `accuracy ${(correct / 10).toFixed(1)}%, ${(result.ms / 1000).toFixed(2)} ms per digit in the page (${(result.ms / 1000).toFixed(1)} s total)`);
      assert.ok(sameLabel >= 999, `same label on only ${sameLabel}/1000`);
      assert.ok(maxDiff <= 1e-3, `max probability difference ${maxDiff} at digit ${worst}`);
      assert.ok(correct >= 980, `accuracy ${correct}/1000 is implausible for the committed model`);
    });

    test('recognises digits drawn with the mouse', { timeout: 300_000 }, async (t) => {
      const read = {};
      for (const [digit, strokes] of Object.entries(STROKES)) {
        await page.click('#clear-button');
        await predictionAfter(page, () => draw(page, strokes));
        const label = await shownLabel(page);
        read[digit] = label;
        const snap = await snapshot(page);
        assert.match(snap.preview, /^draw:/, 'the preview shows the drawing');
        assert.match(snap.text, new RegExp(String(label)));
      }
      report(t, `${mode.name}: drawn → read ${JSON.stringify(read)}`);
      for (const [digit, label] of Object.entries(read)) assert.equal(label, Number(digit), `drew a ${digit}, the network read ${label}`);
    });

    test('undo removes the last stroke; clear leaves a hint and no prediction', async () => {
      await page.click('#clear-button');
      await predictionAfter(page, () => draw(page, STROKES[7]));
      const seven = await snapshot(page);
      assert.equal(seven.label, '7');
      // A second stroke (a crossbar) changes what the network sees...
      await predictionAfter(page, () => draw(page, [[[95, 150], [140, 148], [200, 146]]]));
      const crossed = await snapshot(page);
      assert.notEqual(crossed.preview, seven.preview, 'the second stroke changed the preview');
      // ...and Undo brings back exactly the first one.
      await predictionAfter(page, () => page.click('#undo-button'));
      const undone = await snapshot(page);
      assert.equal(undone.preview, seven.preview, 'after Undo the preview is the 7 again');
      assert.equal(undone.label, '7');
      assert.deepEqual(undone.bars, seven.bars, 'same probabilities as before the second stroke');
      // Undo of the only stroke, and Clear: a hint, and no prediction.
      await page.click('#undo-button');
      await page.waitForFunction(() => document.getElementById('message').dataset.kind === 'hint');
      assert.equal(await shownLabel(page), null);
      await draw(page, STROKES[1]);
      await settle(page);
      assert.equal(await shownLabel(page), 1);
      await page.click('#clear-button');
      await page.waitForFunction(() => document.getElementById('message').dataset.kind === 'hint');
      await page.waitForTimeout(300); // a classification in flight must not come back
      assert.ok((await page.textContent('#message')).length > 0, 'the hint says something');
      assert.equal(await shownLabel(page), null, 'no prediction for an empty canvas');
      assert.doesNotMatch(await page.textContent('#prediction'), /reads a \d/);
      const bars = await page.$$eval('#bars .bar', (b) => b.map((x) => Number(x.dataset.probability)));
      assert.ok(bars.every((p) => p === 0), 'the bars are empty');
      assert.equal(await page.evaluate(() => window.adversarialDigits.current()), null);
    });

    test('classifies uploaded PNG and JPEG digits, photos of paper included, and a dropped file', { timeout: 120_000 }, async (t) => {
      const { pixels, labels } = mnistTest(8);
      const cases = [
        { i: 0, name: 'digit.png', type: 'image/png' },
        { i: 1, name: 'digit.jpg', type: 'image/jpeg' },
        { i: 2, name: 'paper.png', type: 'image/png', photo: true },
        { i: 3, name: 'photo.jpg', type: 'image/jpeg', photo: true, width: 640, height: 480, scale: 11, at: [300, 60] },
        { i: 4, name: 'small-photo.jpg', type: 'image/jpeg', photo: true, width: 120, height: 160, scale: 3, at: [20, 30] },
      ];
      const read = [];
      for (const c of cases) {
        const buffer = await digitFile(page, pixels[c.i], c);
        const label = await predictionAfter(page, () => upload(page, c.name, c.type, buffer));
        read.push(`${c.name}: ${labels[c.i]} → ${label}`);
        assert.equal(await page.getAttribute('#preview-canvas', 'data-source'), 'upload');
        assert.notEqual(await page.getAttribute('#message', 'data-kind'), 'error', await page.textContent('#message'));
        assert.equal(label, labels[c.i], `${c.name}: expected ${labels[c.i]}, read ${label}`);
      }
      // Drag and drop: the events a browser sends when a file is dropped on the zone.
      const buffer = await digitFile(page, pixels[5], { type: 'image/png', photo: true });
      const label = await predictionAfter(page, () => page.evaluate((base64) => {
        const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
        const zone = document.getElementById('drop-zone');
        for (const type of ['dragenter', 'dragover', 'drop']) {
          zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }
      }, buffer.toString('base64')));
      read.push(`dropped.png: ${labels[5]} → ${label}`);
      report(t, `${mode.name}: ${read.join(', ')}`);
      assert.equal(label, labels[5]);
      assert.equal(await page.getAttribute('#preview-canvas', 'data-source'), 'upload');
    });

    test('bad input shows a message and keeps the digit and prediction', { timeout: 120_000 }, async () => {
      const { pixels, labels } = mnistTest(3);
      const png = await digitFile(page, pixels[2], { type: 'image/png' });
      assert.equal(await predictionAfter(page, () => upload(page, 'good.png', 'image/png', png)), labels[2]);
      const good = await snapshot(page);
      const goodCurrent = await page.evaluate(() => window.adversarialDigits.current());
      const huge = Buffer.from(png.subarray(0, 33)); // signature + IHDR, claiming 20000 x 20000
      huge.writeUInt32BE(20000, 16);
      huge.writeUInt32BE(20000, 20);
      const bad = [
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture at all\n'), message: /not a PNG, JPEG, GIF or WebP/ },
        { name: 'notes-named.png', mimeType: 'image/png', buffer: Buffer.from('a text file pretending to be a PNG'), message: /not a PNG, JPEG, GIF or WebP/ },
        { name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><script>alert(1)</script><circle cx="14" cy="14" r="9"/></svg>'), message: /SVG/ },
        { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0), message: /empty|not a PNG/ },
        { name: 'cut-header.png', mimeType: 'image/png', buffer: png.subarray(0, 20), message: /damaged/ },
        { name: 'truncated.png', mimeType: 'image/png', buffer: png.subarray(0, Math.floor(png.length / 2)), message: /damaged|cannot be decoded/ },
        { name: 'huge.png', mimeType: 'image/png', buffer: huge, message: /20000 ?x ?20000/ },
        { name: 'blank.png', mimeType: 'image/png', buffer: await blankPng(page), message: /blank|no digit/i },
      ];
      for (const file of bad) {
        await page.setInputFiles('#file-input', file);
        await page.waitForFunction((name) => document.getElementById('message').textContent.includes(name), file.name, { timeout: 30_000 });
        await page.waitForTimeout(150); // let anything it might wrongly trigger happen
        assert.equal(await page.getAttribute('#message', 'data-kind'), 'error', file.name);
        assert.match(await page.textContent('#message'), file.message, file.name);
        const now = await snapshot(page);
        assert.deepEqual(now, good, `${file.name} changed the digit or the prediction`);
      }
      assert.equal(await page.evaluate(() => document.getElementById('message').textContent.includes('alert(1)')), false);
      const current = await page.evaluate(() => window.adversarialDigits.current());
      assert.deepEqual(current.probabilities, goodCurrent.probabilities);
      assert.equal(await page.evaluate(() => document.querySelectorAll('svg script, #message *').length), 0, 'nothing from the files became markup');
    });

    test('clicking a sample shows its label as the prediction', { timeout: 120_000 }, async (t) => {
      const buttons = await page.$$eval('#samples button.sample', (b) => b.map((x) => ({ index: Number(x.dataset.index), label: Number(x.dataset.label) })));
      assert.ok(buttons.length >= 10, `${buttons.length} samples`);
      const { labels } = mnistTest(100);
      const reference = native(['predict', '--samples', '100']);
      let right = 0;
      for (const { index, label } of buttons) {
        assert.equal(label, labels[index], `sample ${index} is test digit ${index}`);
        const shown = await predictionAfter(page, () => page.click(`#samples button.sample[data-index="${index}"]`));
        assert.equal(await page.getAttribute('#preview-canvas', 'data-source'), 'sample');
        assert.equal(shown, reference.predictions[index], `sample ${index}: page ${shown}, native ${reference.predictions[index]}`);
        if (reference.predictions[index] === label) {
          assert.equal(shown, label, `sample ${index}`);
          right++;
        }
      }
      report(t, `${mode.name}: ${right}/${buttons.length} samples read as their label (the rest as native reads them)`);
      assert.ok(right >= buttons.length - 1);
    });

    test('?backend=cpu forces the CPU backend and says so', async () => {
      const forced = await session.open('/?backend=cpu');
      await settle(forced);
      await forced.waitForTimeout(500); // WebGPU must not take over later
      assert.equal(await forced.getAttribute('#backend', 'data-backend'), 'cpu');
      assert.equal(await forced.evaluate(() => window.adversarialDigits.backend), 'cpu');
      assert.match(await forced.textContent('#backend-note'), /backend=cpu|CPU/);
      assert.notEqual(await shownLabel(forced), null);
      await forced.close();
    });

    test('made no request outside its origin and logged no error', () => {
      session.assertClean();
    });
  });
}

describe('WebGPU unavailable in other ways', () => {
  let session;
  before(async () => { session = await launch(modeNamed('webgpu')); });
  after(async () => session?.close());

  test('no navigator.gpu at all: the CPU, with the reason', async () => {
    const page = await session.open('/', { init: () => { delete Navigator.prototype.gpu; delete navigator.gpu; } });
    await settle(page);
    assert.equal(await page.evaluate(() => 'gpu' in navigator && !!navigator.gpu), false);
    assert.equal(await page.getAttribute('#backend', 'data-backend'), 'cpu');
    assert.match(await page.textContent('#backend-note'), /WebGPU/);
    assert.notEqual(await shownLabel(page), null);
  });

  test('?backend=webgpu where no adapter exists falls back to the CPU', async () => {
    const cpu = await launch(modeNamed('no-webgpu'));
    try {
      const page = await cpu.open('/?backend=webgpu');
      await settle(page);
      assert.equal(await page.getAttribute('#backend', 'data-backend'), 'cpu');
      assert.match(await page.textContent('#backend-note'), /WebGPU/);
      assert.notEqual(await shownLabel(page), null);
      cpu.assertClean();
    } finally {
      await cpu.close();
    }
  });

  test('no request outside the origin, no error', () => session.assertClean());
});

describe('broken weights', () => {
  const weights = readFileSync(join(ROOT, 'models/standard.safetensors'));
  const headerLength = Number(weights.readBigUInt64LE(0));
  const poisoned = Buffer.from(weights);
  poisoned.writeFloatLE(Number.NaN, 8 + headerLength + 40); // inside the first tensor
  // The page's own 8-bit file with one more tensor, of a type the engine does not read.
  const withExtraTensor = (() => {
    const page = readFileSync(join(ROOT, 'models/standard.i8.safetensors'));
    const length = Number(page.readBigUInt64LE(0));
    const header = JSON.parse(page.subarray(8, 8 + length).toString());
    const dataLength = page.length - 8 - length;
    header.extra = { dtype: 'I64', shape: [1], data_offsets: [dataLength, dataLength + 8] };
    const json = Buffer.from(JSON.stringify(header));
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([size, json, page.subarray(8 + length), Buffer.alloc(8)]);
  })();
  let session;
  before(async () => {
    session = await launch(modeNamed('no-webgpu'), {
      routes: {
        '/fault/truncated.safetensors': { body: weights.subarray(0, Math.floor(weights.length / 2)) },
        '/fault/html.safetensors': { body: '<!doctype html><p>Not found</p>', type: 'text/html' },
        '/fault/extra.safetensors': { body: withExtraTensor },
      },
    });
  });
  after(async () => session?.close());

  async function refused(page, message) {
    assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), 'error');
    assert.equal(await page.getAttribute('#message', 'data-kind'), 'error');
    assert.match(await page.textContent('#message'), message);
    assert.match(await page.textContent('#prediction'), /not available|could not|failed/i);
    const rejected = await page.evaluate(() => window.adversarialDigits?.ready.then(() => false, () => true));
    assert.equal(rejected, true, 'adversarialDigits.ready rejects');
  }

  test('NaN in the weights (the weights request answered with poisoned bytes): refused with a clear message', async () => {
    const page = await session.context.newPage();
    await page.route('**/models/standard.i8.safetensors', (route) => route.fulfill({ body: poisoned, contentType: 'application/octet-stream' }));
    await page.goto(`${session.server.url}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 60_000 });
    await refused(page, /NaN/);
    await page.close();
  });

  test('?weights= a truncated file: refused', async () => {
    const page = await session.open('/?weights=/fault/truncated.safetensors', { ready: 'error', allowErrors: /damaged|truncat|short/ });
    await refused(page, /damaged|truncat|short/);
  });

  test('?weights= an HTML page instead of weights: refused', async () => {
    const page = await session.open('/?weights=/fault/html.safetensors', { ready: 'error', allowErrors: /damaged|safetensors|header/ });
    await refused(page, /damaged|header/);
  });

  test('?weights= a file with an extra tensor of another type: refused with its name, no crash', async () => {
    const page = await session.open('/?weights=/fault/extra.safetensors', { ready: 'error', allowErrors: /extra|I64/ });
    await refused(page, /`extra` is I64/);
  });

  test('?weights= a missing file: refused with the HTTP status', async () => {
    const page = await session.open('/?weights=/fault/missing.safetensors', { ready: 'error', allowErrors: /404|could not be downloaded/ });
    await refused(page, /404/);
  });

  test('?weights= on another origin is ignored: the page loads its own weights and asks nothing of that origin', async () => {
    const page = await session.open('/?weights=http://weights.example.invalid/standard.safetensors');
    await settle(page);
    assert.notEqual(await shownLabel(page), null);
    assert.ok(!session.requests.some((u) => new URL(u).hostname === 'weights.example.invalid'), 'a request went to the other origin');
  });

  test('no request outside the origin, no unexpected error', () => session.assertClean());
});
