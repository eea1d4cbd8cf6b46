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

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::loss::cross_entropy_with_logits;

use crate::attacks;
use crate::gradients::{ComputeError, loss_gradient, one_hot};
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

/// How adversarial examples are made for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Defence {
    /// Clean digits only.
    Clean,
    /// FGSM from a random start (Wong, Rice & Kolter 2020): one gradient step per batch.
    Fgsm,
    /// PGD-k (Madry et al. 2017): `steps` gradient steps per batch, slower and steadier.
    Pgd,
}

/// Training settings as the page, the API and `train --preset` give them: the knobs a reader
/// turns, checked with a sentence for each bad value, then turned into a [`TrainingConfig`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Learning-rate multiplier after each epoch.
    pub lr_decay: f64,
    pub defence: Defence,
    /// L∞ radius of the training perturbations (ignored for clean training).
    pub eps: f32,
    /// Gradient steps per adversarial example (PGD's k; FGSM takes 1).
    pub steps: usize,
    /// Epochs over which ε grows from 0.
    pub warmup_epochs: usize,
    /// Training digits (the first of MNIST's 60,000).
    pub digits: usize,
    pub seed: u64,
}

/// A named set of [`TrainingOptions`]: the card's buttons, `train({preset})` in the API and
/// `train --preset` in the CLI.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Preset {
    pub name: &'static str,
    pub title: &'static str,
    pub options: TrainingOptions,
}

const fn options(epochs: usize, defence: Defence, eps: f32, steps: usize, warmup_epochs: usize, digits: usize) -> TrainingOptions {
    TrainingOptions { epochs, batch_size: 64, learning_rate: 2e-3, lr_decay: 0.6, defence, eps, steps, warmup_epochs, digits, seed: 42 }
}

/// The presets, the first the default. Their times and figures on a browser's CPU are measured
/// by the bench and reported in the README.
pub const PRESETS: [Preset; 3] = [
    Preset { name: "quick", title: "Quick clean (about a minute)", options: options(4, Defence::Clean, 0.0, 1, 0, 10_000) },
    Preset { name: "defended-0.1", title: "Defended at ε = 0.1 (FGSM, random start)", options: options(4, Defence::Fgsm, 0.1, 1, 1, 10_000) },
    Preset { name: "defended-0.3", title: "Defended at ε = 0.3 (PGD-3, warm-up)", options: options(5, Defence::Pgd, 0.3, 3, 2, 10_000) },
];

/// The training digits MNIST has.
pub const MNIST_TRAINING_DIGITS: usize = 60_000;

/// How far each setting a reader turns may go, inclusive: [`TrainingOptions::check`] refuses
/// what falls outside, and the card's inputs take them as their bounds (one list for both).
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub epochs: [usize; 2],
    pub batch_size: [usize; 2],
    /// PGD's k.
    pub steps: [usize; 2],
    pub warmup_epochs: [usize; 2],
    pub digits: [usize; 2],
    /// The learning rate, its decay and ε are above 0 and at most this.
    pub learning_rate_max: f64,
    pub lr_decay_max: f64,
    pub eps_max: f32,
}

/// The limits of [`TrainingOptions`].
pub const LIMITS: Limits = Limits {
    epochs: [1, 100],
    batch_size: [1, 1024],
    steps: [1, 40],
    warmup_epochs: [0, 100],
    digits: [1, MNIST_TRAINING_DIGITS],
    learning_rate_max: 1.0,
    lr_decay_max: 1.0,
    eps_max: 1.0,
};

impl TrainingOptions {
    /// The preset called `name`.
    pub fn preset(name: &str) -> Option<Self> {
        PRESETS.iter().find(|p| p.name == name).map(|p| p.options)
    }

    /// Refuses settings that cannot train, with the reason in a sentence ([`LIMITS`]).
    pub fn check(&self) -> Result<(), String> {
        let fail = |why: String| Err(why);
        let within = |value: usize, [low, high]: [usize; 2]| (low..=high).contains(&value);
        let Limits { epochs, batch_size, steps, warmup_epochs, digits, learning_rate_max, lr_decay_max, eps_max } = LIMITS;
        if !within(self.batch_size, batch_size) {
            return fail(format!("the batch size must be between {} and {} digits, not {}", batch_size[0], batch_size[1], self.batch_size));
        }
        if !within(self.epochs, epochs) {
            return fail(format!("the number of epochs must be between {} and {}, not {}", epochs[0], epochs[1], self.epochs));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0 && self.learning_rate <= learning_rate_max) {
            return fail(format!("the learning rate must be a number above 0 and at most {learning_rate_max}, not {}", self.learning_rate));
        }
        if !(self.lr_decay.is_finite() && self.lr_decay > 0.0 && self.lr_decay <= lr_decay_max) {
            return fail(format!("the learning-rate decay must be above 0 and at most {lr_decay_max}, not {}", self.lr_decay));
        }
        if self.defence != Defence::Clean && !(self.eps.is_finite() && self.eps > 0.0 && self.eps <= eps_max) {
            return fail(format!("ε must be above 0 and at most {eps_max} for adversarial training, not {}", self.eps));
        }
        if self.defence == Defence::Pgd && !within(self.steps, steps) {
            return fail(format!("PGD training takes {} to {} steps, not {}", steps[0], steps[1], self.steps));
        }
        if self.defence != Defence::Clean && !within(self.warmup_epochs, warmup_epochs) {
            return fail(format!("the ε warm-up takes {} to {} epochs, not {}", warmup_epochs[0], warmup_epochs[1], self.warmup_epochs));
        }
        if !within(self.digits, digits) {
            return fail(format!("train on {} to {} digits, not {}", digits[0], digits[1], self.digits));
        }
        Ok(())
    }

    /// The trainer's configuration for the page's network (its layer sizes are the committed
    /// networks', so the reader's network fits every panel and the README's PyTorch module).
    pub fn config(&self) -> TrainingConfig {
        let adversarial = match self.defence {
            Defence::Clean => None,
            Defence::Fgsm => Some(AdversarialConfig::new().with_eps(self.eps).with_steps(1).with_alpha_ratio(1.25)),
            Defence::Pgd => Some(AdversarialConfig::new().with_eps(self.eps).with_steps(self.steps).with_alpha_ratio(2.5 / self.steps as f32)),
        }
        .map(|a| a.with_warmup_epochs(self.warmup_epochs));
        TrainingConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            lr_decay: self.lr_decay,
            seed: self.seed,
            adversarial,
            ..TrainingConfig::new(DigitNetConfig::new())
        }
    }
}

/// What the trainer reports after each batch.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub epoch: usize,
    pub batch: usize,
    pub batches: usize,
    pub loss: f32,
}

/// Accuracy after one epoch, on the held-out check digits.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
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
#[cfg(not(target_arch = "wasm32"))]
pub fn train(
    config: &TrainingConfig,
    data: Dataset,
    check: Option<&Dataset>,
    device: &Device,
    report: impl FnMut(Event),
) -> DigitNet {
    train_from(Trainer::initial_model(config, device), config, data, check, device, report)
}

/// [`train`], starting from `model` (on `device`'s autodiff variant, in training mode): to
/// continue training, with other settings, from saved weights. The loop over [`Trainer`]'s steps, as the page's
/// worker runs them.
#[cfg(not(target_arch = "wasm32"))]
pub fn train_from(
    model: DigitNet,
    config: &TrainingConfig,
    data: Dataset,
    check: Option<&Dataset>,
    device: &Device,
    mut report: impl FnMut(Event),
) -> DigitNet {
    // The trainer owns the digits it shuffles (60,000 of them are 188 MB): taken, not copied.
    let mut trainer = Trainer::new(model, config.clone(), data, device);
    crate::attacks::block_on(async {
        while !trainer.finished() {
            report(Event::Batch(trainer.step().await.expect("a native training step")));
            if let (true, Some(check)) = (trainer.at_epoch_end(), check) {
                report(Event::Epoch(trainer.check(check).await.expect("a native check")));
            }
        }
    });
    trainer.into_model()
}

/// Training one batch at a time, so that a host can give way, show progress and pause between
/// batches: the CLI's loop ([`train_from`]) and the page's worker drive the same steps, natively
/// and in the browser on either backend. Every read-back is asynchronous (WebGPU in a browser
/// allows no other) and a checkpoint ([`crate::pace`]).
pub struct Trainer {
    /// On the autodiff device, in training mode.
    model: DigitNet,
    optimizer: ModuleOptimizer,
    config: TrainingConfig,
    data: Dataset,
    device: Device,
    autodiff: Device,
    rng: SplitMix64,
    order: Vec<usize>,
    epoch: usize,
    batch: usize,
    batch_pixels: Vec<f32>,
    /// The last batch as trained on (adversarial examples when training adversarially).
    last_images: Option<Tensor<4>>,
    /// (PGD accuracy, weights) of the best checked epoch.
    best: Option<(f64, DigitNet)>,
    collapsed: bool,
}

impl Trainer {
    /// A fresh network for `config` on `device`'s autodiff variant, its weights drawn on the
    /// host from the seed: the same start on every backend.
    pub fn initial_model(config: &TrainingConfig, device: &Device) -> DigitNet {
        config.model.init_seeded(config.seed, &device.clone().autodiff())
    }

    /// A trainer of `model` (from [`Trainer::initial_model`], or saved weights moved to the
    /// autodiff device in training mode) on `data`.
    pub fn new(model: DigitNet, config: TrainingConfig, data: Dataset, device: &Device) -> Self {
        assert!(config.batch_size > 0, "a batch holds at least one digit");
        let order = (0..data.len()).collect();
        Self {
            model,
            optimizer: AdamConfig::new().init(),
            rng: SplitMix64::new(config.seed),
            batch_pixels: vec![0.0; config.batch_size * IMAGE_PIXELS],
            config,
            data,
            device: device.clone(),
            autodiff: device.clone().autodiff(),
            order,
            epoch: 0,
            batch: 0,
            last_images: None,
            best: None,
            collapsed: false,
        }
    }

    /// Batches per epoch.
    pub fn batches(&self) -> usize {
        self.data.len().div_ceil(self.config.batch_size)
    }

    /// Every epoch done, or stopped by the catastrophic-overfitting guard.
    pub fn finished(&self) -> bool {
        self.collapsed || self.epoch >= self.config.epochs || self.data.is_empty()
    }

    /// The last step ended an epoch: the time for [`Trainer::check`].
    pub fn at_epoch_end(&self) -> bool {
        self.batch == 0 && self.epoch > 0
    }

    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    /// The device the network is checked on (the autodiff device's inner one).
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The settings trained with.
    pub fn config(&self) -> &TrainingConfig {
        &self.config
    }

    /// One batch: random shifts, adversarial examples when configured, one Adam step. Returns the
    /// batch's loss (before the step).
    pub async fn step(&mut self) -> Result<Progress, ComputeError> {
        assert!(!self.finished(), "training is over");
        let (epoch, batch, batches) = (self.epoch, self.batch, self.batches());
        if batch == 0 {
            self.rng.shuffle(&mut self.order);
        }
        let lr = self.config.learning_rate * self.config.lr_decay.powi(epoch as i32);
        let shift = self.config.shift as isize;
        let indices = &self.order[batch * self.config.batch_size..((batch + 1) * self.config.batch_size).min(self.data.len())];
        let n = indices.len();
        let mut labels = Vec::with_capacity(n);
        for (slot, &i) in indices.iter().enumerate() {
            let (dx, dy) = if shift > 0 {
                let side = 2 * shift as usize + 1;
                (self.rng.below(side) as isize - shift, self.rng.below(side) as isize - shift)
            } else {
                (0, 0)
            };
            translate(self.data.image(i), dx, dy, &mut self.batch_pixels[slot * IMAGE_PIXELS..(slot + 1) * IMAGE_PIXELS]);
            labels.push(self.data.labels[i] as usize);
        }
        let targets = one_hot(&labels, &self.autodiff);
        let mut images = images_tensor(&self.batch_pixels[..n * IMAGE_PIXELS], &self.autodiff);
        if let Some(adversarial) = &self.config.adversarial {
            let eps = adversarial.eps_at(epoch, batch, batches);
            images = adversarial_examples(&self.model, images, targets.clone(), eps, adversarial, self.rng.next_u64());
        }
        self.last_images = Some(images.clone());
        // Dropout before the last layer, its mask drawn on the host (burn's would come from each
        // backend's own generator): the same run on every backend.
        let hidden = self.model.forward_activations(images).hidden;
        let [rows, width] = hidden.dims();
        let keep = 1.0 - self.config.model.dropout as f32;
        let mask: Vec<f32> = (0..rows * width).map(|_| if self.rng.next_f32() < keep { 1.0 / keep } else { 0.0 }).collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [rows, width]), &self.autodiff);
        let loss = cross_entropy_with_logits(self.model.head(hidden * mask), targets);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self.optimizer.step(lr, self.model.clone(), grads);
        // Read after the step is queued: on a GPU the whole step goes out before the one wait.
        let loss = crate::gradients::read(loss).await?[0];
        self.batch += 1;
        if self.batch == batches {
            self.batch = 0;
            self.epoch += 1;
        }
        Ok(Progress { epoch, batch, batches, loss })
    }

    /// The first `count` images of the last batch trained on (what the network saw), row-major.
    pub async fn last_images(&self, count: usize) -> Result<Vec<f32>, ComputeError> {
        let Some(images) = &self.last_images else { return Ok(Vec::new()) };
        let n = images.dims()[0].min(count);
        crate::gradients::read(images.clone().slice([0..n])).await
    }

    /// Accuracy of the network as it is now on `check` (digits not trained on), clean and, when
    /// training adversarially, under PGD at the training radius: the catastrophic-overfitting
    /// guard. A drop of PGD accuracy larger than `collapse` below the best epoch's stops training
    /// and [`Trainer::into_model`] returns the best epoch's weights.
    pub async fn check(&mut self, check: &Dataset) -> Result<EpochCheck, ComputeError> {
        self.check_with(check, check).await
    }

    /// [`Trainer::check`] with the PGD part on `pgd_check` (fewer digits: PGD costs ten
    /// gradients per digit).
    pub async fn check_with(&mut self, check: &Dataset, pgd_check: &Dataset) -> Result<EpochCheck, ComputeError> {
        let current = self.model.valid();
        let clean_accuracy = crate::inference::accuracy_async(&current, check, &self.device).await?;
        let pgd = match &self.config.adversarial {
            Some(adversarial) => Some((pgd_accuracy_async(&current, pgd_check, adversarial, &self.device).await?, adversarial.collapse)),
            None => None,
        };
        if let Some((pgd, collapse)) = pgd {
            match &self.best {
                Some((best, _)) if *best - pgd > collapse => self.collapsed = true,
                Some((best, _)) if pgd <= *best => {}
                _ => self.best = Some((pgd, current)),
            }
        }
        Ok(EpochCheck { epoch: self.epoch.saturating_sub(1), clean_accuracy, pgd_accuracy: pgd.map(|(a, _)| a), collapsed: self.collapsed })
    }

    /// The network as it is now, in inference mode.
    pub fn current(&self) -> DigitNet {
        self.model.valid()
    }

    /// The trained network in inference mode: the best checked epoch's when training
    /// adversarially with checks, else the last.
    pub fn into_model(self) -> DigitNet {
        match self.best {
            Some((_, model)) => model,
            None => self.model.valid(),
        }
    }

    /// [`Trainer::into_model`] without ending training (a copy).
    pub fn best(&self) -> DigitNet {
        match &self.best {
            Some((_, model)) => model.clone(),
            None => self.model.valid(),
        }
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
#[cfg(not(target_arch = "wasm32"))]
pub fn pgd_accuracy(model: &DigitNet, data: &Dataset, adversarial: &AdversarialConfig, device: &Device) -> f64 {
    crate::attacks::block_on(pgd_accuracy_async(model, data, adversarial, device)).expect("a native PGD check")
}

/// [`pgd_accuracy`] with asynchronous read-backs, for the browser.
pub async fn pgd_accuracy_async(model: &DigitNet, data: &Dataset, adversarial: &AdversarialConfig, device: &Device) -> Result<f64, ComputeError> {
    let check = AdversarialConfig { steps: adversarial.check_steps, alpha_ratio: 0.25, ..adversarial.clone() };
    let mut correct = 0;
    for start in (0..data.len()).step_by(250) {
        let end = (start + 250).min(data.len());
        let labels: Vec<usize> = data.labels[start..end].iter().map(|&l| l as usize).collect();
        let images = images_tensor(&data.pixels[start * IMAGE_PIXELS..end * IMAGE_PIXELS], device);
        let adversarial = adversarial_examples(model, images, crate::gradients::one_hot(&labels, device), check.eps, &check, 7);
        let logits = crate::gradients::read(crate::inference::logits(model, adversarial)).await?;
        correct += logits.chunks(10).zip(&labels).filter(|(row, l)| crate::inference::argmax(row) == **l).count();
    }
    Ok(correct as f64 / data.len().max(1) as f64)
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
        let model = train(&config, data.clone(), None, &Device::flex(), |e| {
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
