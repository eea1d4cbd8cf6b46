// Pictures from outside: the file picker, drag-and-drop and paste. Rust reads the header first
// (format and size: SVG, non-images and huge pictures never reach a decoder); the browser then
// decodes, scaled so the longer side is at most 512 px, and hands the RGBA pixels on.

const MAX_DECODED_SIDE = 512;

/**
 * Decodes `file` (a Blob) to an ImageData, or throws an Error whose message is for the reader.
 * @param {Blob} file
 * @param {(bytes: Uint8Array) => Promise<{format: string, width: number, height: number}>} sniff
 */
export async function decodeImage(file, sniff) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = await sniff(bytes); // throws: not an image, SVG, damaged header, too large
  const scale = Math.min(1, MAX_DECODED_SIDE / Math.max(info.width, info.height));
  const width = Math.max(1, Math.round(info.width * scale));
  const height = Math.max(1, Math.round(info.height * scale));
  let bitmap;
  try {
    const blob = new Blob([bytes], { type: `image/${info.format.toLowerCase()}` });
    bitmap = await createImageBitmap(blob, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
  } catch {
    throw new Error(`this ${info.format} file is damaged or cannot be decoded`);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = '#fff'; // transparent pixels become paper
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return ctx.getImageData(0, 0, width, height);
}

const firstFile = (list) => [...(list ?? [])].find((item) => item.kind === 'file')?.getAsFile() ?? null;

let pageGuarded = false;

/**
 * Wires the picker, the drop zones and paste to `onFile(file)`.
 * @param {{input: HTMLInputElement, dropZones: HTMLElement[], onFile: (file: File) => void,
 *          pasteTarget?: EventTarget}} options
 *   `pasteTarget`: where a pasted picture counts (the whole document for the page's own demo; an
 *   embedded demo's shadow root, so that a paste goes to the demo that has the focus).
 */
export function mountUpload({ input, dropZones, onFile, pasteTarget = document }) {
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = ''; // picking the same file again fires `change` again
    if (file) onFile(file);
  });

  const handled = new WeakSet(); // a drop on a zone inside another zone is one drop
  for (const zone of dropZones) {
    zone.addEventListener('dragover', (event) => {
      if (![...(event.dataTransfer?.types ?? [])].includes('Files')) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', (event) => {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove('dragging');
    });
    zone.addEventListener('drop', (event) => {
      zone.classList.remove('dragging');
      if (handled.has(event)) return;
      handled.add(event);
      const file = event.dataTransfer?.files?.[0] ?? firstFile(event.dataTransfer?.items);
      if (!file) return;
      event.preventDefault();
      onFile(file);
    });
  }
  // A file dropped beside the zones must not replace the page with the picture (once per page,
  // however many demos it holds).
  if (!pageGuarded) {
    pageGuarded = true;
    addEventListener('dragover', (event) => {
      if (event.defaultPrevented) return; // a zone took it
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
    });
    addEventListener('drop', (event) => event.preventDefault());
  }

  pasteTarget.addEventListener('paste', (event) => {
    const file = firstFile(event.clipboardData?.items);
    if (!file) return;
    event.preventDefault();
    onFile(file);
  });
}
