//! The committed browser package must be built from the committed sources: a clean checkout
//! serves the page with no build step, so a stale `pkg/` would silently ship old code.
//!
//! `pkg/SOURCE_HASH` is written by `tools/build-wasm.sh` with `tools/source-hash.sh`; this test
//! runs the same script, so the two can never disagree on the algorithm.

use std::path::Path;
use std::process::Command;

const REBUILD: &str = "run `bash tools/build-wasm.sh` and commit pkg/";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn pkg_and_model_files_exist() {
    for file in [
        "pkg/adversarial_digits.js",
        "pkg/adversarial_digits_bg.wasm",
        "pkg/cpu/adversarial_digits.js",
        "pkg/cpu/adversarial_digits_bg.wasm",
        "pkg/train/adversarial_digits.js",
        "pkg/train/adversarial_digits_bg.wasm",
        "pkg/SOURCE_HASH",
    ] {
        let path = root().join(file);
        assert!(path.is_file(), "{file} is missing: {REBUILD}");
        assert!(std::fs::metadata(&path).unwrap().len() > 0, "{file} is empty: {REBUILD}");
    }
    for wasm in ["pkg/adversarial_digits_bg.wasm", "pkg/cpu/adversarial_digits_bg.wasm", "pkg/train/adversarial_digits_bg.wasm"] {
        let bytes = std::fs::read(root().join(wasm)).unwrap();
        assert!(bytes.starts_with(b"\0asm"), "{wasm} is not a WebAssembly module (a Git LFS pointer?): {REBUILD}");
    }
    assert!(
        root().join("models/standard.safetensors").is_file(),
        "models/standard.safetensors is missing: train it (README, Retraining) and commit it"
    );
    for model in ["standard", "robust"] {
        assert!(
            root().join(format!("models/{model}.i8.safetensors")).is_file(),
            "models/{model}.i8.safetensors (the page's copy) is missing: `cargo run --release -- convert \
             --model models/{model}.safetensors --out models/{model}.i8.safetensors`"
        );
    }
}

#[test]
fn pkg_is_built_from_the_current_sources() {
    let output = Command::new("bash")
        .arg(root().join("tools/source-hash.sh"))
        .current_dir(root())
        .output()
        .expect("bash must be installed to run tools/source-hash.sh");
    assert!(
        output.status.success(),
        "tools/source-hash.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let now = String::from_utf8(output.stdout).expect("a hex hash");
    let now = now.trim();
    assert!(
        now.len() == 64 && now.bytes().all(|b| b.is_ascii_hexdigit()),
        "tools/source-hash.sh printed {now:?}, not a sha256"
    );
    let built = std::fs::read_to_string(root().join("pkg/SOURCE_HASH"))
        .unwrap_or_else(|e| panic!("pkg/SOURCE_HASH cannot be read ({e}): {REBUILD}"));
    assert_eq!(
        built.trim(),
        now,
        "pkg/ is stale: src/, kernels/, Cargo.toml, Cargo.lock, .cargo/config.toml or tools/build-wasm.sh \
         changed since pkg/ was built: {REBUILD}"
    );
}
