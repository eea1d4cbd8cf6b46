//! `convert`: a weights file in another precision.

use std::path::PathBuf;

use clap::Args;

use super::fail;
use adversarial_digits::weights;

#[derive(Args)]
pub struct Convert {
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    /// i8 (8-bit weights, a scale per output channel), f16 or f32.
    #[arg(long, default_value = "i8")]
    pub precision: String,
    /// Put the network behind an input squeezer of this many grey levels (a defence that only
    /// masks the gradient; 0 removes one), recorded in the file's metadata.
    #[arg(long)]
    pub input_levels: Option<u32>,
}

impl Convert {
    pub fn run(self) {
        let Convert { model, out, precision, input_levels } = self;
        let precision = match precision.as_str() {
            "f16" => weights::Precision::F16,
            "f32" => weights::Precision::F32,
            "i8" => weights::Precision::I8,
            other => fail(format!("unknown precision `{other}` (i8, f16 or f32)")),
        };
        let bytes = std::fs::read(&model).unwrap_or_else(|e| fail(format!("{}: {e}", model.display())));
        let mut converted = weights::convert(&bytes, precision).unwrap_or_else(|e| fail(e));
        if let Some(levels) = input_levels {
            converted = weights::with_input_levels(&converted, (levels > 0).then_some(levels)).unwrap_or_else(|e| fail(e));
        }
        std::fs::write(&out, &converted).unwrap_or_else(|e| fail(e));
        println!("wrote {} ({} bytes, was {})", out.display(), converted.len(), bytes.len());
    }
}
