// The messages between the page and the engine's worker (www/engine/engine-worker.js), and the
// operations both sides name. One module, imported by both, so that they cannot disagree.
//
//   page -> worker   {type: 'load', engine, backend, weightsUrl}       load a network
//                    {type: 'call', id, engine, op, args}              run one operation
//                    {type: 'cancel', id}                              drop it if not started
//   worker -> page   {type: 'loaded', engine, info, attackMethods} | {type: 'load-failed', engine, error}
//                    {type: 'started', id}                             it runs now
//                    {type: 'result', id, value, info} | {type: 'error', id, error, info}
//                    {type: 'change', engine, info}                    backend or routing changed
//
// `info` is the engine's state the page mirrors: {backend, fallbackReason, routing,
// batchRouting, calls}. Errors cross as {name, message}: the page shows the same sentence the
// engine wrote. The worker runs one call at a time, in order, except that urgent calls
// (`urgent`: a single prediction, the helpers) go first; results' typed arrays are transferred,
// not copied.

/**
 * Every operation of an engine, with what it is: `kind` 'network' runs the network (queued,
 * cancellable), 'helper' is a stateless parser or measure (cheap: it goes before queued work).
 */
export const OPERATIONS = {
  classify: 'network',
  classifyBatch: 'network',
  attack: 'network',
  attackLabels: 'network',
  gradient: 'network',
  minimalEpsilon: 'network',
  saliency: 'network',
  visualizeClasses: 'network',
  foolingImages: 'network',
  featureMaps: 'network',
  filters: 'network',
  perturbationNorms: 'helper',
  randomNoiseLike: 'helper',
  preprocess: 'helper',
  sniff: 'helper',
  parseMnist: 'helper',
};

/**
 * Whether a cancelled call of `op` that is already running is worth stopping by replacing the
 * worker (see www/engine/client.js): the iterative and batched work that can take seconds on a
 * slow phone. A prediction, a gradient, FGSM or the feature maps finish sooner than a new
 * worker (and, on WebGPU, a new device) would start.
 */
export function stoppable(op, args) {
  if (op === 'attack') return args[2]?.method !== 'fgsm';
  return ['attackLabels', 'minimalEpsilon', 'saliency', 'visualizeClasses', 'foolingImages'].includes(op);
}

/**
 * Whether a call jumps the worker's queue: what the reader waits on while drawing (a single
 * prediction, the drawing's preprocessing) and the stateless helpers, all a millisecond or two.
 * Everything else keeps its order; each view waits for its own calls, so no view sees its calls
 * reordered.
 */
export function urgent(op, args) {
  if (op === 'classify') return args[0]?.length === 784;
  return OPERATIONS[op] === 'helper';
}

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
