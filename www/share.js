// "Copy link" and "Copy embed code": the demo's state (www/state.js) as an address that restores
// it, or as an <adversarial-digits> element for another page. Where the browser refuses the
// clipboard, the text appears in a field, selected, to copy by hand.

import { el } from './dom.js';
import { STATE_ATTRIBUTES, STATE_SPEC } from './state.js';

const EMBED_SCRIPT = new URL('./embed.js', import.meta.url).href;
const POSTER_IMAGE = new URL('./embed/poster.png', import.meta.url).href;
const POSTER_SIZE = 'width="600" height="475"'; // tools/poster.mjs's screenshot
const POSTER_ALT = 'A handwritten 7, plus noise amplified to be seen, gives a digit that still looks like a 7; the network reads it as a 2. Open the live demo.';
/** The embed layouts "Copy embed code" offers (www/demo.js's LAYOUTS), with what each is for. */
const EMBED_LAYOUTS = [
  { layout: 'compact', label: 'compact (fits a blog column)' },
  { layout: 'full', label: 'full (as on this page)' },
];

const attributeText = (value) => String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The address of this page with `state` in its hash. */
export function linkFor(state, page = location) {
  return `${page.origin}${page.pathname}${state.hash()}`;
}

/**
 * An <adversarial-digits> element (and the script that defines it) showing what `state` shows.
 * Inside it, the poster and a link to the full demo: what readers without JavaScript see.
 */
export function embedCodeFor(state, { view = 'classify attack', layout = 'compact', page = location } = {}) {
  const values = state.values();
  const attributes = [['view', view], ...(layout === 'compact' ? [] : [['layout', layout]])];
  for (const [attribute, key] of Object.entries(STATE_ATTRIBUTES)) {
    const value = values[key];
    if (value != null && value !== STATE_SPEC[key].default) attributes.push([attribute, value]);
  }
  const list = attributes.map(([name, value]) => ` ${name}="${attributeText(value)}"`).join('');
  // loading="lazy": where the script runs, the image is never shown, so never fetched.
  const poster = `<a href="${attributeText(linkFor(state, page))}"><img src="${POSTER_IMAGE}" ${POSTER_SIZE} loading="lazy" alt="${attributeText(POSTER_ALT)}"></a>`;
  return `<script type="module" src="${EMBED_SCRIPT}"></script>\n<adversarial-digits${list}>${poster}</adversarial-digits>`;
}

/**
 * Two buttons, a status line and a fallback field in `container`.
 * @param {HTMLElement} container
 * @param {{state: {hash: () => string, values: () => object}, idPrefix?: string}} options
 */
export function mountShare(container, { state, idPrefix = '' }) {
  const id = (name) => idPrefix + name;
  const linkButton = el('button', { type: 'button', id: id('copy-link'), text: 'Copy link' });
  const embedButton = el('button', { type: 'button', id: id('copy-embed'), text: 'Copy embed code' });
  const layoutSelect = el('select', { id: id('embed-layout') });
  for (const { layout, label } of EMBED_LAYOUTS) layoutSelect.append(el('option', { value: layout, text: label }));
  const layoutLabel = el('label', { class: 'control inline', for: layoutSelect.id }, el('span', { class: 'control-name', text: 'Embed layout' }), layoutSelect);
  const status = el('p', { id: id('share-status'), class: 'share-status', role: 'status', 'aria-live': 'polite' });
  const field = el('textarea', { id: id('share-text'), class: 'share-text', readonly: true, rows: 3, spellcheck: 'false' });
  const fallback = el('div', { id: id('share-fallback'), class: 'share-fallback', hidden: true },
    el('label', { for: field.id, text: 'Copy this text (Ctrl+C, or ⌘C on a Mac):' }), field);
  container.replaceChildren(el('div', { class: 'row' }, linkButton, embedButton, layoutLabel), status, fallback);

  async function copy(text, what) {
    field.value = text;
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard in this browser');
      await navigator.clipboard.writeText(text);
      fallback.hidden = true;
      status.textContent = `${what} copied to the clipboard.`;
    } catch {
      fallback.hidden = false;
      field.focus();
      field.select();
      status.textContent = `The browser did not let the page copy the ${what.toLowerCase()}: it is selected below, copy it from there.`;
    }
  }
  linkButton.addEventListener('click', () => copy(linkFor(state), 'Link'));
  embedButton.addEventListener('click', () => copy(embedCodeFor(state, { layout: layoutSelect.value }), 'Embed code'));
}
