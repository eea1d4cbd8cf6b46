// <adversarial-digits>: the demo as an element, for blog posts and course pages. One
//
//   <script type="module" src="https://…/www/embed.js"></script>
//
// defines it (and window.adversarialDigits); then every
//
//   <adversarial-digits view="attack" attack="fgsm" eps="0.2" digit="3" controls="samples,eps"></adversarial-digits>
//
// is a demo of its own (www/demo.js, the same code as the page's), in a shadow root: the host
// page's styles and ids do not reach in, and the demo's do not leak out. All of them share one
// engine per model (www/models.js): one download, one WebGPU device. Their settings live in
// memory, never in the host page's address.
//
// Attributes (checked like the page's address; a bad value is named in the embed):
//   view      classify | attack | visualise | robust | blackbox, or several ("classify attack"); default classify
//   layout    compact (default: digit + noise = adversarial in one row, the rest behind "More",
//             sized for a blog column) | full (a card per part, as on the demo's own page)
//   loading   lazy (default: the network loads when the embed comes near the viewport; until
//             then it shows a poster, at the size it will have) | eager
//   controls  which controls show: draw, upload, samples, method, eps, steps, target, extras;
//             "attack" = the attack panel's five; "all" (default) or "none"
//   attack    an attack method (www/attack-methods.js); eps, steps, pixels, queries, eot, target: its settings
//   digit     a sample digit (index into MNIST's test set, 0-99); drawn: a digit code (a copied link's)
//   model     standard | robust | masked (the standard network behind a gradient-masking squeezer)
//   theme     light | dark | auto (default: the reader's preference)

import { connect, followBackend } from './api.js';
import { LAYOUTS, VIEWS, mountDemo, parseControls } from './demo.js';
import { el } from './dom.js';
import { POSTER } from './embed/poster.js';
import { STATE_ATTRIBUTES, STATE_SPEC, createState, parseValue } from './state.js';

const STYLESHEETS = ['./style.css', './embed/embed.css'].map((path) => new URL(path, import.meta.url).href);

/** Attributes that change which parts the demo has: it is built again. */
const LAYOUT_ATTRIBUTES = ['view', 'controls', 'layout'];
/** How near the viewport (px, above or below) a lazy embed starts loading: a fast scroll's worth. */
const NEAR = '400px 0px';
const LOADINGS = ['lazy', 'eager'];
const VIEW_ALIASES = { visualize: 'visualise' };

/** 'attack classify' → {views: ['classify', 'attack'], unknown: []} */
function parseViews(text) {
  const names = String(text ?? '').split(/[\s,]+/).filter(Boolean).map((name) => VIEW_ALIASES[name] ?? name);
  if (!names.length) return { views: ['classify'], unknown: [] };
  return { views: VIEWS.filter((v) => names.includes(v)), unknown: names.filter((n) => !VIEWS.includes(n)) };
}

const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
const unit = (base64) => Float32Array.from(bytes(base64), (v) => v / 255);
/** The poster (www/embed/poster.js, made by tools/poster.mjs) as an attack result the panel draws. */
function posterResult() {
  const input = { ...POSTER.input, pixels: unit(POSTER.input.pixels), probabilities: Float32Array.from(POSTER.input.probabilities) };
  const pixels = unit(POSTER.output.pixels);
  const noise = pixels.map((v, i) => v - input.pixels[i]);
  return {
    input, output: { ...POSTER.output, pixels, noise, probabilities: Float32Array.from(POSTER.output.probabilities) },
    range: { ...POSTER.range, value: POSTER.eps }, catalogue: POSTER.catalogue,
  };
}

/** Resolves once `element` is within NEAR of the viewport (at once without IntersectionObserver). */
function near(element) {
  if (typeof IntersectionObserver === 'undefined') return Promise.resolve();
  return new Promise((resolve) => {
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      resolve();
    }, { rootMargin: NEAR });
    observer.observe(element);
  });
}

// The demo the reader used last gives the API's current().
let lastActive = null;

export class AdversarialDigitsElement extends HTMLElement {
  static observedAttributes = [...Object.keys(STATE_ATTRIBUTES), ...LAYOUT_ATTRIBUTES, 'loading'];

  #demo = null;
  #container;
  #notes;
  #near = null; // resolves when the embed is near the viewport (or at once: loading="eager")

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    const links = STYLESHEETS.map((href) => el('link', { rel: 'stylesheet', href }));
    this.#notes = el('ul', { class: 'embed-notes', hidden: true });
    this.#container = el('div', { class: 'embed-demo', hidden: true });
    // Until the demo is styled, the element's own content shows: the author's poster and link
    // (what readers without JavaScript see; "Copy embed code" writes it).
    const fallback = el('slot');
    shadow.append(...links, this.#notes, fallback, this.#container);
    // Shown once styled (a failed stylesheet shows it anyway, unstyled but usable).
    Promise.all(links.map((link) => new Promise((done) => {
      link.addEventListener('load', done, { once: true });
      link.addEventListener('error', done, { once: true });
    }))).then(() => {
      fallback.remove();
      this.#container.hidden = false;
    });
    this.addEventListener('adversarialdigits:prediction', () => { lastActive = this.#demo; });
    this.addEventListener('focusin', () => { lastActive = this.#demo; });
  }

  connectedCallback() {
    if (!this.#demo) this.#mount();
  }

  attributeChangedCallback(name, before, value) {
    if (!this.#demo || before === value) return;
    if (name === 'loading') {
      if (value === 'eager') this.#near?.start();
      return;
    }
    if (LAYOUT_ATTRIBUTES.includes(name)) this.#mount();
    else this.#demo.state.set(STATE_ATTRIBUTES[name], parseValue(STATE_SPEC[STATE_ATTRIBUTES[name]], value));
  }

  /** The demo inside (www/demo.js): its state, current digit, latest attack, `ready`. */
  get demo() {
    return this.#demo;
  }

  #mount() {
    const notes = [];
    const { views, unknown: badViews } = parseViews(this.getAttribute('view'));
    if (badViews.length) notes.push(`unknown view ${badViews.map((v) => `“${v}”`).join(', ')} (${VIEWS.join(', ')})`);
    const { controls, unknown: badControls } = parseControls(this.getAttribute('controls'));
    if (badControls.length) notes.push(`unknown control ${badControls.map((c) => `“${c}”`).join(', ')}`);
    const layoutText = this.getAttribute('layout');
    const layout = LAYOUTS.includes(layoutText) ? layoutText : 'compact';
    if (layoutText != null && layout !== layoutText) notes.push(`layout="${layoutText}" is not a layout (${LAYOUTS.join(' or ')}), compact is used`);
    const loading = this.getAttribute('loading');
    if (loading != null && !LOADINGS.includes(loading)) notes.push(`loading="${loading}" is not lazy or eager, lazy is used`);

    const initial = {};
    for (const [attribute, key] of Object.entries(STATE_ATTRIBUTES)) {
      const raw = this.getAttribute(attribute);
      if (raw == null) continue;
      initial[key] = raw;
      const value = parseValue(STATE_SPEC[key], raw);
      if (raw !== '' && (value == null || value === STATE_SPEC[key].default) && String(STATE_SPEC[key].default) !== raw) {
        notes.push(`${attribute}="${raw}" is not a valid value, ignored`);
      }
    }
    const state = this.#demo ? createState({ address: false, initial: { ...this.#demo.state.values(), ...initial } }) : createState({ address: false, initial });

    this.#notes.replaceChildren(...notes.map((text) => el('li', { text: `adversarial-digits: ${text}.` })));
    this.#notes.hidden = notes.length === 0;
    for (const text of notes) console.warn(`adversarial-digits: ${text}.`);

    this.removeAttribute('data-ready');
    const root = el('div');
    this.#container.replaceChildren(root);
    // Started once: a demo built again (a changed view) starts at once if the first had started.
    this.#near ??= this.#startSignal(loading === 'eager');
    const demo = mountDemo(root, {
      state, views: views.length ? views : ['classify'], controls, pasteTarget: this.shadowRoot, headingLevel: 3, landmarks: false,
      layout, startWhen: this.#near.promise, poster: posterResult(),
    });
    this.#demo = demo;
    lastActive ??= demo;
    demo.ready.then((engine) => {
      if (this.#demo !== demo) return;
      this.dataset.ready = 'true';
      connect(engine, { current: apiCurrent });
    }, () => {
      if (this.#demo === demo) this.dataset.ready = 'error';
    });
  }

  /** {promise, start()}: the promise resolves when the embed comes near the viewport, or on start(). */
  #startSignal(eager) {
    let start;
    const promise = new Promise((resolve) => { start = resolve; });
    if (eager) start();
    else near(this).then(start);
    return { promise, start };
  }
}

function apiCurrent() {
  const digit = lastActive?.current();
  return digit ? { ...digit, probabilities: Array.from(digit.probabilities) } : null;
}

followBackend();
if (!customElements.get('adversarial-digits')) customElements.define('adversarial-digits', AdversarialDigitsElement);
