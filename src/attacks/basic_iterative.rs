use burn::prelude::*;

use super::eot::eot_direction;
use super::{AttackOptions, Crafted, DigitNet, FrameRecorder, Goal, attack_direction, linf_attack_iterations};
use crate::gradients::ComputeError;

/// Basic Iterative Method, also called I-FGSM (Kurakin, Goodfellow & Bengio 2016,
/// "Adversarial Examples in the Physical World").
///
/// Norm: L∞. FGSM repeated `steps` times with a small step `alpha`, clipping after each step to
/// the `eps`-ball around the original and to `[0, 1]`. Starts from the original image (PGD adds
/// a random start). Defaults: `alpha = 2.5 * eps / steps`, so the walk can reach the ball's
/// edge from anywhere; `steps` from the options (10 is typical for this method). With
/// `eot > 0` every step follows the gradient averaged over that many random print-and-camera
/// transformations (expectation over transformation, [`super::eot`]; PGD too).
pub async fn basic_iterative_method(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Result<Crafted, ComputeError> {
    signed_gradient_steps(model, images.clone(), images, goal, options).await
}

/// BIM's and PGD's loop: the shared L∞ stepper along the attack's gradient, from `start`,
/// with the frames the options ask for.
pub(super) async fn signed_gradient_steps(model: &DigitNet, images: Tensor<4>, start: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Result<Crafted, ComputeError> {
    let steps = options.steps.max(1);
    let alpha = options.alpha.unwrap_or(2.5 * options.eps / steps as f32);
    let mut recorder = FrameRecorder::new(options.record_every, steps);
    // With EOT, each step averages over transformations of its own (seeded by the step).
    let mut step = 0u64;
    let direction = |x: &Tensor<4>| {
        step += 1;
        if options.eot > 0 {
            eot_direction(model, x.clone(), goal, options.eot, options.seed.wrapping_mul(1_000_003).wrapping_add(step))
        } else {
            attack_direction(model, x.clone(), goal)
        }
    };
    let x = linf_attack_iterations(images, start, options.eps, alpha, steps, direction, &mut recorder).await?;
    Ok(recorder.finish(x, steps))
}
