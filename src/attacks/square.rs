use super::{AttackOptions, Goal, ScoreOracle};
use crate::gradients::ComputeError;
use crate::inference::argmax;
use crate::model::{CLASSES, IMAGE_PIXELS, IMAGE_SIDE};
use crate::rng::SplitMix64;

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
    search(oracle, pixels, goal, options, &Linf).await
}

/// The Square Attack, L2 (Andriushchenko, Croce, Flammarion & Hein 2020, the paper's L2
/// version). The same random search as [`square`] with another proposal: the change is always
/// exactly ε long (before clipping), and each step takes the change out of one random square and
/// puts it, with a fresh "meta-pattern" (two halves of opposite sign, each a stack of concentric
/// rectangles weighted 1/(r+1)², the paper's shape), into another, keeping the total length.
/// It starts from a grid of 5×5 tiles, each holding the pattern with a random sign.
///
/// Norm: L2, bounded by `eps`. Defaults: ε = 2 (MNIST's standard L2 budget, as for PGD-L2),
/// 1,000 queries, p_init = 0.8 (the paper's and AutoAttack's L2 setting). Returns the adversarial
/// pixels and the queries each image used, counted as in [`square`].
pub async fn square_l2(oracle: &mut ScoreOracle<'_>, pixels: Vec<f32>, goal: &Goal, options: &AttackOptions) -> Result<(Vec<f32>, Vec<usize>), ComputeError> {
    search(oracle, pixels, goal, options, &L2).await
}

/// How the two versions start and what they try next; the search around them is the same.
trait Proposal {
    /// The first change of an image (784 values), before it is added and clipped.
    fn start(&self, eps: f32, rng: &mut SplitMix64) -> Vec<f32>;
    /// The next image to try, from the original, the best image so far and the square's side.
    fn next(&self, image: &[f32], best: &[f32], eps: f32, side: usize, rng: &mut SplitMix64) -> Vec<f32>;
}

/// The random search both versions share: start, then one proposal per image still attacked per
/// round, kept where the margin shrinks; the watcher sees the first image's best as it goes.
async fn search(oracle: &mut ScoreOracle<'_>, pixels: Vec<f32>, goal: &Goal, options: &AttackOptions, proposal: &dyn Proposal) -> Result<(Vec<f32>, Vec<usize>), ComputeError> {
    let n = goal.len();
    let eps = options.eps;
    let budget = options.queries.max(1);
    // One random stream per image, each from the seed: an image's attack does not depend on the
    // batch it came in (the page attacks one digit, the CLI a hundred, with the same result).
    let mut rngs = vec![SplitMix64::new(options.seed); n];
    let original = pixels;

    let mut best = original.clone();
    for (i, rng) in rngs.iter_mut().enumerate() {
        let change = proposal.start(eps, rng);
        for (p, d) in change.iter().enumerate() {
            best[i * IMAGE_PIXELS + p] = (original[i * IMAGE_PIXELS + p] + d).clamp(0.0, 1.0);
        }
    }
    let mut best_answers = oracle.probabilities(best.clone()).await?;
    let answer = |answers: &[f32], c: usize| answers[c * CLASSES..(c + 1) * CLASSES].to_vec();
    let mut margin: Vec<f32> = (0..n).map(|i| margin_of(&answer(&best_answers, i), goal, i)).collect();
    let mut active: Vec<bool> = (0..n).map(|i| !goal.reached(i, argmax(&answer(&best_answers, i)))).collect();
    let mut queries = vec![1usize; n];
    oracle.report(&best[..IMAGE_PIXELS], Some(&best_answers[..CLASSES]));

    for iteration in 1..budget {
        let open: Vec<usize> = (0..n).filter(|&i| active[i]).collect();
        if open.is_empty() {
            break;
        }
        // The schedule counts squares from 0, as the paper's code does.
        let side = square_side(options.square.p_init, iteration - 1, budget);
        let mut batch = Vec::with_capacity(open.len() * IMAGE_PIXELS);
        for &i in &open {
            let range = i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS;
            batch.extend(proposal.next(&original[range.clone()], &best[range], eps, side, &mut rngs[i]));
        }
        let answers = oracle.probabilities(batch.clone()).await?;
        for (c, &i) in open.iter().enumerate() {
            queries[i] += 1;
            let answer = answer(&answers, c);
            let m = margin_of(&answer, goal, i);
            if m < margin[i] {
                margin[i] = m;
                best[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].copy_from_slice(&batch[c * IMAGE_PIXELS..(c + 1) * IMAGE_PIXELS]);
                best_answers[i * CLASSES..(i + 1) * CLASSES].copy_from_slice(&answer);
                active[i] = !goal.reached(i, argmax(&answer));
            }
        }
        oracle.report(&best[..IMAGE_PIXELS], Some(&best_answers[..CLASSES]));
    }
    Ok((best, queries))
}

/// The L∞ version's proposals: stripes of ±ε to start, then a square set to +ε or −ε.
struct Linf;

impl Proposal for Linf {
    fn start(&self, eps: f32, rng: &mut SplitMix64) -> Vec<f32> {
        // Vertical stripes: one sign per column.
        let signs: Vec<f32> = (0..IMAGE_SIDE).map(|_| if rng.next_f32() < 0.5 { -eps } else { eps }).collect();
        (0..IMAGE_PIXELS).map(|p| signs[p % IMAGE_SIDE]).collect()
    }

    fn next(&self, image: &[f32], best: &[f32], eps: f32, side: usize, rng: &mut SplitMix64) -> Vec<f32> {
        let mut candidate = best.to_vec();
        let top = rng.below(IMAGE_SIDE - side + 1);
        let left = rng.below(IMAGE_SIDE - side + 1);
        let window = |candidate: &mut [f32], sign: f32| {
            let mut changed = false;
            for row in top..top + side {
                for col in left..left + side {
                    let p = row * IMAGE_SIDE + col;
                    let value = (image[p] + sign).clamp(0.0, 1.0);
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
        candidate
    }
}

/// The L2 version's proposals (see [`square_l2`]).
struct L2;

/// The L2 start's tiles: 5 pixels wide, 5×5 of them, centred (a one-pixel margin at the top left).
const TILE: usize = 5;

impl Proposal for L2 {
    fn start(&self, eps: f32, rng: &mut SplitMix64) -> Vec<f32> {
        let mut change = vec![0.0; IMAGE_PIXELS];
        let offset = (IMAGE_SIDE - TILE * (IMAGE_SIDE / TILE)) / 2;
        for tile_row in 0..IMAGE_SIDE / TILE {
            for tile_col in 0..IMAGE_SIDE / TILE {
                let sign = if rng.next_f32() < 0.5 { -1.0 } else { 1.0 };
                let pattern = meta_pattern(TILE, rng);
                for r in 0..TILE {
                    for c in 0..TILE {
                        change[(offset + tile_row * TILE + r) * IMAGE_SIDE + offset + tile_col * TILE + c] += sign * pattern[r * TILE + c];
                    }
                }
            }
        }
        scale_to(&mut change, eps);
        change
    }

    fn next(&self, image: &[f32], best: &[f32], eps: f32, side: usize, rng: &mut SplitMix64) -> Vec<f32> {
        // The paper's squares are at least 3 pixels and odd-sided, so that the pattern has a centre.
        let side = (side.max(3) | 1).min(IMAGE_SIDE - 1);
        let mut change: Vec<f32> = best.iter().zip(image).map(|(b, x)| b - x).collect();
        let corner = |rng: &mut SplitMix64| (rng.below(IMAGE_SIDE - side + 1), rng.below(IMAGE_SIDE - side + 1));
        let (from, to) = (corner(rng), corner(rng));
        let inside = |(top, left): (usize, usize), p: usize| (top..top + side).contains(&(p / IMAGE_SIDE)) && (left..left + side).contains(&(p % IMAGE_SIDE));
        let length = |values: &mut dyn Iterator<Item = f32>| values.map(|v| v * v).sum::<f32>().sqrt();
        let total = length(&mut change.iter().copied());
        let windows = length(&mut (0..IMAGE_PIXELS).filter(|&p| inside(from, p) || inside(to, p)).map(|p| change[p]));
        let in_target = length(&mut (0..IMAGE_PIXELS).filter(|&p| inside(to, p)).map(|p| change[p]));
        // The new content of the target square: a fresh pattern with a random sign, plus the
        // direction it held (normalised), as long as the two squares held together plus whatever
        // clipping took from the whole change's length ε.
        let sign = if rng.next_f32() < 0.5 { -1.0 } else { 1.0 };
        let pattern = meta_pattern(side, rng);
        let mut content = vec![0.0; side * side];
        for r in 0..side {
            for c in 0..side {
                let p = (to.0 + r) * IMAGE_SIDE + to.1 + c;
                content[r * side + c] = sign * pattern[r * side + c] + change[p] / (in_target + 1e-12);
            }
        }
        scale_to(&mut content, ((eps * eps - total * total).max(0.0) + windows * windows).sqrt());
        for (p, value) in change.iter_mut().enumerate() {
            if inside(from, p) {
                *value = 0.0;
            }
        }
        for r in 0..side {
            for c in 0..side {
                change[(to.0 + r) * IMAGE_SIDE + to.1 + c] = content[r * side + c];
            }
        }
        scale_to(&mut change, eps);
        image.iter().zip(&change).map(|(x, d)| (x + d).clamp(0.0, 1.0)).collect()
    }
}

/// Scales `values` to the Euclidean length `length` (leaves zeros as they are).
fn scale_to(values: &mut [f32], length: f32) {
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        values.iter_mut().for_each(|v| *v *= length / norm);
    }
}

/// The L2 version's pattern for a `side`×`side` square (unit length): the upper half rows a stack
/// of concentric rectangles, each pixel weighted by Σ 1/(r+1)² over the rectangles covering it,
/// the lower half the same with the opposite sign; transposed half of the time.
fn meta_pattern(side: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let rectangles = |rows: usize, cols: usize| {
        let (centre_row, centre_col) = (rows / 2, cols / 2);
        let rings = rows.max(cols).div_ceil(2).max(1);
        let mut values = vec![0.0f32; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                let ring = r.abs_diff(centre_row).max(c.abs_diff(centre_col));
                values[r * cols + c] = (ring..rings).map(|k| 1.0 / ((k + 1) * (k + 1)) as f32).sum();
            }
        }
        values
    };
    let upper = side / 2;
    let mut pattern = rectangles(upper, side);
    pattern.extend(rectangles(side - upper, side).into_iter().map(|v| -v));
    scale_to(&mut pattern, 1.0);
    if rng.next_f32() < 0.5 {
        pattern = (0..side * side).map(|p| pattern[(p % side) * side + p / side]).collect();
    }
    pattern
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
    fn the_l2_pattern_has_unit_length_two_opposite_halves_and_its_peak_in_the_middle() {
        let mut rng = SplitMix64::new(3);
        for side in [3, 5, 7, 25] {
            let pattern = meta_pattern(side, &mut rng);
            let length: f32 = pattern.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((length - 1.0).abs() < 1e-5, "side {side}: length {length}");
            // Transposed or not, the two halves cancel only in sign where the sides are even.
            let positive = pattern.iter().filter(|&&v| v > 0.0).count();
            let negative = pattern.iter().filter(|&&v| v < 0.0).count();
            assert_eq!(positive + negative, side * side);
            assert_eq!(positive, (side / 2) * side, "side {side}");
        }
        // Untransposed 5×5: the upper half's rows 0-1, peak at (1, 2); the lower half's at (2 + 1, 2).
        let mut values = None;
        for seed in 0..8 {
            let p = meta_pattern(5, &mut SplitMix64::new(seed));
            if p[0] > 0.0 && p[4] > 0.0 {
                values = Some(p);
                break;
            }
        }
        let p = values.expect("some seed leaves it untransposed");
        let peak = (0..25).max_by(|&a, &b| p[a].partial_cmp(&p[b]).unwrap()).unwrap();
        assert_eq!(peak, 1 * 5 + 2);
        let trough = (0..25).min_by(|&a, &b| p[a].partial_cmp(&p[b]).unwrap()).unwrap();
        assert_eq!(trough, 3 * 5 + 2);
    }

    #[test]
    fn every_l2_proposal_is_eps_long_before_clipping_and_stays_in_the_box() {
        // A mid-grey image: every proposal is ε long before clipping to [0, 1], at most ε after.
        let image = vec![0.5f32; IMAGE_PIXELS];
        let mut rng = SplitMix64::new(1);
        let start = L2.start(2.0, &mut rng);
        assert!((start.iter().map(|d| d * d).sum::<f32>().sqrt() - 2.0).abs() < 1e-4);
        let mut best: Vec<f32> = image.iter().zip(&start).map(|(x, d)| (x + d).clamp(0.0, 1.0)).collect();
        for iteration in 0..50 {
            let side = square_side(0.8, iteration, 100);
            let next = L2.next(&image, &best, 2.0, side, &mut rng);
            let length = next.iter().zip(&image).map(|(a, x)| (a - x) * (a - x)).sum::<f32>().sqrt();
            assert!(length <= 2.0 + 1e-4, "iteration {iteration}: {length}");
            assert!(next.iter().all(|v| (0.0..=1.0).contains(v)));
            best = next;
        }
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
