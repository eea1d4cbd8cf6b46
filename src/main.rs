//! The `adversarial-digits` command line: train the network, evaluate it, export samples.

use std::path::PathBuf;
use std::time::Instant;

use burn::prelude::*;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};
use adversarial_digits::model::DigitNetConfig;
use adversarial_digits::training::{TrainingConfig, train};
use adversarial_digits::{inference, weights};

#[derive(Parser)]
#[command(name = "adversarial-digits", version, about = "Adversarial examples on handwritten digits")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the classifier on the 60,000 MNIST training digits (CPU, seeded).
    Train {
        /// Directory with the four MNIST IDX files.
        #[arg(long, default_value = DEFAULT_MNIST_DIR)]
        data: PathBuf,
        /// Where to write the weights (safetensors, PyTorch layout).
        #[arg(long, default_value = "models/standard.safetensors")]
        out: PathBuf,
        #[arg(long, default_value_t = 6)]
        epochs: usize,
        #[arg(long, default_value_t = 64)]
        batch_size: usize,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Train on the first N digits only (quick experiments).
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, default_value_t = 16)]
        conv1: usize,
        #[arg(long, default_value_t = 32)]
        conv2: usize,
        #[arg(long, default_value_t = 128)]
        hidden: usize,
    },
    /// Measure accuracy on the MNIST test digits.
    Eval {
        #[arg(long, default_value = "models/standard.safetensors")]
        model: PathBuf,
        #[arg(long, default_value = DEFAULT_MNIST_DIR)]
        data: PathBuf,
        /// Evaluate on the first N test digits (default: all 10,000).
        #[arg(long)]
        samples: Option<usize>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write the first N test digits (and their labels) as a small IDX pair for the page.
    ExportSamples {
        #[arg(long, default_value = DEFAULT_MNIST_DIR)]
        data: PathBuf,
        #[arg(long, default_value_t = 100)]
        count: usize,
        #[arg(long, default_value = "www/data")]
        out: PathBuf,
    },
}

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

fn main() {
    let cli = Cli::parse();
    let device = Device::flex();
    match cli.command {
        Command::Train { data, out, epochs, batch_size, lr, seed, limit, conv1, conv2, hidden } => {
            let mut train_set = Dataset::load(&data, Split::Train).unwrap_or_else(|e| fail(e));
            if let Some(n) = limit {
                train_set = train_set.take(n);
            }
            let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e));
            let config = TrainingConfig::new(
                DigitNetConfig::new().with_conv1_channels(conv1).with_conv2_channels(conv2).with_hidden(hidden),
            )
            .with_epochs(epochs)
            .with_batch_size(batch_size)
            .with_learning_rate(lr)
            .with_seed(seed);
            let batches = train_set.len().div_ceil(batch_size);
            let bar = ProgressBar::new((batches * epochs) as u64);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} batches, {per_sec}, eta {eta} {msg}")
                    .unwrap()
                    .progress_chars("=> "),
            );
            let start = Instant::now();
            let mut smoothed = None;
            let model = train(&config, &train_set, &device, |p| {
                let s = smoothed.map_or(p.loss, |s: f32| 0.98 * s + 0.02 * p.loss);
                smoothed = Some(s);
                bar.inc(1);
                if p.batch % 20 == 0 {
                    bar.set_message(format!("epoch {}/{} loss {s:.4}", p.epoch + 1, config.epochs));
                }
            });
            bar.finish();
            let seconds = start.elapsed().as_secs_f64();
            let accuracy = inference::accuracy(&model, &test_set, &device);
            let description = format!(
                "DigitNet conv{conv1}-conv{conv2}-fc{hidden}, {epochs} epochs, seed {seed}, test accuracy {accuracy:.4}"
            );
            let bytes = weights::to_bytes(&model, &description);
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(e));
            }
            std::fs::write(&out, &bytes).unwrap_or_else(|e| fail(e));
            println!(
                "trained on {} digits in {seconds:.0} s ({:.0} digits/s); test accuracy {:.2}%; wrote {} ({} bytes)",
                train_set.len(),
                (train_set.len() * epochs) as f64 / seconds,
                accuracy * 100.0,
                out.display(),
                bytes.len()
            );
        }
        Command::Eval { model, data, samples, json } => {
            let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
            let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
            let mut test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e));
            if let Some(n) = samples {
                test_set = test_set.take(n);
            }
            let accuracy = inference::accuracy(&net, &test_set, &device);
            if json {
                println!(
                    "{}",
                    serde_json::json!({"model": model.display().to_string(), "samples": test_set.len(), "clean_accuracy": accuracy})
                );
            } else {
                println!("model {}: clean accuracy {:.2}% on {} test digits", model.display(), accuracy * 100.0, test_set.len());
            }
        }
        Command::ExportSamples { data, count, out } => {
            let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(count);
            let (images, labels) = adversarial_digits::data::encode_idx(&test_set.pixels, &test_set.labels);
            std::fs::create_dir_all(&out).unwrap_or_else(|e| fail(e));
            std::fs::write(out.join("samples-images-idx3-ubyte"), images).unwrap_or_else(|e| fail(e));
            std::fs::write(out.join("samples-labels-idx1-ubyte"), labels).unwrap_or_else(|e| fail(e));
            println!("wrote {} test digits to {}", test_set.len(), out.display());
        }
    }
}
