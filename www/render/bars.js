// "What it thinks": ten probability bars and the sentence that reads them out. Renders only.

import { setText } from '../dom.js';

/** 0.987 → "98.7%", 0.9996 → "100%", 0.0001 → "0%". */
export function percent(p) {
  return `${(p * 100).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)}%`;
}

/** Ten `.bar` rows in `container`, each with data-digit and data-probability. */
export function mountBars(container) {
  container.replaceChildren();
  container.setAttribute('role', 'list');
  const rows = [];
  for (let d = 0; d < 10; d++) {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('role', 'listitem');
    bar.dataset.digit = String(d);
    bar.dataset.probability = '0';
    const digit = document.createElement('span');
    digit.className = 'bar-digit';
    digit.textContent = String(d);
    const track = document.createElement('span');
    track.className = 'bar-track';
    track.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('span');
    fill.className = 'bar-fill';
    track.append(fill);
    const value = document.createElement('span');
    value.className = 'bar-value';
    value.textContent = '–';
    bar.append(digit, track, value);
    container.append(bar);
    rows.push({ bar, fill, value });
  }
  return {
    /** Draws the ten probabilities with the predicted `label` highlighted, or empty bars for `null`. */
    draw(probabilities, label = -1) {
      const top = probabilities ? label : -1;
      rows.forEach(({ bar, fill, value }, d) => {
        const p = probabilities ? probabilities[d] : 0;
        bar.dataset.probability = p.toFixed(6);
        bar.classList.toggle('top', d === top);
        fill.style.transform = `scaleX(${Math.min(1, Math.max(0, p))})`;
        setText(value, probabilities ? percent(p) : '–');
      });
    },
  };
}

/** The one-sentence verdict in `element` (a role="status" live region). */
export function mountVerdict(element) {
  return {
    show(label, probabilities) {
      setText(element, `The network reads a ${label} (${percent(probabilities[label])} sure).`);
      element.dataset.label = String(label);
    },
    /** No prediction: a hint instead. */
    hint(text) {
      setText(element, text);
      delete element.dataset.label;
    },
  };
}

const STRIP_TITLES = { before: 'Before', after: 'After', now: 'Reads' };

/**
 * Rows of ten small vertical bars (`rows`: 'before', 'after', 'now'), the compact form of the
 * bars: the attack's before and after, or one row for a prediction.
 */
export function mountStrip(rows = ['before', 'after'], label = 'Probabilities before and after the attack') {
  const root = document.createElement('div');
  root.className = 'compare-bars';
  root.setAttribute('role', 'img');
  root.setAttribute('aria-label', label);
  const cells = {};
  const span = (className, text) => {
    const node = document.createElement('span');
    node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };
  for (const which of rows) {
    const row = document.createElement('div');
    row.className = `compare-row ${which}`;
    row.append(span('compare-title', STRIP_TITLES[which]));
    cells[which] = [];
    for (let d = 0; d < 10; d++) {
      const fill = span('compare-fill');
      const track = span('compare-track');
      track.append(fill);
      const cell = span('compare-cell');
      cell.dataset.digit = String(d);
      cell.append(track, span('compare-digit', String(d)));
      row.append(cell);
      cells[which].push({ cell, fill });
    }
    root.append(row);
  }
  return {
    root,
    /** Draws ten probabilities in row `which`, highlighting the predicted label `top` (none for null). */
    draw(which, probabilities, top = -1) {
      cells[which].forEach(({ cell, fill }, d) => {
        const p = probabilities ? probabilities[d] : 0;
        fill.style.height = `${Math.max(0, Math.min(1, p)) * 100}%`;
        cell.dataset.probability = p.toFixed(6);
        cell.classList.toggle('top', probabilities != null && d === top);
        cell.title = `${d}: ${percent(p)}`;
      });
    },
  };
}
