// Drawing 28x28 images: grayscale digits and signed noise on a diverging colour map.
// The map runs blue → white → orange, which stays distinguishable for the common forms of
// colour blindness (no red/green opposition), and its scale is printed beside it.

const SIDE = 28;

/** A 28×28 canvas's context. Its size is set only when it differs: setting it (even to the same
 * value) clears the canvas and reallocates its pixels, on every frame of a stroke. */
function context28(canvas) {
  if (canvas.width !== SIDE) canvas.width = SIDE;
  if (canvas.height !== SIDE) canvas.height = SIDE;
  return canvas.getContext('2d');
}

/** Draws 784 values in [0, 1] as ink-bright-on-black pixels. */
export function drawDigit(canvas, pixels) {
  const ctx = context28(canvas);
  const image = ctx.createImageData(SIDE, SIDE);
  const data = image.data;
  for (let i = 0, o = 0; i < SIDE * SIDE; i++, o += 4) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    data[o] = v;
    data[o + 1] = v;
    data[o + 2] = v;
    data[o + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

const BLUE = [33, 102, 172];
const ORANGE = [230, 97, 1];

/** The diverging map, blue (negative) → white (0) → orange (positive): writes the colour of `t`
 * in [-1, 1] as RGB at `data[at..at + 3]`, allocating nothing (a noise image is 784 of them, on
 * every frame of a walk). */
export function putDiverging(data, at, t) {
  const c = Math.min(1, Math.max(-1, t));
  const end = c < 0 ? BLUE : ORANGE;
  const a = Math.abs(c);
  data[at] = Math.round(255 + (end[0] - 255) * a);
  data[at + 1] = Math.round(255 + (end[1] - 255) * a);
  data[at + 2] = Math.round(255 + (end[2] - 255) * a);
}

/**
 * Draws signed noise, amplified so that the largest change fills the colour scale.
 * Returns the scale (the value shown at full colour).
 */
export function drawNoise(canvas, noise) {
  let scale = 0;
  for (const v of noise) scale = Math.max(scale, Math.abs(v));
  const ctx = context28(canvas);
  const image = ctx.createImageData(SIDE, SIDE);
  const data = image.data;
  for (let i = 0, at = 0; i < SIDE * SIDE; i++, at += 4) {
    putDiverging(data, at, scale > 0 ? noise[i] / scale : 0);
    data[at + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return scale;
}

/** Paints the legend of the diverging map into a wide, short canvas. */
export function drawLegend(canvas) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  const rgb = [0, 0, 0];
  for (let x = 0; x < width; x++) {
    putDiverging(rgb, 0, (x / (width - 1)) * 2 - 1);
    ctx.fillStyle = `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})`;
    ctx.fillRect(x, 0, 1, height);
  }
}
