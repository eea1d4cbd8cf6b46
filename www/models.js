// The networks the page offers (their weights as 8-bit integers with a scale per channel: a
// quarter of the download, the same answers; tests/page_weights.rs checks both on all 10,000
// test digits), and one engine per network shared by everything on the page (the main demo,
// every <adversarial-digits> embed, the JS API). Both engines live in the same WebAssembly
// instances, so they share the CPU module and the one WebGPU device.

import { loadEngine } from './engine/client.js';
import { restoreYours, yours } from './training/yours.js';

/** @typedef {'standard'|'robust'|'masked'|'yours'} ModelName */

export const MODELS = {
  standard: {
    url: new URL('../models/standard.i8.safetensors', import.meta.url),
    title: 'Standard',
    summary: 'trained on clean MNIST digits only (99.4% test accuracy)',
  },
  robust: {
    url: new URL('../models/robust.i8.safetensors', import.meta.url),
    title: 'Adversarially trained',
    summary: 'trained on PGD adversarial examples within ε = 0.3 (98.1% test accuracy)',
  },
  // The standard weights behind an input squeezer, which the file's metadata asks for
  // (src/model.rs, InputSqueeze): a defence that only hides the gradient.
  masked: {
    url: new URL('../models/masked.i8.safetensors', import.meta.url),
    title: 'Gradient-masked',
    summary: 'the standard network reading each pixel rounded to 8 grey levels, a defence that hides the gradient and looks robust to gradient attacks (it is not: see "Robust, or only hard to differentiate?")',
    masking: true,
  },
  // The reader's own, trained in the tab or loaded from a file (www/training/): present once
  // there is one.
  yours: {
    url: null,
    title: 'Yours',
    get summary() {
      const meta = yours()?.meta;
      if (!meta) return 'no network of your own yet: train one in "Train it yourself", or load a weights file there';
      return meta.summary ?? 'your own network';
    },
    own: true,
  },
};
export const MODEL_NAMES = Object.keys(MODELS);
/** The committed networks (the masking lesson compares these). */
export const BUILTIN_MODELS = MODEL_NAMES.filter((name) => !MODELS[name].own);

/** The networks the page can use now: the committed ones, and the reader's once there is one. */
export const availableModels = () => MODEL_NAMES.filter((name) => !MODELS[name].own || yours());
/** Those with weights of their own (the curves compare these; a masking wrapper adds no learning). */
export const trainedModels = () => availableModels().filter((name) => !MODELS[name].masking);

const engines = new Map();
let backendChoice = 'auto';
const onChangeAll = new Set();

/** Sets the backend all engines will use ('auto', 'webgpu' or 'cpu'); call before the first getEngine. */
export function chooseBackend(backend) {
  backendChoice = backend ?? 'auto';
}

/** The backend chosen for the page ('auto', 'webgpu' or 'cpu'). */
export const chosenBackend = () => backendChoice;

/** `fn({model, backend, fallbackReason})` whenever an engine's backend changes. */
export function onBackendChange(fn) {
  onChangeAll.add(fn);
  return () => onChangeAll.delete(fn);
}

/**
 * The engine for `model` (loaded once, then shared). `weightsUrl` overrides the model's own
 * weights (the page's `?weights=` parameter, for the standard model only).
 * @param {ModelName} model
 * @returns {Promise<ReturnType<typeof loadEngine> extends Promise<infer E> ? E : never>}
 */
export function getEngine(model = 'standard', { weightsUrl } = {}) {
  if (!MODELS[model]) return Promise.reject(new Error(`unknown model "${model}" (${MODEL_NAMES.join(' or ')})`));
  // The reader's network may still be in IndexedDB (a reload, a link with #model=yours).
  if (MODELS[model].own) return restoreYours().then(() => engineOf(model, {}));
  return engineOf(model, { weightsUrl });
}

function engineOf(model, { weightsUrl }) {
  const own = MODELS[model].own ? yours() : null;
  if (MODELS[model].own && !own) return Promise.reject(new Error('you have no network of your own yet: train one in "Train it yourself", or load a weights file there'));
  const key = own ? `${model} #${own.version}` : `${model} ${weightsUrl ?? ''}`;
  if (!engines.has(key)) {
    const promise = loadEngine({
      backend: backendChoice,
      weights: own?.weights,
      weightsUrl: own ? `your network #${own.version}` : weightsUrl ?? MODELS[model].url,
      onChange: (info) => {
        for (const fn of onChangeAll) fn({ model, ...info });
      },
    });
    promise.catch(() => engines.delete(key)); // a failed load may be retried
    engines.set(key, promise);
  }
  return engines.get(key);
}
