//! AutoAttack's chain (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an
//! ensemble of diverse parameter-free attacks"), the standard version, L∞: APGD-CE; APGD-T with
//! the DLR loss towards each of the 9 other classes in the order of the clean logits; FAB-T (the
//! targeted Fast Adaptive Boundary attack, 100 steps) towards the same 9 classes in the same
//! order; the Square Attack with 5,000 queries. Each attack runs on the digits the ones before
//! left standing; a digit counts as robust only if it survives them all. FAB minimises the
//! perturbation rather than bounding it, so a digit counts as fooled by it only when its
//! adversarial lies within ε (and, as in AutoAttack, when it is misread at all, whether or not
//! the run reached its target).
//!
//! Device-generic and `async`: the CLI's evaluation (`eval --attack autoattack`, with timings and
//! PGD-50×10 beside it) and the page's masking lesson run the same chain.

use burn::prelude::*;

use super::apgd::{ApgdLoss, ApgdParams};
use super::fab::{FabParams, Success, fab_with};
use super::{AttackOptions, AttackResult, Goal, Method, apgd, measure, run};
use crate::gradients::{ComputeError, read};
use crate::inference::probabilities_of;
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, images_tensor};

/// What a stage of the chain runs: a method of the catalogue, or FAB-T (AutoAttack's version:
/// any misread digit counts, not only one in the target class).
#[derive(Clone, Copy)]
pub enum Stage {
    Method(Method),
    FabT,
}

/// One stage, as the chain runs it: its name (the nine targeted runs of APGD-T and of FAB-T are
/// `apgd-t #k`, `fab-t #k`), what it runs, and its options.
pub struct StagePlan {
    pub name: String,
    pub stage: Stage,
    pub options: AttackOptions,
    /// The rank (1: the most likely other class) of the class each digit is aimed at; `None`: untargeted.
    pub target_rank: Option<usize>,
}

/// The standard version's stages at `eps`.
pub fn standard_stages(eps: f32, seed: u64) -> Vec<StagePlan> {
    let base = AttackOptions { eps, seed, ..AttackOptions::default() };
    let mut stages = vec![StagePlan {
        name: "apgd-ce".into(),
        stage: Stage::Method(Method::Apgd),
        options: AttackOptions { steps: 100, apgd: ApgdParams { loss: Some(ApgdLoss::Ce) }, ..base.clone() },
        target_rank: None,
    }];
    let dlr = AttackOptions { steps: 100, apgd: ApgdParams { loss: Some(ApgdLoss::Dlr) }, ..base.clone() };
    for k in 1..CLASSES {
        stages.push(StagePlan { name: format!("apgd-t #{k}"), stage: Stage::Method(Method::Apgd), options: dlr.clone(), target_rank: Some(k) });
    }
    // AutoAttack's `n_target_classes` for FAB-T: all 9 other classes, as for APGD-T.
    for k in 1..CLASSES {
        stages.push(StagePlan { name: format!("fab-t #{k}"), stage: Stage::FabT, options: AttackOptions { steps: 100, ..base.clone() }, target_rank: Some(k) });
    }
    stages.push(StagePlan { name: "square".into(), stage: Stage::Method(Method::Square), options: AttackOptions { queries: 5000, ..base }, target_rank: None });
    stages
}

/// Each digit's classes from the most to the least likely (the logits' order too).
pub async fn logit_order(model: &DigitNet, pixels: &[f32], device: &Device) -> Result<Vec<Vec<usize>>, ComputeError> {
    let mut order = Vec::with_capacity(pixels.len() / IMAGE_PIXELS);
    for chunk in pixels.chunks(500 * IMAGE_PIXELS) {
        let probabilities = read(probabilities_of(model, images_tensor(chunk, device))).await?;
        for row in probabilities.chunks(CLASSES) {
            let mut classes: Vec<usize> = (0..CLASSES).collect();
            classes.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
            order.push(classes);
        }
    }
    Ok(order)
}

/// Runs `stage` on the digits still `robust` (`batch` at a time) and marks those it fools within
/// `eps`; returns how many it fooled.
pub async fn run_stage(model: &DigitNet, pixels: &[f32], labels: &[usize], order: &[Vec<usize>], plan: &StagePlan, robust: &mut [bool], batch: usize, device: &Device) -> Result<usize, ComputeError> {
    let n = labels.len();
    let open: Vec<usize> = (0..n).filter(|&i| robust[i]).collect();
    let mut fooled = 0;
    for chunk in open.chunks(batch.max(1)) {
        let chunk_pixels: Vec<f32> = chunk.iter().flat_map(|&i| pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].iter().copied()).collect();
        let chunk_labels: Vec<usize> = chunk.iter().map(|&i| labels[i]).collect();
        let goal = match plan.target_rank {
            Some(k) => Goal { labels: chunk_labels.clone(), targets: Some(chunk.iter().map(|&i| order[i][k]).collect()) },
            None => Goal::untargeted(&chunk_labels),
        };
        let images = images_tensor(&chunk_pixels, device);
        let results: Vec<AttackResult> = match plan.stage {
            Stage::Method(Method::Apgd) => measure(model, &chunk_pixels, &goal, apgd(model, images, &goal, &plan.options).await?).await?,
            Stage::Method(method) => run(method, model, &chunk_pixels, &chunk_labels, &plan.options, device).await?,
            Stage::FabT => measure(model, &chunk_pixels, &goal, fab_with(model, images, &goal, &plan.options, &FabParams::default(), Success::Misread).await?.0).await?,
        };
        for (&i, r) in chunk.iter().zip(&results) {
            // Misread within the budget: FAB's minimal adversarial may lie beyond ε (the
            // others stay inside by construction); a hair of tolerance for rounding.
            if r.label != labels[i] && r.norms.linf <= plan.options.eps + 1e-5 {
                robust[i] = false;
                fooled += 1;
            }
        }
    }
    Ok(fooled)
}

/// The chain on a batch of digits: which ones the network reads correctly (`clean`), and after
/// each stage which ones are still robust. `after_stage(name, robust)` is called as each ends
/// (a page's progress, the CLI's timings).
pub async fn autoattack(
    model: &DigitNet,
    pixels: &[f32],
    labels: &[usize],
    eps: f32,
    seed: u64,
    batch: usize,
    device: &Device,
    after_stage: &mut dyn FnMut(&str, &[bool], usize),
) -> Result<Vec<bool>, ComputeError> {
    let order = logit_order(model, pixels, device).await?;
    let mut robust: Vec<bool> = order.iter().zip(labels).map(|(classes, &l)| classes[0] == l).collect();
    after_stage("clean", &robust, 0);
    for plan in standard_stages(eps, seed) {
        let fooled = run_stage(model, pixels, labels, &order, &plan, &mut robust, batch, device).await?;
        after_stage(&plan.name, &robust, fooled);
    }
    Ok(robust)
}
