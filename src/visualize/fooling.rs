//! Fooling images (Nguyen, Yosinski & Clune 2015, "Deep Neural Networks are Easily Fooled"):
//! pictures a person reads as noise that the network reads as a digit with near certainty.
//!
//! The paper evolved them; its gradient-ascent variant is used here: start from uniform noise and
//! take signed steps up the log-probability of the target class until the network is at least
//! `confidence` sure. Each image stops changing once it is there, so the result stays as close
//! to the starting noise as the climb allows.

use burn::prelude::*;
use burn::tensor::activation::softmax;

use super::read_images_and_probabilities;
use crate::attacks::{Goal, attack_direction_and_logits};
use crate::gradients::{ComputeError, read};
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, images_tensor};
use crate::rng::SplitMix64;

/// Settings of [`fooling_images`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FoolingOptions {
    /// Largest number of steps.
    pub steps: usize,
    /// Signed step per pixel.
    pub step_size: f32,
    /// Probability of the target at which an image is done.
    pub confidence: f32,
    /// Read back (and stop if every image is done) every this many steps.
    pub check_every: usize,
    /// Seed of the starting noise.
    pub seed: u64,
}

impl Default for FoolingOptions {
    fn default() -> Self {
        Self { steps: 300, step_size: 0.01, confidence: 0.99, check_every: 10, seed: 0 }
    }
}

/// Fooling images for `targets`, with their probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Fooled {
    /// 784 pixels per target.
    pub pixels: Vec<f32>,
    /// 10 probabilities per target.
    pub probabilities: Vec<f32>,
    /// Steps taken (the same for the whole batch).
    pub steps: usize,
    /// Per target: reached `confidence`.
    pub success: Vec<bool>,
}

/// Uniform noise in `[0, 1]`, the starting point.
pub fn starting_noise(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n * IMAGE_PIXELS).map(|_| rng.next_f32()).collect()
}

/// Climbs from noise (seeded) to `targets`, reading back every `check_every` steps only.
pub async fn fooling_images(model: &DigitNet, targets: &[usize], options: &FoolingOptions, device: &Device) -> Result<Fooled, ComputeError> {
    if targets.is_empty() || targets.iter().any(|&t| t >= CLASSES) {
        return Err(ComputeError::BadInput("targets must be digits 0-9".into()));
    }
    let n = targets.len();
    let goal = Goal { labels: targets.to_vec(), targets: Some(targets.to_vec()) };
    let target_mask = crate::gradients::one_hot(targets, device);
    let mut x = images_tensor(&starting_noise(n, options.seed), device);
    let check_every = options.check_every.max(1);
    let mut steps = 0;
    loop {
        let (direction, logits) = attack_direction_and_logits(model, x.clone(), &goal);
        let probabilities = softmax(logits, 1);
        let at_steps = steps;
        let stop = steps >= options.steps || (steps > 0 && steps % check_every == 0 && {
            let p = read((probabilities.clone() * target_mask.clone()).sum_dim(1)).await?;
            p.iter().all(|&p| p >= options.confidence)
        });
        if stop {
            let (pixels, probabilities) = read_images_and_probabilities(x, probabilities).await?;
            let success = (0..n).map(|i| probabilities[i * CLASSES + targets[i]] >= options.confidence).collect();
            return Ok(Fooled { pixels, probabilities, steps: at_steps, success });
        }
        // Images already confident enough stay as they are.
        let unfinished = (probabilities * target_mask.clone()).sum_dim(1).lower_elem(options.confidence).float().reshape([n, 1, 1, 1]);
        x = (x + direction.sign() * unfinished * options.step_size).clamp(0.0, 1.0);
        steps += 1;
        crate::pace::checkpoint().await?;
    }
}
