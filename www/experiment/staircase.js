// An adaptive staircase for a two-alternative forced choice (Levitt 1971): after two correct
// answers in a row the stimulus gets weaker (ε smaller), after each wrong one stronger. This
// "2-down/1-up" rule settles where the observer is right 70.7% of the time, their threshold.
// Pure logic, no DOM: the experiment (can-you-see.js) shows the trials and feeds the answers.

/**
 * @param {{start?: number, factor?: number, min?: number, max?: number, reversals?: number,
 *          maxTrials?: number, averageLast?: number}} [options]
 *   `start`: the first ε; `factor`: each change multiplies or divides ε by it; `reversals`: the
 *   staircase ends after this many changes of direction (or `maxTrials` trials); the threshold
 *   is the geometric mean of ε at the last `averageLast` reversals.
 */
export function createStaircase({ start = 0.3, factor = 1.4, min = 0.005, max = 0.5, reversals = 8, maxTrials = 40, averageLast = 6 } = {}) {
  let level = start;
  let streak = 0; // correct answers in a row at this level
  let direction = 0; // -1 going down (harder), +1 going up (easier), 0 before the first change
  const turns = []; // ε at each reversal
  const trials = []; // {eps, correct}

  function move(to) {
    if (direction !== 0 && to !== direction) turns.push(level);
    direction = to;
    level = Math.min(max, Math.max(min, to < 0 ? level / factor : level * factor));
  }

  return {
    /** The ε of the next trial. */
    get level() {
      return level;
    },
    get trials() {
      return trials.slice();
    },
    get reversals() {
      return turns.slice();
    },
    /** Whether the staircase has ended. */
    get done() {
      return turns.length >= reversals || trials.length >= maxTrials;
    },
    /** Records the answer to the trial at `level`. */
    answer(correct) {
      trials.push({ eps: level, correct });
      if (correct) {
        streak += 1;
        if (streak === 2) {
          streak = 0;
          move(-1);
        }
      } else {
        streak = 0;
        move(+1);
      }
    },
    /**
     * The threshold: the geometric mean of ε at the last reversals (all of them if fewer), or of
     * the levels tried where it never turned; null before any trial.
     */
    get threshold() {
      const values = turns.length ? turns.slice(-averageLast) : trials.map((t) => t.eps);
      if (!values.length) return null;
      return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
    },
  };
}
