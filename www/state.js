// All page state, declared once. Each entry gives its type, its default, and where it lives in
// the address: `hash` entries are written to the URL hash (`#sample=7&attack=pgd`) so a copied
// link restores them, and read back when the hash is edited; `query` entries are read once from
// the query string (`?backend=cpu`), since changing them needs a reload.
// Controls write with `set`; renderers subscribe and draw.
//
// A demo embedded in another page (<adversarial-digits>) keeps the same table but not in the
// address: `createState({address: false, initial})` starts from its `attribute`s and never
// touches the host page's URL.

import { MODEL_NAMES } from './models.js';

/**
 * @typedef {{type: 'number'|'digit'|'enum'|'string', default: any, hash?: boolean, query?: boolean,
 *            attribute?: string, values?: string[], min?: number, max?: number, pattern?: RegExp}} StateEntry
 */

/** @type {Record<string, StateEntry>} */
export const STATE_SPEC = {
  backend: { type: 'enum', values: ['auto', 'webgpu', 'cpu'], default: 'auto', query: true },
  model: { type: 'enum', values: MODEL_NAMES, default: 'standard', hash: true, attribute: 'model' }, // the network the demo uses
  sample: { type: 'number', default: null, hash: true, attribute: 'digit', min: 0 }, // index of the picked MNIST sample
  drawn: { type: 'string', default: null, hash: true, attribute: 'drawn', pattern: /^1[A-Za-z0-9_-]{1,2100}$/ }, // a drawn or uploaded digit (www/input/digit-code.js)
  // A method's name: the attack panel checks it against the engine's catalogue (an unknown one
  // falls back to the first method), so the list of methods is not repeated here.
  attack: { type: 'string', pattern: /^[a-z0-9-]{1,32}$/, default: 'fgsm', hash: true, attribute: 'attack' },
  eps: { type: 'number', default: null, hash: true, attribute: 'eps', min: 0 },
  steps: { type: 'number', default: null, hash: true, attribute: 'steps', min: 1, max: 1000 },
  pixels: { type: 'number', default: null, hash: true, attribute: 'pixels', min: 1, max: 784 }, // the few-pixel attack's budget
  queries: { type: 'number', default: null, hash: true, attribute: 'queries', min: 1, max: 10000 }, // a black-box attack's query budget
  eot: { type: 'number', default: 0, hash: true, attribute: 'eot', min: 0, max: 32 }, // transformations per step of EOT (0: off)
  target: { type: 'digit', default: null, hash: true, attribute: 'target' },
};

/** A lone change reaches the address in the next task, out of the handler that made it. Changes
 * that come in a burst (a stroke, a slider dragged: each within HASH_QUIET_MS of the last) are
 * written once the state has been still that long, and at the latest HASH_MAX_WAIT_MS after the
 * first one not written: each history.replaceState costs milliseconds of the page's thread (up
 * to 8 on a phone), which a frame of drawing cannot spare, and browsers throttle pages that call
 * it too often. */
const HASH_QUIET_MS = 200;
const HASH_MAX_WAIT_MS = 1000;

/** A raw string (from the address or an attribute) → a value of the entry's type, or its default. */
export function parseValue(spec, raw) {
  if (raw == null || raw === '') return spec.default;
  switch (spec.type) {
    case 'number': {
      const v = Number(raw);
      return Number.isFinite(v) && v >= (spec.min ?? -Infinity) && v <= (spec.max ?? Infinity) ? v : spec.default;
    }
    case 'digit': {
      const v = Number(raw);
      return Number.isInteger(v) && v >= 0 && v <= 9 ? v : spec.default;
    }
    case 'enum':
      return spec.values.includes(raw) ? raw : spec.default;
    default:
      return !spec.pattern || spec.pattern.test(raw) ? String(raw) : spec.default;
  }
}

/** The <adversarial-digits> attributes that set state: {attribute name: state key}. */
export const STATE_ATTRIBUTES = Object.fromEntries(
  Object.entries(STATE_SPEC).filter(([, entry]) => entry.attribute).map(([key, entry]) => [entry.attribute, key]),
);

/** `#key=value&…` for the `hash` entries of `values` that differ from their default ('' if none). */
export function hashOf(values, spec = STATE_SPEC) {
  const params = new URLSearchParams();
  for (const [key, entry] of Object.entries(spec)) {
    if (entry.hash && values[key] != null && values[key] !== entry.default) params.set(key, String(values[key]));
  }
  const text = params.toString();
  return text ? `#${text}` : '';
}

/**
 * @param {{spec?: Record<string, StateEntry>, address?: boolean, initial?: Record<string, any>}} [options]
 *   `address: false`: the state lives in memory only, starting from `initial` (raw values, parsed
 *   like the address's).
 */
export function createState({ spec = STATE_SPEC, address = true, initial = {} } = {}) {
  const values = {};
  const listeners = new Set();

  const readHash = () => new URLSearchParams(location.hash.slice(1));
  const query = address ? new URLSearchParams(location.search) : null;
  const hash = address ? readHash() : null;
  for (const [key, entry] of Object.entries(spec)) {
    const raw = !address ? initial[key] : entry.hash ? hash.get(key) : entry.query ? query.get(key) : null;
    values[key] = parseValue(entry, raw == null ? null : String(raw));
  }

  let timer = 0;
  let lastChange = -Infinity;
  let firstUnwritten = null; // when the oldest change the address does not show yet was made
  function writeHash() {
    clearTimeout(timer);
    timer = 0;
    firstUnwritten = null;
    const text = hashOf(values, spec);
    if (text.slice(1) === location.hash.slice(1)) return;
    history.replaceState(history.state, '', text || location.pathname + location.search);
  }
  function scheduleHashWrite() {
    if (!address) return;
    const now = performance.now();
    const burst = now - lastChange < HASH_QUIET_MS;
    lastChange = now;
    firstUnwritten ??= now;
    clearTimeout(timer);
    timer = setTimeout(writeHash, burst ? Math.max(0, Math.min(HASH_QUIET_MS, firstUnwritten + HASH_MAX_WAIT_MS - now)) : 0);
  }
  // Leaving the page: the address a Back or a restored tab comes back to holds the last change.
  if (address) addEventListener('pagehide', () => { if (timer) writeHash(); });

  const notify = (key) => {
    for (const fn of listeners) fn(key, values[key]);
  };

  // Someone edited the address (or followed a link within the page): adopt the hash entries.
  if (address) {
    addEventListener('hashchange', () => {
      clearTimeout(timer); // the address now wins over a write still waiting
      timer = 0;
      firstUnwritten = null;
      const params = readHash();
      for (const [key, entry] of Object.entries(spec)) {
        if (!entry.hash) continue;
        const value = parseValue(entry, params.get(key));
        if (Object.is(value, values[key])) continue;
        values[key] = value;
        notify(key);
      }
    });
  }

  return {
    get: (key) => values[key],
    /** Sets `key` (parsed as its type; null restores the default) and tells the subscribers, even if unchanged. */
    set(key, value) {
      const entry = spec[key];
      if (!entry) throw new Error(`unknown state "${key}"`);
      values[key] = value == null ? entry.default : parseValue(entry, String(value));
      if (entry.hash) scheduleHashWrite();
      notify(key);
    },
    /** `fn(key, value)` after every change. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** A copy of every value. */
    values: () => ({ ...values }),
    /** The hash that restores this state (`#sample=7&eps=0.2`, or ''), as `hashOf` writes it. */
    hash: () => hashOf(values, spec),
  };
}
