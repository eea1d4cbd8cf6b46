use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, Goal};
use crate::gradients::{ComputeError, JacobianRows, read};
use crate::inference::argmax;
use crate::model::{CLASSES, IMAGE_PIXELS, images_tensor};

/// DeepFool's own parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeepFoolParams {
    /// How far past the linearised boundary each step goes (0.02, the paper's value).
    pub overshoot: f32,
}

impl Default for DeepFoolParams {
    fn default() -> Self {
        Self { overshoot: 0.02 }
    }
}

/// DeepFool (Moosavi-Dezfooli, Fawzi & Frossard 2016, "DeepFool: a simple and accurate method
/// to fool deep neural networks").
///
/// Norm: L2, minimised. Treats the network as locally linear: at each iteration it computes,
/// for every other class `k`, the distance `|f_k| / ‖w_k‖` to the linearised boundary between
/// the current class and `k` (`f_k`, `w_k`: difference of logits and of their gradients), and
/// steps just onto the nearest one. It stops as soon as the label changes, then pushes the total
/// step `1 + overshoot` times further. Untargeted only. Paper defaults: `overshoot = 0.02`,
/// at most 50 iterations (`steps`, capped at 50 when larger).
///
/// One read-back per iteration (the logits and the Jacobian), to stop each image early.
pub async fn deepfool(
    model: &DigitNet,
    images: Tensor<4>,
    goal: &Goal,
    options: &AttackOptions,
) -> Result<Crafted, ComputeError> {
    let n = goal.len();
    let device = images.device();
    let original = read(images.clone()).await?;
    let mut total = vec![0.0f32; n * IMAGE_PIXELS];
    let mut active = vec![true; n];
    let max_iterations = options.steps.clamp(1, 50);
    let mut iterations = 0;
    let overshoot = 1.0 + options.deepfool.overshoot;
    let current = |total: &[f32]| -> Vec<f32> {
        original.iter().zip(total).map(|(x, r)| (x + overshoot * r).clamp(0.0, 1.0)).collect()
    };

    while iterations < max_iterations {
        let rows = JacobianRows::of(model, &current(&total), &device).await?;
        for (i, is_active) in active.iter_mut().enumerate() {
            let logits = rows.logits(i);
            let k0 = argmax(logits);
            if k0 != goal.labels[i] {
                *is_active = false;
            }
            if !*is_active {
                continue;
            }
            // The nearest linearised boundary.
            let grad = |k: usize| rows.gradient(i, k);
            let mut best: Option<(f32, f32, usize)> = None; // (distance, |f|, k)
            for k in (0..CLASSES).filter(|&k| k != k0) {
                let f = logits[k] - logits[k0];
                let w2: f32 = grad(k).iter().zip(grad(k0)).map(|(a, b)| (a - b) * (a - b)).sum();
                let distance = f.abs() / (w2.sqrt() + 1e-8);
                if best.is_none_or(|(d, _, _)| distance < d) {
                    best = Some((distance, f.abs(), k));
                }
            }
            let (_, f, k) = best.expect("ten classes");
            let w: Vec<f32> = grad(k).iter().zip(grad(k0)).map(|(a, b)| a - b).collect();
            let w2: f32 = w.iter().map(|v| v * v).sum::<f32>() + 1e-8;
            let step = (f + 1e-4) / w2;
            for (t, wv) in total[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].iter_mut().zip(&w) {
                *t += step * wv;
            }
        }
        if !active.iter().any(|&a| a) {
            break;
        }
        iterations += 1;
    }
    Ok(Crafted::new(images_tensor(&current(&total), &device), iterations))
}
