// The engine's worker: every network on the page (both wasm builds, the weights, the WebGPU
// device) lives here, so the page's thread only draws and handles input. One per page, shared by
// the demo, every embed and the API (www/engine/client.js starts it). The messages are declared in
// www/engine/protocol.js.
//
// Calls run one at a time, in the order they came, except that urgent ones (a single prediction,
// the helpers: protocol.js) go first. A call the page cancels before it starts is dropped; one
// that runs stops at its next checkpoint (src/pace.rs): long computations give way about once a
// frame, when this worker lets its messages in, runs the urgent calls among them and tells the
// engine whether the call was cancelled. Work without checkpoints is stopped by the page ending
// this worker.

import { loadEngine } from './engine.js';
import { nextTask } from './next-task.js';
import { OPERATIONS, errorMessage, transferables, urgent } from './protocol.js';

/** @type {Map<string, Promise<object>>} the loaded engines, by the page's key */
const engines = new Map();
const queue = [];
const cancelled = new Set();
let busy = false;
/** Running calls stopped at a checkpoint after the page cancelled them. */
let stopped = 0;

/** Work between two chances for this worker's messages: about a frame at full speed. */
const SLICE_MS = 16;

/**
 * The checkpoint hook of call `id`: once a slice has passed it gives way, runs the urgent calls
 * that came meanwhile (a stroke's prediction does not wait for the end of an attack), and says
 * whether the page cancelled the call.
 */
function pacer(id, engine) {
  let last = performance.now();
  const hook = () => {
    if (performance.now() - last < SLICE_MS) return undefined;
    return (async () => {
      await nextTask();
      await runUrgent(engine, hook);
      last = performance.now();
      return cancelled.has(id);
    })();
  };
  return hook;
}

/** Runs the urgent calls waiting, inside the pause of the long call on `engine` whose hook is `outer`. */
async function runUrgent(engine, outer) {
  for (;;) {
    const index = queue.findIndex((call) => urgent(call.op, call.args));
    if (index < 0) return;
    const call = queue.splice(index, 1)[0];
    if (cancelled.delete(call.id)) continue;
    await run(call);
    // The nested call removed its own hook: the long one's goes back.
    engine.setPace(outer);
  }
}

/** Whether `error` is the engine's own stop at a checkpoint (src/pace.rs, ComputeError::Cancelled). */
const stoppedAtCheckpoint = (error) => String(error?.message ?? '').includes('the operation was cancelled');

/** Runs one call and posts its result or error. */
async function run({ id, engine: key, op, args, progress }) {
  postMessage({ type: 'started', id });
  let engine = null;
  try {
    engine = await engines.get(key);
    if (!engine) throw new Error('this network was not loaded');
    // Progress goes out as it comes: the page's thread gets it while this one still computes.
    const report = progress ? (value) => postMessage({ type: 'progress', id, value }, transferables(value)) : undefined;
    engine.setPace(pacer(id, engine));
    const value = await RUN[op](engine, ...args, ...(progress ? [report] : []));
    postMessage({ type: 'result', id, value, info: info(engine) }, transferables(value));
  } catch (error) {
    if (cancelled.has(id) && stoppedAtCheckpoint(error)) stopped += 1;
    postMessage({ type: 'error', id, error: errorMessage(error), info: engine ? info(engine) : null });
  } finally {
    engine?.setPace(null);
  }
  cancelled.delete(id); // a cancellation that came too late
}

const info = (engine) => ({
  backend: engine.backend,
  fallbackReason: engine.fallbackReason,
  routing: engine.routing,
  batchRouting: engine.batchRouting,
  calls: { ...engine.calls },
  stopped,
  settled: engine.isSettled ?? false,
  routed: engine.isRouted ?? false,
});

/** Each operation, by its protocol name: the engine's method with the same arguments (and, for
 * those that report progress, `onProgress` last: protocol.js, OPERATIONS' `progress`). */
const RUN = {
  classify: (e, pixels) => e.classify(pixels),
  classifyBatch: (e, pixels) => e.classifyBatch(pixels),
  attack: (e, pixels, label, options, onProgress) => e.attack(pixels, label, options, onProgress),
  attackLabels: (e, pixels, labels, options) => e.attackLabels(pixels, labels, options),
  gradient: (e, pixels, label) => e.gradient(pixels, label),
  minimalEpsilon: (e, pixels, label, options, upper, iterations) => e.minimalEpsilon(pixels, label, options, upper, iterations),
  survival: (e, pixels, label, target, transformations, seed) => e.survival(pixels, label, target, transformations, seed),
  saliency: (e, pixels, classes, method, options) => e.saliency(pixels, classes, method, options),
  visualizeClasses: (e, classes, options, start, firstStep) => e.visualizeClasses(classes, options, start, firstStep),
  foolingImages: (e, classes, options) => e.foolingImages(classes, options),
  evolveFoolingImages: (e, classes, options, onProgress) => e.evolveFoolingImages(classes, options, onProgress),
  autoAttack: (e, pixels, labels, eps, onProgress) => e.autoAttack(pixels, labels, eps, onProgress),
  featureMaps: (e, pixels) => e.featureMaps(pixels),
  filters: (e) => e.filters(),
  perturbationNorms: (e, original, candidate) => e.perturbationNorms(original, candidate),
  randomNoiseLike: (e, original, noise, norm, seed) => e.randomNoiseLike(original, noise, norm, seed),
  preprocess: (e, rgba, width, height) => e.preprocess(rgba, width, height),
  read: (e, rgba, width, height, alongside) => e.read(rgba, width, height, alongside),
  sniff: (e, bytes) => e.sniff(bytes),
  parseMnist: (e, images, labels) => e.parseMnist(images, labels),
  checkWeights: (e, bytes) => e.checkWeights(bytes),
};
for (const op of Object.keys(OPERATIONS)) if (!RUN[op]) throw new Error(`engine worker: no runner for ${op}`);

function load({ engine: key, backend, weightsUrl, weights }) {
  const loading = loadEngine({
    backend,
    weightsUrl,
    weights,
    onChange: () => loading.then((engine) => postMessage({ type: 'change', engine: key, info: info(engine) }), () => {}),
  });
  engines.set(key, loading);
  loading.then(
    (engine) => {
      postMessage({ type: 'loaded', engine: key, info: info(engine), attackMethods: engine.attackMethods });
      const mark = (flag) => () => {
        engine[flag] = true;
        postMessage({ type: 'change', engine: key, info: info(engine) });
      };
      engine.settled.then(mark('isSettled'));
      engine.routed.then(mark('isRouted'));
    },
    (error) => {
      engines.delete(key);
      postMessage({ type: 'load-failed', engine: key, error: errorMessage(error) });
    },
  );
}

async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    // A prediction while drawing does not wait behind the attacks and views of the previous stroke.
    const first = queue.findIndex((call) => urgent(call.op, call.args));
    const call = queue.splice(first < 0 ? 0 : first, 1)[0];
    if (cancelled.delete(call.id)) continue;
    await run(call);
    // Lets messages that came meanwhile (cancellations) in before the next call starts.
    await nextTask();
  }
  busy = false;
}

addEventListener('message', ({ data }) => {
  if (data.type === 'load') load(data);
  else if (data.type === 'cancel') cancelled.add(data.id);
  else if (data.type === 'call') {
    queue.push(data);
    nextTask().then(pump);
  }
});

// Tells the page the worker runs, and whether WebGPU is exposed here (a browser may offer it to
// pages and not to workers: the page then keeps the engine).
postMessage({ type: 'ready', gpu: Boolean(globalThis.navigator?.gpu) });
