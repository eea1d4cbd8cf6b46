//! Class visualisation by activation maximisation: "what a 3 looks like to the network".
//!
//! Simonyan, Vedaldi & Zisserman (2013) climb the gradient of a class score from a blank
//! image, with L2 decay. Unregularised, the climb ends in high-frequency patterns (an
//! adversarial example of nothing); the regularisers of the feature-visualisation literature
//! (Yosinski, Clune, Nguyen, Fuchs & Lipson 2015; Mordvintsev, Olah & Tyka 2015: random jitter,
//! periodic blur, decay) keep it to strokes a person can read.

use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

use super::class_score_gradient;
use crate::model::{DigitNet, IMAGE_PIXELS, images_tensor};
use crate::rng::SplitMix64;

/// Settings of [`visualize_classes`]. The defaults give readable digits on both shipped models.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClassVisualizationOptions {
    /// Gradient-ascent steps.
    pub steps: usize,
    /// Step size, applied to the gradient scaled to unit mean absolute value.
    pub learning_rate: f32,
    /// Fraction of every pixel removed after each step (L2 decay).
    pub decay: f32,
    /// Largest random shift, in pixels, before each step (jitter).
    pub jitter: usize,
    /// Blur with a 3x3 Gaussian every this many steps (0: never).
    pub blur_every: usize,
    /// Seed of the starting noise and the jitter.
    pub seed: u64,
}

impl Default for ClassVisualizationOptions {
    fn default() -> Self {
        Self { steps: 150, learning_rate: 0.02, decay: 0.01, jitter: 1, blur_every: 4, seed: 0 }
    }
}

/// The starting image: dark grey with faint seeded noise (black would give ReLUs nothing to
/// work with; bright noise would be visible in the result).
pub fn starting_images(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n * IMAGE_PIXELS).map(|_| 0.1 + rng.uniform(-0.05, 0.05)).collect()
}

/// Climbs each `targets[i]` score from `start[i]` for `options.steps` steps, all images in one
/// batch, with no read-back. Deterministic for a seed, model and start. `first_step` numbers
/// the steps, so that a run split into chunks (for a progress bar) jitters as one run would.
pub fn visualize_classes(
    model: &DigitNet,
    start: Tensor<4>,
    targets: &[usize],
    options: &ClassVisualizationOptions,
    first_step: usize,
) -> Tensor<4> {
    let device = start.device();
    let mut x = start;
    let mut rng = SplitMix64::new(options.seed ^ 0x5eed_c1a5_5000);
    // Skip the jitter draws of earlier chunks.
    for _ in 0..first_step {
        rng.next_u64();
        rng.next_u64();
    }
    let jitter = options.jitter as isize;
    for step in first_step..first_step + options.steps {
        let (dx, dy) = (draw_shift(&mut rng, jitter), draw_shift(&mut rng, jitter));
        let shifted = x.clone().roll(&[dy, dx], &[2, 3]);
        let gradient = class_score_gradient(model, shifted, targets).0.roll(&[-dy, -dx], &[2, 3]);
        let scale = gradient.clone().abs().mean_dim(3).mean_dim(2) + 1e-8;
        x = (x + gradient / scale * options.learning_rate) * (1.0 - options.decay);
        if options.blur_every > 0 && (step + 1) % options.blur_every == 0 {
            x = gaussian_blur(x, &device);
        }
        x = x.clamp(0.0, 1.0);
    }
    x
}

fn draw_shift(rng: &mut SplitMix64, jitter: isize) -> isize {
    if jitter == 0 {
        rng.next_u64();
        return 0;
    }
    rng.below(2 * jitter as usize + 1) as isize - jitter
}

/// A 3x3 Gaussian blur (σ ≈ 0.5 px) with zero padding.
pub fn gaussian_blur(images: Tensor<4>, device: &Device) -> Tensor<4> {
    const KERNEL: [f32; 9] = [0.0113, 0.0838, 0.0113, 0.0838, 0.6193, 0.0838, 0.0113, 0.0838, 0.0113];
    let kernel = Tensor::<1>::from_data(TensorData::new(KERNEL.to_vec(), [9]), device).reshape([1, 1, 3, 3]);
    conv2d(images, kernel, None, ConvOptions::new([1, 1], [1, 1], [1, 1], 1))
}

/// [`visualize_classes`] from [`starting_images`].
pub fn visualize_classes_from_noise(model: &DigitNet, targets: &[usize], options: &ClassVisualizationOptions, device: &Device) -> Tensor<4> {
    let start = images_tensor(&starting_images(targets.len(), options.seed), device);
    visualize_classes(model, start, targets, options, 0)
}
