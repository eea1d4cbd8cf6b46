// A 28x28 digit as a short text for links and embed attributes (`#drawn=1…`). Each pixel is
// kept to 1/255 (what a PNG would keep); runs of black pixels, most of a digit, are stored as a
// count. The bytes are then written in base64url, which needs no escaping in a URL.
//
// Format 1: "1" + base64url(bytes); bytes: a value v in 1..255 is one pixel of v/255; the pair
// (0, n) is n black pixels (1 ≤ n ≤ 255). Exactly 784 pixels.

const PIXELS = 784;
const VERSION = '1';

const level = (value) => Math.round(Math.min(1, Math.max(0, Number(value) || 0)) * 255);

/** @param {ArrayLike<number>} pixels 784 values in [0, 1] @returns {string} */
export function encodeDigit(pixels) {
  if (pixels?.length !== PIXELS) throw new TypeError(`a digit has ${PIXELS} pixels, got ${pixels?.length}`);
  const bytes = [];
  for (let i = 0; i < PIXELS;) {
    if (level(pixels[i]) !== 0) {
      bytes.push(level(pixels[i++]));
      continue;
    }
    let run = 0;
    while (i < PIXELS && run < 255 && level(pixels[i]) === 0) {
      run++;
      i++;
    }
    bytes.push(0, run);
  }
  const text = btoa(String.fromCharCode(...bytes));
  return VERSION + text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The pixels of `code`, or null when it is not a valid digit code. @returns {Float32Array|null} */
export function decodeDigit(code) {
  if (typeof code !== 'string' || code[0] !== VERSION || !/^[A-Za-z0-9_-]+$/.test(code.slice(1))) return null;
  let binary;
  try {
    binary = atob(code.slice(1).replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const pixels = new Float32Array(PIXELS);
  let at = 0;
  for (let i = 0; i < binary.length; i++) {
    const byte = binary.charCodeAt(i);
    if (byte !== 0) {
      if (at >= PIXELS) return null;
      pixels[at++] = byte / 255;
      continue;
    }
    const run = binary.charCodeAt(++i);
    if (!(run >= 1) || at + run > PIXELS) return null; // NaN past the end counts as damage too
    at += run; // already black
  }
  return at === PIXELS ? pixels : null;
}
