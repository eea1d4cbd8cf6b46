//! The CPU classification kernels (`src/kernels.rs`, `kernels/`) on the committed networks and
//! real MNIST test digits: the same logits as burn's own layer-by-layer operations.

mod common;

use adversarial_digits::model::{DigitNet, images_tensor};
use common::*;

fn logits_both_ways(model: &DigitNet, pixels: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let x = images_tensor(pixels, &device());
    let fused = model.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
    let layers = model.forward_activations(x);
    // What the fully connected layer reads: the second block's ReLU maps, max-pooled.
    let pooled = burn::nn::pool::MaxPool2dConfig::new([2, 2]).init().forward(layers.conv2);
    let hidden_inputs = pooled.into_data().try_to_vec::<f32>().unwrap();
    let reference = layers.logits.into_data().try_to_vec::<f32>().unwrap();
    (fused, reference, hidden_inputs)
}

#[test]
fn fused_classification_gives_burns_logits_on_real_digits() {
    let data = test_digits(200);
    for (name, model) in [("standard", standard_model()), ("robust", robust_model())] {
        // One batch of 200 and single digits: the kernels loop over the batch themselves.
        let pixels: Vec<f32> = (0..data.len()).flat_map(|i| data.image(i).to_vec()).collect();
        let (fused, reference, hidden_inputs) = logits_both_ways(&model, &pixels);
        let worst = fused.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "{name}: logits differ by {worst}");
        for i in [0, 7, 199] {
            let (one, _, _) = logits_both_ways(&model, data.image(i));
            let worst = one.iter().zip(&fused[i * 10..(i + 1) * 10]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "{name}, digit {i} alone and in the batch: {worst}");
        }
        // The sparse dense layer skips the zeros among its inputs: say how many there are.
        let zeros = hidden_inputs.iter().filter(|&&v| v == 0.0).count() as f64 / hidden_inputs.len() as f64;
        eprintln!("{name}: logits within {worst:.1e}; {:.0}% of the hidden layer's inputs are zero", 100.0 * zeros);
    }
}
