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

/// The network's logits for classification, where no gradient is needed: the CPU kernels where
/// they apply (`crate::kernels`, classification on burn's flex backend), the network's forward
/// pass everywhere else. The one place that chooses; both give the same values (tested).
pub fn logits(model: &DigitNet, images: Tensor<4>) -> Tensor<2> {
    #[cfg(feature = "flex")]
    if let Some(logits) = crate::kernels::logits_if_supported(model, &images) {
        return logits;
    }
    model.forward(images)
}

/// Softmax probabilities `[n, 10]` for a batch of images, as [`logits`] computes them.
pub fn probabilities_of(model: &DigitNet, images: Tensor<4>) -> Tensor<2> {
    softmax(logits(model, images), 1)
}

/// Probabilities for `n` images given as `n * 784` pixels, flattened `[n * 10]`.
pub fn probabilities(model: &DigitNet, pixels: &[f32], device: &Device) -> Vec<f32> {
    probabilities_of(model, images_tensor(pixels, device)).into_data().try_to_vec::<f32>().expect("f32 output")
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

/// Reads a float tensor back to the host without blocking, as WebGPU in browsers requires (a
/// synchronous read-back blocks the page and, in Chromium, loses the device).
pub async fn read_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, String> {
    let data = tensor.into_data_async().await.map_err(|e| one_line(&e.to_string()))?;
    data.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))
}

/// Folds a backend error's "Caused by:" chain into one line and drops its backtrace, so that
/// callers (the page, the CLI) can show it as a sentence.
pub fn one_line(text: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Backtrace") {
            break;
        }
        if !line.is_empty() && line != "Caused by:" && parts.last() != Some(&line) {
            parts.push(line);
        }
    }
    parts.join(": ")
}

/// [`accuracy`] with asynchronous read-backs (each a checkpoint), for the browser.
pub async fn accuracy_async(model: &DigitNet, data: &Dataset, device: &Device) -> Result<f64, crate::gradients::ComputeError> {
    let mut correct = 0;
    for (chunk, labels) in data.pixels.chunks(500 * IMAGE_PIXELS).zip(data.labels.chunks(500)) {
        let logits = crate::gradients::read(logits(model, images_tensor(chunk, device))).await?;
        correct += logits.chunks(10).zip(labels).filter(|(row, l)| argmax(row) == **l as usize).count();
    }
    Ok(correct as f64 / data.len().max(1) as f64)
}

/// [`probabilities`] for the browser: one asynchronous read-back.
pub async fn probabilities_async(model: &DigitNet, pixels: &[f32], device: &Device) -> Result<Vec<f32>, String> {
    read_floats(probabilities_of(model, images_tensor(pixels, device))).await
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn backend_error_chains_become_one_line() {
        let chain = "An error happened during execution\nCaused by:\n  The device is poisoned\nCaused by:\n  The device is poisoned\nBacktrace:\nNo backtrace available";
        assert_eq!(one_line(chain), "An error happened during execution: The device is poisoned");
        assert_eq!(one_line("plain"), "plain");
    }
}
