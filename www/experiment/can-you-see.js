// "Can you see it?": the reader against the network, on the same pictures. Part 1: label 20
// digits (clean ones, adversarial ones at the reader's budget, fooling images), then see the
// answers side by side. Part 2: a two-alternative "which one has been changed?" staircase over ε
// (staircase.js) finds the reader's detection threshold, shown beside the ε at which the network
// flips on the same digits. Seeded (a class can run the same set); everything stays in the page
// and downloads as CSV or JSON. The network's work is the engine's; this module asks and draws.

import { el } from '../dom.js';
import { drawDigit } from '../render/colormap.js';
import { percent } from '../render/bars.js';
import { errorClause as reason } from '../engine/protocol.js';
import { loadSamplesOnce } from '../input/samples.js';
import { seeded, shuffle } from './seeded.js';
import { createStaircase } from './staircase.js';

/** Part 1's mix: how many of each kind, shuffled together. */
const MIX = { clean: 8, adversarial: 8, fooling: 4 };
/** The attack both parts use (L∞, the page's main example). */
const ATTACK = { method: 'pgd', steps: 40 };
/** Digits part 2 cycles through. */
const STAIRCASE_DIGITS = 5;

/** The picture as the reader sees it: the canvas shows 8-bit grey levels, so the network reads those. */
const asShown = (pixels) => Float32Array.from(pixels, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
};

/** CSV of the records (the columns the page lists), one line each. */
export function toCsv(records) {
  const columns = ['part', 'trial', 'sample', 'kind', 'eps', 'true_label', 'answer', 'network_label', 'network_confidence', 'correct'];
  const cell = (v) => (v == null ? '' : String(v));
  const rows = records.map((r) => [r.part, r.trial, r.sample, r.kind, r.eps, r.truth, r.answer, r.network, r.confidence, r.correct].map(cell).join(','));
  return [columns.join(','), ...rows].join('\n') + '\n';
}

/**
 * @param {HTMLElement} container
 * @param {{engine: object, seed?: number, idPrefix?: string}} options `engine`: the page's
 *   network (its current one); `seed`: the experiment's (the address's `?seed=`, else 1).
 */
export function mountExperiment(container, { engine, seed = 1, idPrefix = 'see-' }) {
  const id = (name) => idPrefix + name;

  // --- Set-up ---------------------------------------------------------------------------------
  const epsInput = el('input', { id: id('eps'), type: 'range', min: 0.05, max: 0.4, step: 0.01, value: 0.2 });
  const epsOutput = el('output', { id: id('eps-value'), for: epsInput.id, text: '0.20' });
  const seedInput = el('input', { id: id('seed'), type: 'number', min: 0, step: 1, value: seed, inputmode: 'numeric' });
  const startButton = el('button', { type: 'button', id: id('start'), text: 'Start: label 20 digits' });
  const stopButton = el('button', { type: 'button', id: id('stop'), text: 'Stop', hidden: true });
  const status = el('p', { id: id('status'), class: 'small', role: 'status', 'aria-live': 'polite' });

  // --- Part 1: label ---------------------------------------------------------------------------
  const image = el('canvas', { id: id('image'), class: 'digit see-image', width: 28, height: 28, role: 'img', 'aria-label': 'The picture to label' });
  const keys = el('div', { class: 'see-keys', role: 'group', 'aria-label': 'Your answer' });
  const answerButtons = [];
  for (let d = 0; d < 10; d++) answerButtons.push(el('button', { type: 'button', 'data-answer': d, text: String(d), 'aria-label': `It is a ${d}` }));
  answerButtons.push(el('button', { type: 'button', 'data-answer': 'none', text: 'Not a digit', 'aria-keyshortcuts': 'N' }));
  keys.append(...answerButtons);
  const labelStage = el('div', { class: 'see-stage', id: id('label-stage'), tabindex: -1, hidden: true },
    image, el('p', { class: 'small', text: 'Type 0–9, or N for “not a digit”; or tap.' }), keys);
  const labelResults = el('div', { id: id('label-results'), hidden: true });

  // --- Part 2: which one has been changed? -------------------------------------------------------
  const left = el('button', { type: 'button', class: 'see-choice', id: id('left'), 'aria-label': 'The left one has been changed', 'aria-keyshortcuts': 'ArrowLeft' });
  const right = el('button', { type: 'button', class: 'see-choice', id: id('right'), 'aria-label': 'The right one has been changed', 'aria-keyshortcuts': 'ArrowRight' });
  const leftCanvas = el('canvas', { class: 'digit see-image', width: 28, height: 28 });
  const rightCanvas = el('canvas', { class: 'digit see-image', width: 28, height: 28 });
  left.append(leftCanvas);
  right.append(rightCanvas);
  const pairStage = el('div', { class: 'see-stage', id: id('pair-stage'), tabindex: -1, hidden: true },
    el('div', { class: 'see-pair' }, left, right),
    el('p', { class: 'small', text: 'Which one has been changed? ← or → (or tap it). When unsure, guess.' }));
  const pairButton = el('button', { type: 'button', id: id('pair-start'), text: 'Part 2: which one has been changed?', hidden: true });
  const pairResults = el('p', { id: id('pair-results'), hidden: true });

  // --- Downloads ---------------------------------------------------------------------------------
  const csvButton = el('button', { type: 'button', id: id('csv'), text: 'Download CSV' });
  const jsonButton = el('button', { type: 'button', id: id('json'), text: 'Download JSON' });
  const downloads = el('div', { class: 'row', id: id('downloads'), hidden: true }, csvButton, jsonButton);

  container.replaceChildren(
    el('p', { text: 'Adversarial examples are said to be invisible to people (Szegedy et al. 2014; Goodfellow, Shlens & Szegedy 2015), and fooling images to be noise that the network reads as a digit (Nguyen, Yosinski & Clune 2015). Test it on yourself: first label 20 pictures, a mix of untouched digits, digits changed by PGD at the budget below, and fooling images; then, in pairs, say which picture has been changed, while the change shrinks until you can no longer tell (an adaptive 2-down/1-up staircase, Levitt 1971, which settles where you are right 70.7% of the time).' }),
    el('div', { class: 'attack-controls' },
      el('label', { class: 'control', for: epsInput.id }, el('span', { class: 'control-name', text: 'Budget ε (part 1)' }), epsInput, epsOutput),
      el('label', { class: 'control', for: seedInput.id }, el('span', { class: 'control-name', text: 'Seed (the same seed, the same pictures)' }), seedInput)),
    el('div', { class: 'row' }, startButton, stopButton),
    status, labelStage, labelResults, pairButton, pairStage, pairResults, downloads,
    el('p', { class: 'small', text: 'Your answers stay in this page: nothing is sent anywhere. The downloads hold one line per picture: part, trial, sample (the MNIST sample it came from), kind (clean, adversarial, fooling, pair), eps, true_label, answer (your digit, “none”, or left/right), network_label, network_confidence, correct.' }));

  // --- Behaviour -----------------------------------------------------------------------------------
  const records = [];
  let phase = 'idle'; // 'preparing' | 'label' | 'between' | 'pair' | 'done'
  let trials = [];
  let index = 0;
  let random = seeded(seed);
  let staircase = null;
  let pair = null; // the pair shown: {sample, eps, changed: 'left'|'right'}
  let pairDigits = [];
  // Each start (and Stop) begins a new run: work of an earlier run that comes back is dropped.
  let run = 0;
  let controller = null;

  /** Ends the current run's work in the engine, and makes what it still returns go to nobody. */
  function newRun() {
    controller?.abort();
    controller = new AbortController();
    run += 1;
    return { id: run, signal: controller.signal };
  }
  const current = (ticket) => ticket.id === run;

  epsInput.addEventListener('input', () => { epsOutput.value = Number(epsInput.value).toFixed(2); });

  async function prepare() {
    const ticket = newRun();
    const { signal } = ticket;
    const currentSeed = Math.max(0, Math.floor(Number(seedInput.value) || 0));
    // This run's own stream: an earlier run still waking up cannot draw from it.
    const draw = seeded(currentSeed);
    records.length = 0;
    labelResults.hidden = pairButton.hidden = pairResults.hidden = downloads.hidden = true;
    labelStage.hidden = pairStage.hidden = true;
    phase = 'preparing';
    stopButton.hidden = false;
    status.textContent = 'Preparing the pictures…';
    const samples = await loadSamplesOnce(engine.parseMnist);
    if (!current(ticket)) return;
    random = draw;
    const order = shuffle([...Array(samples.count).keys()], random);
    const eps = Number(epsInput.value);
    const kinds = shuffle([...Array(MIX.clean).fill('clean'), ...Array(MIX.adversarial).fill('adversarial'), ...Array(MIX.fooling).fill('fooling')], random);
    const foolingTargets = shuffle([...Array(10).keys()], random).slice(0, MIX.fooling);
    const fooled = await engine.foolingImages(foolingTargets, { seed: currentSeed }, { signal });
    if (!current(ticket)) return;
    let nextSample = 0;
    let nextFooling = 0;
    trials = [];
    for (const kind of kinds) {
      if (kind === 'fooling') {
        const k = nextFooling++;
        trials.push({ kind, sample: null, eps: null, truth: null, pixels: fooled.pixels.slice(k * 784, (k + 1) * 784) });
        continue;
      }
      const sample = order[nextSample++];
      const pixels = samples.pixels(sample);
      const truth = samples.label(sample);
      if (kind === 'clean') {
        trials.push({ kind, sample, eps: 0, truth, pixels });
      } else {
        status.textContent = `Preparing the pictures… (${trials.length + 1} of ${kinds.length})`;
        const attacked = await engine.attack(pixels, truth, { ...ATTACK, eps, seed: currentSeed }, { signal });
        if (!current(ticket)) return;
        trials.push({ kind, sample, eps, truth, pixels: attacked.pixels });
      }
    }
    // What the network reads in each, on the same pictures the reader sees (8-bit grey levels).
    for (const trial of trials) {
      trial.pixels = asShown(trial.pixels);
      const { label, probabilities } = await engine.classify(trial.pixels, { signal });
      trial.network = label;
      trial.confidence = probabilities[label];
    }
    if (!current(ticket)) return;
    stopButton.hidden = true;
    pairDigits = order.slice(nextSample, nextSample + STAIRCASE_DIGITS).map((sample) => ({ sample, pixels: samples.pixels(sample), label: samples.label(sample) }));
    index = 0;
    phase = 'label';
    startButton.textContent = 'Start again';
    labelStage.hidden = false;
    showTrial();
    labelStage.focus();
  }

  function showTrial() {
    drawDigit(image, trials[index].pixels);
    status.textContent = `Picture ${index + 1} of ${trials.length}: what is it?`;
    labelStage.dataset.trial = String(index);
  }

  function answerLabel(answer) {
    if (phase !== 'label') return;
    const trial = trials[index];
    const correct = trial.kind === 'fooling' ? answer === 'none' : answer === trial.truth;
    records.push({ part: 'label', trial: index + 1, sample: trial.sample, kind: trial.kind, eps: trial.eps, truth: trial.truth, answer, network: trial.network, confidence: Number(trial.confidence.toFixed(4)), correct, pixels: Array.from(trial.pixels, (v) => Number(v.toFixed(4))) });
    index += 1;
    if (index < trials.length) return showTrial();
    phase = 'between';
    labelStage.hidden = true;
    showLabelResults();
    pairButton.hidden = false;
    downloads.hidden = false;
    pairButton.focus();
  }

  function showLabelResults() {
    const labelled = records.filter((r) => r.part === 'label');
    const share = (kind, who) => {
      const rows = labelled.filter((r) => r.kind === kind);
      const right = rows.filter((r) => (who === 'you' ? r.correct : r.network === r.truth)).length;
      return `${right} of ${rows.length}`;
    };
    const fooling = labelled.filter((r) => r.kind === 'fooling');
    const table = el('table', { class: 'rank-table see-table', id: id('label-table') },
      el('caption', { text: 'Your answers beside the network’s' }),
      el('thead', {}, el('tr', {}, ...['Picture', 'Kind', 'It was', 'You said', 'The network said'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, ...labelled.map((r) => {
        const thumb = el('canvas', { class: 'digit tiny', width: 28, height: 28, role: 'img', 'aria-label': `Picture ${r.trial}` });
        drawDigit(thumb, Float32Array.from(r.pixels));
        return el('tr', { 'data-kind': r.kind, 'data-network': r.network, 'data-answer': r.answer },
          el('td', {}, thumb), el('td', { text: r.kind === 'adversarial' ? `changed (ε = ${r.eps})` : r.kind }),
          el('td', { text: r.truth == null ? 'noise' : String(r.truth) }), el('td', { text: r.answer === 'none' ? 'not a digit' : String(r.answer) }),
          el('td', { text: `${r.network} (${percent(r.confidence)})` }));
      })));
    const summary = el('p', { id: id('label-summary'), text: `Untouched digits: you ${share('clean', 'you')}, the network ${share('clean', 'network')}. Changed digits: you ${share('adversarial', 'you')}, the network ${share('adversarial', 'network')}. Fooling images: you said “not a digit” for ${fooling.filter((r) => r.answer === 'none').length} of ${fooling.length}; the network read a digit in each, ${percent(fooling.reduce((s, r) => s + r.confidence, 0) / Math.max(1, fooling.length))} sure on average.` });
    labelResults.replaceChildren(summary, table);
    labelResults.hidden = false;
    status.textContent = 'Done: your answers beside the network’s are below.';
  }

  async function nextPair(ticket) {
    const digit = pairDigits[staircase.trials.length % pairDigits.length];
    const eps = staircase.level;
    const attacked = await engine.attack(digit.pixels, digit.label, { ...ATTACK, eps, seed: staircase.trials.length }, { signal: ticket.signal });
    const shown = asShown(attacked.pixels);
    const read = await engine.classify(shown, { signal: ticket.signal });
    if (!current(ticket)) return;
    const changed = random() < 0.5 ? 'left' : 'right';
    pair = { sample: digit.sample, label: digit.label, eps, changed, network: read.label, confidence: read.probabilities[read.label] };
    drawDigit(changed === 'left' ? leftCanvas : rightCanvas, shown);
    drawDigit(changed === 'left' ? rightCanvas : leftCanvas, digit.pixels);
    pairStage.dataset.changed = changed; // for tests and for curious readers: the page hides nothing
    pairStage.dataset.eps = String(eps);
    status.textContent = `Pair ${staircase.trials.length + 1}: which one has been changed?`;
    phase = 'pair';
  }

  async function answerPair(side) {
    if (phase !== 'pair') return;
    phase = 'waiting';
    const ticket = { id: run, signal: controller.signal };
    const correct = side === pair.changed;
    staircase.answer(correct);
    records.push({ part: 'pair', trial: staircase.trials.length, sample: pair.sample, kind: 'pair', eps: Number(pair.eps.toFixed(4)), truth: pair.changed, answer: side, network: pair.network, confidence: Number(pair.confidence.toFixed(4)), correct });
    if (!staircase.done) return nextPair(ticket);
    pairStage.hidden = true;
    status.textContent = 'Measuring where the network flips on the same digits…';
    const flips = [];
    for (const digit of pairDigits) {
      const found = await engine.minimalEpsilon(digit.pixels, digit.label, { ...ATTACK, seed: 0 }, 0.5, 10, { signal: ticket.signal });
      if (found) flips.push(found.eps);
    }
    if (!current(ticket)) return;
    const threshold = staircase.threshold;
    const flip = median(flips);
    pairResults.dataset.threshold = String(threshold);
    pairResults.dataset.network = String(flip);
    pairResults.textContent = `You tell a changed digit from the original from about ε = ${threshold.toFixed(3)} (after ${staircase.trials.length} pairs and ${staircase.reversals.length} reversals). The network reads these ${pairDigits.length} digits as another one from ε = ${flip == null ? 'more than 0.5' : flip.toFixed(3)} (median; PGD, the smallest ε found by bisection)${flip != null && flip < threshold ? ': it is fooled by changes you cannot see' : ''}.`;
    pairResults.hidden = false;
    phase = 'done';
    status.textContent = 'Done. Download your results below to pool them with others.';
    csvButton.focus();
  }

  function startPairs() {
    staircase = createStaircase();
    pairButton.hidden = true;
    pairStage.hidden = false;
    pairStage.focus();
    nextPair({ id: run, signal: controller.signal }).catch(fail);
  }

  function fail(error) {
    if (error?.name === 'AbortError') return; // a newer run, or Stop, took over
    status.textContent = `The experiment stopped: ${reason(error)}. Press Start to try again.`;
    stopButton.hidden = true;
    phase = 'idle';
  }

  stopButton.addEventListener('click', () => {
    newRun();
    phase = 'idle';
    stopButton.hidden = true;
    labelStage.hidden = pairStage.hidden = true;
    status.textContent = 'Stopped. Press Start to begin again.';
  });

  function save(name, type, text) {
    const link = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  startButton.addEventListener('click', () => prepare().catch(fail));
  keys.addEventListener('click', (event) => {
    const value = event.target.closest('button')?.dataset.answer;
    if (value != null) answerLabel(value === 'none' ? 'none' : Number(value));
  });
  pairButton.addEventListener('click', startPairs);
  left.addEventListener('click', () => answerPair('left').catch(fail));
  right.addEventListener('click', () => answerPair('right').catch(fail));
  container.addEventListener('keydown', (event) => {
    if (event.target.matches?.('input, select, textarea')) return;
    if (phase === 'label' && /^[0-9]$/.test(event.key)) answerLabel(Number(event.key));
    else if (phase === 'label' && (event.key === 'n' || event.key === 'N' || event.key === '-')) answerLabel('none');
    else if (phase === 'pair' && event.key === 'ArrowLeft') answerPair('left').catch(fail);
    else if (phase === 'pair' && event.key === 'ArrowRight') answerPair('right').catch(fail);
    else return;
    event.preventDefault();
  });
  const stamp = () => `can-you-see-seed-${seedInput.value}`;
  csvButton.addEventListener('click', () => save(`${stamp()}.csv`, 'text/csv', toCsv(records)));
  jsonButton.addEventListener('click', () => save(`${stamp()}.json`, 'application/json', JSON.stringify({ seed: Number(seedInput.value), attack: ATTACK, records }, null, 1)));

  return { records };
}
