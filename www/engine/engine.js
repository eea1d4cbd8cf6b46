// The engine: loads a network on both wasm builds and sends each call where it runs faster.
// Knows nothing of the page; it runs in the engine's worker (engine-worker.js), or in the page
// where workers cannot (client.js decides).
//
// Start-up: the small CPU build (pkg/cpu/, burn's flex backend) loads first, so the first
// prediction comes early. If WebGPU is wanted and works, the full build (pkg/, burn-wgpu) starts
// once the CPU has answered its first call (the first prediction shares nothing with it) and
// takes over once it has answered once. If WebGPU is missing, refuses, or fails later (a
// lost device, a trap), work goes back to the CPU engine, which lives in its own WebAssembly
// instance (a trap in the WebGPU instance cannot poison it), the request is run again there, and
// `onChange` says why.
//
// Routing: once WebGPU has taken over, each class of work (WORK_CLASSES: a single prediction, an
// attack on one digit, a batch) is timed on both engines, once per page, and runs where it was
// faster; until then, and without WebGPU, everything runs on the CPU. Where WebGPU is an
// emulation (SwiftShader) the CPU wins all three; on a real GPU batches move to it.
// `?backend=webgpu` sends everything to WebGPU, unmeasured.
//
// Every Engine method goes through `call(kind, name, ...args)`; the named wrappers below are one
// line each.

import { download } from '../download.js';
import { errorClause } from './protocol.js';

export { errorClause };

const CPU_MODULE = new URL('../../pkg/cpu/adversarial_digits.js', import.meta.url);
const GPU_MODULE = new URL('../../pkg/adversarial_digits.js', import.meta.url);
const GPU_WASM = new URL('../../pkg/adversarial_digits_bg.wasm', import.meta.url).href;

async function fetchBytes(url, what) {
  return new Uint8Array(await (await download(url, what)).arrayBuffer());
}

async function loadModule(url) {
  const module = await import(url.href);
  await module.default();
  return module;
}

/** Why WebGPU cannot be used here, or null if it offers an adapter. */
export async function webgpuUnavailableReason() {
  if (!('gpu' in navigator) || !navigator.gpu) return 'WebGPU is not available in this browser';
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return 'WebGPU is present but found no usable graphics adapter';
  } catch (error) {
    return `WebGPU refused to start (${error.message})`;
  }
  return null;
}

/**
 * A promise that never resolves and rejects once an error escapes the WebAssembly module at
 * `wasmUrl` outside any call: a trap in one of its callbacks (burn-wgpu panics on a WebGPU
 * validation or out-of-memory error) or an exception the browser throws into it. Such an
 * instance cannot be trusted again: its calls in flight may never settle, or settle with garbage.
 */
function crashOf(wasmUrl) {
  return new Promise((_, reject) => {
    addEventListener('error', (event) => {
      if (event.filename !== wasmUrl && !String(event.error?.stack ?? '').includes(wasmUrl)) return;
      reject(Object.assign(new Error(`its engine crashed: ${errorClause(event.error ?? event.message)}`), { fatal: true }));
    });
  });
}


/** Digits in the batch routing measurement: a batch as large as the galleries' (10), small
 * enough to cost little on an emulated GPU. */
export const ROUTING_BATCH = 16;

/** A deterministic stand-in batch for the routing measurements (timing does not depend on it). */
function routingProbe(images) {
  const pixels = new Float32Array(images * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = ((i * 37) % 101) / 100;
  return { pixels, labels: Uint32Array.from({ length: images }, (_, i) => i % 10) };
}

/**
 * The classes of work routed on their own, each with the call that measures it. A single
 * prediction is one small dispatch and one read-back, where a GPU's fixed cost per call shows;
 * a single-digit attack step adds a backward pass; a batch is where a GPU's parallelism pays.
 */
export const WORK_CLASSES = {
  predict: { probe: (instance) => instance.classify(routingProbe(1).pixels) },
  attack: { probe: (instance) => { const { pixels, labels } = routingProbe(1); return instance.attack(pixels, labels[0], { method: 'fgsm', eps: 0.1 }); } },
  batch: { images: ROUTING_BATCH, probe: (instance) => { const { pixels, labels } = routingProbe(ROUTING_BATCH); return instance.attackLabels(pixels, labels, { method: 'fgsm', eps: 0.1 }); } },
};

/** The index of the largest of the ten probabilities. */
function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The device's speed for each class of work, measured once per page (every network on the page
 * shares the device; the timing does not depend on the weights): a promise of
 * {predict, attack, batch}, each {backend, cpuMs, webgpuMs} (webgpuMs null where WebGPU failed).
 */
let measured = null;

/** Runs `probe` on `instance` twice, a warm-up (which compiles its shaders) and a timed run:
 * {warmMs, ms}. With `giveUpAfterMs`, a warm-up slower than that ends it (ms: null). */
async function timeProbe(probe, instance, crashed, giveUpAfterMs = Infinity) {
  const run = async () => {
    const start = performance.now();
    await Promise.race([probe(instance), crashed]);
    return performance.now() - start;
  };
  const warmMs = await run();
  return { warmMs, ms: warmMs > giveUpAfterMs ? null : await run() };
}

/** A WebGPU warm-up this many times slower than the CPU's timed run decides without a timed run:
 * shader compilation does not cost that much on a real GPU, and an emulated one (SwiftShader,
 * also what machines without a GPU driver get) is spared seconds of work. */
const HOPELESS = 20;

async function measureWork(cpu, gpu, crashed) {
  const routing = {};
  for (const [name, work] of Object.entries(WORK_CLASSES)) {
    // A failed run is recorded as null; a failed device is switched over by the next call on
    // it (callOn), which says why.
    const timed = (instance, giveUpAfterMs) => timeProbe(work.probe, instance, crashed, giveUpAfterMs).catch((error) => {
      console.warn(`adversarial-digits: the ${instance === cpu ? 'CPU' : 'WebGPU'} engine failed the ${name} measurement:`, error);
      return null;
    });
    const cpuMs = (await timed(cpu))?.ms ?? null;
    const gpuRun = await timed(gpu, cpuMs === null ? Infinity : HOPELESS * cpuMs);
    // Where only the warm-up ran, its time stands for WebGPU's: it lost by far.
    const webgpuMs = gpuRun ? gpuRun.ms ?? gpuRun.warmMs : null;
    const backend = webgpuMs !== null && (cpuMs === null || webgpuMs < cpuMs) ? 'webgpu' : 'cpu';
    routing[name] = { backend, ...(work.images ? { images: work.images } : {}), cpuMs, webgpuMs };
  }
  return routing;
}

/**
 * @param {{backend?: 'auto'|'webgpu'|'cpu', weightsUrl?: string|URL, weights?: Uint8Array,
 *          onChange?: (info: {backend: 'webgpu'|'cpu', fallbackReason: string|null,
 *                             routing: object|null, batchRouting: object|null}) => void}} options
 */
export async function loadEngine({ backend = 'auto', weightsUrl, weights: given = null, onChange = () => {} } = {}) {
  if (weightsUrl == null && given == null) throw new TypeError('loadEngine: give the weights URL (www/models.js has each network\'s) or the weights');
  // `given`: safetensors bytes already here (the reader's own network, www/training/).
  const [weights, cpuModule] = await Promise.all([given ?? fetchBytes(weightsUrl, 'the model weights'), loadModule(CPU_MODULE)]);
  cpuModule.checkWeights(weights); // throws a readable reason: NaN, truncated, not safetensors, wrong shapes
  const cpu = await cpuModule.Engine.create(weights, 'cpu');
  const forced = backend === 'webgpu' ? Object.fromEntries(Object.keys(WORK_CLASSES).map((name) => [name, { backend: 'webgpu', forced: true }])) : null;

  const engine = {
    /** Where the weights came from (tells engines of different networks apart). */
    weights: String(weightsUrl),
    /** 'webgpu' once WebGPU has started and taken over, else 'cpu'. */
    backend: 'cpu',
    /** Why the CPU runs (null on WebGPU, or while WebGPU is still starting). */
    fallbackReason: null,
    /** Resolves once the backend choice is final (WebGPU took over, or the CPU stays). */
    settled: null,
    /** Resolves once every class of work has its engine (measured, forced, or the CPU alone). */
    routed: null,
    /**
     * Where each class of work runs (WORK_CLASSES), once measured on WebGPU (null before, and
     * without WebGPU): {predict, attack, batch}, each {backend: 'webgpu'|'cpu', cpuMs, webgpuMs}
     * (batch also has `images`), or each {backend: 'webgpu', forced: true} under ?backend=webgpu.
     * A class not yet measured runs on the CPU.
     */
    routing: forced,
    /** `routing.batch`, under the name the first API had. */
    batchRouting: forced?.batch ?? null,
    /** Calls run per engine instance ({cpu, webgpu}): which one did the work. */
    calls: { cpu: 0, webgpu: 0 },
    /** The attacks' catalogue (src/attacks/catalogue.rs): names, norms, targeting, defaults, ranges. */
    attackMethods: cpuModule.attackMethods(),
  };
  let current = cpu;
  let gpuModule = null; // the WebGPU build, once loaded
  let gpuCrashed = new Promise(() => {}); // see crashOf
  let gpuFailure = null; // its error, once it has crashed

  function notify() {
    onChange({ backend: engine.backend, fallbackReason: engine.fallbackReason, routing: engine.routing, batchRouting: engine.batchRouting });
  }

  function use(instance, reason) {
    current = instance;
    engine.backend = instance.backend === 'webgpu' ? 'webgpu' : 'cpu';
    engine.fallbackReason = reason;
    notify();
  }

  async function startWebGpu() {
    const unavailable = await webgpuUnavailableReason();
    if (unavailable) return use(cpu, `${unavailable}; running on the CPU.`);
    try {
      gpuCrashed = crashOf(GPU_WASM);
      gpuCrashed.catch((error) => {
        gpuFailure = error;
        if (current !== cpu) use(cpu, `The WebGPU device failed (${errorClause(error)}); switched to the CPU.`);
      });
      gpuModule = await loadModule(GPU_MODULE);
      if (!gpuModule.hasWebGpu()) return use(cpu, 'This build of the page has no WebGPU backend; running on the CPU.');
      const gpu = await Promise.race([gpuModule.Engine.create(weights, 'webgpu'), gpuCrashed]);
      // Proves the device works before it takes over.
      await Promise.race([gpu.classify(new Float32Array(784)), gpuCrashed]);
      use(gpu, null);
    } catch (error) {
      use(cpu, `WebGPU failed to start (${errorClause(error)}); running on the CPU.`);
    }
  }

  /** After WebGPU took over: where each class of work runs (the CPU meanwhile). */
  async function route() {
    if (current === cpu || forced) return;
    measured ??= measureWork(cpu, current, gpuCrashed);
    const routing = await measured;
    if (current === cpu) return; // the device failed meanwhile
    engine.routing = routing;
    engine.batchRouting = routing.batch;
    notify();
  }

  // WebGPU starts once the CPU has answered its first call (or after a second without one): the
  // reader's first prediction then shares neither the network nor the cores with the WebGPU
  // build's download and compilation, several times the CPU build's size.
  let cpuAnswered = () => {};
  if (backend === 'cpu') {
    engine.fallbackReason = 'The CPU backend was chosen in the address (?backend=cpu).';
    engine.settled = Promise.resolve();
  } else if (backend === 'webgpu') {
    engine.settled = startWebGpu();
    await engine.settled;
  } else {
    const firstAnswer = new Promise((resolve) => { cpuAnswered = resolve; });
    const aSecond = new Promise((resolve) => setTimeout(resolve, 1000));
    engine.settled = Promise.race([firstAnswer, aSecond]).then(startWebGpu);
  }
  engine.routed = engine.settled.then(route);

  /** The instance for a class of work (WORK_CLASSES): where it was measured faster. */
  function instanceFor(kind) {
    if (current === cpu || forced) return current;
    return engine.routing?.[kind]?.backend === 'webgpu' ? current : cpu;
  }

  /**
   * Calls `Engine[name](...args)` where `kind` of work runs now. If WebGPU fails, the same call
   * runs on the CPU: if it succeeds there, the device was at fault and the CPU takes over for
   * good; if it fails there too, the input was at fault and that error is thrown (a trap still
   * switches). A crash of the WebGPU build outside the call (crashOf) fails the call the same way.
   */
  async function call(kind, name, ...args) {
    return callOn(instanceFor(kind), name, args);
  }

  async function callOn(instance, name, args) {
    engine.calls[instance === cpu ? 'cpu' : 'webgpu'] += 1;
    try {
      const work = instance[name](...args);
      if (instance === cpu) return await Promise.resolve(work).finally(cpuAnswered);
      const result = await Promise.race([work, gpuCrashed]);
      // The device reports errors raised by this work as events that can arrive after its result:
      // one turn of the event loop lets them in, so a result from a failed device is not returned.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (gpuFailure) throw gpuFailure;
      return result;
    } catch (error) {
      if (instance === cpu) throw error;
      let result;
      try {
        result = await cpu[name](...args);
      } catch (cpuError) {
        if ((error instanceof WebAssembly.RuntimeError || error.fatal) && current === instance) {
          use(cpu, `The WebGPU device failed (${errorClause(error)}); switched to the CPU.`);
        }
        throw cpuError;
      }
      if (current === instance) {
        console.warn('adversarial-digits: WebGPU failed, switching to the CPU:', error);
        use(cpu, `The WebGPU device failed (${errorClause(error)}); switched to the CPU.`);
      }
      return result;
    }
  }

  /** Work on `images` images (or classes): a batch from two on, else a single-digit `kind`. */
  const sized = (images, kind = 'attack') => (images < 2 ? kind : 'batch');

  Object.assign(engine, {
    /** @returns {Promise<{label: number, probabilities: Float32Array}>} for 784 pixels. */
    async classify(pixels) {
      const probabilities = await call('predict', 'classify', pixels);
      return { label: argmax(probabilities), probabilities };
    },
    /** 10 probabilities per image, for 784 * n pixels. */
    classifyBatch: (pixels) => call(sized(pixels.length / 784, 'predict'), 'classify', pixels),
    /** `onProgress`: called as a black-box attack searches, with {queries, pixels, probabilities}. */
    attack: (pixels, label, options, onProgress) => call('attack', 'attack', pixels, label, options, onProgress),
    /** Labels of the adversarial images of a batch (784 pixels and one label per image). */
    attackLabels: (pixels, labels, options) => call(sized(labels.length), 'attackLabels', pixels, Uint32Array.from(labels), options),
    gradient: (pixels, label) => call('attack', 'gradient', pixels, label),
    minimalEpsilon: (pixels, label, options, upper, iterations) => call('attack', 'minimalEpsilon', pixels, label, options, upper, iterations),
    /** The share of `transformations` random print-and-camera changes under which `pixels` still fools the network. */
    survival: (pixels, label, target, transformations, seed) => call('batch', 'survival', pixels, label, target ?? undefined, transformations, seed >>> 0),
    // What the network looks at (src/visualize/). `classes`: one digit per image.
    saliency: (pixels, classes, method, options) => call(sized(classes.length), 'saliency', pixels, Uint32Array.from(classes), method, options),
    visualizeClasses: (classes, options, start = null, firstStep = 0) => call(sized(classes.length), 'visualizeClasses', Uint32Array.from(classes), options, start ?? undefined, firstStep),
    foolingImages: (classes, options) => call(sized(classes.length), 'foolingImages', Uint32Array.from(classes), options),
    /** AutoAttack's chain on a batch at `eps` (L∞): {clean, robust, stages: [{name, robust}]}; `onProgress({name, robust})` after each stage. */
    autoAttack: (pixels, labels, eps, onProgress) => call(sized(labels.length), 'autoAttack', pixels, Uint32Array.from(labels), eps, onProgress),
    /** Fooling images found by evolution from the scores alone; `onProgress` as for `attack`. */
    evolveFoolingImages: (classes, options, onProgress) => call(sized(classes.length), 'evolveFoolingImages', Uint32Array.from(classes), options, onProgress),
    featureMaps: (pixels) => call('predict', 'featureMaps', pixels),
    filters: () => call('predict', 'filters'),
    /**
     * Installs `hook` as both builds' checkpoint hook (src/pace.rs): long computations call it
     * often; it returns undefined to go on, or a promise of true to stop the call as cancelled.
     * null removes it. The engine's worker installs one per call (engine-worker.js).
     */
    setPace(hook) {
      cpuModule.setPace(hook);
      gpuModule?.setPace(hook);
    },
    // Stateless helpers: the CPU build's, whatever the backend.
    perturbationNorms: (original, candidate) => cpuModule.perturbationNorms(original, candidate),
    randomNoiseLike: (original, noise, norm, seed) => cpuModule.randomNoiseLike(original, noise, norm, seed >>> 0),
    preprocess: (rgba, width, height) => cpuModule.preprocessRgba(rgba, width, height),
    /**
     * A picture (a drawing, a camera frame) preprocessed as an upload and classified, in one
     * call, so that a stroke's prediction crosses to the worker once: {pixels, inverted, label,
     * probabilities}, or {problem} (why there is nothing to read: no ink, say) for the reader.
     * `alongside.attack`: attack options to run on the digit read, against its label, in the same
     * call (`attack` in the result; left out if it fails: the caller then runs it itself). For
     * a one-step attack, whose result is then ready with the prediction.
     */
    async read(rgba, width, height, alongside = null) {
      let seen;
      try {
        seen = cpuModule.preprocessRgba(rgba, width, height);
      } catch (error) {
        return { problem: errorClause(error) };
      }
      const read = { pixels: seen.pixels, inverted: seen.inverted, ...(await engine.classify(seen.pixels)) };
      if (alongside?.attack) {
        try {
          read.attack = await engine.attack(seen.pixels, read.label, alongside.attack);
        } catch {
          // The caller's own attack call will say why.
        }
      }
      return read;
    },
    sniff: (bytes) => cpuModule.sniffImage(bytes),
    parseMnist: (images, labels) => cpuModule.parseMnist(images, labels),
    /** Throws the reason a safetensors file cannot be this page's network (src/weights.rs). */
    checkWeights: (bytes) => cpuModule.checkWeights(bytes),
  });
  return engine;
}
