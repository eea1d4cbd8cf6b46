use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, Goal, attack_direction};

/// Basic Iterative Method, also called I-FGSM (Kurakin, Goodfellow & Bengio 2016,
/// "Adversarial Examples in the Physical World").
///
/// Norm: L∞. FGSM repeated `steps` times with a small step `alpha`, clipping after each step to
/// the `eps`-ball around the original and to `[0, 1]`. Starts from the original image (PGD adds
/// a random start). Defaults: `alpha = 2.5 * eps / steps`, so the walk can reach the ball's
/// edge from anywhere; `steps` from the options (10 is typical for this method).
pub fn basic_iterative_method(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Crafted {
    linf_iterations(model, images.clone(), images, goal, options)
}

/// The shared L∞ loop of BIM and PGD: signed steps from `start`, projected around `images`.
pub(super) fn linf_iterations(
    model: &DigitNet,
    images: Tensor<4>,
    start: Tensor<4>,
    goal: &Goal,
    options: &AttackOptions,
) -> Crafted {
    let steps = options.steps.max(1);
    let eps = options.eps;
    let alpha = options.alpha.unwrap_or(2.5 * eps / steps as f32);
    let lower = (images.clone() - eps).clamp_min(0.0);
    let upper = (images + eps).clamp_max(1.0);
    let mut x = start;
    let mut frames = Vec::new();
    for step in 1..=steps {
        let direction = attack_direction(model, x.clone(), goal);
        x = (x + direction.sign() * alpha).max_pair(lower.clone()).min_pair(upper.clone());
        if options.record_every > 0 && step % options.record_every == 0 && step < steps {
            frames.push(x.clone());
        }
    }
    Crafted { adversarial: x, steps, frames }
}
