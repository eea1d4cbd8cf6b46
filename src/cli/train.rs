//! `train`: the classifier on MNIST's training digits, clean or adversarially.

use std::path::PathBuf;

use clap::Args;

use super::fail;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};
use adversarial_digits::model::DigitNetConfig;
use adversarial_digits::training::{AdversarialConfig, Event, PRESETS, Trainer, TrainingConfig, TrainingOptions, train, train_from};
use adversarial_digits::{inference, weights};

#[derive(Args)]
pub struct Train {
    /// Directory with the four MNIST IDX files.
    #[arg(long, default_value = DEFAULT_MNIST_DIR)]
    pub data: PathBuf,
    /// Where to write the weights (safetensors, PyTorch layout).
    #[arg(long, default_value = "models/standard.safetensors")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 6)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Train on the first N digits only (quick experiments).
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = 16)]
    pub conv1: usize,
    #[arg(long, default_value_t = 32)]
    pub conv2: usize,
    #[arg(long, default_value_t = 128)]
    pub hidden: usize,
    /// Learning-rate multiplier after each epoch.
    #[arg(long, default_value_t = 0.6)]
    pub lr_decay: f64,
    /// Train on FGSM examples with a random start of this L∞ radius (Wong et al. 2020):
    /// the defended model (0.3 for `models/robust.safetensors`). 0: clean training.
    #[arg(long, default_value_t = 0.0)]
    pub adversarial_eps: f32,
    /// Start from these weights instead of a random network (to continue training).
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Gradient steps per adversarial example: 1 is FGSM with a random start, more is PGD.
    #[arg(long, default_value_t = 1)]
    pub adversarial_steps: usize,
    /// Step size as a multiple of the radius (1.25 for FGSM, about 2.5 / steps for PGD).
    #[arg(long, default_value_t = 1.25)]
    pub alpha_ratio: f32,
    /// Epochs over which the adversarial radius grows from 0.
    #[arg(long, default_value_t = 1)]
    pub warmup_epochs: usize,
    /// Hold out the last N training digits and check accuracy (and PGD accuracy, when
    /// training adversarially) on them after each epoch. 0: train on all of them.
    #[arg(long, default_value_t = 0)]
    pub check: usize,
    /// The page's settings of this name (`quick`, `defended-0.1`, `defended-0.3`), digits
    /// included: what the browser trains, natively. Replaces the options above it.
    #[arg(long)]
    pub preset: Option<String>,
    /// Stop after this many batches and print `{"losses": [...]}` (each batch's loss) instead
    /// of training and saving: the reference the browser's training is compared with.
    #[arg(long)]
    pub losses_after: Option<usize>,
    /// cpu, or wgpu (a GPU through wgpu; build with `--features webgpu`).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

impl Train {
    pub fn run(self) {
        let (device, described) = super::bench::bench_device(&self.device);
        eprintln!("training on {described}");
        let device = &device;
        let Train { data, out, mut epochs, batch_size, lr, seed, mut limit, conv1, conv2, hidden, lr_decay, adversarial_eps, init, adversarial_steps, alpha_ratio, warmup_epochs, check, preset, losses_after, device: _ } = self;
        let preset = preset.map(|name| {
            let names: Vec<_> = PRESETS.iter().map(|p| p.name).collect();
            TrainingOptions::preset(&name).unwrap_or_else(|| fail(format!("unknown preset `{name}` ({})", names.join(", "))))
        });
        if let Some(p) = &preset {
            (epochs, limit) = (p.epochs, Some(p.digits));
        }
        let mut train_set = Dataset::load(&data, Split::Train).unwrap_or_else(|e| fail(e));
        if let Some(n) = limit {
            train_set = train_set.take(n);
        }
        let check = check.min(train_set.len() / 2);
        let (train_set, check_set) = train_set.split_off_last(check);
        let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e));
        let config = TrainingConfig::new(
            DigitNetConfig::new().with_conv1_channels(conv1).with_conv2_channels(conv2).with_hidden(hidden),
        )
        .with_epochs(epochs)
        .with_batch_size(batch_size)
        .with_learning_rate(lr)
        .with_lr_decay(lr_decay)
        .with_seed(seed)
        .with_adversarial((adversarial_eps > 0.0).then(|| {
            AdversarialConfig::new()
                .with_eps(adversarial_eps)
                .with_steps(adversarial_steps)
                .with_alpha_ratio(alpha_ratio)
                .with_warmup_epochs(warmup_epochs)
        }));
        let config = preset.map_or(config, |p| p.config());
        let batch_size = config.batch_size;
        if let Some(batches) = losses_after {
            let mut trainer = Trainer::new(Trainer::initial_model(&config, device), config.clone(), train_set, device);
            let mut losses = Vec::with_capacity(batches);
            while losses.len() < batches && !trainer.finished() {
                losses.push(adversarial_digits::attacks::block_on(trainer.step()).unwrap_or_else(|e| fail(e)).loss);
            }
            println!("{}", serde_json::json!({ "losses": losses }));
            return;
        }
        let trained_on = train_set.len(); // the digits go to the trainer
        let batches = trained_on.div_ceil(batch_size);
        let bar = ProgressBar::new((batches * epochs) as u64);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} batches, {per_sec}, eta {eta} {msg}")
                .unwrap()
                .progress_chars("=> "),
        );
        let start = Instant::now();
        let mut smoothed = None;
        let report = |event| match event {
            Event::Batch(p) => {
                let s = smoothed.map_or(p.loss, |s: f32| 0.98 * s + 0.02 * p.loss);
                smoothed = Some(s);
                bar.inc(1);
                if p.batch % 20 == 0 {
                    bar.set_message(format!("epoch {}/{} loss {s:.4}", p.epoch + 1, config.epochs));
                }
            }
            Event::Epoch(c) => bar.suspend(|| eprintln!(
                "epoch {}: held-out accuracy {:.2}%{}{}",
                c.epoch + 1,
                c.clean_accuracy * 100.0,
                c.pgd_accuracy.map_or(String::new(), |a| format!(", under PGD-10 {:.2}%", a * 100.0)),
                if c.collapsed { " — collapsed: keeping the best earlier epoch and stopping" } else { "" }
            )),
        };
        let check_set = (check > 0).then_some(&check_set);
        let model = match &init {
            Some(path) => {
                let bytes = std::fs::read(path).unwrap_or_else(|e| fail(e));
                let autodiff = device.clone().autodiff();
                autodiff.seed(seed);
                let start_model = weights::load_trainable(&bytes, &autodiff).unwrap_or_else(|e| fail(e));
                train_from(start_model, &config, train_set, check_set, &device, report)
            }
            None => train(&config, train_set, check_set, &device, report),
        };
        bar.finish();
        let seconds = start.elapsed().as_secs_f64();
        let accuracy = inference::accuracy(&model, &test_set, &device);
        let training = match &config.adversarial {
            Some(a) => format!("adversarial training eps {}, {} step(s) of {} eps", a.eps, a.steps, a.alpha_ratio),
            None => "clean training".to_string(),
        };
        let description = format!(
            "DigitNet conv{conv1}-conv{conv2}-fc{hidden}, {training}, {epochs} epochs{}, seed {seed}, test accuracy {accuracy:.4}",
            init.as_ref().map_or(String::new(), |p| format!(" from {}", p.display()))
        );
        let bytes = weights::to_bytes(&model, &description);
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(e));
        }
        std::fs::write(&out, &bytes).unwrap_or_else(|e| fail(e));
        println!(
            "trained on {} digits in {seconds:.0} s ({:.0} digits/s); test accuracy {:.2}%; wrote {} ({} bytes)",
            trained_on,
            (trained_on * epochs) as f64 / seconds,
            accuracy * 100.0,
            out.display(),
            bytes.len()
        );
    }
}
