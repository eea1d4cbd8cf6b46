//! `export-samples`: the page's sample digits as a small IDX pair.

use std::path::PathBuf;

use clap::Args;

use super::fail;
use adversarial_digits::data::{DEFAULT_MNIST_DIR, Dataset, Split};

#[derive(Args)]
pub struct ExportSamples {
    #[arg(long, default_value = DEFAULT_MNIST_DIR)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 100)]
    pub count: usize,
    #[arg(long, default_value = "www/data")]
    pub out: PathBuf,
}

impl ExportSamples {
    pub fn run(self) {
        let ExportSamples { data, count, out } = self;
        let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(count);
        let (images, labels) = adversarial_digits::data::encode_idx(&test_set.pixels, &test_set.labels);
        std::fs::create_dir_all(&out).unwrap_or_else(|e| fail(e));
        std::fs::write(out.join("samples-images-idx3-ubyte"), images).unwrap_or_else(|e| fail(e));
        std::fs::write(out.join("samples-labels-idx1-ubyte"), labels).unwrap_or_else(|e| fail(e));
        println!("wrote {} test digits to {}", test_set.len(), out.display());
    }
}
