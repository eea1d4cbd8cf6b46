// The defended network beside the standard one: which network the page uses, what the defence
// costs and what it does not stop, a transfer view (craft on one network, test on both), and
// robustness curves computed in the browser. The maths is the engine's; this module asks and draws.

import { percent } from '../render/bars.js';
import { drawLineChart, drawLegendItems, fillTable } from '../render/chart.js';
import { drawDigit, drawNoise } from '../render/colormap.js';
import { el, whenOnScreen } from '../dom.js';
import { errorClause as reason } from '../engine/protocol.js';
import { BUILTIN_MODELS, MODELS, availableModels, getEngine, trainedModels } from '../models.js';
import { onYoursChange } from '../training/yours.js';
import { loadSamples } from '../input/samples.js';
import { createScheduler } from '../scheduler.js';

/** ε values of the curves, and the attacks drawn (PGD with 20 steps of 2.5 ε / 20). */
export const CURVE_EPS = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4];
const CURVE_ATTACKS = [
  { method: 'fgsm', label: 'FGSM', options: {} },
  { method: 'pgd', label: 'PGD-20', options: { steps: 20 } },
];
/**
 * The masking lesson's columns: one attack each at ε = 0.3 (L∞), the gradient attacks first, then
 * the two that do not trust the gradient (BPDA differentiates the squeezer as the identity;
 * Square reads only the outputs) and APGD, the first of AutoAttack's chain.
 */
const LESSON_EPS = 0.3;
export const LESSON_ATTACKS = [
  { method: 'fgsm', label: 'FGSM', options: {} },
  { method: 'pgd', label: 'PGD-40', options: {} },
  { method: 'bpda', label: 'BPDA', options: {} },
  { method: 'square', label: 'Square (1,000 queries)', options: { queries: 1000 } },
  { method: 'apgd', label: 'APGD-CE', options: {} },
];
const TRANSFER_METHODS = [
  { method: 'fgsm', label: 'FGSM' },
  { method: 'pgd', label: 'PGD-40' },
];

/**
 * @param {HTMLElement} container
 * @param {{engine: object, source: {current: () => any, subscribe: (fn: Function) => void},
 *          state: {get: Function, set: Function, subscribe: Function}, announce?: (text: string) => void,
 *          idPrefix?: string}} options
 *   `engine`: the demo's engine (it follows `state.model`); the transfer view and the curves use
 *   both networks' engines from www/models.js. `more` (the compact layout's <details>): the
 *   network switch and the transfer view stay in the panel, the rest goes there.
 */
export function mountRobustPanel(container, { engine, source, state, announce = () => {}, idPrefix = '', more = null }) {
  const id = (name) => idPrefix + name;

  // --- Which network ------------------------------------------------------------------------
  const modelSelect = el('select', { id: id('model-select') });
  modelSelect.addEventListener('change', () => state.set('model', modelSelect.value));
  const modelInfo = el('p', { id: id('model-info'), class: 'method-info' });
  const describeModel = () => {
    const m = MODELS[state.get('model')];
    modelInfo.textContent = `${m.title}: ${m.summary}. Every view of this demo uses it.`;
  };

  // --- Transfer -----------------------------------------------------------------------------
  const craftSelect = el('select', { id: id('transfer-source') });
  // The networks there are now: the reader's joins them once trained or loaded (www/training/).
  const fillModelSelects = () => {
    const crafted = craftSelect.value;
    modelSelect.replaceChildren(...availableModels().map((name) => el('option', { value: name, text: MODELS[name].title })));
    craftSelect.replaceChildren(...availableModels().map((name) => el('option', { value: name, text: `on the ${MODELS[name].title.toLowerCase()} network` })));
    modelSelect.value = state.get('model');
    if (availableModels().includes(crafted)) craftSelect.value = crafted;
  };
  fillModelSelects();
  onYoursChange(fillModelSelects);
  const methodSelect = el('select', { id: id('transfer-method') });
  for (const m of TRANSFER_METHODS) methodSelect.append(el('option', { value: m.method, text: m.label }));
  methodSelect.value = 'pgd';
  const epsInput = el('input', { id: id('transfer-eps'), type: 'range', min: 0, max: 0.4, step: 0.01, value: 0.3 });
  const epsOutput = el('output', { id: id('transfer-eps-value'), for: epsInput.id, text: '0.30' });
  const transferOriginal = el('canvas', { id: id('transfer-original'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The digit' });
  const transferNoise = el('canvas', { id: id('transfer-noise'), class: 'digit noise', width: 28, height: 28, role: 'img', 'aria-label': 'The noise, amplified' });
  const transferAdversarial = el('canvas', { id: id('transfer-adversarial'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The adversarial digit' });
  const transferTable = el('table', { id: id('transfer-table'), class: 'transfer-table' });
  const transferStatus = el('p', { id: id('transfer-status'), class: 'small', 'aria-live': 'polite' });

  // --- Curves -------------------------------------------------------------------------------
  const countSelect = el('select', { id: id('curve-count') });
  for (const n of [20, 50, 100]) countSelect.append(el('option', { value: n, text: `${n} test digits` }));
  countSelect.value = '50';
  const curveRun = el('button', { type: 'button', id: id('curve-run'), text: 'Compute the curves' });
  const curveCancel = el('button', { type: 'button', id: id('curve-cancel'), text: 'Cancel', hidden: true });
  const curveProgress = el('progress', { id: id('curve-progress'), max: 1, value: 0, hidden: true, 'aria-label': 'Robustness curves: progress' });
  const curveStatus = el('p', { id: id('curve-status'), class: 'small', 'aria-live': 'polite' });
  const chart = el('canvas', { id: id('curve-chart'), class: 'chart', role: 'img', 'aria-label': 'Accuracy against ε for both networks under FGSM and PGD; the numbers are in the table below' });
  const chartLegend = el('div', { class: 'chart-legend' });
  const curveTable = el('table', { id: id('curve-table'), class: 'curve-table' });

  // --- The masking lesson ---------------------------------------------------------------------
  const lessonCount = el('select', { id: id('lesson-count') });
  for (const n of [20, 50, 100]) lessonCount.append(el('option', { value: n, text: `${n} test digits` }));
  const lessonRun = el('button', { type: 'button', id: id('lesson-run'), text: 'Attack all three networks' });
  const lessonCancel = el('button', { type: 'button', id: id('lesson-cancel'), text: 'Cancel', hidden: true });
  const lessonProgress = el('progress', { id: id('lesson-progress'), max: 1, value: 0, hidden: true, 'aria-label': 'The masking lesson: progress' });
  const lessonStatus = el('p', { id: id('lesson-status'), class: 'small', 'aria-live': 'polite' });
  const lessonTable = el('table', { id: id('lesson-table'), class: 'curve-table' });
  // AutoAttack's whole chain (src/attacks/autoattack.rs) as the last column: minutes, so asked for.
  const lessonAutoAttack = el('input', { type: 'checkbox', id: id('lesson-autoattack') });
  const lesson = [
    el('h3', { class: 'small-title', text: 'Robust, or only hard to differentiate?' }),
    el('p', { class: 'small' },
      'A defence can look robust because gradient attacks cannot climb it, not because no bad digit is near. The gradient-masked network is the standard one reading each pixel rounded to 8 grey levels (bit-depth reduction, one of the squeezers of ',
      el('a', { href: 'https://arxiv.org/abs/1704.01155', rel: 'noreferrer', text: 'Xu, Evans & Qi, 2018' }),
      '): rounding has a gradient of zero, so FGSM, PGD and APGD move nothing. BPDA differentiates the rounding as if it were the identity (',
      el('a', { href: 'https://arxiv.org/abs/1802.00420', rel: 'noreferrer', text: 'Athalye, Carlini & Wagner, 2018' }),
      '), and the Square Attack (',
      el('a', { href: 'https://arxiv.org/abs/1912.00049', rel: 'noreferrer', text: 'Andriushchenko et al., 2020' }),
      ') never looks at a gradient: both see through it. The field\'s answer is to report the worst case over diverse attacks, gradient-free ones included (AutoAttack, ',
      el('a', { href: 'https://arxiv.org/abs/2003.01690', rel: 'noreferrer', text: 'Croce & Hein, 2020' }),
      '); tick the box to add its whole chain, APGD-CE, APGD-T, FAB-T and Square, as the last column (about 3 minutes on 20 digits; the README has its figures on 1,000).'),
    el('div', { class: 'row' },
      el('label', { class: 'control', for: lessonCount.id }, el('span', { class: 'control-name', text: 'On' }), lessonCount),
      el('label', { class: 'control inline', for: lessonAutoAttack.id }, lessonAutoAttack, el('span', { class: 'control-name', text: 'with AutoAttack' })),
      lessonRun, lessonCancel, lessonProgress),
    lessonStatus, lessonTable,
  ];

  const networkControls = el('div', { class: 'attack-controls' },
    el('label', { class: 'control', for: modelSelect.id }, el('span', { class: 'control-name', text: 'Network' }), modelSelect),
    modelInfo);
  const defence = el('p', { class: 'small' },
    'The adversarially trained network saw, for every training digit, the worst version of it that a few steps of PGD could find within ε = 0.3, and learnt to read those too (',
    el('a', { href: 'https://arxiv.org/abs/1706.06083', rel: 'noreferrer', text: 'Madry et al., 2017' }),
    '; the per-epoch check against catastrophic overfitting follows ',
    el('a', { href: 'https://arxiv.org/abs/2001.03994', rel: 'noreferrer', text: 'Wong, Rice & Kolter, 2020' }),
    '). ',
    el('strong', { text: 'What it costs: ' }),
    'clean accuracy falls from 99.4% to 98.1%, and training takes about three times as long. ',
    el('strong', { text: 'What it buys: ' }),
    'at ε = 0.3 on 1,000 test digits, against the worst per digit of AutoAttack\'s chain (APGD-CE, APGD-T, Square) and PGD with 50 steps and 10 random starts, it still reads 80.3% of the digits (PGD alone said 83.9%); the standard network reads none. ',
    el('strong', { text: 'What it does not stop: ' }),
    'budgets beyond the ε it was trained for, and attacks measured in other norms: C&W (L2) still fools it on 95% of the digits, with changes about twice as large, and DeepFool, JSMA and the few-pixel attack still work. Try them above with this network selected.');
  const transferControls = el('div', { class: 'attack-controls' },
    el('label', { class: 'control', for: methodSelect.id }, el('span', { class: 'control-name', text: 'Attack' }), methodSelect),
    el('label', { class: 'control', for: craftSelect.id }, el('span', { class: 'control-name', text: 'Crafted' }), craftSelect),
    el('label', { class: 'control', for: epsInput.id }, el('span', { class: 'control-name', text: 'ε (L∞)' }), epsInput, epsOutput));
  const transferImages = el('div', { class: more ? 'flip-row trio' : 'attack-images' },
    el('figure', {}, transferOriginal, el('figcaption', { text: 'The digit' })),
    el('figure', {}, transferNoise, el('figcaption', { text: 'The noise, amplified' })),
    el('figure', {}, transferAdversarial, el('figcaption', { text: 'The adversarial digit' })));
  const curves = [
    el('h3', { class: 'small-title', text: 'Robustness curves' }),
    el('p', { class: 'small', text: 'Accuracy of both networks on real test digits as the budget ε grows, under FGSM and under PGD (20 steps, random start). The gap between the two attacks on the same network shows how much a single gradient step underestimates the danger.' }),
    el('div', { class: 'row' },
      el('label', { class: 'control', for: countSelect.id }, el('span', { class: 'control-name', text: 'On' }), countSelect),
      curveRun, curveCancel, curveProgress),
    curveStatus, chart, chartLegend, curveTable,
  ];
  const transferView = [transferControls, transferImages, transferTable, transferStatus];
  if (more) {
    transferControls.prepend(networkControls.firstChild); // one row of choices: the network, the attack, where it is crafted
    container.replaceChildren(...transferView);
    more.append(modelInfo, defence, ...curves, ...lesson);
  } else {
    container.replaceChildren(networkControls, defence, el('h3', { class: 'small-title', text: 'Transfer: craft on one network, test on the others' }), ...transferView, ...curves, ...lesson);
  }
  describeModel();
  state.subscribe((key, value) => {
    if (key !== 'model') return;
    modelSelect.value = value;
    describeModel();
  });

  // --- Transfer, live -------------------------------------------------------------------------
  /** The table and its sentence; without `rows`, their places (the same size, before the first result). */
  function showTransfer(rows, crafted, method, eps) {
    const head = el('tr', {}, el('th', { scope: 'col', text: 'Network' }), el('th', { scope: 'col', text: 'Reads the digit as' }), el('th', { scope: 'col', text: 'Reads the adversarial digit as' }));
    const reads = ({ label, probabilities }) => `${label} (${percent(probabilities[label])})`;
    const body = (rows ?? availableModels().map((name) => ({ name }))).map(({ name, before, after }) => {
      const fooled = before && after.label !== before.label;
      return el('tr', before ? { 'data-model': name, 'data-before': before.label, 'data-after': after.label, 'data-fooled': String(fooled) } : { 'data-model': name },
        el('th', { scope: 'row', text: `${MODELS[name].title}${name === crafted ? ' (crafted on)' : ''}` }),
        el('td', { text: before ? reads(before) : '…' }),
        el('td', { text: before ? `${reads(after)}${fooled ? ' — fooled' : ''}` : '…' }));
    });
    transferTable.replaceChildren(el('thead', {}, head), el('tbody', {}, ...body));
    const label = TRANSFER_METHODS.find((m) => m.method === method).label;
    transferStatus.textContent = `${label} at ε = ${eps.toFixed(2)}, crafted on the ${MODELS[crafted].title.toLowerCase()} network.`;
  }
  showTransfer(null, craftSelect.value, methodSelect.value, Number(epsInput.value));

  /** The engines of `names`, by name. */
  const engines = async (names) => Object.fromEntries(await Promise.all(names.map(async (name) => [name, await getEngine(name)])));
  const transfer = createScheduler(
    async ({ digit, method, crafted, eps }, signal) => {
      const names = availableModels();
      const byName = await engines(names);
      const before = {};
      for (const name of names) before[name] = await byName[name].classify(digit.pixels, { signal });
      // Crafted against the label the crafting network reads.
      const attack = await byName[crafted].attack(digit.pixels, before[crafted].label, { method, eps, seed: 1 }, { signal });
      const rows = [];
      for (const name of names) {
        // The attack already reports how the network it was crafted on reads its result.
        const after = name === crafted ? attack : await byName[name].classify(attack.pixels, { signal });
        rows.push({ name, before: before[name], after });
      }
      return { digit, attack, rows, crafted, method, eps };
    },
    {
      onResult({ digit, attack, rows, crafted, method, eps }) {
        drawDigit(transferOriginal, digit.pixels);
        drawNoise(transferNoise, attack.noise);
        drawDigit(transferAdversarial, attack.pixels);
        showTransfer(rows, crafted, method, eps);
        container.dataset.transfers = String(Number(container.dataset.transfers ?? 0) + 1);
      },
      onError(error) {
        transferStatus.textContent = `The transfer view needs both networks: ${reason(error)}.`;
        container.dataset.transferError = 'true';
      },
    },
  );
  // Live work only while the panel is on screen (an attack per stroke otherwise, for nobody).
  const refreshTransfer = whenOnScreen(container, () => {
    const digit = source.current();
    if (digit) transfer.request({ digit, method: methodSelect.value, crafted: craftSelect.value, eps: Number(epsInput.value) });
    else transfer.cancel();
  });
  for (const control of [craftSelect, methodSelect]) control.addEventListener('change', refreshTransfer);
  epsInput.addEventListener('input', () => {
    epsOutput.textContent = Number(epsInput.value).toFixed(2);
    refreshTransfer();
  });
  source.subscribe(refreshTransfer);
  refreshTransfer();

  // --- Curves, on demand ----------------------------------------------------------------------
  let samples = null;
  const series = [];
  const seriesFor = (names) => names.flatMap((name) => CURVE_ATTACKS.map((a) => ({ name: `${MODELS[name].title}, ${a.label}`, model: name, attack: a, values: CURVE_EPS.map(() => null) })));
  series.push(...seriesFor(trainedModels()));
  const drawCurves = () => {
    const data = { x: CURVE_EPS, series, xLabel: 'ε (L∞)', yLabel: 'accuracy' };
    drawLineChart(chart, data);
    fillTable(curveTable, data);
  };
  drawLegendItems(chartLegend, series);

  /**
   * The on-demand computations (the curves, the masking lesson): `work(signal, advance)` runs with
   * its button disabled, its Cancel shown (aborting the batch in flight too: the engine drops or
   * stops it), and `advance(fraction)` moving its progress bar; its resolved text is shown and
   * announced. `container.dataset[key]` says running, done, cancelled or error.
   */
  function onDemand({ button, cancel, progress, status, key, failed }, work) {
    let running = null;
    button.addEventListener('click', async () => {
      if (running) return;
      running = new AbortController();
      const { signal } = running;
      button.disabled = true;
      cancel.hidden = false;
      progress.hidden = false;
      progress.value = 0;
      container.dataset[key] = 'running';
      try {
        const text = await work(signal, (fraction) => { progress.value = fraction; });
        status.textContent = signal.aborted ? 'Cancelled.' : text;
        container.dataset[key] = signal.aborted ? 'cancelled' : 'done';
        if (!signal.aborted) announce(text);
      } catch (error) {
        const cancelled = error.name === 'AbortError';
        status.textContent = cancelled ? 'Cancelled.' : `${failed}: ${reason(error)}.`;
        container.dataset[key] = cancelled ? 'cancelled' : 'error';
      } finally {
        running = null;
        button.disabled = false;
        cancel.hidden = true;
        progress.hidden = true;
      }
    });
    cancel.addEventListener('click', () => running?.abort());
  }

  onDemand({ button: curveRun, cancel: curveCancel, progress: curveProgress, status: curveStatus, key: 'curves', failed: 'The curves could not be computed' }, async (signal, advance) => {
    series.splice(0, series.length, ...seriesFor(trainedModels()));
    drawCurves();
    const byName = await engines(trainedModels());
    samples ??= await loadSamples(byName.standard.parseMnist);
    const { pixels, labels } = samples.first(Number(countSelect.value));
    const count = labels.length;
    const total = series.length * CURVE_EPS.length;
    let done = 0;
    const accuracy = (predicted) => labels.filter((l, i) => predicted[i] === l).length / count;
    const clean = new Map(); // per network: ε = 0 leaves the digits as they are, for every attack
    for (const s of series) {
      const use = byName[s.model];
      for (let j = 0; j < CURVE_EPS.length && !signal.aborted; j++) {
        const eps = CURVE_EPS[j];
        if (eps === 0 && !clean.has(s.model)) clean.set(s.model, accuracy(await use.attackLabels(pixels, labels, { method: 'fgsm', eps: 0 }, { signal })));
        s.values[j] = eps === 0
          ? clean.get(s.model)
          : accuracy(await use.attackLabels(pixels, labels, { method: s.attack.method, eps, seed: 1, ...s.attack.options }, { signal }));
        advance(++done / total);
        drawCurves();
      }
    }
    return `On ${count} test digits. At ε = 0.3 under PGD: ${series.filter((s) => s.attack.method === 'pgd').map((s) => `${s.name.split(',')[0].toLowerCase()} ${percent(s.values[CURVE_EPS.indexOf(0.3)])}`).join(', ')}.`;
  });
  drawCurves();

  // --- The masking lesson, on demand ------------------------------------------------------------
  /** One row per network, one column per attack; `cells[name][method]`: accuracy or null (not yet). */
  function showLesson(cells, withAutoAttack = lessonAutoAttack.checked) {
    const columns = [...LESSON_ATTACKS, ...(withAutoAttack ? [{ method: 'autoattack', label: 'AutoAttack' }] : [])];
    const head = el('tr', {}, el('th', { scope: 'col', text: 'Network' }), el('th', { scope: 'col', text: 'Clean' }),
      ...columns.map((a) => el('th', { scope: 'col', text: a.label })));
    const cell = (value) => el('td', value == null ? { text: '…' } : { text: percent(value), 'data-value': String(value) });
    const rows = BUILTIN_MODELS.map((name) => el('tr', { 'data-model': name },
      el('th', { scope: 'row', text: MODELS[name].title }),
      cell(cells?.[name]?.clean), ...columns.map((a) => cell(cells?.[name]?.[a.method]))));
    lessonTable.replaceChildren(el('caption', { class: 'small', text: `Accuracy under each attack at ε = ${LESSON_EPS} (L∞)` }), el('thead', {}, head), el('tbody', {}, ...rows));
  }
  showLesson(null);
  onDemand({ button: lessonRun, cancel: lessonCancel, progress: lessonProgress, status: lessonStatus, key: 'lesson', failed: 'The lesson could not run' }, async (signal, advance) => {
    const cells = Object.fromEntries(BUILTIN_MODELS.map((name) => [name, {}]));
    const withAutoAttack = lessonAutoAttack.checked;
    const show = () => showLesson(cells, withAutoAttack);
    show();
    const byName = await engines(BUILTIN_MODELS);
    samples ??= await loadSamples(byName.standard.parseMnist);
    const { pixels, labels } = samples.first(Number(lessonCount.value));
    const count = labels.length;
    const accuracy = (predicted) => labels.filter((l, i) => predicted[i] === l).length / count;
    // One step of the progress bar per column and network; AutoAttack's column moves by its
    // stages (the engine says how many there are).
    const total = BUILTIN_MODELS.length * (LESSON_ATTACKS.length + 1 + (withAutoAttack ? 1 : 0));
    let done = 0;
    for (const name of BUILTIN_MODELS) {
      const use = byName[name];
      cells[name].clean = accuracy(await use.attackLabels(pixels, labels, { method: 'fgsm', eps: 0 }, { signal }));
      advance(++done / total);
      show();
      for (const a of LESSON_ATTACKS) {
        cells[name][a.method] = accuracy(await use.attackLabels(pixels, labels, { method: a.method, eps: LESSON_EPS, seed: 1, ...a.options }, { signal }));
        advance(++done / total);
        show();
      }
      if (withAutoAttack) {
        const onProgress = ({ index, total: stages }) => advance((done + (index + 1) / stages) / total);
        const chain = await use.autoAttack(pixels, labels, LESSON_EPS, { signal, onProgress });
        advance(++done / total);
        cells[name].autoattack = chain.robust.filter(Boolean).length / count;
        show();
      }
    }
    const masked = cells.masked;
    const chain = withAutoAttack ? ` AutoAttack's chain leaves it ${percent(masked.autoattack)}, the defended network ${percent(cells.robust.autoattack)}.` : '';
    return `On ${count} test digits. The gradient-masked network keeps ${percent(masked.pgd)} under PGD but ${percent(masked.bpda)} under BPDA and ${percent(masked.square)} under the Square Attack: it only looked robust.${chain}`;
  });
}
