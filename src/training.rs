//! Supervised training on MNIST with Adam and a decaying learning rate, optionally on
//! adversarial examples (the defended model).
//!
//! Small random translations (up to `shift` pixels) are applied to each training digit: the
//! network then relies less on exact positions, which is worth a few tenths of a percent of test
//! accuracy and helps with digits drawn by hand on the page.
//!
//! With [`AdversarialConfig`], every batch is replaced by FGSM examples from a random start
//! (Wong, Rice & Kolter 2020), and a PGD check after each epoch guards against their
//! "catastrophic overfitting": if robustness to PGD collapses, the best earlier weights are kept
//! and training stops.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::loss::cross_entropy_with_logits;

use crate::attacks;
use crate::gradients::{loss_gradient, one_hot};
use crate::data::Dataset;
use crate::model::{DigitNet, DigitNetConfig, IMAGE_PIXELS, IMAGE_SIDE, images_tensor};
use crate::rng::SplitMix64;

/// Adversarial training: "Fast is better than free: revisiting adversarial training" (Wong, Rice
/// & Kolter 2020). FGSM from a uniformly random point of the L∞ ball, step `alpha_ratio * eps`.
#[derive(Config, Debug)]
pub struct AdversarialConfig {
    /// L∞ radius of the training perturbations (0.3 on MNIST, as in Madry et al. 2017).
    #[config(default = 0.3)]
    pub eps: f32,
    /// Signed gradient steps per example: 1 is FGSM with a random start (Wong et al.); more is
    /// PGD training (Madry et al. 2017), slower and less prone to catastrophic overfitting.
    #[config(default = 1)]
    pub steps: usize,
    /// Step size as a multiple of `eps` (Wong et al.: 1.25 for one step; larger steps overfit
    /// catastrophically; for k steps, about 2.5 / k).
    #[config(default = 1.25)]
    pub alpha_ratio: f32,
    /// Epochs over which the radius grows linearly from 0 to `eps`: a small network learns the
    /// clean task first, then robustness.
    #[config(default = 1)]
    pub warmup_epochs: usize,
    /// PGD steps of the check after each epoch (step `eps / 4`).
    #[config(default = 10)]
    pub check_steps: usize,
    /// A drop of PGD accuracy larger than this (from the best epoch) stops training.
    #[config(default = 0.2)]
    pub collapse: f64,
}

impl AdversarialConfig {
    /// The radius for batch `batch` of `batches` in epoch `epoch` (linear warm-up).
    pub fn eps_at(&self, epoch: usize, batch: usize, batches: usize) -> f32 {
        if self.warmup_epochs == 0 {
            return self.eps;
        }
        let done = (epoch * batches + batch + 1) as f32 / (self.warmup_epochs * batches) as f32;
        self.eps * done.min(1.0)
    }
}

/// Training hyper-parameters.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    pub model: DigitNetConfig,
    #[config(default = 6)]
    pub epochs: usize,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Learning rate multiplier applied after each epoch.
    #[config(default = 0.6)]
    pub lr_decay: f64,
    /// Largest random translation of training digits, in pixels (0: none).
    #[config(default = 2)]
    pub shift: usize,
    #[config(default = 42)]
    pub seed: u64,
    /// Train on adversarial examples (the defended model); `None`: clean digits only.
    pub adversarial: Option<AdversarialConfig>,
}

/// What the trainer reports after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub epoch: usize,
    pub batch: usize,
    pub batches: usize,
    pub loss: f32,
}

/// Accuracy after one epoch, on the held-out check digits.
#[derive(Debug, Clone, Copy)]
pub struct EpochCheck {
    pub epoch: usize,
    pub clean_accuracy: f64,
    /// Under PGD at the training radius (`None` for standard training).
    pub pgd_accuracy: Option<f64>,
    /// Training stops here: PGD accuracy collapsed, the best earlier weights are returned.
    pub collapsed: bool,
}

/// What the trainer reports.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    Batch(Progress),
    Epoch(EpochCheck),
}

/// Moves a digit by `(dx, dy)` pixels, filling with black.
pub fn translate(image: &[f32], dx: isize, dy: isize, out: &mut [f32]) {
    let side = IMAGE_SIDE as isize;
    for y in 0..side {
        for x in 0..side {
            let (sx, sy) = (x - dx, y - dy);
            out[(y * side + x) as usize] = if (0..side).contains(&sx) && (0..side).contains(&sy) {
                image[(sy * side + sx) as usize]
            } else {
                0.0
            };
        }
    }
}

/// Trains a network from scratch on `device` (autodiff is enabled here) and returns it in
/// inference mode. `check` (digits not trained on) is measured after each epoch; `report` hears
/// every batch and every check.
pub fn train(
    config: &TrainingConfig,
    data: &Dataset,
    check: Option<&Dataset>,
    device: &Device,
    report: impl FnMut(Event),
) -> DigitNet {
    let autodiff = device.clone().autodiff();
    autodiff.seed(config.seed);
    train_from(config.model.init(&autodiff), config, data, check, device, report)
}

/// [`train`], starting from `model` (on `device`'s autodiff variant, in training mode): to
/// continue training, with other settings, from saved weights. Seed the autodiff device first
/// for reproducible dropout ([`train`] does).
pub fn train_from(
    mut model: DigitNet,
    config: &TrainingConfig,
    data: &Dataset,
    check: Option<&Dataset>,
    device: &Device,
    mut report: impl FnMut(Event),
) -> DigitNet {
    let inference_device = device.clone();
    let device = device.clone().autodiff();
    let mut rng = SplitMix64::new(config.seed);
    let mut optimizer = AdamConfig::new().init();
    let batches = data.len().div_ceil(config.batch_size);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut batch_pixels = vec![0.0f32; config.batch_size * IMAGE_PIXELS];
    let shift = config.shift as isize;
    let mut best: Option<(f64, DigitNet)> = None; // (PGD accuracy, weights) of the best epoch

    for epoch in 0..config.epochs {
        let lr = config.learning_rate * config.lr_decay.powi(epoch as i32);
        rng.shuffle(&mut order);
        for (batch, indices) in order.chunks(config.batch_size).enumerate() {
            let n = indices.len();
            let mut labels = Vec::with_capacity(n);
            for (slot, &i) in indices.iter().enumerate() {
                let (dx, dy) = if shift > 0 {
                    (rng.below(2 * shift as usize + 1) as isize - shift, rng.below(2 * shift as usize + 1) as isize - shift)
                } else {
                    (0, 0)
                };
                translate(data.image(i), dx, dy, &mut batch_pixels[slot * IMAGE_PIXELS..(slot + 1) * IMAGE_PIXELS]);
                labels.push(data.labels[i] as usize);
            }
            let targets = one_hot(&labels, &device);
            let mut images = images_tensor(&batch_pixels[..n * IMAGE_PIXELS], &device);
            if let Some(adversarial) = &config.adversarial {
                let eps = adversarial.eps_at(epoch, batch, batches);
                images = adversarial_examples(&model, images, targets.clone(), eps, adversarial, rng.next_u64());
            }
            let loss = cross_entropy_with_logits(model.forward(images), targets);
            let loss_value = loss.clone().into_scalar::<f32>();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(lr, model, grads);
            report(Event::Batch(Progress { epoch, batch, batches, loss: loss_value }));
        }

        let Some(check) = check else { continue };
        let current = model.valid();
        let clean_accuracy = crate::inference::accuracy(&current, check, &inference_device);
        let pgd_accuracy = config.adversarial.as_ref().map(|a| pgd_accuracy(&current, check, a, &inference_device));
        let mut collapsed = false;
        if let (Some(pgd), Some(adversarial)) = (pgd_accuracy, &config.adversarial) {
            match &best {
                Some((best_pgd, _)) if *best_pgd - pgd > adversarial.collapse => collapsed = true,
                Some((best_pgd, _)) if pgd <= *best_pgd => {}
                _ => best = Some((pgd, current)),
            }
        }
        report(Event::Epoch(EpochCheck { epoch, clean_accuracy, pgd_accuracy, collapsed }));
        if collapsed {
            break;
        }
    }
    match best {
        Some((_, model)) => model,
        None => model.valid(),
    }
}

/// The training examples: `adversarial.steps` signed gradient steps of `alpha_ratio * eps`
/// from a random point of the L∞ ball of radius `eps` around `images`, each projected back
/// onto the ball and `[0, 1]`; one step is the FGSM with random start of Wong et al. (2020).
/// Detached from the graph.
pub fn adversarial_examples(model: &DigitNet, images: Tensor<4>, targets: Tensor<2>, eps: f32, adversarial: &AdversarialConfig, seed: u64) -> Tensor<4> {
    if eps <= 0.0 {
        return images;
    }
    let alpha = adversarial.alpha_ratio * eps;
    let start_noise = attacks::uniform_noise(images.dims()[0], eps, seed, &images.device());
    let start = (images.clone() + start_noise).clamp(0.0, 1.0);
    let ascent = |x: &Tensor<4>| loss_gradient(model, x.clone(), targets.clone());
    attacks::linf_iterations(images, start, eps, alpha, adversarial.steps.max(1), ascent)
}

/// Accuracy under PGD (random start, `check_steps` steps of `eps / 4`) on `data`: the training
/// examples' own stepper with PGD's settings, the same steps as `attacks::pgd`'s.
pub fn pgd_accuracy(model: &DigitNet, data: &Dataset, adversarial: &AdversarialConfig, device: &Device) -> f64 {
    let check = AdversarialConfig { steps: adversarial.check_steps, alpha_ratio: 0.25, ..adversarial.clone() };
    let mut correct = 0;
    for start in (0..data.len()).step_by(250) {
        let end = (start + 250).min(data.len());
        let labels: Vec<usize> = data.labels[start..end].iter().map(|&l| l as usize).collect();
        let images = images_tensor(&data.pixels[start * IMAGE_PIXELS..end * IMAGE_PIXELS], device);
        let adversarial = adversarial_examples(model, images, crate::gradients::one_hot(&labels, device), check.eps, &check, 7);
        let predicted = crate::inference::logits(model, adversarial).argmax(1).into_data().convert::<i64>().try_to_vec::<i64>().expect("labels as integers");
        correct += predicted.iter().zip(&labels).filter(|(p, l)| **p as usize == **l).count();
    }
    correct as f64 / data.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translate_moves_and_fills_with_black() {
        let mut image = vec![0.0; IMAGE_PIXELS];
        image[10 * IMAGE_SIDE + 10] = 1.0;
        let mut out = vec![0.5; IMAGE_PIXELS];
        translate(&image, 2, -1, &mut out);
        assert_eq!(out[9 * IMAGE_SIDE + 12], 1.0);
        assert_eq!(out.iter().sum::<f32>(), 1.0);
    }

    #[test]
    fn a_few_steps_reduce_the_loss_on_a_tiny_set() {
        // Two synthetic classes: a vertical bar (label 1) and a ring (label 0).
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for k in 0..32 {
            let mut img = vec![0.0f32; IMAGE_PIXELS];
            for y in 4..24 {
                for x in 4..24 {
                    let on = if k % 2 == 0 { (12..16).contains(&x) } else { !(8..20).contains(&x) || !(8..20).contains(&y) };
                    img[y * IMAGE_SIDE + x] = if on { 1.0 } else { 0.0 };
                }
            }
            pixels.extend(img);
            labels.push(if k % 2 == 0 { 1 } else { 0 });
        }
        let data = Dataset { pixels, labels };
        let config = TrainingConfig::new(DigitNetConfig::new().with_conv1_channels(4).with_conv2_channels(4).with_hidden(16))
            .with_epochs(10)
            .with_batch_size(8)
            .with_learning_rate(3e-3)
            .with_lr_decay(1.0)
            .with_shift(0);
        let mut losses = Vec::new();
        let model = train(&config, &data, None, &Device::flex(), |e| {
            if let Event::Batch(p) = e {
                losses.push(p.loss)
            }
        });
        assert_eq!(losses.len(), 40);
        let first: f32 = losses[..4].iter().sum();
        let last: f32 = losses[36..].iter().sum();
        assert!(last < first / 4.0, "{losses:?}");
        assert_eq!(crate::inference::accuracy(&model, &data, &Device::flex()), 1.0);
    }
}
