// Loads the network and picks the backend. Knows nothing of the page.
//
// Start-up: the small CPU build (pkg/cpu/, burn's flex backend) loads first, so the first
// prediction comes early. If WebGPU is wanted and works, the full build (pkg/, burn-wgpu) starts
// next and takes over once it has answered once. If WebGPU is missing, refuses, or fails later (a
// lost device, a trap), work goes back to the CPU engine, which lives in its own WebAssembly
// instance (a trap in the WebGPU instance cannot poison it), the request is run again there, and
// `onChange` says why.
//
// The engine is generic: every Engine method goes through `call(name, ...args)`, and the named
// wrappers below are one line each.

const CPU_MODULE = new URL('../pkg/cpu/adversarial_digits.js', import.meta.url);
const GPU_MODULE = new URL('../pkg/adversarial_digits.js', import.meta.url);
const GPU_WASM = new URL('../pkg/adversarial_digits_bg.wasm', import.meta.url).href;
export const DEFAULT_WEIGHTS = new URL('../models/standard.safetensors', import.meta.url);

async function fetchBytes(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`${what} could not be downloaded (${error.message})`);
  }
  if (!response.ok) throw new Error(`${what} could not be downloaded (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
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

/** An error's message as a clause (no final full stop), to embed in a sentence. The Rust side
 * already folds backend error chains into one line (`inference::one_line`). */
export const errorClause = (error) => String(error?.message ?? error).trim().replace(/[.\s]+$/, '');

/** The index of the largest of the ten probabilities. */
function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * @param {{backend?: 'auto'|'webgpu'|'cpu', weightsUrl?: string|URL,
 *          onChange?: (info: {backend: 'webgpu'|'cpu', fallbackReason: string|null}) => void}} options
 */
export async function loadEngine({ backend = 'auto', weightsUrl = DEFAULT_WEIGHTS, onChange = () => {} } = {}) {
  const [weights, cpuModule] = await Promise.all([fetchBytes(weightsUrl, 'the model weights'), loadModule(CPU_MODULE)]);
  cpuModule.checkWeights(weights); // throws a readable reason: NaN, truncated, not safetensors, wrong shapes
  const cpu = await cpuModule.Engine.create(weights, 'cpu');

  const engine = {
    /** Where the weights came from (tells engines of different networks apart). */
    weights: String(weightsUrl),
    /** 'webgpu' or 'cpu': where requests run now. */
    backend: 'cpu',
    /** Why the CPU runs (null on WebGPU, or while WebGPU is still starting). */
    fallbackReason: null,
    /** Resolves once the backend choice is final (WebGPU took over, or the CPU stays). */
    settled: null,
  };
  let current = cpu;
  let gpuCrashed = new Promise(() => {}); // see crashOf
  let gpuFailure = null; // its error, once it has crashed

  function use(instance, reason) {
    current = instance;
    engine.backend = instance.backend === 'webgpu' ? 'webgpu' : 'cpu';
    engine.fallbackReason = reason;
    onChange({ backend: engine.backend, fallbackReason: reason });
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
      const gpuModule = await loadModule(GPU_MODULE);
      if (!gpuModule.hasWebGpu()) return use(cpu, 'This build of the page has no WebGPU backend; running on the CPU.');
      const gpu = await Promise.race([gpuModule.Engine.create(weights, 'webgpu'), gpuCrashed]);
      // Proves the device works before it takes over.
      await Promise.race([gpu.classify(new Float32Array(784)), gpuCrashed]);
      use(gpu, null);
    } catch (error) {
      use(cpu, `WebGPU failed to start (${errorClause(error)}); running on the CPU.`);
    }
  }

  if (backend === 'cpu') {
    engine.fallbackReason = 'The CPU backend was chosen in the address (?backend=cpu).';
    engine.settled = Promise.resolve();
  } else {
    engine.settled = startWebGpu();
    if (backend === 'webgpu') await engine.settled;
  }

  /**
   * Calls `Engine[name](...args)` where the work runs now. If WebGPU fails, the same call runs on
   * the CPU: if it succeeds there, the device was at fault and the CPU takes over for good; if it
   * fails there too, the input was at fault and that error is thrown (a trap still switches). A
   * crash of the WebGPU build outside the call (crashOf) fails the call the same way.
   */
  async function call(name, ...args) {
    const instance = current;
    try {
      const work = instance[name](...args);
      if (instance === cpu) return await work;
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

  Object.assign(engine, {
    call,
    /** @returns {Promise<{label: number, probabilities: Float32Array}>} for 784 pixels. */
    async classify(pixels) {
      const probabilities = await call('classify', pixels);
      return { label: argmax(probabilities), probabilities };
    },
    /** 10 probabilities per image, for 784 * n pixels. */
    classifyBatch: (pixels) => call('classify', pixels),
    attack: (pixels, label, options) => call('attack', pixels, label, options),
    /** Labels of the adversarial images of a batch (784 pixels and one label per image). */
    attackLabels: (pixels, labels, options) => call('attackLabels', pixels, Uint32Array.from(labels), options),
    gradient: (pixels, label) => call('gradient', pixels, label),
    minimalEpsilon: (pixels, label, options, upper, iterations) => call('minimalEpsilon', pixels, label, options, upper, iterations),
    // What the network looks at (src/visualize/). `classes`: one digit per image.
    saliency: (pixels, classes, method, options) => call('saliency', pixels, Uint32Array.from(classes), method, options),
    visualizeClasses: (classes, options, start = null, firstStep = 0) => call('visualizeClasses', Uint32Array.from(classes), options, start ?? undefined, firstStep),
    foolingImages: (classes, options) => call('foolingImages', Uint32Array.from(classes), options),
    featureMaps: (pixels) => call('featureMaps', pixels),
    filters: () => call('filters'),
    // Stateless helpers: the CPU build's, whatever the backend.
    perturbationNorms: (original, candidate) => cpuModule.perturbationNorms(original, candidate),
    randomNoiseLike: (original, noise, norm, seed) => cpuModule.randomNoiseLike(original, noise, norm, seed >>> 0),
    preprocess: (rgba, width, height) => cpuModule.preprocessRgba(rgba, width, height),
    sniff: (bytes) => cpuModule.sniffImage(bytes),
    parseMnist: (images, labels) => cpuModule.parseMnist(images, labels),
  });
  return engine;
}
