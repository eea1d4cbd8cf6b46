// One demo of the network, mounted into any element: a digit comes in (drawing, upload, a
// sample, a link), the network reads it (preview, bars, verdict), and the views follow it (the
// attack panel, and the other panels where the page has them). The page's <main> and every
// <adversarial-digits> embed run this same code. It looks nothing up by global id: it holds the
// elements it creates, and every id it gives starts with `idPrefix`.
//
// Events, fired at `root` (they bubble and cross shadow roots, so `window` hears every demo):
//   adversarialdigits:prediction  detail {label, probabilities, pixels, source, model}
//   adversarialdigits:attack      detail {method, eps, target, original, label, probabilities,
//                                         pixels, noise, norms, steps, success, model}

import { ATTACK_CONTROLS, mountAttackPanel } from './panels/attack-panel.js';
import { mountBars, mountStrip, mountVerdict } from './render/bars.js';
import { decodeDigit, encodeDigit } from './input/digit-code.js';
import { el } from './dom.js';
import { mountDrawing } from './input/draw.js';
import { errorClause as reason } from './engine/protocol.js';
import { mountMessages } from './render/messages.js';
import { MODELS, getEngine } from './models.js';
import { mountPreview } from './render/preview.js';
import { STRIP_SAMPLES, loadSamplesOnce, mountSamples } from './input/samples.js';
import { createScheduler } from './scheduler.js';
import { createState } from './state.js';

/** What a demo can show, in page order. `classify`: preview, bars and verdict. */
export const VIEWS = ['classify', 'attack', 'visualise', 'robust', 'blackbox', 'train'];
export const INPUT_CONTROLS = ['draw', 'upload', 'camera', 'samples'];
/** Every control a demo can show; `attack` in a list stands for all of the attack panel's. */
export const CONTROLS = [...INPUT_CONTROLS, ...ATTACK_CONTROLS];
/** `full`: a card per part (the page's layout); `compact`: digit + noise = adversarial in one row, the rest behind "More" (an embed's default). */
export const LAYOUTS = ['compact', 'full'];

/**
 * 'draw, samples, attack' → {controls: ['draw', 'samples', 'method', …], unknown: []}; 'all' or
 * an empty text → every control; 'none' → none.
 */
export function parseControls(text) {
  const names = String(text ?? '').split(/[\s,]+/).filter(Boolean);
  if (!names.length || names.includes('all')) return { controls: [...CONTROLS], unknown: [] };
  const controls = new Set();
  const unknown = [];
  for (const name of names) {
    if (name === 'none') continue;
    if (name === 'attack') ATTACK_CONTROLS.forEach((c) => controls.add(c));
    else if (CONTROLS.includes(name)) controls.add(name);
    else unknown.push(name);
  }
  return { controls: CONTROLS.filter((c) => controls.has(c)), unknown };
}

let mounted = 0;
const NOTHING = { show() {}, clear() {}, draw() {}, hint() {} }; // a renderer the view does not have

/**
 * @param {HTMLElement} root an empty element; the demo fills it
 * @param {{state?: ReturnType<typeof createState>, views?: string[], controls?: string[],
 *   idPrefix?: string, weightsUrl?: URL, pasteTarget?: EventTarget, headingLevel?: number,
 *   samplesShown?: number, landmarks?: boolean, layout?: 'compact'|'full', startWhen?: Promise<unknown>,
 *   poster?: {input: object, output: object, range?: object, catalogue?: object[]}|null}} [options]
 *   `state`: the demo's settings (the page passes the one in its address; by default a state of
 *   its own, in memory). `weightsUrl`: other weights for the standard model (the page's
 *   `?weights=`). `pasteTarget`: where pasting a picture counts (default: the demo itself).
 *   The markup is built at once and keeps its size; the network is loaded once `startWhen`
 *   resolves (an embed: when it comes near the viewport), and until then the demo shows `poster`
 *   (an attack result computed beforehand: the pictures and labels of www/embed/poster.js).
 */
export function mountDemo(root, {
  state = createState({ address: false }),
  views = ['classify', 'attack'],
  controls = CONTROLS,
  idPrefix = `ad${++mounted}-`,
  weightsUrl,
  pasteTarget = root,
  headingLevel = 2,
  landmarks = true,
  samplesShown,
  layout = 'full',
  startWhen = null,
  poster = null,
} = {}) {
  const compact = layout === 'compact';
  samplesShown ??= compact ? 10 : 20;
  const id = (name) => idPrefix + name;
  const shows = (control) => controls.includes(control);
  const has = (view) => views.includes(view);

  // --- Markup -----------------------------------------------------------------------------
  const cards = [];
  const card = (name, title, { wide = false } = {}, ...content) => {
    if (compact) return; // one card, assembled below from the same elements
    const heading = el(`h${headingLevel}`, { id: id(`${name}-title`), class: 'card-title' });
    heading.dataset.title = title;
    // Named sections are landmarks: the page's own demo has them; embeds (two on a page would
    // repeat the same names) do not.
    const section = el('section', { class: `card${wide ? ' wide' : ''}`, id: id(`${name}-card`), 'aria-labelledby': landmarks ? heading.id : null }, heading, ...content);
    cards.push(section);
    return section;
  };

  const drawCanvas = el('canvas', {
    id: id('draw-canvas'), class: 'draw-canvas', width: 280, height: 280, role: 'application',
    'aria-roledescription': 'drawing area', tabindex: '0',
    'aria-label': 'Draw a digit here with the mouse, a finger or a pen; or with the keyboard: the arrow keys move the pen, Space puts it down or lifts it',
  });
  const undoButton = el('button', { type: 'button', id: id('undo-button'), text: 'Undo' });
  const clearButton = el('button', { type: 'button', id: id('clear-button'), text: 'Clear' });
  const fileInput = el('input', { type: 'file', id: id('file-input'), accept: 'image/png,image/jpeg,image/webp,image/gif' });
  const dropZone = el('div', { id: id('drop-zone'), class: 'drop-zone' },
    ...(shows('draw') ? [drawCanvas] : []),
    el('div', { class: 'row' },
      ...(shows('draw') ? [undoButton, clearButton] : []),
      ...(shows('upload') ? [el('label', { class: 'file-button' }, 'Upload a picture', fileInput)] : [])),
    ...(shows('upload') ? [el('p', { class: 'small', text: '…or drop a picture here, or paste one (a photo of a digit on paper works).' })] : []));
  // The camera: buttons, and its picture with the guide box (shown while it runs).
  const cameraStart = el('button', { type: 'button', id: id('camera-start'), text: 'Use the camera' });
  const cameraFreeze = el('button', { type: 'button', id: id('camera-freeze'), text: 'Freeze this frame', hidden: true });
  const cameraStop = el('button', { type: 'button', id: id('camera-stop'), text: 'Stop the camera', hidden: true });
  const cameraVideo = el('video', { id: id('camera-video'), muted: true, playsinline: true, 'aria-label': 'The camera’s picture; the square is what the network reads' });
  cameraVideo.muted = true;
  const cameraView = el('div', { class: 'camera-view', hidden: true }, cameraVideo, el('div', { class: 'camera-guide', 'aria-hidden': 'true' }));
  const cameraBox = el('div', { class: 'camera' },
    el('div', { class: 'row' }, cameraStart, cameraFreeze, cameraStop), cameraView,
    el('p', { class: 'small', text: 'Hold a digit written on paper inside the square. The picture stays in this page: nothing is sent or kept.' }));
  const samplesStrip = el('div', { id: id('samples'), class: 'samples', role: 'group', 'aria-label': 'Sample digits' });
  // The samples' places from the start: the strip fills in without moving anything.
  samplesStrip.replaceChildren(...Array.from({ length: samplesShown }, () => el('span', { class: 'sample', 'aria-hidden': 'true' })));
  const hasInputs = INPUT_CONTROLS.some(shows);
  if (hasInputs) {
    card('input', 'A digit', {},
      ...(shows('draw') || shows('upload') ? [dropZone] : []),
      ...(shows('camera') ? [cameraBox] : []),
      ...(shows('samples')
        ? [el(`h${headingLevel + 1}`, { class: 'small-title', text: shows('draw') ? 'Or pick a handwritten digit from MNIST’s test set' : 'Pick a handwritten digit from MNIST’s test set' }), samplesStrip]
        : []));
  }

  const previewCanvas = el('canvas', { id: id('preview-canvas'), class: 'digit large', width: 28, height: 28, role: 'img', 'aria-label': 'The 28 by 28 pixel image the network reads' });
  const previewCaption = el('p', { id: id('preview-caption'), class: 'preview-caption' });
  const prediction = el('p', { id: id('prediction'), class: 'prediction', role: 'status', 'aria-live': 'polite', text: 'Loading the network…' });
  const barsBox = el('div', { id: id('bars'), class: 'bars' });
  if (has('classify')) {
    card('sees', 'What the network sees', {},
      previewCanvas, previewCaption,
      el('p', { class: 'small', text: 'Like MNIST: grey levels, white ink on black, the ink scaled into 20×20 pixels and centred by its centre of mass in a 28×28 frame (LeCun et al., 1998).' }));
    card('thinks', 'What it thinks', {}, prediction, barsBox);
  }

  const attackBox = el('div', { id: id('attack-panel'), class: 'attack-panel' });
  const attackAnnouncer = el('p', { id: id('attack-announcer'), class: 'visually-hidden', 'aria-live': 'polite' });
  if (has('attack')) {
    card('attack', 'Fool it', { wide: true },
      el('p', { text: 'An adversarial example adds a small, carefully chosen change to every pixel. The methods below compute it from the gradient of the network’s loss with respect to the input pixels, the direction in which the answer changes fastest; all but SimBA, which finds it from the network’s answers alone, as an attacker who cannot see inside would.' }),
      attackBox, attackAnnouncer);
  }
  const visualizeBox = el('div', { id: id('visualize-panel'), class: 'visualize-panel' });
  const visualizeAnnouncer = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  if (has('visualise')) {
    card('visualise', 'What it looks at', { wide: true },
      el('p', { text: 'Adversarial examples were found by people trying to see what networks had learnt: the same gradient that explains a decision can be used to change it. These views use it to explain.' }),
      visualizeBox, visualizeAnnouncer);
  }
  const robustBox = el('div', { id: id('robust-panel'), class: 'robust-panel' });
  const robustAnnouncer = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  if (has('robust')) {
    card('robust', 'A defended network', { wide: true },
      el('p', { text: 'Defences exist. The best-tested one trains the network on adversarial examples. Switch to it, see what it costs, and check how far it goes.' }),
      robustBox, robustAnnouncer);
  }

  const blackBoxBox = el('div', { id: id('blackbox-panel'), class: 'blackbox-panel' });
  const blackBoxAnnouncer = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  if (has('blackbox')) {
    card('blackbox', 'Without the gradient', { wide: true }, blackBoxBox, blackBoxAnnouncer);
  }

  const trainBox = el('div', { id: id('train-panel'), class: 'train-panel' });
  const trainAnnouncer = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  if (has('train')) {
    card('train', 'Train it yourself', { wide: true }, trainBox, trainAnnouncer);
  }

  const message = el('p', { id: id('message'), class: 'message', role: 'alert', 'data-kind': '' });
  // The compact layout: the same elements, fewer cards. The digit (drawable, or the picked one)
  // heads the row; each view adds its main figure, and its other parts go behind a "More".
  const more = {};
  const picture = compact
    ? el('div', { class: `input-stack${shows('draw') ? ' drawable' : ''}`, 'data-source': 'none' }, ...(shows('draw') ? [drawCanvas] : []), ...(shows('camera') ? [cameraView] : []), previewCanvas)
    : null;
  let strip = null; // the classify view's bars, folded into a strip (compact, without the attack view)
  if (compact) {
    const disclosure = (name, summary) => {
      more[name] = el('details', { class: 'more', id: id(`${name}-more`) }, el('summary', { text: summary }));
      return more[name];
    };
    const title = (text) => el(`h${headingLevel}`, { class: 'visually-hidden', text });
    const inputActions = el('div', { class: 'row input-actions' },
      ...(shows('draw') ? [undoButton, clearButton] : []),
      ...(shows('upload') ? [el('label', { class: 'file-button' }, 'Upload', fileInput)] : []),
      ...(shows('camera') ? [cameraStart, cameraFreeze, cameraStop] : []));
    // Short words in the row; the full names for assistive technology (they contain the words).
    for (const [button, word] of [[cameraStart, 'Camera'], [cameraFreeze, 'Freeze'], [cameraStop, 'Stop']]) {
      button.setAttribute('aria-label', button.textContent);
      button.textContent = word;
    }
    // Each view's main figure, then the digits to pick from, then each view's "More".
    const content = [];
    const mores = [];
    if (has('classify') || has('attack')) {
      content.push(title(has('attack') ? 'Fool the network' : 'What the network reads'));
      if (has('classify')) content.push(prediction);
      if (has('attack')) {
        content.push(attackBox, attackAnnouncer);
      } else {
        strip = mountStrip(['now'], 'The probability of each digit');
        content.push(el('div', { class: 'flip-row single' }, el('figure', { class: 'flip-input' }, picture), strip.root));
      }
      const details = disclosure('attack', has('attack') ? 'More: the method, its settings, the size of the change' : 'More: how the digit is read');
      if (has('classify')) {
        details.append(el('div', { class: 'seen' }, previewCaption,
          el('p', { class: 'small', text: 'The network reads 28×28 grey levels, white ink on black, the ink scaled into 20×20 pixels and centred by its centre of mass, like MNIST (LeCun et al., 1998).' })));
      }
      mores.push(details);
    }
    if (has('visualise')) {
      content.push(title('What it looks at'), visualizeBox, visualizeAnnouncer);
      mores.push(disclosure('visualise', 'More: other maps, the layers, what each digit looks like'));
    }
    if (has('robust')) {
      content.push(title('A defended network'), robustBox, robustAnnouncer);
      mores.push(disclosure('robust', 'More: the two networks, what the defence costs, robustness curves'));
    }
    if (has('blackbox')) {
      content.push(title('Without the gradient'), blackBoxBox, blackBoxAnnouncer);
      mores.push(disclosure('blackbox', 'More: fooling images by evolution'));
    }
    if (has('train')) content.push(title('Train it yourself'), trainBox, trainAnnouncer);
    if (shows('samples') || inputActions.childElementCount) {
      content.push(el('div', { class: 'compact-inputs' }, ...(shows('samples') ? [samplesStrip] : []), ...(inputActions.childElementCount ? [inputActions] : [])));
    }
    content.push(...mores);
    root.classList.add('demo', 'compact');
    root.replaceChildren(el('div', { class: 'card compact-card' }, ...content), message);
  } else {
    const headings = cards.map((section) => section.querySelector('.card-title'));
    headings.forEach((h, i) => { h.textContent = `${i + 1}. ${h.dataset.title}`; });
    root.classList.add('demo');
    root.replaceChildren(...cards, message);
  }

  // --- Behaviour ----------------------------------------------------------------------------
  const messages = mountMessages(message);
  const stripBars = strip && { draw: (probabilities, label) => strip.draw('now', probabilities, label) };
  const bars = !has('classify') ? NOTHING : compact ? stripBars ?? NOTHING : mountBars(barsBox);
  const verdict = has('classify') ? mountVerdict(prediction) : NOTHING;
  // In the compact layout the preview is the row's first picture, whatever the views.
  const preview = has('classify') || compact ? mountPreview(previewCanvas, previewCaption) : NOTHING;
  const announce = (text) => { attackAnnouncer.textContent = text; };
  const emit = (type, detail) => root.dispatchEvent(new CustomEvent(`adversarialdigits:${type}`, { bubbles: true, composed: true, detail }));

  // The engine of the model in `state`, behind a stand-in that follows a change of model, so the
  // panels keep one reference.
  let active = null;
  const engine = new Proxy({}, { get: (_, key) => active?.[key] });
  const engineFor = (model) => (model === 'standard' && weightsUrl ? getEngine('standard', { weightsUrl }) : getEngine(model));

  // The digit the network sees now, and who follows it. A follower may also ask for work to be
  // done alongside a picture's reading, in the same call to the engine (`alongside`: a one-step
  // attack), so that its result is there with the prediction and shows in the same frame; it
  // gets that result with the digit (`fn(digit, along)`).
  let current = null; // {pixels, label, probabilities, source, caption}
  const followers = new Set();
  const riders = new Set();
  const source = {
    current: () => current,
    subscribe: (fn) => followers.add(fn),
    /** `fn()` → what to do alongside the next picture's reading ({attack: options}), or null. */
    alongside: (fn) => riders.add(fn),
  };
  const setCurrent = (digit, along = null) => {
    current = digit;
    for (const fn of followers) fn(digit, along);
  };
  let lastRequest = null; // what to classify again when the model changes
  let linkedDigit = null; // the `drawn` value this demo wrote itself (not a link to follow)
  let drawing = null;
  let camera = null;
  /** The compact row's first picture: the drawing while the reader draws, else the digit the network reads. */
  const pictureShows = (from) => { if (picture) picture.dataset.source = from; };

  const scheduler = createScheduler(
    async ({ source: from, produce, picture, unreadable, caption }, signal) => {
      // A picture (the drawing as the job starts, the newest camera frame) is read and classified
      // in one call to the engine.
      if (picture) {
        const image = picture();
        // A stroke only: camera frames come continuously, and a longer reading could leave none shown.
        const alongside = from === 'draw' ? Object.assign({}, ...[...riders].map((fn) => fn() ?? {})) : {};
        const seen = await engine.read(image.data, image.width, image.height, { signal, alongside });
        if (seen.problem) throw Object.assign(new Error(unreadable(seen.problem)), { hint: true });
        const along = seen.attack ? { attack: { options: alongside.attack, output: seen.attack } } : null;
        return { pixels: seen.pixels, label: seen.label, probabilities: seen.probabilities, source: from, caption, along };
      }
      const pixels = await produce(); // may throw a message for the reader
      const { label, probabilities } = await engine.classify(pixels, { signal });
      return { pixels, label, probabilities, source: from, caption };
    },
    {
      onResult({ along = null, ...digit }) {
        preview.show(digit.pixels, digit.source, digit.caption);
        bars.draw(digit.probabilities, digit.label);
        verdict.show(digit.label, digit.probabilities);
        root.dataset.predictions = String(Number(root.dataset.predictions ?? 0) + 1);
        pictureShows(digit.source === 'draw' || (digit.source === 'camera' && camera?.live) ? digit.source : 'digit');
        // Compact: one picture holds both, so another digit replaces the drawing under it.
        if (compact && digit.source !== 'draw') drawing?.reset();
        if (digit.source === 'draw' || digit.source === 'upload') {
          linkedDigit = encodeDigit(digit.pixels);
          state.set('drawn', linkedDigit);
        }
        setCurrent(digit, along);
        emit('prediction', {
          label: digit.label, probabilities: Array.from(digit.probabilities), pixels: digit.pixels,
          source: digit.source, model: state.get('model'),
        });
      },
      onError(error) {
        if (error.hint) messages.show('hint', error.message);
        else messages.show('error', `The network could not read this digit: ${reason(error)}.`);
      },
    },
  );
  /** `data-reading` on the demo while a reading is asked for and not yet shown (what waits for
   * the demo to be still, a test or a bench, needs it: a reading can wait in the engine's worker
   * behind long work). */
  const markReading = () => {
    if (root.dataset.reading) return;
    root.dataset.reading = 'true';
    const clear = () => (scheduler.busy ? scheduler.whenIdle().then(clear) : delete root.dataset.reading);
    scheduler.whenIdle().then(clear);
  };
  /** `request.continues`: the next picture of the same stroke or of the camera's stream. The
   * reading in flight of the one before then finishes and is shown (the newest follows): a
   * moving finger sees answers even when the engine takes longer than a frame. */
  const classify = (request) => {
    if (request.source !== 'camera') camera?.stop(); // another digit ends the camera's frames
    const keep = Boolean(request.continues) && lastRequest?.source === request.source;
    lastRequest = request;
    scheduler.request(request, { keep });
    markReading();
  };
  function forgetDigit() {
    scheduler.cancel(); // a classification in flight must not come back
    lastRequest = null;
    preview.clear('draw', '');
    pictureShows('draw');
    bars.draw(null);
    verdict.hint('Draw a digit to start.');
    if (state.get('drawn') != null) state.set('drawn', null);
    setCurrent(null);
  }

  function mountInputs() {
    if (shows('draw')) {
      drawing = mountDrawing(drawCanvas, {
        onChange(kind) {
          if (state.get('sample') != null) state.set('sample', null);
          if (drawing.isEmpty()) {
            forgetDigit();
            if (kind !== 'draw') messages.show('hint', 'Nothing to classify yet: draw a digit in the box.');
            return;
          }
          messages.clear();
          classify({
            source: 'draw',
            continues: kind === 'draw',
            caption: 'Your drawing, shrunk to 28×28.',
            picture: () => drawing.read(),
            unreadable: (problem) => `Nothing to classify yet: ${problem}. Draw a digit in the box.`,
          });
        },
      });
      // The paper shows as soon as a stroke starts (the classified drawing follows).
      drawCanvas.addEventListener('pointerdown', () => pictureShows('draw'));
      drawCanvas.addEventListener('keydown', (event) => { if (event.key === ' ' || event.key === 'Enter') pictureShows('draw'); });
      clearButton.addEventListener('click', () => drawing.clear());
      undoButton.addEventListener('click', () => drawing.undo());
    }

  }

  /**
   * The camera and uploads, fetched once the first digit has been answered (the first prediction
   * waits for neither: their buttons are in place and come alive a moment later).
   */
  async function mountMediaInputs() {
    const [cameraModule, uploadModule] = await Promise.all([
      shows('camera') ? import('./input/camera.js') : null,
      shows('upload') ? import('./input/upload.js') : null,
    ]);
    // The camera: each frame's guide box, preprocessed as an upload; the newest frame wins.
    if (cameraModule) {
      camera = cameraModule.mountCamera({
        start: cameraStart, freeze: cameraFreeze, stop: cameraStop, video: cameraVideo, view: cameraView,
        onFrame(image) {
          if (state.get('sample') != null) state.set('sample', null);
          classify({
            source: 'camera',
            continues: true,
            caption: 'The camera’s picture, the square inside the guide.',
            picture: () => image,
            unreadable: (problem) => `Nothing to read in the square yet: ${problem}. Hold a digit inside it.`,
          });
        },
        onFreeze: () => messages.show('hint', 'Frozen: this frame is the digit now.'),
        onError: (text) => messages.show('error', `The camera was not used: ${text}.`),
        onState: (now) => { if (now === 'live') pictureShows('camera'); },
      });
    }

    // Uploads. A bad file leaves the digit and the prediction as they were and says why.
    if (uploadModule) {
      const { decodeImage, mountUpload } = uploadModule;
      mountUpload({
        input: fileInput,
        dropZones: compact ? [picture] : shows('draw') ? [dropZone, drawCanvas] : [dropZone],
        pasteTarget,
        async onFile(file) {
          try {
            const image = await decodeImage(file, engine.sniff);
            const { pixels, inverted } = await engine.preprocess(image.data, image.width, image.height);
            messages.clear();
            if (state.get('sample') != null) state.set('sample', null);
            const caption = `“${file.name}”${inverted ? ', dark ink on light paper, inverted to MNIST’s white on black' : ''}.`;
            classify({ source: 'upload', caption, produce: () => pixels });
          } catch (error) {
            messages.show('error', `“${file.name}” was not used: ${reason(error)}.`);
          }
        },
      });
    }
  }

  /** A digit from a link or an embed's attribute (`drawn`), if it is a valid one. */
  function showLinked(code) {
    const pixels = decodeDigit(code);
    if (!pixels) return false;
    linkedDigit = code;
    classify({ source: 'link', caption: 'The digit from the link.', produce: () => pixels });
    return true;
  }

  async function mountSampleStrip() {
    let samples;
    // The first screen needs the strip's digits only: the smaller set, unless a later digit is asked for.
    const strip = samplesShown <= STRIP_SAMPLES && (state.get('sample') ?? 0) < STRIP_SAMPLES;
    try {
      samples = await loadSamplesOnce(engine.parseMnist, { strip });
    } catch (error) {
      verdict.hint('Draw a digit to start.');
      messages.show('error', `The sample digits could not be loaded: ${reason(error)}.`);
      return null;
    }
    const picker = shows('samples') ? mountSamples(samplesStrip, samples, { shown: samplesShown, onPick: (i) => state.set('sample', i) }) : { select() {} };
    const show = async (i) => {
      // A digit past the strip's set (a link, the API): the whole set first.
      if (Number.isInteger(i) && i >= samples.count && strip) samples = await loadSamplesOnce(engine.parseMnist).catch(() => samples);
      if (!(Number.isInteger(i) && i >= 0 && i < samples.count)) return picker.select(null);
      picker.select(i);
      messages.clear();
      if (state.get('drawn') != null) state.set('drawn', null);
      const caption = `MNIST test digit no. ${i + 1} (its label: ${samples.label(i)}).`;
      classify({ source: 'sample', caption, produce: () => samples.pixels(i) });
    };
    return { show };
  }

  async function useModel(model) {
    try {
      active = await engineFor(model);
    } catch (error) {
      if (model === 'standard') throw error;
      messages.show('error', `The ${MODELS[model].title.toLowerCase()} network is not available here (${reason(error)}); the standard one answers.`);
      state.set('model', 'standard');
      active = await engineFor('standard');
    }
  }

  // The attack panel's markup now (it keeps its place while the network loads); its work once
  // the engine is there.
  const attackPanel = has('attack')
    ? mountAttackPanel(attackBox, {
      engine, source, state, announce, idPrefix, controls: ATTACK_CONTROLS.filter(shows),
      layout, picture, more: more.attack, catalogue: poster?.catalogue,
      onResult({ input, output, options }) {
        emit('attack', {
          method: options.method, eps: options.eps, target: options.target,
          original: { label: input.label, probabilities: Array.from(input.probabilities), pixels: input.pixels },
          label: output.label, probabilities: Array.from(output.probabilities), pixels: output.pixels, noise: output.noise,
          norms: { ...output.norms }, steps: output.steps, success: output.label !== input.label, model: state.get('model'),
        });
      },
    })
    : null;
  if (poster) {
    preview.show(poster.input.pixels, 'poster', '');
    pictureShows('digit');
    attackPanel?.paint(poster.input, poster.output, poster.range);
    bars.draw(poster.input.probabilities, poster.input.label);
    verdict.show(poster.input.label, poster.input.probabilities);
    root.dataset.poster = 'true';
  }

  async function start() {
    await startWhen;
    delete root.dataset.poster;
    await useModel(state.get('model'));
    mountInputs();
    const strip = await mountSampleStrip();
    state.subscribe((key, value) => {
      if (key === 'sample') strip?.show(value);
      else if (key === 'drawn' && value != null && value !== linkedDigit) showLinked(value);
      else if (key === 'model') {
        useModel(value).then(() => lastRequest && classify({ ...lastRequest, continues: false }), (error) => messages.show('error', `The network could not be loaded: ${reason(error)}.`));
      }
    });
    // Something to look at from the start: the linked digit, else the sample (the first one by default).
    if (!(state.get('drawn') != null && showLinked(state.get('drawn')))) strip?.show(state.get('sample') ?? 0);

    attackPanel?.start();
    // The panels below the first screen are fetched once the first digit has been answered (or
    // failed, or been dropped), so that the first prediction waits for none of them. A compact
    // demo has them in its one card: mounted with the rest of its markup, to keep its size.
    await scheduler.whenIdle();
    await mountMediaInputs().catch((error) => messages.show('error', `The camera and uploads could not be loaded (${reason(error)}); reload the page to try again.`));
    await (viewsMounted ?? mountViews());
    return engine;
  }

  /** The panels of the other views, where this page has them: modules loaded on demand. */
  async function mountViews() {
    const panel = async (view, box, url, mount) => {
      if (!has(view)) return;
      try {
        mount(await import(url));
      } catch (error) {
        box.textContent = `This part of the demo could not be loaded (${reason(error)}); reload the page to try again.`;
      }
    };
    await Promise.all([
      panel('visualise', visualizeBox, './panels/visualize-panel.js', ({ mountVisualizePanel }) =>
        mountVisualizePanel(visualizeBox, { engine, source, idPrefix, more: more.visualise, announce: (text) => { visualizeAnnouncer.textContent = text; } })),
      panel('robust', robustBox, './panels/robust-panel.js', ({ mountRobustPanel }) =>
        mountRobustPanel(robustBox, { engine, source, state, idPrefix, more: more.robust, announce: (text) => { robustAnnouncer.textContent = text; } })),
      panel('blackbox', blackBoxBox, './panels/blackbox-panel.js', ({ mountBlackBoxPanel }) =>
        mountBlackBoxPanel(blackBoxBox, { engine, source, idPrefix, more: more.blackbox, announce: (text) => { blackBoxAnnouncer.textContent = text; } })),
      panel('train', trainBox, './training/train-panel.js', ({ mountTrainPanel }) =>
        mountTrainPanel(trainBox, { state, idPrefix, backend: state.get('backend'), announce: (text) => { trainAnnouncer.textContent = text; } })),
    ]);
  }

  // Before the network: the panels show nothing until there is a digit, and only then use the engine.
  const viewsMounted = compact ? mountViews() : null;
  const ready = start().then(
    (value) => {
      root.dataset.ready = 'true';
      return value;
    },
    (error) => {
      root.dataset.ready = 'error';
      messages.show('error', `The network could not be loaded: ${reason(error)}. Reload the page to try again.`);
      prediction.textContent = 'The network is not available.';
      console.error('adversarial-digits:', error.message);
      throw error;
    },
  );
  ready.catch(() => {}); // reported on the page; callers that await `ready` see the error

  return {
    root,
    state,
    /** Resolves to the demo's engine once the network is loaded and the demo shows a digit. */
    ready,
    /** The digit the network sees now: {pixels, label, probabilities, source, caption}, or null. */
    current: () => current,
    /** The attack panel's latest result: {input, output, options}, or null. */
    lastAttack: () => attackPanel?.lastResult() ?? null,
    /** Shows `pixels` (784 values in [0, 1]) as the digit, with a caption saying where it came from. */
    show(pixels, caption = 'A digit given to the demo.') {
      const copy = Float32Array.from(pixels);
      if (state.get('sample') != null) state.set('sample', null);
      messages.clear();
      classify({ source: 'api', caption, produce: () => copy });
    },
    /** Follows the digit: `fn(digit)` after every change (null when there is none). */
    subscribe: (fn) => source.subscribe((digit) => fn(digit)),
  };
}
