// A small line chart on a canvas (accuracy against ε), plus the same numbers as a table for
// screen readers and for copying. Renders only: it is given the series and draws them.

/** Colour-blind-safe colours (Okabe & Ito) and dash patterns, so series differ in two ways. */
export const SERIES_STYLES = [
  { color: '#0072b2', dash: [] },
  { color: '#0072b2', dash: [6, 4] },
  { color: '#d55e00', dash: [] },
  { color: '#d55e00', dash: [6, 4] },
];

/**
 * Sizes `canvas`'s bitmap to its CSS size at the screen's pixel ratio (a `defaultHeight` where it
 * has none yet), clears it and returns its context in CSS pixels: {ctx, width, height}.
 */
export function clearCanvas(canvas, defaultHeight) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 480;
  const height = canvas.clientHeight || defaultHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{x: number[], series: {name: string, values: (number|null)[]}[], xLabel: string, yLabel: string}} data
 *   `values[i]` in [0, 1] at `x[i]`, or null where not computed yet.
 */
export function drawLineChart(canvas, { x, series, xLabel, yLabel }) {
  const { ctx, width, height } = clearCanvas(canvas, 260);
  const style = getComputedStyle(canvas);
  const ink = style.color || '#222';
  const pad = { left: 44, right: 12, top: 10, bottom: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const xMax = Math.max(...x, 1e-9);
  const px = (v) => pad.left + (v / xMax) * plotW;
  const py = (v) => pad.top + (1 - v) * plotH;

  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = ink;
  ctx.strokeStyle = ink;
  ctx.globalAlpha = 0.25;
  for (let k = 0; k <= 4; k++) {
    ctx.beginPath();
    ctx.moveTo(pad.left, py(k / 4));
    ctx.lineTo(pad.left + plotW, py(k / 4));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let k = 0; k <= 4; k++) ctx.fillText(`${k * 25}%`, pad.left - 6, py(k / 4));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const v of x) ctx.fillText(String(v), px(v), pad.top + plotH + 4);
  ctx.fillText(xLabel, pad.left + plotW / 2, pad.top + plotH + 20);
  ctx.save();
  ctx.translate(10, pad.top + plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, -6);
  ctx.restore();

  series.forEach(({ values }, i) => {
    const { color, dash } = SERIES_STYLES[i % SERIES_STYLES.length];
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash);
    ctx.beginPath();
    let started = false;
    values.forEach((v, j) => {
      if (v == null) return;
      if (started) ctx.lineTo(px(x[j]), py(v));
      else ctx.moveTo(px(x[j]), py(v));
      started = true;
    });
    ctx.stroke();
    ctx.setLineDash([]);
    values.forEach((v, j) => {
      if (v == null) return;
      ctx.beginPath();
      ctx.arc(px(x[j]), py(v), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    });
  });
}

/** The legend: one item per series, its line drawn in a small canvas. */
export function drawLegendItems(container, series) {
  container.replaceChildren();
  series.forEach(({ name }, i) => {
    const { color, dash } = SERIES_STYLES[i % SERIES_STYLES.length];
    const swatch = document.createElement('canvas');
    swatch.width = 28;
    swatch.height = 10;
    swatch.setAttribute('aria-hidden', 'true');
    const ctx = swatch.getContext('2d');
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(0, 5);
    ctx.lineTo(28, 5);
    ctx.stroke();
    const item = document.createElement('span');
    item.className = 'chart-legend-item';
    item.append(swatch, ` ${name}`);
    container.append(item);
  });
}

/** The numbers as a table: one row per ε, one column per series. */
export function fillTable(table, { x, series, xLabel }) {
  const head = document.createElement('tr');
  for (const text of [xLabel, ...series.map((s) => s.name)]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.append(th);
  }
  const rows = x.map((v, j) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = String(v);
    tr.append(th);
    for (const s of series) {
      const td = document.createElement('td');
      const value = s.values[j];
      td.textContent = value == null ? '…' : `${(value * 100).toFixed(0)}%`;
      if (value != null) td.dataset.value = String(value);
      tr.append(td);
    }
    return tr;
  });
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  tbody.append(...rows);
  table.replaceChildren(thead, tbody);
}
