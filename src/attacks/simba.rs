use super::{AttackOptions, Goal, ScoreOracle};
use crate::gradients::ComputeError;
use crate::inference::argmax;
use crate::model::{CLASSES, IMAGE_PIXELS};

/// SimBA, the simple black-box attack (Guo, Gardner, You, Wilson & Weinberger 2019, "Simple
/// Black-box Adversarial Attacks"), in the pixel basis. It gets no model, only a [`ScoreOracle`]:
/// the network's output probabilities for the images it submits (a score-based black-box
/// attack). It takes the pixels one at a time in a seeded random order, tries the pixel ε darker,
/// and if the probability of the true digit does not fall (of the target: does not rise), ε
/// lighter; it keeps the first that helps and moves on, until the label changes (reaches the
/// target) or `steps` pixels have been tried.
///
/// Norm: L2, as the paper reports it: each kept change moves one pixel by ε (less at black or
/// white), so after k of them the change is at most √k·ε long; ε is the step, not a bound.
/// Defaults: ε = 0.2 (the paper's pixel-basis step on ImageNet, in [0, 1]), and every pixel tried
/// once (784): a shorter search leaves many digits unfooled (README, Attacks).
///
/// Returns the adversarial pixels and, per image, the queries it needed as the paper counts
/// them: one to start, then one per pixel tried, two where the darker try did not help. Two
/// questions per pixel tried (the darker candidates, then the lighter ones still needed), each
/// for every image still attacked at once.
pub async fn simba(oracle: &mut ScoreOracle<'_>, mut pixels: Vec<f32>, goal: &Goal, options: &AttackOptions) -> Result<(Vec<f32>, Vec<usize>), ComputeError> {
    let n = goal.len();
    let eps = options.eps;
    let mut order: Vec<usize> = (0..IMAGE_PIXELS).collect();
    crate::rng::SplitMix64::new(options.seed).shuffle(&mut order);
    // The attacker's score, higher is better: minus the true digit's probability, or the target's.
    let class = goal.classes().to_vec();
    let sign = if goal.targeted() { 1.0 } else { -1.0 };
    let start = oracle.probabilities(pixels.clone()).await?;
    let mut score: Vec<f32> = (0..n).map(|i| sign * start[i * CLASSES + class[i]]).collect();
    let mut active: Vec<bool> = (0..n).map(|i| !goal.reached(i, argmax(&start[i * CLASSES..(i + 1) * CLASSES]))).collect();
    let mut queries = vec![1usize; n];
    // The first image's probabilities, for the watcher.
    let mut shown = start[..CLASSES].to_vec();
    oracle.report(&pixels[..IMAGE_PIXELS], Some(&shown));

    for &p in order.iter().take(options.steps.min(IMAGE_PIXELS)) {
        if !active.contains(&true) {
            break;
        }
        let mut open: Vec<usize> = (0..n).filter(|&i| active[i]).collect();
        for delta in [-eps, eps] {
            // The candidates that change the pixel at all (black stays black under "darker").
            let mut batch = Vec::new();
            let mut asked = Vec::new(); // (image, new value)
            for &i in &open {
                let image = &pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
                let value = (image[p] + delta).clamp(0.0, 1.0);
                if value != image[p] {
                    batch.extend_from_slice(image);
                    batch[asked.len() * IMAGE_PIXELS + p] = value;
                    asked.push((i, value));
                }
            }
            if asked.is_empty() {
                continue;
            }
            let answers = oracle.probabilities(batch).await?;
            for (c, &(i, value)) in asked.iter().enumerate() {
                queries[i] += 1;
                let answer = &answers[c * CLASSES..(c + 1) * CLASSES];
                if sign * answer[class[i]] > score[i] {
                    score[i] = sign * answer[class[i]];
                    pixels[i * IMAGE_PIXELS + p] = value;
                    active[i] = !goal.reached(i, argmax(answer));
                    open.retain(|&j| j != i); // decided: the lighter try is never asked
                    if i == 0 {
                        shown.copy_from_slice(answer);
                    }
                }
            }
        }
        oracle.report(&pixels[..IMAGE_PIXELS], Some(&shown));
    }
    Ok((pixels, queries))
}
