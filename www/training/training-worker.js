// The training worker: trains the reader's own network (src/training.rs, the same steps as
// `adversarial-digits train`) off the page's thread, and apart from the engine's worker, so that
// every panel keeps answering while it trains. One run at a time. Started on demand by
// training-client.js, which declares the messages (PROTOCOL there).
//
// The data comes when the reader asks for it (www/data/train/, tools/training-data.mjs writes
// it): gzip-compressed IDX files, 10,000 digits each, decompressed here as they arrive.
//
// Between two batches this worker lets its messages in (pause, resume, cancel), so a pause takes
// effect within one batch. It reports every batch, checks the clean accuracy every
// ACCURACY_EVERY batches on 500 test digits, and at the end of each epoch runs the trainer's
// check (clean accuracy on 1,000 test digits, PGD at the training radius on PGD_DIGITS of them,
// and the catastrophic-overfitting guard).

import { download } from '../download.js';
import { nextTask } from '../engine/next-task.js';
import { ACCURACY_DIGITS, ACCURACY_EVERY, CHUNK, CHUNK_BYTES, PGD_DIGITS, TEST_BYTES, TEST_FILES, trainFiles } from './plan.js';

// The CPU build with training (pkg/train/): the page's own CPU build (pkg/cpu/) leaves it out to
// keep the first prediction's download small.
const CPU_MODULE = new URL('../../pkg/train/adversarial_digits.js', import.meta.url);
const GPU_MODULE = new URL('../../pkg/adversarial_digits.js', import.meta.url);
const DATA = new URL('../data/train/', import.meta.url);

/** Batch examples sent to the page at most this often. */
const EXAMPLES_EVERY_MS = 1000;
/** Examples in the card's grid. */
const EXAMPLES = 16;
/** The routing probe's digits, and its timed steps on each backend. */
const PROBE_DIGITS = 256;
const PROBE_STEPS = 3;
/** A WebGPU warm-up step this many times slower than the CPU's decides without timed steps. */
const HOPELESS = 20;

let state = 'idle'; // 'idle' | 'running' | 'paused' | 'cancelled'
let wake = null; // resolves a pause

const post = (message, transfer = []) => postMessage(message, transfer);

/** The loaded builds' WebAssembly memories, by module: their size goes out with each check. */
const memories = new Map();

async function loadModule(url) {
  const module = await import(url.href);
  const exports = await module.default();
  memories.set(module, exports.memory);
  return module;
}

/** Downloads `url` (a gzip file), reporting bytes as they come to `onBytes(n)`; its decompressed bytes. */
async function fetchGzip(url, what, onBytes) {
  const response = await download(url, what);
  const counted = response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      onBytes(chunk.byteLength);
      controller.enqueue(chunk);
    },
  }));
  try {
    return new Uint8Array(await new Response(counted.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  } catch (error) {
    throw new Error(`${what} are damaged (${error.message})`);
  }
}

/** IDX files of the same kind joined into one (their headers' counts added). */
function joinIdx(parts, header) {
  if (parts.length === 1) return parts[0];
  const body = parts.reduce((n, part) => n + part.length - header, 0);
  const out = new Uint8Array(header + body);
  out.set(parts[0].subarray(0, header));
  new DataView(out.buffer).setUint32(4, body / (header === 16 ? 784 : 1));
  let at = header;
  for (const part of parts) {
    out.set(part.subarray(header), at);
    at += part.length - header;
  }
  return out;
}

/** The training digits (enough files for `digits`) and the test digits, with download progress. */
async function fetchData(digits) {
  const files = Math.ceil(digits / CHUNK);
  // Sizes for the progress bar; the real sizes come with the responses.
  const total = files * CHUNK_BYTES + TEST_BYTES;
  let loaded = 0;
  let lastPost = 0;
  const onBytes = (n) => {
    loaded += n;
    if (performance.now() - lastPost > 100) {
      lastPost = performance.now();
      post({ type: 'data', loaded, total: Math.max(total, loaded) });
    }
  };
  const get = (name, what) => fetchGzip(new URL(name, DATA), what, onBytes);
  const [train, test] = await Promise.all([
    Promise.all(Array.from({ length: files }, (_, k) => {
      const [images, labels] = trainFiles(k);
      return Promise.all([get(images, 'the training digits'), get(labels, 'the training labels')]);
    })),
    Promise.all([get(TEST_FILES[0], 'the test digits'), get(TEST_FILES[1], 'the test labels')]),
  ]);
  post({ type: 'data', loaded, total: loaded });
  return {
    images: joinIdx(train.map(([images]) => images), 16),
    labels: joinIdx(train.map(([, labels]) => labels), 8),
    testImages: test[0],
    testLabels: test[1],
  };
}

/** Milliseconds of `steps` training steps on `training` after one warm-up: {warmMs, ms}. */
async function timeSteps(training, giveUpAfterMs) {
  let start = performance.now();
  await training.step();
  const warmMs = performance.now() - start;
  if (warmMs > giveUpAfterMs) return { warmMs, ms: null };
  start = performance.now();
  for (let i = 0; i < PROBE_STEPS; i++) await training.step();
  return { warmMs, ms: (performance.now() - start) / PROBE_STEPS };
}

/**
 * Where training runs: `backend` 'cpu' or 'webgpu' as asked; 'auto' measures a few steps on both
 * (batches of the run's size) and takes the faster. {backend, module, reason, cpuMs, webgpuMs}.
 */
async function chooseBackend(backend, options, data, cpu) {
  if (backend === 'cpu') return { backend: 'cpu', module: cpu, reason: 'the CPU was chosen (?backend=cpu or the card\'s setting)' };
  let gpu = null;
  let why = null;
  if (!globalThis.navigator?.gpu) why = 'this browser offers no WebGPU to workers';
  else if (!(await navigator.gpu.requestAdapter().catch(() => null))) why = 'WebGPU found no usable graphics adapter';
  else {
    try {
      gpu = await loadModule(GPU_MODULE);
      if (!gpu.hasWebGpu()) why = 'this build has no WebGPU backend';
    } catch (error) {
      why = `the WebGPU build did not load (${error.message})`;
    }
  }
  if (why) {
    if (backend === 'webgpu') throw new Error(`WebGPU cannot train here: ${why}`);
    return { backend: 'cpu', module: cpu, reason: why };
  }
  if (backend === 'webgpu') return { backend: 'webgpu', module: gpu, reason: 'WebGPU was chosen (?backend=webgpu or the card\'s setting)' };
  const probe = { ...options, digits: Math.min(PROBE_DIGITS, options.digits), epochs: 100 };
  const create = (module, name) => module.Training.create(name, probe, data.images, data.labels, data.testImages, data.testLabels);
  const timed = async (module, name, giveUpAfterMs) => {
    const training = await create(module, name);
    try {
      return await timeSteps(training, giveUpAfterMs);
    } finally {
      training.free();
    }
  };
  const cpuTime = await timed(cpu, 'cpu', Infinity);
  let gpuTime = null;
  try {
    gpuTime = await timed(gpu, 'webgpu', HOPELESS * cpuTime.ms);
  } catch (error) {
    return { backend: 'cpu', module: cpu, reason: `WebGPU failed a training step (${error.message})`, cpuMs: cpuTime.ms, webgpuMs: null };
  }
  const webgpuMs = gpuTime.ms ?? gpuTime.warmMs;
  const faster = webgpuMs < cpuTime.ms;
  const figures = `a batch of ${options.batchSize}: ${cpuTime.ms.toFixed(0)} ms on the CPU, ${webgpuMs.toFixed(0)} ms on WebGPU${gpuTime.ms === null ? ' (its first step)' : ''}`;
  return { backend: faster ? 'webgpu' : 'cpu', module: faster ? gpu : cpu, reason: `measured ${figures}`, cpuMs: cpuTime.ms, webgpuMs };
}

/** Waits while paused; false once cancelled. */
async function goOn() {
  await nextTask(); // lets pause, resume and cancel in
  while (state === 'paused') {
    post({ type: 'paused' });
    await new Promise((resolve) => { wake = resolve; });
  }
  return state === 'running';
}

async function train({ options, backend = 'auto', start = null, description = '' }) {
  state = 'running';
  const cpu = await loadModule(CPU_MODULE);
  cpu.checkTrainingOptions(options); // a bad setting is refused before any download
  if (start) cpu.checkWeights(start);
  const data = await fetchData(options.digits);
  if (!(await goOn())) return post({ type: 'cancelled' });
  const where = await chooseBackend(backend, options, data, cpu);
  const training = await where.module.Training.create(where.backend, options, data.images, data.labels, data.testImages, data.testLabels, start ?? undefined);
  const batches = training.batches;
  post({ type: 'ready', backend: where.backend, reason: where.reason, cpuMs: where.cpuMs ?? null, webgpuMs: where.webgpuMs ?? null, batches, digits: options.digits });
  const began = performance.now();
  let computing = 0; // ms spent in steps (pauses excluded)
  let images = 0;
  let steps = 0;
  let lastExamples = -Infinity;
  let last = null; // the last epoch check
  for (;;) {
    if (!(await goOn())) return post({ type: 'cancelled' });
    const t0 = performance.now();
    const step = await training.step();
    computing += performance.now() - t0;
    steps += 1;
    images += Math.min(options.batchSize, options.digits - step.batch * options.batchSize);
    const total = options.epochs * batches;
    post({
      type: 'step', ...step, step: steps, totalSteps: total,
      imagesPerSecond: images / (computing / 1000),
      secondsLeft: (computing / steps) * (total - steps) / 1000,
    });
    if (performance.now() - lastExamples > EXAMPLES_EVERY_MS) {
      lastExamples = performance.now();
      const pixels = await training.examples(EXAMPLES);
      post({ type: 'examples', step: steps, pixels }, [pixels.buffer]);
    }
    if (step.epochEnd) {
      last = await training.check(PGD_DIGITS);
      // The trainer's memory after each epoch (the bench reports whether it stays flat).
      post({ type: 'check', step: steps, ...last, wasmBytes: memories.get(where.module)?.buffer.byteLength ?? null });
    } else if (steps % ACCURACY_EVERY === 0) {
      post({ type: 'accuracy', step: steps, cleanAccuracy: await training.accuracy(ACCURACY_DIGITS) });
    }
    if (step.finished) break;
  }
  const weights = await training.weights(description);
  training.free();
  const summary = {
    backend: where.backend,
    options,
    epochs: last ? last.epoch + 1 : options.epochs,
    seconds: (performance.now() - began) / 1000,
    imagesPerSecond: images / (computing / 1000),
    cleanAccuracy: last?.cleanAccuracy ?? null,
    pgdAccuracy: last?.pgdAccuracy ?? null,
    collapsed: last?.collapsed ?? false,
  };
  post({ type: 'done', summary, weights }, [weights.buffer]);
}

addEventListener('message', ({ data }) => {
  if (data.type === 'start') {
    if (state === 'running' || state === 'paused') return post({ type: 'error', error: 'a training run is already going on' });
    train(data).catch((error) => post({ type: 'error', error: String(error?.message ?? error) })).finally(() => { state = 'idle'; });
  } else if (data.type === 'pause' && state === 'running') {
    state = 'paused';
  } else if (data.type === 'resume' && state === 'paused') {
    state = 'running';
    wake?.();
  } else if (data.type === 'cancel' && (state === 'running' || state === 'paused')) {
    state = 'cancelled';
    wake?.();
  }
});

// Says it runs, with the presets the card offers and each setting's limits (src/training.rs,
// PRESETS and LIMITS).
loadModule(CPU_MODULE).then(
  (cpu) => post({ type: 'hello', presets: cpu.trainingPresets(), limits: cpu.trainingLimits() }),
  (error) => { throw new Error(`the CPU build did not load (${error.message})`); },
);
