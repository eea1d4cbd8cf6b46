//! `export-samples`: the page's sample digits as a small IDX pair, and the first of them again as
//! a smaller pair: the strip the page shows before its first prediction (the rest comes later).

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
    /// How many of them the strip's own, smaller pair holds (`samples-strip-*`).
    #[arg(long, default_value_t = 20)]
    pub strip: usize,
}

impl ExportSamples {
    pub fn run(self) {
        let ExportSamples { data, count, out, strip } = self;
        let test_set = Dataset::load(&data, Split::Test).unwrap_or_else(|e| fail(e)).take(count);
        std::fs::create_dir_all(&out).unwrap_or_else(|e| fail(e));
        for (name, set) in [("samples", test_set.clone()), ("samples-strip", test_set.clone().take(strip))] {
            let (images, labels) = adversarial_digits::data::encode_idx(&set.pixels, &set.labels);
            std::fs::write(out.join(format!("{name}-images-idx3-ubyte")), images).unwrap_or_else(|e| fail(e));
            std::fs::write(out.join(format!("{name}-labels-idx1-ubyte")), labels).unwrap_or_else(|e| fail(e));
        }
        println!("wrote {} test digits to {} (the first {} also as the strip's pair)", test_set.len(), out.display(), strip.min(test_set.len()));
    }
}
