//! Running any attack on a batch and measuring what it did.

use burn::prelude::*;

use super::*;
use crate::gradients::{ComputeError, read};
use crate::inference::{argmax, probabilities_of};
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, images_tensor};

/// Sizes of a change to a digit: how many pixels, how far, and how different it looks.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Norms {
    /// Pixels changed by more than [`L0_THRESHOLD`].
    pub l0: usize,
    pub l2: f32,
    pub linf: f32,
    /// The structural similarity of the two pictures ([`crate::ssim`]): 1 when they look the same.
    pub ssim: f32,
}

/// A pixel counts as changed for L0 when it moves by more than this (a tenth of a grey level).
pub const L0_THRESHOLD: f32 = 1.0 / 2550.0;

impl Norms {
    /// The sizes of the change from `original` to `changed` (784 values each).
    pub fn between(original: &[f32], changed: &[f32]) -> Self {
        let perturbation: Vec<f32> = changed.iter().zip(original).map(|(c, o)| c - o).collect();
        Self {
            l0: perturbation.iter().filter(|d| d.abs() > L0_THRESHOLD).count(),
            l2: perturbation.iter().map(|d| d * d).sum::<f32>().sqrt(),
            linf: perturbation.iter().fold(0.0, |m, d| m.max(d.abs())),
            ssim: crate::ssim::ssim(original, changed),
        }
    }
}

/// One attacked image.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttackResult {
    /// The adversarial image, 784 values in `[0, 1]`.
    pub adversarial: Vec<f32>,
    /// `adversarial - original`.
    pub perturbation: Vec<f32>,
    /// The network's probabilities for the adversarial image.
    pub probabilities: Vec<f32>,
    /// Its label for the adversarial image.
    pub label: usize,
    /// Whether the attack reached its goal: the target class, or any class but the true one.
    pub success: bool,
    pub norms: Norms,
    /// Iterations used.
    pub steps: usize,
    /// Recorded iterates (see [`AttackOptions::record_every`]), 784 values each.
    pub frames: Vec<Vec<f32>>,
    /// The black-box attacks' count of the images they asked the network about; `None` for the
    /// attacks that read the gradient.
    pub queries: Option<usize>,
}

/// What an attack function returns before measurement.
pub struct Crafted {
    pub adversarial: Tensor<4>,
    pub steps: usize,
    /// Recorded iterates, each `[n, 1, 28, 28]`.
    pub frames: Vec<Tensor<4>>,
    /// Queries per image, for the black-box attacks (empty for the others).
    pub queries: Vec<usize>,
}

impl Crafted {
    pub fn new(adversarial: Tensor<4>, steps: usize) -> Self {
        Self { adversarial, steps, frames: Vec::new(), queries: Vec::new() }
    }
}

/// Runs `method` on a batch and measures each result: one read-back for images,
/// probabilities and any recorded frames together.
pub async fn run(
    method: Method,
    model: &DigitNet,
    pixels: &[f32],
    labels: &[usize],
    options: &AttackOptions,
    device: &Device,
) -> Result<Vec<AttackResult>, ComputeError> {
    run_watched(method, model, pixels, labels, options, device, None).await
}

/// [`run`], with `watch` shown the black-box attacks' search as it goes (a page's live view).
pub async fn run_watched<'a>(
    method: Method,
    model: &'a DigitNet,
    pixels: &[f32],
    labels: &[usize],
    options: &AttackOptions,
    device: &Device,
    watch: Option<Watch<'a>>,
) -> Result<Vec<AttackResult>, ComputeError> {
    let n = labels.len();
    if n == 0 || pixels.len() != n * IMAGE_PIXELS {
        return Err(ComputeError::BadInput(format!(
            "expected {n} images of 784 pixels, got {} values",
            pixels.len()
        )));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= CLASSES) {
        return Err(ComputeError::BadInput(format!("label {bad} is not a digit")));
    }
    if let Some(t) = options.target {
        if t >= CLASSES {
            return Err(ComputeError::BadInput(format!("target {t} is not a digit")));
        }
    }
    if !(options.eps.is_finite() && options.eps >= 0.0) {
        return Err(ComputeError::BadInput("eps must be a non-negative number".into()));
    }
    if options.steps > 10_000 || options.pgd.restarts > 100 || options.fab.restarts > 100 || options.cw.search_steps > 50 || options.queries > 100_000 {
        return Err(ComputeError::BadInput("too many steps, restarts, search steps or queries".into()));
    }
    let target = if method.supports_target() { options.target } else { None };
    let goal = Goal::new(labels, target, method.requires_target());
    let images = images_tensor(pixels, device);
    let crafted = method.craft(model, images, &goal, options, watch).await?;
    measure(model, pixels, &goal, crafted).await
}

/// Classifies the adversarial batch and packs everything into [`AttackResult`]s.
pub async fn measure(
    model: &DigitNet,
    pixels: &[f32],
    goal: &Goal,
    crafted: Crafted,
) -> Result<Vec<AttackResult>, ComputeError> {
    let n = goal.len();
    let adversarial = crafted.adversarial.clamp(0.0, 1.0);
    let probabilities = probabilities_of(model, adversarial.clone());
    let frames = crafted.frames.len();
    // One read-back: [n, 784 + 10 + frames * 784].
    let mut parts = vec![adversarial.reshape([n, IMAGE_PIXELS]), probabilities];
    parts.extend(crafted.frames.into_iter().map(|f| f.clamp(0.0, 1.0).reshape([n, IMAGE_PIXELS])));
    let width = IMAGE_PIXELS + CLASSES + frames * IMAGE_PIXELS;
    let data = read(Tensor::cat(parts, 1)).await?;
    Ok((0..n)
        .map(|i| {
            let row = &data[i * width..(i + 1) * width];
            let adversarial = row[..IMAGE_PIXELS].to_vec();
            let probabilities = row[IMAGE_PIXELS..IMAGE_PIXELS + CLASSES].to_vec();
            let perturbation: Vec<f32> =
                adversarial.iter().zip(&pixels[i * IMAGE_PIXELS..]).map(|(a, x)| a - x).collect();
            let label = argmax(&probabilities);
            let success = goal.reached(i, label);
            AttackResult {
                norms: Norms::between(&pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS], &adversarial),
                frames: row[IMAGE_PIXELS + CLASSES..].chunks(IMAGE_PIXELS).map(<[f32]>::to_vec).collect(),
                adversarial,
                perturbation,
                probabilities,
                label,
                success,
                steps: crafted.steps,
                queries: crafted.queries.get(i).copied(),
            }
        })
        .collect())
}

/// Drives an attack's future to completion on native targets.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures_lite::future::block_on(future)
}
