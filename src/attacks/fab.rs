use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, FrameRecorder, Goal};
use crate::gradients::{ComputeError, JacobianRows, one_hot, read};
use crate::inference::{argmax, logits};
use crate::model::{CLASSES, IMAGE_PIXELS, images_tensor};

/// FAB's own parameters (AutoAttack's standard L∞ values).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FabParams {
    /// Runs per image, the first from the digit itself, the others from a random point (1).
    /// `fabRestarts` on the wire: `restarts` is PGD's.
    #[serde(rename = "fabRestarts")]
    pub restarts: usize,
    /// The largest weight of the step towards the original digit (0.1).
    pub alpha_max: f32,
    /// How far past the linearised boundary each projection goes (1.05).
    pub eta: f32,
    /// The shrink towards the original after an adversarial iterate (0.9).
    pub beta: f32,
}

impl Default for FabParams {
    fn default() -> Self {
        Self { restarts: 1, alpha_max: 0.1, eta: 1.05, beta: 0.9 }
    }
}

/// What counts as an adversarial iterate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Success {
    /// The goal: the target class (targeted), any wrong class (untargeted).
    Goal,
    /// Any wrong class, whatever the goal: AutoAttack's FAB-T counts a targeted run that lands
    /// in another wrong class, since robust accuracy asks only whether the digit is misread.
    Misread,
}

/// The Fast Adaptive Boundary attack, L∞ (Croce & Hein 2020, "Minimally distorted adversarial
/// examples with a fast adaptive boundary attack", ICML 2020), as AutoAttack runs it.
///
/// Norm: L∞, minimised; `eps` only bounds the random start of the later restarts, and an
/// evaluation judges the result against it. At each step it linearises the classifier at the
/// current iterate (targeted: the difference of the target's logit and the label's, and its
/// gradient; untargeted: the class whose linearised boundary is nearest in L∞), projects both the
/// iterate and the original digit onto that hyperplane within the box [0, 1] (the exact L∞
/// projection, [`projection_linf`]), and moves to a mix of the two projections, each pushed
/// `eta` past the boundary: the one from the original weighted by α = min(‖δ_iterate‖∞ /
/// (‖δ_iterate‖∞ + ‖δ_original‖∞), `alpha_max`), the bias that keeps the perturbation small.
/// Whenever an iterate is adversarial it is kept if it is the smallest so far, and the search
/// goes on from it pulled `beta` of the way back to the original.
///
/// Defaults (AutoAttack's standard L∞ version, [`FabParams`]): 100 steps (`steps`), 1 restart,
/// α_max = 0.1, η = 1.05, β = 0.9; restarts after the first start from a random point at half
/// the smaller of ε and the best L∞ so far, drawn from the seed. Returns, per image, the smallest
/// adversarial found (reaching the goal), or the original digit when none was. One read-back of
/// the linearisation and one of the labels per step (each a checkpoint where the page may give
/// way, [`crate::pace`]): the projection runs on the host.
pub async fn fab(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions, params: &FabParams) -> Result<Crafted, ComputeError> {
    Ok(fab_with(model, images, goal, options, params, Success::Goal).await?.0)
}

/// [`fab`] with a choice of what counts as adversarial; also returns each image's smallest L∞
/// found (`f32::INFINITY` where none).
pub(crate) async fn fab_with(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions, params: &FabParams, success: Success) -> Result<(Crafted, Vec<f32>), ComputeError> {
    let n = goal.len();
    let device = images.device();
    let original = read(images).await?;
    let steps = options.steps.max(1);
    let restarts = params.restarts.max(1);
    let reached = |i: usize, label: usize| match success {
        Success::Goal => goal.reached(i, label),
        Success::Misread => label != goal.labels[i],
    };
    let classify = async |pixels: &[f32]| -> Result<Vec<usize>, ComputeError> {
        let values = read(logits(model, images_tensor(pixels, &device))).await?;
        Ok(values.chunks(CLASSES).map(argmax).collect())
    };

    let mut best = original.clone();
    let mut best_norm = vec![f32::INFINITY; n];
    // A digit that already counts needs no change.
    for (i, &label) in classify(&original).await?.iter().enumerate() {
        if reached(i, label) {
            best_norm[i] = 0.0;
        }
    }
    let open: Vec<bool> = best_norm.iter().map(|&d| d != 0.0).collect();
    let mut recorder = FrameRecorder::new(options.record_every, steps * restarts);

    for restart in 0..restarts {
        let mut x = original.clone();
        if restart > 0 {
            // Half the smaller of ε and the best so far, along uniform noise scaled to L∞ 1: the
            // search restarts near the boundary it already found. Each image's noise from the
            // seed and the restart alone, so its attack does not depend on its batch.
            for i in (0..n).filter(|&i| open[i]) {
                let mut rng = crate::rng::SplitMix64::new(options.seed ^ (restart as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let t: Vec<f32> = (0..IMAGE_PIXELS).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let top = t.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
                let radius = 0.5 * best_norm[i].min(options.eps);
                for (p, (o, v)) in x[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].iter_mut().zip(original[i * IMAGE_PIXELS..].iter().zip(&t)) {
                    *p = (o + radius * v / top).clamp(0.0, 1.0);
                }
            }
        }
        for step in 0..steps {
            let planes = linearise(model, &x, goal, &device).await?;
            for (i, (f, w)) in planes.iter().enumerate() {
                if !open[i] {
                    continue;
                }
                let range = i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS;
                let (xi, x0) = (&x[range.clone()], &original[range.clone()]);
                // The linearised boundary f + w·(y − x) = 0, i.e. w·y = w·x − f.
                let b = dot(w, xi) - f;
                let from_iterate = projection_linf(xi, w, b);
                let from_original = projection_linf(x0, w, b);
                let a1 = linf(&from_iterate).max(1e-8);
                let a2 = linf(&from_original).max(1e-8);
                let alpha = (a1 / (a1 + a2)).clamp(0.0, params.alpha_max);
                let next: Vec<f32> = (0..IMAGE_PIXELS)
                    .map(|p| ((xi[p] + params.eta * from_iterate[p]) * (1.0 - alpha) + (x0[p] + params.eta * from_original[p]) * alpha).clamp(0.0, 1.0))
                    .collect();
                x[range].copy_from_slice(&next);
            }
            for (i, label) in classify(&x).await?.into_iter().enumerate() {
                if !open[i] || !reached(i, label) {
                    continue;
                }
                let range = i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS;
                let distance = x[range.clone()].iter().zip(&original[range.clone()]).fold(0.0f32, |m, (a, o)| m.max((a - o).abs()));
                if distance < best_norm[i] {
                    best_norm[i] = distance;
                    best[range.clone()].copy_from_slice(&x[range.clone()]);
                }
                // On from a point nearer the original, on the other side of the boundary again.
                for (p, o) in x[range].iter_mut().zip(&original[i * IMAGE_PIXELS..]) {
                    *p = o + params.beta * (*p - o);
                }
            }
            if options.record_every > 0 {
                recorder.step(restart * steps + step + 1, &images_tensor(&x, &device)).await?;
            }
        }
    }
    Ok((recorder.finish(images_tensor(&best, &device), steps * restarts), best_norm))
}

/// Each image's linearised boundary at `x`: the value `f` of the difference of logits that is
/// negative on the label's side and zero on the boundary, and its gradient `w`. Targeted: the
/// target's logit less the label's. Untargeted: of the other classes, the one whose linearised
/// boundary is nearest in L∞ (|f| / ‖w‖₁, the dual norm).
async fn linearise(model: &DigitNet, x: &[f32], goal: &Goal, device: &Device) -> Result<Vec<(f32, Vec<f32>)>, ComputeError> {
    let n = goal.len();
    match &goal.targets {
        Some(targets) => {
            let input = images_tensor(x, device).autodiff().require_grad();
            let logits = model.forward(input.clone());
            let selector = (one_hot(targets, device) - one_hot(&goal.labels, device)).autodiff();
            let difference = (logits * selector).sum_dim(1);
            let grads = difference.clone().sum().backward();
            let gradient = input.grad(&grads).expect("the input requires a gradient").reshape([n, IMAGE_PIXELS]);
            let data = read(Tensor::cat(vec![difference.without_autodiff(), gradient], 1)).await?;
            Ok(data.chunks(1 + IMAGE_PIXELS).map(|row| (row[0], row[1..].to_vec())).collect())
        }
        None => {
            let rows = JacobianRows::of(model, x, device).await?;
            Ok((0..n)
                .map(|i| {
                    let (z, y) = (rows.logits(i), goal.labels[i]);
                    let plane = |k: usize| -> (f32, Vec<f32>) { (z[k] - z[y], rows.gradient(i, k).iter().zip(rows.gradient(i, y)).map(|(a, b)| a - b).collect()) };
                    (0..CLASSES)
                        .filter(|&k| k != y)
                        .map(plane)
                        .min_by(|(f1, w1), (f2, w2)| (f1.abs() / (l1(w1) + 1e-12)).total_cmp(&(f2.abs() / (l1(w2) + 1e-12))))
                        .expect("ten classes")
                })
                .collect())
        }
    }
}

/// The smallest change `d` in L∞ that puts `point + d` on the hyperplane `w·y = b` and keeps it in
/// the box [0, 1]: the projection FAB steps with (the paper's projection onto the intersection
/// of a hyperplane and a box, solved exactly).
///
/// Moving `w·y` by `c = b − w·point` within an L∞ radius λ, each coordinate goes as far as it can
/// in the direction of `sign(c·wᵢ)`: min(λ, roomᵢ), its room being the distance to the box's edge
/// on that side. The change this buys, g(λ) = Σ |wᵢ| min(λ, roomᵢ), is increasing and piecewise
/// linear, with a kink at each room; sorting the rooms finds the piece on which g(λ) = |c| and so
/// the smallest λ. When no λ is enough (the box does not reach the hyperplane), every coordinate
/// moves to its edge: the point of the box nearest the hyperplane's side. Coordinates with
/// `wᵢ = 0` do not move.
pub(crate) fn projection_linf(point: &[f32], w: &[f32], b: f32) -> Vec<f32> {
    let c = b as f64 - point.iter().zip(w).map(|(&p, &wi)| p as f64 * wi as f64).sum::<f64>();
    let mut d = vec![0.0f32; point.len()];
    if c == 0.0 {
        return d;
    }
    // Each moving coordinate: (its room, |wᵢ|, its index), in the direction that moves w·y towards b.
    let up = |wi: f32| (wi as f64 > 0.0) == (c > 0.0);
    let mut moving: Vec<(f64, f64, usize)> =
        w.iter().enumerate().filter(|&(_, &wi)| wi != 0.0).map(|(i, &wi)| (if up(wi) { 1.0 - point[i] as f64 } else { point[i] as f64 }.max(0.0), (wi as f64).abs(), i)).collect();
    moving.sort_by(|a, b| a.0.total_cmp(&b.0));
    let need = c.abs();
    // Walking up the kinks: `bought` is the change from the coordinates already at their edge,
    // `slope` the sum of |wᵢ| of those still free.
    let (mut bought, mut slope) = (0.0f64, moving.iter().map(|m| m.1).sum::<f64>());
    let mut radius = f64::INFINITY;
    for &(room, weight, _) in &moving {
        if bought + room * slope >= need {
            radius = (need - bought) / slope;
            break;
        }
        bought += weight * room;
        slope -= weight;
    }
    for &(room, _, i) in &moving {
        let step = radius.min(room) as f32;
        d[i] = if up(w[i]) { step } else { -step };
    }
    d
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn linf(v: &[f32]) -> f32 {
    v.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

fn l1(v: &[f32]) -> f32 {
    v.iter().map(|x| x.abs()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
    }

    #[test]
    fn fab_projection_without_the_box_in_the_way_moves_every_coordinate_by_the_same_amount() {
        // From (0.5, 0.5) to x + 2y = 2: c = 0.5, λ = c / ‖w‖₁ = 1/6, both coordinates up by λ.
        let d = projection_linf(&[0.5, 0.5], &[1.0, 2.0], 2.0);
        assert!(close(&d, &[1.0 / 6.0, 1.0 / 6.0]), "{d:?}");
        // The other side of the plane: down, and a negative weight moves the other way.
        let d = projection_linf(&[0.5, 0.5], &[1.0, -2.0], -0.5 - 0.3);
        assert!(close(&d, &[-0.1, 0.1]), "{d:?}");
    }

    #[test]
    fn fab_projection_stops_a_coordinate_at_the_edge_of_the_box_and_moves_the_others_further() {
        // From (0.9, 0.2, 0.5) to x + y + z = 2.1: c = 0.5. Without the box λ = 1/6, but x has
        // only 0.1 of room: x to 1, and y, z share the rest, λ = (0.5 − 0.1) / 2 = 0.2.
        let d = projection_linf(&[0.9, 0.2, 0.5], &[1.0, 1.0, 1.0], 2.1);
        assert!(close(&d, &[0.1, 0.2, 0.2]), "{d:?}");
        let y: f32 = [0.9f32, 0.2, 0.5].iter().zip(&d).map(|(p, q)| p + q).sum();
        assert!((y - 2.1).abs() < 1e-6);
        // A zero weight does not move, and an unreachable plane takes every coordinate to its edge.
        let d = projection_linf(&[0.3, 0.4, 0.6], &[0.0, 1.0, -1.0], 5.0);
        assert!(close(&d, &[0.0, 0.6, -0.6]), "{d:?}");
        // On the plane already: no change.
        assert!(close(&projection_linf(&[0.25, 0.75], &[2.0, 2.0], 2.0), &[0.0, 0.0]));
    }

    #[test]
    fn fab_projection_is_the_smallest_in_linf_on_random_cases() {
        // Against a brute force over λ: the answer lies on the plane, in the box, and no smaller
        // radius reaches the plane.
        let mut rng = crate::rng::SplitMix64::new(3);
        for _ in 0..200 {
            let point: Vec<f32> = (0..6).map(|_| rng.next_f32()).collect();
            let w: Vec<f32> = (0..6).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let b = rng.uniform(-1.5, 1.5);
            let d = projection_linf(&point, &w, b);
            let y: Vec<f32> = point.iter().zip(&d).map(|(p, q)| p + q).collect();
            assert!(y.iter().all(|v| (-1e-6..=1.0 + 1e-6).contains(v)));
            let reach = |lambda: f32| -> f32 {
                let c = b - dot(&w, &point);
                w.iter().zip(&point).map(|(&wi, &p)| wi.abs() * lambda.min(if (wi > 0.0) == (c > 0.0) { 1.0 - p } else { p })).sum()
            };
            let c = (b - dot(&w, &point)).abs();
            if reach(1.0) < c {
                assert!((reach(1.0) - (dot(&w, &y) - dot(&w, &point)).abs()).abs() < 1e-4, "unreachable: to the edge");
                continue;
            }
            assert!((dot(&w, &y) - b).abs() < 1e-4, "off the plane by {}", dot(&w, &y) - b);
            let radius = linf(&d);
            assert!(reach(radius * 0.999 - 1e-6) < c, "a smaller radius reaches the plane");
        }
    }
}
