//! The gradient machinery the attacks, the visualisations and training share: one-hot labels, the
//! loss and its gradient with respect to the input, the logits' Jacobian, and reading tensors
//! back to the host without blocking (the browser's GPU can only be read asynchronously).

use std::fmt;

use burn::prelude::*;

use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, IMAGE_SIDE, images_tensor};

/// What can go wrong when the network computes: the caller's input, or the backend (a lost
/// GPU device, a failed read-back). The attacks, the visualisations and the wasm boundary share it.
#[derive(Debug, Clone, PartialEq)]
pub enum ComputeError {
    BadInput(String),
    Backend(String),
    /// The host cancelled the call at a checkpoint ([`crate::pace`]).
    Cancelled,
}

impl fmt::Display for ComputeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComputeError::BadInput(why) => write!(f, "{why}"),
            ComputeError::Backend(why) => write!(f, "the backend failed: {why}"),
            ComputeError::Cancelled => write!(f, "the operation was cancelled"),
        }
    }
}

impl std::error::Error for ComputeError {}

/// One-hot encoding of labels as a `[n, 10]` float tensor.
pub fn one_hot(labels: &[usize], device: &Device) -> Tensor<2> {
    let mut data = vec![0.0f32; labels.len() * CLASSES];
    for (i, &l) in labels.iter().enumerate() {
        data[i * CLASSES + l] = 1.0;
    }
    Tensor::from_data(TensorData::new(data, [labels.len(), CLASSES]), device)
}

/// Cross-entropy summed over the batch (so each image's gradient is its own, not divided by n).
pub fn cross_entropy_sum(logits: Tensor<2>, one_hot: Tensor<2>) -> Tensor<1> {
    burn::tensor::activation::log_softmax(logits, 1).mul(one_hot).sum().neg()
}

/// Gradient of the summed cross-entropy with respect to the input images: the direction in
/// which each pixel raises the loss of `labels` fastest.
pub fn loss_gradient(model: &DigitNet, images: Tensor<4>, labels_one_hot: Tensor<2>) -> Tensor<4> {
    loss_gradient_and_logits(model, images, labels_one_hot).0
}

/// [`loss_gradient`] and the logits of the same forward pass.
pub fn loss_gradient_and_logits(model: &DigitNet, images: Tensor<4>, labels_one_hot: Tensor<2>) -> (Tensor<4>, Tensor<2>) {
    let x = images.detach().autodiff().require_grad();
    let logits = model.forward(x.clone());
    let grads = cross_entropy_sum(logits.clone(), labels_one_hot.autodiff()).backward();
    (x.grad(&grads).expect("the input requires a gradient"), logits.without_autodiff())
}

/// Gradients of every logit with respect to the input: `[n, 10, 784]`, and the logits `[n, 10]`.
/// One backward pass over the batch repeated ten times (row `k` of copy `i` differentiates logit `k`).
pub fn logit_jacobian(model: &DigitNet, images: Tensor<4>) -> (Tensor<3>, Tensor<2>) {
    let n = images.dims()[0];
    let device = images.device();
    let repeated = images
        .detach()
        .unsqueeze_dim::<5>(1)
        .repeat_dim(1, CLASSES)
        .reshape([n * CLASSES, 1, IMAGE_SIDE, IMAGE_SIDE])
        .autodiff()
        .require_grad();
    let logits = model.forward(repeated.clone());
    let selector = Tensor::<2>::eye(CLASSES, &device).repeat_dim(0, n).autodiff();
    let grads = (logits.clone() * selector).sum().backward();
    let jacobian = repeated.grad(&grads).expect("input gradient").reshape([n, CLASSES, IMAGE_PIXELS]);
    let logits = logits.without_autodiff().reshape([n, CLASSES, CLASSES]).narrow(1, 0, 1).reshape([n, CLASSES]);
    (jacobian, logits)
}

/// Logits and logit Jacobians of a batch, read back to the host in one transfer.
pub struct JacobianRows {
    data: Vec<f32>,
}

impl JacobianRows {
    const WIDTH: usize = CLASSES + CLASSES * IMAGE_PIXELS;

    /// Computes [`logit_jacobian`] for `pixels` (`n * 784` values) and reads it back.
    pub async fn of(model: &DigitNet, pixels: &[f32], device: &Device) -> Result<Self, ComputeError> {
        let n = pixels.len() / IMAGE_PIXELS;
        let (jacobian, logits) = logit_jacobian(model, images_tensor(pixels, device));
        let data = read(Tensor::cat(vec![logits, jacobian.reshape([n, CLASSES * IMAGE_PIXELS])], 1)).await?;
        Ok(Self { data })
    }

    /// The ten logits of image `i`.
    pub fn logits(&self, i: usize) -> &[f32] {
        &self.data[i * Self::WIDTH..i * Self::WIDTH + CLASSES]
    }

    /// The gradient of logit `k` of image `i` with respect to its 784 pixels.
    pub fn gradient(&self, i: usize, k: usize) -> &[f32] {
        let start = i * Self::WIDTH + CLASSES + k * IMAGE_PIXELS;
        &self.data[start..start + IMAGE_PIXELS]
    }
}

/// Reads a float tensor back to the host without blocking (see [`crate::inference::read_floats`]).
/// Every read-back is a checkpoint ([`crate::pace`]): the work before it has been done.
pub async fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, ComputeError> {
    let values = crate::inference::read_floats(tensor).await.map_err(ComputeError::Backend)?;
    crate::pace::checkpoint().await?;
    Ok(values)
}
