// The perception experiment's staircase (www/experiment/staircase.js), on its own: its rule,
// its end, and where it settles for simulated observers of known thresholds. No browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seeded } from '../../www/experiment/seeded.js';
import { createStaircase } from '../../www/experiment/staircase.js';

test('2-down/1-up: two right answers make it harder, one wrong answer easier; reversals are counted', () => {
  const s = createStaircase({ start: 0.2, factor: 2 });
  s.answer(true);
  assert.equal(s.level, 0.2, 'one right answer changes nothing');
  s.answer(true);
  assert.equal(s.level, 0.1);
  s.answer(false);
  assert.equal(s.level, 0.2);
  assert.deepEqual(s.reversals, [0.1], 'down then up: a reversal at 0.1');
  s.answer(true);
  s.answer(true);
  assert.equal(s.level, 0.1);
  assert.deepEqual(s.reversals, [0.1, 0.2]);
  assert.equal(s.trials.length, 5);
});

test('it ends after its reversals or its trials, and stays within its range', () => {
  const always = createStaircase({ maxTrials: 40 });
  while (!always.done) always.answer(true);
  assert.equal(always.trials.length, 40, 'a perfect observer never reverses: it ends at the trial cap');
  assert.ok(always.trials.every((t) => t.eps >= 0.005 && t.eps <= 0.5));
  const never = createStaircase();
  while (!never.done) never.answer(false);
  assert.ok(never.trials.every((t) => t.eps <= 0.5));
});

test('simulated observers: the threshold lands near theirs', () => {
  for (const truth of [0.05, 0.1, 0.2]) {
    const found = [];
    for (let seed = 1; seed <= 50; seed++) {
      const random = seeded(seed);
      const s = createStaircase();
      // Sees the change from `truth` on; below it, a fair guess.
      while (!s.done) s.answer(s.level >= truth ? true : random() < 0.5);
      found.push(s.threshold);
    }
    found.sort((a, b) => a - b);
    const median = found[25];
    assert.ok(median > truth / 1.6 && median < truth * 1.4, `observer at ${truth}: median threshold ${median}`);
  }
});
