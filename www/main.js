// Wiring only: inputs (drawing, upload, samples) → scheduler → engine → renderers (preview,
// bars, verdict), plus the attack panel and the API. Each module does one job; see its header.

import { backendChanged, connect, fail } from './api.js';
import { mountAttackPanel } from './attack-panel.js';
import { mountBars, mountVerdict } from './bars.js';
import { mountDrawing } from './draw.js';
import { errorClause as reason, loadEngine } from './engine.js';
import { mountMessages } from './messages.js';
import { mountPreview } from './preview.js';
import { loadSamples, mountSamples } from './samples.js';
import { createScheduler } from './scheduler.js';
import { createState } from './state.js';
import { decodeImage, mountUpload } from './upload.js';

const $ = (id) => document.getElementById(id);
const root = document.documentElement;
const state = createState();
const messages = mountMessages($('message'));
const bars = mountBars($('bars'));
const verdict = mountVerdict($('prediction'));
const preview = mountPreview($('preview-canvas'), $('preview-caption'));

function showBackend(info) {
  $('backend').dataset.backend = info.backend;
  $('backend').textContent = info.backend === 'webgpu' ? 'WebGPU' : 'CPU (WebAssembly)';
  $('backend-note').textContent = info.fallbackReason ?? '';
  backendChanged(info);
}

/** `?weights=` (tests, course authors) may name another weights file, of this origin only. */
function weightsFromAddress() {
  const requested = new URLSearchParams(location.search).get('weights');
  const url = requested ? new URL(requested, location.href) : null;
  return url?.origin === location.origin ? url : undefined;
}

async function start() {
  let engine;
  try {
    engine = await loadEngine({ backend: state.get('backend'), weightsUrl: weightsFromAddress(), onChange: showBackend });
  } catch (error) {
    root.dataset.ready = 'error';
    messages.show('error', `The network could not be loaded: ${reason(error)}. Reload the page to try again.`);
    verdict.hint('The network is not available.');
    fail(error);
    console.error('adversarial-digits:', error.message);
    return;
  }
  showBackend(engine);
  if (engine.backend === 'cpu' && !engine.fallbackReason) $('backend-note').textContent = 'Starting WebGPU… the CPU answers meanwhile.';

  // The digit the network sees now, and who follows it (the attack panel).
  let current = null; // {pixels, label, probabilities, source}
  const followers = new Set();
  const setCurrent = (digit) => {
    current = digit;
    for (const fn of followers) fn(digit);
  };

  const scheduler = createScheduler(
    async ({ source, produce, caption }) => {
      const pixels = produce(); // may throw a message for the reader
      const { label, probabilities } = await engine.classify(pixels);
      return { pixels, label, probabilities, source, caption };
    },
    {
      onResult(digit) {
        preview.show(digit.pixels, digit.source, digit.caption);
        bars.draw(digit.probabilities, digit.label);
        verdict.show(digit.label, digit.probabilities);
        root.dataset.predictions = String(Number(root.dataset.predictions ?? 0) + 1);
        setCurrent(digit);
      },
      onError(error) {
        if (error.hint) messages.show('hint', error.message);
        else messages.show('error', `The network could not read this digit: ${reason(error)}.`);
      },
    },
  );

  // Drawing.
  const drawing = mountDrawing($('draw-canvas'), {
    onChange(kind) {
      if (state.get('sample') != null) state.set('sample', null);
      if (drawing.isEmpty()) {
        scheduler.cancel(); // a classification in flight must not come back
        preview.clear('draw', '');
        bars.draw(null);
        verdict.hint('Draw a digit to start.');
        setCurrent(null);
        if (kind !== 'draw') messages.show('hint', 'Nothing to classify yet: draw a digit in the box.');
        return;
      }
      messages.clear();
      scheduler.request({
        source: 'draw',
        caption: 'Your drawing, shrunk to 28×28.',
        produce() {
          const image = drawing.read();
          try {
            return engine.preprocess(image.data, image.width, image.height).pixels;
          } catch (error) {
            throw Object.assign(new Error(`Nothing to classify yet: ${reason(error)}. Draw a digit in the box.`), { hint: true });
          }
        },
      });
    },
  });
  $('clear-button').addEventListener('click', () => drawing.clear());
  $('undo-button').addEventListener('click', () => drawing.undo());

  // Uploads. A bad file leaves the digit and the prediction as they were and says why.
  mountUpload({
    input: $('file-input'),
    dropZones: [$('drop-zone'), $('draw-canvas')],
    async onFile(file) {
      try {
        const image = await decodeImage(file, engine.sniff);
        const { pixels, inverted } = engine.preprocess(image.data, image.width, image.height);
        messages.clear();
        if (state.get('sample') != null) state.set('sample', null);
        const caption = `“${file.name}”${inverted ? ', dark ink on light paper, inverted to MNIST’s white on black' : ''}.`;
        scheduler.request({ source: 'upload', caption, produce: () => pixels });
      } catch (error) {
        messages.show('error', `“${file.name}” was not used: ${reason(error)}.`);
      }
    },
  });

  // Samples: a click, or the hash (#sample=7), picks one.
  try {
    const samples = await loadSamples(engine.parseMnist);
    const strip = mountSamples($('samples'), samples, { onPick: (i) => state.set('sample', i) });
    const show = (i) => {
      if (!(Number.isInteger(i) && i >= 0 && i < samples.count)) return strip.select(null);
      strip.select(i);
      messages.clear();
      const caption = `MNIST test digit no. ${i + 1} (its label: ${samples.label(i)}).`;
      scheduler.request({ source: 'sample', caption, produce: () => samples.pixels(i) });
    };
    state.subscribe((key, value) => key === 'sample' && show(value));
    show(state.get('sample') ?? 0); // something to look at from the start
  } catch (error) {
    verdict.hint('Draw a digit to start.');
    messages.show('error', `The sample digits could not be loaded: ${reason(error)}.`);
  }

  mountAttackPanel($('attack-panel'), {
    engine,
    source: { current: () => current, subscribe: (fn) => followers.add(fn) },
    state,
    announce: (text) => { $('attack-announcer').textContent = text; },
  });

  connect(engine, { current: () => (current ? { ...current, probabilities: Array.from(current.probabilities) } : null) });
  root.dataset.ready = 'true';
}

start();
