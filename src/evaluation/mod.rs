//! Robustness figures: how an attack fares on a data set.

use std::time::Instant;

use burn::prelude::*;

use crate::attacks::{AttackOptions, AttackResult, Method, block_on, run};
use crate::data::Dataset;
use crate::inference::predict_labels;
use crate::model::{DigitNet, IMAGE_PIXELS};

/// Mean and median of a list of values (0 when empty).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub mean: f64,
    pub median: f64,
}

impl Summary {
    pub fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Self { mean: 0.0, median: 0.0 };
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 };
        Self { mean: values.iter().sum::<f64>() / values.len() as f64, median }
    }
}

/// What `eval --attack` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttackReport {
    pub attack: String,
    pub samples: usize,
    pub clean_accuracy: f64,
    /// Accuracy on the attacked images (an image already misclassified counts as wrong).
    pub adversarial_accuracy: f64,
    /// Among the images classified correctly before the attack, the fraction where the attack
    /// reached its goal (any wrong class, or the target).
    pub success_rate: f64,
    /// Norms of the successful perturbations.
    pub l0: Summary,
    pub l2: Summary,
    pub linf: Summary,
    /// Structural similarity to the original (1: looks the same).
    pub ssim: Summary,
    /// Fraction of pixels changed by the successful perturbations (mean).
    pub changed_fraction: f64,
    /// The black-box attacks' queries per successful attack, as their papers report them; absent
    /// for the attacks that read the gradient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries: Option<Summary>,
    /// Asked for: the share of random print-and-camera transformations ([`crate::attacks::eot`])
    /// under which a successful adversarial digit still fools the network, averaged over them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survival: Option<Survival>,
    pub seconds_per_image: f64,
}

impl AttackReport {
    pub fn describe(&self, model: &str) -> String {
        format!(
            "model {model}, attack {}, {} test digits\n  clean accuracy       {:.2}%\n  adversarial accuracy {:.2}%\n  success rate         {:.2}%\n  L0   mean {:.1} median {:.1} (mean {:.2}% of pixels)\n  L2   mean {:.3} median {:.3}\n  L∞   mean {:.3} median {:.3}\n  SSIM mean {:.3} median {:.3}\n  time {:.1} ms per image",
            self.attack,
            self.samples,
            self.clean_accuracy * 100.0,
            self.adversarial_accuracy * 100.0,
            self.success_rate * 100.0,
            self.l0.mean,
            self.l0.median,
            self.changed_fraction * 100.0,
            self.l2.mean,
            self.l2.median,
            self.linf.mean,
            self.linf.median,
            self.ssim.mean,
            self.ssim.median,
            self.seconds_per_image * 1000.0
        ) + &self.queries.map_or(String::new(), |q| format!("\n  queries mean {:.1} median {:.1} (successful attacks)", q.mean, q.median))
            + &self.survival.map_or(String::new(), |s| format!("\n  survival {:.1}% of {} random transformations (successful attacks; {:.1}% over all digits)", s.mean * 100.0, s.transformations, s.over_all_digits * 100.0))
    }
}

/// Attacks every image of `data`, `batch` images per run.
fn attack_all(method: Method, model: &DigitNet, data: &Dataset, options: &AttackOptions, batch: usize, device: &Device) -> Vec<AttackResult> {
    let mut results = Vec::with_capacity(data.len());
    for (chunk, labels) in data.pixels.chunks(batch * IMAGE_PIXELS).zip(data.labels.chunks(batch)) {
        let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
        results.extend(block_on(run(method, model, chunk, &labels, options, device)).expect("attack on valid input"));
    }
    results
}

/// How adversarial digits fare under random transformations.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Survival {
    /// Transformations per digit.
    pub transformations: usize,
    /// The mean share still fooled, over the successful attacks.
    pub mean: f64,
    /// The same share counting every digit read correctly before the attack (0 where it failed).
    pub over_all_digits: f64,
}

/// Attacks every image of `data` (in batches) and summarises.
pub fn evaluate_attack(
    method: Method,
    model: &DigitNet,
    data: &Dataset,
    options: &AttackOptions,
    batch: usize,
    device: &Device,
) -> AttackReport {
    evaluate_attack_and_survival(method, model, data, options, batch, 0, device)
}

/// [`evaluate_attack`], and with `transformations > 0` each successful adversarial digit put
/// through that many random transformations ([`AttackReport::survival`]).
pub fn evaluate_attack_and_survival(
    method: Method,
    model: &DigitNet,
    data: &Dataset,
    options: &AttackOptions,
    batch: usize,
    transformations: usize,
    device: &Device,
) -> AttackReport {
    let clean = predict_labels(model, data, 500, device);
    let start = Instant::now();
    let results = attack_all(method, model, data, options, batch, device);
    let seconds = start.elapsed().as_secs_f64();
    let n = data.len().max(1) as f64;
    let correct: Vec<usize> = (0..data.len()).filter(|&i| clean[i] == data.labels[i] as usize).collect();
    let succeeded: Vec<usize> = correct.iter().copied().filter(|&i| results[i].success).collect();
    let pick = |f: &dyn Fn(usize) -> f64| succeeded.iter().map(|&i| f(i)).collect::<Vec<f64>>();
    AttackReport {
        attack: method.name().to_string(),
        samples: data.len(),
        clean_accuracy: correct.len() as f64 / n,
        adversarial_accuracy: (0..data.len()).filter(|&i| results[i].label == data.labels[i] as usize).count() as f64 / n,
        success_rate: succeeded.len() as f64 / correct.len().max(1) as f64,
        l0: Summary::of(&pick(&|i| results[i].norms.l0 as f64)),
        l2: Summary::of(&pick(&|i| results[i].norms.l2 as f64)),
        linf: Summary::of(&pick(&|i| results[i].norms.linf as f64)),
        ssim: Summary::of(&pick(&|i| results[i].norms.ssim as f64)),
        changed_fraction: Summary::of(&pick(&|i| results[i].norms.l0 as f64 / IMAGE_PIXELS as f64)).mean,
        queries: method.black_box().then(|| Summary::of(&pick(&|i| results[i].queries.unwrap_or(0) as f64))),
        survival: (transformations > 0).then(|| {
            let labels: Vec<usize> = succeeded.iter().map(|&i| data.labels[i] as usize).collect();
            let goal = crate::attacks::Goal::new(&labels, options.target.filter(|_| method.supports_target()), method.requires_target());
            let pixels: Vec<f32> = succeeded.iter().flat_map(|&i| results[i].adversarial.iter().copied()).collect();
            let shares = if labels.is_empty() {
                Vec::new()
            } else {
                block_on(crate::attacks::eot::survival(model, &pixels, &goal, transformations, options.seed.wrapping_add(99), device)).expect("transformations on valid input")
            };
            let total: f64 = shares.iter().map(|&s| s as f64).sum();
            Survival { transformations, mean: total / shares.len().max(1) as f64, over_all_digits: total / correct.len().max(1) as f64 }
        }),
        seconds_per_image: seconds / n,
    }
}

/// Transfer: adversarial examples crafted on `source`, classified by `source` and by `target`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TransferReport {
    pub attack: String,
    pub samples: usize,
    /// Accuracy of the network the examples were crafted on.
    pub source_accuracy: f64,
    /// Accuracy of the other network on the same examples.
    pub target_accuracy: f64,
    /// Among the digits both read correctly before, the fraction each is fooled on.
    pub source_fooled: f64,
    pub target_fooled: f64,
}

/// Crafts on `source` and tests on both networks.
pub fn evaluate_transfer(
    method: Method,
    source: &DigitNet,
    target: &DigitNet,
    data: &Dataset,
    options: &AttackOptions,
    batch: usize,
    device: &Device,
) -> TransferReport {
    let labels: Vec<usize> = data.labels.iter().map(|&l| l as usize).collect();
    let clean_source = predict_labels(source, data, 500, device);
    let clean_target = predict_labels(target, data, 500, device);
    let results = attack_all(method, source, data, options, batch, device);
    // The attack already measured the source network's labels; only the target's are new.
    let on_source: Vec<usize> = results.iter().map(|r| r.label).collect();
    let crafted = Dataset { pixels: results.into_iter().flat_map(|r| r.adversarial).collect(), labels: data.labels.clone() };
    let on_target = predict_labels(target, &crafted, 500, device);
    let n = data.len().max(1) as f64;
    let accuracy = |predicted: &[usize]| predicted.iter().zip(&labels).filter(|(p, l)| p == l).count() as f64 / n;
    let both: Vec<usize> = (0..data.len()).filter(|&i| clean_source[i] == labels[i] && clean_target[i] == labels[i]).collect();
    let fooled = |predicted: &[usize]| both.iter().filter(|&&i| predicted[i] != labels[i]).count() as f64 / both.len().max(1) as f64;
    TransferReport {
        attack: method.name().to_string(),
        samples: data.len(),
        source_accuracy: accuracy(&on_source),
        target_accuracy: accuracy(&on_target),
        source_fooled: fooled(&on_source),
        target_fooled: fooled(&on_target),
    }
}

mod autoattack;
pub use autoattack::{AutoAttackReport, Component, evaluate_autoattack};
