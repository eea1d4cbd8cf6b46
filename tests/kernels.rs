//! The CPU classification kernels (`src/kernels.rs`, `kernels/`) on the committed networks and
//! real MNIST test digits: the same logits as burn's own layer-by-layer operations.

mod common;

use adversarial_digits::inference::logits;
use adversarial_digits::kernels::{conv_relu_pool_if_supported, linear_relu_if_supported, logits_if_supported};
use adversarial_digits::model::{images_tensor, normalise};
use common::*;

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max)
}

#[test]
fn fused_classification_gives_burns_logits_on_real_digits() {
    let data = test_digits(200);
    let pixels: Vec<f32> = (0..data.len()).flat_map(|i| data.image(i).to_vec()).collect();
    for (name, model) in [("standard", standard_model()), ("robust", robust_model())] {
        let x = images_tensor(&pixels, &device());
        let layers = model.forward_activations(x.clone());
        // What the fully connected layer reads: the second block's ReLU maps, max-pooled.
        let features = burn::nn::pool::MaxPool2dConfig::new([2, 2]).init().forward(layers.conv2).flatten::<2>(1, 3);
        // Otherwise both sides below would be burn's operations and agree trivially.
        assert!(conv_relu_pool_if_supported(&model.block1.conv, &normalise(x.clone())).is_some(), "{name}: conv1 takes the fused block");
        assert!(linear_relu_if_supported(&model.fc1, &features).is_some(), "{name}: fc1 takes the sparse layer");
        assert!(logits_if_supported(&model, &x).is_some(), "{name}: classification takes the kernels");

        // One batch of 200 and single digits: the kernels loop over the batch themselves.
        let fused = logits(&model, x).into_data().try_to_vec::<f32>().unwrap();
        let reference = layers.logits.into_data().try_to_vec::<f32>().unwrap();
        let worst = max_difference(&fused, &reference);
        assert!(worst < 1e-3, "{name}: logits differ by {worst}");
        for i in [0, 7, 199] {
            let one = logits(&model, images_tensor(data.image(i), &device())).into_data().try_to_vec::<f32>().unwrap();
            let apart = max_difference(&one, &fused[i * 10..(i + 1) * 10]);
            assert!(apart < 1e-4, "{name}, digit {i} alone and in the batch: {apart}");
        }
        // The sparse layer skips the zeros among its inputs: say how many there are.
        let features = features.into_data().try_to_vec::<f32>().unwrap();
        let zeros = features.iter().filter(|&&v| v == 0.0).count() as f64 / features.len() as f64;
        eprintln!("{name}: logits within {worst:.1e}; {:.0}% of the hidden layer's inputs are zero", 100.0 * zeros);
    }
}
