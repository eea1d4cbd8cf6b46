use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, FrameRecorder, Goal, image_mask};
use crate::gradients::{ComputeError, one_hot, read};
use crate::inference::argmax;
use crate::model::{CLASSES, IMAGE_PIXELS, images_tensor};

/// The loss APGD climbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApgdLoss {
    /// Cross-entropy: APGD-CE.
    Ce,
    /// The difference of logits ratio (Croce & Hein 2020): invariant to the logits' scale, so a
    /// network that saturates its softmax cannot hide behind a flat cross-entropy. Targeted, the
    /// loss of APGD-T.
    Dlr,
}

/// APGD's own parameter.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApgdParams {
    /// The loss; `None`: cross-entropy untargeted (APGD-CE), DLR targeted (APGD-T), as AutoAttack.
    pub loss: Option<ApgdLoss>,
}

/// The momentum APGD mixes into each step, and the share of steps that must raise the loss
/// between two checkpoints for the step size to stay (the paper's α = 0.75 and ρ = 0.75).
const MOMENTUM: f32 = 0.75;
const RHO: f32 = 0.75;

/// Auto-PGD, L∞ (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an
/// ensemble of diverse parameter-free attacks"): PGD without a step size to tune. It starts at
/// 2ε from a random point of the ball, adds momentum, and at checkpoints (22% of the budget,
/// then closer and closer) halves an image's step and returns to its best point when at most ρ
/// of the steps since the last checkpoint raised the loss, or when the best loss has not
/// improved since a checkpoint that did not halve the step. It keeps the first iterate that
/// reaches the goal (targeted and missing it: the first misread one), or else the one with the
/// highest loss.
///
/// Norm: L∞, bounded by `eps`. Defaults: ε = 0.3, 100 steps (the AutoAttack standard version's),
/// the cross-entropy untargeted and the targeted DLR loss ([`ApgdParams`]). One read-back of the
/// logits per step: the step sizes and the best points are kept per image.
pub async fn apgd(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Result<Crafted, ComputeError> {
    let n = goal.len();
    let device = images.device();
    let steps = options.steps.max(1);
    let eps = options.eps;
    let loss = options.apgd.loss.unwrap_or(if goal.targeted() { ApgdLoss::Dlr } else { ApgdLoss::Ce });
    let checkpoints = checkpoints(steps);
    let project = {
        let lower = (images.clone() - eps).clamp_min(0.0);
        let upper = (images.clone() + eps).clamp_max(1.0);
        move |x: Tensor<4>| x.max_pair(lower.clone()).min_pair(upper.clone()).detach()
    };
    // One value per image, broadcast over its pixels.
    let per_image = |values: &[f32]| Tensor::<1>::from_data(TensorData::new(values.to_vec(), [n]), &device).reshape([n, 1, 1, 1]);

    // A random start inside the ball, each image's noise scaled so its largest pixel moves by ε.
    // Each image's from the seed alone: its attack does not depend on the batch it came in.
    let mut start = Vec::with_capacity(n * IMAGE_PIXELS);
    for _ in 0..n {
        let mut rng = crate::rng::SplitMix64::new(options.seed);
        let t: Vec<f32> = (0..IMAGE_PIXELS).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let top = t.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
        start.extend(t.iter().map(|v| eps * v / top));
    }
    let mut x = project(images.clone() + images_tensor(&start, &device));
    let (mut gradient, mut current) = loss_and_gradient(model, x.clone(), goal, loss).await?;

    let mut eta = vec![2.0 * eps; n];
    let mut best_loss: Vec<f32> = current.iter().map(|s| s.loss).collect();
    let mut best = x.clone();
    let mut best_gradient = gradient.clone();
    // The first iterate that reaches the goal, and (targeted) the first that is misread at all:
    // a targeted run that misses its target may still have fooled the network, which is what a
    // robustness evaluation counts (AutoAttack's APGD-T keeps it too).
    let mut found: Vec<bool> = (0..n).map(|i| goal.reached(i, current[i].label)).collect();
    let mut misread: Vec<bool> = (0..n).map(|i| current[i].label != goal.labels[i]).collect();
    let mut adversarial = x.clone();
    let mut misread_point = x.clone();
    let mut raised = vec![0usize; n];
    let (mut since, mut last_best, mut reduced_last) = (0usize, best_loss.clone(), vec![false; n]);
    let mut previous = x.clone();
    let mut recorder = FrameRecorder::new(options.record_every, steps);

    for step in 0..steps {
        // The step: along the gradient's sign, then (after the first) a share of momentum.
        let z = project(x.clone() + gradient.sign() * per_image(&eta));
        let next = if step == 0 {
            z
        } else {
            project(x.clone() + (z - x.clone()) * MOMENTUM + (x.clone() - previous.clone()) * (1.0 - MOMENTUM))
        };
        previous = x;
        x = next;
        let (next_gradient, next_current) = loss_and_gradient(model, x.clone(), goal, loss).await?;
        gradient = next_gradient;

        let mut improved = vec![0.0f32; n];
        let mut newly_found = vec![0.0f32; n];
        let mut newly_misread = vec![0.0f32; n];
        for i in 0..n {
            let s = next_current[i];
            if s.loss > current[i].loss {
                raised[i] += 1;
            }
            if s.loss > best_loss[i] {
                best_loss[i] = s.loss;
                improved[i] = 1.0;
            }
            if !found[i] && goal.reached(i, s.label) {
                found[i] = true;
                newly_found[i] = 1.0;
            }
            if !misread[i] && s.label != goal.labels[i] {
                misread[i] = true;
                newly_misread[i] = 1.0;
            }
        }
        current = next_current;
        let mask = |values: &[f32]| image_mask(Tensor::<1>::from_data(TensorData::new(values.to_vec(), [n]), &device).equal_elem(1.0));
        best = best.mask_where(mask(&improved), x.clone());
        best_gradient = best_gradient.mask_where(mask(&improved), gradient.clone());
        adversarial = adversarial.mask_where(mask(&newly_found), x.clone());
        if goal.targeted() {
            misread_point = misread_point.mask_where(mask(&newly_misread), x.clone());
        }
        recorder.step(step + 1, &x).await?;

        if checkpoints.contains(&(step + 1)) {
            let span = (step + 1 - since) as f32;
            let mut reset = vec![0.0f32; n];
            for i in 0..n {
                // Too few steps raised the loss, or the best loss has not improved since a
                // checkpoint that did not halve the step.
                let too_few = raised[i] as f32 <= RHO * span;
                let stuck = !reduced_last[i] && last_best[i] >= best_loss[i];
                reduced_last[i] = too_few || stuck;
                if reduced_last[i] {
                    eta[i] /= 2.0;
                    reset[i] = 1.0;
                }
            }
            (since, last_best) = (step + 1, best_loss.clone());
            raised = vec![0; n];
            // Halved images go on from their best point and its gradient (the momentum then
            // points from the previous iterate to it, as in the paper's next step).
            x = x.mask_where(mask(&reset), best.clone());
            gradient = gradient.mask_where(mask(&reset), best_gradient.clone());
        }
    }
    let flags = |v: &[bool]| image_mask(Tensor::<1>::from_data(TensorData::new(v.iter().map(|&f| if f { 1.0f32 } else { 0.0 }).collect::<Vec<_>>(), [n]), &device).equal_elem(1.0));
    // The goal reached, else (targeted) misread at all, else the highest loss.
    let result = best.mask_where(flags(&misread), misread_point).mask_where(flags(&found), adversarial);
    Ok(recorder.finish(result, steps))
}

/// The iterations after which APGD may halve its step: w_j = ⌈p_j·N⌉ with p_0 = 0, p_1 = 0.22 and
/// p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06) (the paper's schedule).
fn checkpoints(steps: usize) -> Vec<usize> {
    let (mut before, mut p) = (0.0f64, 0.22f64);
    let mut points = Vec::new();
    while p < 1.0 {
        // Less a hair: 0.22 + 0.19 is 0.41000000000000003 in binary, and 41 is meant.
        points.push((p * steps as f64 - 1e-9).ceil() as usize);
        let next = p + (p - before - 0.03).max(0.06);
        before = p;
        p = next;
    }
    points.dedup();
    points
}

/// One image's state after a step: its loss and its label.
#[derive(Debug, Clone, Copy)]
struct Scored {
    loss: f32,
    label: usize,
}

/// The gradient of the summed per-image loss at `x`, and each image's loss and label, read back
/// together.
async fn loss_and_gradient(model: &DigitNet, x: Tensor<4>, goal: &Goal, loss: ApgdLoss) -> Result<(Tensor<4>, Vec<Scored>), ComputeError> {
    let n = goal.len();
    let device = x.device();
    let input = x.detach().autodiff().require_grad();
    let logits = model.forward(input.clone());
    let per_image = match loss {
        ApgdLoss::Ce => {
            let picked = (burn::tensor::activation::log_softmax(logits.clone(), 1) * goal.one_hot(&device).autodiff()).sum_dim(1).reshape([n]);
            if goal.targeted() { picked } else { picked.neg() }
        }
        ApgdLoss::Dlr => dlr(logits.clone(), goal, &device),
    };
    let grads = per_image.clone().sum().backward();
    let gradient = input.grad(&grads).expect("the input requires a gradient");
    let data = read(Tensor::cat(vec![logits.without_autodiff(), per_image.without_autodiff().reshape([n, 1])], 1)).await?;
    let scored = data.chunks(CLASSES + 1).map(|row| Scored { loss: row[CLASSES], label: argmax(&row[..CLASSES]) }).collect();
    Ok((gradient, scored))
}

/// The difference of logits ratio, to be raised (Croce & Hein 2020): untargeted
/// −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3), targeted −(z_y − z_t) / (z_π1 − (z_π3 + z_π4) / 2), with
/// π the logits in decreasing order. The order comes from masking the largest three times, not
/// from a sort (no backend reads the tensor back to sort it).
fn dlr(logits: Tensor<2>, goal: &Goal, device: &Device) -> Tensor<1> {
    let n = goal.len();
    let labels = one_hot(&goal.labels, device).autodiff();
    let own = (logits.clone() * labels.clone()).sum_dim(1);
    let mut rest = logits.clone();
    let mut largest = Vec::with_capacity(4);
    for _ in 0..4 {
        let top = rest.clone().max_dim(1);
        largest.push(top.clone());
        let at_top = rest.clone().equal(top.expand([n, CLASSES]));
        rest = rest.mask_fill(at_top, -1e9);
    }
    let value = match &goal.targets {
        None => {
            let other = logits.mask_fill(labels.equal_elem(1.0), -1e9).max_dim(1);
            (own - other).neg() / (largest[0].clone() - largest[2].clone() + 1e-12)
        }
        Some(targets) => {
            let target = (logits * one_hot(targets, device).autodiff()).sum_dim(1);
            (own - target).neg() / (largest[0].clone() - (largest[2].clone() + largest[3].clone()) / 2.0 + 1e-12)
        }
    };
    value.reshape([n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpoints_follow_the_papers_schedule() {
        // p: 0, 0.22, 0.41, 0.57, 0.70, 0.80, 0.87, 0.93, 0.99.
        assert_eq!(checkpoints(100), vec![22, 41, 57, 70, 80, 87, 93, 99]);
        assert_eq!(checkpoints(10), vec![3, 5, 6, 7, 8, 9, 10]);
    }
}
