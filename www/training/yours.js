// The reader's own network, "yours": its weights (safetensors bytes, the README's PyTorch
// layout) and what it was trained with. One at a time, kept in this browser's IndexedDB so that
// it survives a reload, and nowhere else: nothing leaves the reader's browser. Where IndexedDB is
// refused (some private windows, an embed in a third-party frame) it lives until the page closes,
// and `persistent` says so.

const DB = 'adversarial-digits';
const STORE = 'networks';
const KEY = 'yours';

/** @type {{weights: Uint8Array, meta: object, version: number}|null} */
let current = null;
let version = 0;
/** Whether the network is kept across reloads (false: IndexedDB refused, with the reason). */
export const storage = { persistent: true, reason: null };
const listeners = new Set();

function open() {
  return new Promise((resolve, reject) => {
    let request;
    try {
      request = indexedDB.open(DB, 1);
    } catch (error) {
      reject(error);
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('another tab holds an older version of the store'));
  });
}

async function transaction(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the browser stopped the transaction'));
    });
  } finally {
    db.close();
  }
}

function changed() {
  for (const fn of listeners) fn(current);
}

/** `fn(yours or null)` whenever the reader's network changes. */
export function onYoursChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The reader's network now: {weights, meta, version}, or null. */
export const yours = () => current;

let restored = null;
/** Reads the network kept by an earlier visit (once per page): resolves to it, or null. */
export function restoreYours() {
  restored ??= (async () => {
    if (typeof indexedDB === 'undefined') {
      Object.assign(storage, { persistent: false, reason: 'this browser offers no IndexedDB' });
      return null;
    }
    try {
      const kept = await transaction('readonly', (store) => store.get(KEY));
      if (kept?.weights && !current) {
        current = { weights: new Uint8Array(kept.weights), meta: kept.meta ?? {}, version: ++version };
        changed();
      }
    } catch (error) {
      Object.assign(storage, { persistent: false, reason: `this browser refused to keep it (${error?.message ?? error})` });
    }
  })();
  // The network now: one saved after the restore (or forgotten since) counts.
  return restored.then(() => current);
}

/** Makes `weights` (checked safetensors bytes) the reader's network and keeps it. */
export async function saveYours(weights, meta = {}) {
  current = { weights, meta: { ...meta, savedAt: new Date().toISOString() }, version: ++version };
  changed();
  if (!storage.persistent && storage.reason?.includes('no IndexedDB')) return current;
  try {
    await transaction('readwrite', (store) => store.put({ weights: weights.slice().buffer, meta: current.meta }, KEY));
    Object.assign(storage, { persistent: true, reason: null });
  } catch (error) {
    Object.assign(storage, { persistent: false, reason: `this browser refused to keep it (${error?.message ?? error})` });
  }
  return current;
}

/** Forgets the reader's network, here and in IndexedDB. */
export async function forgetYours() {
  current = null;
  changed();
  if (typeof indexedDB === 'undefined') return;
  try {
    await transaction('readwrite', (store) => store.delete(KEY));
  } catch {
    // Nothing was kept.
  }
}
