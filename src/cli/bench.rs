//! `bench`: the page's operations timed natively, on the CPU or a GPU through wgpu.

use std::path::PathBuf;

use burn::prelude::*;
use clap::Args;

use super::fail;
use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};
use adversarial_digits::{benchmark, weights};

#[derive(Args)]
pub struct Bench {
    #[arg(long, default_value = "models/standard.i8.safetensors")]
    pub model: PathBuf,
    #[arg(long, default_value = DEFAULT_MNIST_DIR)]
    pub data: PathBuf,
    /// cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Timed calls per operation.
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
    /// Seconds of untimed calls before each operation is timed.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl Bench {
    pub fn run(self) {
        let Bench { model, data, device: name, runs, warmup, json } = self;
        let (device, described) = bench_device(&name);
        if runs == 0 || !(warmup.is_finite() && warmup >= 0.0) {
            fail("--runs must be at least 1 and --warmup a number of seconds");
        }
        let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
        let net = weights::load(&bytes, &device).unwrap_or_else(|e| fail(e));
        let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(100);
        let timings = benchmark::run(&net, &test_set, runs, std::time::Duration::from_secs_f64(warmup), &device);
        if json {
            println!("{}", serde_json::json!({"model": model.display().to_string(), "device": described, "timings": timings}));
        } else {
            println!("{} on {described}, {runs} timed runs after {warmup} s of warm-up per operation:\n", model.display());
            print!("{}", benchmark::table(&timings));
        }
    }
}

/// The device `bench --device` (and `train --device`) names, and what it is in words.
pub fn bench_device(name: &str) -> (Device, String) {
    match name {
        // Native flex has the CPU's own SIMD and rayon's threads (RAYON_NUM_THREADS=1 for one),
        // so it is a reference for the GPU rows, not a stand-in for the browser's CPU build.
        "cpu" => (Device::flex(), format!("the CPU (burn flex, native, {} rayon threads)", rayon_threads())),
        "wgpu" => wgpu_device(),
        other => fail(format!("unknown device `{other}` (cpu or wgpu)")),
    }
}

fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| std::thread::available_parallelism().map_or(1, |n| n.get()).to_string())
}

#[cfg(feature = "webgpu")]
fn wgpu_device() -> (Device, String) {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup()
        .unwrap_or_else(|e| fail(format!("wgpu could not start: {e}")));
    let info = setup.adapter.get_info();
    (device, format!("{} ({:?}, {:?}, driver {} {})", info.name, info.backend, info.device_type, info.driver, info.driver_info))
}

#[cfg(not(feature = "webgpu"))]
fn wgpu_device() -> (Device, String) {
    fail("this build has no wgpu: cargo run --release --features webgpu -- bench --device wgpu")
}
