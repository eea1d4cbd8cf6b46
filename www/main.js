// The page: one demo (www/demo.js, the same code as every <adversarial-digits> embed) in
// <main>, its settings in the address (www/state.js) with links and embed code to share them,
// the exercises (www/exercises.js), the backend in the footer, and the API.

import { backendChanged, connect, fail } from './api.js';
import { VIEWS, mountDemo } from './demo.js';
import { chooseBackend, onBackendChange } from './models.js';
import { createState } from './state.js';

const $ = (id) => document.getElementById(id);
const html = document.documentElement;
const state = createState();

/** The classes of single-digit work the footer names (batches have their own sentence). */
const WORK_NAMES = { predict: 'single predictions', attack: 'attacks on one digit' };
const ms = (v) => (v === null ? 'failed' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);

/** Where each class of work runs and why, once the engine has measured it (www/engine/engine.js, WORK_CLASSES). */
// Where the reader's training runs (www/training/train-panel.js says when it starts).
addEventListener('adversarialdigits:training', ({ detail }) => {
  const where = document.getElementById('backend-training');
  if (where) where.textContent = `Your network trains on ${detail.backend === 'webgpu' ? 'WebGPU' : 'the CPU'} (${detail.reason}).`;
});

function routingSentence(routing, backend) {
  if (!routing || backend !== 'webgpu' || routing.batch?.forced) return '';
  const on = (where) => (where === 'webgpu' ? 'WebGPU' : 'the CPU');
  const parts = Object.entries(routing).filter(([kind]) => WORK_NAMES[kind]).map(([kind, r]) => `${WORK_NAMES[kind]} on ${on(r.backend)} (${ms(r.webgpuMs)} on WebGPU, ${ms(r.cpuMs)} on the CPU)`);
  return `Measured here, each where it is faster: ${parts.join('; ')}.`;
}

/** Where batches run and why (the first footer's sentence, kept for readers of the batch figure). */
function batchSentence(routing, backend) {
  if (!routing || routing.forced || backend !== 'webgpu') return '';
  const measured = `FGSM on ${routing.images} digits, ${ms(routing.webgpuMs)} on WebGPU and ${ms(routing.cpuMs)} on the CPU`;
  const where = routing.backend === 'webgpu' ? 'WebGPU' : 'the CPU';
  return `Batches (robustness curves, galleries) run on ${where}, measured faster here: ${measured}.`;
}

function showBackend(info) {
  $('backend').dataset.backend = info.backend;
  $('backend').textContent = info.backend === 'webgpu' ? 'WebGPU' : 'CPU (WebAssembly)';
  $('backend-note').textContent = info.fallbackReason ?? '';
  const batches = $('backend-batches');
  batches.textContent = batchSentence(info.batchRouting, info.backend);
  batches.dataset.backend = info.batchRouting?.backend ?? '';
  const routing = $('backend-routing');
  routing.textContent = routingSentence(info.routing, info.backend);
  // One data attribute per class of work the engine routes (its list, not a copy of it here).
  for (const kind of Object.keys(routing.dataset)) delete routing.dataset[kind];
  for (const [kind, r] of Object.entries(info.routing ?? {})) routing.dataset[kind] = r.backend;
  backendChanged(info);
}

/** Where the network runs: in its worker, or in the page and why. */
function showPlacement(engine) {
  const where = $('backend-thread');
  where.dataset.where = engine.where;
  where.textContent = engine.where === 'worker'
    ? 'The network runs in a worker thread, so the page keeps answering while it computes.'
    : `The network runs in the page's own thread (${engine.whereReason}): long attacks pause the page.`;
}

/** `?weights=` (tests, course authors) may name another weights file, of this origin only. */
function weightsFromAddress() {
  const requested = new URLSearchParams(location.search).get('weights');
  const url = requested ? new URL(requested, location.href) : null;
  return url?.origin === location.origin ? url : undefined;
}

async function start() {
  chooseBackend(state.get('backend'));
  onBackendChange((info) => info.model === state.get('model') && showBackend(info));
  // The page's own demo keeps the ids the page always had (no prefix), and takes pastes anywhere.
  const demo = mountDemo($('demo'), { state, views: VIEWS, idPrefix: '', weightsUrl: weightsFromAddress(), pasteTarget: document });
  demo.root.addEventListener('adversarialdigits:prediction', () => {
    html.dataset.predictions = String(Number(html.dataset.predictions ?? 0) + 1);
  });

  let engine;
  try {
    engine = await demo.ready;
  } catch (error) {
    html.dataset.ready = 'error';
    fail(error);
    return;
  }
  showBackend(engine);
  showPlacement(engine);
  if (engine.backend === 'cpu' && !engine.fallbackReason) $('backend-note').textContent = 'Starting WebGPU… the CPU answers meanwhile.';

  connect(engine, { current: () => {
    const digit = demo.current();
    return digit ? { ...digit, probabilities: Array.from(digit.probabilities) } : null;
  } });
  // Below the first screen, loaded once the first digit is shown (demo.ready waits for it).
  try {
    const [{ mountShare }, { mountExercises }, { mountExperiment }] = await Promise.all([import('./share.js'), import('./exercises.js'), import('./experiment/can-you-see.js')]);
    mountShare($('share'), { state });
    // The perception experiment, on the page's network: a seed of its own for each reader (shown,
    // so it can be shared); `?seed=` gives a whole class the same pictures.
    const given = Number(new URLSearchParams(location.search).get('seed') ?? NaN);
    const seed = Number.isFinite(given) && given >= 0 ? Math.floor(given) : 1 + Math.floor(Math.random() * 9999);
    mountExperiment($('see'), { engine, seed });
    // A course's own exercises: `?exercises=course.json` (a file of this site).
    mountExercises($('exercises'), { demo, source: new URLSearchParams(location.search).get('exercises') });
  } catch (error) {
    $('exercises').textContent = `The exercises could not be loaded (${error.message}); reload the page to try again.`;
  }
  html.dataset.ready = 'true';
}

start();
