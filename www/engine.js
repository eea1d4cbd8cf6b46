// Loads the network and picks the backend. Knows nothing of the page.
//
// Start-up: the small CPU build (pkg/cpu, burn's flex backend) loads first, so the first
// prediction comes early. If WebGPU is wanted and available, the full build (pkg/, burn-wgpu)
// is started next and takes over once ready. If WebGPU is missing, refuses, or fails later
// (a lost device), work goes back to the CPU engine and `onChange` says why.

const CPU_MODULE = new URL('../pkg/cpu/adversarial_digits.js', import.meta.url);
const GPU_MODULE = new URL('../pkg/adversarial_digits.js', import.meta.url);
const DEFAULT_WEIGHTS = new URL('../models/standard.safetensors', import.meta.url);

let weightsPromise = null;
/** Fetches the weights once per page (the browser's HTTP cache keeps them across visits). */
function loadWeights(url) {
  weightsPromise ??= fetch(url).then(async (response) => {
    if (!response.ok) throw new Error(`the model weights could not be downloaded (HTTP ${response.status})`);
    return new Uint8Array(await response.arrayBuffer());
  });
  return weightsPromise;
}

async function loadModule(url) {
  const module = await import(url.href);
  await module.default();
  return module;
}

/** Why WebGPU cannot be used here, or null if an adapter is available. */
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

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * @param {{backend?: 'auto'|'webgpu'|'cpu', weightsUrl?: string|URL, onChange?: (info: {backend: string, reason: string|null}) => void}} options
 */
export async function loadEngine({ backend = 'auto', weightsUrl = DEFAULT_WEIGHTS, onChange = () => {} } = {}) {
  const weights = await loadWeights(weightsUrl);
  const cpuModule = await loadModule(CPU_MODULE);
  cpuModule.checkWeights(weights); // throws a readable reason (NaN, truncated, wrong shapes)
  const cpu = await cpuModule.Engine.create(weights, 'cpu');

  const engine = {
    backend: 'cpu',
    reason: null,
    module: cpuModule,
    current: cpu,
    /** Resolves once the backend choice is final (WebGPU started, or fallen back). */
    settled: null,
  };

  function fallBack(reason) {
    engine.current = cpu;
    engine.module = cpuModule;
    engine.backend = 'cpu';
    engine.reason = reason;
    onChange({ backend: 'cpu', reason });
  }

  async function startWebGpu() {
    const unavailable = await webgpuUnavailableReason();
    if (unavailable) return fallBack(`${unavailable}; running on the CPU.`);
    try {
      const gpuModule = await loadModule(GPU_MODULE);
      const gpu = await gpuModule.Engine.create(weights, 'webgpu');
      // A first prediction proves the device works before it takes over.
      await gpu.classify(new Float32Array(784));
      engine.current = gpu;
      engine.module = gpuModule;
      engine.backend = 'webgpu';
      engine.reason = null;
      onChange({ backend: 'webgpu', reason: null });
    } catch (error) {
      fallBack(`WebGPU failed to start (${error.message}); running on the CPU.`);
    }
  }

  if (backend === 'cpu') {
    engine.reason = 'The CPU backend was chosen in the address (?backend=cpu).';
    engine.settled = Promise.resolve();
  } else {
    engine.settled = startWebGpu();
    if (backend === 'webgpu') await engine.settled;
  }

  /** Runs `task(engineInstance)`; if WebGPU fails, switches to the CPU and runs it there. */
  async function withFallback(task) {
    const instance = engine.current;
    try {
      return await task(instance);
    } catch (error) {
      if (instance === cpu) throw error;
      fallBack(`The WebGPU device failed (${error.message}); switched to the CPU.`);
      return task(cpu);
    }
  }

  engine.classify = (pixels) =>
    withFallback(async (e) => {
      const probabilities = await e.classify(pixels);
      return { label: argmax(probabilities), probabilities };
    });
  engine.classifyBatch = (pixels) => withFallback((e) => e.classify(pixels));
  engine.attack = (pixels, label, options) => withFallback((e) => e.attack(pixels, label, options));
  engine.gradient = (pixels, label) => withFallback((e) => e.gradient(pixels, label));
  engine.minimalEpsilon = (pixels, label, options, upper, iterations) =>
    withFallback((e) => e.minimalEpsilon(pixels, label, options, upper, iterations));
  engine.randomNoiseLike = (original, noise, norm, seed) => cpuModule.randomNoiseLike(original, noise, norm, seed >>> 0);
  engine.preprocess = (rgba, width, height) => cpuModule.preprocessRgba(rgba, width, height);
  engine.sniff = (bytes) => cpuModule.sniffImage(bytes);
  engine.parseMnist = (images, labels) => cpuModule.parseMnist(images, labels);
  return engine;
}
