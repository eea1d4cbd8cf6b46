//! `eval`: accuracy on the test digits, clean or under an attack (with transfer and sweeps).

use std::path::PathBuf;

use burn::prelude::*;
use clap::Args;

use super::fail;
use adversarial_digits::attacks::carlini_wagner::CwParams;
use adversarial_digits::attacks::few_pixel::FewPixelParams;
use adversarial_digits::attacks::jsma::JsmaParams;
use adversarial_digits::attacks::eot;
use adversarial_digits::attacks::pgd::PgdParams;
use adversarial_digits::attacks::{AttackOptions, Method};
use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};
use adversarial_digits::evaluation::{evaluate_attack, evaluate_attack_and_survival, evaluate_autoattack, evaluate_transfer};
use adversarial_digits::{inference, weights};

#[derive(Args)]
pub struct Eval {
    #[arg(long, default_value = "models/standard.safetensors")]
    pub model: PathBuf,
    #[arg(long, default_value = DEFAULT_MNIST_DIR)]
    pub data: PathBuf,
    /// Evaluate on the first N test digits (default: all 10,000; 1,000 under attack).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also classify the adversarial examples with these other weights (transfer).
    #[arg(long)]
    pub transfer_to: Option<PathBuf>,
    /// The attack to evaluate against, by its name in the catalogue (a wrong name lists them
    /// all), or `autoattack`: the ensemble of APGD-CE, APGD-T, FAB-T and Square (L∞, at --eps).
    #[arg(long, value_parser = parse_attack)]
    pub attack: Option<EvalAttack>,
    /// Perturbation budget (L∞ or L2 radius).
    #[arg(long)]
    pub eps: Option<f32>,
    #[arg(long)]
    pub steps: Option<usize>,
    #[arg(long)]
    pub alpha: Option<f32>,
    #[arg(long)]
    pub restarts: Option<usize>,
    /// Target class; targeted methods without it aim at (label + 1) mod 10.
    #[arg(long)]
    pub target: Option<usize>,
    /// Pixel budget of the few-pixel attack.
    #[arg(long)]
    pub pixels: Option<usize>,
    /// JSMA: largest fraction of pixels that may change.
    #[arg(long)]
    pub max_fraction: Option<f32>,
    /// The query budget of the black-box attacks that take one (square, hopskipjump).
    #[arg(long)]
    pub queries: Option<usize>,
    /// Expectation over transformation for BIM and PGD: each step's gradient averaged over this
    /// many random print-and-camera transformations (`--eot` alone: `eot::DEFAULT_SAMPLES`, 8).
    /// Reports `survival` too.
    #[arg(long, num_args = 0..=1)]
    pub eot: Option<Option<usize>>,
    /// Put each successful adversarial digit through this many random transformations and report
    /// the share still fooled (`survival`; `--survival` alone, or `--eot`:
    /// `eot::SURVIVAL_TRANSFORMATIONS`, 200).
    #[arg(long, num_args = 0..=1)]
    pub survival: Option<Option<usize>>,
    /// C&W: binary search steps over c.
    #[arg(long)]
    pub search_steps: Option<usize>,
    /// C&W: first value of c.
    #[arg(long)]
    pub initial_c: Option<f32>,
    /// C&W: Adam learning rate.
    #[arg(long)]
    pub learning_rate: Option<f32>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print accuracy against a list of eps instead of one run.
    #[arg(long)]
    pub sweep: bool,
    /// The eps values of --sweep.
    #[arg(long, value_delimiter = ',', default_value = "0,0.05,0.1,0.15,0.2,0.25,0.3")]
    pub sweep_eps: Vec<f32>,
    /// Images per batch.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
}

/// What `--attack` names: one attack of the catalogue, or AutoAttack's ensemble.
#[derive(Clone, Copy)]
pub enum EvalAttack {
    Method(Method),
    AutoAttack,
}

fn parse_attack(name: &str) -> Result<EvalAttack, String> {
    if name.eq_ignore_ascii_case("autoattack") {
        return Ok(EvalAttack::AutoAttack);
    }
    Method::from_name(name).map(EvalAttack::Method).map_err(|e| e.replace(")", ", or autoattack)"))
}

impl Eval {
    pub fn run(self, device: &Device) {
        match self.attack {
            None => self.clean(device),
            Some(EvalAttack::AutoAttack) => self.autoattack(device),
            Some(EvalAttack::Method(method)) => self.attacked(method, device),
        }
    }

    fn autoattack(self, device: &Device) {
        let Eval { model, data, samples, json, eps, seed, batch, .. } = self;
        let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
        let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
        let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(samples.unwrap_or(1000));
        let report = evaluate_autoattack(&net, &test_set, eps.unwrap_or(0.3), seed, batch, device);
        if json {
            let mut value = serde_json::to_value(&report).unwrap();
            value["model"] = model.display().to_string().into();
            println!("{value}");
        } else {
            println!("{}", report.describe(&model.display().to_string()));
        }
    }

    fn attacked(self, method: Method, device: &Device) {
        let Eval { model, data, samples, json, eps, steps, alpha, restarts, target, pixels, max_fraction, search_steps, initial_c, learning_rate, queries, eot, survival, seed, sweep, sweep_eps, batch, transfer_to, .. } = self;
        let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
        let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
        let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(samples.unwrap_or(1000));
        let defaults = AttackOptions::for_method(method);
        let options = AttackOptions {
            eps: eps.unwrap_or(defaults.eps),
            steps: steps.unwrap_or(defaults.steps),
            alpha: alpha.or(defaults.alpha),
            target,
            seed,
            pgd: PgdParams { restarts: restarts.unwrap_or(defaults.pgd.restarts) },
            few_pixel: FewPixelParams { pixels_budget: pixels.unwrap_or(defaults.few_pixel.pixels_budget) },
            jsma: JsmaParams { max_fraction: max_fraction.unwrap_or(defaults.jsma.max_fraction) },
            cw: CwParams {
                search_steps: search_steps.unwrap_or(defaults.cw.search_steps),
                initial_c: initial_c.unwrap_or(defaults.cw.initial_c),
                learning_rate: learning_rate.unwrap_or(defaults.cw.learning_rate),
                ..defaults.cw
            },
            queries: queries.unwrap_or(defaults.queries),
            eot: eot.map_or(0, |n| n.unwrap_or(eot::DEFAULT_SAMPLES)),
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
            let asked = survival.or(eot.map(|_| None));
            let transformations = asked.map_or(0, |n| n.unwrap_or(eot::SURVIVAL_TRANSFORMATIONS));
            let report = evaluate_attack_and_survival(method, &net, &test_set, &options, batch, transformations, &device);
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

    fn clean(self, device: &Device) {
        let Eval { model, data, samples, json, .. } = self;
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
}
