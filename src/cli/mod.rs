//! The subcommands, one module each: its options (clap's `Args`) and its `run`.

pub mod bench;
pub mod convert;
pub mod eval;
pub mod export_samples;
pub mod predict;
pub mod train;

/// Prints `message` as the command's error and exits with status 1.
pub fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
