// Exercises: their JSON format, checked field by field, and the checking of answers. Answers are
// judged by the network itself (the engine classifies the learner's image and, for budgets,
// measures its change). No DOM here: www/exercises.js shows them.
//
// A set of exercises (README, "For course authors"):
//   {"title": "…", "description": "…", "challenges": [challenge, …]}
// A challenge: {"id", "title", "prompt", "kind", …} where kind is
//   "perturb"  change a sample digit within a budget until the network reads `target` (or, without
//              a target, anything but its label). Fields: digit (0-99, or "any"), budget
//              {norm: "linf"|"l2"|"l0", max}, target?, minConfidence?
//   "min-eps"  give the smallest ε at which `method` fools the network on `digit`, within
//              `tolerance` (a fraction, default 0.1). Fields: digit, method, tolerance?
//   "code"     write `entry` (default "attack"): async (pixels, label, eps) → 784 pixels, run in a
//              worker with `gradient` and `classify`. Fields: digit, eps, budget, starter,
//              target?, minConfidence?, entry?, minGradientCalls?, sameAs? ("fgsm"),
//              timeLimitSeconds? (default 10)
//   "draw"     draw (or upload) a digit the network reads as `target`. Fields: target,
//              minConfidence?
//   "break"    name the attack that breaks `model`'s defence: the learner's method (an L∞ attack
//              of the catalogue) runs at `eps` on the first `digits` samples (default 10); solved
//              when the network reads at most `maxAccuracy` of them (default 0.2).
//              Fields: eps, digits?, maxAccuracy?
//   "defend"   train a network of your own (the page's "Train it yourself") that keeps at least
//              `minRobust` of the first `digits` samples (default 100) under PGD with `steps` steps
//              (default 20) at `eps`, and reads at least `minClean` of them clean. Checked on the
//              reader's network ("yours"). Fields: eps, minRobust, minClean, steps?, digits?
// Every kind: model? ("standard" | "robust" | "masked" | "yours"), hint? (shown with a wrong answer).

import { describeMethods } from './attack-methods.js';
import { download } from './download.js';
import { MODEL_NAMES } from './models.js';
import { percent } from './render/bars.js';

export const KINDS = ['perturb', 'min-eps', 'code', 'draw', 'break', 'defend'];
export const NORMS = { linf: 'L∞', l2: 'L2', l0: 'L0' };
const SAMPLE_COUNT = 100; // www/data holds the first 100 MNIST test digits
const COMMON = ['id', 'title', 'prompt', 'kind', 'model', 'hint'];
const FIELDS = {
  perturb: [...COMMON, 'digit', 'budget', 'target', 'minConfidence'],
  'min-eps': [...COMMON, 'digit', 'method', 'tolerance'],
  code: [...COMMON, 'digit', 'eps', 'budget', 'target', 'minConfidence', 'starter', 'entry', 'minGradientCalls', 'sameAs', 'timeLimitSeconds'],
  draw: [...COMMON, 'target', 'minConfidence'],
  break: [...COMMON, 'eps', 'digits', 'maxAccuracy'],
  defend: ['id', 'title', 'prompt', 'kind', 'hint', 'eps', 'minRobust', 'minClean', 'steps', 'digits'],
};
export const DEFAULT_TIME_LIMIT_SECONDS = 10;

/**
 * Checks a parsed exercise file against the engine's attack catalogue (`engine.attackMethods`).
 * Returns {set, errors}: `errors` name the place and the fault
 * ("challenges[2].budget.max: a number above 0, not "x""); `set` is usable only when there are none.
 */
export function validateExerciseSet(json, methods) {
  // The L∞ attacks with a budget: the ones a min-ε exercise can ask about (the engine's catalogue).
  const epsMethods = breakingMethods(methods).map((m) => m.name);
  const errors = [];
  const fail = (path, expected, value) => errors.push(`${path}: ${expected}${value === undefined ? ' (missing)' : `, not ${JSON.stringify(value)?.slice(0, 40)}`}`);
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(json)) return { set: null, errors: ['the file must hold one JSON object: {"title": …, "challenges": […]}'] };
  for (const key of Object.keys(json)) if (!['title', 'description', 'challenges'].includes(key)) errors.push(`${key}: unknown field (title, description, challenges)`);
  const text = (path, value, { required = false, max = 4000 } = {}) => {
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || !value.trim() || value.length > max) fail(path, `a text of 1 to ${max} characters`, value);
  };
  const number = (path, value, { min = -Infinity, max = Infinity, above = false, integer = false, required = true } = {}) => {
    if (value === undefined && !required) return;
    const ok = typeof value === 'number' && Number.isFinite(value) && (above ? value > min : value >= min) && value <= max && (!integer || Number.isInteger(value));
    if (!ok) fail(path, `${integer ? 'a whole number' : 'a number'} ${above ? `above ${min}` : `from ${min}`}${max < Infinity ? ` to ${max}` : ''}`, value);
  };
  const oneOf = (path, value, values, { required = true } = {}) => {
    if (value === undefined && !required) return;
    if (!values.includes(value)) fail(path, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, value);
  };
  text('title', json.title, { max: 200 });
  text('description', json.description);
  if (!Array.isArray(json.challenges) || json.challenges.length === 0 || json.challenges.length > 50) {
    fail('challenges', 'a list of 1 to 50 challenges', json.challenges);
    return { set: null, errors };
  }
  const ids = new Set();
  json.challenges.forEach((c, i) => {
    const at = (field) => `challenges[${i}]${field ? `.${field}` : ''}`;
    if (!isObject(c)) return fail(at(), 'an object', c);
    if (typeof c.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,47}$/.test(c.id)) fail(at('id'), 'lower-case letters, digits and dashes (at most 48)', c.id);
    else if (ids.has(c.id)) fail(at('id'), 'an id no other challenge has', c.id);
    ids.add(c.id);
    text(at('title'), c.title, { required: true, max: 120 });
    text(at('prompt'), c.prompt, { required: true });
    text(at('hint'), c.hint);
    oneOf(at('kind'), c.kind, KINDS);
    oneOf(at('model'), c.model, MODEL_NAMES, { required: false });
    if (!KINDS.includes(c.kind)) return;
    for (const key of Object.keys(c)) if (!FIELDS[c.kind].includes(key)) errors.push(`${at(key)}: unknown field for a "${c.kind}" challenge (${FIELDS[c.kind].join(', ')})`);
    if (c.kind === 'perturb' && c.digit === 'any') { /* the learner picks the sample */ } else if (!['draw', 'break', 'defend'].includes(c.kind)) {
      number(at('digit'), c.digit, { min: 0, max: SAMPLE_COUNT - 1, integer: true });
    }
    if (c.kind === 'perturb' || c.kind === 'code') {
      if (!isObject(c.budget)) fail(at('budget'), 'an object {"norm": "linf", "max": 0.15}', c.budget);
      else {
        oneOf(at('budget.norm'), c.budget.norm, Object.keys(NORMS));
        number(at('budget.max'), c.budget.max, { min: 0, above: true });
      }
    }
    number(at('target'), c.target, { min: 0, max: 9, integer: true, required: c.kind === 'draw' });
    number(at('minConfidence'), c.minConfidence, { min: 0, max: 1, required: false });
    if (c.kind === 'min-eps') {
      oneOf(at('method'), c.method, epsMethods);
      number(at('tolerance'), c.tolerance, { min: 0, max: 1, above: true, required: false });
    }
    if (c.kind === 'break') {
      number(at('eps'), c.eps, { min: 0, above: true, max: 1 });
      number(at('digits'), c.digits, { min: 1, max: SAMPLE_COUNT, integer: true, required: false });
      number(at('maxAccuracy'), c.maxAccuracy, { min: 0, max: 1, required: false });
    }
    if (c.kind === 'defend') {
      number(at('eps'), c.eps, { min: 0, above: true, max: 1 });
      number(at('minRobust'), c.minRobust, { min: 0, max: 1 });
      number(at('minClean'), c.minClean, { min: 0, max: 1 });
      number(at('steps'), c.steps, { min: 1, max: 100, integer: true, required: false });
      number(at('digits'), c.digits, { min: 1, max: SAMPLE_COUNT, integer: true, required: false });
    }
    if (c.kind === 'code') {
      number(at('eps'), c.eps, { min: 0, above: true, max: 1 });
      text(at('starter'), c.starter, { required: true, max: 20000 });
      if (c.entry !== undefined && !(typeof c.entry === 'string' && /^[A-Za-z_$][\w$]*$/.test(c.entry))) fail(at('entry'), 'a function name', c.entry);
      number(at('minGradientCalls'), c.minGradientCalls, { min: 0, max: 1000, integer: true, required: false });
      oneOf(at('sameAs'), c.sameAs, ['fgsm'], { required: false });
      number(at('timeLimitSeconds'), c.timeLimitSeconds, { min: 1, max: 60, required: false });
    }
  });
  return { set: errors.length ? null : json, errors };
}

/** Fetches and checks an exercise file (same origin only). Throws an Error whose message lists every fault. */
export async function loadExerciseSet(url, methods) {
  const address = new URL(url, location.href);
  if (address.origin !== location.origin) throw new Error(`${url}: exercises are loaded from this site only`);
  const response = await download(address, url);
  let json;
  try {
    json = JSON.parse(await response.text());
  } catch (error) {
    throw new Error(`${url} is not valid JSON (${error.message})`);
  }
  const { set, errors } = validateExerciseSet(json, methods);
  if (!set) throw Object.assign(new Error(`${url} has ${errors.length} fault${errors.length === 1 ? '' : 's'}`), { faults: errors });
  return set;
}

// ---------------------------------------------------------------------------------------------
// Answers.

const pass = (message) => ({ passed: true, message });
const wrong = (challenge, message) => ({ passed: false, message: challenge.hint ? `${message} Hint: ${challenge.hint}` : message });

/** Sizes of `candidate − original` ({l0, l2, linf}), measured by the engine as the attacks report them. */
export function changeNorms(engine, original, candidate) {
  return engine.perturbationNorms(original, candidate);
}

/** A fault in the pixels themselves, or null. */
function malformed(pixels) {
  if (!pixels || pixels.length !== 784) return `an answer is an image of 784 pixels, this one has ${pixels?.length ?? 0}`;
  for (let i = 0; i < 784; i++) {
    const v = pixels[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) return `pixel ${i} is ${v}: every pixel must be a number`;
    if (v < 0 || v > 1) return `pixel ${i} is ${v.toFixed(3)}: pixels lie in [0, 1] (clip them)`;
  }
  return null;
}

const TOLERANCE = 1e-4; // float rounding: ε + x may land a hair above the budget
const SAME_AS_SLACK_PIXELS = 7; // 1% of the image

/** What the network reads, against the challenge's goal. */
async function judgeReading(challenge, engine, pixels, trueLabel) {
  const { label, probabilities } = await engine.classify(pixels);
  const sure = percent(probabilities[label]);
  if (challenge.target != null && label !== challenge.target) {
    return wrong(challenge, `The network reads a ${label} (${sure}), not a ${challenge.target}.`);
  }
  if (challenge.target == null && label === trueLabel) {
    return wrong(challenge, `The network still reads a ${label} (${sure}): it is not fooled yet.`);
  }
  if (challenge.minConfidence != null && probabilities[label] < challenge.minConfidence) {
    return wrong(challenge, `The network reads a ${label}, but only ${sure} sure; it must be at least ${percent(challenge.minConfidence)} sure.`);
  }
  return { passed: true, label, sure };
}

/** The catalogue's L∞ attacks with a budget: what a "break" challenge lets the learner pick. */
export function breakingMethods(methods) {
  return methods.filter((m) => m.eps && m.norm === 'L∞');
}

/** A `defend` challenge on the reader's network: clean, then under PGD (random start, seed 1). */
async function checkDefence(challenge, engine, samples) {
  const { pixels, labels } = samples.first(challenge.digits ?? SAMPLE_COUNT);
  const count = labels.length;
  const accuracy = (predicted) => labels.filter((l, i) => predicted[i] === l).length / count;
  const steps = challenge.steps ?? 20;
  const clean = accuracy(await engine.attackLabels(pixels, labels, { method: 'fgsm', eps: 0 }));
  if (clean < challenge.minClean) {
    return wrong(challenge, `Your network reads ${percent(clean)} of the ${count} digits correctly before any attack; this needs at least ${percent(challenge.minClean)}. Train longer, or with a smaller ε.`);
  }
  const robust = accuracy(await engine.attackLabels(pixels, labels, { method: 'pgd', eps: challenge.eps, steps, seed: 1 }));
  if (robust < challenge.minRobust) {
    return wrong(challenge, `Under PGD-${steps} at ε = ${challenge.eps} your network keeps ${percent(robust)} of the ${count} digits (clean: ${percent(clean)}); this needs at least ${percent(challenge.minRobust)}.`);
  }
  return pass(`Solved: your network keeps ${percent(robust)} of the ${count} digits under PGD-${steps} at ε = ${challenge.eps}, and reads ${percent(clean)} clean.`);
}

/**
 * Judges an answer. `answer`: perturb and code {pixels, sample?, calls?}; min-eps {eps}; draw
 * {pixels, source}; break {method}. `context`: {engineFor(model) → Promise<engine>, samples: {label(i), pixels(i)}}.
 * @returns {Promise<{passed: boolean, message: string}>}
 */
export async function checkAnswer(challenge, answer, { engineFor, samples }) {
  if (challenge.kind === 'defend') return checkDefence(challenge, await engineFor('yours'), samples);
  const engine = await engineFor(challenge.model ?? 'standard');
  if (challenge.kind === 'draw') {
    const fault = malformed(answer?.pixels);
    if (fault) return wrong(challenge, `Draw a digit first (${fault}).`);
    if (answer.source === 'sample') return wrong(challenge, 'That is a digit from MNIST: draw one yourself (or upload a picture of one).');
    const reading = await judgeReading(challenge, engine, answer.pixels, null);
    return reading.passed ? pass(`Solved: the network reads your digit as a ${reading.label} (${reading.sure} sure).`) : reading;
  }

  if (challenge.kind === 'break') {
    const method = describeMethods(breakingMethods(engine.attackMethods)).find((m) => m.name === answer?.method);
    if (!method) return wrong(challenge, 'Pick one of the L∞ attacks.');
    const limit = challenge.maxAccuracy ?? 0.2;
    const { pixels, labels } = samples.first(challenge.digits ?? 10);
    const count = labels.length;
    const predicted = await engine.attackLabels(pixels, labels, { method: method.name, eps: challenge.eps, seed: 1 });
    const accuracy = labels.filter((l, i) => predicted[i] === l).length / count;
    const { label } = method;
    if (accuracy > limit) {
      return wrong(challenge, `Under ${label} at ε = ${challenge.eps} the network still reads ${percent(accuracy)} of the ${count} digits correctly; breaking it means at most ${percent(limit)}.`);
    }
    return pass(`Solved: under ${label} at ε = ${challenge.eps} the network reads only ${percent(accuracy)} of the ${count} digits correctly.`);
  }

  const index = challenge.digit === 'any' ? answer?.sample : challenge.digit;
  if (!(Number.isInteger(index) && index >= 0 && index < SAMPLE_COUNT)) {
    return wrong(challenge, 'Attack one of the sample digits: pick it in the demo first.');
  }
  const original = samples.pixels(index);
  const trueLabel = samples.label(index);

  if (challenge.kind === 'min-eps') {
    const eps = Number(answer?.eps);
    if (!(Number.isFinite(eps) && eps > 0)) return wrong(challenge, 'Give ε as a number above 0, such as 0.12.');
    const method = engine.attackMethods.find((m) => m.name === challenge.method);
    const options = { method: method.name, seed: 0 };
    const tolerance = challenge.tolerance ?? 0.1;
    const [atAnswer, smallest] = await Promise.all([
      engine.attack(original, trueLabel, { ...options, eps }),
      engine.minimalEpsilon(original, trueLabel, options, method.eps.max, 12),
    ]);
    if (atAnswer.label === trueLabel) return wrong(challenge, `At ε = ${eps}, ${method.label} does not fool the network yet: it still reads a ${trueLabel}. Try larger.`);
    if (smallest && eps > smallest.eps * (1 + tolerance)) {
      return wrong(challenge, `ε = ${eps} fools it (it reads a ${atAnswer.label}), but a smaller ε does too: look for one at least ${Math.round((1 - 1 / (1 + tolerance)) * 100)}% smaller.`);
    }
    return pass(`Solved: at ε = ${eps} the network reads a ${atAnswer.label}${smallest ? `; the search finds ${smallest.eps.toFixed(3)}` : ''}.`);
  }

  // perturb and code: an image near the sample.
  const pixels = answer?.pixels;
  const fault = malformed(pixels);
  if (fault) return wrong(challenge, `${fault[0].toUpperCase()}${fault.slice(1)}.`);
  const { label: before } = await engine.classify(original);
  if (before !== trueLabel) {
    return wrong(challenge, `The network already misreads this sample (a ${trueLabel}, read as a ${before}) before any change: pick one it reads correctly.`);
  }
  const norms = await changeNorms(engine, original, pixels);
  const { norm, max } = challenge.budget;
  if (norms[norm] > max + (norm === 'l0' ? 0 : TOLERANCE)) {
    return wrong(challenge, `The change is too large: ${NORMS[norm]} ${norm === 'l0' ? `${norms.l0} pixels` : norms[norm].toFixed(3)}, over the budget of ${max}. ${norms.linf > 0.6 ? 'Is it the right digit?' : ''}`.trim());
  }
  if (challenge.kind === 'code') {
    const calls = answer.calls ?? { gradient: 0 };
    if (calls.gradient < (challenge.minGradientCalls ?? 0)) {
      return wrong(challenge, `Your code called gradient() ${calls.gradient} time${calls.gradient === 1 ? '' : 's'}; this exercise needs at least ${challenge.minGradientCalls}.`);
    }
    if (challenge.sameAs) {
      const reference = await engine.attack(original, trueLabel, { method: challenge.sameAs, eps: challenge.eps, seed: 0 });
      // Pixels whose gradient is nearly 0 may take either sign (a GPU sums in another order).
      const apart = await changeNorms(engine, reference.pixels, pixels);
      if (apart.l0 > SAME_AS_SLACK_PIXELS) {
        return wrong(challenge, `Your image differs from ${challenge.sameAs.toUpperCase()}'s on ${apart.l0} pixels (by up to ${apart.linf.toFixed(3)}).`);
      }
    }
  }
  const reading = await judgeReading(challenge, engine, pixels, trueLabel);
  if (!reading.passed) return reading;
  return pass(`Solved: the network reads a ${reading.label} (${reading.sure} sure) where it read a ${trueLabel}; the change is ${NORMS[norm]} ${norm === 'l0' ? `${norms.l0} pixels` : norms[norm].toFixed(3)}.`);
}
