// All page state, declared once. Each entry gives its type, its default, and where it lives in
// the address: `hash` entries are written to the URL hash (`#sample=7&attack=pgd`) so a copied
// link restores them, and read back when the hash is edited; `query` entries are read once from
// the query string (`?backend=cpu`), since changing them needs a reload.
// Controls write with `set`; renderers subscribe and draw.

/**
 * @typedef {{type: 'number'|'digit'|'enum'|'string', default: any, hash?: boolean, query?: boolean,
 *            values?: string[], min?: number}} StateEntry
 */

/** @type {Record<string, StateEntry>} */
export const STATE_SPEC = {
  backend: { type: 'enum', values: ['auto', 'webgpu', 'cpu'], default: 'auto', query: true },
  sample: { type: 'number', default: null, hash: true, min: 0 }, // index of the picked MNIST sample
  attack: { type: 'enum', values: ['fgsm', 'bim', 'pgd', 'pgd-l2', 'mi-fgsm', 'deepfool', 'cw', 'jsma', 'few-pixel'], default: 'fgsm', hash: true },
  eps: { type: 'number', default: null, hash: true, min: 0 },
  target: { type: 'digit', default: null, hash: true },
};

/** A raw string from the address → a value of the entry's type, or its default. */
function parse(spec, raw) {
  if (raw == null || raw === '') return spec.default;
  switch (spec.type) {
    case 'number': {
      const v = Number(raw);
      return Number.isFinite(v) && v >= (spec.min ?? -Infinity) ? v : spec.default;
    }
    case 'digit': {
      const v = Number(raw);
      return Number.isInteger(v) && v >= 0 && v <= 9 ? v : spec.default;
    }
    case 'enum':
      return spec.values.includes(raw) ? raw : spec.default;
    default:
      return String(raw);
  }
}

export function createState({ spec = STATE_SPEC } = {}) {
  const values = {};
  const listeners = new Set();

  const readHash = () => new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const hash = readHash();
  for (const [key, entry] of Object.entries(spec)) {
    values[key] = parse(entry, entry.hash ? hash.get(key) : entry.query ? query.get(key) : null);
  }

  function writeHash() {
    const params = new URLSearchParams();
    for (const [key, entry] of Object.entries(spec)) {
      if (entry.hash && values[key] != null && values[key] !== entry.default) params.set(key, String(values[key]));
    }
    const text = params.toString();
    if (text === location.hash.slice(1)) return;
    history.replaceState(history.state, '', text ? `#${text}` : location.pathname + location.search);
  }

  const notify = (key) => {
    for (const fn of listeners) fn(key, values[key]);
  };

  // Someone edited the address (or followed a link within the page): adopt the hash entries.
  addEventListener('hashchange', () => {
    const params = readHash();
    for (const [key, entry] of Object.entries(spec)) {
      if (!entry.hash) continue;
      const value = parse(entry, params.get(key));
      if (Object.is(value, values[key])) continue;
      values[key] = value;
      notify(key);
    }
  });

  return {
    get: (key) => values[key],
    /** Sets `key` (parsed as its type; null restores the default) and tells the subscribers, even if unchanged. */
    set(key, value) {
      const entry = spec[key];
      if (!entry) throw new Error(`unknown state "${key}"`);
      values[key] = value == null ? entry.default : parse(entry, String(value));
      if (entry.hash) writeHash();
      notify(key);
    },
    /** `fn(key, value)` after every change. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
