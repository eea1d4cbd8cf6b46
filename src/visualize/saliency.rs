//! Saliency maps: how much each pixel matters to a class score.
//!
//! All four take a batch `[n, 1, 28, 28]` and one class per image, and return attributions of
//! the same shape (signed: positive pixels push the class score up).

use burn::prelude::*;

use super::class_score_gradient;
use crate::model::{DigitNet, IMAGE_PIXELS, IMAGE_SIDE};

/// The four methods, as the page and the JS API name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaliencyMethod {
    Gradient,
    SmoothGrad,
    GradientTimesInput,
    IntegratedGradients,
}

impl SaliencyMethod {
    pub const ALL: [SaliencyMethod; 4] =
        [Self::Gradient, Self::SmoothGrad, Self::GradientTimesInput, Self::IntegratedGradients];

    pub fn name(self) -> &'static str {
        match self {
            Self::Gradient => "gradient",
            Self::SmoothGrad => "smoothgrad",
            Self::GradientTimesInput => "gradient-x-input",
            Self::IntegratedGradients => "integrated-gradients",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Settings of the methods that sample.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SaliencyOptions {
    /// SmoothGrad: noisy copies averaged (the paper: 50; 25 is visually the same here).
    pub samples: usize,
    /// SmoothGrad: noise standard deviation in pixel units (the paper: 10-20% of the range).
    pub noise: f32,
    /// Integrated gradients: steps of the path from the baseline (the paper: 20-300).
    pub steps: usize,
    pub seed: u64,
}

impl Default for SaliencyOptions {
    fn default() -> Self {
        Self { samples: 25, noise: 0.15, steps: 64, seed: 0 }
    }
}

/// Vanilla gradient (Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional Networks"):
/// the derivative of the class score with respect to each pixel.
pub fn vanilla_gradient(model: &DigitNet, images: Tensor<4>, classes: &[usize]) -> Tensor<4> {
    class_score_gradient(model, images, classes).0
}

/// Gradient × input (Shrikumar, Greenside, Shcherbina & Kundaje 2016): the first-order
/// contribution of each pixel relative to a black image.
pub fn gradient_times_input(model: &DigitNet, images: Tensor<4>, classes: &[usize]) -> Tensor<4> {
    vanilla_gradient(model, images.clone(), classes) * images
}

/// SmoothGrad (Smilkov, Thorat, Kim, Viégas & Wattenberg 2017): the gradient averaged over
/// `samples` copies with Gaussian noise of deviation `noise`, which removes the speckle that
/// ReLU kinks put into single gradients. One batched pass for all copies.
pub fn smoothgrad(model: &DigitNet, images: Tensor<4>, classes: &[usize], options: &SaliencyOptions) -> Tensor<4> {
    let n = classes.len();
    let samples = options.samples.max(1);
    let device = images.device();
    let mut rng = crate::rng::SplitMix64::new(options.seed);
    let noise: Vec<f32> = (0..n * samples * IMAGE_PIXELS).map(|_| rng.normal() * options.noise).collect();
    let noisy = repeat_each(images, samples) + crate::model::images_tensor(&noise, &device);
    let repeated: Vec<usize> = classes.iter().flat_map(|&c| std::iter::repeat_n(c, samples)).collect();
    let gradients = vanilla_gradient(model, noisy, &repeated);
    gradients.reshape([n, samples, IMAGE_SIDE, IMAGE_SIDE]).mean_dim(1)
}

/// Integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep
/// Networks"): `(x - baseline)` times the gradient averaged along the straight path from the
/// baseline (black, here) to `x`, by the trapezoidal rule over `steps` intervals. Completeness:
/// the attributions sum to `score(x) - score(baseline)`, up to the quadrature error.
pub fn integrated_gradients(model: &DigitNet, images: Tensor<4>, classes: &[usize], options: &SaliencyOptions) -> Tensor<4> {
    let n = classes.len();
    let steps = options.steps.max(1);
    let points = steps + 1;
    let device = images.device();
    let baseline = images.zeros_like();
    // Path points baseline + a (x - baseline), a = k / steps, and the trapezoid weights.
    let mut alphas = Vec::with_capacity(n * points);
    let mut weights = Vec::with_capacity(n * points);
    for _ in 0..n {
        for k in 0..points {
            alphas.push(k as f32 / steps as f32);
            weights.push(if k == 0 || k == steps { 0.5 } else { 1.0 } / steps as f32);
        }
    }
    let column = |values: Vec<f32>| Tensor::<1>::from_data(TensorData::new(values, [n * points]), &device).reshape([n * points, 1, 1, 1]);
    let difference = images - baseline.clone();
    let path = repeat_each(baseline, points) + repeat_each(difference.clone(), points) * column(alphas);
    let repeated: Vec<usize> = classes.iter().flat_map(|&c| std::iter::repeat_n(c, points)).collect();
    let gradients = vanilla_gradient(model, path, &repeated) * column(weights);
    let average = gradients.reshape([n, points, IMAGE_SIDE, IMAGE_SIDE]).sum_dim(1);
    average * difference
}

/// Runs `method` on a batch.
pub fn saliency(method: SaliencyMethod, model: &DigitNet, images: Tensor<4>, classes: &[usize], options: &SaliencyOptions) -> Tensor<4> {
    match method {
        SaliencyMethod::Gradient => vanilla_gradient(model, images, classes),
        SaliencyMethod::SmoothGrad => smoothgrad(model, images, classes, options),
        SaliencyMethod::GradientTimesInput => gradient_times_input(model, images, classes),
        SaliencyMethod::IntegratedGradients => integrated_gradients(model, images, classes, options),
    }
}

/// `[n, 1, 28, 28]` → `[n * k, 1, 28, 28]`, each image `k` times in a row.
fn repeat_each(images: Tensor<4>, k: usize) -> Tensor<4> {
    let n = images.dims()[0];
    images.reshape([n, 1, IMAGE_PIXELS]).repeat_dim(1, k).reshape([n * k, 1, IMAGE_SIDE, IMAGE_SIDE])
}
