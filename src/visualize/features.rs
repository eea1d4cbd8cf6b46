//! Inside the network: the first layer's filters and the feature maps of every layer for one
//! digit, read back in one transfer.

use burn::prelude::*;

use crate::gradients::{ComputeError, read};
use crate::model::{DigitNet, images_tensor};

/// One layer's activations (or weights) for one image: `channels` maps of `height x width`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Maps {
    pub name: &'static str,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// `channels * height * width` values, channel by channel, row by row.
    pub values: Vec<f32>,
}

/// The activations of one image (784 pixels) after each layer: conv1 and conv2 (after ReLU,
/// before pooling), the hidden layer (128 units, as 1x1 maps) and the ten logits.
pub async fn feature_maps(model: &DigitNet, pixels: &[f32], device: &Device) -> Result<Vec<Maps>, ComputeError> {
    let activations = model.forward_activations(images_tensor(pixels, device));
    let layers: [(&'static str, Tensor<4>); 4] = [
        ("conv1", activations.conv1),
        ("conv2", activations.conv2),
        ("hidden", unsqueeze_units(activations.hidden)),
        ("logits", unsqueeze_units(activations.logits)),
    ];
    let shapes: Vec<_> = layers.iter().map(|(name, t)| (*name, t.dims())).collect();
    let flat = Tensor::cat(layers.into_iter().map(|(_, t)| t.flatten::<1>(0, 3)).collect(), 0);
    let values = read(flat).await?;
    let mut offset = 0;
    Ok(shapes
        .into_iter()
        .map(|(name, [_, channels, height, width])| {
            let len = channels * height * width;
            let maps = Maps { name, channels, height, width, values: values[offset..offset + len].to_vec() };
            offset += len;
            maps
        })
        .collect())
}

/// `[1, units]` → `[1, units, 1, 1]`.
fn unsqueeze_units(t: Tensor<2>) -> Tensor<4> {
    let [n, units] = t.dims();
    t.reshape([n, units, 1, 1])
}

/// The first convolution's filters, 5x5 each.
pub async fn first_layer_filters(model: &DigitNet) -> Result<Maps, ComputeError> {
    let weight = model.block1.conv.weight.val();
    let [channels, _, height, width] = weight.dims();
    let values = read(weight).await?;
    Ok(Maps { name: "conv1 filters", channels, height, width, values })
}
