// Building elements in a few lines, without markup strings (no HTML parsing of any value, and
// nothing for the CSP to refuse: no inline styles, no inline handlers).

/**
 * `el('button', {class: 'x', text: 'Go', type: 'button'}, child, 'text')`. `class` sets the class
 * list, `text` the text content; `hidden: true` hides; every other key is an attribute.
 * @param {string} tag
 * @param {Record<string, string|number|boolean|null|undefined>} [attributes]
 * @param {...(Node|string)} children
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = String(value);
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'hidden') node.hidden = true;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

/**
 * Whether `element` is on screen, and a callback when that changes: panels far down the page
 * skip live work (a PGD run per stroke) that nobody would see, and catch up when scrolled to.
 * Without IntersectionObserver, always visible.
 * @returns {{readonly visible: boolean, onShow: (fn: () => void) => void}}
 */
export function watchVisibility(element) {
  let visible = typeof IntersectionObserver === 'undefined';
  const shown = new Set();
  if (!visible) {
    new IntersectionObserver((entries) => {
      const now = entries.some((e) => e.isIntersecting);
      const appeared = now && !visible;
      visible = now;
      if (appeared) for (const fn of shown) fn();
    }).observe(element);
  }
  return {
    get visible() { return visible; },
    onShow: (fn) => shown.add(fn),
  };
}
