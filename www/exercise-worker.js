// Runs a learner's code for an exercise, away from the page: a dedicated worker has no DOM, and
// the page stops it after the exercise's time limit (a loop that never ends cannot freeze the
// page). The network is reached only through `gradient` and `classify`, which ask the page by
// message.
//
// Evaluating code needs 'unsafe-eval', which the page's own policy forbids. tools/serve.mjs sends
// this script its own Content-Security-Policy (eval allowed, nothing may be fetched or imported);
// where a host sends no headers, the removals below still take the network functions away (see
// README, "For course authors").
'use strict';

const post = self.postMessage.bind(self);
const RESULT_PIXELS = 784;

// No way out: nothing to fetch with, no other worker to start, no storage to write.
for (const name of ['fetch', 'XMLHttpRequest', 'WebSocket', 'WebTransport', 'EventSource', 'importScripts', 'Worker', 'SharedWorker',
  'BroadcastChannel', 'indexedDB', 'caches', 'CacheStorage', 'FileReaderSync', 'RTCPeerConnection']) {
  try {
    delete self[name];
  } catch {
    // a property that cannot be deleted is hidden below
  }
  if (name in self) {
    try {
      Object.defineProperty(self, name, { value: undefined, writable: false, configurable: false });
    } catch {
      self[name] = undefined;
    }
  }
}

let nextCall = 0;
const waiting = new Map(); // call number → {resolve, reject}

function ask(op, ...args) {
  const id = ++nextCall;
  post({ type: 'call', id, op, args });
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

const text = (value) => {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, (_, v) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : v));
  } catch {
    return String(value);
  }
};
const log = (...values) => post({ type: 'log', text: values.map(text).join(' ') });
for (const level of ['log', 'info', 'warn', 'error', 'debug']) console[level] = log;

/** What learner code gets: the network, by message. */
const network = {
  /** Gradient of the loss of `label` at `pixels`: a Float32Array of 784 values. */
  gradient: (pixels, label) => ask('gradient', Array.from(pixels), label).then((g) => Float32Array.from(g)),
  /** {label, probabilities} for 784 pixels. */
  classify: (pixels) => ask('classify', Array.from(pixels)),
};

async function run({ code, entry, args }) {
  if (!/^[A-Za-z_$][\w$]*$/.test(entry)) throw new Error(`the exercise names no valid function (${entry})`);
  // The learner's code in a function of its own: its names stay inside; `gradient`, `classify`
  // and `log` are in scope.
  const define = new Function('gradient', 'classify', 'log', `"use strict";\n${code}\n;return typeof ${entry} === 'function' ? ${entry} : undefined;`);
  const fn = define(network.gradient, network.classify, log);
  if (!fn) throw new Error(`define a function named ${entry}`);
  const result = await fn(Float32Array.from(args.pixels), args.label, args.eps);
  if (result == null || typeof result.length !== 'number') throw new Error(`${entry} must return the 784 pixels of the new image (it returned ${text(result)})`);
  if (result.length !== RESULT_PIXELS) throw new Error(`${entry} must return 784 pixels, it returned ${result.length}`);
  return Array.from(result, Number);
}

self.onmessage = async ({ data }) => {
  if (data.type === 'reply') {
    const call = waiting.get(data.id);
    waiting.delete(data.id);
    if (data.error) call?.reject(new Error(data.error));
    else call?.resolve(data.value);
    return;
  }
  if (data.type !== 'run') return;
  try {
    post({ type: 'done', pixels: await run(data) });
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : text(error) });
  }
};
