// A strip of real MNIST test digits to pick from (www/data: 100 digits, IDX format).

import { drawDigit } from './colormap.js';

export async function loadSamples(parseMnist) {
  const [images, labels] = await Promise.all(
    ['samples-images-idx3-ubyte', 'samples-labels-idx1-ubyte'].map(async (name) => {
      const response = await fetch(new URL(`./data/${name}`, import.meta.url));
      if (!response.ok) throw new Error(`sample digits missing (HTTP ${response.status})`);
      return new Uint8Array(await response.arrayBuffer());
    }),
  );
  const set = parseMnist(images, labels);
  return { count: set.labels.length, label: (i) => set.labels[i], pixels: (i) => set.pixels.slice(i * 784, (i + 1) * 784) };
}

export function mountSamples(container, samples, { shown = 20, onPick }) {
  container.replaceChildren();
  for (let i = 0; i < Math.min(shown, samples.count); i++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample';
    button.dataset.index = String(i);
    button.dataset.label = String(samples.label(i));
    button.setAttribute('aria-label', `Sample digit ${samples.label(i)}`);
    const canvas = document.createElement('canvas');
    drawDigit(canvas, samples.pixels(i));
    button.append(canvas);
    button.addEventListener('click', () => onPick(i));
    container.append(button);
  }
}
