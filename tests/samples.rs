//! The page's sample digits (www/data/, `adversarial-digits export-samples`): the first test
//! digits of MNIST, and the strip's smaller pair the first screen loads is exactly their start.

mod common;

use adversarial_digits::data::Dataset;
use common::*;

fn pair(name: &str) -> Dataset {
    let read = |kind: &str| std::fs::read(root().join(format!("www/data/{name}-{kind}"))).unwrap_or_else(|e| panic!("www/data/{name}-{kind}: {e}"));
    Dataset::from_idx(&read("images-idx3-ubyte"), &read("labels-idx1-ubyte")).expect("a valid IDX pair")
}

#[test]
fn the_strip_is_the_start_of_the_samples_and_the_samples_are_the_first_test_digits() {
    let all = pair("samples");
    let strip = pair("samples-strip");
    assert_eq!(all.len(), 100);
    assert_eq!(strip.len(), 20, "www/input/samples.js's STRIP_SAMPLES");
    assert_eq!(strip.labels, all.labels[..20]);
    assert_eq!(strip.pixels, all.pixels[..20 * 784]);
    let test = test_digits(100);
    assert_eq!(all.labels, test.labels);
    assert_eq!(all.pixels, test.pixels);
}
