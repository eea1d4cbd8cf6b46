// The exercises section: challenges (www/exercises/builtin.json, or a course's own file, same
// format: www/exercise-checks.js), each with what the learner needs to answer it and a check.
// Answers come from a demo (its attack panel's result, its drawn digit), a number, or code run
// in a worker (www/exercise-runner.js). Progress and code drafts stay in this browser
// (localStorage), with a button to start again.

import { DEFAULT_TIME_LIMIT_SECONDS, breakingMethods, checkAnswer, loadExerciseSet } from './exercise-checks.js';
import { describeMethods } from './attack-methods.js';
import { TimeLimitError, runLearnerCode } from './exercise-runner.js';
import { el } from './dom.js';
import { errorClause as reason } from './engine/protocol.js';
import { MODELS, getEngine } from './models.js';
import { loadSamplesOnce } from './input/samples.js';

export const BUILTIN_EXERCISES = new URL('./exercises/builtin.json', import.meta.url);
const STORAGE_KEY = 'adversarial-digits:exercises:v1';
const reducedMotion = () => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

/** Progress and drafts: {sets: {[set]: {solved: {[id]: date}, code: {[id]: text}}}}, in localStorage when it works. */
function openProgress() {
  let saved = null;
  let persistent = true;
  try {
    saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
  } catch {
    persistent = false; // storage off, or damaged: keep progress for this visit only
  }
  const data = saved && typeof saved === 'object' && saved.sets && typeof saved.sets === 'object' ? saved : { sets: {} };
  const save = () => {
    if (!persistent) return;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(data));
    } catch {
      persistent = false;
    }
  };
  return {
    get persistent() { return persistent; },
    forSet(set) {
      const entry = (data.sets[set] ??= { solved: {}, code: {} });
      entry.solved ??= {};
      entry.code ??= {};
      return {
        solved: (id) => Boolean(entry.solved[id]),
        markSolved(id) { entry.solved[id] = new Date().toISOString(); save(); },
        code: (id) => (typeof entry.code[id] === 'string' ? entry.code[id] : null),
        saveCode(id, text) { entry.code[id] = text; save(); },
        forgetCode(id) { delete entry.code[id]; save(); },
        reset() { entry.solved = {}; entry.code = {}; save(); },
      };
    },
  };
}

/** Whether the site has the weights of `model` (the robust network's may not be there yet). Asked
 * only when a challenge needs it: a missing file shows as an error in the browser's console. */
const availability = new Map();
function modelAvailable(model) {
  if (model === 'standard') return Promise.resolve(true);
  if (MODELS[model].own) return Promise.resolve(true); // the reader's: the check says if there is none
  if (!availability.has(model)) {
    availability.set(model, fetch(MODELS[model].url, { method: 'HEAD' }).then((response) => response.ok, () => false));
  }
  return availability.get(model);
}

/**
 * Fills `container` with the exercises.
 * @param {HTMLElement} container
 * @param {{demo?: {state: object, current: () => object|null, lastAttack: () => object|null, root: HTMLElement},
 *   source?: string|URL|null, headingLevel?: number, idPrefix?: string}} options
 *   `demo`: where answers come from (www/demo.js); `source`: an exercise file of this site (a
 *   course's), else the built-in exercises.
 * @returns {Promise<{set: object}|null>} the set shown (null when the file was refused).
 */
export async function mountExercises(container, { demo = null, source = null, headingLevel = 3, idPrefix = 'exercise-' } = {}) {
  const status = el('p', { class: 'exercises-loading', text: 'Loading the exercises…' });
  container.replaceChildren(status);
  const setKey = source ? new URL(source, location.href).pathname : 'builtin';
  let set;
  try {
    set = await loadExerciseSet(source ?? BUILTIN_EXERCISES, (await getEngine('standard')).attackMethods);
  } catch (error) {
    container.replaceChildren(el('div', { class: 'exercises-errors', role: 'alert' },
      el('p', { text: `These exercises could not be used: ${reason(error)}.` }),
      ...(error.faults ? [el('ul', {}, ...error.faults.slice(0, 20).map((fault) => el('li', { text: fault })))] : []),
      ...(new URLSearchParams(location.search).has('exercises') ? [el('p', {}, el('a', { href: location.pathname, text: 'Show the built-in exercises instead' }))] : [])));
    container.dataset.ready = 'error';
    return null;
  }

  const progress = openProgress();
  const saved = progress.forSet(setKey);
  const samples = await loadSamplesOnce((await getEngine('standard')).parseMnist);
  const context = { engineFor: (model) => getEngine(model), samples };

  const tally = el('p', { class: 'exercises-tally', role: 'status', 'aria-live': 'polite' });
  const resetButton = el('button', { type: 'button', class: 'exercises-reset', text: 'Reset progress' });
  const list = el('ol', { class: 'challenges' });
  container.replaceChildren(
    ...(set.description ? [el('p', { class: 'exercises-intro', text: set.description })] : []),
    el('div', { class: 'row exercises-bar' }, tally, resetButton),
    ...(progress.persistent ? [] : [el('p', { class: 'small', text: 'This browser does not let the page store anything: progress lasts until you leave.' })]),
    list,
  );

  const items = [];
  const updateTally = () => {
    const counted = items.filter((item) => item.status() !== 'skipped');
    const solved = counted.filter((item) => item.status() === 'solved').length;
    tally.textContent = `${solved} of ${counted.length} solved${items.length > counted.length ? ` (${items.length - counted.length} skipped)` : ''}.`;
  };

  for (const [index, challenge] of set.challenges.entries()) {
    const item = mountChallenge(challenge, { index, demo, saved, context, headingLevel, idPrefix, onChange: updateTally });
    list.append(item.element);
    items.push(item);
  }
  resetButton.addEventListener('click', () => {
    saved.reset();
    for (const item of items) item.reset();
    updateTally();
    tally.textContent += ' Progress reset.';
  });
  updateTally();
  container.dataset.ready = 'true';
  return { set };
}

function mountChallenge(challenge, { index, demo, saved, context, headingLevel, idPrefix, onChange }) {
  const id = `${idPrefix}${challenge.id}`;
  const badge = el('span', { class: 'challenge-status' });
  const heading = el(`h${headingLevel}`, { id: `${id}-title`, class: 'challenge-title' }, `${index + 1}. ${challenge.title} `, badge);
  const verdict = el('p', { id: `${id}-verdict`, class: 'challenge-verdict', role: 'status', 'aria-live': 'polite' });
  const workspace = el('div', { class: 'challenge-workspace' });
  const element = el('li', { class: 'challenge', id, 'data-id': challenge.id },
    el('article', { 'aria-labelledby': heading.id }, heading, el('p', { class: 'challenge-prompt', text: challenge.prompt }), workspace, verdict));

  let state = saved.solved(challenge.id) ? 'solved' : 'open';
  const setStatus = (value) => {
    state = value;
    element.dataset.status = value;
    badge.textContent = { solved: '✓ solved', open: '', skipped: 'skipped' }[value];
    onChange();
  };
  setStatus(state);

  const say = (kind, text) => {
    verdict.dataset.kind = kind;
    verdict.textContent = text;
  };
  /** Whether this challenge's network is here; if not, the challenge is skipped, saying why. */
  const available = async () => {
    if (await modelAvailable(challenge.model ?? 'standard')) return true;
    for (const control of workspace.querySelectorAll('button, input, textarea')) control.disabled = true;
    say('info', `Skipped: the ${MODELS[challenge.model].title.toLowerCase()} network is not on this site yet.`);
    setStatus('skipped');
    return false;
  };
  const judge = async (answer, button) => {
    if (!(await available())) return;
    button.disabled = true;
    say('checking', 'Checking…');
    try {
      const result = await checkAnswer(challenge, answer, context);
      say(result.passed ? 'pass' : 'fail', result.message);
      if (result.passed) {
        saved.markSolved(challenge.id);
        setStatus('solved');
      }
    } catch (error) {
      say('fail', `The check failed: ${reason(error)}.`);
    } finally {
      button.disabled = false;
    }
  };

  const button = (text, onClick, extra = {}) => {
    const b = el('button', { type: 'button', ...extra, text });
    b.addEventListener('click', () => onClick(b));
    return b;
  };
  const noDemo = () => say('fail', 'This challenge needs the demo, which this page does not have.');
  /** Puts the challenge's digit (and network, and method) into the demo, and brings it into view. */
  const showInDemo = async () => {
    if (!demo) return noDemo();
    if (!(await available())) return;
    demo.state.set('model', challenge.model ?? 'standard');
    if (Number.isInteger(challenge.digit)) demo.state.set('sample', challenge.digit);
    if (challenge.method) {
      demo.state.set('attack', challenge.method);
      demo.state.set('target', null); // the smallest ε of the untargeted attack
    }
    const target = demo.root.querySelector('.attack-panel') ?? demo.root;
    target.scrollIntoView({ behavior: reducedMotion() ? 'auto' : 'smooth', block: 'center' });
    target.querySelector('select, input, button')?.focus({ preventScroll: true });
    say('info', `The demo now shows ${Number.isInteger(challenge.digit) ? `test digit no. ${challenge.digit + 1}` : 'the digits'}${challenge.model === 'robust' ? ' with the robust network' : ''}.`);
  };

  let resetWorkspace = () => {};
  switch (challenge.kind) {
    case 'perturb':
      workspace.append(el('div', { class: 'row' },
        button('Show it in the demo', showInDemo, { 'aria-describedby': heading.id }),
        button('Check the attack panel’s result', (b) => {
          const last = demo?.lastAttack();
          if (!demo) return noDemo();
          if (!last) return say('fail', 'Run an attack in the demo first.');
          judge({ pixels: last.output.pixels, sample: demo.state.get('sample') }, b);
        }, { class: 'check', 'aria-describedby': heading.id })));
      break;
    case 'min-eps': {
      const input = el('input', { type: 'number', id: `${id}-eps`, min: '0', max: '1', step: '0.001', inputmode: 'decimal' });
      workspace.append(
        el('div', { class: 'row' }, button('Show it in the demo', showInDemo, { 'aria-describedby': heading.id })),
        el('div', { class: 'row' },
          el('label', { for: input.id, text: 'Smallest ε:' }), input,
          button('Check', (b) => judge({ eps: input.value === '' ? NaN : Number(input.value) }, b), { class: 'check', 'aria-describedby': heading.id })));
      input.addEventListener('keydown', (event) => { if (event.key === 'Enter') workspace.querySelector('.check').click(); });
      break;
    }
    case 'draw':
      workspace.append(el('div', { class: 'row' },
        button('Check the demo’s digit', (b) => {
          if (!demo) return noDemo();
          const digit = demo.current();
          if (!digit) return say('fail', 'Draw a digit in the demo first.');
          judge({ pixels: digit.pixels, source: digit.source }, b);
        }, { class: 'check', 'aria-describedby': heading.id })));
      break;
    case 'break': {
      // The methods come with the engine (its catalogue, with the page's prose for the labels).
      const select = el('select', { id: `${id}-method` });
      const fill = async () => {
        const engine = await context.engineFor('standard');
        select.replaceChildren(...describeMethods(breakingMethods(engine.attackMethods)).map((m) => el('option', { value: m.name, text: `${m.label} (${m.access === 'gradient' ? 'reads the gradient' : `reads only the ${m.access}`})` })));
      };
      fill().catch(() => {});
      workspace.append(el('div', { class: 'row' },
        el('label', { for: select.id, text: 'Attack:' }), select,
        button('Run it and check', (b) => judge({ method: select.value }, b), { class: 'check', 'aria-describedby': heading.id })));
      break;
    }
    case 'defend':
      workspace.append(el('div', { class: 'row' },
        button('Check your network', (b) => judge({}, b), { class: 'check', 'aria-describedby': heading.id })),
        el('p', { class: 'small', text: 'Train it in “Train it yourself” (or load a weights file there); the check attacks it here, in your browser.' }));
      break;
    case 'code':
      resetWorkspace = mountCodeWorkspace(challenge, { id, workspace, heading, saved, context, judge, say, button, available }).reset;
      break;
    default:
      break;
  }

  return {
    element,
    status: () => state,
    reset() {
      if (state !== 'skipped') setStatus('open');
      if (verdict.dataset.kind !== 'info') say('', '');
      resetWorkspace();
    },
  };
}

function mountCodeWorkspace(challenge, { id, workspace, heading, saved, context, judge, say, button, available }) {
  const seconds = challenge.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS;
  const editor = el('textarea', { id: `${id}-code`, class: 'code-editor', rows: String(Math.min(24, challenge.starter.split('\n').length + 2)), spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', 'aria-describedby': `${id}-code-note` });
  editor.value = saved.code(challenge.id) ?? challenge.starter;
  const output = el('pre', { id: `${id}-output`, class: 'code-output', 'aria-live': 'polite', 'aria-label': 'What your code printed', tabindex: '0' });
  output.hidden = true;
  editor.addEventListener('input', () => saved.saveCode(challenge.id, editor.value));
  // Tab indents in the editor; Escape then Tab leaves it (keyboard users are never trapped).
  let escaped = false;
  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { escaped = true; return; }
    if (event.key === 'Tab' && !event.shiftKey && !escaped) {
      event.preventDefault();
      editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
      saved.saveCode(challenge.id, editor.value);
    }
    escaped = false;
  });

  const run = async (runButton) => {
    if (!(await available())) return;
    const lines = [];
    const print = (line) => {
      lines.push(line);
      output.hidden = false;
      output.textContent = lines.slice(-40).join('\n');
    };
    output.textContent = '';
    output.hidden = true;
    runButton.disabled = true;
    say('checking', `Running your code (stopped after ${seconds} s)…`);
    const { samples, engineFor } = context;
    try {
      const engine = await engineFor(challenge.model ?? 'standard');
      const result = await runLearnerCode({
        code: editor.value,
        entry: challenge.entry ?? 'attack',
        args: { pixels: samples.pixels(challenge.digit), label: samples.label(challenge.digit), eps: challenge.eps },
        engine,
        timeLimitSeconds: seconds,
        onLog: print,
      });
      runButton.disabled = false;
      await judge({ pixels: result.pixels, calls: result.calls }, runButton);
    } catch (error) {
      runButton.disabled = false;
      if (error instanceof TimeLimitError) say('fail', `Your code was stopped after ${seconds} s: it was still running (a loop that never ends?). The page was not affected.`);
      else say('fail', `Your code failed: ${reason(error)}.`);
      print(`${error.name === 'TimeLimitError' ? 'Stopped' : 'Error'}: ${error.message}`);
    }
  };

  workspace.append(
    el('label', { for: editor.id, class: 'code-label', text: 'Your code' }),
    el('p', { id: `${id}-code-note`, class: 'small', text: `It runs in a worker of its own, apart from the page, with gradient(pixels, label), classify(pixels) and log(…); it is stopped after ${seconds} s. Tab indents; press Escape, then Tab, to leave the editor.` }),
    editor,
    el('div', { class: 'row' },
      button('Run and check', run, { class: 'check', 'aria-describedby': heading.id }),
      button('Start again from the template', () => {
        editor.value = challenge.starter;
        saved.forgetCode(challenge.id);
        editor.focus();
      })),
    output,
  );
  return {
    reset() {
      editor.value = challenge.starter;
      output.hidden = true;
    },
  };
}
