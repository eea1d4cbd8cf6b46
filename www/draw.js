// The drawing canvas: mouse, touch and pen through pointer events, dark ink on white paper,
// with Undo per stroke and Clear. It reports every change; it does no preprocessing.

const BRUSH = 20; // px on a 280 px canvas: strokes about a tenth of a digit's height, as in MNIST

export function mountDrawing(canvas, { onChange }) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  /** @type {{x: number, y: number}[][]} */
  const strokes = [];
  let drawing = null;

  function paint() {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = '#111';
    ctx.fillStyle = '#111';
    ctx.lineWidth = BRUSH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (const stroke of strokes) {
      if (stroke.length === 1) {
        ctx.beginPath();
        ctx.arc(stroke[0].x, stroke[0].y, BRUSH / 2, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(stroke[0].x, stroke[0].y);
      for (const p of stroke.slice(1)) ctx.lineTo(p.x, p.y);
      ctx.stroke();
    }
  }

  const point = (event) => {
    const rect = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * canvas.height,
    };
  };
  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    event.preventDefault();
    canvas.setPointerCapture?.(event.pointerId);
    drawing = [point(event)];
    strokes.push(drawing);
    paint();
    onChange('draw');
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    event.preventDefault();
    for (const e of event.getCoalescedEvents?.() ?? [event]) drawing.push(point(e));
    paint();
    onChange('draw');
  });
  const end = () => {
    if (!drawing) return;
    drawing = null;
    onChange('draw');
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  paint();

  return {
    isEmpty: () => strokes.length === 0,
    /** RGBA pixels of the canvas. */
    read: () => ctx.getImageData(0, 0, canvas.width, canvas.height),
    clear() { strokes.length = 0; paint(); onChange('clear'); },
    undo() { strokes.pop(); paint(); onChange('undo'); },
    /** Shows a picture (a sample or an upload) on the paper without making it a stroke. */
    strokes,
  };
}
