//! Adversarial attacks: small changes to a digit, crafted from the network's own gradient, that
//! change its answer.
//!
//! One module per attack, each a single function named after the method, documented with its
//! paper, the norm it bounds or minimises, and its defaults. They all take a batch of images
//! (`[n, 1, 28, 28]`, pixels in `[0, 1]`) with their true labels and an [`AttackOptions`], and
//! return the adversarial batch, clipped to `[0, 1]`. [`run`] wraps any of them and measures the
//! result ([`AttackResult`]).
//!
//! Attacks are `async` only so that the browser can read GPU memory without blocking:
//! read-backs happen once at the end, or once per iteration for the methods that stop early
//! (DeepFool, JSMA, the few-pixel attack). Natively they are driven by [`block_on`].
//!
//! Random starts draw their noise on the host from a seeded generator, so the same seed gives
//! the same attack natively and in the browser, on every backend.

use std::fmt;

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::inference::argmax;
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, IMAGE_SIDE, images_tensor};

pub mod basic_iterative;
pub mod carlini_wagner;
pub mod deepfool;
pub mod few_pixel;
pub mod fgsm;
pub mod jsma;
pub mod momentum;
pub mod pgd;
pub mod search;

pub use basic_iterative::basic_iterative_method;
pub use carlini_wagner::carlini_wagner_l2;
pub use deepfool::deepfool;
pub use few_pixel::few_pixel;
pub use fgsm::fgsm;
pub use jsma::jsma;
pub use momentum::momentum_iterative_fgsm;
pub use pgd::{projected_gradient_descent, projected_gradient_descent_l2};

/// The attacks, by the names the CLI, the page and the JS API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Fgsm,
    Bim,
    Pgd,
    PgdL2,
    MiFgsm,
    Deepfool,
    Cw,
    Jsma,
    FewPixel,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::Fgsm,
        Method::Bim,
        Method::Pgd,
        Method::PgdL2,
        Method::MiFgsm,
        Method::Deepfool,
        Method::Cw,
        Method::Jsma,
        Method::FewPixel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Fgsm => "fgsm",
            Method::Bim => "bim",
            Method::Pgd => "pgd",
            Method::PgdL2 => "pgd-l2",
            Method::MiFgsm => "mi-fgsm",
            Method::Deepfool => "deepfool",
            Method::Cw => "cw",
            Method::Jsma => "jsma",
            Method::FewPixel => "few-pixel",
        }
    }

    pub fn parse(name: &str) -> Option<Method> {
        let name = name.to_ascii_lowercase().replace('_', "-");
        let alias = match name.as_str() {
            "i-fgsm" | "ifgsm" => "bim",
            "pgd-linf" => "pgd",
            "mifgsm" | "momentum" => "mi-fgsm",
            "carlini-wagner" | "cw-l2" => "cw",
            "one-pixel" | "pixel" => "few-pixel",
            other => other,
        };
        Method::ALL.into_iter().find(|m| m.name() == alias)
    }

    /// Whether `eps` bounds the perturbation (L∞ or L2 ball); the others minimise it.
    pub fn uses_eps(self) -> bool {
        matches!(self, Method::Fgsm | Method::Bim | Method::Pgd | Method::PgdL2 | Method::MiFgsm)
    }

    /// Whether a target class makes sense (all but DeepFool, which finds the nearest boundary).
    pub fn supports_target(self) -> bool {
        !matches!(self, Method::Deepfool)
    }

    /// Whether the attack needs a target (JSMA is a targeted attack by construction).
    pub fn requires_target(self) -> bool {
        matches!(self, Method::Jsma)
    }

    /// Iterations that suit the method: what the CLI and the page use unless told otherwise.
    pub fn default_steps(self) -> usize {
        match self {
            Method::Fgsm => 1,
            Method::Bim | Method::MiFgsm => 10,
            Method::Pgd | Method::PgdL2 => 40,
            Method::Deepfool => 50,
            Method::Cw => 100,
            Method::Jsma | Method::FewPixel => 0,
        }
    }

    /// A budget that suits the method: L∞ radius, L2 radius, or unused (0).
    pub fn default_eps(self) -> f32 {
        match self {
            Method::Fgsm | Method::Bim | Method::Pgd | Method::MiFgsm => 0.3,
            Method::PgdL2 => 2.0,
            _ => 0.0,
        }
    }

    /// The norm the attack bounds or minimises.
    pub fn norm(self) -> &'static str {
        match self {
            Method::Fgsm | Method::Bim | Method::Pgd | Method::MiFgsm => "L∞",
            Method::PgdL2 | Method::Deepfool | Method::Cw => "L2",
            Method::Jsma | Method::FewPixel => "L0",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Options shared by all attacks; each uses the fields that apply to it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AttackOptions {
    /// Radius of the allowed perturbation: L∞ for FGSM/BIM/PGD/MI-FGSM, L2 for PGD-L2.
    pub eps: f32,
    /// Iterations (BIM, PGD, MI-FGSM, C&W per search step, DeepFool's maximum).
    pub steps: usize,
    /// Step size; `None` picks the method's default from `eps` and `steps`.
    pub alpha: Option<f32>,
    /// Random restarts (PGD): the strongest of the runs is kept.
    pub restarts: usize,
    /// Class to reach; `None` means any wrong class.
    pub target: Option<usize>,
    /// Seed for random starts.
    pub seed: u64,
    /// MI-FGSM's decay factor μ.
    pub momentum: f32,
    /// DeepFool's overshoot.
    pub overshoot: f32,
    /// C&W: binary search steps over the constant c.
    pub search_steps: usize,
    /// C&W: the first c.
    pub initial_c: f32,
    /// C&W: the confidence margin κ.
    pub confidence: f32,
    /// C&W: Adam's learning rate in tanh space.
    pub learning_rate: f32,
    /// JSMA: the largest fraction of pixels that may change (γ; 0.2 by default).
    pub max_fraction: f32,
    /// Few-pixel attack: how many pixels may change.
    pub pixels: usize,
    /// Keep every `n`-th iterate of iterative L∞/L2 attacks (0: none), for animation.
    pub record_every: usize,
}

impl Default for AttackOptions {
    fn default() -> Self {
        Self {
            eps: 0.3,
            steps: 40,
            alpha: None,
            restarts: 1,
            target: None,
            seed: 0,
            momentum: 1.0,
            overshoot: 0.02,
            search_steps: 6,
            initial_c: 1.0,
            confidence: 0.0,
            learning_rate: 0.1,
            max_fraction: 0.2,
            pixels: 10,
            record_every: 0,
        }
    }
}

impl AttackOptions {
    /// The defaults with the budget and iterations that suit `method`
    /// ([`Method::default_eps`], [`Method::default_steps`]).
    pub fn for_method(method: Method) -> Self {
        Self { eps: method.default_eps(), steps: method.default_steps(), ..Self::default() }
    }
}

/// Sizes of a perturbation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Norms {
    /// Pixels changed by more than [`L0_THRESHOLD`].
    pub l0: usize,
    pub l2: f32,
    pub linf: f32,
}

/// A pixel counts as changed for L0 when it moves by more than this (a tenth of a grey level).
pub const L0_THRESHOLD: f32 = 1.0 / 2550.0;

impl Norms {
    pub fn of(perturbation: &[f32]) -> Self {
        Self {
            l0: perturbation.iter().filter(|d| d.abs() > L0_THRESHOLD).count(),
            l2: perturbation.iter().map(|d| d * d).sum::<f32>().sqrt(),
            linf: perturbation.iter().fold(0.0, |m, d| m.max(d.abs())),
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
}

/// What an attack function returns before measurement.
pub struct Crafted {
    pub adversarial: Tensor<4>,
    pub steps: usize,
    /// Recorded iterates, each `[n, 1, 28, 28]`.
    pub frames: Vec<Tensor<4>>,
}

impl Crafted {
    pub fn new(adversarial: Tensor<4>, steps: usize) -> Self {
        Self { adversarial, steps, frames: Vec::new() }
    }
}

/// Error from the attack entry point.
#[derive(Debug, Clone, PartialEq)]
pub enum AttackError {
    BadInput(String),
    Backend(String),
}

impl fmt::Display for AttackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttackError::BadInput(why) => write!(f, "{why}"),
            AttackError::Backend(why) => write!(f, "the backend failed: {why}"),
        }
    }
}

impl std::error::Error for AttackError {}

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
            None if required => Some(labels.iter().map(|l| (l + 1) % CLASSES).collect()),
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

/// One-hot `[n, 10]` tensor.
pub fn one_hot(labels: &[usize], device: &Device) -> Tensor<2> {
    crate::training::one_hot(labels, device)
}

/// Cross-entropy summed over the batch (so each image's gradient is its own, not divided by n).
pub fn cross_entropy_sum(logits: Tensor<2>, one_hot: Tensor<2>) -> Tensor<1> {
    burn::tensor::activation::log_softmax(logits, 1).mul(one_hot).sum().neg()
}

/// Gradient of the summed cross-entropy with respect to the input images: the direction in
/// which each pixel raises the loss of `labels` fastest.
pub fn loss_gradient(model: &DigitNet, images: Tensor<4>, labels_one_hot: Tensor<2>) -> Tensor<4> {
    loss_gradient_and_logits(model, images, labels_one_hot).0
}

/// [`loss_gradient`] and the logits of the same forward pass.
pub fn loss_gradient_and_logits(model: &DigitNet, images: Tensor<4>, labels_one_hot: Tensor<2>) -> (Tensor<4>, Tensor<2>) {
    let x = images.detach().autodiff().require_grad();
    let logits = model.forward(x.clone());
    let grads = cross_entropy_sum(logits.clone(), labels_one_hot.autodiff()).backward();
    (x.grad(&grads).expect("the input requires a gradient"), logits.without_autodiff())
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
    let log_p = burn::tensor::activation::log_softmax(model.forward(images.clone()), 1);
    let picked = (log_p * goal.one_hot(&images.device())).sum_dim(1).reshape([n]);
    if goal.targeted() { picked } else { picked.neg() }
}

/// Broadcasts a per-image mask `[n]` to the images' shape.
pub fn image_mask(mask: Tensor<1, Bool>) -> Tensor<4, Bool> {
    let n = mask.dims()[0];
    mask.reshape([n, 1, 1, 1]).expand([n, 1, IMAGE_SIDE, IMAGE_SIDE])
}

/// Gradients of every logit with respect to the input: `[n, 10, 784]`, and the logits `[n, 10]`.
/// One backward pass over the batch repeated ten times (row `k` of copy `i` differentiates logit `k`).
pub fn logit_jacobian(model: &DigitNet, images: Tensor<4>) -> (Tensor<3>, Tensor<2>) {
    let n = images.dims()[0];
    let device = images.device();
    let repeated = images
        .detach()
        .unsqueeze_dim::<5>(1)
        .repeat_dim(1, CLASSES)
        .reshape([n * CLASSES, 1, IMAGE_SIDE, IMAGE_SIDE])
        .autodiff()
        .require_grad();
    let logits = model.forward(repeated.clone());
    let selector = Tensor::<2>::eye(CLASSES, &device).repeat_dim(0, n).autodiff();
    let grads = (logits.clone() * selector).sum().backward();
    let jacobian = repeated.grad(&grads).expect("input gradient").reshape([n, CLASSES, IMAGE_PIXELS]);
    let logits = logits.without_autodiff().reshape([n, CLASSES, CLASSES]).narrow(1, 0, 1).reshape([n, CLASSES]);
    (jacobian, logits)
}

/// Logits and logit Jacobians of a batch, read back to the host in one transfer.
pub struct JacobianRows {
    data: Vec<f32>,
}

impl JacobianRows {
    const WIDTH: usize = CLASSES + CLASSES * IMAGE_PIXELS;

    /// Computes [`logit_jacobian`] for `pixels` (`n * 784` values) and reads it back.
    pub async fn of(model: &DigitNet, pixels: &[f32], device: &Device) -> Result<Self, AttackError> {
        let n = pixels.len() / IMAGE_PIXELS;
        let (jacobian, logits) = logit_jacobian(model, images_tensor(pixels, device));
        let data = read(Tensor::cat(vec![logits, jacobian.reshape([n, CLASSES * IMAGE_PIXELS])], 1)).await?;
        Ok(Self { data })
    }

    /// The ten logits of image `i`.
    pub fn logits(&self, i: usize) -> &[f32] {
        &self.data[i * Self::WIDTH..i * Self::WIDTH + CLASSES]
    }

    /// The gradient of logit `k` of image `i` with respect to its 784 pixels.
    pub fn gradient(&self, i: usize, k: usize) -> &[f32] {
        let start = i * Self::WIDTH + CLASSES + k * IMAGE_PIXELS;
        &self.data[start..start + IMAGE_PIXELS]
    }
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

/// Reads a float tensor back to the host without blocking (see [`crate::inference::read_floats`]).
pub async fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, AttackError> {
    crate::inference::read_floats(tensor).await.map_err(AttackError::Backend)
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
) -> Result<Vec<AttackResult>, AttackError> {
    let n = labels.len();
    if n == 0 || pixels.len() != n * IMAGE_PIXELS {
        return Err(AttackError::BadInput(format!(
            "expected {n} images of 784 pixels, got {} values",
            pixels.len()
        )));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= CLASSES) {
        return Err(AttackError::BadInput(format!("label {bad} is not a digit")));
    }
    if let Some(t) = options.target {
        if t >= CLASSES {
            return Err(AttackError::BadInput(format!("target {t} is not a digit")));
        }
    }
    if !(options.eps.is_finite() && options.eps >= 0.0) {
        return Err(AttackError::BadInput("eps must be a non-negative number".into()));
    }
    if options.steps > 10_000 || options.restarts > 100 || options.search_steps > 50 {
        return Err(AttackError::BadInput("too many steps, restarts or search steps".into()));
    }
    let target = if method.supports_target() { options.target } else { None };
    let goal = Goal::new(labels, target, method.requires_target());
    let images = images_tensor(pixels, device);
    let crafted = match method {
        Method::Fgsm => fgsm(model, images, &goal, options),
        Method::Bim => basic_iterative_method(model, images, &goal, options),
        Method::Pgd => projected_gradient_descent(model, images, &goal, options),
        Method::PgdL2 => projected_gradient_descent_l2(model, images, &goal, options),
        Method::MiFgsm => momentum_iterative_fgsm(model, images, &goal, options),
        Method::Deepfool => deepfool(model, images, &goal, options).await?,
        Method::Cw => carlini_wagner_l2(model, images, &goal, options).await?,
        Method::Jsma => jsma(model, images, &goal, options).await?,
        Method::FewPixel => few_pixel(model, images, &goal, options).await?,
    };
    measure(model, pixels, &goal, crafted).await
}

/// Classifies the adversarial batch and packs everything into [`AttackResult`]s.
pub async fn measure(
    model: &DigitNet,
    pixels: &[f32],
    goal: &Goal,
    crafted: Crafted,
) -> Result<Vec<AttackResult>, AttackError> {
    let n = goal.len();
    let adversarial = crafted.adversarial.clamp(0.0, 1.0);
    let probabilities = softmax(model.forward(adversarial.clone()), 1);
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
                norms: Norms::of(&perturbation),
                frames: row[IMAGE_PIXELS + CLASSES..].chunks(IMAGE_PIXELS).map(<[f32]>::to_vec).collect(),
                adversarial,
                perturbation,
                probabilities,
                label,
                success,
                steps: crafted.steps,
            }
        })
        .collect())
}

/// Drives an attack's future to completion on native targets.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures_lite::future::block_on(future)
}
