// The example exercise sheet: its exercises (course.json, checked like the built-in ones) answered
// in the embedded demo, and a log of the learner's attacks from the demo's events.

import { mountExercises } from '../exercises.js';
import { percent } from '../render/bars.js';

const lab = document.getElementById('lab');
const rows = document.querySelector('#attempts tbody');
const empty = document.getElementById('attempts-empty');

lab.addEventListener('adversarialdigits:attack', ({ detail }) => {
  const cells = [
    detail.method,
    detail.eps ? detail.eps.toFixed(3) : '–',
    String(detail.original.label),
    `${detail.label} (${percent(detail.probabilities[detail.label])})`,
    detail.norms.linf.toFixed(3),
    detail.norms.l2.toFixed(2),
  ];
  const row = document.createElement('tr');
  row.dataset.success = String(detail.success);
  for (const text of cells) row.append(Object.assign(document.createElement('td'), { textContent: text }));
  rows.prepend(row);
  while (rows.children.length > 12) rows.lastElementChild.remove();
  empty.hidden = true;
});

await customElements.whenDefined('adversarial-digits');
await lab.demo.ready;
await mountExercises(document.getElementById('exercises'), { demo: lab.demo, source: new URL('course.json', import.meta.url) });
