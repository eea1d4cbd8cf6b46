// "Newest input wins". Inputs may arrive far faster than the network answers (a pointer move
// per frame while drawing, or several with a pen). The scheduler
//   - starts at most one job per animation frame, and never two at once. A request made when
//     no job has started since the last frame began starts at once (at the next microtask
//     checkpoint, so that a burst of requests in one handler is one job), not at the next frame: a
//     drawing's reading then starts as the move arrives, and its answer is in the frame that
//     follows; only a second job in one frame waits for the next;
//   - keeps one pending input: a request made while a job runs replaces the previous pending one;
//   - numbers every request, and drops a result (or an error) if a newer request was made, or
//     `cancel()` was called, after its input was taken: what is shown always matches the input
//     that is current, or (`keep`, below) an earlier picture of the same stream, the current one
//     following; an error is shown only for the current input;
//   - aborts the job in flight (the AbortSignal `work` receives) when a newer request or
//     `cancel()` supersedes it: the engine then drops or stops the work behind it
//     (www/engine/client.js), and the next job follows. A request made with `{keep: true}`
//     (the next reading of the same stroke) lets the job in flight finish and shows its result,
//     the newer input following it: were each reading cancelled by the next, none would be
//     shown while a finger moved and the engine took longer than a frame to answer.
// It knows nothing of the page or of the network: `work(input, signal)` does the job.

/**
 * @template I, R
 * @param {(input: I, signal: AbortSignal) => Promise<R> | R} work
 * @param {{onResult: (result: R, input: I) => void, onError?: (error: Error, input: I) => void,
 *          nextFrame?: (fn: () => void) => void}} handlers
 */
export function createScheduler(work, { onResult, onError = (error) => console.error(error), nextFrame = requestAnimationFrame }) {
  let issued = 0; // number of the newest request
  let floor = 0; // the oldest request whose result may still be shown
  let pending = null; // {number, input}, waiting to start
  let running = false;
  let spent = false; // a job has started since the last frame began: the next one waits for a frame
  let frameAsked = false;
  let startAsked = false; // a start at the end of this task is queued
  let idleWaiters = []; // resolvers of whenIdle()
  let inFlight = null; // the AbortController of the job that runs

  function settleIfIdle() {
    if (running || pending) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  }

  /** At the next frame: this frame's job (if any) is behind us; start the one waiting. */
  function askFrame() {
    if (frameAsked) return;
    frameAsked = true;
    nextFrame(() => {
      frameAsked = false;
      spent = false;
      pump();
    });
  }

  function pump() {
    if (running || !pending) return;
    if (spent) return askFrame();
    if (startAsked) return;
    startAsked = true;
    queueMicrotask(() => {
      startAsked = false;
      if (!running && pending && !spent) start();
      else pump();
    });
  }

  async function start() {
    const { number, input } = pending;
    pending = null;
    running = true;
    spent = true;
    askFrame();
    const controller = new AbortController();
    inFlight = controller;
    try {
      const result = await work(input, controller.signal);
      if (number >= floor) onResult(result, input);
    } catch (error) {
      if (number === issued) onError(error, input);
    } finally {
      if (inFlight === controller) inFlight = null;
      running = false;
      pump();
      settleIfIdle();
    }
  }

  return {
    /** Asks for `input` to be processed; replaces any input still waiting. Returns its number.
     * `keep`: the job in flight is not superseded but finishes, and its result is shown. */
    request(input, { keep = false } = {}) {
      pending = { number: ++issued, input };
      if (!keep) {
        floor = issued;
        inFlight?.abort();
      }
      pump();
      return issued;
    },
    /** Forgets the pending input, and makes the job in flight (if any) come back to nobody. */
    cancel() {
      pending = null;
      floor = ++issued;
      inFlight?.abort();
      settleIfIdle();
    },
    /** Whether a job runs or waits. */
    get busy() {
      return running || pending !== null;
    },
    /** Resolves once no job runs or waits (at once if none does), after the last one's handler. */
    whenIdle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        settleIfIdle();
      });
    },
  };
}
