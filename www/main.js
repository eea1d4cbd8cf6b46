// Wiring: inputs → preprocessing → classification → renderers. Newest input wins: at most one
// classification per animation frame, and a result for an input that is no longer current is
// never drawn.

import { loadEngine } from './engine.js';
import { createState } from './state.js';
import { mountDrawing } from './draw.js';
import { decodeImage, mountUpload } from './upload.js';
import { loadSamples, mountSamples } from './samples.js';
import { mountBars } from './bars.js';
import { mountMessages } from './messages.js';
import { drawDigit } from './colormap.js';
import { mountAttackPanel } from './attack-panel.js';
import { connect, fail } from './api.js';

const $ = (id) => document.getElementById(id);
const root = document.documentElement;
const state = createState();
const messages = mountMessages($('message'));
const bars = mountBars($('bars'));
const prediction = $('prediction');

function showBackend({ backend, reason }) {
  const badge = $('backend');
  badge.dataset.backend = backend;
  badge.textContent = backend === 'webgpu' ? 'WebGPU' : 'CPU (WebAssembly)';
  $('backend-note').textContent = reason ?? '';
}

function sameOriginWeights() {
  const requested = new URLSearchParams(location.search).get('weights');
  if (!requested) return undefined;
  const url = new URL(requested, location.href);
  return url.origin === location.origin ? url : undefined;
}

let engine;
try {
  engine = await loadEngine({ backend: state.get('backend'), weightsUrl: sameOriginWeights(), onChange: showBackend });
  showBackend(engine);
} catch (error) {
  root.dataset.ready = 'error';
  messages.show('error', `The network could not be loaded: ${error.message}. Reload the page to try again.`);
  prediction.textContent = 'The network is not available.';
  fail(error);
  throw error;
}

// The digit the network sees now, and who listens to it.
let current = null; // {pixels, label, probabilities, source}
const listeners = new Set();
let sequence = 0;
let frameRequested = false;
let nextInput = null;

function render(digit) {
  const canvas = $('preview-canvas');
  drawDigit(canvas, digit.pixels);
  canvas.dataset.source = digit.source;
  bars.draw(digit.probabilities, digit.label);
  prediction.textContent = `The network reads a ${digit.label} (${(digit.probabilities[digit.label] * 100).toFixed(0)}% sure).`;
  prediction.dataset.label = String(digit.label);
  root.dataset.predictions = String(Number(root.dataset.predictions ?? 0) + 1);
}

/** Asks for a classification of `produce()` (a function returning pixels, or throwing). */
function submit(source, produce) {
  nextInput = { source, produce };
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(async () => {
    frameRequested = false;
    const input = nextInput;
    nextInput = null;
    const mine = ++sequence;
    let pixels;
    try {
      pixels = input.produce();
    } catch (error) {
      return messages.show(source === 'draw' ? 'hint' : 'error', error.message);
    }
    if (!pixels) return;
    try {
      const { label, probabilities } = await engine.classify(pixels);
      if (mine !== sequence) return; // a newer input arrived meanwhile
      current = { pixels, label, probabilities, source: input.source };
      render(current);
      for (const fn of listeners) fn(current);
    } catch (error) {
      messages.show('error', `Classification failed: ${error.message}`);
    }
  });
}

// Drawing.
const drawing = mountDrawing($('draw-canvas'), {
  onChange(kind) {
    if (drawing.isEmpty()) {
      sequence++; // drop any classification in flight
      current = null;
      bars.draw(null, -1);
      drawDigit($('preview-canvas'), new Float32Array(784));
      $('preview-canvas').dataset.source = 'draw';
      prediction.textContent = 'Draw a digit to start.';
      delete prediction.dataset.label;
      if (kind === 'clear' || kind === 'undo') messages.show('hint', 'Nothing to classify yet: draw a digit in the box.');
      for (const fn of listeners) fn(null);
      return;
    }
    messages.clear();
    submit('draw', () => {
      const image = drawing.read();
      try {
        return engine.preprocess(image.data, image.width, image.height).pixels;
      } catch (error) {
        throw new Error(`Nothing to classify yet: ${error.message}. Draw a digit in the box.`);
      }
    });
  },
});
$('clear-button').addEventListener('click', () => drawing.clear());
$('undo-button').addEventListener('click', () => drawing.undo());

// Uploads.
async function useFile(file) {
  try {
    const image = await decodeImage(file, engine.sniff);
    const { pixels, inverted } = engine.preprocess(image.data, image.width, image.height);
    messages.show('hint', inverted ? 'Dark ink on light paper: inverted to MNIST’s white on black.' : 'Picture loaded.');
    submit('upload', () => pixels);
  } catch (error) {
    messages.show('error', `“${file.name}” was not used: ${error.message}.`);
  }
}
mountUpload({ input: $('file-input'), dropZones: [$('drop-zone'), $('draw-canvas')], onFile: useFile });

// Samples.
try {
  const samples = await loadSamples(engine.parseMnist);
  const pick = (i) => {
    state.set('sample', i);
    submit('sample', () => samples.pixels(i));
  };
  mountSamples($('samples'), samples, { onPick: pick });
  const start = state.get('sample') ?? 0;
  if (start >= 0 && start < samples.count) pick(start);
} catch (error) {
  messages.show('error', `The sample digits could not be loaded: ${error.message}.`);
}

// The attack panel.
mountAttackPanel($('attack-panel'), {
  engine,
  source: { current: () => current, subscribe: (fn) => listeners.add(fn) },
  state,
  announce: (text) => { $('attack-announcer').textContent = text; },
});

connect(engine, { current: () => (current ? { ...current, probabilities: Array.from(current.probabilities) } : null) });
root.dataset.ready = 'true';
