// "What the network sees": the 28x28 input, one canvas pixel per input pixel, enlarged by CSS
// with `image-rendering: pixelated` so every pixel stays a sharp square.

import { drawDigit } from './colormap.js';
import { setText } from '../dom.js';

const BLANK = new Float32Array(784);

/**
 * @param {HTMLCanvasElement} canvas
 * @param {HTMLElement} [caption] says where the digit came from
 */
export function mountPreview(canvas, caption) {
  const say = (text) => {
    if (caption) setText(caption, text ?? '');
  };
  return {
    /** Shows `pixels` (784 values in [0, 1], ink bright on black), their source and a caption. */
    show(pixels, source, text) {
      drawDigit(canvas, pixels);
      canvas.dataset.source = source;
      say(text);
    },
    /** An empty (black) input. */
    clear(source, text) {
      drawDigit(canvas, BLANK);
      canvas.dataset.source = source;
      say(text);
    },
  };
}
