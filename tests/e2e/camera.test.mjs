// The camera (issue 20): nothing asks for it before the reader does; then Chromium's fake camera,
// playing a committed video of handwritten digits from a real photo of paper, a 7, a 3 and a 2 in
// turn (tests/e2e/fixtures/camera-digits.y4m, written by tools/camera-fixture.mjs from
// camera-photo-digits.png, see CAMERA-PHOTO.md there), is read live through the upload
// preprocessing, each digit as it passes; Freeze keeps a frame as the digit, Stop and another
// digit end the camera; a refused camera leaves the digit as it was and says why; the compact
// embed shows the camera in its picture.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ROOT, launch, mnistTest } from './helpers.mjs';
import { DIGITS, OUT, fixtureVideo } from '../../tools/camera-fixture.mjs';

const FIXTURE = join(ROOT, OUT);
/** The video's digits, in the order it shows them (it loops): the script that writes it says which. */
const SEQUENCE = DIGITS.map(String);
const CAMERA = {
  name: 'camera', expect: 'cpu', adapter: false,
  args: ['--disable-features=WebGPU', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${FIXTURE}`],
};

/**
 * Counts the page's camera requests and keeps the label of every prediction made from a camera
 * frame, in order (in the page, before its scripts run; not in the engine's worker).
 */
function watchCamera() {
  if (typeof document === 'undefined') return;
  window.cameraRequests = 0;
  window.cameraLabels = [];
  const original = navigator.mediaDevices?.getUserMedia?.bind(navigator.mediaDevices);
  if (original) navigator.mediaDevices.getUserMedia = (...args) => { window.cameraRequests++; return original(...args); };
  document.addEventListener('adversarialdigits:prediction', (event) => {
    if (event.detail.source === 'camera') window.cameraLabels.push(String(event.detail.label));
  });
}
/** The labels the camera's frames were read as, so far. */
const cameraLabels = (p) => p.evaluate(() => window.cameraLabels);
/** Labels with repeats merged, for a message: '7×8 3×8 2×8 …'. */
const runs = (labels) => labels.reduce((out, label) => {
  if (out.at(-1)?.[0] === label) out.at(-1)[1]++;
  else out.push([label, 1]);
  return out;
}, []).slice(-12).map(([label, n]) => `${label}×${n}`).join(' ');
/** Waits until the page's live prediction shows each of the video's digits in turn, from `from`. */
async function readsInTurn(p, from) {
  for (let k = 1; k <= SEQUENCE.length; k++) {
    const want = SEQUENCE[(SEQUENCE.indexOf(from) + k) % SEQUENCE.length];
    await p.waitForFunction((want) => document.getElementById('prediction').dataset.label === want, want, { timeout: 60_000 })
      .catch(() => assert.fail(`the live prediction never showed the video's ${want} (after ${from})`));
  }
}
/** The camera refused, as when the reader says no. */
function refuseCamera() {
  navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
}

const read = (p) => p.evaluate(() => ({
  label: document.getElementById('prediction').dataset.label ?? null,
  source: document.getElementById('preview-canvas').dataset.source,
  predictions: Number(document.querySelector('.demo').dataset.predictions ?? 0),
  live: !document.querySelector('.camera-view').hidden,
  tracks: (document.getElementById('camera-video').srcObject?.getTracks() ?? []).map((t) => t.readyState),
  message: document.getElementById('message').textContent,
}));

describe('the camera (fake capture device, no-webgpu)', () => {
  let session;
  const { labels } = mnistTest(10);
  before(async () => {
    session = await launch(CAMERA);
    await session.context.grantPermissions(['camera']);
  });
  after(async () => session?.close());

  test('the committed video is the one tools/camera-fixture.mjs makes from the photo', () => {
    assert.ok(readFileSync(FIXTURE).equals(fixtureVideo()), `${OUT} is stale: run node tools/camera-fixture.mjs`);
  });

  test('asked for only on the button; the photo\'s 7, 3 and 2 read live in turn; Freeze keeps a frame; Stop and a sample end it', { timeout: 300_000 }, async () => {
    const p = await session.open('/', { init: watchCamera });
    await p.waitForTimeout(500);
    assert.equal(await p.evaluate(() => window.cameraRequests), 0, 'the camera was asked for before the button');
    assert.equal((await read(p)).live, false);

    await p.click('#camera-start');
    await p.waitForFunction(() => document.getElementById('preview-canvas').dataset.source === 'camera', null, { timeout: 60_000 });
    assert.equal(await p.evaluate(() => window.cameraRequests), 1);
    const first = await read(p);
    assert.deepEqual(first.tracks, ['live']);
    assert.equal(first.live, true);
    assert.ok(SEQUENCE.includes(first.label), `the first frame is read as ${first.label}, not one of the video's digits ${SEQUENCE}`);
    // Live: frame after frame is read while the camera runs, and as the video moves from one
    // handwritten digit to the next, the prediction follows: each of them in turn, round to the first.
    await readsInTurn(p, first.label);
    // In the video's order: the frames' labels, repeats merged, go once round it (7 3 2 7 or a
    // rotation) somewhere; a frame skipped now and then under load may break the round elsewhere.
    await p.waitForFunction((sequence) => {
      const runs = window.cameraLabels.filter((label, i, all) => label !== all[i - 1]);
      return runs.some((label, i) => sequence.includes(label) && runs.length - i > sequence.length &&
        sequence.every((_, k) => runs[i + k + 1] === sequence[(sequence.indexOf(label) + k + 1) % sequence.length]));
    }, SEQUENCE, { timeout: 60_000 }).catch(async () => assert.fail(`the frames were not read in the video's order ${SEQUENCE}: ${runs(await cameraLabels(p))}`));
    assert.equal((await read(p)).live, true);
    const seen = await cameraLabels(p);
    assert.ok(seen.length >= SEQUENCE.length + 1, `${seen.length} camera frames read`);
    assert.deepEqual(seen.filter((label) => !SEQUENCE.includes(label)), [], `every frame is read as one of the video's digits (${runs(seen)})`);

    // Freeze: the camera ends, the frame stays the digit, and the attack panel attacks it. The
    // frozen frame's own answer may still be on its way: wait until the count is still.
    await p.click('#camera-freeze');
    for (let last = -1, now = (await read(p)).predictions; now !== last; last = now, now = (await read(p)).predictions) await p.waitForTimeout(500);
    await p.waitForFunction(() => !document.getElementById('attack-panel').hasAttribute('aria-busy'), null, { timeout: 60_000 });
    const frozen = await read(p);
    assert.equal(frozen.live, false);
    assert.deepEqual(frozen.tracks, [], 'the camera is off');
    assert.equal(frozen.source, 'camera');
    assert.ok(SEQUENCE.includes(frozen.label), `the frozen frame is read as ${frozen.label}, not one of the video's digits ${SEQUENCE}`);
    assert.equal((await cameraLabels(p)).at(-1), frozen.label, 'the page shows the frozen frame\'s label');
    await p.waitForTimeout(600);
    assert.equal((await read(p)).predictions, frozen.predictions, 'no frame is read after Freeze');
    // The attack panel attacks the frozen frame (an attack of an earlier frame may end first).
    await p.waitForFunction((label) => document.getElementById('attack-original-caption').textContent.startsWith(`Original: ${label} `), frozen.label, { timeout: 60_000 })
      .catch(() => assert.fail(`the attack panel never attacked the frozen ${frozen.label}`));

    // Again, then a sample: the sample is the digit and the camera is off.
    await p.click('#camera-start');
    await p.waitForFunction(() => !document.querySelector('.camera-view').hidden, null, { timeout: 60_000 });
    await p.click('#samples .sample[data-index="1"]');
    await p.waitForFunction(() => document.getElementById('preview-canvas').dataset.source === 'sample', null, { timeout: 60_000 });
    await p.waitForTimeout(300);
    const sample = await read(p);
    assert.equal(sample.live, false);
    assert.deepEqual(sample.tracks, []);
    assert.equal(sample.label, String(labels[1]));

    // Stop.
    await p.click('#camera-start');
    await p.waitForFunction(() => !document.querySelector('.camera-view').hidden, null, { timeout: 60_000 });
    await p.click('#camera-stop');
    const stopped = await read(p);
    assert.equal(stopped.live, false);
    assert.deepEqual(stopped.tracks, []);
    await p.close();
  });

  test('a refused camera: a clear message, and the digit stays as it was', { timeout: 120_000 }, async () => {
    const p = await session.open('/#sample=2', { init: refuseCamera });
    const before = await read(p);
    await p.click('#camera-start');
    await p.waitForFunction(() => /camera was not used/.test(document.getElementById('message').textContent), null, { timeout: 30_000 });
    const after = await read(p);
    assert.match(after.message, /did not allow the camera/);
    assert.equal(after.live, false);
    assert.equal(after.label, before.label);
    assert.equal(after.source, before.source);
    assert.equal(await p.isVisible('#camera-start'), true, 'the reader can try again');
    await p.close();
  });

  test('the compact embed shows the camera in its picture and attacks a frame', { timeout: 120_000 }, async () => {
    await session.context.route('**/test/camera-embed.html', (route) => route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>camera embed</title><link rel="icon" href="data:,"><script type="module" src="/www/embed.js"></script></head>' +
        '<body><adversarial-digits view="attack" controls="camera,samples,eps" loading="eager"></adversarial-digits></body></html>',
    }));
    const p = await session.open('/test/camera-embed.html', { init: watchCamera, until: () => document.querySelector('adversarial-digits')?.dataset.ready === 'true' });
    const embed = p.locator('adversarial-digits');
    const results = () => p.evaluate(() => Number(document.querySelector('adversarial-digits').shadowRoot.querySelector('.attack-panel').dataset.results ?? 0));
    await p.waitForFunction(() => Number(document.querySelector('adversarial-digits').shadowRoot.querySelector('.attack-panel').dataset.results ?? 0) > 0, null, { timeout: 60_000 });
    await embed.locator('[id$="camera-start"]').click();
    await p.waitForFunction(() => document.querySelector('adversarial-digits').shadowRoot.querySelector('.input-stack').dataset.source === 'camera', null, { timeout: 60_000 });
    const video = await embed.locator('.input-stack video').boundingBox();
    const stack = await embed.locator('.input-stack').boundingBox();
    assert.ok(video && Math.abs(video.width - stack.width) < 2 && Math.abs(video.height - stack.height) < 2, 'the video fills the picture');
    const n = await results();
    await embed.locator('[id$="camera-freeze"]').click();
    await p.waitForFunction((n) => Number(document.querySelector('adversarial-digits').shadowRoot.querySelector('.attack-panel').dataset.results ?? 0) > n, n, { timeout: 60_000 });
    // The frozen frame's own answer and attack may come after an earlier frame's: wait for them.
    for (let last = -1, now = (await cameraLabels(p)).length; now !== last; last = now, now = (await cameraLabels(p)).length) await p.waitForTimeout(500);
    const frozen = (await cameraLabels(p)).at(-1);
    assert.ok(SEQUENCE.includes(frozen), `the frozen frame is read as ${frozen}, not one of the video's digits ${SEQUENCE}`);
    await p.waitForFunction((label) => document.querySelector('adversarial-digits').shadowRoot.querySelector('[id$="attack-original-caption"]').textContent.startsWith(`Original: ${label} `), frozen, { timeout: 60_000 })
      .catch(() => assert.fail(`the embed never attacked the frozen ${frozen}`));
    await p.close();
  });

  test('no request outside the origin, no error', () => session.assertClean());
});
