// "Without the gradient": an attacker who cannot see inside the network. The reader picks a
// black-box attack, watches its query counter, its best image and the network's probabilities
// move as it searches (the engine streams its progress: src/attacks/oracle.rs, `Progress`), then
// compares it with a gradient attack of the same norm on the same digit. Below, fooling images
// found by evolution from the scores alone, beside the gradient's. The maths is the engine's;
// this module asks and draws.

import { describeMethods } from '../attack-methods.js';
import { mountBars, percent } from '../render/bars.js';
import { drawDigit } from '../render/colormap.js';
import { el } from '../dom.js';
import { errorClause as reason } from '../engine/protocol.js';
import { createScheduler } from '../scheduler.js';

/** The gradient attack each black-box one is compared with: the same norm, on the same digit. */
const GRADIENT_PEER = { 'square': 'pgd', 'square-l2': 'pgd-l2', 'simba': 'cw', 'hopskipjump': 'cw' };
/** What each kind of access lets the attacker see, in the card's words. */
const SEES = { scores: 'the ten probabilities of each image it asks about', label: 'only the top label of each image it asks about' };

const argmax = (p) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);
const l2 = (a, b) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
const linf = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * @param {HTMLElement} container
 * @param {{engine: object, source: {current: () => any, subscribe: (fn: Function) => void},
 *          announce?: (text: string) => void, idPrefix?: string, more?: HTMLElement|null}} options
 */
export function mountBlackBoxPanel(container, { engine, source, announce = () => {}, idPrefix = '', more = null }) {
  const id = (name) => idPrefix + name;
  // The catalogue comes with the network (a compact embed mounts this before it has loaded).
  let byName = {};

  // --- Controls ------------------------------------------------------------------------------
  const methodSelect = el('select', { id: id('bb-method') });
  const budget = el('input', { id: id('bb-budget'), type: 'range' });
  const budgetOut = el('output', { id: id('bb-budget-value'), for: budget.id });
  const budgetName = el('span', { class: 'control-name', text: 'Queries' });
  const runButton = el('button', { type: 'button', id: id('bb-run'), text: 'Attack without the gradient' });
  const cancelButton = el('button', { type: 'button', id: id('bb-cancel'), text: 'Cancel', hidden: true });
  const sees = el('p', { id: id('bb-sees'), class: 'method-info' });

  // --- Live view -----------------------------------------------------------------------------
  const original = el('canvas', { id: id('bb-original'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The digit' });
  const best = el('canvas', { id: id('bb-best'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The attack’s best image so far' });
  const counter = el('p', { id: id('bb-queries'), class: 'bb-counter', text: 'Queries: 0' });
  const distance = el('p', { id: id('bb-distance'), class: 'small' });
  const barsBox = el('div', { id: id('bb-bars'), class: 'bars' });
  const bars = mountBars(barsBox);
  const barsNote = el('p', { class: 'small', id: id('bb-bars-note') });
  const status = el('p', { id: id('bb-status'), class: 'small', 'aria-live': 'polite' });
  const compare = el('table', { id: id('bb-compare'), class: 'transfer-table', hidden: true });

  // --- Evolution ------------------------------------------------------------------------------
  const evolveButton = el('button', { type: 'button', id: id('bb-evolve'), text: 'Evolve fooling images' });
  const evolveCancel = el('button', { type: 'button', id: id('bb-evolve-cancel'), text: 'Cancel', hidden: true });
  const evolveStatus = el('p', { id: id('bb-evolve-status'), class: 'small', 'aria-live': 'polite' });
  const gallery = (kind) => {
    const cells = [];
    const row = el('div', { class: 'gallery', id: id(`bb-${kind}-gallery`) });
    for (let d = 0; d < 10; d++) {
      const canvas = el('canvas', { class: 'digit small', width: 28, height: 28, role: 'img', 'aria-label': `${kind === 'evolved' ? 'Evolved' : 'Gradient'} fooling image for ${d}` });
      const caption = el('figcaption', { class: 'small', text: String(d) });
      row.append(el('figure', { class: 'gallery-item', 'data-digit': d }, canvas, caption));
      cells.push({ canvas, caption });
    }
    return { row, cells };
  };
  const evolved = gallery('evolved');
  const climbed = gallery('gradient');

  const intro = el('p', { text: 'An attacker who cannot see inside the network can still ask it questions: show it an image, read its answer, try again. Score-based attacks read the ten probabilities (SimBA, Guo et al. 2019; the Square Attack, Andriushchenko et al. 2020); decision-based ones read only the top label (HopSkipJump, Chen, Jordan & Wainwright 2020). Each image shown is a query: the count below is their whole cost.' });
  const controls = el('div', { class: 'attack-controls' },
    el('label', { class: 'control', for: methodSelect.id }, el('span', { class: 'control-name', text: 'Attack' }), methodSelect),
    el('label', { class: 'control', for: budget.id }, budgetName, budget, budgetOut),
    el('div', { class: 'row' }, runButton, cancelButton));
  const live = el('div', { class: 'bb-live' },
    el('figure', {}, original, el('figcaption', { class: 'small', text: 'The digit' })),
    el('figure', {}, best, el('figcaption', { class: 'small', text: 'Best so far' })),
    el('div', { class: 'bb-readout' }, counter, distance, barsBox, barsNote));
  const evolution = el('div', { class: 'bb-evolution' },
    el('h3', { text: 'Fooling images by evolution' }),
    el('p', { class: 'small', text: 'The first fooling images (Nguyen, Yosinski & Clune 2015) were evolved, not computed from a gradient. Here a simple evolution strategy starts from noise, makes twenty mutated children per generation, shows them to the network and breeds the next image from the better half, until the network is 99% sure. Above, the same noise climbed along the gradient.' }),
    el('div', { class: 'row' }, evolveButton, evolveCancel), evolveStatus,
    el('p', { class: 'small', text: 'By the gradient:' }), climbed.row,
    el('p', { class: 'small', text: 'By evolution, from the scores alone:' }), evolved.row);
  container.replaceChildren(intro, controls, sees, live, status, compare);
  (more ?? container).append(evolution);

  // --- Behaviour ------------------------------------------------------------------------------
  let method = null;

  /** Fills the method picker from the catalogue once the network has come; false until then. */
  function catalogue() {
    if (method) return true;
    const all = engine.attackMethods;
    if (!all?.length) return false;
    const described = describeMethods(all);
    byName = Object.fromEntries(described.map((m) => [m.name, m]));
    const methods = described.filter((m) => m.access !== 'gradient');
    for (const m of methods) methodSelect.append(el('option', { value: m.name, text: m.label }));
    methodSelect.value = methods.some((m) => m.name === 'square') ? 'square' : methods[0].name;
    useMethod();
    return true;
  }
  let digit = null;
  let requested = false; // the reader asked once: later digits are attacked as they come

  function useMethod() {
    method = byName[methodSelect.value];
    const range = method.queries ?? method.steps; // SimBA counts pixels tried, one or two queries each
    Object.assign(budget, { min: range.min, max: range.max, step: range.step });
    budget.value = String(range.value);
    budgetOut.value = budget.value;
    budgetName.textContent = method.queries ? 'Queries' : 'Pixels tried';
    sees.textContent = `${method.label} sees ${SEES[method.access]}${method.eps ? `; ${method.norm} budget ε = ${method.evaluationEps}` : `; it makes the ${method.norm} change as small as it can`}.`;
    barsNote.textContent = method.access === 'label'
      ? 'The attack never sees these probabilities: they are drawn for you once it is done.'
      : 'What the attack reads of its best image.';
  }

  function options() {
    const n = Number(budget.value);
    return {
      method: method.name,
      ...(method.eps ? { eps: method.evaluationEps } : {}),
      ...(method.queries ? { queries: n } : { steps: n }),
      seed: 0,
    };
  }

  function drawProgress(input, { queries, pixels, probabilities }, limit) {
    drawDigit(best, pixels);
    counter.textContent = `Queries: ${queries.toLocaleString('en')}${limit ? ` of at most ${limit.toLocaleString('en')}` : ''}`;
    counter.dataset.queries = String(queries);
    distance.textContent = `Change: L2 ${l2(pixels, input.pixels).toFixed(2)}, L∞ ${linf(pixels, input.pixels).toFixed(2)}`;
    if (probabilities) bars.draw(probabilities, argmax(probabilities));
  }

  const attacks = createScheduler(async ({ input, opts }, signal) => {
    // A label-only attack's progress has no probabilities: its bars wait for the result.
    const limit = opts.queries ?? null;
    if (byName[opts.method].access === 'label') bars.draw(null);
    const onProgress = (progress) => drawProgress(input, progress, limit);
    const output = await engine.attack(input.pixels, input.label, opts, { signal, onProgress });
    const peerName = GRADIENT_PEER[opts.method];
    const peerInfo = byName[peerName];
    const peer = peerInfo ? await engine.attack(input.pixels, input.label, { method: peerName, ...(peerInfo.eps ? { eps: opts.eps ?? peerInfo.evaluationEps } : {}) }, { signal }) : null;
    return { input, opts, output, peer };
  }, {
    onResult({ input, opts, output, peer }) {
      drawProgress(input, { queries: output.queries ?? 0, pixels: output.pixels, probabilities: output.probabilities }, opts.queries ?? null);
      bars.draw(output.probabilities, output.label);
      const verdict = output.success ? `fooled: the network reads a ${output.label} (${percent(output.probabilities[output.label])})` : `not fooled: still a ${output.label}`;
      status.textContent = `${byName[opts.method].label}: ${verdict}, after ${output.queries} queries.`;
      status.dataset.success = String(output.success);
      showComparison(opts, output, peer);
      announce(status.textContent);
      done();
    },
    onError(error) {
      status.textContent = error.name === 'AbortError' ? 'Cancelled.' : `The attack failed: ${reason(error)}.`;
      done();
    },
  });

  function showComparison(opts, output, peer) {
    compare.hidden = !peer;
    if (!peer) return;
    const row = (name, reads, cost, result) => el('tr', {},
      el('th', { scope: 'row', text: name }), el('td', { text: reads }), el('td', { text: cost }),
      el('td', { text: result.norms.l2.toFixed(2) }), el('td', { text: result.norms.linf.toFixed(2) }),
      el('td', { text: result.success ? `yes (${result.label})` : 'no' }));
    const peerName = GRADIENT_PEER[opts.method];
    compare.replaceChildren(
      el('caption', { text: 'The same digit, with and without the gradient' }),
      el('thead', {}, el('tr', {}, ...['Attack', 'Reads', 'Cost', 'L2', 'L∞', 'Fooled'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {},
        row(byName[opts.method].label, output.queries != null && byName[opts.method].access === 'label' ? 'labels' : 'scores', `${output.queries} queries`, output),
        row(byName[peerName].label, 'gradient', `${peer.steps} gradient steps`, peer)));
  }

  function start() {
    if (!catalogue()) {
      status.textContent = 'The network is still loading.';
      return;
    }
    digit = source.current();
    if (!digit) {
      status.textContent = 'Draw or pick a digit first.';
      return;
    }
    requested = true;
    drawDigit(original, digit.pixels);
    status.textContent = 'Searching…';
    status.dataset.success = '';
    container.setAttribute('aria-busy', 'true');
    cancelButton.hidden = false;
    attacks.request({ input: { pixels: digit.pixels, label: digit.label }, opts: options() });
  }

  function done() {
    queueMicrotask(() => {
      if (attacks.busy) return;
      container.removeAttribute('aria-busy');
      cancelButton.hidden = true;
    });
  }

  // --- Evolution gallery ----------------------------------------------------------------------
  let evolving = null;
  async function evolve() {
    evolving?.abort();
    const controller = new AbortController();
    evolving = controller;
    const { signal } = controller;
    evolveButton.disabled = true;
    evolveCancel.hidden = false;
    evolveStatus.textContent = 'Climbing the gradient…';
    const classes = [...Array(10).keys()];
    try {
      const byGradient = await engine.foolingImages(classes, {}, { signal });
      classes.forEach((d) => {
        drawDigit(climbed.cells[d].canvas, byGradient.pixels.subarray(d * 784, (d + 1) * 784));
        climbed.cells[d].caption.textContent = `${d}: ${percent(byGradient.probabilities[d * 10 + d])}`;
      });
      evolveStatus.textContent = 'Evolving…';
      const show = ({ queries, pixels, probabilities }) => {
        classes.forEach((d) => {
          drawDigit(evolved.cells[d].canvas, pixels.subarray(d * 784, (d + 1) * 784));
          evolved.cells[d].caption.textContent = `${d}: ${percent(probabilities[d * 10 + d])}`;
        });
        evolveStatus.textContent = `Evolving… ${queries.toLocaleString('en')} queries so far, all classes together.`;
      };
      const result = await engine.evolveFoolingImages(classes, {}, { signal, onProgress: show });
      show({ queries: result.queries.reduce((a, b) => a + b, 0), pixels: result.pixels, probabilities: result.probabilities });
      classes.forEach((d) => {
        evolved.cells[d].caption.textContent = `${d}: ${percent(result.probabilities[d * 10 + d])}, ${result.queries[d].toLocaleString('en')} queries`;
        evolved.cells[d].canvas.closest('figure').dataset.success = String(result.success[d]);
      });
      const reached = result.success.filter(Boolean).length;
      const most = Math.max(...result.queries);
      evolveStatus.textContent = `Evolved: ${reached} of 10 digits read with 99% certainty, the slowest after ${most.toLocaleString('en')} queries.`;
      evolveStatus.dataset.done = 'true';
    } catch (error) {
      evolveStatus.textContent = error.name === 'AbortError' ? 'Cancelled.' : `Evolution failed: ${reason(error)}.`;
    } finally {
      if (evolving === controller) {
        evolving = null;
        evolveButton.disabled = false;
        evolveCancel.hidden = true;
      }
    }
  }

  catalogue();
  methodSelect.addEventListener('change', () => { useMethod(); if (requested) start(); });
  budget.addEventListener('input', () => { budgetOut.value = budget.value; });
  budget.addEventListener('change', () => { if (requested) start(); });
  runButton.addEventListener('click', start);
  cancelButton.addEventListener('click', () => {
    attacks.cancel();
    status.textContent = 'Cancelled.';
    done();
  });
  evolveButton.addEventListener('click', evolve);
  evolveCancel.addEventListener('click', () => evolving?.abort());
  // A new digit: shown at once; attacked again only once the reader has asked (an attack costs
  // up to a second or more on a phone, and nobody may be looking).
  source.subscribe((next) => {
    if (!next) return;
    catalogue();
    drawDigit(original, next.pixels);
    if (requested) start();
  });
  if (source.current()) drawDigit(original, source.current().pixels);

  return { start, evolve };
}
