// The drawing canvas: mouse, touch and pen through pointer events, dark ink on white paper, a
// round anti-aliased brush about as thick, relative to a digit, as MNIST's strokes. Undo removes
// the last stroke, Clear all of them. It reports every change; it does no preprocessing.
// The keyboard draws too: once the canvas has the focus, the arrow keys move a pen (Shift: in
// small steps) and Space or Enter puts it down, starting a stroke, or lifts it.
//   Chromium hands `pointermove` to the page with the next frame; `pointerrawupdate` (secure
// contexts) comes as soon as the move arrives, a frame sooner (16 ms at 60 Hz, as measured in
// this project's phone bench). Where it exists the stroke grows there, so that the reading of the
// new stroke can start before the frame, and its answer be painted by it. It may come far more
// often than frames (every event of a 1 kHz mouse): the canvas is painted once a frame, or when
// it is read, and a stroke's growth is reported once a frame: the first move of a frame at once,
// later ones at the next frame, or when the stroke ends (one reading a frame is all a frame can
// show; reported once an event, the readings of a 1 kHz mouse superseded each other).

const BRUSH = 20; // px on the 280 px canvas: a tenth of a digit drawn 200 px tall, as in MNIST
const PAPER = '#ffffff';
const INK = '#111111';
const PEN = '#2166ac'; // the keyboard pen's ring, never part of what is read
const KEY_STEP = 10; // px per arrow key press (Shift: FINE_STEP)
const FINE_STEP = 2;
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

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
  let pen = null; // the keyboard's pen while the canvas has the focus: {x, y, stroke (while down)}
  let stale = false; // strokes have grown since the canvas was painted
  let reported = false; // a change was reported since the last frame began
  let unreported = false; // the stroke grew after that report
  let frameAsked = false;

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

  function paint({ showPen = true } = {}) {
    stale = false;
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = BRUSH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (const points of strokes) paintStroke(points);
    if (pen && showPen) {
      ctx.save();
      ctx.strokeStyle = PEN;
      ctx.lineWidth = pen.stroke ? 4 : 2;
      ctx.beginPath();
      ctx.arc(pen.x, pen.y, BRUSH / 2 + 3, 0, Math.PI * 2);
      ctx.stroke();
      ctx.restore();
    }
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
    report();
    askFrame();
  });
  const raw = 'onpointerrawupdate' in window;
  canvas.addEventListener(raw ? 'pointerrawupdate' : 'pointermove', (event) => {
    if (event.pointerId !== pointer) return;
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length ? events : [event]) stroke.push(point(e));
    stale = true;
    if (reported) unreported = true;
    else report();
    askFrame();
  });
  function report() {
    reported = true;
    onChange('draw');
  }
  function askFrame() {
    if (frameAsked) return;
    frameAsked = true;
    requestAnimationFrame(() => {
      frameAsked = false;
      if (stale) paint();
      reported = false;
      if (!unreported) return;
      // The moves since this frame's report: reported now, as this frame's one.
      unreported = false;
      report();
      askFrame();
    });
  }
  const end = (event) => {
    if (event.pointerId !== pointer) return;
    pointer = null;
    stroke = null;
    if (unreported) {
      // The stroke's last moves: reported now, not a frame later (another input may come first).
      unreported = false;
      report();
    }
  };
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) canvas.addEventListener(type, end);

  // The keyboard.
  if (canvas.tabIndex < 0) canvas.tabIndex = 0;
  canvas.addEventListener('focus', () => {
    pen ??= { x: canvas.width / 2, y: canvas.height / 2, stroke: null };
    paint();
  });
  canvas.addEventListener('blur', () => {
    pen = null;
    paint();
  });
  canvas.addEventListener('keydown', (event) => {
    if (!pen || event.altKey || event.ctrlKey || event.metaKey) return;
    const move = ARROWS[event.key];
    if (move) {
      event.preventDefault();
      const step = event.shiftKey ? FINE_STEP : KEY_STEP;
      pen.x = Math.min(canvas.width, Math.max(0, pen.x + move[0] * step));
      pen.y = Math.min(canvas.height, Math.max(0, pen.y + move[1] * step));
      pen.stroke?.push({ x: pen.x, y: pen.y });
      paint();
      if (pen.stroke) onChange('draw');
    } else if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      if (pen.stroke) {
        pen.stroke = null; // lifted
        paint();
      } else {
        pen.stroke = [{ x: pen.x, y: pen.y }];
        strokes.push(pen.stroke);
        paint();
        onChange('draw');
      }
    } else if (event.key === 'Escape' && pen.stroke) {
      pen.stroke = null;
      paint();
    }
  });
  paint();

  return {
    isEmpty: () => strokes.length === 0,
    /** The canvas's RGBA pixels (an ImageData), without the keyboard's pen. */
    read() {
      if (stale) paint();
      if (!pen) return ctx.getImageData(0, 0, canvas.width, canvas.height);
      paint({ showPen: false });
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      paint();
      return image;
    },
    clear() {
      this.reset();
      onChange('clear');
    },
    /** Blank paper again, without a change to report (another digit has replaced the drawing). */
    reset() {
      unreported = false; // nothing left to report: another digit has replaced the drawing
      strokes.length = 0;
      pointer = null;
      stroke = null;
      if (pen) pen.stroke = null;
      paint();
    },
    undo() {
      if (stroke) return; // not in the middle of a stroke
      if (pen) pen.stroke = null;
      strokes.pop();
      paint();
      onChange('undo');
    },
  };
}
