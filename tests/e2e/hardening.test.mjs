// Hardening (issue 8): the page under faults and abuse.
//   - GPU faults: a lost device, a refused device, a shader that fails to compile and a buffer
//     that cannot be allocated after start-up. The page must go on, on the CPU, say why in the
//     footer, keep the reader's drawing, and never show a result computed by a failed device.
//   - Privacy and security: the Content-Security-Policy is the same in the header and the page,
//     and enforced (inline script, eval, inline style all blocked); no reader text goes through
//     an HTML parser; SVG is never rendered; nothing but the site's own files is requested.
//   - Stress: 1,000 ε changes and 1,000 strokes; the page stays responsive, ends on the newest
//     input, and its memory (JS heap, WebAssembly) stays flat. The main page and two embeds at once.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HEADERS } from '../../tools/serve.mjs';
import { MODES, ROOT, SEVEN, afterNext, attackPanelIdle, count, inEngine, launch, mnistTest, mode as modeNamed, predictionAfter, report, settle, shownLabel, stroke } from './helpers.mjs';

// ---------------------------------------------------------------------------------------------
// Shared helpers.

/** Which pixels of the drawing canvas hold ink, as a string of 0s and 1s. */
const inkMask = (page) => page.evaluate(() => {
  const canvas = document.getElementById('draw-canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let mask = '';
  for (let i = 0; i < data.length; i += 4) mask += data[i] < 128 ? '1' : '0';
  return mask;
});

const attackResults = (page) => count(page, '#attack-panel', 'results');

/** Runs `action` and waits for the attack panel's next result. */
const nextAttack = (page, action, timeout = 120_000) => afterNext(page, '#attack-panel', 'results', action, { timeout });

/** Sets the ε slider as a drag does: a new value and an `input` event. */
const setEps = (page, value) => page.evaluate((v) => {
  const input = document.getElementById('attack-eps');
  input.value = String(v);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}, value);


/** The page answers: a frame is drawn. (A bound on failure, not a timing assertion.) */
const frameAnswers = (page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(true))));

/** A PNG of a 28x28 digit, white on black, 10x upscaled, made by the browser. */
async function digitPng(page, pixels) {
  const base64 = await page.evaluate(async (pixels) => {
    const canvas = new OffscreenCanvas(280, 280);
    const ctx = canvas.getContext('2d');
    const image = ctx.createImageData(280, 280);
    for (let y = 0; y < 280; y++) {
      for (let x = 0; x < 280; x++) {
        const v = pixels[Math.floor(y / 10) * 28 + Math.floor(x / 10)] * 255;
        image.data.set([v, v, v, 255], (y * 280 + x) * 4);
      }
    }
    ctx.putImageData(image, 0, 0);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
  }, pixels);
  return Buffer.from(base64, 'base64');
}

/** Keeps every GPUDevice the engine creates in globalThis.__devices (burn-wgpu owns them otherwise). */
function keepDevices() {
  if (typeof GPUAdapter === 'undefined') return;
  const requestDevice = GPUAdapter.prototype.requestDevice;
  globalThis.__devices = [];
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    globalThis.__devices.push(device);
    return device;
  };
}

/**
 * Faults armed from the test once the engine is up: `globalThis.__faults.shader = 'invalid'` makes
 * every new shader module fail to compile (the WGSL the browser gets is not WGSL), and
 * `globalThis.__faults.buffer = 'oom'` makes buffer creation throw as an allocation the browser
 * cannot make does. `hits` counts the calls that failed, so a test knows its fault was reached.
 */
function faultyDevice() {
  if (typeof GPUDevice === 'undefined') return;
  const faults = globalThis.__faults = { shader: null, buffer: null, hits: 0 };
  const createShaderModule = GPUDevice.prototype.createShaderModule;
  GPUDevice.prototype.createShaderModule = function (descriptor) {
    if (faults.shader !== 'invalid') return createShaderModule.call(this, descriptor);
    faults.hits++;
    return createShaderModule.call(this, { ...descriptor, code: 'this is not WGSL' });
  };
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor) {
    if (faults.buffer !== 'oom') return createBuffer.call(this, descriptor);
    faults.hits++;
    throw new RangeError(`simulated: cannot allocate a buffer of ${descriptor.size} bytes`);
  };
}

/** What a failing WebGPU build prints: burn-wgpu's panics, the trap they end in, the warning. */
const GPU_FAULT_ERRORS = /panicked at|unreachable|simulated|wgpu error|Invalid|already borrowed|WebGPU failed/;

// ---------------------------------------------------------------------------------------------

describe('GPU faults (WebGPU, SwiftShader)', () => {
  let session;
  before(async () => { session = await launch(modeNamed('webgpu')); });
  after(async () => session?.close());

  // ?backend=webgpu: every call goes to the device (measured, single digits would run on the CPU
  // here, where SwiftShader is slower, and never meet the fault).
  async function openOnWebGpu(init, allowErrors = GPU_FAULT_ERRORS) {
    const page = await session.open('/?backend=webgpu', { init, allowErrors });
    await page.waitForFunction(() => document.getElementById('backend').dataset.backend === 'webgpu', null, { timeout: 120_000 });
    await settle(page);
    await attackPanelIdle(page);
    return page;
  }

  /** The page is on the CPU, says why, and its prediction is what the network says now. */
  async function answersOnCpu(page, reason) {
    assert.equal(await page.getAttribute('#backend', 'data-backend'), 'cpu');
    assert.equal(await page.evaluate(() => window.adversarialDigits.backend), 'cpu');
    assert.match(await page.textContent('#backend-note'), reason);
    const fresh = await page.evaluate(async () => {
      const { label, probabilities } = await window.adversarialDigits.classify(window.adversarialDigits.current().pixels);
      return { label, probabilities };
    });
    assert.equal(await shownLabel(page), fresh.label, 'the prediction shown is the network’s');
    const bars = await page.$$eval('#bars .bar', (b) => b.map((x) => Number(x.dataset.probability)));
    bars.forEach((p, d) => assert.ok(Math.abs(p - fresh.probabilities[d]) < 1e-5, `bar ${d}: ${p} vs ${fresh.probabilities[d]}`));
  }

  test('a lost device (device.destroy()): the CPU takes over, says why, keeps the drawing and answers', { timeout: 180_000 }, async (t) => {
    const page = await openOnWebGpu(keepDevices);
    assert.ok(await inEngine(page, () => globalThis.__devices.length) >= 1, 'the engine’s devices were kept');
    await page.click('#clear-button');
    assert.equal(await predictionAfter(page, () => stroke(page, SEVEN)), 7);
    const drawn = await inkMask(page);

    await inEngine(page, async () => {
      for (const device of globalThis.__devices) device.destroy();
      await Promise.all(globalThis.__devices.map((device) => device.lost));
    });
    // The reader goes on: a crossbar (the first request after the loss), then the ε slider.
    await predictionAfter(page, () => stroke(page, [[95, 150], [140, 148], [200, 146]]));
    const now = await inkMask(page);
    assert.ok([...drawn].every((v, i) => v === '0' || now[i] === '1'), 'the drawing from before the loss is still there');
    assert.notEqual(now, drawn, 'the new stroke was added to it');
    // The reason is the first error the loss caused (a poisoned device, a buffer that cannot be mapped).
    await answersOnCpu(page, /^The WebGPU device failed \(.+\); switched to the CPU\.$/);
    report(t, `#backend-note: "${await page.textContent('#backend-note')}"`);

    await nextAttack(page, () => setEps(page, 0.25));
    assert.match(await page.textContent('#attack-result'), /Flipped|Not fooled/);
    const linf = Number((await page.textContent('#attack-norms')).match(/L∞ ([\d.]+)/)[1]);
    assert.ok(linf <= 0.25 + 1e-3, `L∞ ${linf} within ε`);
  });

  test('a device lost during an attack: the attack comes back from the CPU, the same as a CPU run', { timeout: 180_000 }, async () => {
    const page = await openOnWebGpu(keepDevices);
    await page.evaluate(() => {
      window.__running = window.adversarialDigits.attack({ method: 'pgd', eps: 0.2, steps: 40, seed: 7 });
    });
    await page.waitForTimeout(200); // a PGD-40 takes about two seconds here
    await inEngine(page, () => { for (const device of globalThis.__devices) device.destroy(); });
    const { during, again } = await page.evaluate(async () => {
      const summary = (r) => ({ label: r.label, linf: r.norms.linf, pixels: Array.from(r.pixels) });
      const during = summary(await window.__running);
      return { during, again: summary(await window.adversarialDigits.attack({ method: 'pgd', eps: 0.2, steps: 40, seed: 7 })) };
    });
    assert.ok(during.linf <= 0.2 + 1e-6, `L∞ ${during.linf}`);
    assert.deepEqual(during, again, 'the interrupted attack equals the same attack on the CPU');
    await answersOnCpu(page, /WebGPU device failed/);
  });

  test('requestDevice() rejects: the CPU, with the reason shown, not a blank page', { timeout: 120_000 }, async () => {
    const page = await session.open('/', {
      init: () => { if (typeof GPUAdapter !== 'undefined') GPUAdapter.prototype.requestDevice = () => Promise.reject(new DOMException('simulated: no device today', 'OperationError')); },
    });
    await page.waitForFunction(() => /WebGPU failed to start/.test(document.getElementById('backend-note').textContent), null, { timeout: 120_000 });
    await settle(page);
    await answersOnCpu(page, /WebGPU failed to start.*simulated: no device today/s);
    assert.equal(await predictionAfter(page, () => page.click('#samples .sample[data-index="1"]')), mnistTest(2).labels[1]);
  });

  test('requestAdapter() rejects: the CPU, with the reason shown', async () => {
    const page = await session.open('/', {
      init: () => { if (typeof GPU !== 'undefined') GPU.prototype.requestAdapter = () => Promise.reject(new Error('simulated: adapter refused')); },
    });
    await page.waitForFunction(() => /refused/.test(document.getElementById('backend-note').textContent), null, { timeout: 120_000 });
    await settle(page);
    await answersOnCpu(page, /WebGPU refused to start.*simulated: adapter refused/);
  });

  for (const { fault, arm, method } of [
    { fault: 'a shader that fails to compile', arm: () => { globalThis.__faults.shader = 'invalid'; }, method: 'bim' },
    { fault: 'a buffer that cannot be allocated', arm: () => { globalThis.__faults.buffer = 'oom'; }, method: 'pgd' },
  ]) {
    test(`${fault}, after start-up: reported, the CPU answers, no result of the failed device is shown`, { timeout: 180_000 }, async (t) => {
      const page = await openOnWebGpu(faultyDevice);
      await inEngine(page, arm);
      await nextAttack(page, () => page.selectOption('#attack-method', method));
      assert.ok(await inEngine(page, () => globalThis.__faults.hits) > 0, 'the fault was reached');
      await page.waitForFunction(() => document.getElementById('backend').dataset.backend === 'cpu', null, { timeout: 60_000 });
      await attackPanelIdle(page);
      assert.match(await page.textContent('#backend-note'), /WebGPU device failed \(its engine crashed/);
      report(t, `${fault}: #backend-note "${await page.textContent('#backend-note')}"`);
      // The attack shown is the CPU's: the same as the API's now (CPU), and within its budget.
      const eps = Number(await page.inputValue('#attack-eps'));
      const shown = { label: Number(await page.getAttribute('#attack-result', 'data-label')), norms: await page.textContent('#attack-norms') };
      const steps = Number(await page.inputValue('#attack-steps'));
      const fresh = await page.evaluate((options) => window.adversarialDigits.attack(options).then((r) => ({ label: r.label, linf: r.norms.linf })),
        { method, eps, steps, seed: 0 });
      assert.equal(shown.label, fresh.label, 'the panel shows what the CPU computes');
      assert.match(shown.norms, new RegExp(`L∞ ${fresh.linf.toFixed(3).replace('.', '\\.')}`));
      assert.ok(fresh.linf <= eps + 1e-6);
      // And the page goes on.
      assert.equal(await predictionAfter(page, () => page.click('#samples .sample[data-index="1"]')), mnistTest(2).labels[1]);
      await answersOnCpu(page, /its engine crashed/);
    });
  }

  test('no request outside the origin; no error beyond the faults’ own', () => session.assertClean());
});

// ---------------------------------------------------------------------------------------------
// Privacy and security. The CPU mode suffices: none of this depends on the backend.

/** Every file under `dir` (relative to ROOT) whose name matches `pattern`. */
function filesUnder(dir, pattern) {
  const out = [];
  const walk = (path) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (pattern.test(name)) out.push(full);
    }
  };
  walk(join(ROOT, dir));
  return out;
}

/** A policy as {directive: Set of source expressions}. */
function parsePolicy(text) {
  const policy = {};
  for (const part of text.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) policy[name.toLowerCase()] = new Set(values);
  }
  return policy;
}

/**
 * What a policy allows for `directive`, following CSP 3's fallbacks (worker-src → child-src →
 * script-src → default-src, and fetch directives → default-src), as the set of sources that
 * name places (keywords about script evaluation do not apply to where a worker may come from).
 */
function effective(policy, directive) {
  const chain = {
    'worker-src': ['worker-src', 'child-src', 'script-src', 'default-src'],
    'script-src-elem': ['script-src-elem', 'script-src', 'default-src'],
    'style-src-elem': ['style-src-elem', 'style-src', 'default-src'],
  }[directive] ?? [directive, 'default-src'];
  const found = chain.find((d) => policy[d]);
  const sources = found ? [...policy[found]] : [];
  const placesOnly = directive === 'worker-src' && found !== 'worker-src';
  return [...new Set(placesOnly ? sources.filter((s) => !/^'(unsafe-|wasm-unsafe-eval)/.test(s)) : sources)].sort().join(' ');
}

/** The policy of every HTML page the site ships: in its meta tag, and served as a header. */
const HTML_PAGES = ['index.html', 'embed.html', ...filesUnder('www', /\.html$/).map((f) => relative(ROOT, f))];

/** A script of the site that tries to evaluate strings, and says what happened. */
const CSP_PROBE = `
const attempt = (fn) => { try { return String(fn()); } catch (error) { return error.name; } };
const detail = { evalResult: attempt(() => eval('1 + 1')), functionResult: attempt(() => new Function('return 2')()) };
dispatchEvent(new CustomEvent('csp-probe', { detail }));
`;

describe('privacy and security', () => {
  let session;
  let page;
  const dialogs = [];
  before(async () => {
    session = await launch(modeNamed('no-webgpu'), { routes: { '/fault/csp-probe.js': { body: CSP_PROBE, type: 'text/javascript; charset=utf-8' } } });
    page = await session.open('/');
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    await settle(page);
  });
  after(async () => session?.close());

  test('the Content-Security-Policy header and every page’s meta tag agree, directive by directive', async () => {
    const header = parsePolicy(HEADERS['Content-Security-Policy']);
    assert.ok(!header['script-src'].has("'unsafe-eval'") && !header['script-src'].has("'unsafe-inline'"));
    assert.ok(!header['style-src'].has("'unsafe-inline'"));
    for (const file of HTML_PAGES) {
      const html = readFileSync(join(ROOT, file), 'utf8');
      const meta = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/);
      assert.ok(meta, `${file} has a CSP meta tag (for hosts that send no headers)`);
      const fromMeta = parsePolicy(meta[1]);
      for (const directive of new Set([...Object.keys(header), ...Object.keys(fromMeta)])) {
        assert.equal(effective(fromMeta, directive), effective(header, directive), `${file}: ${directive}`);
      }
    }
    // And the server sends it with the page.
    const response = await page.request.get(`${session.server.url}/`);
    assert.equal(response.headers()['content-security-policy'], HEADERS['Content-Security-Policy']);
  });

  test('the policy is enforced: an inline script, eval, new Function, a string timer and inline styles are all blocked', async () => {
    // A page of its own: the blocked attempts are logged as console errors, expected here only.
    const probe = await session.open('/', { allowErrors: /violates the following Content Security Policy/ });
    const outcome = await probe.evaluate(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
      // DevTools' own evaluation is exempt from the policy: the eval attempts run in a script
      // of the site (served by the test), as the page's code would.
      const attempts = new Promise((resolve) => addEventListener('csp-probe', (e) => resolve(e.detail), { once: true }));
      document.head.append(Object.assign(document.createElement('script'), { type: 'module', src: '/fault/csp-probe.js' }));
      const { evalResult, functionResult } = await attempts;
      document.head.append(Object.assign(document.createElement('script'), { textContent: 'window.__inlineRan = true;' }));
      setTimeout('window.__timerRan = true', 0);
      document.head.append(Object.assign(document.createElement('style'), { textContent: '#backend { color: rgb(1, 2, 3) !important; }' }));
      const span = document.createElement('span');
      span.setAttribute('style', 'color: rgb(4, 5, 6)');
      document.body.append(span);
      // Violation reports are dispatched as tasks: wait for all of them.
      for (let i = 0; i < 100 && new Set(violations).size < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      return {
        violations: [...new Set(violations)].sort(),
        inlineRan: window.__inlineRan ?? false,
        timerRan: window.__timerRan ?? false,
        evalResult,
        functionResult,
        styled: getComputedStyle(document.getElementById('backend')).color === 'rgb(1, 2, 3)' || getComputedStyle(span).color === 'rgb(4, 5, 6)',
        wasm: (await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))) instanceof WebAssembly.Module,
      };
    });
    assert.deepEqual(outcome, {
      violations: ['script-src', 'script-src-elem', 'style-src-attr', 'style-src-elem'],
      inlineRan: false,
      timerRan: false,
      evalResult: 'EvalError',
      functionResult: 'EvalError',
      styled: false,
      wasm: true, // 'wasm-unsafe-eval': WebAssembly still compiles
    });
    await probe.close();
  });

  test('no reader text can reach an HTML parser: no innerHTML and the like in www/, no inline code in the pages', () => {
    const sinks = /\b(innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment|setHTMLUnsafe|parseHTMLUnsafe|srcdoc)\b|document\.write|new DOMParser/;
    const evaluators = /\beval\s*\(|new Function\s*\(|set(Timeout|Interval)\s*\(\s*['"`]/;
    const found = [];
    for (const file of filesUnder('www', /\.(m?js|html)$/)) {
      const name = relative(ROOT, file);
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (sinks.test(line)) found.push(`${name}:${i + 1}: ${line.trim()}`);
        // The exercise worker evaluates learner code by design, under its own policy (tools/serve.mjs).
        if (evaluators.test(line) && name !== join('www', 'exercise-worker.js')) found.push(`${name}:${i + 1}: ${line.trim()}`);
      });
    }
    for (const file of HTML_PAGES) {
      const html = readFileSync(join(ROOT, file), 'utf8');
      for (const [what, pattern] of [['inline script', /<script(?![^>]*\bsrc=)[^>]*>/], ['event handler attribute', /<[^>]+\son[a-z]+\s*=/i], ['style attribute', /<[^>]+\sstyle\s*=/i]]) {
        if (pattern.test(html)) found.push(`${file}: ${what}`);
      }
    }
    assert.deepEqual(found, []);
  });

  test('a file named like markup is shown as text, in the caption and in an error', { timeout: 60_000 }, async () => {
    const { pixels, labels } = mnistTest(1);
    const name = '<img src=x onerror=alert(1)>.png';
    const png = await digitPng(page, pixels[0]);
    const label = await predictionAfter(page, () => page.setInputFiles('#file-input', { name, mimeType: 'image/png', buffer: png }));
    assert.equal(label, labels[0]);
    assert.ok((await page.textContent('#preview-caption')).includes(name), 'the caption shows the name as typed');
    const bad = '<svg onload=alert(2)>.txt';
    await page.setInputFiles('#file-input', { name: bad, mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
    await page.waitForFunction((n) => document.getElementById('message').textContent.includes(n), bad);
    await page.waitForTimeout(200); // anything the name could start would have started
    const markup = await page.evaluate(() => ({
      images: [...document.querySelectorAll('img')].map((i) => i.getAttribute('src')),
      svgs: document.querySelectorAll('#message svg, #preview-caption svg, #message *, #preview-caption *').length,
    }));
    assert.deepEqual(markup, { images: [], svgs: 0 });
    assert.deepEqual(dialogs, [], 'no alert ran');
    assert.ok(!session.requests.some((u) => new URL(u).pathname === '/x'), 'no <img src=x> was ever loaded');
  });

  test('SVG is never rendered: not picked, dropped, pasted, renamed, nor behind a PNG signature', { timeout: 60_000 }, async () => {
    const before = await page.evaluate(() => ({ label: document.getElementById('prediction').dataset.label, caption: document.getElementById('preview-caption').textContent }));
    const svg = (tag) => `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28" onload="fetch('/svg-onload-${tag}')">`
      + `<script>window.__svgRan = true; fetch('/svg-script-${tag}')</script><image href="/svg-image-${tag}" width="28" height="28"/>`
      + `<circle cx="14" cy="14" r="9" fill="white"/></svg>`;
    const cases = [
      { tag: 'picked', how: 'pick', name: 'digit.svg', type: 'image/svg+xml', bytes: Buffer.from(svg('picked')), message: /SVG/ },
      { tag: 'renamed', how: 'pick', name: 'digit.png', type: 'image/png', bytes: Buffer.from(`\ufeff  ${svg('renamed')}`), message: /SVG/ },
      { tag: 'polyglot', how: 'pick', name: 'digit.png', type: 'image/png', bytes: Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x1c\0\0\0\x1c\x08\x06\0\0\0', 'latin1'), Buffer.from(svg('polyglot'))]), message: /damaged|cannot be decoded/ },
      { tag: 'dropped', how: 'drop', name: 'digit.svg', type: 'image/svg+xml', bytes: Buffer.from(svg('dropped')), message: /SVG/ },
      { tag: 'pasted', how: 'paste', name: 'image.svg', type: 'image/svg+xml', bytes: Buffer.from(svg('pasted')), message: /SVG/ },
    ];
    for (const c of cases) {
      await page.evaluate(() => { document.getElementById('message').textContent = ''; });
      if (c.how === 'pick') {
        await page.setInputFiles('#file-input', { name: c.name, mimeType: c.type, buffer: c.bytes });
      } else {
        await page.evaluate(({ how, name, type, base64 }) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0))], name, { type }));
          if (how === 'drop') {
            const zone = document.getElementById('drop-zone');
            for (const kind of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true }));
          } else {
            document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
          }
        }, { how: c.how, name: c.name, type: c.type, base64: c.bytes.toString('base64') });
      }
      await page.waitForFunction(() => document.getElementById('message').dataset.kind === 'error' && document.getElementById('message').textContent, null, { timeout: 30_000 });
      assert.match(await page.textContent('#message'), c.message, c.tag);
    }
    await page.waitForTimeout(300); // a rendered SVG would have fetched by now
    const traces = session.requests.filter((u) => /\/svg-/.test(u));
    assert.deepEqual(traces, [], 'an SVG was rendered or ran script');
    const after = await page.evaluate(() => ({
      ran: window.__svgRan ?? false,
      documents: document.querySelectorAll('iframe, object, embed, img, svg image, svg script').length,
      label: document.getElementById('prediction').dataset.label,
      caption: document.getElementById('preview-caption').textContent,
    }));
    assert.deepEqual(after, { ran: false, documents: 0, ...before }, 'the digit shown is unchanged');
  });

  test('nothing leaves the browser: while the reader draws, uploads and attacks, only the site’s own files are fetched', { timeout: 120_000 }, async () => {
    const made = [];
    const record = (request) => made.push({ method: request.method(), url: request.url(), body: request.postData() });
    page.on('request', record);
    await page.click('#clear-button');
    await predictionAfter(page, () => stroke(page, SEVEN));
    const { pixels } = mnistTest(3);
    await predictionAfter(page, async () => page.setInputFiles('#file-input', { name: 'three.png', mimeType: 'image/png', buffer: await digitPng(page, pixels[2]) }));
    await nextAttack(page, () => setEps(page, 0.3));
    await nextAttack(page, () => page.selectOption('#attack-method', 'pgd'));
    await attackPanelIdle(page);
    page.off('request', record);
    const origin = new URL(session.server.url).origin;
    const leaks = made.filter(({ method, url, body }) => {
      if (url.startsWith('data:') || url.startsWith('blob:')) return false;
      const u = new URL(url);
      return method !== 'GET' || body != null || u.origin !== origin || u.search !== '' || !existsSync(join(ROOT, decodeURIComponent(u.pathname)));
    });
    assert.deepEqual(leaks, [], 'a request that is not a plain GET of one of the site’s files');
    session.assertClean();
  });
});

// ---------------------------------------------------------------------------------------------
// Stress, on both backends.

/** JS heap in use after a full garbage collection, and the WebAssembly memories, in bytes. */
async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(async () => {
    const sizes = {};
    for (const [name, path] of [['cpu', '/pkg/cpu/adversarial_digits.js'], ['webgpu', '/pkg/adversarial_digits.js']]) {
      if (name === 'webgpu' && window.adversarialDigits.backend !== 'webgpu') continue;
      const exports = await (await import(path)).default(); // already instantiated: its exports
      sizes[name] = exports.memory.buffer.byteLength;
    }
    return sizes;
  });
  return { heap: usedSize, wasm };
}

const MB = 1 << 20;

/**
 * Leaks, not speed: 900 more operations may keep a little (the browser's caches, a longer undo
 * list), but a leak of what each operation makes (an attack result is ~10 KB, a drawn frame
 * 300 KB) would keep far more than this.
 */
const HEAP_BOUND = 8 * MB;
/** WebAssembly memory only grows; after the first 100 operations it should have all it needs. */
const WASM_BOUND = 16 * MB;

for (const mode of MODES) {
  describe(`stress (${mode.name})`, () => {
    let session;
    let page;
    let cdp;
    before(async () => {
      session = await launch(mode);
      page = await session.open('/');
      cdp = await page.context().newCDPSession(page);
      await settle(page);
      await attackPanelIdle(page);
    });
    after(async () => session?.close());

    test('1,000 rapid ε changes: responsive, ends on the newest ε, memory flat', { timeout: 180_000 }, async (t) => {
      await nextAttack(page, () => page.selectOption('#attack-method', 'fgsm'));
      // Values from a fixed sequence; each change in its own task, as a fast drag sends them.
      const burst = (from, count) => page.evaluate(async ({ from, count }) => {
        const input = document.getElementById('attack-eps');
        let seed = 12345 + from;
        for (let i = 0; i < count; i++) {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          input.value = String((seed / 2 ** 32) * Number(input.max));
          input.dispatchEvent(new Event('input', { bubbles: true }));
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        return input.value;
      }, { from, count });
      // How often the address is rewritten: a drag is one burst, written at its end (www/state.js).
      await page.evaluate(() => {
        window.addressWrites = 0;
        const replace = history.replaceState.bind(history);
        history.replaceState = (...args) => { window.addressWrites++; return replace(...args); };
      });
      const firstBurst = Date.now();
      await burst(0, 100);
      await attackPanelIdle(page);
      const at100 = await memory(page, cdp);
      const started = Date.now();
      const finalEps = await burst(100, 900);
      assert.equal(await frameAnswers(page), true);
      await attackPanelIdle(page);
      const at1000 = await memory(page, cdp);
      // The panel shows the attack for the last ε, as the API computes it now.
      const shown = { label: Number(await page.getAttribute('#attack-result', 'data-label')), norms: await page.textContent('#attack-norms') };
      const fresh = await page.evaluate((eps) => window.adversarialDigits.attack({ method: 'fgsm', eps: Number(eps), seed: 0 })
        .then((r) => ({ label: r.label, linf: r.norms.linf })), finalEps);
      assert.equal(await page.inputValue('#attack-eps'), finalEps);
      // The address is written once the settings have been still for a moment (www/state.js).
      await page.waitForFunction((eps) => new URLSearchParams(location.hash.slice(1)).get('eps') === eps, finalEps, { timeout: 5_000 })
        .catch(() => {});
      assert.equal(await page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('eps')), finalEps, 'the address holds the last ε');
      const writes = await page.evaluate(() => window.addressWrites);
      // Per burst, a first write and the last, and at most one a second between (HASH_MAX_WAIT_MS).
      assert.ok(writes >= 2 && writes <= 4 + Math.ceil((Date.now() - firstBurst) / 1000), `the address was rewritten ${writes} times for 1,000 changes in ${Date.now() - firstBurst} ms`);
      assert.equal(shown.label, fresh.label, `ε = ${finalEps}: the panel shows ${shown.label}, the network says ${fresh.label}`);
      assert.match(shown.norms, new RegExp(`L∞ ${fresh.linf.toFixed(3).replace('.', '\\.')}`));
      const results = await attackResults(page);
      report(t, `${mode.name}: 900 changes in ${Date.now() - started} ms (incl. settling), ${results} results shown in all; ` +
        `JS heap ${(at100.heap / MB).toFixed(1)} → ${(at1000.heap / MB).toFixed(1)} MB; WebAssembly ${JSON.stringify(at100.wasm)} → ${JSON.stringify(at1000.wasm)}`);
      assert.ok(at1000.heap - at100.heap < HEAP_BOUND, `JS heap grew ${((at1000.heap - at100.heap) / MB).toFixed(1)} MB`);
      for (const name of Object.keys(at1000.wasm)) {
        assert.ok(at1000.wasm[name] - (at100.wasm[name] ?? 0) <= WASM_BOUND, `${name} WebAssembly memory grew to ${at1000.wasm[name]}`);
      }
    });

    test('1,000 short strokes: responsive, ends on the final drawing, memory flat', { timeout: 240_000 }, async (t) => {
      await page.click('#clear-button');
      // Short strokes along a 7, again and again, each a few pixels long: pointer events sent
      // in the page, four strokes a task, so that the page draws and classifies between them.
      // (Through the mouse, each event waits for a frame: 1,000 strokes would take minutes.
      // Drawing with the real mouse is tested in classifier.test.mjs.)
      const strokes = (from, count) => page.evaluate(async ({ from, count, seven }) => {
        const canvas = document.getElementById('draw-canvas');
        const rect = canvas.getBoundingClientRect();
        const along = (i) => {
          const s = ((i * 0.137) % 1) * (seven.length - 1);
          const k = Math.floor(s);
          const [[x0, y0], [x1, y1]] = [seven[k], seven[k + 1]];
          return [x0 + (x1 - x0) * (s - k), y0 + (y1 - y0) * (s - k)];
        };
        const send = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {
          pointerId: 1, pointerType: 'mouse', isPrimary: true, button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
          clientX: rect.left + (x / 280) * rect.width, clientY: rect.top + (y / 280) * rect.height, bubbles: true, cancelable: true,
        }));
        for (let i = from; i < from + count; i++) {
          const [x, y] = along(i);
          send('pointerdown', [x, y]);
          send('pointermove', [x + 3, y + 2]);
          send('pointerup', [x + 3, y + 2]);
          if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }, { from, count, seven: SEVEN });
      await strokes(0, 100);
      await settle(page);
      const at100 = await memory(page, cdp);
      const started = Date.now();
      await strokes(100, 900);
      assert.equal(await frameAnswers(page), true);
      await settle(page);
      const at1000 = await memory(page, cdp);
      // What the page shows is the network's answer for the final drawing: the canvas as it is,
      // preprocessed (the same Rust function, from the CPU build) and classified afresh.
      const fresh = await page.evaluate(async () => {
        const canvas = document.getElementById('draw-canvas');
        const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        const cpu = await import('/pkg/cpu/adversarial_digits.js');
        const { pixels } = cpu.preprocessRgba(image.data, image.width, image.height);
        const current = window.adversarialDigits.current();
        const { label, probabilities } = await window.adversarialDigits.classify(pixels);
        return { label, probabilities, same: Array.from(pixels).every((v, i) => v === current.pixels[i]) };
      });
      assert.ok(fresh.same, 'the digit the page classified is the final drawing');
      assert.equal(await shownLabel(page), fresh.label);
      assert.equal(fresh.label, 7, 'a thick 7 is still a 7');
      const bars = await page.$$eval('#bars .bar', (b) => b.map((x) => Number(x.dataset.probability)));
      bars.forEach((p, d) => assert.ok(Math.abs(p - fresh.probabilities[d]) < 1e-5, `bar ${d}`));
      report(t, `${mode.name}: 900 strokes in ${Date.now() - started} ms (incl. settling); ` +
        `JS heap ${(at100.heap / MB).toFixed(1)} → ${(at1000.heap / MB).toFixed(1)} MB; WebAssembly ${JSON.stringify(at100.wasm)} → ${JSON.stringify(at1000.wasm)}`);
      assert.ok(at1000.heap - at100.heap < HEAP_BOUND, `JS heap grew ${((at1000.heap - at100.heap) / MB).toFixed(1)} MB`);
      for (const name of Object.keys(at1000.wasm)) {
        assert.ok(at1000.wasm[name] - (at100.wasm[name] ?? 0) <= WASM_BOUND, `${name} WebAssembly memory grew to ${at1000.wasm[name]}`);
      }
      // Still usable: a click answers.
      await predictionAfter(page, () => page.click('#samples .sample[data-index="3"]'));
    });

    test('the main page and a page with embeds, open at once in one browser, all answer', { timeout: 180_000 }, async () => {
      const allReady = () => [...document.querySelectorAll('adversarial-digits')].slice(0, 2).every((e) => e.shadowRoot?.querySelector('.attack-panel')?.dataset.results);
      const blog = await session.open('/www/examples/blog-post.html', { until: allReady, wake: true });
      const { labels } = mnistTest(10);
      const inEmbed = (n, selector) => blog.locator('adversarial-digits').nth(n).locator(selector);
      const embedResults = (n) => blog.evaluate((n) => Number(document.querySelectorAll('adversarial-digits')[n].shadowRoot.querySelector('.attack-panel').dataset.results ?? 0), n);
      // All three at once: the main page picks sample 5, each embed another sample.
      const before = await Promise.all([0, 1].map(embedResults));
      await Promise.all([
        predictionAfter(page, () => page.click('#samples .sample[data-index="5"]')),
        inEmbed(0, '.sample[data-index="8"]').click(),
        inEmbed(1, '.sample[data-index="6"]').click(),
      ]);
      await blog.waitForFunction((before) => before.every((n, i) => Number(document.querySelectorAll('adversarial-digits')[i].shadowRoot.querySelector('.attack-panel').dataset.results ?? 0) > n), before, { timeout: 120_000 });
      assert.equal(await shownLabel(page), labels[5]);
      const embeds = await blog.evaluate(() => [...document.querySelectorAll('adversarial-digits')].slice(0, 2).map((e) => ({
        prediction: e.shadowRoot.querySelector('.prediction')?.dataset.label ?? null,
        original: e.shadowRoot.querySelector('[id$="attack-original-caption"]').textContent,
      })));
      assert.equal(embeds[0].prediction, String(labels[8]));
      assert.match(embeds[0].original, new RegExp(`Original: ${labels[8]}`));
      assert.match(embeds[1].original, new RegExp(`Original: ${labels[6]}`));
      await blog.close();
    });

    test('no request outside the origin, no error', () => session.assertClean());
  });
}
