// A strip of real MNIST test digits to pick from (www/data/: the first 100 test digits, IDX).

import { drawDigit } from '../render/colormap.js';

const FILES = ['samples-images-idx3-ubyte', 'samples-labels-idx1-ubyte'];

/** Fetches and parses the sample digits: {count, label(i), pixels(i), first(n), firstOf(digit)}. */
export async function loadSamples(parseMnist) {
  const [images, labels] = await Promise.all(
    FILES.map(async (name) => {
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

let shared = null;
/** `loadSamples`, once per page however many demos and exercises ask (a failure may be retried). */
export function loadSamplesOnce(parseMnist) {
  shared ??= loadSamples(parseMnist).catch((error) => {
    shared = null;
    throw error;
  });
  return shared;
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
