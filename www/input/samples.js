// A strip of real MNIST test digits to pick from (www/data/: the first 100 test digits, IDX; and
// the first 20 again as a smaller pair, the strip the page shows before its first prediction).

import { drawDigit } from '../render/colormap.js';

/** The two IDX pairs (`adversarial-digits export-samples` writes both). */
const SETS = {
  all: ['samples-images-idx3-ubyte', 'samples-labels-idx1-ubyte'],
  strip: ['samples-strip-images-idx3-ubyte', 'samples-strip-labels-idx1-ubyte'],
};
/** How many digits the strip's pair holds. */
export const STRIP_SAMPLES = 20;

/**
 * Fetches and parses the sample digits: {count, label(i), pixels(i), first(n), firstOf(digit)}.
 * `strip`: only the first STRIP_SAMPLES (a sixth of the bytes), for the first screen.
 */
export async function loadSamples(parseMnist, { strip = false } = {}) {
  const [images, labels] = await Promise.all(
    SETS[strip ? 'strip' : 'all'].map(async (name) => {
      const response = await fetch(new URL(`../data/${name}`, import.meta.url));
      if (!response.ok) throw new Error(`the sample digits are missing (HTTP ${response.status})`);
      return new Uint8Array(await response.arrayBuffer());
    }),
  );
  const set = await parseMnist(images, labels); // throws what is wrong with the files
  return {
    count: set.labels.length,
    label: (i) => set.labels[i],
    pixels: (i) => set.pixels.slice(i * 784, (i + 1) * 784),
    /** The first `n` (at most all): {pixels: Float32Array(784·n), labels: number[]}, a batch for the engine. */
    /** The index of the first sample of `digit`, or -1. */
    firstOf: (digit) => set.labels.indexOf(digit),
    first: (n) => {
      const count = Math.min(n, set.labels.length);
      return { pixels: set.pixels.slice(0, count * 784), labels: Array.from(set.labels.slice(0, count)) };
    },
  };
}

const shared = { all: null, strip: null };
/**
 * `loadSamples`, once per page however many demos and exercises ask (a failure may be retried).
 * `strip`: the first screen's smaller set (the whole set, if it has come already).
 */
export function loadSamplesOnce(parseMnist, { strip = false } = {}) {
  const which = strip && !shared.all ? 'strip' : 'all';
  shared[which] ??= loadSamples(parseMnist, { strip: which === 'strip' }).catch((error) => {
    shared[which] = null;
    throw error;
  });
  return shared[which];
}

/**
 * Buttons for the first `shown` samples in `container`.
 * @returns {{select: (index: number|null) => void}} marks the picked one (aria-pressed)
 */
export function mountSamples(container, samples, { shown = 20, onPick }) {
  container.replaceChildren();
  const buttons = [];
  for (let i = 0; i < Math.min(shown, samples.count); i++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample';
    button.dataset.index = String(i);
    button.dataset.label = String(samples.label(i));
    button.setAttribute('aria-label', `Sample digit ${samples.label(i)}`);
    button.setAttribute('aria-pressed', 'false');
    const canvas = document.createElement('canvas');
    canvas.setAttribute('aria-hidden', 'true');
    drawDigit(canvas, samples.pixels(i));
    button.append(canvas);
    button.addEventListener('click', () => onPick(i));
    container.append(button);
    buttons.push(button);
  }
  return {
    select(index) {
      buttons.forEach((button, i) => button.setAttribute('aria-pressed', String(i === index)));
    },
  };
}
