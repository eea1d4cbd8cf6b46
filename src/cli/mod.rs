//! The subcommands, one module each: its options (clap's `Args`) and its `run`.

pub mod bench;
pub mod convert;
pub mod eval;
pub mod export_samples;
pub mod predict;
pub mod train;

use adversarial_digits::attacks::Method;

/// `--attack`: a name of the attacks' catalogue (or an alias `Method::parse` knows).
pub fn parse_method(name: &str) -> Result<Method, String> {
    Method::parse(name).ok_or_else(|| {
        let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
        format!("unknown attack `{name}` (one of {})", names.join(", "))
    })
}

/// Prints `message` as the command's error and exits with status 1.
pub fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
