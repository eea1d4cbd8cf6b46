// The JavaScript API for course authors and embedding pages: `window.adversarialDigits`, also
// exported from this module. Everything resolves through the same engine as the page.

let resolveReady;
let rejectReady;
const ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
let engine = null;
let currentDigit = () => null;

function pixelsOf(value, name = 'pixels') {
  const pixels = value instanceof Float32Array ? value : Float32Array.from(value ?? []);
  if (pixels.length !== 784) throw new TypeError(`${name} must hold 784 values (28 x 28), got ${pixels.length}`);
  return pixels;
}

export const adversarialDigits = {
  /** Resolves once the network is loaded. */
  ready,
  /** 'webgpu' or 'cpu': the backend in use now. */
  get backend() { return engine?.backend ?? null; },
  /** Why the CPU is used, when it is (null on WebGPU). */
  get fallbackReason() { return engine?.reason ?? null; },
  /** The 28x28 digit on the page now: {pixels, label, probabilities}, or null. */
  current() { return currentDigit(); },
  /** @param {Float32Array|number[]} pixels 784 values in [0, 1], ink bright on black. */
  async classify(pixels) {
    await ready;
    const { label, probabilities } = await engine.classify(pixelsOf(pixels));
    return { label, probabilities: Array.from(probabilities) };
  },
  /** Gradient of the loss of `label` with respect to the pixels: Float32Array(784). */
  async gradient(pixels, label) {
    await ready;
    return engine.gradient(pixelsOf(pixels), label);
  },
  /**
   * Runs an attack. `pixels` and `label` default to the digit on the page and its predicted label.
   * @param {{pixels?: Float32Array|number[], label?: number, method: string, eps?: number, target?: number|null,
   *   steps?: number, alpha?: number, restarts?: number, seed?: number, pixelsBudget?: number}} options
   * @returns {Promise<{pixels: Float32Array, noise: Float32Array, label: number, probabilities: Float32Array,
   *   norms: {l0: number, l2: number, linf: number}, steps: number, success: boolean}>}
   */
  async attack({ pixels, label, pixelsBudget, ...options } = {}) {
    await ready;
    const digit = currentDigit();
    const input = pixels != null ? pixelsOf(pixels) : digit?.pixels;
    if (!input) throw new Error('no digit: pass pixels, or draw one on the page first');
    const trueLabel = label ?? (pixels != null ? (await engine.classify(input)).label : digit.label);
    return engine.attack(input, trueLabel, { method: 'fgsm', ...options, ...(pixelsBudget ? { pixels: pixelsBudget } : {}) });
  },
};

/** Called by the page once the engine is up (or failed). */
export function connect(loaded, { current }) {
  engine = loaded;
  currentDigit = current;
  resolveReady(adversarialDigits);
}

export function fail(error) {
  rejectReady(error);
}

ready.catch(() => {}); // a failed load is reported on the page; don't leave an unhandled rejection
window.adversarialDigits = adversarialDigits;
