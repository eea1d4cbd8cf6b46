// The JavaScript API for course authors and embedding pages: `window.adversarialDigits`, and the
// same functions as this module's exports:
//
//   import { ready, classify, current, backend } from './www/api.js';
//   await ready;
//   const { label, probabilities } = await classify(pixels); // 784 values in [0, 1], ink bright on black
//
// Everything goes through the page's own engine (same backend, same fallback). A change of
// backend (WebGPU lost, CPU takes over) also fires `adversarialdigits:backend` on window.

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

function pixelsOf(value) {
  const pixels = value instanceof Float32Array ? value : Float32Array.from(value ?? []);
  if (pixels.length !== 784) throw new TypeError(`pixels must hold 784 values (28 x 28), got ${pixels.length}`);
  return pixels;
}

/**
 * Classifies one 28x28 digit.
 * @param {Float32Array|number[]} pixels 784 values in [0, 1], row by row, ink bright on black.
 * @returns {Promise<{label: number, probabilities: number[]}>}
 */
export async function classify(pixels) {
  const input = pixelsOf(pixels);
  await ready;
  const { label, probabilities } = await engine.classify(input);
  return { label, probabilities: Array.from(probabilities) };
}

/** The digit on the page now: {pixels: Float32Array(784), label, probabilities: number[], source}, or null. */
export function current() {
  return currentDigit();
}

/** Gradient of the loss of `label` with respect to the pixels: a Float32Array(784). */
export async function gradient(pixels, label) {
  const input = pixelsOf(pixels);
  await ready;
  return engine.gradient(input, label);
}

/**
 * Runs an attack. `pixels` and `label` default to the digit on the page and its predicted label.
 * @param {{pixels?: Float32Array|number[], label?: number, method?: string, eps?: number, target?: number|null,
 *   steps?: number, alpha?: number, restarts?: number, seed?: number, pixelsBudget?: number}} options
 * @returns {Promise<{pixels: Float32Array, noise: Float32Array, label: number, probabilities: Float32Array,
 *   norms: {l0: number, l2: number, linf: number}, steps: number, success: boolean}>}
 */
export async function attack({ pixels, label, pixelsBudget, ...options } = {}) {
  await ready;
  const digit = currentDigit();
  const input = pixels != null ? pixelsOf(pixels) : digit?.pixels;
  if (!input) throw new Error('no digit: pass pixels, or draw one on the page first');
  const trueLabel = label ?? (pixels != null ? (await engine.classify(input)).label : digit.label);
  return engine.attack(input, trueLabel, { method: 'fgsm', ...options, ...(pixelsBudget ? { pixels: pixelsBudget } : {}) });
}

export const adversarialDigits = {
  ready,
  get backend() { return backend; },
  get fallbackReason() { return fallbackReason; },
  classify,
  current,
  gradient,
  attack,
};

/** The page: the backend changed (or was first chosen). */
export function backendChanged(info) {
  backend = info.backend;
  fallbackReason = info.fallbackReason ?? null;
  dispatchEvent(new CustomEvent('adversarialdigits:backend', { detail: { backend, fallbackReason } }));
}

/** The page: the engine is up; `current` gives the digit on the page. */
export function connect(loaded, { current: digit }) {
  engine = loaded;
  currentDigit = digit;
  backend = loaded.backend;
  fallbackReason = loaded.fallbackReason;
  resolveReady(adversarialDigits);
}

/** The page: the engine could not load. */
export function fail(error) {
  rejectReady(error);
}

window.adversarialDigits = adversarialDigits;
