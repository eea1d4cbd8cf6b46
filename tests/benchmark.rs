//! The native bench (`adversarial-digits bench`): every operation runs on the committed model and
//! real test digits and is reported, through the library and through the command line. Only
//! the shape of the report is checked, never a speed.

mod common;

use std::process::Command;
use std::time::Duration;

use adversarial_digits::benchmark::{self, operation_names};
use common::*;

#[test]
fn every_operation_is_timed() {
    let timings = benchmark::run(&standard_model(), &test_digits(3), 2, Duration::ZERO, &device());
    assert_eq!(timings.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), operation_names());
    for t in &timings {
        assert_eq!(t.runs, 2, "{}", t.name);
        assert!(t.images == 1 || t.name.contains('×'), "{}: {} images", t.name, t.images);
        assert!(t.first_ms > 0.0 && t.p10_ms > 0.0 && t.p10_ms <= t.median_ms && t.median_ms <= t.p90_ms, "{t:?}");
    }
    let batch = timings.iter().find(|t| t.name == "fgsm ×100").unwrap();
    assert_eq!(batch.images, 100);
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_adversarial-digits"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("the command line runs")
}

#[test]
fn the_command_prints_a_row_per_operation() {
    let output = cli(&["bench", "--runs", "1", "--warmup", "0"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("on the CPU (burn flex"), "{stdout}");
    for name in operation_names() {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("| {name} | "))), "no row for {name}:\n{stdout}");
    }
}

#[test]
fn the_command_refuses_what_it_cannot_do() {
    for (args, message) in [
        (&["bench", "--device", "tpu"][..], "unknown device `tpu`"),
        (&["bench", "--runs", "0"][..], "--runs must be at least 1"),
        (&["bench", "--model", "missing.safetensors"][..], "missing.safetensors"),
    ] {
        check_refusal(args, message);
    }
    // Without the feature the GPU is not linked, and the command says how to get it.
    #[cfg(not(feature = "webgpu"))]
    check_refusal(&["bench", "--device", "wgpu"], "--features webgpu");
}

fn check_refusal(args: &[&str], message: &str) {
    let output = cli(args);
    assert!(!output.status.success(), "{args:?} succeeded");
    assert!(String::from_utf8_lossy(&output.stderr).contains(message), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
}
