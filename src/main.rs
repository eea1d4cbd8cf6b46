//! The `adversarial-digits` command line: train the network, evaluate it, export samples.

use std::path::PathBuf;
use std::time::Instant;

use burn::prelude::*;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};
use adversarial_digits::model::DigitNetConfig;
use adversarial_digits::training::{AdversarialConfig, Event, TrainingConfig, train, train_from};
use adversarial_digits::attacks::{AttackOptions, Method};
use adversarial_digits::evaluation::{evaluate_attack, evaluate_transfer};
use adversarial_digits::{benchmark, inference, weights};

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
        /// Learning-rate multiplier after each epoch.
        #[arg(long, default_value_t = 0.6)]
        lr_decay: f64,
        /// Train on FGSM examples with a random start of this L∞ radius (Wong et al. 2020):
        /// the defended model (0.3 for `models/robust.safetensors`). 0: clean training.
        #[arg(long, default_value_t = 0.0)]
        adversarial_eps: f32,
        /// Start from these weights instead of a random network (to continue training).
        #[arg(long)]
        init: Option<PathBuf>,
        /// Gradient steps per adversarial example: 1 is FGSM with a random start, more is PGD.
        #[arg(long, default_value_t = 1)]
        adversarial_steps: usize,
        /// Step size as a multiple of the radius (1.25 for FGSM, about 2.5 / steps for PGD).
        #[arg(long, default_value_t = 1.25)]
        alpha_ratio: f32,
        /// Epochs over which the adversarial radius grows from 0.
        #[arg(long, default_value_t = 1)]
        warmup_epochs: usize,
        /// Hold out the last N training digits and check accuracy (and PGD accuracy, when
        /// training adversarially) on them after each epoch. 0: train on all of them.
        #[arg(long, default_value_t = 0)]
        check: usize,
    },
    /// Measure accuracy on the MNIST test digits, clean or under an attack.
    Eval {
        #[arg(long, default_value = "models/standard.safetensors")]
        model: PathBuf,
        #[arg(long, default_value = DEFAULT_MNIST_DIR)]
        data: PathBuf,
        /// Evaluate on the first N test digits (default: all 10,000; 1,000 under attack).
        #[arg(long)]
        samples: Option<usize>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Also classify the adversarial examples with these other weights (transfer).
        #[arg(long)]
        transfer_to: Option<PathBuf>,
        /// Attack to evaluate against: fgsm, bim, pgd, pgd-l2, mi-fgsm, deepfool, cw, jsma, few-pixel.
        #[arg(long)]
        attack: Option<String>,
        /// Perturbation budget (L∞ or L2 radius).
        #[arg(long)]
        eps: Option<f32>,
        #[arg(long)]
        steps: Option<usize>,
        #[arg(long)]
        alpha: Option<f32>,
        #[arg(long)]
        restarts: Option<usize>,
        /// Target class; targeted methods without it aim at (label + 1) mod 10.
        #[arg(long)]
        target: Option<usize>,
        /// Pixel budget of the few-pixel attack.
        #[arg(long)]
        pixels: Option<usize>,
        /// JSMA: largest fraction of pixels that may change.
        #[arg(long)]
        max_fraction: Option<f32>,
        /// C&W: binary search steps over c.
        #[arg(long)]
        search_steps: Option<usize>,
        /// C&W: first value of c.
        #[arg(long)]
        initial_c: Option<f32>,
        /// C&W: Adam learning rate.
        #[arg(long)]
        learning_rate: Option<f32>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print accuracy against a list of eps instead of one run.
        #[arg(long)]
        sweep: bool,
        /// The eps values of --sweep.
        #[arg(long, value_delimiter = ',', default_value = "0,0.05,0.1,0.15,0.2,0.25,0.3")]
        sweep_eps: Vec<f32>,
        /// Images per batch.
        #[arg(long, default_value_t = 100)]
        batch: usize,
    },
    /// Print the network's probabilities for the first N test digits as JSON
    /// (`{"model", "samples", "labels", "predictions", "probabilities"}`): the reference the
    /// browser tests compare against.
    Predict {
        #[arg(long, default_value = "models/standard.safetensors")]
        model: PathBuf,
        #[arg(long, default_value = DEFAULT_MNIST_DIR)]
        data: PathBuf,
        #[arg(long, default_value_t = 1000)]
        samples: usize,
        /// Attack each digit first (with the method's default options and --eps) and report the
        /// adversarial predictions instead.
        #[arg(long)]
        attack: Option<String>,
        #[arg(long)]
        eps: Option<f32>,
        #[arg(long)]
        target: Option<usize>,
    },
    /// Rewrite a weights file in another precision: `--precision i8` quarters the download (the
    /// page loads `models/*.i8.safetensors`, made this way from the F32 files), `f16` halves it.
    Convert {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// i8 (8-bit weights, a scale per output channel), f16 or f32.
        #[arg(long, default_value = "i8")]
        precision: String,
    },
    /// Time the page's operations natively (one digit, then batches) and print a Markdown table:
    /// on the CPU (burn's flex with native SIMD and rayon's threads: a reference, not the browser's
    /// one-thread wasm) or on a GPU through wgpu (Vulkan on Linux; build with `--features webgpu`),
    /// where the browser bench only ever had an emulated one.
    Bench {
        #[arg(long, default_value = "models/standard.i8.safetensors")]
        model: PathBuf,
        #[arg(long, default_value = DEFAULT_MNIST_DIR)]
        data: PathBuf,
        /// cpu or wgpu.
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Timed calls per operation.
        #[arg(long, default_value_t = 30)]
        runs: usize,
        /// Seconds of untimed calls before each operation is timed.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// Print one JSON object instead of the table.
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

/// The device `bench --device` names, and what it is in words.
fn bench_device(name: &str) -> (Device, String) {
    match name {
        // Native flex has the CPU's own SIMD and rayon's threads (RAYON_NUM_THREADS=1 for one),
        // so it is a reference for the GPU rows, not a stand-in for the browser's CPU build.
        "cpu" => (Device::flex(), format!("the CPU (burn flex, native, {} rayon threads)", rayon_threads())),
        "wgpu" => wgpu_device(),
        other => fail(format!("unknown device `{other}` (cpu or wgpu)")),
    }
}

fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| std::thread::available_parallelism().map_or(1, |n| n.get()).to_string())
}

#[cfg(feature = "webgpu")]
fn wgpu_device() -> (Device, String) {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup()
        .unwrap_or_else(|e| fail(format!("wgpu could not start: {e}")));
    let info = setup.adapter.get_info();
    (device, format!("{} ({:?}, {:?}, driver {} {})", info.name, info.backend, info.device_type, info.driver, info.driver_info))
}

#[cfg(not(feature = "webgpu"))]
fn wgpu_device() -> (Device, String) {
    fail("this build has no wgpu: cargo run --release --features webgpu -- bench --device wgpu")
}

fn main() {
    let cli = Cli::parse();
    let device = Device::flex();
    match cli.command {
        Command::Train {
            data,
            out,
            epochs,
            batch_size,
            lr,
            seed,
            limit,
            conv1,
            conv2,
            hidden,
            lr_decay,
            adversarial_eps,
            init,
            adversarial_steps,
            alpha_ratio,
            warmup_epochs,
            check,
        } => {
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
            let batches = train_set.len().div_ceil(batch_size);
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
                    train_from(start_model, &config, &train_set, check_set, &device, report)
                }
                None => train(&config, &train_set, check_set, &device, report),
            };
            bar.finish();
            let seconds = start.elapsed().as_secs_f64();
            let accuracy = inference::accuracy(&model, &test_set, &device);
            let training = if adversarial_eps > 0.0 {
                format!("adversarial training eps {adversarial_eps}, {adversarial_steps} step(s) of {alpha_ratio} eps")
            } else {
                "clean training".to_string()
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
                train_set.len(),
                (train_set.len() * epochs) as f64 / seconds,
                accuracy * 100.0,
                out.display(),
                bytes.len()
            );
        }
        Command::Eval {
            model,
            data,
            samples,
            json,
            attack: Some(attack),
            eps,
            steps,
            alpha,
            restarts,
            target,
            pixels,
            max_fraction,
            search_steps,
            initial_c,
            learning_rate,
            seed,
            sweep,
            sweep_eps,
            batch,
            transfer_to,
        } => {
            let method = Method::parse(&attack).unwrap_or_else(|| fail(format!("unknown attack `{attack}`")));
            let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
            let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
            let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(samples.unwrap_or(1000));
            let defaults = AttackOptions::for_method(method);
            let options = AttackOptions {
                eps: eps.unwrap_or(defaults.eps),
                steps: steps.unwrap_or(defaults.steps),
                alpha: alpha.or(defaults.alpha),
                restarts: restarts.unwrap_or(defaults.restarts),
                target,
                pixels: pixels.unwrap_or(defaults.pixels),
                max_fraction: max_fraction.unwrap_or(defaults.max_fraction),
                search_steps: search_steps.unwrap_or(defaults.search_steps),
                initial_c: initial_c.unwrap_or(defaults.initial_c),
                learning_rate: learning_rate.unwrap_or(defaults.learning_rate),
                seed,
                ..defaults
            };
            let model_name = model.display().to_string();
            if let Some(other) = transfer_to {
                let bytes = std::fs::read(&other).unwrap_or_else(|e| fail(format!("{}: {e}", other.display())));
                let target_net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
                let report = evaluate_transfer(method, &net, &target_net, &test_set, &options, batch, &device);
                if json {
                    let mut value = serde_json::to_value(&report).unwrap();
                    value["source"] = model_name.into();
                    value["target"] = other.display().to_string().into();
                    println!("{value}");
                } else {
                    println!(
                        "{} crafted on {model_name}, {} test digits\n  accuracy on {model_name}: {:.2}% (fooled on {:.2}% of the digits both read correctly)\n  accuracy on {}: {:.2}% (fooled on {:.2}%)",
                        report.attack,
                        report.samples,
                        report.source_accuracy * 100.0,
                        report.source_fooled * 100.0,
                        other.display(),
                        report.target_accuracy * 100.0,
                        report.target_fooled * 100.0
                    );
                }
                return;
            }
            if sweep {
                let rows: Vec<_> = sweep_eps
                    .iter()
                    .map(|&e| {
                        let report = evaluate_attack(method, &net, &test_set, &AttackOptions { eps: e, ..options.clone() }, batch, &device);
                        if !json {
                            println!("{method} eps {e:.3}: accuracy {:.2}%", report.adversarial_accuracy * 100.0);
                        }
                        serde_json::json!({"eps": e, "adversarial_accuracy": report.adversarial_accuracy})
                    })
                    .collect();
                if json {
                    println!("{}", serde_json::json!({"model": model_name, "attack": method.name(), "samples": test_set.len(), "sweep": rows}));
                }
            } else {
                let report = evaluate_attack(method, &net, &test_set, &options, batch, &device);
                if json {
                    let mut value = serde_json::to_value(&report).unwrap();
                    value["model"] = model_name.into();
                    value["options"] = serde_json::to_value(&options).unwrap();
                    println!("{value}");
                } else {
                    println!("{}", report.describe(&model_name));
                }
            }
        }
        Command::Eval { model, data, samples, json, .. } => {
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
        Command::Predict { model, data, samples, attack, eps, target } => {
            let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
            let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
            let mut test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(samples);
            if let Some(name) = attack {
                let method = Method::parse(&name).unwrap_or_else(|| fail(format!("unknown attack `{name}`")));
                let defaults = AttackOptions::for_method(method);
                let options = AttackOptions { eps: eps.unwrap_or(defaults.eps), target, ..defaults };
                let labels: Vec<usize> = test_set.labels.iter().map(|&l| l as usize).collect();
                let results = adversarial_digits::attacks::block_on(adversarial_digits::attacks::run(
                    method, &net, &test_set.pixels, &labels, &options, &device,
                ))
                .unwrap_or_else(|e| fail(e));
                test_set.pixels = results.into_iter().flat_map(|r| r.adversarial).collect();
            }
            let predictions: Vec<_> = test_set
                .pixels
                .chunks(500 * adversarial_digits::model::IMAGE_PIXELS)
                .flat_map(|chunk| inference::predict(&net, chunk, &device))
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "model": model.display().to_string(),
                    "samples": test_set.len(),
                    "labels": test_set.labels,
                    "predictions": predictions.iter().map(|p| p.label).collect::<Vec<_>>(),
                    "probabilities": predictions.iter().map(|p| &p.probabilities).collect::<Vec<_>>(),
                })
            );
        }
        Command::Convert { model, out, precision } => {
            let precision = match precision.as_str() {
                "f16" => weights::Precision::F16,
                "f32" => weights::Precision::F32,
                "i8" => weights::Precision::I8,
                other => fail(format!("unknown precision `{other}` (i8, f16 or f32)")),
            };
            let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
            let converted = weights::convert(&bytes, precision).unwrap_or_else(|e| fail(e));
            std::fs::write(&out, &converted).unwrap_or_else(|e| fail(e));
            println!("wrote {} ({} bytes, was {})", out.display(), converted.len(), bytes.len());
        }
        Command::Bench { model, data, device: name, runs, warmup, json } => {
            let (device, described) = bench_device(&name);
            if runs == 0 || !(warmup.is_finite() && warmup >= 0.0) {
                fail("--runs must be at least 1 and --warmup a number of seconds");
            }
            let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
            let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
            let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(100);
            let timings = benchmark::run(&net, &test_set, runs, std::time::Duration::from_secs_f64(warmup), &device);
            if json {
                println!("{}", serde_json::json!({"model": model.display().to_string(), "device": described, "timings": timings}));
            } else {
                println!("{} on {described}, {runs} timed runs after {warmup} s of warm-up per operation:\n", model.display());
                print!("{}", benchmark::table(&timings));
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
