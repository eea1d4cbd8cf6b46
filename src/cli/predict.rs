//! `predict`: the network's probabilities for the first test digits as JSON, the reference
//! the browser tests compare against.

use std::path::PathBuf;

use burn::prelude::*;
use clap::Args;

use super::fail;
use adversarial_digits::attacks::{AttackOptions, Method};
use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};
use adversarial_digits::{inference, weights};

#[derive(Args)]
pub struct Predict {
    #[arg(long, default_value = "models/standard.safetensors")]
    pub model: PathBuf,
    #[arg(long, default_value = DEFAULT_MNIST_DIR)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Attack each digit first (with the method's default options and --eps) and report the
    /// adversarial predictions instead.
    #[arg(long, value_parser = Method::from_name)]
    pub attack: Option<Method>,
    #[arg(long)]
    pub eps: Option<f32>,
    #[arg(long)]
    pub target: Option<usize>,
}

impl Predict {
    pub fn run(self, device: &Device) {
        let Predict { model, data, samples, attack, eps, target } = self;
        let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
        let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
        let mut test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(samples);
        if let Some(method) = attack {
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
}
