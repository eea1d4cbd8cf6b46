// Ten probability bars. Renders only.

export function mountBars(container) {
  container.replaceChildren();
  const rows = [];
  for (let d = 0; d < 10; d++) {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.dataset.digit = String(d);
    bar.dataset.probability = '0';
    const digit = document.createElement('span');
    digit.className = 'bar-digit';
    digit.textContent = String(d);
    const track = document.createElement('span');
    track.className = 'bar-track';
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
    draw(probabilities, top) {
      rows.forEach(({ bar, fill, value }, d) => {
        const p = probabilities ? probabilities[d] : 0;
        bar.dataset.probability = p.toFixed(6);
        bar.classList.toggle('top', d === top);
        fill.style.width = `${(p * 100).toFixed(2)}%`;
        value.textContent = probabilities ? `${(p * 100).toFixed(p > 0.995 || p < 0.005 ? 0 : 1)}%` : '–';
      });
    },
  };
}
