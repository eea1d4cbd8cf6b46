// The attack panel: pick a method, drag ε, and watch the classification flip.
//
// It renders into a container and talks to the engine only through `engine` (attack,
// minimalEpsilon, randomNoiseLike, classify). Runs go through the page's scheduler ("newest
// input wins"): while one attack is in flight, further changes collapse into a single pending
// run, and a result whose input is no longer current is dropped, never shown.

import { describeMethods, methodByName } from '../attack-methods.js';
import { mountStrip, percent } from '../render/bars.js';
import { drawDigit, drawNoise, drawLegend } from '../render/colormap.js';
import { el, setText } from '../dom.js';
import { createScheduler } from '../scheduler.js';
import { loadSamplesOnce } from '../input/samples.js';

const reducedMotion = () => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

/** The panel's controls, by the names an embed's `controls` attribute uses. */
export const ATTACK_CONTROLS = ['method', 'eps', 'steps', 'target', 'extras'];

/**
 * @param {HTMLElement} container
 * @param {{engine: {attack: Function, minimalEpsilon: Function, randomNoiseLike: Function, classify: Function},
 *          source: {current: () => ({pixels: Float32Array, label: number, probabilities: Float32Array}|null), subscribe: (fn: Function) => void},
 *          state?: {get: (k: string) => any, set: (k: string, v: any) => void},
 *          announce?: (text: string) => void, idPrefix?: string, controls?: string[],
 *          onResult?: (result: {input: object, output: object, options: object}) => void}} deps
 *   `idPrefix` starts every id the panel creates (two panels on a page need different ones);
 *   `controls` lists the controls shown (ATTACK_CONTROLS; the others keep their values, hidden);
 *   `onResult` hears every result shown.
 *   `layout: 'compact'` puts `picture` (the demo's digit, drawable) + noise = adversarial in one
 *   row with ε and the before/after strip under it, and the other controls in `more` (a
 *   <details>). The markup is built at once, so the panel holds its size while the engine
 *   loads; `start()` connects it to the engine, whose catalogue of methods builds the controls
 *   (`catalogue`, a copy of it, lets them take their places before).
 */
export function mountAttackPanel(container, {
  engine, source, state, announce, idPrefix = '', controls = ATTACK_CONTROLS, onResult, layout = 'full', picture = null, more = null,
  catalogue = null,
}) {
  const initial = {
    method: state?.get('attack') ?? 'fgsm',
    eps: state?.get('eps'),
    steps: state?.get('steps'),
    pixels: state?.get('pixels'),
    queries: state?.get('queries'),
    eot: state?.get('eot') ?? 0,
    target: state?.get('target') ?? '',
  };
  const id = (name) => idPrefix + name;
  const shows = (control) => controls.includes(control);

  const methodSelect = el('select', { id: id('attack-method') });
  const info = el('p', { id: id('attack-method-info'), class: 'method-info' });
  const epsInput = el('input', { id: id('attack-eps'), type: 'range' });
  const epsOutput = el('output', { id: id('attack-eps-value'), for: id('attack-eps') });
  const epsLabel = el('label', { class: 'control', for: id('attack-eps') }, el('span', { class: 'control-name', text: 'ε (budget)' }), epsInput, epsOutput);
  const stepsInput = el('input', { id: id('attack-steps'), type: 'range' });
  const stepsOutput = el('output', { id: id('attack-steps-value'), for: id('attack-steps') });
  const stepsLabel = el('label', { class: 'control', for: id('attack-steps') }, el('span', { class: 'control-name', text: 'Steps' }), stepsInput, stepsOutput);
  const pixelsInput = el('input', { id: id('attack-pixels'), type: 'range' });
  const pixelsOutput = el('output', { id: id('attack-pixels-value'), for: id('attack-pixels') });
  const pixelsLabel = el('label', { class: 'control', for: id('attack-pixels') }, el('span', { class: 'control-name', text: 'Pixels' }), pixelsInput, pixelsOutput);
  // The query budget of the black-box attacks that take one (Square).
  const queriesInput = el('input', { id: id('attack-queries'), type: 'range' });
  const queriesOutput = el('output', { id: id('attack-queries-value'), for: id('attack-queries') });
  const queriesLabel = el('label', { class: 'control', for: id('attack-queries') }, el('span', { class: 'control-name', text: 'Queries' }), queriesInput, queriesOutput);
  // Expectation over transformation: the gradient averaged over random print-and-camera changes.
  /** Transformations per step: the address's or the embed's own number, else the catalogue's default. */
  const eotSamples = () => state?.get('eot') || initial.eot || method.eot.samples;
  const eotBox = el('input', { id: id('attack-eot'), type: 'checkbox' });
  const eotLabel = el('label', { class: 'control inline', for: id('attack-eot') }, eotBox, el('span', { class: 'control-name', text: 'Survive print and camera (EOT)' }));
  const targetSelect = el('select', { id: id('attack-target') }, el('option', { value: '', text: 'any wrong digit' }));
  for (let d = 0; d < 10; d++) targetSelect.append(el('option', { value: String(d), text: `make it a ${d}` }));
  const targetLabel = el('label', { class: 'control', for: id('attack-target') }, el('span', { class: 'control-name', text: 'Target' }), targetSelect);

  const canvases = {
    original: el('canvas', { id: id('attack-original'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The digit before the attack' }),
    noise: el('canvas', { id: id('attack-noise'), class: 'digit noise', width: 28, height: 28, role: 'img', 'aria-label': 'The adversarial noise, amplified' }),
    adversarial: el('canvas', { id: id('attack-adversarial'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The adversarial digit' }),
    random: el('canvas', { id: id('attack-random-canvas'), class: 'digit', width: 28, height: 28, role: 'img', 'aria-label': 'The digit with random noise of the same size' }),
  };
  const captions = {
    original: el('figcaption', { id: id('attack-original-caption') }),
    noise: el('figcaption', { id: id('attack-noise-caption') }),
    adversarial: el('figcaption', { id: id('attack-adversarial-caption') }),
    random: el('figcaption', { id: id('attack-random-caption'), text: 'Random noise of the same size: press the button.' }),
  };
  const legend = el('canvas', { class: 'legend', width: 120, height: 8, 'aria-hidden': 'true' });
  drawLegend(legend);
  const legendText = el('span', { class: 'legend-text', id: id('attack-noise-scale') });
  const bars = mountStrip();
  const result = el('p', { id: id('attack-result'), role: 'status', 'aria-live': 'polite', class: 'attack-result' });
  const norms = el('p', { id: id('attack-norms'), class: 'norms' });
  const randomButton = el('button', { id: id('attack-random'), type: 'button', text: 'Random noise of the same size' });
  const minEpsButton = el('button', { id: id('attack-min-eps'), type: 'button', text: 'Smallest ε that flips' });
  // Long attacks (C&W, JSMA, DeepFool on a slow phone) and the search can be stopped: the engine
  // drops or stops the work (www/engine/client.js) and the panel says what it shows.
  const cancelButton = el('button', { id: id('attack-cancel'), type: 'button', class: 'cancel', text: 'Cancel', hidden: '' });
  const minEpsResult = el('p', { id: id('attack-min-eps-result'), class: 'min-eps', 'aria-live': 'polite' });
  const downloadButton = el('button', { id: id('attack-download'), type: 'button', text: 'Download adversarial PNG' });
  const printButton = el('button', { id: id('attack-print'), type: 'button', text: 'Print a sheet' });
  const printStatus = el('p', { id: id('attack-print-status'), class: 'min-eps', 'aria-live': 'polite' });
  // Does the adversarial digit still fool the network once printed and photographed (imitated)?
  const surviveButton = el('button', { id: id('attack-survive'), type: 'button', text: 'Does it survive print and camera?' });
  const surviveStatus = el('p', { id: id('attack-survive-status'), class: 'min-eps', 'aria-live': 'polite' });
  // The same over many digits: the average share, plain and with EOT, as the CLI's `eval --survival`.
  const surviveCount = el('select', { id: id('attack-survive-count'), 'aria-label': 'Sample digits to check' },
    el('option', { value: '20', text: '20 sample digits' }), el('option', { value: '100', text: '100 sample digits' }));
  const surviveManyButton = el('button', { id: id('attack-survive-many'), type: 'button', text: 'Check on many digits' });
  const surviveManyStatus = el('p', { id: id('attack-survive-many-status'), class: 'min-eps', 'aria-live': 'polite' });
  // Every method on this digit, ranked by how alike the result looks (SSIM), not by its norms.
  const rankButton = el('button', { id: id('attack-rank'), type: 'button', text: 'Rank the methods by how visible the change is' });
  const rankStatus = el('p', { id: id('attack-rank-status'), class: 'min-eps', 'aria-live': 'polite' });
  const rankTable = el('table', { id: id('attack-rank-table'), class: 'rank-table', hidden: true });

  const methodLabel = el('label', { class: 'control', for: id('attack-method') }, el('span', { class: 'control-name', text: 'Method' }), methodSelect);
  methodLabel.hidden = !shows('method');
  const extras = el('div', { class: 'attack-extras' },
    el('div', { class: 'extra' }, randomButton, el('figure', {}, canvases.random, captions.random)),
    el('div', { class: 'extra' }, minEpsButton, minEpsResult),
    el('div', { class: 'extra' }, downloadButton, printButton, printStatus),
    el('div', { class: 'extra' }, surviveButton, surviveStatus, el('div', { class: 'row' }, surviveCount, surviveManyButton), surviveManyStatus),
    el('div', { class: 'extra rank' }, rankButton, rankStatus, rankTable));
  extras.hidden = !shows('extras');

  const legendRow = el('div', { class: 'legend-row' }, legend, legendText);
  const status = el('div', { class: 'attack-status' }, result, cancelButton);
  if (layout === 'compact') {
    const op = (text) => el('span', { class: 'flip-op', 'aria-hidden': 'true', text });
    container.replaceChildren(
      el('div', { class: 'flip-row' },
        el('figure', { class: 'flip-input' }, picture ?? canvases.original, captions.original), op('+'),
        el('figure', {}, canvases.noise, captions.noise), op('='),
        el('figure', {}, canvases.adversarial, captions.adversarial)),
      el('div', { class: 'attack-controls' }, epsLabel, pixelsLabel),
      bars.root, status,
    );
    more.append(el('div', { class: 'attack-controls' }, methodLabel, info, stepsLabel, queriesLabel, eotLabel, targetLabel), legendRow, norms, extras);
  } else {
    container.replaceChildren(
      el('div', { class: 'attack-controls' }, methodLabel, info, epsLabel, stepsLabel, queriesLabel, pixelsLabel, eotLabel, targetLabel),
      el('div', { class: 'attack-images' },
        el('figure', {}, canvases.original, captions.original),
        el('figure', {}, canvases.noise, captions.noise, legendRow),
        el('figure', {}, canvases.adversarial, captions.adversarial)),
      bars.root, status, norms, extras,
    );
  }
  // Until start(): the settings the demo was given, not yet to be moved.
  const inputs = { eps: [epsInput, epsOutput], steps: [stepsInput, stepsOutput], pixels: [pixelsInput, pixelsOutput], queries: [queriesInput, queriesOutput] };
  for (const [key, [input, output]] of Object.entries(inputs)) {
    Object.assign(input, { min: 0, max: 1, step: 'any', disabled: true });
    if (initial[key] != null) input.value = output.value = String(initial[key]);
  }
  methodSelect.disabled = targetSelect.disabled = eotBox.disabled = true;
  epsLabel.hidden = !shows('eps');
  stepsLabel.hidden = pixelsLabel.hidden = queriesLabel.hidden = eotLabel.hidden = targetLabel.hidden = true;
  eotBox.checked = initial.eot > 0;

  let methods = [];
  let method = null;
  let last = null; // {input, output}
  let printing = null; // the print sheet's module (a promise), fetched after the first result
  /** The print sheet's module, or null (and asked again next time) where it cannot be loaded. */
  const loadPrinting = () => import('../render/print-sheet.js').catch(() => { printing = null; return null; });
  let animation = 0;

  function configure(keepValues) {
    const reads = { scores: ' It reads only the network’s output probabilities.', label: ' It reads only the network’s answer, the top label.' }[method.access] ?? '';
    info.replaceChildren(
      `${method.summary} Norm: ${method.norm}.${reads} `,
      el('a', { href: method.paperUrl, rel: 'noreferrer', text: method.paper }),
      '.',
    );
    const setRange = (input, output, spec, initialValue) => {
      input.parentElement.hidden = !spec;
      if (!spec) return;
      input.min = spec.min; input.max = spec.max; input.step = spec.step ?? 1;
      if (!keepValues || initialValue == null) input.value = spec.value;
      else input.value = initialValue;
      output.value = input.value;
    };
    setRange(epsInput, epsOutput, method.eps, keepValues ? initial.eps : null);
    setRange(stepsInput, stepsOutput, method.steps, keepValues ? initial.steps : null);
    setRange(pixelsInput, pixelsOutput, method.pixels, keepValues ? initial.pixels : null);
    setRange(queriesInput, queriesOutput, method.queries, keepValues ? initial.queries : null);
    epsLabel.hidden ||= !shows('eps');
    stepsLabel.hidden ||= !shows('steps');
    queriesLabel.hidden ||= !shows('steps'); // a black-box attack's iterations
    eotLabel.hidden = !method.eot || !shows('steps');
    surviveStatus.textContent = '';
    pixelsLabel.hidden ||= !shows('eps'); // the few-pixel budget
    targetLabel.hidden = method.targeted === 'never' || !shows('target');
    targetSelect.options[0].textContent = method.targeted === 'required' ? 'the next digit' : 'any wrong digit';
    minEpsButton.hidden = !method.eps;
    minEpsResult.textContent = '';
  }

  function options() {
    const target = targetSelect.value === '' ? null : Number(targetSelect.value);
    const steps = method.steps ? Number(stepsInput.value) : undefined;
    return {
      method: method.name,
      eps: method.eps ? Number(epsInput.value) : 0,
      ...(steps ? { steps } : method.defaultSteps > 1 ? { steps: method.defaultSteps } : {}),
      ...(method.pixels ? { pixelsBudget: Number(pixelsInput.value) } : {}),
      ...(method.queries ? { queries: Number(queriesInput.value) } : {}),
      ...(method.eot && eotBox.checked ? { eot: eotSamples() } : {}),
      target: method.targeted === 'never' ? null : target,
      seed: 0,
      recordEvery: method.iterative && steps && !reducedMotion() ? Math.max(1, Math.ceil(steps / 12)) : 0,
    };
  }

  /** The adversarial image and its noise: all that changes between replay frames. Returns the noise's scale. */
  function drawStep(adversarial, noise) {
    drawDigit(canvases.adversarial, adversarial);
    const scale = drawNoise(canvases.noise, noise);
    setText(legendText, scale > 0 ? `−${scale.toFixed(3)} … +${scale.toFixed(3)}` : 'no change');
    return scale;
  }

  /**
   * Draws a result: the pictures, captions, bars and sentences. Before start(), `range` (the ε
   * slider's {min, max, step, value}) places the slider where the demo's own ε does not.
   */
  function paint(input, output, range = null) {
    if (range && !methods.length) {
      Object.assign(epsInput, { min: range.min, max: range.max, step: range.step });
      if (initial.eps == null) epsInput.value = epsOutput.value = String(range.value);
    }
    drawDigit(canvases.original, input.pixels);
    const scale = drawStep(output.pixels, output.noise);
    const before = input.probabilities;
    setText(captions.original, `Original: ${input.label} (${percent(before[input.label])})`);
    setText(captions.noise, `Noise, amplified ${scale > 0 ? `×${(0.5 / scale).toFixed(1)}` : ''}`);
    setText(captions.adversarial, `Adversarial: ${output.label} (${percent(output.probabilities[output.label])})`);
    bars.draw('before', before, input.label);
    bars.draw('after', output.probabilities, output.label);
    const flipped = output.label !== input.label;
    result.dataset.flipped = String(flipped);
    result.dataset.label = String(output.label);
    setText(result, flipped
      ? `Flipped: the network now reads a ${output.label} (${percent(output.probabilities[output.label])}) where it read a ${input.label}.`
      : `Not fooled: the network still reads a ${input.label}. ${method?.eps ? 'Try a larger ε' : 'Try more steps'} or another method.`);
    setText(norms, `Size of the change: L∞ ${output.norms.linf.toFixed(3)}, L2 ${output.norms.l2.toFixed(2)}, L0 ${output.norms.l0} pixels; SSIM ${output.norms.ssim.toFixed(3)} (1: looks the same); ${output.queries != null ? `${output.queries} quer${output.queries === 1 ? 'y' : 'ies'} to the network` : `${output.steps} step${output.steps === 1 ? '' : 's'}`}.`);
    return flipped;
  }

  function show(input, output) {
    const flipped = paint(input, output);
    container.dataset.results = String(Number(container.dataset.results ?? 0) + 1);
    onResult?.({ input, output, options: last.options }); // `last` is what is being shown
    if (flipped && announce) announce(`Attack flipped the ${input.label} into a ${output.label}.`);
  }

  /**
   * Plays the frames of an attack still running as the engine streams them, one per 40 ms (the
   * replay's pace), then the result once it has come: the walk starts before the attack ends.
   */
  function livePlayer(input) {
    cancelAnimationFrame(animation);
    const frames = [];
    let final = null;
    let next = 0;
    let shownAt = -Infinity;
    const tick = (now) => {
      if (next < frames.length) {
        if (now - shownAt >= 40) {
          const frame = frames[next++];
          drawStep(frame, frame.map((v, i) => v - input.pixels[i]));
          shownAt = now;
        }
      } else if (final) {
        drawStep(final.pixels, final.noise);
        return;
      }
      own = animation = requestAnimationFrame(tick);
    };
    let own = animation = requestAnimationFrame(tick);
    return {
      push: (pixels) => frames.push(pixels),
      finish: (output) => { final = output; },
      /** A superseded attack's walk stops where it is (the newer one draws next). */
      stop: () => cancelAnimationFrame(own),
      /** Frames that came before the result. */
      get received() { return frames.length; },
    };
  }

  function animate(input, output, player = null) {
    if (player) {
      show(input, output); // captions, bars and status; the walk already plays
      container.dataset.liveFrames = String(player.received);
      player.finish(output);
      return;
    }
    cancelAnimationFrame(animation);
    if (!output.frames?.length || reducedMotion()) return show(input, output);
    show(input, output); // captions, bars and status first; then replay the walk
    const frames = output.frames.length;
    const started = performance.now();
    const duration = 40 * frames;
    const tick = (now) => {
      // rAF's timestamp is the frame's start, which can precede `started`: clamp at 0.
      const index = Math.max(0, Math.floor(((now - started) / duration) * frames));
      if (index >= frames) return drawStep(output.pixels, output.noise);
      const frame = output.frames[index];
      drawStep(frame, frame.map((v, i) => v - input.pixels[i]));
      animation = requestAnimationFrame(tick);
    };
    animation = requestAnimationFrame(tick);
  }

  // Every change of the digit or of a setting requests a run; only the newest result is shown.
  let searching = null; // the AbortController of the smallest-ε search, while it runs
  let ranking = null; // the AbortController of the ranking, while it runs
  const showCancel = () => { cancelButton.hidden = !(attacks.busy || searching || ranking); };
  const idle = () => queueMicrotask(() => {
    if (!attacks.busy) container.removeAttribute('aria-busy');
    showCancel();
  });
  const attacks = createScheduler(
    async ({ input, opts, along }, signal) => {
      // Done already, alongside the digit's reading (a one-step attack on a stroke, see start()):
      // shown in the prediction's own frame.
      if (along && along.output && JSON.stringify(along.options) === JSON.stringify(opts)) return { input, opts, output: along.output, player: null };
      // The frames come as they are made (the engine's worker streams them): the walk plays
      // while the attack still runs.
      let player = null;
      signal.addEventListener('abort', () => player?.stop(), { once: true });
      const onProgress = (progress) => {
        if (progress.frame == null || signal.aborted || reducedMotion()) return;
        player ??= livePlayer(input);
        player.push(progress.pixels);
      };
      try {
        const output = await engine.attack(input.pixels, input.label, await withStart(opts), { signal, onProgress });
        return { input, opts, output, player };
      } catch (error) {
        player?.stop(); // a failed attack's walk stops where it is
        throw error;
      }
    },
    {
      onResult({ input, opts, output, player }) {
        printing ??= loadPrinting();
        last = { input, output, options: opts };
        animate(input, output, player);
        idle();
      },
      onError(error) {
        result.textContent = `The attack failed: ${error.message}`;
        idle();
      },
    },
  );

  /** HopSkipJump aims at a digit from a picture the network already reads as it: the first sample of that digit. */
  async function withStart(opts) {
    if (opts.method !== 'hopskipjump' || opts.target == null) return opts;
    const samples = await loadSamplesOnce(engine.parseMnist);
    const i = samples.firstOf(opts.target);
    return i < 0 ? opts : { ...opts, start: Array.from(samples.pixels(i)) };
  }

  function run(along = null) {
    const input = source.current();
    if (!input) {
      attacks.cancel();
      container.removeAttribute('aria-busy');
      result.textContent = 'Draw or pick a digit above to attack it.';
      return;
    }
    container.setAttribute('aria-busy', 'true');
    delete container.dataset.cancelled;
    attacks.request({ input, opts: options(), along });
    showCancel();
  }

  cancelButton.addEventListener('click', () => {
    const wasAttacking = attacks.busy;
    attacks.cancel();
    searching?.abort();
    ranking?.abort();
    container.removeAttribute('aria-busy');
    container.dataset.cancelled = 'true';
    // The job in flight settles a moment later (and comes back to nobody): nothing runs now.
    cancelButton.hidden = true;
    if (wasAttacking) {
      result.textContent = last
        ? `Cancelled. The pictures still show the last finished attack (${last.options.method.toUpperCase()}); change a setting to run again.`
        : 'Cancelled. Change a setting to run the attack again.';
    }
  });

  const rerun = (along = null) => { minEpsResult.textContent = ''; run(along); };
  /** The methods, their norms, sliders and defaults: the catalogue (src/attacks/catalogue.rs). */
  function useCatalogue(entries) {
    methods = describeMethods(entries);
    methodSelect.replaceChildren(...methods.map((m) => el('option', { value: m.name, text: `${m.label} (${m.norm})` })));
    method = methodByName(methods, initial.method);
    methodSelect.value = method.name;
    configure(true);
    targetSelect.value = initial.target === null ? '' : String(initial.target);
  }
  if (catalogue) useCatalogue(catalogue);

  /** Connects the panel to the engine (loaded by now): the methods, the controls, the first run. */
  function start() {
    useCatalogue(engine.attackMethods);
    if (initial.method != null && method.name !== initial.method) state?.set('attack', method.name); // not a method: the address says which one runs
    for (const control of [epsInput, stepsInput, pixelsInput, queriesInput, eotBox, methodSelect, targetSelect]) control.disabled = false;
    eotBox.addEventListener('change', () => { state?.set('eot', eotBox.checked ? method.eot.samples : 0); rerun(); });
    methodSelect.addEventListener('change', () => {
      method = methodByName(methods, methodSelect.value);
      configure(false);
      state?.set('attack', method.name);
      rerun();
    });
    epsInput.addEventListener('input', () => { epsOutput.value = epsInput.value; state?.set('eps', Number(epsInput.value)); rerun(); });
    stepsInput.addEventListener('input', () => { stepsOutput.value = stepsInput.value; state?.set('steps', Number(stepsInput.value)); rerun(); });
    pixelsInput.addEventListener('input', () => { pixelsOutput.value = pixelsInput.value; state?.set('pixels', Number(pixelsInput.value)); rerun(); });
    queriesInput.addEventListener('input', () => { queriesOutput.value = queriesInput.value; state?.set('queries', Number(queriesInput.value)); rerun(); });
    targetSelect.addEventListener('change', () => { state?.set('target', targetSelect.value === '' ? null : Number(targetSelect.value)); rerun(); });
    source.subscribe((digit, along) => rerun(along?.attack));
    // A one-step attack (FGSM: one gradient and a prediction, a few predictions' cost) rides
    // with a stroke's reading, so its result comes with the prediction, a frame sooner; an
    // iterative one would hold the prediction back, and runs on its own once the digit is known.
    source.alongside?.(() => (method.iterative ? null : { attack: options() }));

    // The settings changed elsewhere (the address was edited, an embed's attribute changed).
    state?.subscribe((key, value) => {
      if (key === 'attack' && value !== method.name) {
        method = methodByName(methods, value);
        methodSelect.value = method.name;
        configure(false);
        rerun();
      } else if (inputs[key] && value != null && Number(inputs[key][0].value) !== value) {
        inputs[key][0].value = String(value);
        inputs[key][1].value = inputs[key][0].value;
        rerun();
      } else if (key === 'eot' && eotBox.checked !== value > 0) {
        eotBox.checked = value > 0;
        rerun();
      } else if (key === 'target' && targetSelect.value !== (value == null ? '' : String(value))) {
        targetSelect.value = value == null ? '' : String(value);
        rerun();
      }
    });
    run();
  }

  randomButton.addEventListener('click', async () => {
    if (!last) return;
    const { input, output } = last;
    const noisy = await engine.randomNoiseLike(input.pixels, output.noise, method.norm, Math.floor(Math.random() * 1e9));
    drawDigit(canvases.random, noisy);
    const answer = await engine.classify(noisy);
    captions.random.textContent = answer.label === input.label
      ? `Random noise of the same ${method.norm} size: still a ${answer.label} (${percent(answer.probabilities[answer.label])}). Direction, not size, fools the network.`
      : `Random noise of the same size flipped it too, to a ${answer.label}: this digit was fragile.`;
    captions.random.dataset.label = String(answer.label);
  });

  /**
   * One side task of the panel at a time (the smallest-ε search, the survival check): its button
   * disabled and the panel's Cancel shown while `work(signal)` runs; a cancellation or a failure is
   * said in `status`.
   */
  async function sideTask(button, status, { cancelled, failed }, work) {
    const controller = new AbortController();
    searching = controller;
    button.disabled = true;
    showCancel();
    try {
      await work(controller.signal);
    } catch (error) {
      status.textContent = error.name === 'AbortError' ? cancelled : `${failed}: ${error.message}`;
    } finally {
      button.disabled = false;
      if (searching === controller) searching = null;
      showCancel();
    }
  }

  minEpsButton.addEventListener('click', () => {
    const input = source.current();
    if (!input || !method?.eps) return;
    minEpsResult.textContent = 'Searching…';
    sideTask(minEpsButton, minEpsResult, { cancelled: 'Search cancelled.', failed: 'The search failed' }, async (signal) => {
      const found = await engine.minimalEpsilon(input.pixels, input.label, options(), method.eps.max, 10, { signal });
      if (source.current() !== input) return;
      if (!found) {
        minEpsResult.textContent = `${method.label} does not flip this digit even at ε = ${method.eps.max}.`;
      } else {
        minEpsResult.dataset.eps = String(found.eps);
        minEpsResult.textContent = `Smallest ε that flips this digit with ${method.label}: ${found.eps.toFixed(3)} (it becomes a ${found.result.label}).`;
        epsInput.value = String(found.eps);
        epsOutput.value = epsInput.value;
        last = { input, output: found.result, options: options() };
        show(input, found.result);
      }
    });
  });

  // The shown result, and for the methods that take EOT both versions (plain and EOT) side by
  // side, each put through the same random transformations (src/attacks/eot.rs).
  surviveButton.addEventListener('click', () => {
    if (!last || searching) return;
    const { input, options: shown } = last;
    // The transformations' count and ranges: the catalogue's (src/attacks/eot.rs), the same for every method.
    const eot = methods.find((candidate) => candidate.eot).eot;
    surviveStatus.textContent = `Printing and photographing it ${eot.survivalTransformations} times (imitated)…`;
    sideTask(surviveButton, surviveStatus, { cancelled: 'Cancelled.', failed: 'The check failed' }, async (signal) => {
      const target = shown.target ?? null;
      const m = methodByName(methods, shown.method);
      const runs = m.eot
        ? [{ what: `plain ${m.label}`, settings: { ...shown, eot: 0, recordEvery: 0 } }, { what: `${m.label} with EOT`, settings: { ...shown, eot: shown.eot || eotSamples(), recordEvery: 0 } }]
        : [{ what: m.label, settings: null }];
      const parts = [];
      for (const run of runs) {
        const output = run.settings ? await engine.attack(input.pixels, input.label, run.settings, { signal }) : last.output;
        // Fooled as the attack meant: the target, if it has one (what `survival` counts too).
        if (!output.success) {
          parts.push(`${run.what} does not fool it to begin with`);
          continue;
        }
        const kept = await engine.survival(output.pixels, input.label, target, eot.survivalTransformations, 1, { signal });
        parts.push(`${run.what}: still fooled under ${percent(kept)}`);
        surviveStatus.dataset[run.settings?.eot ? 'eot' : 'plain'] = String(kept);
      }
      if (source.current() !== input || last?.input !== input) {
        surviveStatus.textContent = 'The digit or the attack changed meanwhile: press the button again.';
        return;
      }
      surviveStatus.textContent = `${parts.join('; ')} of ${eot.survivalTransformations} random prints and photos (shifts up to ${eot.shiftPixels} px, rotations up to ${eot.rotationDegrees}°, scaling ${eot.scale[0]}–${eot.scale[1]}, blur, ink level). Expectation over transformation: Athalye, Engstrom, Ilyas & Kwok (2018).`;
    });
  });

  // Over many digits: each attacked plainly and with EOT at the shown settings (the method must
  // take EOT: PGD or BIM), each success put through the same random transformations; the average
  // share still fooled, as `eval --attack pgd --eot --survival` reports it.
  surviveManyButton.addEventListener('click', () => {
    if (!last || searching) return;
    const shown = last.options;
    const m = methodByName(methods, shown.method);
    if (!m.eot) {
      surviveManyStatus.textContent = `${m.label} takes no expectation over transformation: choose PGD or BIM.`;
      return;
    }
    const eot = m.eot;
    const count = Number(surviveCount.value);
    sideTask(surviveManyButton, surviveManyStatus, { cancelled: 'Cancelled.', failed: 'The check failed' }, async (signal) => {
      const samples = await loadSamplesOnce(engine.parseMnist);
      const runs = [
        { key: 'plain', what: `plain ${m.label}`, settings: { ...shown, eot: 0, recordEvery: 0, seed: 0 }, shares: [] },
        { key: 'eot', what: `${m.label} with EOT`, settings: { ...shown, eot: shown.eot || eotSamples(), recordEvery: 0, seed: 0 }, shares: [] },
      ];
      const n = Math.min(count, samples.count);
      for (let i = 0; i < n; i++) {
        surviveManyStatus.textContent = `Digit ${i + 1} of ${n}…`;
        const pixels = samples.pixels(i);
        const label = samples.label(i);
        for (const run of runs) {
          const output = await engine.attack(pixels, label, run.settings, { signal });
          if (output.success) run.shares.push(await engine.survival(output.pixels, label, run.settings.target ?? null, eot.survivalTransformations, i + 1, { signal }));
        }
      }
      const mean = (values) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
      for (const run of runs) surviveManyStatus.dataset[run.key] = String(mean(run.shares));
      surviveManyStatus.dataset.digits = String(n);
      surviveManyStatus.textContent = `On ${n} sample digits at ε = ${shown.eps}: ${runs.map((run) => `${run.what} fools ${run.shares.length}, which stay fooled under ${percent(mean(run.shares))} of ${eot.survivalTransformations} random prints and photos on average`).join('; ')}.`;
    });
  });

  // SSIM (Wang et al., 2004) measures what a person sees: local brightness, contrast and
  // structure; L0, L2 and L∞ only count how much the numbers changed.
  rankButton.addEventListener('click', async () => {
    const input = source.current();
    if (!input || ranking || !methods.length) return;
    const controller = new AbortController();
    ranking = controller;
    rankButton.disabled = true;
    showCancel();
    const rows = [];
    try {
      for (const [n, m] of methods.entries()) {
        rankStatus.textContent = `Running ${m.label} (${n + 1} of ${methods.length})…`;
        // Each method at the page's starting settings (the rest: its own defaults).
        const settings = { method: m.name, seed: 0, ...(m.eps ? { eps: m.eps.value } : {}), ...(m.steps ? { steps: m.steps.value } : {}), ...(m.pixels ? { pixelsBudget: m.pixels.value } : {}), ...(m.queries ? { queries: m.queries.value } : {}) };
        rows.push({ m, output: await engine.attack(input.pixels, input.label, settings, { signal: controller.signal }) });
      }
      if (source.current() !== input) return;
      // The changes that fool it, least visible first; then those that do not.
      const fooled = (row) => row.output.label !== input.label;
      rows.sort((a, b) => Number(fooled(b)) - Number(fooled(a)) || b.output.norms.ssim - a.output.norms.ssim);
      const cell = (tag, text) => el(tag, tag === 'th' ? { scope: 'row', text } : { text });
      rankTable.replaceChildren(
        el('thead', {}, el('tr', {}, ...['Method', 'Reads', 'SSIM', 'L2', 'L∞', 'Sees', 'Cost'].map((text) => el('th', { scope: 'col', text })))),
        el('tbody', {}, ...rows.map(({ m, output }) => el('tr', { 'data-method': m.name, 'data-ssim': output.norms.ssim.toFixed(4), 'data-fooled': String(fooled({ output })) },
          cell('th', m.label), cell('td', fooled({ output }) ? `${output.label} (fooled)` : `${output.label}`),
          cell('td', output.norms.ssim.toFixed(3)), cell('td', output.norms.l2.toFixed(2)), cell('td', output.norms.linf.toFixed(3)),
          // What of the network it used, and how much of it: gradient steps, or questions asked.
          cell('td', { gradient: 'gradient', scores: 'scores only', label: 'label only' }[m.access] ?? ''),
          cell('td', output.queries != null ? `${output.queries} quer${output.queries === 1 ? 'y' : 'ies'}` : `${output.steps} step${output.steps === 1 ? '' : 's'}`)))));
      rankTable.hidden = false;
      rankStatus.textContent = `Every method on this digit at its starting settings, the least visible change that fools the network first (SSIM: 1 looks the same). Sees: what of the network the method reads; the black-box ones ask it questions instead of reading its gradient.`;
    } catch (error) {
      rankStatus.textContent = error.name === 'AbortError' ? 'Ranking cancelled.' : `The ranking failed: ${error.message}`;
    } finally {
      rankButton.disabled = false;
      if (ranking === controller) ranking = null;
      showCancel();
    }
  });

  // The digit and its adversarial version on paper, to photograph and upload (or show the camera).
  printButton.addEventListener('click', async () => {
    if (!last) return;
    // Fetched with the first result (below), so the new tab still opens within the click.
    const module = await (printing ??= loadPrinting());
    if (!module) {
      printStatus.textContent = 'The sheet could not be opened: its part of the page could not be loaded; reload the page to try again.';
      return;
    }
    const { printSheet } = module;
    const { input, output, options: settings } = last;
    const what = `${methodByName(methods, settings.method).label}${settings.eps ? `, ε = ${settings.eps}` : ''}`;
    try {
      printSheet({
        title: `adversarial-digits: a ${input.label} that the network reads as a ${output.label}`,
        items: [
          { pixels: input.pixels, caption: `Original: read as ${input.label} (${percent(input.probabilities[input.label])})` },
          { pixels: output.pixels, caption: `Adversarial (${what}): read as ${output.label} (${percent(output.probabilities[output.label])})` },
          { pixels: output.noise, noise: true, caption: 'The noise, amplified (not to photograph)' },
        ],
        note: 'Photograph the printed digits (straight on, in good light, the digit filling the camera’s square) and give the photo to the demo, by upload or with the camera: does the network still read the adversarial one as it did on screen?',
      });
      printStatus.textContent = 'The sheet opened in a new tab.';
    } catch (error) {
      printStatus.textContent = `The sheet could not be opened: ${error.message}.`;
    }
  });

  downloadButton.addEventListener('click', () => {
    if (!last) return;
    const canvas = document.createElement('canvas');
    drawDigit(canvas, last.output.pixels);
    canvas.toBlob((blob) => {
      const link = el('a', { href: URL.createObjectURL(blob), download: `adversarial-${last.input.label}-to-${last.output.label}.png` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    }, 'image/png');
  });

  return {
    start,
    /** Shows a result computed elsewhere (a poster), before start(): nothing is run or reported. */
    paint,
    run: rerun,
    /** What the panel shows now: {input, output, options}, or null before the first result. */
    lastResult: () => last,
  };
}
