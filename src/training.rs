//! Supervised training on MNIST with Adam and a decaying learning rate.
//!
//! Small random translations (up to `shift` pixels) are applied to each training digit: the
//! network then relies less on exact positions, which is worth a few tenths of a percent of test
//! accuracy and helps with digits drawn by hand on the page.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::loss::cross_entropy_with_logits;

use crate::data::Dataset;
use crate::model::{CLASSES, DigitNet, DigitNetConfig, IMAGE_PIXELS, IMAGE_SIDE, images_tensor};
use crate::rng::SplitMix64;

/// Training hyper-parameters.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    pub model: DigitNetConfig,
    #[config(default = 6)]
    pub epochs: usize,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Learning rate multiplier applied after each epoch.
    #[config(default = 0.6)]
    pub lr_decay: f64,
    /// Largest random translation of training digits, in pixels (0: none).
    #[config(default = 2)]
    pub shift: usize,
    #[config(default = 42)]
    pub seed: u64,
}

/// What the trainer reports after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub epoch: usize,
    pub batch: usize,
    pub batches: usize,
    pub loss: f32,
}

/// Moves a digit by `(dx, dy)` pixels, filling with black.
pub fn translate(image: &[f32], dx: isize, dy: isize, out: &mut [f32]) {
    let side = IMAGE_SIDE as isize;
    for y in 0..side {
        for x in 0..side {
            let (sx, sy) = (x - dx, y - dy);
            out[(y * side + x) as usize] = if (0..side).contains(&sx) && (0..side).contains(&sy) {
                image[(sy * side + sx) as usize]
            } else {
                0.0
            };
        }
    }
}

/// One-hot encoding of labels as a `[n, 10]` float tensor.
pub fn one_hot(labels: &[usize], device: &Device) -> Tensor<2> {
    let mut data = vec![0.0f32; labels.len() * CLASSES];
    for (i, &l) in labels.iter().enumerate() {
        data[i * CLASSES + l] = 1.0;
    }
    Tensor::from_data(TensorData::new(data, [labels.len(), CLASSES]), device)
}

/// Trains a network from scratch on `device` (autodiff is enabled here) and returns it in
/// inference mode. `report` is called after every batch.
pub fn train(
    config: &TrainingConfig,
    data: &Dataset,
    device: &Device,
    mut report: impl FnMut(Progress),
) -> DigitNet {
    let device = device.clone().autodiff();
    device.seed(config.seed);
    let mut rng = SplitMix64::new(config.seed);
    let mut model = config.model.init(&device);
    let mut optimizer = AdamConfig::new().init();
    let batches = data.len().div_ceil(config.batch_size);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut batch_pixels = vec![0.0f32; config.batch_size * IMAGE_PIXELS];
    let shift = config.shift as isize;

    for epoch in 0..config.epochs {
        let lr = config.learning_rate * config.lr_decay.powi(epoch as i32);
        rng.shuffle(&mut order);
        for (batch, indices) in order.chunks(config.batch_size).enumerate() {
            let n = indices.len();
            let mut labels = Vec::with_capacity(n);
            for (slot, &i) in indices.iter().enumerate() {
                let (dx, dy) = if shift > 0 {
                    (rng.below(2 * shift as usize + 1) as isize - shift, rng.below(2 * shift as usize + 1) as isize - shift)
                } else {
                    (0, 0)
                };
                translate(data.image(i), dx, dy, &mut batch_pixels[slot * IMAGE_PIXELS..(slot + 1) * IMAGE_PIXELS]);
                labels.push(data.labels[i] as usize);
            }
            let images = images_tensor(&batch_pixels[..n * IMAGE_PIXELS], &device);
            let loss = cross_entropy_with_logits(model.forward(images), one_hot(&labels, &device));
            let loss_value = loss.clone().into_scalar::<f32>();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(lr, model, grads);
            report(Progress { epoch, batch, batches, loss: loss_value });
        }
    }
    model.valid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translate_moves_and_fills_with_black() {
        let mut image = vec![0.0; IMAGE_PIXELS];
        image[10 * IMAGE_SIDE + 10] = 1.0;
        let mut out = vec![0.5; IMAGE_PIXELS];
        translate(&image, 2, -1, &mut out);
        assert_eq!(out[9 * IMAGE_SIDE + 12], 1.0);
        assert_eq!(out.iter().sum::<f32>(), 1.0);
    }

    #[test]
    fn a_few_steps_reduce_the_loss_on_a_tiny_set() {
        // Two synthetic classes: a vertical bar (label 1) and a ring (label 0).
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for k in 0..32 {
            let mut img = vec![0.0f32; IMAGE_PIXELS];
            for y in 4..24 {
                for x in 4..24 {
                    let on = if k % 2 == 0 { (12..16).contains(&x) } else { !(8..20).contains(&x) || !(8..20).contains(&y) };
                    img[y * IMAGE_SIDE + x] = if on { 1.0 } else { 0.0 };
                }
            }
            pixels.extend(img);
            labels.push(if k % 2 == 0 { 1 } else { 0 });
        }
        let data = Dataset { pixels, labels };
        let config = TrainingConfig::new(DigitNetConfig::new().with_conv1_channels(4).with_conv2_channels(4).with_hidden(16))
            .with_epochs(10)
            .with_batch_size(8)
            .with_learning_rate(3e-3)
            .with_lr_decay(1.0)
            .with_shift(0);
        let mut losses = Vec::new();
        let model = train(&config, &data, &Device::flex(), |p| losses.push(p.loss));
        assert_eq!(losses.len(), 40);
        let first: f32 = losses[..4].iter().sum();
        let last: f32 = losses[36..].iter().sum();
        assert!(last < first / 4.0, "{losses:?}");
        assert_eq!(crate::inference::accuracy(&model, &data, &Device::flex()), 1.0);
    }
}
