//! What the network looks at: the feature-visualisation techniques that adversarial examples
//! grew out of. Each uses the same input-gradient machinery as the attacks ([`crate::attacks`]).
//!
//! - [`saliency`]: which pixels move a class score (vanilla gradient, SmoothGrad,
//!   gradient × input, integrated gradients).
//! - [`class_visualization`]: an image the network finds maximally "3" (activation
//!   maximisation with jitter, blur and L2 decay).
//! - [`fooling`]: noise the network reads as a digit with 99% confidence; [`evolution`]: the
//!   same found by evolution, from the network's answers alone.
//! - [`features`]: the first layer's filters and every layer's feature maps.

pub mod class_visualization;
pub mod evolution;
pub mod features;
pub mod fooling;
pub mod saliency;

use burn::prelude::*;

use crate::gradients::{ComputeError, read};
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS};

/// Gradient of each image's class score (its logit for `classes[i]`, before the softmax) with
/// respect to its pixels, and the logits. Class scores, not probabilities: a probability's
/// gradient also depends on every other class (Simonyan et al. 2013).
pub fn class_score_gradient(model: &DigitNet, images: Tensor<4>, classes: &[usize]) -> (Tensor<4>, Tensor<2>) {
    assert_eq!(images.dims()[0], classes.len(), "one class per image");
    assert!(classes.iter().all(|&c| c < CLASSES), "classes are digits 0-9");
    let device = images.device();
    let x = images.detach().autodiff().require_grad();
    let logits = model.forward(x.clone());
    let score = (logits.clone() * crate::gradients::one_hot(classes, &device).autodiff()).sum();
    let grads = score.backward();
    (x.grad(&grads).expect("the input requires a gradient"), logits.without_autodiff())
}

/// `[n, 1, 28, 28]` images and their `[n, 10]` probabilities in one read-back:
/// `(784 pixels per image, 10 probabilities per image)`.
pub async fn read_images_and_probabilities(images: Tensor<4>, probabilities: Tensor<2>) -> Result<(Vec<f32>, Vec<f32>), ComputeError> {
    let n = images.dims()[0];
    let joined = Tensor::cat(vec![images.reshape([n, IMAGE_PIXELS]), probabilities], 1);
    let values = read(joined).await?;
    let mut pixels = Vec::with_capacity(n * IMAGE_PIXELS);
    let mut probabilities = Vec::with_capacity(n * CLASSES);
    for row in values.chunks(IMAGE_PIXELS + CLASSES) {
        pixels.extend_from_slice(&row[..IMAGE_PIXELS]);
        probabilities.extend_from_slice(&row[IMAGE_PIXELS..]);
    }
    Ok((pixels, probabilities))
}
