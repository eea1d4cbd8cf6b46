// The page's side of training: starts the training worker (training-worker.js) when first asked
// and turns its messages into one promise per run. The card (train-panel.js) and the API's
// `train()` both use it; one run at a time per page.
//
// The messages:
//   page -> worker   {type: 'start', options, backend, start, description}   train (start: weights to go on from)
//                    {type: 'pause'} | {type: 'resume'} | {type: 'cancel'}
//   worker -> page   {type: 'hello', presets, limits}                         it runs (the presets and the settings' limits: src/training.rs)
//                    {type: 'data', loaded, total}                            download progress, bytes
//                    {type: 'ready', backend, reason, cpuMs, webgpuMs, batches, digits}   where it trains, and why
//                    {type: 'step', epoch, batch, batches, loss, step, totalSteps, imagesPerSecond, secondsLeft}
//                    {type: 'accuracy', step, cleanAccuracy}                  a point of the curve between epochs
//                    {type: 'check', step, epoch, cleanAccuracy, pgdAccuracy, collapsed}   after each epoch
//                    {type: 'examples', step, pixels}                         the batch as trained on (16 digits)
//                    {type: 'paused'} | {type: 'cancelled'} | {type: 'error', error}
//                    {type: 'done', summary, weights}                         the trained network (safetensors)

import { PGD_DIGITS, TEST_DIGITS } from './plan.js';

const WORKER_URL = new URL('./training-worker.js', import.meta.url);

let worker = null;
let hello = null; // resolves to {presets, limits}
/** The run going on: {resolve, reject, onEvent, signal} */
let run = null;

function spawn() {
  hello ??= new Promise((resolve, reject) => {
    try {
      worker = new Worker(WORKER_URL, { type: 'module', name: 'adversarial-digits training' });
    } catch (error) {
      reject(new Error(`this browser cannot start the training worker (${error.message})`));
      return;
    }
    worker.addEventListener('error', (event) => {
      const error = new Error(`the training worker failed (${event.message || 'it could not be loaded'})`);
      reject(error);
      finish((r) => r.reject(error));
    });
    worker.addEventListener('message', ({ data }) => {
      if (data.type === 'hello') return resolve({ presets: data.presets, limits: data.limits });
      if (!run) return;
      if (data.type === 'done') return finish((r) => r.resolve({ summary: data.summary, weights: data.weights }));
      if (data.type === 'error') return finish((r) => r.reject(new Error(data.error)));
      if (data.type === 'cancelled') return finish((r) => r.reject(new DOMException('Training was cancelled.', 'AbortError')));
      run.onEvent?.(data);
    });
  });
  return hello;
}

function finish(settle) {
  const ended = run;
  run = null;
  if (ended) settle(ended);
}

/** The presets ([{name, title, options}], src/training.rs): starts the worker. */
export const trainingPresets = () => spawn().then((h) => h.presets);
/** How far each setting may go ({epochs: [min, max], batchSize, steps, warmupEpochs, digits,
 * learningRateMax, lrDecayMax, epsMax}, src/training.rs LIMITS): starts the worker. */
export const trainingLimits = () => spawn().then((h) => h.limits);

/** The full options of `preset` (a name) with `overrides` on top; throws for an unknown preset. */
export async function resolveOptions({ preset = 'quick', ...overrides } = {}) {
  const list = await trainingPresets();
  const found = list.find((p) => p.name === preset);
  if (!found) throw new TypeError(`unknown preset "${preset}" (${list.map((p) => p.name).join(', ')})`);
  // The fields are the engine's (src/training.rs): a misspelt one is named, not ignored.
  const known = Object.keys(found.options);
  const unknown = Object.keys(overrides).filter((key) => !known.includes(key));
  if (unknown.length) throw new TypeError(`unknown training option ${unknown.map((k) => `\`${k}\``).join(', ')} (${known.join(', ')})`);
  return { ...found.options, ...overrides };
}

/** Whether a run is going on. */
export const isTraining = () => run !== null;

/**
 * Trains a network: `options` as resolveOptions gives them (every field); `backend` 'auto'
 * (measured), 'cpu' or 'webgpu'; `start` safetensors bytes to go on from. `onEvent` hears every
 * message of the run; `signal` cancels it (the promise rejects with an AbortError).
 * @returns {Promise<{summary: object, weights: Uint8Array}>}
 */
export async function train(options, { backend = 'auto', start = null, description = '', onEvent, signal } = {}) {
  await spawn();
  if (signal?.aborted) throw new DOMException('Training was cancelled.', 'AbortError');
  if (run) throw new Error('a training run is already going on: pause, cancel or wait for it');
  const done = new Promise((resolve, reject) => { run = { resolve, reject, onEvent }; });
  signal?.addEventListener('abort', cancelTraining, { once: true });
  worker.postMessage({ type: 'start', options, backend, start, description });
  return done.finally(() => signal?.removeEventListener('abort', cancelTraining));
}

export const pauseTraining = () => run && worker.postMessage({ type: 'pause' });
export const resumeTraining = () => run && worker.postMessage({ type: 'resume' });
export function cancelTraining() {
  if (run) worker.postMessage({ type: 'cancel' });
}

/** A sentence for the reader's network's figures. */
export function describeRun(summary) {
  const pct = (v) => `${(v * 100).toFixed(1)}%`;
  const o = summary.options;
  const how = o.defence === 'clean' ? 'clean digits' : `${o.defence === 'fgsm' ? 'FGSM' : `PGD-${o.steps}`} examples at ε = ${o.eps}`;
  const figures = [summary.cleanAccuracy != null ? `${pct(summary.cleanAccuracy)} of ${TEST_DIGITS.toLocaleString('en')} test digits` : null,
    summary.pgdAccuracy != null ? `${pct(summary.pgdAccuracy)} of ${PGD_DIGITS} under PGD-10 at ε = ${o.eps}` : null].filter(Boolean).join(', ');
  return `trained in this tab on ${o.digits.toLocaleString('en')} digits (${how}), ${summary.epochs} epoch${summary.epochs === 1 ? '' : 's'} in ${Math.round(summary.seconds)} s on ${summary.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}${figures ? `; ${figures}` : ''}`;
}
