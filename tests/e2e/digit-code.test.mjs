// www/input/digit-code.js, the digit in a link (`#drawn=1…`): exact to 1/255 on real digits, short,
// and any damaged code is refused rather than shown as a wrong digit. No browser needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDigit, encodeDigit } from '../../www/input/digit-code.js';
import { mnistTest } from './helpers.mjs';

test('real digits come back to the nearest 1/255, in a short code', () => {
  const { pixels } = mnistTest(100);
  let longest = 0;
  for (const digit of pixels) {
    const code = encodeDigit(digit);
    assert.match(code, /^1[A-Za-z0-9_-]+$/, 'only characters a URL keeps as they are');
    longest = Math.max(longest, code.length);
    const back = decodeDigit(code);
    assert.equal(back.length, 784);
    digit.forEach((v, i) => assert.ok(Math.abs(back[i] - v) <= 0.5 / 255 + 1e-7, `pixel ${i}: ${v} → ${back[i]}`));
  }
  assert.ok(longest < 600, `longest code ${longest} characters`);
});

test('the extremes: all black, all white, out-of-range and NaN values clipped', () => {
  assert.deepEqual(Array.from(decodeDigit(encodeDigit(new Float32Array(784)))), new Array(784).fill(0));
  assert.deepEqual(Array.from(decodeDigit(encodeDigit(new Float32Array(784).fill(1)))), new Array(784).fill(1));
  const odd = Array.from({ length: 784 }, (_, i) => [-3, 7, Number.NaN, 0.5][i % 4]);
  assert.deepEqual(Array.from(decodeDigit(encodeDigit(odd))).slice(0, 4), [0, 1, 0, 128 / 255].map(Math.fround));
  assert.throws(() => encodeDigit(new Float32Array(783)), /784 pixels/);
});

test('damaged codes are refused', () => {
  const code = encodeDigit(mnistTest(1).pixels[0]);
  for (const bad of ['', '1', '2' + code.slice(1), code.slice(0, -4), `${code}AAAA`, `${code.slice(0, 10)}!${code.slice(11)}`, `1${'A'.repeat(40)}`, null, 7]) {
    assert.equal(decodeDigit(bad), null, `accepted ${String(bad).slice(0, 30)}`);
  }
});
