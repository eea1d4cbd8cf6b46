// "What it thinks": ten probability bars and the sentence that reads them out. Renders only.

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
        value.textContent = probabilities ? percent(p) : '–';
      });
    },
  };
}

/** The one-sentence verdict in `element` (a role="status" live region). */
export function mountVerdict(element) {
  return {
    show(label, probabilities) {
      element.textContent = `The network reads a ${label} (${percent(probabilities[label])} sure).`;
      element.dataset.label = String(label);
    },
    /** No prediction: a hint instead. */
    hint(text) {
      element.textContent = text;
      delete element.dataset.label;
    },
  };
}
