// embed.html: one <adversarial-digits>, configured by the page's query string (the element's
// attribute names: ?view=attack&eps=0.2&digit=3…), for hosts that can frame a page but not run
// a script of their own.

import '../embed.js';
import { STATE_ATTRIBUTES } from '../state.js';

const ATTRIBUTES = ['view', 'controls', 'layout', 'loading', 'theme', ...Object.keys(STATE_ATTRIBUTES)];
const query = new URLSearchParams(location.search);
const element = document.createElement('adversarial-digits');
for (const name of ATTRIBUTES) {
  if (query.has(name)) element.setAttribute(name, query.get(name));
}
// The frame's own background follows the demo's theme.
if (query.has('theme')) document.documentElement.dataset.theme = query.get('theme');
document.querySelector('main').append(element); // built with its attributes: it mounts once
