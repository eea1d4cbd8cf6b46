// The drawing canvas: mouse, touch and pen through pointer events, dark ink on white paper, a
// round anti-aliased brush about as thick, relative to a digit, as MNIST's strokes. Undo removes
// the last stroke, Clear all of them. It reports every change; it does no preprocessing.

const BRUSH = 20; // px on the 280 px canvas: a tenth of a digit drawn 200 px tall, as in MNIST
const PAPER = '#ffffff';
const INK = '#111111';

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{onChange: (kind: 'draw'|'undo'|'clear') => void}} handlers
 */
export function mountDrawing(canvas, { onChange }) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  /** @type {{x: number, y: number}[][]} one polyline per stroke, in canvas pixels */
  const strokes = [];
  let stroke = null; // the stroke being drawn
  let pointer = null; // the pointer drawing it (a second finger is ignored)

  function paintStroke(points) {
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0].x, points[0].y, BRUSH / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    // A smooth curve: straight to the first midpoint, then quadratic curves through the midpoints
    // with the recorded points as control points.
    ctx.beginPath();
    ctx.moveTo(points[0].x, points[0].y);
    for (let i = 1; i < points.length - 1; i++) {
      const mx = (points[i].x + points[i + 1].x) / 2;
      const my = (points[i].y + points[i + 1].y) / 2;
      ctx.quadraticCurveTo(points[i].x, points[i].y, mx, my);
    }
    const last = points[points.length - 1];
    ctx.lineTo(last.x, last.y);
    ctx.stroke();
  }

  function paint() {
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = BRUSH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (const points of strokes) paintStroke(points);
  }

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * canvas.height,
    };
  }

  canvas.addEventListener('pointerdown', (event) => {
    if (pointer !== null) return;
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture?.(event.pointerId);
    pointer = event.pointerId;
    stroke = [point(event)];
    strokes.push(stroke);
    paint();
    onChange('draw');
  });
  canvas.addEventListener('pointermove', (event) => {
    if (event.pointerId !== pointer) return;
    event.preventDefault();
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length ? events : [event]) stroke.push(point(e));
    paint();
    onChange('draw');
  });
  const end = (event) => {
    if (event.pointerId !== pointer) return;
    pointer = null;
    stroke = null;
  };
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) canvas.addEventListener(type, end);
  paint();

  return {
    isEmpty: () => strokes.length === 0,
    /** The canvas's RGBA pixels (an ImageData). */
    read: () => ctx.getImageData(0, 0, canvas.width, canvas.height),
    clear() {
      strokes.length = 0;
      pointer = null;
      stroke = null;
      paint();
      onChange('clear');
    },
    undo() {
      if (stroke) return; // not in the middle of a stroke
      strokes.pop();
      paint();
      onChange('undo');
    },
  };
}
