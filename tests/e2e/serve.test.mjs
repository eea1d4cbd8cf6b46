// The static server (tools/serve.mjs): MIME types the browser insists on, headers, no way out
// of the project root, GET/HEAD only, in-memory fault routes. No browser needed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { HEADERS, chooseEncoding, startServer } from '../../tools/serve.mjs';
import { ROOT } from './helpers.mjs';

/** A raw request: the path is sent as is (fetch() would normalise `..` away). */
function raw(url, path, method = 'GET', headers = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('tools/serve.mjs', () => {
  let server;
  let outside;
  before(async () => {
    // A root with a secret beside it and a symbolic link pointing out.
    const base = mkdtempSync(join(tmpdir(), 'serve-test-'));
    outside = join(base, 'secret.txt');
    writeFileSync(outside, 'secret');
    const root = join(base, 'root');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>root</title>');
    writeFileSync(join(root, 'sub', 'index.html'), '<!doctype html><title>sub</title>');
    for (const name of ['a.wasm', 'a.mjs', 'a.js', 'a.css', 'w.safetensors', 'a.json', 'a.png', 'a.svg', 'data-idx3-ubyte']) writeFileSync(join(root, name), 'x');
    symlinkSync(outside, join(root, 'link-out.txt'));
    mkdirSync(join(root, 'emptydir'));
    server = await startServer({
      port: 0,
      root,
      routes: { '/fault/broken.safetensors': { body: Buffer.from([1, 2, 3]), type: 'application/octet-stream' } },
    });
  });
  after(async () => server?.close());

  test('MIME types', async () => {
    const expected = {
      '/a.wasm': 'application/wasm',
      '/a.mjs': 'text/javascript; charset=utf-8',
      '/a.js': 'text/javascript; charset=utf-8',
      '/a.css': 'text/css; charset=utf-8',
      '/w.safetensors': 'application/octet-stream',
      '/a.json': 'application/json; charset=utf-8',
      '/a.png': 'image/png',
      '/a.svg': 'image/svg+xml',
      '/data-idx3-ubyte': 'application/octet-stream',
      '/': 'text/html; charset=utf-8',
    };
    for (const [path, type] of Object.entries(expected)) {
      const res = await raw(server.url, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], type, path);
    }
  });

  test('every response carries the security headers, errors included', async () => {
    for (const path of ['/', '/a.wasm', '/missing', '/../secret.txt']) {
      const res = await raw(server.url, path);
      for (const [name, value] of Object.entries(HEADERS)) assert.equal(res.headers[name.toLowerCase()], value, `${name} on ${path}`);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
    assert.match(HEADERS['Content-Security-Policy'], /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(HEADERS['Content-Security-Policy'], /'unsafe-eval'|'unsafe-inline'/);
  });

  test('nothing outside the root can be read', async () => {
    for (const path of ['/../secret.txt', '/..%2Fsecret.txt', '/%2e%2e/secret.txt', '/sub/../../secret.txt', '/%2e%2e%2fsecret.txt', '/link-out.txt', '/..\\secret.txt', '/a.wasm%00.txt']) {
      const res = await raw(server.url, path);
      assert.ok([400, 403, 404].includes(res.status), `${path}: HTTP ${res.status}`);
      assert.doesNotMatch(res.body.toString(), /secret/, path);
    }
    assert.equal((await raw(server.url, '/%E0%A4%A')).status, 400);
  });

  test('directories: index.html, a redirect to the trailing slash, 404 without an index', async () => {
    assert.match((await raw(server.url, '/sub/')).body.toString(), /<title>sub/);
    const moved = await raw(server.url, '/sub?x=1');
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, '/sub/?x=1');
    // Never a redirect to another host (`//host/` is protocol-relative).
    const sneaky = await raw(server.url, '/..//sub');
    assert.equal(sneaky.status, 301);
    assert.equal(sneaky.headers.location, '/sub/');
    assert.equal((await raw(server.url, '/emptydir/')).status, 404);
    assert.equal((await raw(server.url, '/missing.js')).status, 404);
  });

  test('GET and HEAD only; HEAD sends no body', async () => {
    const head = await raw(server.url, '/a.wasm', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '1');
    assert.equal(head.body.length, 0);
    const post = await raw(server.url, '/a.wasm', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('a returning browser revalidates (ETag, 304 without a body) and gets gzip when it asks', async () => {
    const project = await startServer({ port: 0, root: ROOT });
    try {
      const path = '/models/standard.i8.safetensors';
      const original = readFileSync(join(ROOT, path.slice(1)));
      const first = await raw(project.url, path);
      assert.equal(first.status, 200);
      assert.ok(first.body.equals(original));
      assert.match(first.headers.etag, /^"[\w-]{27}"$/);
      assert.equal(first.headers['cache-control'], 'no-cache');

      const again = await raw(project.url, path, 'GET', { 'If-None-Match': first.headers.etag });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, first.headers.etag);
      assert.equal(again.headers['content-security-policy'], HEADERS['Content-Security-Policy']);
      const other = await raw(project.url, '/models/robust.i8.safetensors', 'GET', { 'If-None-Match': first.headers.etag });
      assert.equal(other.status, 200, 'another file has another tag');

      const wasmPath = '/pkg/cpu/adversarial_digits_bg.wasm';
      const wasmBytes = readFileSync(join(ROOT, wasmPath.slice(1)));
      const wasm = await raw(project.url, wasmPath, 'GET', { 'Accept-Encoding': 'br;q=0.5, gzip;q=0.8' });
      assert.equal(wasm.headers['content-encoding'], 'gzip');
      assert.equal(wasm.headers.vary, 'Accept-Encoding');
      assert.ok(gunzipSync(wasm.body).equals(wasmBytes));
      assert.ok(wasm.body.length < gunzipSync(wasm.body).length / 2);
      // Brotli where it is accepted as well as gzip: the quick form first (or the smallest, if an
      // earlier server process made it), the smallest once made.
      const quick = await raw(project.url, wasmPath, 'GET', { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
      assert.equal(quick.headers['content-encoding'], 'br');
      assert.ok(brotliDecompressSync(quick.body).equals(wasmBytes));
      assert.ok(quick.body.length < wasm.body.length, 'Brotli is smaller than gzip');
      await project.compressed();
      const smallest = await raw(project.url, wasmPath, 'GET', { 'Accept-Encoding': 'br' });
      assert.ok(brotliDecompressSync(smallest.body).equals(wasmBytes));
      assert.ok(smallest.body.length <= quick.body.length);
      // Quality 11's size (about two thirds of gzip's for this wasm; quality 5's is over three quarters).
      assert.ok(smallest.body.length < 0.7 * wasm.body.length, `the smallest form is ${smallest.body.length} B, gzip ${wasm.body.length} B`);
      assert.equal(smallest.headers.etag, wasm.headers.etag, 'one content, one tag, whatever the coding');
      // A host that sends gzip only (the bench's comparison): gzip to a browser that accepts both.
      const gzipOnly = await startServer({ port: 0, root: ROOT, brotli: false });
      try {
        const sent = await raw(gzipOnly.url, wasmPath, 'GET', { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
        assert.equal(sent.headers['content-encoding'], 'gzip');
        assert.ok(gunzipSync(sent.body).equals(wasmBytes));
      } finally {
        await gzipOnly.close();
      }
      const refused = await raw(project.url, '/pkg/cpu/adversarial_digits_bg.wasm', 'GET', { 'Accept-Encoding': 'gzip;q=0, identity' });
      assert.equal(refused.headers['content-encoding'], undefined);
      const png = await raw(project.url, '/docs/screenshot.png', 'GET', { 'Accept-Encoding': 'gzip' });
      assert.equal(png.headers['content-encoding'], undefined, 'PNG is compressed already');
    } finally {
      await project.close();
    }
  });

  test('Accept-Encoding parsing', () => {
    // gzip: accepted by name or by `*`, refused by q=0 or by leaving it out.
    assert.equal(chooseEncoding('gzip, deflate, br;q=0'), 'gzip');
    assert.equal(chooseEncoding('br'), 'br');
    assert.equal(chooseEncoding('gzip;q=0'), null);
    assert.equal(chooseEncoding('br;q=0, gzip;q=0'), null);
    assert.equal(chooseEncoding('gzip, deflate, br, zstd'), 'br');
    assert.equal(chooseEncoding('gzip, deflate'), 'gzip');
    assert.equal(chooseEncoding('br;q=0, gzip'), 'gzip');
    assert.equal(chooseEncoding('br;q=0.2, gzip;q=0.9'), 'gzip');
    assert.equal(chooseEncoding('*'), 'br');
    assert.equal(chooseEncoding('*, br;q=0'), 'gzip');
    assert.equal(chooseEncoding('identity'), null);
    assert.equal(chooseEncoding(''), null);
  });

  test('in-memory routes (fault injection) are served at their path, query ignored', async () => {
    const res = await raw(server.url, '/fault/broken.safetensors?v=1');
    assert.equal(res.status, 200);
    assert.deepEqual([...res.body], [1, 2, 3]);
  });

  test('the project itself: the wasm, the weights and the page are served with the right types', async () => {
    const project = await startServer({ port: 0, root: ROOT });
    try {
      const wasm = await raw(project.url, '/pkg/adversarial_digits_bg.wasm', 'HEAD');
      assert.equal(wasm.status, 200);
      assert.equal(wasm.headers['content-type'], 'application/wasm');
      const weights = await raw(project.url, '/models/standard.safetensors');
      assert.equal(weights.headers['content-type'], 'application/octet-stream');
      assert.ok(weights.body.equals(readFileSync(join(ROOT, 'models/standard.safetensors'))));
      assert.equal((await raw(project.url, '/')).headers['content-type'], 'text/html; charset=utf-8');
    } finally {
      await project.close();
    }
  });

  test('the command line prints its URL, takes --port 0, and refuses unknown arguments', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'tools/serve.mjs'), '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
          if (m) resolve(m[0]);
        });
        child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
        setTimeout(() => reject(new Error('no URL printed in 10 s')), 10_000).unref();
      });
      const res = await raw(line, '/index.html', 'HEAD');
      assert.equal(res.status, 200);
    } finally {
      child.kill();
    }
    const bad = spawn(process.execPath, [join(ROOT, 'tools/serve.mjs'), '--nonsense'], { stdio: 'ignore' });
    assert.equal(await new Promise((resolve) => bad.on('exit', resolve)), 2);
  });
});
