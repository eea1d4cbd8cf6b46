use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, Goal, attack_direction};

/// Momentum Iterative FGSM (Dong, Liao, Pang, Su, Zhu, Hu & Li 2018, "Boosting Adversarial
/// Attacks with Momentum").
///
/// Norm: L∞. Like BIM, but steps along the sign of an accumulated gradient
/// `g ← μ·g + ∇/‖∇‖₁`, which stabilises the direction and transfers better to other models.
/// The paper's defaults: decay `μ = 1.0`, `alpha = eps / steps`, 10 steps.
pub fn momentum_iterative_fgsm(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Crafted {
    let steps = options.steps.max(1);
    let eps = options.eps;
    let alpha = options.alpha.unwrap_or(eps / steps as f32);
    let lower = (images.clone() - eps).clamp_min(0.0);
    let upper = (images.clone() + eps).clamp_max(1.0);
    let mut x = images.clone();
    let mut accumulated = images.zeros_like();
    let mut frames = Vec::new();
    for step in 1..=steps {
        let g = attack_direction(model, x.clone(), goal);
        let l1 = g.clone().abs().sum_dim(3).sum_dim(2) + 1e-12;
        accumulated = accumulated * options.momentum + g / l1;
        x = (x + accumulated.clone().sign() * alpha).max_pair(lower.clone()).min_pair(upper.clone());
        if options.record_every > 0 && step % options.record_every == 0 && step < steps {
            frames.push(x.clone());
        }
    }
    Crafted { adversarial: x, steps, frames }
}
