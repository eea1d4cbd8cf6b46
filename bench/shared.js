// What the engine bench (bench.js) and the TensorFlow.js bench (tfjs.js) share: the settings of
// the operations both measure, the test digits they run on, and how timings are summarised.

/** The attacks compared with TensorFlow.js, with the settings of the README's robustness table. */
export const FGSM = { method: 'fgsm', eps: 0.1 };
export const PGD = { method: 'pgd', eps: 0.3, alpha: 0.01, steps: 40 };

/** Median, 10th and 90th percentiles (nearest rank), extremes and count of `times` (ms). */
export function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0], max: s[s.length - 1], n: s.length };
}

/** How long each operation is warmed up before timing. V8 first runs WebAssembly from a quick
 * baseline compiler and recompiles hot functions optimised in the background, which on 2 cores
 * takes about a second for the engine's module (measured: FGSM's median was 4.0 ms over its first
 * 100 calls, 2.2 ms over the next 100 and 1.9 ms from then on; TensorFlow.js's smaller module
 * settles sooner). The warm-up is by time alone: an earlier cap of 50 calls ended it after
 * 25 ms for sub-millisecond operations, so their medians were partly unoptimised code. */
export const WARMUP_MS = 1500;

/** Times `n` calls of `fn` after untimed warm-up calls (the first compiles and allocates; then
 * more until WARMUP_MS have passed). `afterFirst()` runs after the first call, `afterWarmup()`
 * before the timed ones. Returns the statistics and `warmup`, the number of warm-up calls. */
export async function measure(fn, n, { afterFirst = () => {}, afterWarmup = () => {} } = {}) {
  const start = performance.now();
  let warmup = 0;
  do {
    await fn();
    if (++warmup === 1) afterFirst();
  } while (performance.now() - start < WARMUP_MS);
  afterWarmup();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { ...stats(times), warmup };
}

/** The page's strip of MNIST test digits, as raw IDX bytes. */
export async function fetchSamples() {
  const bytes = async (name) => new Uint8Array(await (await fetch(new URL(`../www/data/${name}`, import.meta.url))).arrayBuffer());
  return { images: await bytes('samples-images-idx3-ubyte'), labels: await bytes('samples-labels-idx1-ubyte') };
}

/** The query's `runs` (default 30) and `ops` (null: all). */
export function benchParams() {
  const params = new URLSearchParams(location.search);
  return {
    params,
    runs: Math.max(1, Number(params.get('runs') ?? 30)),
    only: params.get('ops')?.split(',').filter(Boolean) ?? null,
  };
}

/** Runs `body` and publishes its result as window.benchResult with <html data-done="true">, or
 * its error as window.benchError with data-done="error": tools/bench.mjs waits for either. */
export async function publish(body) {
  const out = document.getElementById('out');
  try {
    window.benchResult = await body((status) => (out.textContent = status));
    out.textContent = JSON.stringify(window.benchResult, null, 2);
    document.documentElement.dataset.done = 'true';
  } catch (error) {
    window.benchError = String(error?.stack ?? error);
    out.textContent = `failed: ${window.benchError}`;
    document.documentElement.dataset.done = 'error';
  }
}
