#!/usr/bin/env node
// A dependency-free static server for the project root: correct MIME types (wasm included),
// security headers set in one place (HEADERS), no directory traversal, GET and HEAD only.
// Files are revalidated, not re-downloaded (an ETag per content; `If-None-Match` gets 304), and
// sent compressed as a static host would: Brotli to browsers that accept it (every current one
// does, https or localhost), else gzip. Brotli's smallest form takes seconds for a wasm build, so
// a file's first request gets a quick one (quality 5, what CDNs use on the fly) and the smallest
// (quality 11, what a host's build step would store) replaces it once made in the background,
// and is kept in the system's temporary folder for the next server process.
//
//   node tools/serve.mjs [--port 8080] [--host 127.0.0.1] [--root DIR]      (--port 0: a free port)
//
// Tests import `startServer`; its `routes` option serves extra in-memory files at fixed paths of
// the same origin (fault injection: a damaged weights file for the page's `?weights=` parameter).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { brotliCompress, brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { extname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip',
};
const DEFAULT_TYPE = 'application/octet-stream'; // IDX data files, SOURCE_HASH, anything unknown
/** Already-compressed formats, sent as they are. */
const INCOMPRESSIBLE = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.ico', '.gz']);

/**
 * A file's bytes, its ETag (a hash of the content: a rebuilt wasm or retrained weights get a new
 * one) and, made on first request, its gzip and Brotli forms; kept per path while its size and
 * mtime stay.
 */
const fileCache = new Map();
async function cachedFile(path, info) {
  const key = `${info.size}:${info.mtimeMs}`;
  const hit = fileCache.get(path);
  if (hit?.key === key) return hit;
  const body = await readFile(path);
  const entry = { key, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, gzip: null, br: null };
  fileCache.set(path, entry);
  return entry;
}

const brotliOptions = (body, quality) => ({ params: { [zlibConstants.BROTLI_PARAM_QUALITY]: quality, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } });
/** The smallest Brotli forms still being made. */
const compressing = new Set();
/** Where the smallest forms are kept between server processes (each test file starts its own
 * server: seconds of CPU each for the wasm builds), by content hash. */
const BROTLI_CACHE = join(tmpdir(), 'adversarial-digits-brotli');
/** A file's Brotli form: the quick one at once, the smallest once made (in the background). */
function brotliOf(file) {
  if (file.br) return file.br;
  const kept = join(BROTLI_CACHE, `${file.etag.slice(1, -1)}.br`);
  try {
    file.br = readFileSync(kept);
    return file.br;
  } catch {
    // Not made yet.
  }
  file.br = brotliCompressSync(file.body, brotliOptions(file.body, 5));
  const smallest = new Promise((done) => brotliCompress(file.body, brotliOptions(file.body, 11), (error, result) => {
    if (!error) {
      file.br = result;
      try {
        mkdirSync(BROTLI_CACHE, { recursive: true });
        writeFileSync(`${kept}.${process.pid}`, result);
        renameSync(`${kept}.${process.pid}`, kept); // whole, or not at all
      } catch {
        // Kept in memory only.
      }
    }
    done();
  }));
  compressing.add(smallest);
  smallest.then(() => compressing.delete(smallest));
  return file.br;
}

/** The quality factor `header` (an `Accept-Encoding`) gives `coding`: its own, else `*`'s, else 0. */
function acceptance(header, coding) {
  let star = 0;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q ? Number(q.slice(2)) : 1;
    if (name === coding) return value;
    if (name === '*') star = value;
  }
  return star;
}

/** The coding to send for an `Accept-Encoding` header: 'br', 'gzip' or null (as it is). Brotli
 * wins where both are accepted: a fourth smaller for the wasm builds. */
export function chooseEncoding(header = '') {
  const br = acceptance(header, 'br');
  const gzip = acceptance(header, 'gzip');
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return null;
}

/**
 * Headers every response carries. The page may load only its own files, WebAssembly may compile
 * (`wasm-unsafe-eval`, not `unsafe-eval`), nothing may be posted anywhere. Add headers here.
 */
export const HEADERS = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Stored, but checked with the server before each use (ETag): a returning reader downloads
  // nothing that did not change, and never runs a stale wasm against newer page modules.
  'Cache-Control': 'no-cache',
  // <adversarial-digits> on other sites: module scripts, the wasm and the weights are fetched
  // with CORS from there. The files are public; nothing here depends on cookies.
  'Access-Control-Allow-Origin': '*',
};

/**
 * Headers that replace HEADERS' for one path. The exercise worker (www/exercise-worker.js) runs
 * learner code, so it needs eval, which the page must never have; a worker's policy is the one
 * sent with its script, not its page's. This one allows eval and nothing else: no script, no
 * fetch, no connection of any kind (default-src 'none').
 */
export const PATH_HEADERS = {
  '/www/exercise-worker.js': {
    'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-eval'",
  },
};

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Whether `path` is `root` or lies under it (both absolute, resolved). */
function isInside(root, path) {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Maps a request path to a file under `root` (whose real path is `realRoot`), or throws an HttpError. */
async function resolveFile(root, realRoot, pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'bad request: malformed percent-encoding');
  }
  if (path.includes('\0') || path.includes('\\')) throw new HttpError(400, 'bad request');
  const file = resolve(root, `.${path.startsWith('/') ? '' : '/'}${path}`);
  if (!isInside(root, file)) throw new HttpError(403, 'forbidden');
  let real;
  let info;
  try {
    real = await realpath(file);
    info = await stat(real);
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw new HttpError(404, 'not found');
    throw error;
  }
  if (!isInside(realRoot, real)) throw new HttpError(403, 'forbidden'); // a symbolic link out of the root
  if (info.isDirectory()) {
    // `/bench` → `/bench/`, so that the page's relative URLs resolve. One leading slash only:
    // `//host/` would send the browser to another origin.
    if (!pathname.endsWith('/')) return { redirect: `/${pathname.replace(/^\/+/, '')}/` };
    const index = join(real, 'index.html');
    const indexInfo = await stat(index).catch(() => null);
    if (indexInfo?.isFile()) return { file: index, info: indexInfo };
    throw new HttpError(404, 'not found');
  }
  if (!info.isFile()) throw new HttpError(404, 'not found');
  return { file: real, info };
}

/**
 * Starts the server. Resolves to {server, url, port, close()}.
 * @param {{port?: number, host?: string, root?: string,
 *   routes?: Record<string, {body: Buffer|Uint8Array|string, type?: string, status?: number}>,
 *   headers?: Record<string, string|null>, pathHeaders?: Record<string, Record<string, string|null>>,
 *   log?: (line: string) => void}} options
 *   `routes`: in-memory responses by exact path (query ignored), checked before the files.
 *   `headers`: extra or replacing headers for every response (null: leave that header out).
 *   `pathHeaders`: headers for one path each, over the others (default PATH_HEADERS).
 */
export async function startServer({ port = 8080, host = '127.0.0.1', root = ROOT, routes = {}, headers = {}, pathHeaders = PATH_HEADERS, log, brotli = true } = {}) {
  root = resolve(root);
  const realRoot = await realpath(root);
  const common = { ...HEADERS, ...headers };
  const withoutNulls = (all) => Object.fromEntries(Object.entries(all).filter(([, value]) => value != null));
  const server = createServer(async (request, response) => {
    let own = {}; // this path's headers, once the path is known
    // `body` null: a response without content (304), so without Content-Type and Content-Length.
    const send = (status, type, body, extra = {}) => {
      const entity = body === null ? {} : { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) };
      response.writeHead(status, withoutNulls({ ...common, ...own, ...entity, ...extra }));
      response.end(request.method === 'HEAD' || body === null ? undefined : body);
      log?.(`${status} ${request.method} ${request.url}`);
    };
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return send(405, 'text/plain; charset=utf-8', 'method not allowed', { Allow: 'GET, HEAD' });
      }
      const { pathname, search } = new URL(request.url, 'http://localhost');
      if (Object.hasOwn(pathHeaders, pathname)) own = pathHeaders[pathname];
      const route = Object.hasOwn(routes, pathname) ? routes[pathname] : null;
      if (route) return send(route.status ?? 200, route.type ?? DEFAULT_TYPE, Buffer.from(route.body));
      const found = await resolveFile(root, realRoot, pathname);
      if (found.redirect) {
        const location = found.redirect + search;
        return send(301, 'text/plain; charset=utf-8', `moved to ${location}`, { Location: location });
      }
      const extension = extname(found.file).toLowerCase();
      const type = MIME[extension] ?? DEFAULT_TYPE;
      const file = await cachedFile(found.file, found.info);
      const validators = { ETag: file.etag, Vary: 'Accept-Encoding' };
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) {
        return send(304, null, null, validators);
      }
      // `brotli: false` is a host that sends gzip only (GitHub Pages, say): what the bench compares.
      const accepted = brotli ? request.headers['accept-encoding'] : `br;q=0, ${request.headers['accept-encoding'] ?? ''}`;
      const coding = file.body.length > 1024 && !INCOMPRESSIBLE.has(extension) ? chooseEncoding(accepted) : null;
      if (coding === 'br') return send(200, type, brotliOf(file), { ...validators, 'Content-Encoding': 'br' });
      if (coding === 'gzip') {
        file.gzip ??= gzipSync(file.body, { level: 9 });
        return send(200, type, file.gzip, { ...validators, 'Content-Encoding': 'gzip' });
      }
      send(200, type, file.body, validators);
    } catch (error) {
      if (error instanceof HttpError) return send(error.status, 'text/plain; charset=utf-8', error.message);
      console.error(`serve.mjs: ${request.method} ${request.url}: ${error.stack ?? error}`);
      send(500, 'text/plain; charset=utf-8', 'server error');
    }
  });
  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const actualPort = server.address().port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: actualPort,
    url: `http://${shownHost}:${actualPort}`,
    /** Resolves once every file sent so far has its smallest Brotli form (a bench measures what a host that stores them would send). */
    compressed: async () => { while (compressing.size) await Promise.all(compressing); },
    close: () =>
      new Promise((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections?.();
      }),
  };
}

function parseArgs(argv) {
  const options = { port: 8080, host: '127.0.0.1', root: ROOT };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port': {
        const v = value();
        options.port = Number(v);
        if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error(`--port: not a port number: ${v}`);
        break;
      }
      case '--host': options.host = value(); break;
      case '--root': options.root = resolve(value()); break;
      case '-h':
      case '--help':
        console.log('usage: node tools/serve.mjs [--port N (default 8080, 0 = any free port)] [--host H (default 127.0.0.1)] [--root DIR]');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument: ${argv[i]} (try --help)`);
    }
  }
  return options;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`serve.mjs: ${error.message}`);
    process.exit(2);
  }
  try {
    const { url } = await startServer(options);
    console.log(`adversarial-digits is served at ${url}/  (Ctrl+C to stop)`);
  } catch (error) {
    const hint = error.code === 'EADDRINUSE' ? ` (port ${options.port} is taken: try --port 0 or another number)` : '';
    console.error(`serve.mjs: cannot listen on ${options.host}:${options.port}: ${error.message}${hint}`);
    process.exit(1);
  }
}
