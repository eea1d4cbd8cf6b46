use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, FrameRecorder, Goal, attack_direction, linf_attack_iterations};
use crate::gradients::ComputeError;

/// MI-FGSM's own parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MomentumParams {
    /// The decay factor μ of the accumulated gradient (1.0, the paper's choice).
    pub momentum: f32,
}

impl Default for MomentumParams {
    fn default() -> Self {
        Self { momentum: 1.0 }
    }
}

/// Momentum Iterative FGSM (Dong, Liao, Pang, Su, Zhu, Hu & Li 2018, "Boosting Adversarial
/// Attacks with Momentum").
///
/// Norm: L∞. Like BIM, but steps along the sign of an accumulated gradient
/// `g ← μ·g + ∇/‖∇‖₁`, which stabilises the direction and transfers better to other models.
/// The paper's defaults: decay `μ = 1.0`, `alpha = eps / steps`, 10 steps.
pub async fn momentum_iterative_fgsm(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Result<Crafted, ComputeError> {
    let steps = options.steps.max(1);
    let alpha = options.alpha.unwrap_or(options.eps / steps as f32);
    let mut accumulated = images.zeros_like();
    let mut recorder = FrameRecorder::new(options.record_every, steps);
    // The step follows the accumulated, L1-normalised gradients rather than the last one.
    let momentum = |x: &Tensor<4>| {
        let g = attack_direction(model, x.clone(), goal);
        let l1 = g.clone().abs().sum_dim(3).sum_dim(2) + 1e-12;
        accumulated = accumulated.clone() * options.momentum.momentum + g / l1;
        accumulated.clone()
    };
    let x = linf_attack_iterations(images.clone(), images, options.eps, alpha, steps, momentum, &mut recorder).await?;
    Ok(recorder.finish(x, steps))
}
