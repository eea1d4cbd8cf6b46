// Runs learner code in www/exercise-worker.js with a time limit, answering its `gradient` and
// `classify` calls with the engine. A new worker for every run: a stopped one is gone for good,
// and no run sees what the previous one left behind.

const WORKER = new URL('./exercise-worker.js', import.meta.url);

export class TimeLimitError extends Error {
  constructor(seconds) {
    super(`stopped after ${seconds} s: the code was still running (a loop that never ends?)`);
    this.name = 'TimeLimitError';
  }
}

/**
 * @param {{code: string, entry?: string, args: {pixels: Float32Array, label: number, eps?: number},
 *   engine: {gradient: Function, classify: Function}, timeLimitSeconds?: number,
 *   onLog?: (line: string) => void}} run
 * @returns {Promise<{pixels: Float32Array, calls: {gradient: number, classify: number}}>}
 *   rejects with the learner's error, or a TimeLimitError.
 */
export function runLearnerCode({ code, entry = 'attack', args, engine, timeLimitSeconds = 10, onLog = () => {} }) {
  return new Promise((resolve, reject) => {
    let worker;
    try {
      worker = new Worker(WORKER);
    } catch (error) {
      reject(new Error(`the code runner could not start (${error.message}); it must come from the same site as this page`));
      return;
    }
    const calls = { gradient: 0, classify: 0 };
    let finished = false;
    const finish = (settle, value) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      worker.terminate();
      settle(value);
    };
    const timer = setTimeout(() => finish(reject, new TimeLimitError(timeLimitSeconds)), timeLimitSeconds * 1000);

    worker.onerror = (event) => {
      event.preventDefault();
      finish(reject, new Error(event.message || 'the code runner failed to start'));
    };
    worker.onmessage = async ({ data }) => {
      switch (data.type) {
        case 'log':
          onLog(String(data.text).slice(0, 2000));
          break;
        case 'done':
          finish(resolve, { pixels: Float32Array.from(data.pixels), calls });
          break;
        case 'error':
          finish(reject, new Error(data.message));
          break;
        case 'call': {
          let reply;
          try {
            if (data.op === 'gradient') {
              calls.gradient++;
              reply = { value: Array.from(await engine.gradient(Float32Array.from(data.args[0]), data.args[1])) };
            } else if (data.op === 'classify') {
              calls.classify++;
              const { label, probabilities } = await engine.classify(Float32Array.from(data.args[0]));
              reply = { value: { label, probabilities: Array.from(probabilities) } };
            } else {
              reply = { error: `unknown call ${data.op}` };
            }
          } catch (error) {
            reply = { error: `${data.op}() failed: ${error.message}` };
          }
          if (!finished) worker.postMessage({ type: 'reply', id: data.id, ...reply });
          break;
        }
        default:
          break;
      }
    };
    worker.postMessage({ type: 'run', code, entry, args: { ...args, pixels: Array.from(args.pixels) } });
  });
}
