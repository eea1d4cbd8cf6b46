//! The page downloads 8-bit copies of the weights (`models/*.i8.safetensors`, a quarter of the
//! bytes). These tests keep them honest: each is exactly its F32 file quantised once, and on all
//! 10,000 MNIST test digits it answers like the F32 network it was made from.

mod common;

use adversarial_digits::inference::{argmax, probabilities};
use adversarial_digits::weights::{self, Precision};
use common::*;

const MODELS: [&str; 2] = ["standard", "robust"];

fn read(name: &str) -> Vec<u8> {
    std::fs::read(root().join("models").join(name)).unwrap_or_else(|e| panic!("models/{name}: {e}"))
}

#[test]
fn each_eight_bit_file_is_its_full_precision_file_quantised() {
    for model in MODELS {
        let full = read(&format!("{model}.safetensors"));
        let quantised = read(&format!("{model}.i8.safetensors"));
        assert!(
            weights::convert(&full, Precision::I8).unwrap() == quantised,
            "models/{model}.i8.safetensors is stale: run `cargo run --release -- convert --model \
             models/{model}.safetensors --out models/{model}.i8.safetensors`"
        );
        assert!(quantised.len() * 100 < full.len() * 26, "{} bytes vs {}", quantised.len(), full.len());
    }
}

#[test]
fn eight_bit_networks_answer_like_full_precision_ones_on_the_test_set() {
    let data = test_digits(10_000);
    assert_eq!(data.len(), 10_000);
    for model in MODELS {
        let full = weights::load(&read(&format!("{model}.safetensors")), &device()).unwrap();
        let quantised = weights::load(&read(&format!("{model}.i8.safetensors")), &device()).unwrap();

        // One pass of each network over the test set gives accuracies, labels and probabilities.
        let (mut correct, mut max_difference, mut disagreements) = ([0usize; 2], 0f32, 0);
        for (chunk, labels) in data.pixels.chunks(1000 * 784).zip(data.labels.chunks(1000)) {
            let p = probabilities(&full, chunk, &device());
            let q = probabilities(&quantised, chunk, &device());
            for ((x, y), &label) in p.chunks_exact(10).zip(q.chunks_exact(10)).zip(labels) {
                max_difference = x.iter().zip(y).map(|(u, v)| (u - v).abs()).fold(max_difference, f32::max);
                let (a, b) = (argmax(x), argmax(y));
                disagreements += usize::from(a != b);
                correct[0] += usize::from(a == label as usize);
                correct[1] += usize::from(b == label as usize);
            }
        }
        let [a, b] = correct.map(|c| c as f64 / data.len() as f64);
        assert!((a - b).abs() <= 0.0005, "{model}: accuracy {a} (f32) vs {b} (i8)");
        assert!(disagreements <= 10, "{model}: {disagreements} of 10,000 labels differ");
        assert!(max_difference <= 0.05, "{model}: a probability moved by {max_difference}");
        eprintln!("{model}: accuracy {a:.4} (f32) vs {b:.4} (i8), {disagreements} labels differ, max |Δp| {max_difference:.2e}");
    }
}
