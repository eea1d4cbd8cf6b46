//! The command line: training, evaluation, prediction, weights conversion, benchmarks. One module
//! per subcommand (`src/cli/`), each its options and what it does.

use burn::prelude::*;
use clap::{Parser, Subcommand};

mod cli;

#[derive(Parser)]
#[command(name = "adversarial-digits", version, about = "Adversarial examples on handwritten digits")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the classifier on the 60,000 MNIST training digits (CPU, seeded).
    Train(cli::train::Train),
    /// Measure accuracy on the MNIST test digits, clean or under an attack.
    Eval(cli::eval::Eval),
    /// Print the network's probabilities for the first N test digits as JSON
    /// (`{"model", "samples", "labels", "predictions", "probabilities"}`): the reference the
    /// browser tests compare against.
    Predict(cli::predict::Predict),
    /// Rewrite a weights file in another precision: `--precision i8` quarters the download (the
    /// page loads `models/*.i8.safetensors`, made this way from the F32 files), `f16` halves it.
    Convert(cli::convert::Convert),
    /// Time the page's operations natively (one digit, then batches) and print a Markdown table:
    /// on the CPU (burn's flex with native SIMD and rayon's threads: a reference, not the browser's
    /// one-thread wasm) or on a GPU through wgpu (Vulkan on Linux; build with `--features webgpu`),
    /// where the browser bench only ever had an emulated one.
    Bench(cli::bench::Bench),
    /// Write the first N test digits (and their labels) as a small IDX pair for the page.
    ExportSamples(cli::export_samples::ExportSamples),
}

fn main() {
    let device = Device::flex();
    match Cli::parse().command {
        Command::Train(command) => command.run(),
        Command::Eval(command) => command.run(&device),
        Command::Predict(command) => command.run(&device),
        Command::Convert(command) => command.run(),
        Command::Bench(command) => command.run(),
        Command::ExportSamples(command) => command.run(),
    }
}
