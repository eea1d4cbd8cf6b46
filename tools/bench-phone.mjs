#!/usr/bin/env node
// The phone tier of the bench (`npm run bench:phone`): the real page with a phone's viewport and
// touch, its CPU slowed by Chromium's throttling (DevTools protocol, 1x, 4x, 6x), on each backend.
// Reports, per backend and tier:
//   - navigation to the first prediction shown, cold, and on "Slow 4G" (1.6 Mbit/s, 150 ms round
//     trip; at 1x only: the network, not the CPU, is what that row is about), from a host that
//     sends Brotli (its smallest form, as a host stores it) and from one that sends gzip only;
//   - the longest main-thread task (PerformanceObserver 'longtask', which only reports tasks over
//     50 ms: "none" means every task was shorter) while each long operation runs, and how long the
//     operation took;
//   - pointer move to updated prediction, to updated FGSM result and to updated PGD-10 result,
//     p50 and p95: a scripted finger draws on the canvas one move at a time and each move waits
//     for its update (or 5 s), so each figure is one move's own latency: from the move's event
//     time to the start of the first frame after the update (the frame that paints it; an
//     update made in a frame's own callbacks is painted by that frame, at once), both
//     on the page's clock; and the page's share of it, from its first handler of the move
//     (pointerrawupdate where there is one, else pointermove: Chromium hands pointermove to the
//     page with the next frame; the wait before the first is the browser's). A move
//     whose count had already been passed by another update is not timed;
//   - Cancel to idle: from the Cancel press to the panel idle, for C&W, and to the next answer
//     from the engine (the worker it replaced, if it stopped one).
// Timings are reported, never asserted. Chromium's CPU throttling slows the page's renderer; the
// "engine call" row (a PGD-10 timed inside the page, round trip to the worker) shows whether the
// engine's worker was slowed as much.
//
//   node tools/bench-phone.mjs [--backends cpu,webgpu] [--tiers 1,4,6] [--moves N] [--json FILE] [--root DIR] [--skip PARTS]
//     --root   serve another checkout (an earlier version, for a before/after table); what it
//              lacks (a Cancel button, the worker) is reported as "–".
//     --skip   parts not to run, comma-separated (slow: the Slow 4G rows; cancel; operations: the
//              long operations' rows), for a quicker look at the pointer rows.
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ROOT, startServer } from './serve.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const BACKENDS = (args.backends ?? 'cpu,webgpu').split(',');
const TIERS = (args.tiers ?? '1,4,6').split(',').map(Number);
const MOVES = Number(args.moves ?? 24);
const SKIP = new Set((args.skip ?? '').split(',').filter(Boolean));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const LAUNCH = { cpu: ['--disable-features=WebGPU'], webgpu: ['--enable-unsafe-webgpu'] };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8) * 0.9, uploadThroughput: (750e3 / 8) * 0.9 };

const quantile = (values, q) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const ms = (v) => (v == null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** In the page before its scripts: long tasks and milestones, on the page's own clock; and
 * whether an animation frame's callbacks are running (a change made there is painted by that
 * frame, not the next one). */
function observe() {
  const marks = (window.__phone = { longTasks: [], firstPrediction: null });
  const raf = window.requestAnimationFrame.bind(window);
  let inFrame = false;
  const frameOver = new MessageChannel(); // a task: it runs once the frame's rendering is done
  frameOver.port1.onmessage = () => { inFrame = false; };
  window.requestAnimationFrame = (callback) => raf((time) => {
    if (!inFrame) frameOver.port2.postMessage(null);
    inFrame = true;
    return callback(time);
  });
  window.__inFrame = () => inFrame;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) marks.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  new MutationObserver(() => {
    if (marks.firstPrediction == null && Number(document.documentElement.dataset.predictions ?? 0) > 0) marks.firstPrediction = performance.now();
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-predictions'] });
}

async function openPage(browser, server, path, { rate = 1, network = null } = {}) {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  if (network) {
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', network);
  }
  await page.addInitScript(observe);
  await page.goto(server.url + path);
  await page.waitForFunction(() => document.documentElement.dataset.ready && window.__phone.firstPrediction != null, null, { timeout: 600_000 });
  return { context, page, cdp };
}

/** The longest long task between two times of the page's clock, or 0 when there was none. */
const longestTask = (page, from, to) => page.evaluate(([a, b]) => Math.max(0, ...window.__phone.longTasks.filter((t) => t.start + t.duration >= a && t.start <= b).map((t) => t.duration)), [from, to]);

/** In the page: resolves to the page's time once `done(arg)` holds, checked after every change
 * of an attribute (the views say what they show in data attributes). */
const waiter = (done, arg, timeout) => new Promise((resolve, reject) => {
  const check = () => { try { return done(arg); } catch { return false; } };
  if (check()) return resolve(performance.now());
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error(`still waiting for ${done}`)); }, timeout);
  const observer = new MutationObserver(() => {
    if (!check()) return;
    observer.disconnect();
    clearTimeout(timer);
    resolve(performance.now());
  });
  observer.observe(document, { attributes: true, subtree: true });
});
/** Waits for `done(arg)` (a page function) without polling the page from here: a poll's work
 * would land on the main thread whose tasks are being measured (Playwright's costs 7-48 ms at 4x).
 * Returns the page's time it held. A string, so that `done` is compiled with it (the page's
 * CSP forbids compiling it there). */
const waitInPage = (page, done, arg = null, timeout = 600_000) => page.evaluate(`(${waiter})(${done}, ${JSON.stringify(arg)}, ${timeout})`);

/** Runs `start` in the page and waits for `done` (both page functions); returns {ms, longest}. */
async function during(page, start, done, arg) {
  const from = await page.evaluate(() => performance.now());
  await page.evaluate(start, arg);
  const to = await waitInPage(page, done, arg);
  await page.waitForTimeout(100); // a long task is reported when it ends
  return { ms: to - from, longest: await longestTask(page, from, to) };
}


/** An attack run from the attack panel: `method` picked in its menu; over when its result is shown. */
const panelAttack = (method) => ({
  arg: method,
  start: (m) => {
    window.__n = Number(document.getElementById('attack-panel').dataset.results ?? 0);
    const select = document.getElementById('attack-method');
    select.value = m;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  },
  done: () => Number(document.getElementById('attack-panel').dataset.results ?? 0) > window.__n && !document.getElementById('attack-panel').hasAttribute('aria-busy'),
});

/** One operation from its panel: what starts it (with `arg`), and when it is over. */
const OPERATIONS = {
  'C&W (attack panel)': panelAttack('cw'),
  'JSMA (attack panel)': panelAttack('jsma'),
  'DeepFool (attack panel)': panelAttack('deepfool'),
  'class gallery (150 steps)': {
    start: () => document.getElementById('class-vis-run').click(),
    done: () => ['done', 'error', 'cancelled'].includes(document.querySelector('[data-class-vis]')?.dataset.classVis),
  },
  'fooling gallery': {
    start: () => document.getElementById('fooling-run').click(),
    done: () => ['done', 'error', 'cancelled'].includes(document.querySelector('[data-fooling]')?.dataset.fooling),
  },
  'robustness curves (20 digits)': {
    start: () => { const c = document.getElementById('curve-count'); c.value = '20'; document.getElementById('curve-run').click(); },
    done: () => ['done', 'error', 'cancelled'].includes(document.querySelector('[data-curves]')?.dataset.curves),
  },
};

/** A finger on the drawing canvas, one move at a time, each waiting for the next prediction
 * (`what` = 'prediction') or attack result ('attack') shown. */
async function fingerLatency(page, cdp, what) {
  await page.evaluate(() => document.getElementById('clear-button').click());
  await page.locator('#draw-canvas').scrollIntoViewIfNeeded();
  const box = await page.locator('#draw-canvas').boundingBox();
  const at = (f) => ({ x: box.x + box.width * (0.3 + 0.4 * f), y: box.y + box.height * (0.2 + 0.6 * f) });
  await page.evaluate((w) => {
    // How many predictions the demo has shown, or results its attack panel has (no eval: the page's CSP forbids it).
    window.__shown = (what) => Number((what === 'attack' ? document.getElementById('attack-panel')?.dataset.results : document.documentElement.dataset.predictions) ?? 0);
    window.__moves = [];
    window.__handled = [];
    // The page's share starts at its first handler of the move: `pointerrawupdate` where the
    // browser has it (it comes before the frame that brings `pointermove`), else `pointermove`.
    // On the window, capturing: before any of the page's own handlers (and the jobs they start).
    const firstSeen = new Map();
    const canvas = document.getElementById('draw-canvas');
    const seen = (e) => { if (e.target === canvas && !firstSeen.has(e.timeStamp)) firstSeen.set(e.timeStamp, performance.now()); };
    window.addEventListener('pointerrawupdate', seen, true);
    window.addEventListener('pointermove', (e) => {
      if (e.target !== canvas) return;
      seen(e);
      window.__moves.push(e.timeStamp);
      window.__handled.push(firstSeen.get(e.timeStamp));
    }, true);
    // When each count was first on the screen: the start of the first frame after the change
    // (the frame that paints it), on the page's clock. Timed in the page, so that the bench's
    // own round trips to the browser do not count.
    window.__shownAt = new Map();
    const target = w === 'attack' ? document.getElementById('attack-panel') : document.documentElement;
    window.__shownObserver?.disconnect(); // the last finger's (it watched another count)
    (window.__shownObserver = new MutationObserver(() => {
      const n = window.__shown(w);
      const shown = () => {
        if (window.__shownAt.has(n)) return;
        window.__shownAt.set(n, performance.now());
        document.documentElement.dataset.benchShown = String(n); // for waitInPage
      };
      // Made in a frame's callbacks, the change is painted by that frame; else by the next one.
      if (window.__inFrame()) shown();
      else requestAnimationFrame(shown);
    })).observe(target, { attributes: true, attributeFilter: [w === 'attack' ? 'data-results' : 'data-predictions'] });
  }, what);
  const touch = (type, p) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: p ? [{ x: p.x, y: p.y }] : [] });
  await touch('touchStart', at(0));
  const latencies = [];
  const delivery = []; // the browser's share: from the move's event time to the page's handler
  const own = []; // the page's share: from its handler to the frame that shows the update
  for (let i = 1; i <= MOVES; i++) {
    const before = await page.evaluate((w) => window.__shown(w), what);
    const sent = await page.evaluate(() => window.__moves.length);
    await touch('touchMove', at(i / MOVES));
    const ok = await waitInPage(page, ([n, m]) => window.__moves.length > m && [...window.__shownAt.keys()].some((k) => k > n), [before, sent], 5000).then(() => true, () => false);
    if (!ok) continue;
    const [total, browser] = await page.evaluate((n) => {
      const last = window.__moves.length - 1;
      // The first count after the move's own: a later one may have come meanwhile.
      const shown = Math.min(...[...window.__shownAt].filter(([k]) => k > n).map(([, t]) => t));
      if (!(shown >= window.__moves[last])) return [null, null]; // not this move's: not counted
      return [shown - window.__moves[last], window.__handled[last] - window.__moves[last]];
    }, before);
    if (total == null) continue;
    latencies.push(total);
    delivery.push(browser);
    own.push(total - browser);
  }
  await touch('touchEnd', null);
  return {
    p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), n: latencies.length,
    delivery: quantile(delivery, 0.5), own: { p50: quantile(own, 0.5), p95: quantile(own, 0.95) },
  };
}

async function setAttack(page, method, eps, steps) {
  await page.evaluate(([m, e, s]) => {
    const select = document.getElementById('attack-method');
    select.value = m;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    const epsInput = document.getElementById('attack-eps');
    epsInput.value = String(e);
    epsInput.dispatchEvent(new Event('input', { bubbles: true }));
    if (s) {
      const stepsInput = document.getElementById('attack-steps');
      stepsInput.value = String(s);
      stepsInput.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }, [method, eps, steps]);
  await page.waitForFunction(() => !document.getElementById('attack-panel').hasAttribute('aria-busy'), null, { timeout: 600_000 });
}

async function cancelToIdle(page) {
  if (!(await page.$('#attack-cancel'))) return null;
  const cw = panelAttack('cw');
  await page.evaluate(cw.start, cw.arg);
  await page.waitForFunction(() => !document.getElementById('attack-cancel').hidden, null, { timeout: 60_000 });
  await page.waitForTimeout(150); // into the C&W
  return page.evaluate(async () => {
    const pressed = performance.now();
    document.getElementById('attack-cancel').click();
    const idle = () => !document.getElementById('attack-panel').hasAttribute('aria-busy');
    while (!idle()) await new Promise((r) => setTimeout(r, 1));
    const idleMs = performance.now() - pressed;
    const api = window.adversarialDigits;
    await api.classify(api.current().pixels);
    return { idleMs, answerMs: performance.now() - pressed };
  });
}

async function tier(browser, server, backend, rate) {
  const path = backend === 'cpu' ? '/?backend=cpu' : '/';
  const { context, page, cdp } = await openPage(browser, server, path, { rate });
  const out = { backend, rate, firstPrediction: await page.evaluate(() => window.__phone.firstPrediction) };
  if (backend === 'webgpu') {
    await page.waitForFunction(() => document.getElementById('backend').dataset.backend !== 'cpu' || document.getElementById('backend-note').textContent, null, { timeout: 600_000 });
    out.backendShown = await page.getAttribute('#backend', 'data-backend');
    await page.evaluate(async () => { const { getEngine } = await import('/www/models.js'); await (await getEngine('standard')).routed; });
    out.routing = await page.evaluate(() => window.adversarialDigits.routing);
  }
  out.where = await page.evaluate(() => window.adversarialDigits.where);
  out.engineCall = await page.evaluate(async () => {
    const api = window.adversarialDigits;
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await api.attack({ method: 'pgd', eps: 0.1, steps: 10 });
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[2];
  });
  // The prediction's own time (a digit classified, round trip to the worker): the pointer rows'
  // target is a frame plus this.
  out.predictCall = await page.evaluate(async () => {
    const api = window.adversarialDigits;
    const pixels = api.current().pixels;
    const times = [];
    for (let i = 0; i < 11; i++) {
      const t = performance.now();
      await api.classify(pixels);
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[5];
  });
  await setAttack(page, 'fgsm', 0.2);
  out.predictLatency = await fingerLatency(page, cdp, 'prediction');
  out.fgsmLatency = await fingerLatency(page, cdp, 'attack');
  await setAttack(page, 'pgd', 0.1, 10);
  out.pgdLatency = await fingerLatency(page, cdp, 'attack');
  out.cancel = SKIP.has('cancel') ? null : await cancelToIdle(page);
  out.operations = {};
  for (const [name, op] of SKIP.has('operations') ? [] : Object.entries(OPERATIONS)) {
    await setAttack(page, 'fgsm', 0.2);
    out.operations[name] = await during(page, op.start, op.done, op.arg);
  }
  out.longTaskTotal = await page.evaluate(() => window.__phone.longTasks.length);
  await context.close();
  return out;
}

async function slowNetwork(browser, server, backend) {
  const path = backend === 'cpu' ? '/?backend=cpu' : '/';
  const { context, page } = await openPage(browser, server, path, { network: SLOW_4G });
  const firstPrediction = await page.evaluate(() => window.__phone.firstPrediction);
  await context.close();
  return firstPrediction;
}

const server = await startServer({ port: 0, root: args.root ?? ROOT });
// The same files from a host that sends gzip only (GitHub Pages, say), for the Slow 4G row.
const gzipOnly = await startServer({ port: 0, root: args.root ?? ROOT, brotli: false });
const results = [];
const slow = {};
const slowGzip = {};
for (const backend of BACKENDS) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', ...LAUNCH[backend]] });
  try {
    // A host stores each file's smallest compressed form: one visit first, to have them made.
    const { context } = await openPage(browser, server, backend === 'cpu' ? '/?backend=cpu' : '/');
    await context.close();
    await server.compressed();
    if (!SKIP.has('slow')) {
      slow[backend] = await slowNetwork(browser, server, backend);
      slowGzip[backend] = await slowNetwork(browser, gzipOnly, backend);
    }
    for (const rate of TIERS) {
      process.stderr.write(`bench-phone: ${backend} at ${rate}x\n`);
      results.push(await tier(browser, server, backend, rate));
    }
  } finally {
    await browser.close();
  }
}
await server.close();
await gzipOnly.close();

const cols = results.map((r) => `${r.backend === 'cpu' ? 'CPU' : 'WebGPU'} ${r.rate}x`);
const row = (cells) => `| ${cells.join(' | ')} |`;
const lines = [row(['', ...cols]), row(['---', ...cols.map(() => '---:')])];
const add = (label, cell) => lines.push(row([label, ...results.map(cell)]));
add('engine runs in', (r) => r.where ?? 'page');
add('navigation → first prediction, ms', (r) => ms(r.firstPrediction));
add('… on Slow 4G (1x CPU), ms', (r) => (r.rate === 1 ? ms(slow[r.backend]) : ''));
add('… on Slow 4G from a gzip-only host, ms', (r) => (r.rate === 1 ? ms(slowGzip[r.backend]) : ''));
add('engine call: prediction, round trip, median ms', (r) => ms(r.predictCall));
add('engine call: PGD-10, round trip, median ms', (r) => ms(r.engineCall));
const lat = (l) => `${ms(l.p50)} / ${ms(l.p95)}${l.n < MOVES ? ` (${MOVES - l.n} of ${MOVES} moves not timed)` : ''}`;
const own = (l) => (l.own ? `${ms(l.own.p50)} / ${ms(l.own.p95)}` : '–');
add('pointer move → prediction, p50 / p95 ms', (r) => lat(r.predictLatency));
add('… target: a frame (16.7 ms) + prediction, ms', (r) => ms(1000 / 60 + r.predictCall));
add('… of which the browser delivers the move to the page, p50 ms', (r) => ms(r.predictLatency.delivery));
add('… from the page\'s handler to the frame showing it, p50 / p95 ms', (r) => own(r.predictLatency));
add('pointer move → FGSM result, p50 / p95 ms', (r) => lat(r.fgsmLatency));
add('… from the page\'s handler, p50 / p95 ms', (r) => own(r.fgsmLatency));
add('pointer move → PGD-10 result, p50 / p95 ms', (r) => lat(r.pgdLatency));
add('… from the page\'s handler, p50 / p95 ms ', (r) => own(r.pgdLatency));
add('Cancel (C&W) → panel idle, ms', (r) => ms(r.cancel?.idleMs));
add('Cancel (C&W) → next answer, ms', (r) => ms(r.cancel?.answerMs));
for (const name of SKIP.has('operations') ? [] : Object.keys(OPERATIONS)) {
  add(`${name}: longest main-thread task / whole run, ms`, (r) => `${r.operations[name].longest ? ms(r.operations[name].longest) : 'none > 50'} / ${ms(r.operations[name].ms)}`);
}
console.log(lines.join('\n'));
if (args.json) writeFileSync(args.json, JSON.stringify({ results, slow, slowGzip }, null, 2));
