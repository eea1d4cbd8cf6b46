use super::{AttackOptions, Goal, ScoreOracle};
use crate::gradients::ComputeError;
use crate::inference::argmax;
use crate::model::{CLASSES, IMAGE_PIXELS, IMAGE_SIDE};

/// The Square Attack's own parameter (Andriushchenko, Croce, Flammarion & Hein 2020); its query
/// budget is [`AttackOptions::queries`], which every black-box attack with a budget shares.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SquareParams {
    /// The share of the image the first squares cover; it halves on a fixed schedule.
    pub p_init: f32,
}

impl Default for SquareParams {
    /// p_init = 0.8 (the paper's value for MNIST, and AutoAttack's).
    fn default() -> Self {
        Self { p_init: 0.8 }
    }
}

/// The Square Attack, L∞ (Andriushchenko, Croce, Flammarion & Hein 2020, "Square Attack: a
/// query-efficient black-box adversarial attack via random search"). It gets no model, only a
/// [`ScoreOracle`] (a score-based black-box attack). It starts from vertical stripes of ±ε, then
/// repeatedly picks a random square of the image, sets the change inside it to +ε or −ε (one sign
/// for the whole square), asks the network, and keeps the new image when the margin between the
/// true digit and the best other one shrinks (targeted: the margin of the target grows). The
/// squares start large (a share `p_init` of the pixels) and shrink on the paper's schedule, fixed
/// in fractions of the budget.
///
/// Norm: L∞, bounded by `eps`: every pixel moves by at most ε (exactly ε before clipping to
/// [0, 1]), the extreme points of the ball, where the paper finds the adversarial examples.
/// Defaults: ε = 0.3 (MNIST's standard budget), 1,000 queries (the paper's budget is 10,000,
/// rarely needed on an undefended network), p_init = 0.8.
/// The margin is the logits' (log-probabilities differ from logits by one constant per image).
///
/// Returns the adversarial pixels and the queries each image used: one for the start, one per
/// square tried, none once it is fooled. Every image still attacked is asked about at once.
pub async fn square(oracle: &mut ScoreOracle<'_>, pixels: Vec<f32>, goal: &Goal, options: &AttackOptions) -> Result<(Vec<f32>, Vec<usize>), ComputeError> {
    let n = goal.len();
    let eps = options.eps;
    let budget = options.queries.max(1);
    // One random stream per image, each from the seed: an image's attack does not depend on the
    // batch it came in (the page attacks one digit, the CLI a hundred, with the same result).
    let mut rngs = vec![crate::rng::SplitMix64::new(options.seed); n];
    let original = pixels;
    let clip = |v: f32| v.clamp(0.0, 1.0);

    // Vertical stripes: one sign per column of each image.
    let mut best = original.clone();
    for (i, rng) in rngs.iter_mut().enumerate() {
        for col in 0..IMAGE_SIDE {
            let sign = if rng.next_f32() < 0.5 { -eps } else { eps };
            for row in 0..IMAGE_SIDE {
                let p = i * IMAGE_PIXELS + row * IMAGE_SIDE + col;
                best[p] = clip(original[p] + sign);
            }
        }
    }
    let answers = oracle.probabilities(best.clone()).await?;
    let mut margin: Vec<f32> = (0..n).map(|i| margin_of(&answers[i * CLASSES..(i + 1) * CLASSES], goal, i)).collect();
    let mut active: Vec<bool> = (0..n).map(|i| !goal.reached(i, argmax(&answers[i * CLASSES..(i + 1) * CLASSES]))).collect();
    let mut queries = vec![1usize; n];

    for iteration in 1..budget {
        let open: Vec<usize> = (0..n).filter(|&i| active[i]).collect();
        if open.is_empty() {
            break;
        }
        // The schedule counts squares from 0, as the paper's code does.
        let side = square_side(options.square.p_init, iteration - 1, budget);
        let mut batch = Vec::with_capacity(open.len() * IMAGE_PIXELS);
        for &i in &open {
            let rng = &mut rngs[i];
            let image = &original[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
            let mut candidate = best[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].to_vec();
            let top = rng.below(IMAGE_SIDE - side + 1);
            let left = rng.below(IMAGE_SIDE - side + 1);
            let window = |candidate: &mut [f32], sign: f32| {
                let mut changed = false;
                for row in top..top + side {
                    for col in left..left + side {
                        let p = row * IMAGE_SIDE + col;
                        let value = clip(image[p] + sign);
                        changed |= value != candidate[p];
                        candidate[p] = value;
                    }
                }
                changed
            };
            // A square that changes nothing wastes a query: the other sign always changes it
            // (at 0, −ε stays 0 but +ε does not; at 1, the reverse).
            let sign = if rng.next_f32() < 0.5 { -eps } else { eps };
            if !window(&mut candidate, sign) {
                window(&mut candidate, -sign);
            }
            batch.extend_from_slice(&candidate);
        }
        let answers = oracle.probabilities(batch.clone()).await?;
        for (c, &i) in open.iter().enumerate() {
            queries[i] += 1;
            let answer = &answers[c * CLASSES..(c + 1) * CLASSES];
            let m = margin_of(answer, goal, i);
            if m < margin[i] {
                margin[i] = m;
                best[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].copy_from_slice(&batch[c * IMAGE_PIXELS..(c + 1) * IMAGE_PIXELS]);
                active[i] = !goal.reached(i, argmax(answer));
            }
        }
    }
    Ok((best, queries))
}

/// The side of the `iteration`-th square (from 0) of a `budget`: a share p of the pixels, p halving at the
/// paper's milestones (10, 50, 200, 500, 1,000, 2,000, 4,000, 6,000 and 8,000 of 10,000
/// iterations, scaled to the budget), at least one pixel and less than the whole image.
fn square_side(p_init: f32, iteration: usize, budget: usize) -> usize {
    const MILESTONES: [usize; 9] = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
    let scaled = iteration * 10_000 / budget;
    let halvings = MILESTONES.iter().filter(|&&m| scaled > m).count();
    // The paper's schedule returns to p_init past 10,000; the budget never gets there.
    let p = p_init / (1u32 << halvings) as f32;
    ((p * IMAGE_PIXELS as f32).sqrt().round() as usize).clamp(1, IMAGE_SIDE - 1)
}

/// What the attack drives below zero: untargeted, the true digit's log-probability less the best
/// other's; targeted, the best other's less the target's. Probabilities that underflowed to 0
/// count as 1e-30.
fn margin_of(probabilities: &[f32], goal: &Goal, i: usize) -> f32 {
    let log = |p: f32| p.max(1e-30).ln();
    let class = goal.classes()[i];
    let other = (0..CLASSES).filter(|&c| c != class).map(|c| log(probabilities[c])).fold(f32::NEG_INFINITY, f32::max);
    let own = log(probabilities[class]);
    if goal.targeted() { other - own } else { own - other }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_squares_shrink_on_the_papers_schedule_scaled_to_the_budget() {
        // 0.8 of 784 pixels: a 25-pixel side; halved p: 18.
        assert_eq!(square_side(0.8, 1, 10_000), 25);
        assert_eq!(square_side(0.8, 11, 10_000), 18);
        assert_eq!(square_side(0.8, 9_999, 10_000), 1);
        // A budget of 1,000: the first halving after square 1 (10 of 10,000 is 1 of 1,000).
        assert_eq!(square_side(0.8, 1, 1000), 25);
        assert_eq!(square_side(0.8, 2, 1000), 18);
        // Never the whole image, never nothing.
        assert_eq!(square_side(1.0, 1, 1000), 27);
        assert_eq!(square_side(0.0001, 1, 1000), 1);
    }

    #[test]
    fn the_margin_is_negative_exactly_when_the_goal_is_reached() {
        let p = [0.1, 0.6, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert!(margin_of(&p, &Goal::untargeted(&[1]), 0) > 0.0);
        assert!(margin_of(&p, &Goal::untargeted(&[2]), 0) < 0.0);
        let targeted = Goal::new(&[1], Some(2), false);
        assert!(margin_of(&p, &targeted, 0) > 0.0);
        assert!(margin_of(&p, &Goal::new(&[2], Some(1), false), 0) < 0.0);
    }
}
