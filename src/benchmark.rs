//! Native latency of the page's operations on one device: the browser bench's rows (one digit,
//! then batches), measured without a browser. Its reason to exist is the GPU: a native wgpu
//! device (Vulkan on Linux) shows what the arithmetic costs on real graphics hardware, where the
//! browser bench only ever had SwiftShader. Each call ends with one read-back, as in the page, so
//! a GPU's queue is drained inside the timed region.

use std::time::{Duration, Instant};

use burn::prelude::*;

use crate::attacks::{self, AttackOptions, Method, block_on};
use crate::data::Dataset;
use crate::inference;
use crate::model::{DigitNet, DigitNetConfig, IMAGE_PIXELS, images_tensor};
use crate::training::{AdversarialConfig, Trainer, TrainingConfig};

/// One timed operation: `images` digits per call.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Timing {
    pub name: String,
    pub images: usize,
    pub median_ms: f64,
    pub p10_ms: f64,
    pub p90_ms: f64,
    /// Timed calls (after the warm-up).
    pub runs: usize,
    /// The first call alone (kernel compilation and allocation on a GPU).
    pub first_ms: f64,
}

impl Timing {
    /// Median, 10th and 90th percentiles (nearest rank) of `times` in milliseconds.
    pub fn of(name: &str, images: usize, first_ms: f64, times: &[f64]) -> Self {
        assert!(!times.is_empty(), "at least one timed run");
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| sorted[((p * (sorted.len() - 1) as f64).round() as usize).min(sorted.len() - 1)];
        Self { name: name.into(), images, median_ms: rank(0.5), p10_ms: rank(0.1), p90_ms: rank(0.9), runs: times.len(), first_ms }
    }
}

/// What the bench runs: the browser bench's single-digit comparison rows and its batch rows, with
/// the same settings (FGSM ε = 0.1; PGD L∞ ε = 0.3, α = 0.01; APGD and the black-box attacks at ε = 0.3
/// and their own defaults; a PGD-10 point of a robustness curve).
#[derive(Debug, Clone, Copy)]
enum Work {
    Predict,
    InputGradient,
    Attack(Method, f32, usize, f32),
    /// A fooling image for a 3 by evolution, from the scores alone (its defaults).
    Evolve,
    /// One training step (Adam, batch of `images`): clean, or on PGD-k examples at ε = 0.3.
    Train(usize),
}

const OPERATIONS: [(&str, usize, Work); 17] = [
    ("predict", 1, Work::Predict),
    ("input gradient", 1, Work::InputGradient),
    ("fgsm", 1, Work::Attack(Method::Fgsm, 0.1, 1, 0.1)),
    ("pgd-40", 1, Work::Attack(Method::Pgd, 0.3, 40, 0.01)),
    ("apgd-100", 1, Work::Attack(Method::Apgd, 0.3, 100, 0.0)),
    ("fab-100", 1, Work::Attack(Method::Fab, 0.3, 100, 0.0)),
    ("square (≤1000 queries)", 1, Work::Attack(Method::Square, 0.3, 0, 0.0)),
    ("square-l2 (≤1000 queries)", 1, Work::Attack(Method::SquareL2, 2.0, 0, 0.0)),
    ("hopskipjump (5000 queries)", 1, Work::Attack(Method::HopSkipJump, 0.0, 0, 0.0)),
    ("evolved fooling image (one class)", 1, Work::Evolve),
    ("predict ×100", 100, Work::Predict),
    ("fgsm ×100", 100, Work::Attack(Method::Fgsm, 0.1, 1, 0.1)),
    ("pgd-10 ×50 (curve point)", 50, Work::Attack(Method::Pgd, 0.3, 10, 0.05)),
    ("train step ×64 (clean)", 64, Work::Train(0)),
    ("train step ×64 (PGD-3)", 64, Work::Train(3)),
    ("train step ×256 (clean)", 256, Work::Train(0)),
    ("train step ×256 (PGD-3)", 256, Work::Train(3)),
];

/// The operations' names, in the order [`run`] reports them.
pub fn operation_names() -> Vec<&'static str> {
    OPERATIONS.iter().map(|(name, ..)| *name).collect()
}

/// Times every operation on `model` (on `device`) with the first digits of `data`: each one is
/// called once alone, then warmed up for `warmup`, then timed `runs` times.
pub fn run(model: &DigitNet, data: &Dataset, runs: usize, warmup: Duration, device: &Device) -> Vec<Timing> {
    assert!(runs >= 1, "at least one timed run");
    OPERATIONS
        .iter()
        .map(|&(name, images, work)| {
            let batch = repeat(data, images);
            let labels: Vec<usize> = batch.labels.iter().map(|&l| l as usize).collect();
            let mut call: Box<dyn FnMut() + '_> = match work {
                // A trainer persists across calls: each call is its next batch.
                Work::Train(steps) => {
                    let mut trainer = trainer(repeat(data, images * 8), images, steps, device);
                    Box::new(move || {
                        block_on(trainer.step()).expect("a training step");
                    })
                }
                _ => Box::new(|| call(model, &batch.pixels, &labels, work, device)),
            };
            let start = Instant::now();
            call();
            let first_ms = start.elapsed().as_secs_f64() * 1e3;
            let warm = Instant::now();
            while warm.elapsed() < warmup {
                call();
            }
            let times: Vec<f64> = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    call();
                    start.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            Timing::of(name, images, first_ms, &times)
        })
        .collect()
}

/// One call of `work`, read back to the host.
fn call(model: &DigitNet, pixels: &[f32], labels: &[usize], work: Work, device: &Device) {
    match work {
        Work::Predict => {
            let probabilities = inference::probabilities(model, pixels, device);
            assert_eq!(probabilities.len(), labels.len() * 10);
        }
        Work::InputGradient => {
            let one_hot = crate::gradients::one_hot(labels, device);
            let gradient = crate::gradients::loss_gradient(model, images_tensor(pixels, device), one_hot);
            let values = gradient.into_data().try_to_vec::<f32>().expect("f32 gradient");
            assert_eq!(values.len(), pixels.len());
        }
        Work::Attack(method, eps, steps, alpha) => {
            // A zero leaves the method's own default (APGD and the black-box attacks take no α).
            let defaults = AttackOptions::for_method(method);
            let options = AttackOptions {
                eps,
                steps: if steps == 0 { defaults.steps } else { steps },
                alpha: (alpha > 0.0).then_some(alpha),
                ..defaults
            };
            let results = block_on(attacks::run(method, model, pixels, labels, &options, device)).expect("the attack runs");
            assert_eq!(results.len(), labels.len());
        }
        Work::Train(_) => unreachable!("a trainer keeps its state between calls (run)"),
        Work::Evolve => {
            let mut oracle = attacks::ScoreOracle::of_model(model, device);
            let options = crate::visualize::evolution::EvolutionOptions::default();
            let evolved = block_on(crate::visualize::evolution::evolve_fooling_images(&mut oracle, &[3], &options)).expect("evolution runs");
            assert_eq!(evolved.success.len(), 1);
        }
    }
}

/// A trainer of a fresh network on `data` in batches of `batch`: clean, or on PGD-`steps`
/// examples at ε = 0.3 (α = 2.5 ε / steps, no warm-up), with epochs enough for any timing.
fn trainer(data: Dataset, batch: usize, steps: usize, device: &Device) -> Trainer {
    let adversarial = (steps > 0).then(|| AdversarialConfig::new().with_steps(steps).with_alpha_ratio(2.5 / steps as f32).with_warmup_epochs(0));
    let config = TrainingConfig { adversarial, ..TrainingConfig::new(DigitNetConfig::new()).with_batch_size(batch).with_epochs(usize::MAX) };
    Trainer::new(Trainer::initial_model(&config, device), config, data, device)
}

/// The first `n` digits of `data`, repeated if it holds fewer.
fn repeat(data: &Dataset, n: usize) -> Dataset {
    assert!(!data.labels.is_empty(), "no digits to time");
    let count = data.labels.len();
    let pixels = (0..n).flat_map(|i| data.pixels[(i % count) * IMAGE_PIXELS..(i % count + 1) * IMAGE_PIXELS].iter().copied()).collect();
    Dataset { pixels, labels: (0..n).map(|i| data.labels[i % count]).collect() }
}

/// The timings as a Markdown table.
pub fn table(timings: &[Timing]) -> String {
    let mut out = String::from("| operation | median [p10–p90] ms | first call, ms | per digit, ms | runs |\n|---|---|---|---|---|\n");
    for t in timings {
        out.push_str(&format!(
            "| {} | {} [{}–{}] | {} | {} | {} |\n",
            t.name,
            ms(t.median_ms),
            ms(t.p10_ms),
            ms(t.p90_ms),
            ms(t.first_ms),
            ms(t.median_ms / t.images as f64),
            t.runs
        ));
    }
    out
}

/// Three significant digits, as the browser bench prints.
fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else if value >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_ranks() {
        let t = Timing::of("x", 4, 9.0, &[5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!((t.median_ms, t.p10_ms, t.p90_ms, t.runs), (3.0, 1.0, 5.0, 5));
        let one = Timing::of("x", 1, 1.0, &[7.0]);
        assert_eq!((one.median_ms, one.p10_ms, one.p90_ms), (7.0, 7.0, 7.0));
    }

    #[test]
    fn a_batch_repeats_the_digits_it_has() {
        let data = Dataset { pixels: (0..2 * IMAGE_PIXELS).map(|i| (i / IMAGE_PIXELS) as f32).collect(), labels: vec![3, 8] };
        let batch = repeat(&data, 5);
        assert_eq!(batch.labels, [3, 8, 3, 8, 3]);
        assert_eq!(batch.pixels.len(), 5 * IMAGE_PIXELS);
        assert_eq!(batch.pixels[4 * IMAGE_PIXELS], 0.0);
        assert_eq!(batch.pixels[3 * IMAGE_PIXELS], 1.0);
    }

    #[test]
    fn the_table_has_a_row_per_operation() {
        let rows = [Timing::of("predict", 1, 2.5, &[0.5]), Timing::of("fgsm ×100", 100, 300.0, &[150.0])];
        let table = table(&rows);
        assert!(table.contains("| predict | 0.500 [0.500–0.500] | 2.50 | 0.500 | 1 |"), "{table}");
        assert!(table.contains("| fgsm ×100 | 150 [150–150] | 300 | 1.50 | 1 |"), "{table}");
    }
}
