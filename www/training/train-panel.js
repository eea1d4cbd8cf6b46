// The "Train it yourself" card: the reader trains a network of their own in the tab, clean or
// adversarially, watches it learn, and then uses it in every panel as "yours". The work runs in
// the training worker (training-client.js); this module builds the controls and draws.

import { el, whenOnScreen } from '../dom.js';
import { drawDigit } from '../render/colormap.js';
import { drawTrainingCurves } from '../render/training-chart.js';
import { MODELS, getEngine } from '../models.js';
import { CHUNK, CHUNK_BYTES, PGD_DIGITS, TEST_DIGITS } from './plan.js';
import { forgetYours, onYoursChange, restoreYours, saveYours, storage, yours } from './yours.js';
import { describeRun, isTraining, pauseTraining, resolveOptions, resumeTraining, train, trainingLimits, trainingPresets } from './training-client.js';

const DIGIT_CHOICES = [10_000, 20_000, 30_000, 60_000];
const DEFENCES = [
  { value: 'clean', text: 'none: clean digits' },
  { value: 'fgsm', text: 'FGSM from a random start (Wong et al., 2020)' },
  { value: 'pgd', text: 'PGD-k (Madry et al., 2017)' },
];

/**
 * @param {HTMLElement} container
 * @param {{state: {get: Function, set: Function}, announce?: (text: string) => void, idPrefix?: string,
 *          backend?: string}} options `backend`: the page's ?backend= choice.
 */
export function mountTrainPanel(container, { state, announce = () => {}, idPrefix = '', backend = 'auto' }) {
  const id = (name) => idPrefix + name;
  const number = (name, label, attrs) => {
    const input = el('input', { id: id(name), type: 'number', ...attrs });
    return { input, row: el('label', { class: 'setting' }, `${label} `, input) };
  };
  const presetBox = el('div', { class: 'row presets', role: 'radiogroup', 'aria-label': 'Presets' });
  // Their bounds come with the presets, from the engine's own limits (src/training.rs, LIMITS).
  const epochs = number('train-epochs', 'Epochs', { step: 1 });
  const batch = number('train-batch', 'Batch size', { step: 1 });
  const lr = number('train-lr', 'Learning rate', { min: 0, step: 'any' });
  const eps = number('train-eps', 'ε (L∞)', { min: 0, step: 0.01 });
  const steps = number('train-steps', 'PGD steps k', { step: 1 });
  const warmup = number('train-warmup', 'ε warm-up epochs', { step: 1 });
  const bound = (input, [min, max]) => Object.assign(input, { min, max });
  const defence = el('select', { id: id('train-defence') }, ...DEFENCES.map((d) => el('option', { value: d.value, text: d.text })));
  const digits = el('select', { id: id('train-digits') }, ...DIGIT_CHOICES.map((n) => el('option', { value: n, text: `${n.toLocaleString('en')} digits (${(Math.ceil(n / CHUNK) * CHUNK_BYTES / 1e6).toFixed(1)} MB)` })));
  const where = el('select', { id: id('train-backend') },
    el('option', { value: 'auto', text: 'where a measured step is faster' }), el('option', { value: 'cpu', text: 'the CPU' }), el('option', { value: 'webgpu', text: 'WebGPU' }));
  where.value = backend;
  const startFrom = el('select', { id: id('train-start') },
    el('option', { value: '', text: 'a fresh network' }), el('option', { value: 'standard', text: 'the standard network' }), el('option', { value: 'robust', text: 'the adversarially trained network' }));
  const settings = el('details', { class: 'more train-settings', id: id('train-settings') }, el('summary', { text: 'Settings' }),
    el('div', { class: 'settings-grid' },
      el('label', { class: 'setting' }, 'Adversarial examples ', defence), eps.row, steps.row, warmup.row,
      epochs.row, batch.row, lr.row, el('label', { class: 'setting' }, 'Data ', digits),
      el('label', { class: 'setting' }, 'Start from ', startFrom), el('label', { class: 'setting' }, 'Train on ', where)));
  const trainButton = el('button', { type: 'button', id: id('train-start-button'), class: 'primary', text: 'Train' });
  const pauseButton = el('button', { type: 'button', id: id('train-pause'), text: 'Pause', disabled: true });
  const cancelButton = el('button', { type: 'button', id: id('train-cancel'), text: 'Cancel', disabled: true });
  const progress = el('progress', { id: id('train-progress'), max: 1, value: 0, 'aria-label': 'Training progress' });
  const status = el('p', { id: id('train-status'), class: 'small', 'aria-live': 'polite' });
  const whereText = el('p', { id: id('train-where'), class: 'small' });
  const message = el('p', { id: id('train-message'), class: 'message', role: 'alert', 'data-kind': '' });
  const chart = el('canvas', { id: id('train-chart'), class: 'chart train-chart', role: 'img', 'aria-label': 'Loss and accuracy while training' });
  const checks = el('table', { id: id('train-checks'), class: 'small-table' },
    el('caption', { text: `After each epoch (${TEST_DIGITS.toLocaleString('en')} test digits; PGD-10 at the training ε on ${PGD_DIGITS} of them)` }),
    el('thead', {}, el('tr', {}, ...['Epoch', 'Clean', 'PGD', 'Guard'].map((t) => el('th', { scope: 'col', text: t })))), el('tbody'));
  const grid = el('div', { id: id('train-examples'), class: 'train-examples', role: 'img', 'aria-label': 'The digits of the last batch, as the network trained on them' },
    ...Array.from({ length: 16 }, () => el('canvas', { class: 'digit tiny', width: 28, height: 28 })));
  const yoursText = el('p', { id: id('yours-info') });
  const useButton = el('button', { type: 'button', id: id('yours-use'), text: 'Use it in every panel' });
  const downloadLink = el('a', { id: id('yours-download'), class: 'file-button', download: 'my-digit-network.safetensors', text: 'Download (.safetensors)' });
  const fileInput = el('input', { type: 'file', id: id('yours-file'), accept: '.safetensors,application/octet-stream' });
  const forgetButton = el('button', { type: 'button', id: id('yours-forget'), text: 'Forget it' });
  const yoursActions = el('div', { class: 'row' }, useButton, downloadLink, forgetButton);

  container.replaceChildren(
    el('p', { text: 'Train a network of your own, here in the tab. Clean training learns the digits; adversarial training (Goodfellow et al., 2015; Madry et al., 2017) shows it attacked digits at every step, which costs time and some clean accuracy and buys robustness. One fast way, FGSM from a random start (Wong, Rice & Kolter, 2020), can suddenly stop working: "catastrophic overfitting". After each epoch the trainer checks PGD accuracy and, if it collapses, keeps the best earlier epoch and stops.' }),
    presetBox, settings,
    el('div', { class: 'row' }, trainButton, pauseButton, cancelButton), progress, status, whereText, message,
    chart, checks,
    el('h3', { class: 'small-title', text: 'What it trains on now' }), grid,
    el('h3', { class: 'small-title', text: 'Your network' }), yoursText, yoursActions,
    el('label', { class: 'file-button' }, 'Load a weights file', fileInput),
    el('p', { class: 'small', text: 'Your network stays in this browser (IndexedDB): nothing is sent anywhere. The file is safetensors in the PyTorch layout the README gives, so it loads in PyTorch too.' }),
  );

  const say = (kind, text) => {
    message.dataset.kind = text ? kind : '';
    message.textContent = text ?? '';
  };

  // --- Settings ---------------------------------------------------------------------------
  let presets = [];
  let chosen = 'quick';
  const fill = (o) => {
    epochs.input.value = o.epochs;
    batch.input.value = o.batchSize;
    lr.input.value = o.learningRate;
    eps.input.value = o.eps;
    steps.input.value = o.steps;
    warmup.input.value = o.warmupEpochs;
    defence.value = o.defence;
    digits.value = String(o.digits);
  };
  const settingsNow = () => ({
    epochs: Number(epochs.input.value), batchSize: Number(batch.input.value), learningRate: Number(lr.input.value),
    defence: defence.value, eps: defence.value === 'clean' ? 0 : Number(eps.input.value),
    steps: defence.value === 'pgd' ? Number(steps.input.value) : 1, warmupEpochs: Number(warmup.input.value), digits: Number(digits.value),
  });
  // The training worker (and its wasm) starts when the card comes into view, not with the page.
  let asked = false;
  whenOnScreen(container, () => {
    if (asked) return;
    asked = true;
    Promise.all([trainingPresets(), trainingLimits()]).then(([list, limits]) => {
      presets = list;
      bound(epochs.input, limits.epochs);
      bound(batch.input, limits.batchSize);
      bound(steps.input, limits.steps);
      bound(warmup.input, limits.warmupEpochs);
      lr.input.max = limits.learningRateMax;
      eps.input.max = limits.epsMax;
      presetBox.replaceChildren(...list.map((p) => {
        const button = el('button', { type: 'button', role: 'radio', 'aria-checked': String(p.name === chosen), 'data-preset': p.name, text: p.title });
        button.addEventListener('click', () => {
          chosen = p.name;
          for (const b of presetBox.children) b.setAttribute('aria-checked', String(b === button));
          fill(p.options);
        });
        return button;
      }));
      fill(list.find((p) => p.name === chosen).options);
    }, (error) => say('error', `Training is not available here: ${error.message}.`));
  })();

  // --- A run --------------------------------------------------------------------------------
  let curves = { loss: [], accuracy: [], pgd: [], totalSteps: 1, epochSteps: [] };
  let paused = false;
  let controller = null;
  const redraw = () => drawTrainingCurves(chart, curves);

  function running(on) {
    trainButton.disabled = on;
    pauseButton.disabled = !on;
    cancelButton.disabled = !on;
    settings.inert = on;
    presetBox.inert = on;
    paused = false;
    pauseButton.textContent = 'Pause';
  }

  function onEvent(event) {
    switch (event.type) {
      case 'data':
        progress.max = event.total;
        progress.value = event.loaded;
        status.textContent = `Downloading the digits: ${(event.loaded / 1e6).toFixed(1)} of ${(event.total / 1e6).toFixed(1)} MB…`;
        break;
      case 'ready':
        whereText.textContent = `Training on ${event.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}: ${event.reason}.`;
        // The page's footer says it too (www/main.js).
        dispatchEvent(new CustomEvent('adversarialdigits:training', { detail: { backend: event.backend, reason: event.reason } }));
        status.textContent = `Training on ${event.digits.toLocaleString('en')} digits, ${event.batches} batches per epoch…`;
        break;
      case 'step': {
        curves.totalSteps = event.totalSteps;
        curves.loss.push([event.step, event.loss]);
        progress.max = event.totalSteps;
        progress.value = event.step;
        const left = Math.max(0, Math.round(event.secondsLeft));
        status.textContent = `Epoch ${event.epoch + 1}, batch ${event.batch + 1} of ${event.batches}; loss ${event.loss.toFixed(3)}; ${Math.round(event.imagesPerSecond)} digits/s; about ${left < 90 ? `${left} s` : `${Math.round(left / 60)} min`} left.`;
        if (event.step % 5 === 0 || event.epochEnd) redraw();
        break;
      }
      case 'accuracy':
        curves.accuracy.push([event.step, event.cleanAccuracy]);
        redraw();
        break;
      case 'check': {
        curves.accuracy.push([event.step, event.cleanAccuracy]);
        curves.epochSteps.push(event.step);
        if (event.pgdAccuracy != null) curves.pgd.push([event.step, event.pgdAccuracy]);
        redraw();
        const pct = (v) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`);
        checks.tBodies[0].append(el('tr', {}, el('td', { text: String(event.epoch + 1) }), el('td', { text: pct(event.cleanAccuracy) }),
          el('td', { text: pct(event.pgdAccuracy) }), el('td', { text: event.collapsed ? 'PGD accuracy collapsed: the best earlier epoch is kept, training stops' : event.pgdAccuracy == null ? '–' : 'fine' })));
        announce(`Epoch ${event.epoch + 1}: ${pct(event.cleanAccuracy)} clean${event.pgdAccuracy != null ? `, ${pct(event.pgdAccuracy)} under PGD` : ''}.`);
        break;
      }
      case 'examples':
        event.pixels.length && [...grid.children].forEach((canvas, i) => {
          if ((i + 1) * 784 <= event.pixels.length) drawDigit(canvas, event.pixels.subarray(i * 784, (i + 1) * 784));
        });
        break;
      case 'paused':
        status.textContent = 'Paused. Resume to go on, or cancel.';
        break;
      default:
    }
  }

  trainButton.addEventListener('click', async () => {
    say('', null);
    let options;
    try {
      options = { ...(await resolveOptions({ preset: chosen })), ...settingsNow() };
    } catch (error) {
      return say('error', error.message);
    }
    const startName = startFrom.value;
    let start = null;
    if (startName) {
      try {
        start = startName === 'yours' ? yours()?.weights : new Uint8Array(await (await fetch(MODELS[startName].url)).arrayBuffer());
      } catch (error) {
        return say('error', `The starting network could not be loaded (${error.message}).`);
      }
    }
    curves = { loss: [], accuracy: [], pgd: [], totalSteps: options.epochs * Math.ceil(options.digits / Math.max(1, options.batchSize)), epochSteps: [] };
    checks.tBodies[0].replaceChildren();
    redraw();
    running(true);
    controller = new AbortController();
    try {
      const description = `DigitNet trained in the browser: ${JSON.stringify(options)}`;
      const { summary, weights } = await train(options, { backend: where.value, start, description, onEvent, signal: controller.signal });
      const text = describeRun(summary);
      await saveYours(weights, { summary: text, figures: summary });
      status.textContent = `Done: ${text}.`;
      announce('Your network is trained.');
    } catch (error) {
      if (error.name === 'AbortError') status.textContent = 'Cancelled. Nothing was kept; your previous network, if any, stays.';
      else say('error', `Training stopped: ${error.message}. Your settings are kept; change them and train again.`);
    } finally {
      running(false);
      progress.value = 0;
    }
  });
  pauseButton.addEventListener('click', () => {
    paused = !paused;
    if (paused) pauseTraining();
    else resumeTraining();
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
  });
  cancelButton.addEventListener('click', () => controller?.abort());

  // --- Your network -------------------------------------------------------------------------
  let link = null;
  function showYours(mine = yours()) {
    if (link) URL.revokeObjectURL(link);
    link = null;
    yoursActions.hidden = !mine;
    startFrom.querySelector('option[value="yours"]')?.remove();
    if (!mine) {
      yoursText.textContent = 'None yet: train one above, or load a weights file.';
      return;
    }
    startFrom.append(el('option', { value: 'yours', text: 'your network' }));
    link = URL.createObjectURL(new Blob([mine.weights], { type: 'application/octet-stream' }));
    downloadLink.href = link;
    yoursText.textContent = `Yours: ${mine.meta.summary ?? 'a network you loaded'}.${storage.persistent ? ' It stays in this browser after a reload.' : ` It lasts until this page closes: ${storage.reason}.`}`;
  }
  onYoursChange((mine) => {
    showYours(mine);
    // A panel showing the reader's network moves on to the new one (or back to the standard).
    if (state.get('model') === 'yours') state.set('model', mine ? 'yours' : 'standard');
  });
  restoreYours().then(() => showYours());
  useButton.addEventListener('click', () => {
    state.set('model', 'yours');
    announce('Every panel now uses your network.');
  });
  forgetButton.addEventListener('click', async () => {
    await forgetYours();
    status.textContent = 'Your network is forgotten.';
  });
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    fileInput.value = '';
    if (!file) return;
    say('', null);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      // The engine's check (src/weights.rs): a file that passes loads in every panel.
      await (await getEngine('standard')).checkWeights(bytes);
      await saveYours(bytes, { summary: `loaded from ${file.name}` });
      status.textContent = `Loaded ${file.name} as your network.`;
    } catch (error) {
      say('error', `${file.name} cannot be used: ${error.message}. Your previous network, if any, stays.`);
    }
  });

  return { isTraining };
}
