// The compact embeds as a blog author sees them: each view's height at four column widths, and
// a screenshot of each at a 736 px column (docs/embed-*.png, shown in the README's embed section).
//
//   node tools/embed-shots.mjs            heights and screenshots
//   node tools/embed-shots.mjs --no-shots heights only

import { chromium } from 'playwright-core';
import { ROOT, startServer } from './serve.mjs';

export const EMBEDS = [
  { name: 'attack', attributes: 'view="attack" controls="samples,eps"' },
  { name: 'classify-attack', attributes: 'view="classify attack" controls="draw,samples,method,eps,target"' },
  { name: 'classify', attributes: 'view="classify" controls="draw,samples"' },
  { name: 'visualise', attributes: 'view="visualise" controls="samples"' },
  { name: 'robust', attributes: 'view="robust" controls="samples"' },
  // With every control (the attributes left out): drawing, upload and camera join the row.
  { name: 'attack-all-controls', attributes: 'view="attack"', shot: false }, // the README shows the next one
  { name: 'classify-attack-all-controls', attributes: 'view="classify attack"' },
];
export const WIDTHS = [1200, 736, 390, 320];

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shots = !process.argv.includes('--no-shots');

/**
 * A host page holding one embed (`loading="eager"` unless `lazy`), the column the window's width
 * less the body's 8 px margins, `before` markup above it. No inline style: the server's CSP
 * forbids it, as a strict blog would.
 */
export const hostPage = (attributes, { theme = 'light', lazy = false, before = '' } = {}) =>
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<title>embed</title><link rel="icon" href="data:,"><script type="module" src="/www/embed.js"></script></head>' +
  `<body><main>${before}<adversarial-digits ${attributes} theme="${theme}"${lazy ? '' : ' loading="eager"'}></adversarial-digits></main></body></html>`;
/** The window width that gives a `column` px wide column in hostPage. */
export const windowFor = (column) => column + 16;

/** Waits until the embed on `page` has its network and has shown its first result. */
export async function embedSettled(page) {
  await page.waitForFunction(() => {
    const host = document.querySelector('adversarial-digits');
    const root = host?.shadowRoot;
    if (host?.dataset.ready !== 'true') return false;
    const panel = root.querySelector('.attack-panel');
    return (!panel || Number(panel.dataset.results ?? 0) > 0) && Number(root.querySelector('.demo').dataset.predictions ?? 0) > 0;
  }, null, { timeout: 120_000 });
  await page.waitForTimeout(500); // panels loaded on demand draw their first maps
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const rows = [];
    for (const embed of EMBEDS) {
      const heights = [];
      for (const width of WIDTHS) {
        const page = await browser.newPage({ viewport: { width: windowFor(width), height: 1000 }, deviceScaleFactor: 1 });
        await page.route('**/test/host.html', (route) => route.fulfill({ contentType: 'text/html', body: hostPage(embed.attributes) }));
        await page.goto(`${server.url}/test/host.html`);
        await embedSettled(page);
        const box = await page.locator('adversarial-digits').boundingBox();
        heights.push(Math.round(box.height));
        if (shots && width === 736 && embed.shot !== false) await page.locator('adversarial-digits').screenshot({ path: `${ROOT}/docs/embed-${embed.name}.png` });
        await page.close();
      }
      rows.push(`| \`${embed.attributes}\` | ${heights.join(' | ')} |`);
    }
    console.log(`| embed | ${WIDTHS.map((w) => `${w} px`).join(' | ')} |\n|---|${WIDTHS.map(() => '---:').join('|')}|\n${rows.join('\n')}`);
  } finally {
    await browser.close();
    await server.close();
  }
}
