// Pictures from outside: the file picker, drag-and-drop and paste. The header is checked in
// Rust first (format, size: SVG, non-images and huge pictures never reach a decoder); the
// browser then decodes, downscaled to at most 512 px, and hands RGBA pixels on.

const MAX_DECODED_SIDE = 512;

/** Decodes a file to RGBA, or throws an Error with a message for the reader. */
export async function decodeImage(file, sniff) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = sniff(bytes); // throws: not an image, SVG, damaged header, too large
  const scale = Math.min(1, MAX_DECODED_SIDE / Math.max(info.width, info.height));
  const width = Math.max(1, Math.round(info.width * scale));
  const height = Math.max(1, Math.round(info.height * scale));
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes], { type: `image/${info.format.toLowerCase()}` }), {
      resizeWidth: width,
      resizeHeight: height,
      resizeQuality: 'high',
    });
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

/** Wires the picker, the drop zone(s) and paste to `onFile(file)`. */
export function mountUpload({ input, dropZones, onFile }) {
  input.addEventListener('change', () => {
    if (input.files?.[0]) onFile(input.files[0]);
    input.value = '';
  });
  for (const zone of dropZones) {
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      const file = event.dataTransfer?.files?.[0];
      if (file) onFile(file);
    });
  }
  document.addEventListener('paste', (event) => {
    const item = [...(event.clipboardData?.items ?? [])].find((i) => i.kind === 'file');
    const file = item?.getAsFile();
    if (file) {
      event.preventDefault();
      onFile(file);
    }
  });
}
