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

/** Where batches run and why, once the engine has measured it (www/engine.js, batchInstance). */
function batchSentence(routing, backend) {
  if (!routing || routing.forced || backend !== 'webgpu') return '';
  const ms = (v) => (v === null ? 'failed' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
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
  backendChanged(info);
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
  if (engine.backend === 'cpu' && !engine.fallbackReason) $('backend-note').textContent = 'Starting WebGPU… the CPU answers meanwhile.';

  connect(engine, { current: () => {
    const digit = demo.current();
    return digit ? { ...digit, probabilities: Array.from(digit.probabilities) } : null;
  } });
  // Below the first screen, loaded once the first digit is shown (demo.ready waits for it).
  try {
    const [{ mountShare }, { mountExercises }] = await Promise.all([import('./share.js'), import('./exercises.js')]);
    mountShare($('share'), { state });
    // A course's own exercises: `?exercises=course.json` (a file of this site).
    mountExercises($('exercises'), { demo, source: new URLSearchParams(location.search).get('exercises') });
  } catch (error) {
    $('exercises').textContent = `The exercises could not be loaded (${error.message}); reload the page to try again.`;
  }
  html.dataset.ready = 'true';
}

start();
