// The messages between the page and the engine's worker (www/engine/engine-worker.js), and the
// operations both sides name. One module, imported by both, so that they cannot disagree.
//
//   page -> worker   {type: 'load', engine, backend, weightsUrl, weights} load a network (weights: its bytes, or null to fetch weightsUrl)
//                    {type: 'call', id, engine, op, args, progress}    run one operation (progress: stream it)
//                    {type: 'cancel', id}                              drop it if not started
//   worker -> page   {type: 'loaded', engine, info, attackMethods} | {type: 'load-failed', engine, error}
//                    {type: 'started', id}                             it runs now
//                    {type: 'progress', id, value}                     how far it got (OPERATIONS' `progress`)
//                    {type: 'result', id, value, info} | {type: 'error', id, error, info}
//                    {type: 'change', engine, info}                    backend or routing changed
//
// `info` is the engine's state the page mirrors: {backend, fallbackReason, routing,
// batchRouting, calls}. Errors cross as {name, message}: the page shows the same sentence the
// engine wrote. The worker runs one call at a time, in order, except that urgent calls
// (`urgent`: a single prediction, the helpers) go first; results' typed arrays are transferred,
// not copied.

/**
 * Every operation of an engine, and how the worker schedules its calls (each flag is a boolean,
 * or a function of the call's arguments where the cost depends on them):
 * - `urgent`: goes before queued work. What the reader waits on while drawing (a single
 *   prediction, a drawing or a camera frame read, with a one-step attack riding along) and the
 *   stateless helpers, a few milliseconds each. Each view waits for its own calls, so no view
 *   sees its own calls reordered.
 * - `progress`: the call can report how far it got while it runs (a black-box search's queries
 *   and best image so far), to a callback the caller gives (`onProgress`).
 * - `long`: a cancelled call that is already running is stopped by replacing the worker
 *   (www/engine/client.js): iterative and batched work, seconds on a slow phone. Anything else
 *   finishes sooner than a new worker (and, on WebGPU, a new device) would start.
 */
export const OPERATIONS = {
  classify: { urgent: (pixels) => pixels?.length === 784 },
  classifyBatch: {},
  attack: { long: (pixels, label, options) => options?.method !== 'fgsm', progress: true },
  attackLabels: { long: true },
  gradient: {},
  minimalEpsilon: { long: true },
  survival: { long: true },
  saliency: { long: true },
  visualizeClasses: { long: true },
  foolingImages: { long: true },
  evolveFoolingImages: { long: true, progress: true },
  autoAttack: { long: true, progress: true },
  featureMaps: {},
  filters: {},
  perturbationNorms: { urgent: true },
  randomNoiseLike: { urgent: true },
  preprocess: { urgent: true },
  read: { urgent: true },
  sniff: { urgent: true },
  parseMnist: { urgent: true },
  checkWeights: { urgent: true },
};

const holds = (flag, args) => (typeof flag === 'function' ? flag(...args) : Boolean(flag));

/** Whether a call of `op` with `args` jumps the worker's queue (OPERATIONS, `urgent`). */
export const urgent = (op, args) => holds(OPERATIONS[op]?.urgent, args);

/** Whether `op` can report progress while it runs (OPERATIONS, `progress`). */
export const reportsProgress = (op) => Boolean(OPERATIONS[op]?.progress);

/** Whether a running, cancelled call of `op` is worth stopping by replacing the worker (OPERATIONS, `long`). */
export const stoppable = (op, args) => holds(OPERATIONS[op]?.long, args);

/** An error's message as a clause (no final full stop), to embed in a sentence. The Rust side
 * already folds backend error chains into one line (`inference::one_line`). */
export const errorClause = (error) => String(error?.message ?? error).trim().replace(/[.\s]+$/, '');

/** An error as it crosses to the other side. */
export function errorMessage(error) {
  return { name: error?.name === 'AbortError' ? 'AbortError' : 'Error', message: String(error?.message ?? error) };
}

/** The error the other side sent, rebuilt. */
export function errorFrom({ name, message }) {
  return name === 'AbortError' ? new DOMException(message, 'AbortError') : new Error(message);
}

/** The rejection of a cancelled request, as `fetch` gives for an aborted signal. */
export function abortError(signal) {
  const reason = signal?.reason;
  return reason instanceof DOMException && reason.name === 'AbortError' ? reason : new DOMException('The operation was cancelled.', 'AbortError');
}

/** The buffers of the typed arrays in `value` (a result), to transfer rather than copy. */
export function transferables(value, found = new Set(), depth = 0) {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength === value.buffer.byteLength) found.add(value.buffer);
  } else if (value && typeof value === 'object' && depth < 4) {
    for (const item of Array.isArray(value) ? value : Object.values(value)) transferables(item, found, depth + 1);
  }
  return [...found];
}
