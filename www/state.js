// All page state, declared once. Each entry says its type, its default, and whether it lives
// in the URL hash (so a copied link restores it). Controls write with `set`; renderers
// subscribe and only draw.

/** @type {Record<string, {type: 'string'|'number'|'digit'|'enum', default: any, hash: boolean, values?: string[]}>} */
export const STATE_SPEC = {
  backend: { type: 'enum', values: ['auto', 'webgpu', 'cpu'], default: 'auto', hash: false }, // from ?backend=
  sample: { type: 'number', default: null, hash: true }, // index of the picked MNIST sample
  attack: { type: 'enum', values: ['fgsm', 'bim', 'pgd', 'pgd-l2', 'mi-fgsm', 'deepfool', 'cw', 'jsma', 'few-pixel'], default: 'fgsm', hash: true },
  eps: { type: 'number', default: null, hash: true },
  target: { type: 'digit', default: null, hash: true },
};

function parse(spec, raw) {
  if (raw == null || raw === '') return spec.default;
  switch (spec.type) {
    case 'number': { const v = Number(raw); return Number.isFinite(v) ? v : spec.default; }
    case 'digit': { const v = Number(raw); return Number.isInteger(v) && v >= 0 && v <= 9 ? v : spec.default; }
    case 'enum': return spec.values.includes(raw) ? raw : spec.default;
    default: return String(raw);
  }
}

export function createState() {
  const query = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.slice(1));
  const values = {};
  for (const [key, spec] of Object.entries(STATE_SPEC)) {
    values[key] = parse(spec, spec.hash ? hash.get(key) : query.get(key));
  }
  const listeners = new Set();
  const writeHash = () => {
    const params = new URLSearchParams();
    for (const [key, spec] of Object.entries(STATE_SPEC)) {
      if (spec.hash && values[key] != null && values[key] !== spec.default) params.set(key, String(values[key]));
    }
    const text = params.toString();
    history.replaceState(null, '', text ? `#${text}` : location.pathname + location.search);
  };
  return {
    get: (key) => values[key],
    set(key, value) {
      const spec = STATE_SPEC[key];
      if (!spec) throw new Error(`unknown state ${key}`);
      values[key] = value == null ? spec.default : parse(spec, String(value));
      if (spec.hash) writeHash();
      for (const fn of listeners) fn(key, values[key]);
    },
    subscribe: (fn) => listeners.add(fn),
  };
}
