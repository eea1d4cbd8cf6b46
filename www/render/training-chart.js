// The training card's curves: the loss of every batch (its own scale, left) and the clean and PGD
// accuracies (0 to 100%, right) against the batches done, epochs marked. Renders only.

import { SERIES_STYLES, clearCanvas } from './chart.js';

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{loss: [number, number][], accuracy: [number, number][], pgd: [number, number][],
 *          totalSteps: number, epochSteps: number[]}} curves points as [step, value]
 */
export function drawTrainingCurves(canvas, { loss, accuracy, pgd, totalSteps, epochSteps }) {
  const { ctx, width, height } = clearCanvas(canvas, 220);
  const ink = getComputedStyle(canvas).color || '#222';
  const pad = { left: 44, right: 44, top: 10, bottom: 30 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const maxLoss = Math.max(0.5, ...loss.map(([, v]) => v).slice(0, 20));
  const x = (step) => pad.left + (w * step) / Math.max(1, totalSteps);
  const yLoss = (v) => pad.top + h * (1 - Math.min(v, maxLoss) / maxLoss);
  const yAcc = (v) => pad.top + h * (1 - v);

  ctx.strokeStyle = ink;
  ctx.fillStyle = ink;
  ctx.lineWidth = 1;
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeRect(pad.left, pad.top, w, h);
  ctx.textAlign = 'right';
  for (const v of [0, maxLoss / 2, maxLoss]) ctx.fillText(v.toFixed(2), pad.left - 4, yLoss(v) + 4);
  ctx.textAlign = 'left';
  for (const v of [0, 0.5, 1]) ctx.fillText(`${v * 100}%`, pad.left + w + 4, yAcc(v) + 4);
  ctx.textAlign = 'center';
  ctx.fillText('batches', pad.left + w / 2, height - 6);
  ctx.setLineDash([2, 3]);
  for (const step of epochSteps) {
    ctx.beginPath();
    ctx.moveTo(x(step), pad.top);
    ctx.lineTo(x(step), pad.top + h);
    ctx.stroke();
  }
  const line = (points, y, style, label) => {
    if (!points.length) return;
    ctx.strokeStyle = style.color;
    ctx.fillStyle = style.color;
    ctx.setLineDash(style.dash);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    points.forEach(([s, v], i) => (i ? ctx.lineTo(x(s), y(v)) : ctx.moveTo(x(s), y(v))));
    ctx.stroke();
    const [s, v] = points[points.length - 1];
    ctx.textAlign = 'right';
    ctx.fillText(label, Math.max(pad.left + 60, x(s) - 4), Math.max(pad.top + 10, y(v) - 4));
  };
  // The loss smoothed over a few batches: one batch's loss is noisy.
  const smoothed = [];
  let s = null;
  for (const [step, v] of loss) {
    s = s === null ? v : 0.9 * s + 0.1 * v;
    smoothed.push([step, s]);
  }
  line(smoothed, yLoss, SERIES_STYLES[0], 'loss');
  line(accuracy, yAcc, SERIES_STYLES[2], 'clean');
  line(pgd, yAcc, SERIES_STYLES[3], 'PGD');
  ctx.setLineDash([]);
}
