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
 * Sets `node`'s text, unless it is that already: writing the same text replaces the text node all
 * the same, and the page lays it out again, on every frame of a stroke for a caption that stays.
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * `run`, but only while `element` is on screen: the returned function runs it now if the element
 * is visible, else once it scrolls into view (panels far down the page then skip live work, such
 * as a PGD run per stroke, that nobody would see). Without IntersectionObserver, always at once.
 * @param {Element} element
 * @param {() => void} run
 * @returns {() => void}
 */
export function whenOnScreen(element, run) {
  let visible = typeof IntersectionObserver === 'undefined';
  let pending = false;
  if (!visible) {
    new IntersectionObserver((entries) => {
      const now = entries.some((e) => e.isIntersecting);
      const appeared = now && !visible;
      visible = now;
      if (appeared && pending) {
        pending = false;
        run();
      }
    }).observe(element);
  }
  return () => {
    pending = !visible;
    if (visible) run();
  };
}
