// The JavaScript API for course authors and embedding pages: `window.adversarialDigits`, and the
// same functions as this module's exports:
//
//   import { ready, classify, current, backend } from './www/api.js';
//   await ready;
//   const { label, probabilities } = await classify(pixels); // 784 values in [0, 1], ink bright on black
//
// Everything goes through the page's own engine (same backend, same fallback). A change of
// backend (WebGPU lost, CPU takes over) also fires `adversarialdigits:backend` on window. Every
// demo on the page (the page's own, each <adversarial-digits>) fires `adversarialdigits:prediction`
// and `adversarialdigits:attack` as it shows a result (see www/demo.js); www/api.d.ts declares it all.
//
// On a page without the demo (an exercise sheet), `load()` loads the network; pages with
// <adversarial-digits> embeds connect on their own.

import { chosenBackend, getEngine, MODEL_NAMES, onBackendChange } from './models.js';

let resolveReady;
let rejectReady;
/** Resolves (to the API object) once the network is loaded; rejects if it cannot be. */
export const ready = new Promise((resolve, reject) => {
  resolveReady = resolve;
  rejectReady = reject;
});
ready.catch(() => {}); // a failed load is reported on the page; no unhandled rejection

let engine = null;
let currentDigit = () => null;

/** 'webgpu' or 'cpu': the backend in use now (null while loading). A live binding. */
export let backend = null;
/** Why the CPU is used, when it is (null on WebGPU). A live binding. */
export let fallbackReason = null;
/** Where batches run, once measured (www/engine/engine.js): {backend, images, cpuMs, webgpuMs}. */
export let batchRouting = null;
/** Where each class of work runs, once measured: {predict, attack, batch} (www/engine/engine.js). */
export let routing = null;
/** 'worker' or 'page': where the network runs (null while loading). */
export let where = null;

function pixelsOf(value) {
  const pixels = value instanceof Float32Array ? value : Float32Array.from(value ?? []);
  if (pixels.length !== 784) throw new TypeError(`pixels must hold 784 values (28 x 28), got ${pixels.length}`);
  return pixels;
}

/**
 * Classifies one 28x28 digit.
 * @param {Float32Array|number[]} pixels 784 values in [0, 1], row by row, ink bright on black.
 * @param {{signal?: AbortSignal, model?: string}} [options] `signal` cancels it (the promise rejects
 *   with an AbortError); `model`: the network (default: setModel's choice, else the page's).
 * @returns {Promise<{label: number, probabilities: number[]}>}
 */
export async function classify(pixels, { signal, model } = {}) {
  const input = pixelsOf(pixels);
  const use = await engineFor(model);
  const { label, probabilities } = await use.classify(input, { signal });
  return { label, probabilities: Array.from(probabilities) };
}

/** The digit on the page now: {pixels: Float32Array(784), label, probabilities: number[], source}, or null. */
export function current() {
  return currentDigit();
}

/** Gradient of the loss of `label` with respect to the pixels: a Float32Array(784). */
export async function gradient(pixels, label, { signal, model } = {}) {
  const input = pixelsOf(pixels);
  const use = await engineFor(model);
  return use.gradient(input, label, { signal });
}

/**
 * Runs an attack. `pixels` and `label` default to the digit on the page and its predicted label.
 * @param {{pixels?: Float32Array|number[], label?: number, method?: string, eps?: number, target?: number|null,
 *   steps?: number, alpha?: number, restarts?: number, seed?: number, pixelsBudget?: number,
 *   queries?: number, pInit?: number, loss?: 'ce'|'dlr', eot?: number, model?: string,
 *   start?: Float32Array|number[], onProgress?: Function, signal?: AbortSignal}} options `signal`
 *   cancels it: the promise rejects with an AbortError and the engine stops the work. `model`:
 *   the network attacked (default: setModel's choice, else the page's). `start`: HopSkipJump's
 *   starting image (one of the target class, for a targeted attack). `onProgress`: called as a
 *   black-box attack searches, with {queries, pixels, probabilities}.
 * @returns {Promise<{pixels: Float32Array, noise: Float32Array, label: number, probabilities: Float32Array,
 *   norms: {l0: number, l2: number, linf: number, ssim: number}, steps: number, queries: number|null,
 *   success: boolean}>} `queries`: what a black-box attack (simba, square, square-l2, hopskipjump) asked the network.
 */
export async function attack({ pixels, label, signal, model, onProgress, start, ...options } = {}) {
  const use = await engineFor(model);
  const digit = currentDigit();
  const input = pixels != null ? pixelsOf(pixels) : digit?.pixels;
  if (!input) throw new Error('no digit: pass pixels, or draw one on the page first');
  // The page's digit comes with the page's network's reading; another network reads it anew.
  const own = pixels == null && (model ?? apiModel) == null;
  const trueLabel = label ?? (own ? digit.label : (await use.classify(input, { signal })).label);
  const withStart = start != null ? { ...options, start: Array.from(pixelsOf(start)) } : options;
  return use.attack(input, trueLabel, { method: 'fgsm', ...withStart }, { signal, onProgress });
}

let apiModel = null; // null: the page's own network (standard unless the page switched)

/** The engine for an API call: `model` if given, else the one chosen by `setModel`, else the page's. */
async function engineFor(model = apiModel) {
  await ready;
  return model == null ? engine : getEngine(model);
}

/** Chooses the network later calls use: 'standard', 'robust', 'masked' or 'yours' (null: the page's own). */
export function setModel(name) {
  if (name != null && !MODEL_NAMES.includes(name)) throw new TypeError(`unknown model "${name}" (${MODEL_NAMES.join(' or ')})`);
  apiModel = name;
}

function digitOrCurrent(pixels) {
  const input = pixels != null ? pixelsOf(pixels) : currentDigit()?.pixels;
  if (!input) throw new Error('no digit: pass pixels, or draw one on the page first');
  return input;
}

function digitClass(value, what) {
  if (!(Number.isInteger(value) && value >= 0 && value <= 9)) throw new TypeError(`${what} must be a digit 0-9, got ${value}`);
  return value;
}

/**
 * A saliency map: which pixels raise (positive) or lower (negative) the score of `label`.
 * `pixels` defaults to the digit on the page, `label` to the class the network reads.
 * @param {{pixels?: Float32Array|number[], label?: number, model?: string,
 *   method?: 'gradient'|'smoothgrad'|'gradient-x-input'|'integrated-gradients',
 *   samples?: number, noise?: number, steps?: number, seed?: number}} options
 * @returns {Promise<{map: Float32Array, label: number, method: string}>}
 */
export async function saliency({ pixels, label, method = 'gradient', model, signal, ...options } = {}) {
  await ready;
  const input = digitOrCurrent(pixels);
  const use = await engineFor(model);
  const explained = label ?? (await use.classify(input, { signal })).label;
  const map = await use.saliency(input, [digitClass(explained, 'label')], method, options, { signal });
  return { map, label: explained, method };
}

/**
 * Activation maximisation: an image the network finds as much like `target` as it can.
 * Deterministic for a seed and model.
 * @param {{target: number, steps?: number, seed?: number, model?: string, learningRate?: number,
 *   decay?: number, jitter?: number, blurEvery?: number}} options
 * @returns {Promise<{pixels: Float32Array, probabilities: Float32Array, steps: number}>}
 */
export async function visualizeClass({ target, model, steps = 150, signal, ...options } = {}) {
  const use = await engineFor(model);
  const { pixels, probabilities } = await use.visualizeClasses([digitClass(target, 'target')], { steps, ...options }, null, 0, { signal });
  return { pixels, probabilities, steps };
}

/**
 * A fooling image: noise climbed until the network reads `target` with `confidence` (0.99).
 * `evolve`: found by evolution from the network's scores alone (src/visualize/evolution.rs), with
 * `population`, `sigma`, `queries` and `onProgress`; else by the gradient, with `steps` and `stepSize`.
 * @param {{target: number, evolve?: boolean, steps?: number, seed?: number, confidence?: number, stepSize?: number,
 *   population?: number, sigma?: number, queries?: number, onProgress?: Function, model?: string}} options
 * @returns {Promise<{pixels: Float32Array, probabilities: Float32Array, steps: number, success: boolean}>}
 */
export async function foolingImage({ target, model, signal, evolve = false, onProgress, ...options } = {}) {
  const use = await engineFor(model);
  const classes = [digitClass(target, 'target')];
  if (evolve) {
    const result = await use.evolveFoolingImages(classes, options, { signal, onProgress });
    return { pixels: result.pixels, probabilities: result.probabilities, steps: 0, queries: result.queries[0], success: result.success[0] };
  }
  const result = await use.foolingImages(classes, options, { signal });
  return { pixels: result.pixels, probabilities: result.probabilities, steps: result.steps, queries: null, success: result.success[0] };
}

/**
 * Every layer's activations for a digit (default: the one on the page), and the first layer's filters.
 * @param {{pixels?: Float32Array|number[], model?: string}} [options]
 * @returns {Promise<{layers: {name: string, channels: number, height: number, width: number, values: Float32Array}[],
 *   filters: {name: string, channels: number, height: number, width: number, values: Float32Array}}>}
 */
export async function featureMaps({ pixels, model, signal } = {}) {
  await ready;
  const input = digitOrCurrent(pixels);
  const use = await engineFor(model);
  return { layers: await use.featureMaps(input, { signal }), filters: await use.filters({ signal }) };
}

/**
 * How often an adversarial digit survives print and camera, as imitated by random shifts,
 * rotations, scalings, blur and ink level (src/attacks/eot.rs): the share of `transformations`
 * (default 200) under which the network still reads it as wrong (or as `target`).
 * @param {{pixels?: Float32Array|number[], label: number, target?: number|null, transformations?: number,
 *   seed?: number, model?: string, signal?: AbortSignal}} options
 * @returns {Promise<number>} between 0 and 1
 */
export async function survival({ pixels, label, target = null, transformations, seed = 1, model, signal } = {}) {
  const input = digitOrCurrent(pixels);
  const use = await engineFor(model);
  // By default the catalogue's count (src/attacks/eot.rs), as the page and the CLI use.
  const count = transformations ?? use.attackMethods.find((m) => m.eot).eot.survivalTransformations;
  return use.survival(input, digitClass(label, 'label'), target == null ? null : digitClass(target, 'target'), count, seed, { signal });
}

/**
 * Trains the reader's own network in the tab (www/training/): `preset` ('quick', 'defended-0.1',
 * 'defended-0.3') with any option on top (`epochs`, `batchSize`, `learningRate`, `lrDecay`,
 * `defence`, `eps`, `steps`, `warmupEpochs`, `digits`, `seed`); `backend` 'auto', 'cpu' or
 * 'webgpu' (default: the page's, ?backend=); `onProgress(event)` hears each batch and check;
 * `signal` cancels it. Resolves to the final figures once the network is "yours"
 * (setModel('yours') then uses it), kept in this browser. Bad settings reject with the reason.
 * @returns {Promise<{backend: string, options: object, epochs: number, seconds: number,
 *   imagesPerSecond: number, cleanAccuracy: number|null, pgdAccuracy: number|null, collapsed: boolean}>}
 */
export async function train({ preset = 'quick', backend = chosenBackend(), onProgress, signal, ...overrides } = {}) {
  const [{ describeRun, resolveOptions, train: run }, { saveYours }] = await Promise.all([
    import('./training/training-client.js'), import('./training/yours.js')]);
  const options = await resolveOptions({ preset, ...overrides });
  const { summary, weights } = await run(options, { backend, onEvent: onProgress, signal, description: `DigitNet trained in the browser: ${JSON.stringify(options)}` });
  await saveYours(weights, { summary: describeRun(summary), figures: summary });
  return summary;
}

/** The training presets: [{name, title, options}] (src/training.rs). */
export async function trainingPresets() {
  return (await import('./training/training-client.js')).trainingPresets();
}

/** The reader's own network: {weights (safetensors bytes), summary} or null (kept in this browser). */
export async function yourNetwork() {
  const { restoreYours } = await import('./training/yours.js');
  const mine = await restoreYours();
  return mine && { weights: mine.weights.slice(), summary: mine.meta.summary ?? null };
}

/** Forgets the reader's own network (here and in this browser's storage). */
export async function forgetYourNetwork() {
  await (await import('./training/yours.js')).forgetYours();
  if (apiModel === 'yours') apiModel = null;
}

let following = false;
/** Pages without the page's demo: `backend` follows the standard network's engine. */
export function followBackend() {
  if (following) return;
  following = true;
  onBackendChange((info) => info.model === 'standard' && backendChanged(info));
}

let loading = false;
/**
 * Loads the standard network and connects the API to it, for pages without the page's demo.
 * Resolves like `ready`; calling it again does nothing more.
 */
export function load() {
  if (!engine && !loading) {
    loading = true;
    followBackend();
    getEngine('standard').then((loaded) => connect(loaded), fail);
  }
  return ready;
}

export const adversarialDigits = {
  ready,
  load,
  get backend() { return backend; },
  get fallbackReason() { return fallbackReason; },
  get batchRouting() { return batchRouting; },
  get routing() { return routing; },
  get where() { return where; },
  /** The attacks' catalogue: names, norms, targeting, defaults and parameter ranges (null while loading). */
  get attackMethods() { return engine?.attackMethods ?? null; },
  classify,
  current,
  gradient,
  attack,
  saliency,
  visualizeClass,
  foolingImage,
  featureMaps,
  survival,
  setModel,
  get model() { return apiModel ?? 'standard'; },
  train,
  trainingPresets,
  yourNetwork,
  forgetYourNetwork,
};

/** The page: the backend changed (or was first chosen). */
export function backendChanged(info) {
  backend = info.backend;
  fallbackReason = info.fallbackReason ?? null;
  batchRouting = info.batchRouting ?? null;
  routing = info.routing ?? null;
  dispatchEvent(new CustomEvent('adversarialdigits:backend', { detail: { backend, fallbackReason, batchRouting, routing } }));
}

/**
 * The page: the engine is up; `current` gives the digit on the page. The first engine connected
 * stays; a later call may still name who gives the current digit.
 */
export function connect(loaded, { current: digit } = {}) {
  if (digit) currentDigit = digit;
  if (engine) return;
  engine = loaded;
  backend = loaded.backend;
  fallbackReason = loaded.fallbackReason;
  batchRouting = loaded.batchRouting;
  routing = loaded.routing ?? null;
  where = loaded.where ?? 'page';
  resolveReady(adversarialDigits);
}

/** The page: the engine could not load. */
export function fail(error) {
  rejectReady(error);
}

window.adversarialDigits = adversarialDigits;
