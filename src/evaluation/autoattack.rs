//! AutoAttack's evaluation (Croce & Hein 2020, "Reliable evaluation of adversarial robustness
//! with an ensemble of diverse parameter-free attacks"): attacks of different kinds in a chain,
//! each run on the digits that survived the ones before; a digit counts as robust only if it
//! survives them all.
//!
//! The chain of the standard version, L∞: APGD-CE; APGD-T with the DLR loss towards each of the
//! 9 other classes in the order of the clean logits; FAB-T (the targeted Fast Adaptive Boundary
//! attack, 100 steps) towards the same 9 classes in the same order; the Square Attack with 5,000
//! queries. FAB minimises the perturbation rather than bounding it, so a digit counts as fooled
//! by it only when its adversarial lies within ε (and, as in AutoAttack, when it is misread at
//! all, whether or not the run reached its target).

use std::time::Instant;

use burn::prelude::*;

use crate::attacks::apgd::{ApgdLoss, ApgdParams};
use crate::attacks::fab::{FabParams, Success, fab_with};
use crate::attacks::pgd::PgdParams;
use crate::attacks::{AttackOptions, Goal, Method, apgd, block_on, measure, run};
use crate::data::Dataset;
use crate::inference::{predict_labels, probabilities};
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, images_tensor};

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

/// Runs the chain on `data` at `eps` (L∞), `batch` digits at a time.
pub fn evaluate_autoattack(model: &DigitNet, data: &Dataset, eps: f32, seed: u64, batch: usize, device: &Device) -> AutoAttackReport {
    let n = data.len();
    let labels: Vec<usize> = data.labels.iter().map(|&l| l as usize).collect();
    let clean = predict_labels(model, data, 500, device);
    let mut robust: Vec<bool> = (0..n).map(|i| clean[i] == labels[i]).collect();
    let clean_accuracy = robust.iter().filter(|&&r| r).count() as f64 / n.max(1) as f64;
    let order = logit_order(model, data, device);
    let base = AttackOptions { eps, seed, ..AttackOptions::default() };
    let mut components = Vec::new();

    // Each attack on the digits still robust; `targets(i)` aims digit i (None: untargeted).
    let mut stage = |name: &str, attack: Stage, options: &AttackOptions, targets: &dyn Fn(usize) -> Option<usize>, robust: &mut Vec<bool>| {
        let start = Instant::now();
        let open: Vec<usize> = (0..n).filter(|&i| robust[i]).collect();
        let mut fooled = 0;
        for chunk in open.chunks(batch.max(1)) {
            let pixels: Vec<f32> = chunk.iter().flat_map(|&i| data.image(i).iter().copied()).collect();
            let chunk_labels: Vec<usize> = chunk.iter().map(|&i| labels[i]).collect();
            let goal = match chunk.iter().map(|&i| targets(i)).collect::<Option<Vec<_>>>() {
                Some(t) => Goal { labels: chunk_labels.clone(), targets: Some(t) },
                None => Goal::untargeted(&chunk_labels),
            };
            let results = block_on(async {
                let images = images_tensor(&pixels, device);
                let crafted = match attack {
                    Stage::Method(Method::Apgd) => apgd(model, images, &goal, options).await?,
                    Stage::Method(method) => return run(method, model, &pixels, &chunk_labels, options, device).await,
                    Stage::FabT => fab_with(model, images, &goal, options, &FabParams::default(), Success::Misread).await?.0,
                };
                measure(model, &pixels, &goal, crafted).await
            })
            .expect("attack on valid input");
            for (&i, r) in chunk.iter().zip(&results) {
                // Misread within the budget: FAB's minimal adversarial may lie beyond ε (the
                // others stay inside by construction); a hair of tolerance for rounding.
                if r.label != labels[i] && r.norms.linf <= eps + 1e-5 {
                    robust[i] = false;
                    fooled += 1;
                }
            }
        }
        components.push(Component {
            attack: name.to_string(),
            robust_accuracy: robust.iter().filter(|&&r| r).count() as f64 / n.max(1) as f64,
            newly_fooled: fooled,
            seconds: start.elapsed().as_secs_f64(),
        });
    };

    let ce = AttackOptions { steps: 100, apgd: ApgdParams { loss: Some(ApgdLoss::Ce) }, ..base.clone() };
    stage("apgd-ce", Stage::Method(Method::Apgd), &ce, &|_| None, &mut robust);
    let dlr = AttackOptions { steps: 100, apgd: ApgdParams { loss: Some(ApgdLoss::Dlr) }, ..base.clone() };
    for k in 1..CLASSES {
        // The k-th most likely other class of the clean digit.
        stage(&format!("apgd-t #{k}"), Stage::Method(Method::Apgd), &dlr, &|i| Some(order[i][k]), &mut robust);
    }
    let fab = AttackOptions { steps: 100, ..base.clone() };
    for k in 1..=FabParams::default().target_classes.min(CLASSES - 1) {
        stage(&format!("fab-t #{k}"), Stage::FabT, &fab, &|i| Some(order[i][k]), &mut robust);
    }
    let square = AttackOptions { queries: 5000, ..base.clone() };
    stage("square", Stage::Method(Method::Square), &square, &|_| None, &mut robust);

    // PGD-50×10 alone, on every digit, for the comparison and the worst case.
    let pgd = AttackOptions { steps: 50, pgd: PgdParams { restarts: 10 }, ..base };
    let mut survives_pgd: Vec<bool> = (0..n).map(|i| clean[i] == labels[i]).collect();
    let mut pgd_stage = |robust: &mut Vec<bool>| stage("pgd-50x10", Stage::Method(Method::Pgd), &pgd, &|_| None, robust);
    pgd_stage(&mut survives_pgd);
    let pgd_component = components.pop().expect("the PGD stage");
    let count = |v: &[bool]| v.iter().filter(|&&r| r).count() as f64 / n.max(1) as f64;
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
        clean_accuracy,
        robust_accuracy: count(&robust),
        components: folded,
        pgd_50x10: pgd_component.robust_accuracy,
        worst_case: count(&worst),
        missing: Vec::new(),
    }
}

/// What a stage of the chain runs: a method of the catalogue, or FAB-T (AutoAttack's version:
/// any misread digit counts, not only one in the target class).
#[derive(Clone, Copy)]
enum Stage {
    Method(Method),
    FabT,
}

/// Each digit's classes from the most to the least likely (the logits' order too).
fn logit_order(model: &DigitNet, data: &Dataset, device: &Device) -> Vec<Vec<usize>> {
    let mut order = Vec::with_capacity(data.len());
    for chunk in data.pixels.chunks(500 * IMAGE_PIXELS) {
        for row in probabilities(model, chunk, device).chunks(CLASSES) {
            let mut classes: Vec<usize> = (0..CLASSES).collect();
            classes.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
            order.push(classes);
        }
    }
    order
}
