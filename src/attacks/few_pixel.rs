use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, Goal, attack_direction_and_logits, objective};
use crate::gradients::{ComputeError, read};
use crate::model::{CLASSES, IMAGE_PIXELS, images_tensor};

/// The few-pixel attack's own parameter. Named `pixelsBudget` on the wire: `pixels` is the
/// image everywhere else.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FewPixelParams {
    /// How many pixels may change (10).
    pub pixels_budget: usize,
}

impl Default for FewPixelParams {
    fn default() -> Self {
        Self { pixels_budget: 10 }
    }
}

/// How many single-pixel changes are tried exactly at each step.
const CANDIDATES: usize = 8;

/// A greedy few-pixel attack, in the spirit of the one-pixel attack (Su, Vargas & Sakurai 2019,
/// "One Pixel Attack for Fooling Deep Neural Networks"), which searches by differential
/// evolution; here the network's gradient guides a greedy search instead.
///
/// Norm: L0, with a budget of `pixels` pixels. At each step the gradient ranks every unchanged
/// pixel by the first-order gain of setting it to black or white (`g · (v - x)`), the best
/// `8` such changes are evaluated exactly in one batch, and the one that helps the attack most
/// is kept. It stops when the label changes (or reaches the target) or the budget is spent.
/// Default budget: 10 pixels.
///
/// Two read-backs per step (the gradient, then the candidates' scores).
pub async fn few_pixel(
    model: &DigitNet,
    images: Tensor<4>,
    goal: &Goal,
    options: &AttackOptions,
) -> Result<Crafted, ComputeError> {
    let n = goal.len();
    let device = images.device();
    let mut pixels = read(images).await?;
    let mut changed = vec![vec![false; IMAGE_PIXELS]; n];
    let mut active = vec![true; n];
    let mut steps = 0;
    let budget = options.few_pixel.pixels_budget.min(IMAGE_PIXELS);

    loop {
        // One forward pass gives both the labels (to stop) and the gradient (to rank pixels).
        let (direction, logits) = attack_direction_and_logits(model, images_tensor(&pixels, &device), goal);
        let data = read(Tensor::cat(vec![logits, direction.reshape([n, IMAGE_PIXELS])], 1)).await?;
        let width = CLASSES + IMAGE_PIXELS;
        for (i, is_active) in active.iter_mut().enumerate() {
            let logits = &data[i * width..i * width + CLASSES];
            if goal.reached(i, crate::inference::argmax(logits)) {
                *is_active = false;
            }
        }
        if steps >= budget || !active.iter().any(|&a| a) {
            break;
        }
        // For every active image, the best candidates by first-order gain.
        let mut trial_pixels = Vec::new();
        let mut trials = Vec::new(); // (image, pixel, value)
        for i in 0..n {
            if !active[i] {
                continue;
            }
            let gradient = &data[i * width + CLASSES..(i + 1) * width];
            let image = &pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
            let mut ranked: Vec<(f32, usize, f32)> = (0..IMAGE_PIXELS)
                .filter(|&p| !changed[i][p])
                .map(|p| {
                    let value = if gradient[p] > 0.0 { 1.0 } else { 0.0 };
                    (gradient[p] * (value - image[p]), p, value)
                })
                .filter(|(gain, _, _)| *gain > 0.0)
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
            for &(_, p, value) in ranked.iter().take(CANDIDATES) {
                let mut trial = image.to_vec();
                trial[p] = value;
                trial_pixels.extend(trial);
                trials.push((i, p, value));
            }
            if ranked.is_empty() {
                active[i] = false;
            }
        }
        if trials.is_empty() {
            break;
        }
        let trial_goal = Goal {
            labels: trials.iter().map(|&(i, _, _)| goal.labels[i]).collect(),
            targets: goal.targets.as_ref().map(|t| trials.iter().map(|&(i, _, _)| t[i]).collect()),
        };
        let scores = read(objective(model, images_tensor(&trial_pixels, &device), &trial_goal)).await?;
        let mut best: Vec<Option<(f32, usize, f32)>> = vec![None; n];
        for (&(i, p, value), &score) in trials.iter().zip(&scores) {
            if best[i].is_none_or(|(s, _, _)| score > s) {
                best[i] = Some((score, p, value));
            }
        }
        for (i, choice) in best.into_iter().enumerate() {
            if let Some((_, p, value)) = choice {
                pixels[i * IMAGE_PIXELS + p] = value;
                changed[i][p] = true;
            }
        }
        steps += 1;
    }
    Ok(Crafted::new(images_tensor(&pixels, &device), steps))
}
