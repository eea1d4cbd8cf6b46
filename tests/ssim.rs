//! SSIM against a published implementation: scikit-image's `structural_similarity` with Wang et
//! al.'s settings, on pairs of MNIST digits and changed copies (tests/fixtures/ssim.json, written
//! by tools/ssim-reference.py).

use std::path::Path;

use adversarial_digits::ssim::ssim;

#[test]
fn ssim_equals_scikit_image_within_one_thousandth() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ssim.json");
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let pairs = fixture["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 6);
    let image = |v: &serde_json::Value| -> Vec<f32> { v.as_array().unwrap().iter().map(|b| b.as_f64().unwrap() as f32 / 255.0).collect() };
    for pair in pairs {
        let (a, b) = (image(&pair["a"]), image(&pair["b"]));
        let expected = pair["ssim"].as_f64().unwrap();
        let got = ssim(&a, &b) as f64;
        assert!((got - expected).abs() <= 1e-3, "{}: {got} against scikit-image's {expected}", pair["what"]);
    }
}
