// Writes tests/e2e/fixtures/camera-digits.y4m, the video Chromium's fake camera plays in the
// tests (--use-file-for-fake-video-capture): handwritten digits from a real webcam photo of a
// sheet of paper (blue ballpoint, dark on light; tests/e2e/fixtures/camera-photo-digits.png, an
// unmodified crop of Open Model Zoo's shot_25.png, Apache-2.0: see CAMERA-PHOTO.md there), not
// rendered ones. A 7, a 3 and a 2 in turn, each held for 8 frames at 10 fps (Chromium loops the
// video) as a camera brought close to the page sees it: the photo enlarged 4× (bilinear), so the
// digit, about 15 px tall in the photo, is about 60 of the guide box's 96 px, drifting a few
// pixels from frame to frame as a hand-held camera does. The photo's own colours, exposure and
// contrast (no levels change, no thickening): the network reads each frame as it is. Y4M: a text
// header, then raw 4:2:0 frames, BT.601 full-range YCbCr (C420jpeg), chroma averaged over 2×2.
//
//   node tools/camera-fixture.mjs
//
// The camera test imports DIGITS (what the video shows, in order) and fixtureVideo() (to check
// that the committed video is this script's).

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { ROOT } from './serve.mjs';

const [W, H, FRAMES, ZOOM] = [160, 120, 8, 4]; // FRAMES: per digit
// Each digit and the point of the crop the camera is centred on (the crop's x, y = the photo's
// x - 412, y - 287).
const CROP = [[7, 430, 20], [3, 95, 17], [2, 26, 17]];
/** The digits the video shows, in order (it loops). */
export const DIGITS = CROP.map(([digit]) => digit);
export const OUT = 'tests/e2e/fixtures/camera-digits.y4m';

/** The RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what the crop is). */
function decodePng(file) {
  let [pos, width, height, channels] = [8, 0, 0, 0];
  const data = [];
  while (pos < file.length) {
    const length = file.readUInt32BE(pos);
    const type = file.toString('latin1', pos + 4, pos + 8);
    const body = file.subarray(pos + 8, pos + 8 + length);
    pos += 12 + length;
    if (type === 'IHDR') {
      [width, height, channels] = [body.readUInt32BE(0), body.readUInt32BE(4), { 2: 3, 6: 4 }[body[9]]];
      if (body[8] !== 8 || !channels || body[12] !== 0) throw new Error('only 8-bit RGB/RGBA, non-interlaced PNGs');
    } else if (type === 'IDAT') data.push(body);
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const rows = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? rows[y * stride + i - channels] : 0; // left
      const b = y > 0 ? rows[(y - 1) * stride + i] : 0; // up
      const c = i >= channels && y > 0 ? rows[(y - 1) * stride + i - channels] : 0; // up-left
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      rows[y * stride + i] = raw[y * (stride + 1) + 1 + i] + predictor;
    }
  }
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) rows.copy(rgb, i * 3, i * channels, i * channels + 3);
  return { width, height, rgb };
}

/** The video's bytes (Y4M), made from the committed photo. */
export function fixtureVideo() {
  const photo = decodePng(readFileSync(`${ROOT}/tests/e2e/fixtures/camera-photo-digits.png`));
  /** Channel k of the photo at (x, y), bilinear between its pixels. */
  function at(x, y, k) {
    const [x0, y0] = [Math.floor(x), Math.floor(y)];
    if (x0 < 0 || y0 < 0 || x0 + 1 >= photo.width || y0 + 1 >= photo.height) throw new Error(`(${x}, ${y}) is outside the photo`);
    const [tx, ty] = [x - x0, y - y0];
    const p = (x, y) => photo.rgb[(y * photo.width + x) * 3 + k];
    return (p(x0, y0) * (1 - tx) + p(x0 + 1, y0) * tx) * (1 - ty) + (p(x0, y0 + 1) * (1 - tx) + p(x0 + 1, y0 + 1) * tx) * ty;
  }
  const byte = (v) => Math.max(0, Math.min(255, Math.round(v)));

  const parts = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
  let f = 0;
  for (const [, cx, cy] of CROP) {
    for (let n = 0; n < FRAMES; n++, f++) {
      const dx = 3 * Math.sin(f); // the hand's drift, in the video's pixels
      const dy = 2 * Math.cos(f);
      const luma = Buffer.alloc(W * H);
      const [cb, cr] = [new Float32Array(W * H), new Float32Array(W * H)];
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          // Pixel centres: the video's (x, y) shows the photo's point at this offset from (cx, cy).
          const px = cx + (x + 0.5 - W / 2 - dx) / ZOOM - 0.5;
          const py = cy + (y + 0.5 - H / 2 - dy) / ZOOM - 0.5;
          const [r, g, b] = [at(px, py, 0), at(px, py, 1), at(px, py, 2)];
          luma[y * W + x] = byte(0.299 * r + 0.587 * g + 0.114 * b);
          cb[y * W + x] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
          cr[y * W + x] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
        }
      }
      const half = (plane) => {
        const out = Buffer.alloc((W / 2) * (H / 2));
        for (let y = 0; y < H / 2; y++) {
          for (let x = 0; x < W / 2; x++) {
            const i = 2 * y * W + 2 * x;
            out[y * (W / 2) + x] = byte((plane[i] + plane[i + 1] + plane[i + W] + plane[i + W + 1]) / 4);
          }
        }
        return out;
      };
      parts.push(Buffer.from('FRAME\n'), luma, half(cb), half(cr));
    }
  }
  return Buffer.concat(parts);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(`${ROOT}/${OUT}`, fixtureVideo());
  console.log(`${OUT}: ${DIGITS.join(', ')}, ${FRAMES} frames each, ${W}×${H}`);
}
