//! The committed browser package must be built from the committed sources: a clean checkout
//! serves the page with no build step, so a stale `pkg/` would silently ship old code.

use std::path::Path;
use std::process::Command;

#[test]
fn pkg_is_built_from_the_current_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "pkg/adversarial_digits.js",
        "pkg/adversarial_digits_bg.wasm",
        "pkg/cpu/adversarial_digits.js",
        "pkg/cpu/adversarial_digits_bg.wasm",
        "models/standard.safetensors",
    ] {
        assert!(root.join(file).is_file(), "{file} is missing: run tools/build-wasm.sh (or train the model)");
    }
    let output = Command::new("bash").arg(root.join("tools/source-hash.sh")).output().expect("bash runs");
    assert!(output.status.success(), "tools/source-hash.sh failed: {}", String::from_utf8_lossy(&output.stderr));
    let now = String::from_utf8(output.stdout).unwrap();
    let built = std::fs::read_to_string(root.join("pkg/SOURCE_HASH")).expect("pkg/SOURCE_HASH");
    assert_eq!(
        built.trim(),
        now.trim(),
        "pkg/ is stale: src/, Cargo.toml, Cargo.lock or the build script changed since it was built. Run tools/build-wasm.sh and commit pkg/."
    );
}
