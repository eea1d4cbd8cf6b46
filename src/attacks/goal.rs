//! Whom an attack works for (the true labels, and the targets if any), and the direction and
//! objective that follow from it; the random starts.

use burn::prelude::*;

use super::Method;
use crate::gradients::{loss_gradient_and_logits, one_hot};
use crate::model::{DigitNet, IMAGE_PIXELS, IMAGE_SIDE, images_tensor};

/// Whom an attack works for: the true labels, and the classes to reach if it is targeted.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub labels: Vec<usize>,
    /// One target per image, or `None` for an untargeted attack (any wrong class).
    pub targets: Option<Vec<usize>>,
}

impl Goal {
    pub fn untargeted(labels: &[usize]) -> Self {
        Self { labels: labels.to_vec(), targets: None }
    }

    /// `target` for every image, or, when `None` and `required`, the next digit after each
    /// label (the convention of the CLI for targeted methods).
    pub fn new(labels: &[usize], target: Option<usize>, required: bool) -> Self {
        let targets = match target {
            Some(t) => Some(vec![t; labels.len()]),
            None if required => Some(labels.iter().map(|&l| Method::default_target(l)).collect()),
            None => None,
        };
        Self { labels: labels.to_vec(), targets }
    }

    pub fn targeted(&self) -> bool {
        self.targets.is_some()
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The class whose loss the attack works on: the target, or the true label.
    pub fn classes(&self) -> &[usize] {
        self.targets.as_deref().unwrap_or(&self.labels)
    }

    /// [`Self::classes`] one-hot encoded.
    pub fn one_hot(&self, device: &Device) -> Tensor<2> {
        one_hot(self.classes(), device)
    }

    /// Whether a predicted label counts as success for image `i`.
    pub fn reached(&self, i: usize, predicted: usize) -> bool {
        match &self.targets {
            Some(t) => predicted == t[i],
            None => predicted != self.labels[i],
        }
    }
}

/// Gradient of the loss, signed so that *adding* it moves towards the attack's goal: ascent on
/// the true label when untargeted, descent on the target when targeted.
pub fn attack_direction(model: &DigitNet, images: Tensor<4>, goal: &Goal) -> Tensor<4> {
    attack_direction_and_logits(model, images, goal).0
}

/// [`attack_direction`] and the logits of the same forward pass.
pub fn attack_direction_and_logits(model: &DigitNet, images: Tensor<4>, goal: &Goal) -> (Tensor<4>, Tensor<2>) {
    let (g, logits) = loss_gradient_and_logits(model, images.clone(), goal.one_hot(&images.device()));
    (if goal.targeted() { g.neg() } else { g }, logits)
}

/// Per-image value of the attack's objective (higher is better for the attacker): the loss of
/// the true label, or minus the loss of the target. `[n]`.
pub fn objective(model: &DigitNet, images: Tensor<4>, goal: &Goal) -> Tensor<1> {
    let n = goal.len();
    let log_p = burn::tensor::activation::log_softmax(crate::inference::logits(model, images.clone()), 1);
    let picked = (log_p * goal.one_hot(&images.device())).sum_dim(1).reshape([n]);
    if goal.targeted() { picked } else { picked.neg() }
}

/// Broadcasts a per-image mask `[n]` to the images' shape.
pub fn image_mask(mask: Tensor<1, Bool>) -> Tensor<4, Bool> {
    let n = mask.dims()[0];
    mask.reshape([n, 1, 1, 1]).expand([n, 1, IMAGE_SIDE, IMAGE_SIDE])
}

/// Uniform noise in `[-eps, eps]` drawn on the host from `seed`, as a `[n, 1, 28, 28]` tensor.
pub fn uniform_noise(n: usize, eps: f32, seed: u64, device: &Device) -> Tensor<4> {
    let mut rng = crate::rng::SplitMix64::new(seed);
    let noise: Vec<f32> = (0..n * IMAGE_PIXELS).map(|_| rng.uniform(-eps, eps)).collect();
    images_tensor(&noise, device)
}

/// Per-image L2 norm of a `[n, 1, 28, 28]` batch, shaped `[n, 1, 1, 1]` for broadcasting.
pub fn l2_norm(x: Tensor<4>) -> Tensor<4> {
    x.powi_scalar(2).sum_dim(3).sum_dim(2).sqrt()
}
