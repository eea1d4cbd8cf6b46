// The "what the network looks at" panel: saliency maps and the feature maps of the digit on the
// page (both live, newest input wins), and two galleries computed on demand with progress and a
// cancel button: class visualisations and fooling images. All the maths is the engine's
// (src/visualize/); this module only asks and draws.

import { percent } from '../render/bars.js';
import { drawDigit, drawLegend, drawNoise, putDiverging } from '../render/colormap.js';
import { el, whenOnScreen } from '../dom.js';
import { createScheduler } from '../scheduler.js';

export const SALIENCY_METHODS = [
  {
    name: 'gradient', label: 'Gradient',
    summary: 'How fast the score of the digit changes with each pixel: the raw material of every gradient attack.',
    paper: 'Simonyan, Vedaldi & Zisserman, 2013', paperUrl: 'https://arxiv.org/abs/1312.6034',
  },
  {
    name: 'smoothgrad', label: 'SmoothGrad',
    summary: 'The gradient averaged over 25 noisy copies of the digit, which removes the speckle of single gradients.',
    paper: 'Smilkov et al., 2017', paperUrl: 'https://arxiv.org/abs/1706.03825',
  },
  {
    name: 'gradient-x-input', label: 'Gradient × input',
    summary: 'The gradient times the pixel: only ink can count, so the map shows which strokes carry the score.',
    paper: 'Shrikumar et al., 2016', paperUrl: 'https://arxiv.org/abs/1605.01713',
  },
  {
    name: 'integrated-gradients', label: 'Integrated gradients',
    summary: 'Gradients summed along the path from a black image to the digit: the map adds up to the score difference.',
    paper: 'Sundararajan, Taly & Yan, 2017', paperUrl: 'https://arxiv.org/abs/1703.01365',
  },
];

/** Class visualisation: steps in all, and per progress update. */
const GALLERY_STEPS = 150;
const GALLERY_CHUNK = 15;

/**
 * Draws `channels` maps of `height x width` into one canvas, as a grid of `columns` tiles with a
 * one-pixel gap. `signed`: a diverging map around 0; otherwise grey from 0 to the largest value.
 * One scale for the whole layer, so tiles compare.
 */
export function drawTiles(canvas, { channels, height, width, values }, { columns, signed = false }) {
  const rows = Math.ceil(channels / columns);
  canvas.width = columns * (width + 1) - 1;
  canvas.height = rows * (height + 1) - 1;
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(canvas.width, canvas.height); // transparent black: the gaps
  const data = image.data;
  for (let c = 0; c < channels; c++) {
    const x0 = (c % columns) * (width + 1);
    const y0 = Math.floor(c / columns) * (height + 1);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = scale > 0 ? values[c * height * width + y * width + x] / scale : 0;
        const at = ((y0 + y) * canvas.width + x0 + x) * 4;
        if (signed) {
          putDiverging(data, at, v);
        } else {
          data[at] = data[at + 1] = data[at + 2] = Math.round(Math.max(0, v) * 255);
        }
        data[at + 3] = 255;
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  return scale;
}

/**
 * @param {HTMLElement} container
 * @param {{engine: object, source: {current: () => any, subscribe: (fn: Function) => void},
 *          announce?: (text: string) => void, idPrefix?: string}} options
 *   `engine`: saliency, featureMaps, filters, visualizeClasses, foolingImages (www/engine/client.js);
 *   it may change model under the panel (the demo's stand-in), so nothing is cached across calls
 *   but the results drawn. `more` (the compact layout's <details>): the saliency map stays in the
 *   panel, everything else goes there.
 */
export function mountVisualizePanel(container, { engine, source, announce = () => {}, idPrefix = '', more = null }) {
  const id = (name) => idPrefix + name;

  // --- Saliency ---------------------------------------------------------------------------
  const methodSelect = el('select', { id: id('saliency-method') });
  for (const m of SALIENCY_METHODS) methodSelect.append(el('option', { value: m.name, text: m.label }));
  const classSelect = el('select', { id: id('saliency-class') }, el('option', { value: '', text: 'the digit it reads' }));
  for (let d = 0; d < 10; d++) classSelect.append(el('option', { value: String(d), text: `the score of ${d}` }));
  const methodInfo = el('p', { id: id('saliency-info'), class: 'method-info' });
  const saliencyDigit = el('canvas', { id: id('saliency-digit'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The digit' });
  const saliencyMap = el('canvas', { id: id('saliency-map'), class: 'digit noise', width: 28, height: 28, role: 'img', 'aria-label': 'Saliency map: orange pixels raise the score, blue ones lower it' });
  const saliencyCaption = el('figcaption', { id: id('saliency-caption') });
  const legend = el('canvas', { class: 'legend', width: 120, height: 8, 'aria-hidden': 'true' });
  drawLegend(legend);

  // --- Feature maps -----------------------------------------------------------------------
  const layerCanvas = (name, label) => el('canvas', { id: id(`features-${name}`), class: 'tiles', role: 'img', 'aria-label': label });
  const filtersCanvas = layerCanvas('filters', 'The 16 filters of the first layer, 5 by 5 pixels each: orange weights respond to ink, blue ones to its absence');
  const conv1Canvas = layerCanvas('conv1', 'The 16 feature maps of the first layer for this digit');
  const conv2Canvas = layerCanvas('conv2', 'The 32 feature maps of the second layer for this digit');
  const hiddenCanvas = layerCanvas('hidden', 'The 128 units of the hidden layer for this digit');

  // --- Galleries --------------------------------------------------------------------------
  const gallery = (name, label) => {
    const tiles = [];
    const grid = el('div', { id: id(`${name}-gallery`), class: 'gallery', role: 'group', 'aria-label': label });
    for (let d = 0; d < 10; d++) {
      const canvas = el('canvas', { class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': `${label}: ${d}` });
      const caption = el('figcaption', { text: String(d) });
      const figure = el('figure', { 'data-digit': String(d) }, canvas, caption);
      grid.append(figure);
      tiles.push({ figure, canvas, caption });
    }
    const button = el('button', { type: 'button', id: id(`${name}-run`) });
    const cancel = el('button', { type: 'button', id: id(`${name}-cancel`), text: 'Cancel', hidden: true });
    const progress = el('progress', { id: id(`${name}-progress`), max: 1, value: 0, hidden: true, 'aria-label': `${label}: progress` });
    const status = el('p', { id: id(`${name}-status`), class: 'small', 'aria-live': 'polite' });
    return { key: name.replace(/-(\w)/g, (_, c) => c.toUpperCase()), grid, tiles, button, cancel, progress, status };
  };
  const classes = gallery('class-vis', 'What each digit looks like to the network');
  classes.button.textContent = 'Show what each digit looks like to it';
  const fooling = gallery('fooling', 'Noise it reads as digits');
  fooling.button.textContent = 'Make noise it reads as digits';

  const saliencyControls = el('div', { class: 'attack-controls' },
    el('label', { class: 'control', for: methodSelect.id }, el('span', { class: 'control-name', text: 'Method' }), methodSelect),
    el('label', { class: 'control', for: classSelect.id }, el('span', { class: 'control-name', text: 'Explain' }), classSelect),
    methodInfo);
  const saliencyImages = el('div', { class: more ? 'flip-row pair' : 'attack-images' },
    el('figure', {}, saliencyDigit, el('figcaption', { text: 'The digit' })),
    el('figure', {}, saliencyMap, saliencyCaption, el('div', { class: 'legend-row' }, legend, el('span', { class: 'legend-text', text: 'lowers ← score → raises' }))));
  const saliency = more ? [saliencyImages] : [el('h3', { class: 'small-title', text: 'Which pixels matter' }), saliencyControls, saliencyImages];
  const rest = [
    ...(more ? [saliencyControls] : []),

    el('h3', { class: 'small-title', text: 'Inside the network' }),
    el('p', { class: 'small', text: 'The first layer’s 16 filters, then what each layer computes for the digit above, brighter where a unit responds more. It changes as you draw.' }),
    el('div', { class: 'layers' },
      el('figure', {}, filtersCanvas, el('figcaption', { text: 'Layer 1 filters (5×5)' })),
      el('figure', {}, conv1Canvas, el('figcaption', { text: 'Layer 1: 16 maps, 28×28' })),
      el('figure', {}, conv2Canvas, el('figcaption', { text: 'Layer 2: 32 maps, 14×14' })),
      el('figure', {}, hiddenCanvas, el('figcaption', { text: 'Hidden layer: 128 units' }))),

    el('h3', { class: 'small-title', text: 'What a digit looks like to the network' }),
    el('p', { class: 'small' },
      'Start from a dark, faintly noisy image and climb the gradient of one digit’s score, blurring and jittering a little at every step so that only patterns the network reads robustly survive (activation maximisation: ',
      el('a', { href: 'https://arxiv.org/abs/1312.6034', rel: 'noreferrer', text: 'Simonyan et al., 2013' }), '; regularised as in ',
      el('a', { href: 'https://arxiv.org/abs/1506.06579', rel: 'noreferrer', text: 'Yosinski et al., 2015' }), ').'),
    el('div', { class: 'row' }, classes.button, classes.cancel, classes.progress), classes.status, classes.grid,

    el('h3', { class: 'small-title', text: 'Noise it reads as a digit' }),
    el('p', { class: 'small' },
      'Start from random noise and push every pixel a little in the direction that makes one digit more likely, until the network is 99% sure. You still see noise; the network sees a digit (fooling images: ',
      el('a', { href: 'https://arxiv.org/abs/1412.1897', rel: 'noreferrer', text: 'Nguyen, Yosinski & Clune, 2015' }), '). Adversarial examples are the same climb, started from a real digit.'),
    el('div', { class: 'row' }, fooling.button, fooling.cancel, fooling.progress), fooling.status, fooling.grid,
  ];
  container.replaceChildren(...saliency, ...(more ? [] : rest));
  more?.append(...rest);

  // --- Live views: saliency and feature maps ---------------------------------------------------
  let filtersOf = null; // the weights whose filters are drawn
  const live = createScheduler(
    async (digit, signal) => {
      const method = methodSelect.value;
      const explained = classSelect.value === '' ? digit.label : Number(classSelect.value);
      // One after another: a WebGPU queue gains nothing from overlapping them.
      const map = await engine.saliency(digit.pixels, [explained], method, { seed: 1 }, { signal });
      const layers = await engine.featureMaps(digit.pixels, { signal });
      // The filters change only with the network (the demo's engine may switch under the panel).
      const filters = filtersOf === engine.weights ? null : await engine.filters({ signal });
      return { digit, method, explained, map, layers, filters };
    },
    {
      onResult({ digit, method, explained, map, layers, filters }) {
        drawDigit(saliencyDigit, digit.pixels);
        const scale = drawNoise(saliencyMap, map);
        const label = SALIENCY_METHODS.find((m) => m.name === method).label;
        saliencyCaption.textContent = `${label} for the score of ${explained} (full colour: ${scale.toPrecision(2)})`;
        saliencyMap.dataset.explained = String(explained);
        saliencyMap.dataset.method = method;
        const byName = Object.fromEntries(layers.map((l) => [l.name, l]));
        drawTiles(conv1Canvas, byName.conv1, { columns: 4 });
        drawTiles(conv2Canvas, byName.conv2, { columns: 8 });
        drawTiles(hiddenCanvas, { ...byName.hidden, channels: 128, height: 1, width: 1 }, { columns: 16 });
        conv1Canvas.dataset.maximum = String(Math.max(...byName.conv1.values));
        if (filters) {
          drawTiles(filtersCanvas, filters, { columns: 4, signed: true });
          filtersOf = engine.weights;
        }
        container.dataset.liveUpdates = String(Number(container.dataset.liveUpdates ?? 0) + 1);
      },
      onError(error) {
        saliencyCaption.textContent = `The saliency map could not be computed: ${error.message}`;
      },
    },
  );
  // Live work only while the panel is on screen; a digit that changed meanwhile is drawn on return.
  const refresh = whenOnScreen(container, () => {
    const digit = source.current();
    if (digit) live.request(digit);
    else live.cancel();
  });
  const describe = () => {
    const m = SALIENCY_METHODS.find((x) => x.name === methodSelect.value);
    methodInfo.replaceChildren(`${m.summary} `, el('a', { href: m.paperUrl, rel: 'noreferrer', text: m.paper }), '.');
  };
  methodSelect.addEventListener('change', () => { describe(); refresh(); });
  classSelect.addEventListener('change', refresh);
  source.subscribe(refresh);
  describe();
  refresh();

  // --- Galleries: chunks with progress, cancellable ------------------------------------------
  /**
   * Runs `steps(run)` (an async function that reports progress through `run.progress(fraction)`,
   * passes `run.signal` to the engine and stops once it aborts) with the gallery's button,
   * progress bar and cancel button. Cancel aborts the chunk in flight as well.
   */
  function runner(g, steps) {
    let run = null;
    g.button.addEventListener('click', async () => {
      if (run) return;
      const controller = new AbortController();
      run = { controller, signal: controller.signal, progress: (f) => { g.progress.value = f; } };
      g.button.disabled = true;
      g.cancel.hidden = false;
      g.progress.hidden = false;
      g.progress.value = 0;
      g.status.textContent = 'Computing…';
      const key = g.key; // data-class-vis / data-fooling on the container: running, done, cancelled, error
      container.dataset[key] = 'running';
      try {
        const text = await steps(run);
        g.status.textContent = run.signal.aborted ? 'Cancelled.' : text;
        container.dataset[key] = run.signal.aborted ? 'cancelled' : 'done';
        if (!run.signal.aborted) announce(text);
      } catch (error) {
        const cancelled = error.name === 'AbortError';
        g.status.textContent = cancelled ? 'Cancelled.' : `It could not be computed: ${error.message}`;
        container.dataset[key] = cancelled ? 'cancelled' : 'error';
      } finally {
        run = null;
        g.button.disabled = false;
        g.cancel.hidden = true;
        g.progress.hidden = true;
      }
    });
    g.cancel.addEventListener('click', () => run?.controller.abort());
  }

  const drawTile = (tile, pixels, probabilities, digit) => {
    drawDigit(tile.canvas, pixels);
    const p = probabilities[digit];
    tile.caption.textContent = `${digit}: ${percent(p)}`;
    tile.figure.dataset.probability = p.toFixed(6);
  };

  runner(classes, async (run) => {
    const digits = [...Array(10).keys()];
    let pixels = null;
    let probabilities = null;
    for (let done = 0; done < GALLERY_STEPS && !run.signal.aborted; done += GALLERY_CHUNK) {
      ({ pixels, probabilities } = await engine.visualizeClasses(digits, { steps: GALLERY_CHUNK, seed: 1 }, pixels, done, { signal: run.signal }));
      digits.forEach((d) => drawTile(classes.tiles[d], pixels.subarray(d * 784, (d + 1) * 784), probabilities.subarray(d * 10, (d + 1) * 10), d));
      run.progress((done + GALLERY_CHUNK) / GALLERY_STEPS);
    }
    return `Each image is what the network finds most like that digit after ${GALLERY_STEPS} steps; under each, how sure it is.`;
  });

  runner(fooling, async (run) => {
    let reached = 0;
    for (let d = 0; d < 10 && !run.signal.aborted; d++) {
      const result = await engine.foolingImages([d], { seed: 1 + d }, { signal: run.signal });
      drawTile(fooling.tiles[d], result.pixels, result.probabilities, d);
      fooling.tiles[d].figure.dataset.steps = String(result.steps);
      if (result.success[0]) reached++;
      run.progress((d + 1) / 10);
    }
    return `${reached} of 10 noise images are read as their digit with at least 99% confidence.`;
  });
}
