//! Classification: probabilities, labels and accuracy, on any device.

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::data::Dataset;
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, images_tensor};

/// The network's answer for one image.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prediction {
    pub label: usize,
    pub probabilities: Vec<f32>,
}

impl Prediction {
    /// Reads the label off ten probabilities (ties go to the smaller digit).
    pub fn from_probabilities(probabilities: Vec<f32>) -> Self {
        let label = argmax(&probabilities);
        Self { label, probabilities }
    }
}

/// Index of the largest value (the first one on ties, NaN never wins).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best
}

/// Probabilities for `n` images given as `n * 784` pixels, flattened `[n * 10]`.
pub fn probabilities(model: &DigitNet, pixels: &[f32], device: &Device) -> Vec<f32> {
    let logits = model.forward(images_tensor(pixels, device));
    softmax(logits, 1).into_data().try_to_vec::<f32>().expect("f32 output")
}

/// Classifies each image.
pub fn predict(model: &DigitNet, pixels: &[f32], device: &Device) -> Vec<Prediction> {
    probabilities(model, pixels, device)
        .chunks_exact(CLASSES)
        .map(|p| Prediction::from_probabilities(p.to_vec()))
        .collect()
}

/// Predicted labels for a whole data set, in batches.
pub fn predict_labels(model: &DigitNet, data: &Dataset, batch: usize, device: &Device) -> Vec<usize> {
    data.pixels
        .chunks(batch * IMAGE_PIXELS)
        .flat_map(|chunk| predict(model, chunk, device).into_iter().map(|p| p.label))
        .collect()
}

/// Fraction of `data` classified correctly.
pub fn accuracy(model: &DigitNet, data: &Dataset, device: &Device) -> f64 {
    let labels = predict_labels(model, data, 500, device);
    let correct = labels.iter().zip(&data.labels).filter(|(p, l)| **p == **l as usize).count();
    correct as f64 / data.len().max(1) as f64
}

/// [`probabilities`] for the browser: the read-back is asynchronous, as WebGPU requires
/// (a synchronous read-back would block the page and, in Chromium, lose the device).
pub async fn probabilities_async(model: &DigitNet, pixels: &[f32], device: &Device) -> Result<Vec<f32>, String> {
    let logits = model.forward(images_tensor(pixels, device));
    let data = softmax(logits, 1).into_data_async().await.map_err(|e| e.to_string())?;
    data.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))
}
