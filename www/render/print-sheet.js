// "Print a sheet": the digit and its adversarial version on a page of their own, at a known size,
// to print and photograph (does the attack survive paper and a camera? Kurakin, Goodfellow &
// Bengio 2016 found that many do). The sheet opens in a new tab as a document of this site
// (a blob: address, so the page's security policy holds there too: no script, its stylesheet
// from this site, the pictures as data: addresses) and the browser's print dialog opens on it.

import { drawDigit, drawNoise } from './colormap.js';

const STYLESHEET = new URL('./print.css', import.meta.url).href;
/** The printed width of each digit, in centimetres: large enough for a phone's camera. */
export const PRINTED_CM = 4;

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function picture(pixels, noise = false) {
  const canvas = document.createElement('canvas');
  if (noise) {
    canvas.width = canvas.height = 28;
    drawNoise(canvas, pixels);
  } else {
    // Dark ink on white paper, as digits are written (and as the printer saves its black); the
    // demo's preprocessing inverts a photo of it back to MNIST's white on black.
    drawDigit(canvas, Array.from(pixels, (v) => 1 - v));
  }
  return canvas.toDataURL('image/png');
}

/** The sheet's HTML: `items` are {pixels, caption, noise?}. */
export function sheetHtml({ title, items, note }) {
  const figures = items.map((item) => `<figure><img src="${picture(item.pixels, item.noise)}" alt="${escape(item.caption)}"><figcaption>${escape(item.caption)}</figcaption></figure>`).join('');
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    `<title>${escape(title)}</title><link rel="stylesheet" href="${STYLESHEET}"></head><body>` +
    `<h1>${escape(title)}</h1><div class="sheet">${figures}</div>` +
    `<div class="scale" role="img" aria-label="A 1 centimetre scale bar"><span></span> 1 cm: print at 100% scale; each digit is ${PRINTED_CM} cm wide.</div>` +
    `<p>${escape(note)}</p></body></html>`;
}

/**
 * Opens the sheet in a new tab and its print dialog. Throws an Error for the reader when the
 * browser blocks the new tab.
 */
export function printSheet(sheet) {
  const url = URL.createObjectURL(new Blob([sheetHtml(sheet)], { type: 'text/html' }));
  const tab = window.open(url, '_blank');
  if (!tab) {
    URL.revokeObjectURL(url);
    throw new Error('the browser blocked the new tab for the sheet (allow pop-ups for this site)');
  }
  tab.addEventListener('load', () => {
    tab.print();
    URL.revokeObjectURL(url);
  }, { once: true });
  return tab;
}
