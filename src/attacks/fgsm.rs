use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, Goal, attack_direction};

/// Fast Gradient Sign Method (Goodfellow, Shlens & Szegedy 2014, "Explaining and Harnessing
/// Adversarial Examples").
///
/// Norm: L∞. One step of size `eps` along the sign of the loss gradient: every pixel moves by
/// exactly `eps` (before clipping to `[0, 1]`), in the direction that raises the loss of the
/// true label, or, targeted, lowers the loss of the target. Uses `eps` only; a common MNIST
/// value is 0.1 (subtle) to 0.3 (the convention of Madry et al.).
pub fn fgsm(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Crafted {
    let direction = attack_direction(model, images.clone(), goal);
    Crafted::new((images + direction.sign() * options.eps).clamp(0.0, 1.0), 1)
}
