// The page's side of the engine: `loadEngine` gives an engine whose network runs in the engine's
// worker (www/engine/engine-worker.js), or in the page where workers cannot run it. Every demo,
// embed and the API get the same object either way; its operations return promises and take an
// optional last argument `{signal}` (an AbortSignal): a cancelled operation rejects at once with an
// AbortError, and the work behind it stops:
//   - not started yet: the worker drops it;
//   - running: it stops at its next checkpoint (src/pace.rs), where the worker lets its messages
//     in about once a frame; the worker and its device stay. Long work (protocol.js, OPERATIONS'
//     `long`) that still runs STOP_AFTER_MS after the cancellation has no checkpoint there: the
//     worker is ended and a new one takes its place (the wasm comes from the browser's cache;
//     the calls still waiting are sent to the new one). Short work (a prediction, FGSM) is left
//     to finish, which costs less than a new worker and, on WebGPU, a new device.
// In the page (no worker) a cancelled call still rejects at once, but the work runs to its end.

import { abortError, errorFrom, reportsProgress, stoppable } from './protocol.js';

const WORKER_URL = new URL('./engine-worker.js', import.meta.url);
/** A cancelled call that runs longer than this ends the worker (see above). */
export const STOP_AFTER_MS = 100;

/** Where the engine runs, and why it runs in the page if it does: {where, reason}. */
let placement = null;

/** The one connection to the worker (null: none started; its promise rejects: use the page). */
let connection = null;

/** `?worker=off` (tests, and readers whose browser misbehaves with it) keeps the engine in the page. */
const workerRefused = () => new URLSearchParams(globalThis.location?.search ?? '').get('worker') === 'off';

/**
 * Starts a worker: resolves to it once it has said it runs, rejects with the reason it cannot.
 * A worker must come from the page's own origin: an embed served from another one starts it
 * through a same-origin blob that imports the real module (the host's CSP may refuse that too).
 */
function spawn() {
  return new Promise((resolve, reject) => {
    let worker;
    try {
      if (WORKER_URL.origin === location.origin) {
        worker = new Worker(WORKER_URL, { type: 'module', name: 'adversarial-digits engine' });
      } else {
        const source = new Blob([`import ${JSON.stringify(WORKER_URL.href)};`], { type: 'text/javascript' });
        worker = new Worker(URL.createObjectURL(source), { type: 'module', name: 'adversarial-digits engine' });
      }
    } catch (error) {
      reject(new Error(`this browser cannot start the engine's worker (${error.message})`));
      return;
    }
    const failed = (event) => {
      worker.terminate();
      reject(new Error(`the engine's worker did not start (${event.message || 'it could not be loaded'})`));
    };
    worker.addEventListener('error', failed, { once: true });
    worker.addEventListener('message', function ready({ data }) {
      if (data.type !== 'ready') return;
      worker.removeEventListener('error', failed);
      worker.removeEventListener('message', ready);
      resolve({ worker, gpu: data.gpu });
    });
  });
}

/**
 * The connection to the worker: loads engines in it, sends calls, keeps what it must send again
 * if the worker is replaced.
 */
function createConnection(started) {
  let worker = started.worker;
  let lastId = 0;
  const engines = new Map(); // key -> {load message, mirror, loaded: {resolve, reject}}
  const calls = new Map(); // id -> {message, resolve, reject, mirror}
  const dropped = new Map(); // id -> mirror: cancelled calls whose answer still brings the engine's state
  const running = new Set(); // ids of the calls the worker runs now (an urgent one may run inside a long one's pause)
  const stats = { restarts: 0 };

  function listen() {
    worker.addEventListener('message', ({ data }) => {
      if (data.type === 'started') {
        running.add(data.id);
      } else if (data.type === 'progress') {
        calls.get(data.id)?.onProgress?.(data.value);
      } else if (data.type === 'result' || data.type === 'error') {
        running.delete(data.id);
        const call = calls.get(data.id);
        if (!call) {
          // Cancelled meanwhile: the answer goes to nobody, the engine's state to its mirror.
          if (data.info) dropped.get(data.id)?.update(data.info);
          dropped.delete(data.id);
          return;
        }
        calls.delete(data.id);
        if (data.info) call.mirror.update(data.info);
        if (data.type === 'result') call.resolve(data.value);
        else call.reject(errorFrom(data.error));
      } else if (data.type === 'loaded' || data.type === 'change' || data.type === 'load-failed') {
        const entry = engines.get(data.engine);
        if (!entry) return;
        if (data.type === 'load-failed') {
          engines.delete(data.engine);
          entry.loaded.reject(errorFrom(data.error));
          for (const [id, call] of calls) {
            if (call.message.engine !== data.engine) continue;
            calls.delete(id);
            call.reject(errorFrom(data.error));
          }
          return;
        }
        entry.mirror.update(data.info);
        if (data.type === 'loaded') {
          entry.mirror.engine.attackMethods = data.attackMethods;
          entry.loaded.resolve();
        }
      }
    });
    // An error that escapes the worker's own handlers (engine.js handles the WebGPU build's).
    worker.addEventListener('error', (event) => console.warn('adversarial-digits: the engine worker reported', event.message));
  }
  listen();

  let restarting = false; // calls made meanwhile wait for the new worker

  /** Ends the worker and starts another with the same networks and the calls still waiting. */
  async function restart() {
    restarting = true;
    worker.terminate();
    running.clear();
    dropped.clear();
    stats.restarts += 1;
    const replacement = spawn();
    // The calls wait for the new worker; it gets them in their first order.
    try {
      ({ worker } = await replacement);
    } catch (error) {
      for (const call of calls.values()) call.reject(error);
      calls.clear();
      return;
    } finally {
      restarting = false;
    }
    listen();
    for (const entry of engines.values()) worker.postMessage(entry.message);
    for (const call of [...calls.values()].sort((a, b) => a.message.id - b.message.id)) worker.postMessage(call.message);
  }

  function cancel(id, signal) {
    const call = calls.get(id);
    if (!call) return;
    calls.delete(id);
    if (running.has(id)) dropped.set(id, call.mirror); // its answer will still come
    call.reject(abortError(signal));
    worker.postMessage({ type: 'cancel', id });
    if (!running.has(id)) return;
    if (!stoppable(call.message.op, call.message.args)) return; // it ends soon: its result goes to nobody
    const stopIfStillRunning = () => {
      if (running.has(id) && !restarting) restart();
    };
    setTimeout(stopIfStillRunning, STOP_AFTER_MS);
  }

  return {
    stats,
    load(key, message, mirror) {
      return new Promise((resolve, reject) => {
        engines.set(key, { message, mirror, loaded: { resolve, reject } });
        if (!restarting) worker.postMessage(message); // else the new worker gets it with the others
      });
    },
    call(engine, mirror, op, args, signal, onProgress) {
      if (signal?.aborted) return Promise.reject(abortError(signal));
      const id = ++lastId;
      const message = { type: 'call', id, engine, op, args, progress: Boolean(onProgress) && reportsProgress(op) };
      const done = new Promise((resolve, reject) => calls.set(id, { message, resolve, reject, mirror, onProgress }));
      if (!restarting) worker.postMessage(message);
      signal?.addEventListener('abort', () => cancel(id, signal), { once: true });
      return done;
    },
  };
}

/** Why the engine should stay in the page, or null to start the worker. */
function pageReason() {
  if (workerRefused()) return 'the address asked for no worker (?worker=off)';
  if (typeof Worker !== 'function') return 'this browser has no Web Workers';
  return null;
}

/** The worker's connection, started once per page: rejects with the reason to stay in the page. */
function connect(backend) {
  connection ??= (async () => {
    const refused = pageReason();
    if (refused) throw new Error(refused);
    const started = await spawn();
    // WebGPU offered to the page but not to workers: the page keeps the engine, and its GPU.
    if (backend !== 'cpu' && !started.gpu && globalThis.navigator?.gpu) {
      started.worker.terminate();
      throw new Error('this browser offers WebGPU to pages but not to workers');
    }
    return createConnection(started);
  })();
  return connection;
}

/**
 * The engine state the page mirrors, the operations as explicit functions, and `onChange`
 * called with the state whenever it changes.
 */
function mirrorOf({ weightsUrl, onChange }) {
  let settle;
  let routedDone;
  const engine = {
    /** Where the weights came from (tells engines of different networks apart). */
    weights: String(weightsUrl),
    /** 'webgpu' once WebGPU has started and taken over, else 'cpu'. */
    backend: 'cpu',
    /** Why the CPU runs (null on WebGPU, or while WebGPU is still starting). */
    fallbackReason: null,
    /** Where each class of work runs, once measured (www/engine/engine.js, WORK_CLASSES). */
    routing: null,
    /** `routing.batch`, under the name the first API had. */
    batchRouting: null,
    /** Calls run per engine instance ({cpu, webgpu}), as of the last answer. */
    calls: { cpu: 0, webgpu: 0 },
    /** Running calls the worker stopped at a checkpoint once cancelled (src/pace.rs). */
    stopped: 0,
    /** The attacks' catalogue (src/attacks/catalogue.rs), once loaded. */
    attackMethods: [],
    /** 'worker' or 'page': where the network runs. */
    where: 'worker',
    /** Why it runs in the page (null in the worker). */
    whereReason: null,
    /** Resolves once the backend choice is final (WebGPU took over, or the CPU stays). */
    settled: new Promise((resolve) => { settle = resolve; }),
    /** Resolves once every class of work has its engine. */
    routed: new Promise((resolve) => { routedDone = resolve; }),
  };
  const mirror = {
    engine,
    update(info) {
      const changed = info.backend !== engine.backend || info.fallbackReason !== engine.fallbackReason
        || JSON.stringify(info.routing) !== JSON.stringify(engine.routing);
      engine.backend = info.backend;
      engine.fallbackReason = info.fallbackReason;
      engine.routing = info.routing;
      engine.batchRouting = info.batchRouting;
      engine.calls = info.calls;
      engine.stopped = info.stopped ?? 0;
      if (info.settled) settle();
      if (info.routed) routedDone();
      if (changed) onChange({ backend: engine.backend, fallbackReason: engine.fallbackReason, routing: engine.routing, batchRouting: engine.batchRouting });
    },
  };
  return mirror;
}

/**
 * The operations of an engine whose calls go through `send(op, args, signal, onProgress)`. The
 * last argument of each, `{signal, onProgress}`, is optional; `onProgress` is called as the
 * operations that report progress (protocol.js) run.
 */
function operations(send) {
  const control = (c) => c?.signal;
  return {
    /** @returns {Promise<{label: number, probabilities: Float32Array}>} for 784 pixels. */
    classify: (pixels, c) => send('classify', [pixels], control(c)),
    classifyBatch: (pixels, c) => send('classifyBatch', [pixels], control(c)),
    attack: (pixels, label, options, c) => send('attack', [pixels, label, options], control(c), c?.onProgress),
    attackLabels: (pixels, labels, options, c) => send('attackLabels', [pixels, Uint32Array.from(labels), options], control(c)),
    gradient: (pixels, label, c) => send('gradient', [pixels, label], control(c)),
    minimalEpsilon: (pixels, label, options, upper, iterations, c) => send('minimalEpsilon', [pixels, label, options, upper, iterations], control(c)),
    survival: (pixels, label, target, transformations, seed, c) => send('survival', [pixels, label, target, transformations, seed >>> 0], control(c)),
    saliency: (pixels, classes, method, options, c) => send('saliency', [pixels, Uint32Array.from(classes), method, options], control(c)),
    visualizeClasses: (classes, options, start = null, firstStep = 0, c) => send('visualizeClasses', [Uint32Array.from(classes), options, start, firstStep], control(c)),
    foolingImages: (classes, options, c) => send('foolingImages', [Uint32Array.from(classes), options], control(c)),
    autoAttack: (pixels, labels, eps, c) => send('autoAttack', [pixels, Uint32Array.from(labels), eps], control(c), c?.onProgress),
    evolveFoolingImages: (classes, options, c) => send('evolveFoolingImages', [Uint32Array.from(classes), options], control(c), c?.onProgress),
    featureMaps: (pixels, c) => send('featureMaps', [pixels], control(c)),
    filters: (c) => send('filters', [], control(c)),
    perturbationNorms: (original, candidate) => send('perturbationNorms', [original, candidate]),
    randomNoiseLike: (original, noise, norm, seed) => send('randomNoiseLike', [original, noise, norm, seed >>> 0]),
    preprocess: (rgba, width, height) => send('preprocess', [rgba, width, height]),
    /** @returns {Promise<{pixels, inverted, label, probabilities, attack?}|{problem: string}>} a picture preprocessed and classified, and `c.alongside`'s work done on it (engine.js). */
    read: (rgba, width, height, c) => send('read', [rgba, width, height, c?.alongside ?? null], control(c)),
    sniff: (bytes) => send('sniff', [bytes]),
    parseMnist: (images, labels) => send('parseMnist', [images, labels]),
    checkWeights: (bytes) => send('checkWeights', [bytes]),
  };
}

/** Rejects at once when `signal` aborts; the work itself goes on (it runs on this thread). */
function abortable(work, signal) {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const abort = () => reject(abortError(signal));
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

async function loadInPage({ backend, weightsUrl, weights }, reason, mirror) {
  const { loadEngine: load } = await import('./engine.js');
  let inner = null;
  const sync = (info = inner) => mirror.update({ ...info, calls: { ...(inner?.calls ?? mirror.engine.calls) } });
  inner = await load({ backend, weightsUrl, weights, onChange: sync });
  const { engine } = mirror;
  Object.assign(engine, {
    where: 'page',
    whereReason: reason,
    attackMethods: inner.attackMethods,
    ...operations((op, args, signal, onProgress) => {
      if (signal?.aborted) return Promise.reject(abortError(signal));
      const run = async () => inner[op](...args, ...(onProgress && reportsProgress(op) ? [onProgress] : []));
      return abortable(run().finally(sync), signal);
    }),
  });
  engine.settled = inner.settled;
  engine.routed = inner.routed;
  sync();
  return engine;
}

let lastKey = 0;

/**
 * Loads a network: the same options as www/engine/engine.js's loadEngine, and the same engine,
 * whose operations run in the engine's worker where they can (`engine.where`).
 * `weights`: safetensors bytes instead of a URL (the reader's own network); `weightsUrl` then
 * only names them.
 * @param {{backend?: 'auto'|'webgpu'|'cpu', weightsUrl?: string|URL, weights?: Uint8Array, onChange?: (info: object) => void}} options
 */
export async function loadEngine({ backend = 'auto', weightsUrl, weights = null, onChange = () => {} } = {}) {
  weightsUrl = weightsUrl == null ? undefined : String(weightsUrl); // a URL does not cross to the worker
  const mirror = mirrorOf({ weightsUrl, onChange });
  let link;
  try {
    link = await connect(backend);
  } catch (error) {
    console.info(`adversarial-digits: the network runs in the page: ${error.message}.`);
    return loadInPage({ backend, weightsUrl, weights }, error.message, mirror);
  }
  const key = `engine-${++lastKey}`;
  await link.load(key, { type: 'load', engine: key, backend, weightsUrl, weights }, mirror);
  Object.assign(mirror.engine, operations((op, args, signal, onProgress) => link.call(key, mirror, op, args, signal, onProgress)));
  Object.defineProperty(mirror.engine, 'restarts', { get: () => link.stats.restarts, enumerable: true });
  return mirror.engine;
}

