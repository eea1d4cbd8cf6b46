//! AutoAttack's evaluation for the CLI (Croce & Hein 2020): the chain of
//! [`crate::attacks::autoattack`] (APGD-CE, APGD-T, FAB-T, Square), each stage timed and folded as
//! AutoAttack prints it, with PGD-50×10 beside it and the worst case per digit over both.

use std::time::Instant;

use burn::prelude::*;

use crate::attacks::autoattack::{Stage, StagePlan, autoattack, run_stage};
use crate::attacks::pgd::PgdParams;
use crate::attacks::{AttackOptions, Method, block_on};
use crate::data::Dataset;
use crate::model::DigitNet;

/// One attack of the chain: the robust accuracy once it has run (cumulative), and alone.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Component {
    pub attack: String,
    /// Accuracy after this attack and every one before it.
    pub robust_accuracy: f64,
    /// Digits this attack fooled that the ones before it had not.
    pub newly_fooled: usize,
    pub seconds: f64,
}

/// What `eval --attack autoattack` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AutoAttackReport {
    pub attack: String,
    pub eps: f32,
    pub samples: usize,
    pub clean_accuracy: f64,
    /// Accuracy under the whole chain: robust against every attack.
    pub robust_accuracy: f64,
    /// The chain, in order.
    pub components: Vec<Component>,
    /// The project's earlier yardstick, PGD-50 with 10 restarts, alone on the same digits.
    pub pgd_50x10: f64,
    /// The worst case per digit over the chain and PGD-50×10: the figure to quote.
    pub worst_case: f64,
    /// What the standard version runs that this chain does not: nothing (kept for the report's readers).
    pub missing: Vec<String>,
}

impl AutoAttackReport {
    pub fn describe(&self, model: &str) -> String {
        let mut text = format!(
            "model {model}, AutoAttack (L∞, ε = {}), {} test digits\n  clean accuracy {:.2}%\n",
            self.eps,
            self.samples,
            self.clean_accuracy * 100.0
        );
        for c in &self.components {
            text += &format!("  after {:<10} {:.2}% ({} more fooled, {:.0} s)\n", c.attack, c.robust_accuracy * 100.0, c.newly_fooled, c.seconds);
        }
        text += &format!(
            "  robust accuracy {:.2}%\n  PGD-50x10 alone {:.2}%\n  worst case per digit {:.2}%",
            self.robust_accuracy * 100.0,
            self.pgd_50x10 * 100.0,
            self.worst_case * 100.0,
        );
        if !self.missing.is_empty() {
            text += &format!("\n  not run: {}", self.missing.join(", "));
        }
        text
    }
}

/// Runs the chain ([`crate::attacks::autoattack`]) on `data` at `eps` (L∞), `batch` digits at a
/// time, and PGD-50×10 beside it on the same digits.
pub fn evaluate_autoattack(model: &DigitNet, data: &Dataset, eps: f32, seed: u64, batch: usize, device: &Device) -> AutoAttackReport {
    let n = data.len();
    let labels: Vec<usize> = data.labels.iter().map(|&l| l as usize).collect();
    let count = |v: &[bool]| v.iter().filter(|&&r| r).count() as f64 / n.max(1) as f64;
    let mut clean = Vec::new();
    let mut components = Vec::new();
    let mut since = Instant::now();
    let robust = block_on(autoattack(model, &data.pixels, &labels, eps, seed, batch, device, &mut |name, robust, fooled| {
        if name == "clean" {
            clean = robust.to_vec();
        } else {
            components.push(Component { attack: name.to_string(), robust_accuracy: count(robust), newly_fooled: fooled, seconds: since.elapsed().as_secs_f64() });
        }
        since = Instant::now();
    }))
    .expect("attack on valid input");

    // PGD-50×10 alone, on every digit read correctly, for the comparison and the worst case.
    let pgd = StagePlan {
        name: "pgd-50x10".into(),
        stage: Stage::Method(Method::Pgd),
        options: AttackOptions { eps, seed, steps: 50, pgd: PgdParams { restarts: 10 }, ..AttackOptions::default() },
        target_rank: None,
    };
    let mut survives_pgd = clean.clone();
    block_on(run_stage(model, &data.pixels, &labels, &[], &pgd, &mut survives_pgd, batch, device)).expect("attack on valid input");
    // Fold the nine runs of APGD-T, and of FAB-T, into one line each, as AutoAttack prints them.
    let mut folded: Vec<Component> = Vec::new();
    for c in components {
        let family = c.attack.split(" #").next().unwrap_or_default().to_string();
        match folded.last_mut() {
            Some(last) if last.attack == family && c.attack.contains(" #") => {
                last.robust_accuracy = c.robust_accuracy;
                last.newly_fooled += c.newly_fooled;
                last.seconds += c.seconds;
            }
            _ => folded.push(Component { attack: family, ..c }),
        }
    }
    let worst: Vec<bool> = (0..n).map(|i| robust[i] && survives_pgd[i]).collect();
    AutoAttackReport {
        attack: "autoattack".into(),
        eps,
        samples: n,
        clean_accuracy: count(&clean),
        robust_accuracy: count(&robust),
        components: folded,
        pgd_50x10: count(&survives_pgd),
        worst_case: count(&worst),
        missing: Vec::new(),
    }
}
