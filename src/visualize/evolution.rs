//! Fooling images found by evolution, as Nguyen, Yosinski & Clune (2015, "Deep Neural Networks
//! are Easily Fooled") found theirs: no gradient, only the network's answers. [`super::fooling`]
//! climbs the gradient from the same noise; this module asks a [`ScoreOracle`], so it works on a
//! network the attacker cannot see inside.

use crate::attacks::ScoreOracle;
use crate::gradients::ComputeError;
use crate::model::{CLASSES, IMAGE_PIXELS};
use crate::rng::SplitMix64;

use super::fooling::starting_noise;

/// Settings of [`evolve_fooling_images`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EvolutionOptions {
    /// Children per generation (λ), in mirrored pairs; the better half are the parents.
    pub population: usize,
    /// The mutation's size: the standard deviation of the Gaussian noise added to each pixel.
    pub sigma: f32,
    /// Probability of the target at which an image is done.
    pub confidence: f32,
    /// The largest number of queries (images shown to the network) per target.
    pub queries: usize,
    /// Seed of the starting noise (the same noise as [`super::fooling`]'s) and the mutations.
    pub seed: u64,
}

impl Default for EvolutionOptions {
    /// λ = 20, σ = 0.1, 99% confidence, at most 20,000 queries per target: every class of the
    /// committed networks gets there within it (README, "Without the gradient").
    fn default() -> Self {
        Self { population: 20, sigma: 0.1, confidence: 0.99, queries: 20_000, seed: 0 }
    }
}

/// What [`evolve_fooling_images`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evolved {
    /// The fittest image found per target, 784 pixels each.
    pub pixels: Vec<f32>,
    /// Its 10 probabilities per target.
    pub probabilities: Vec<f32>,
    /// Queries each target used.
    pub queries: Vec<usize>,
    /// Generations run (the same for the whole batch).
    pub generations: usize,
    /// Per target: reached `confidence`.
    pub success: Vec<bool>,
}

/// Fooling images for `targets` by a (μ/μ_w, λ) evolution strategy (Rechenberg, Schwefel; the
/// weighted recombination of Hansen's CMA-ES, without its covariance): each generation mutates
/// the current image into λ children (mirrored pairs, image ± σ·noise, kept in [0, 1]), shows them
/// to the network, and makes the next image the weighted mean of the better half, ranked by the
/// log-probability of the target. Only ranks matter, so the network's scores serve as they come.
/// An image stops once a child reaches `confidence`; the fittest child seen is returned.
///
/// Starts from the seeded uniform noise the gradient version ([`super::fooling`]) starts from.
/// Every target still evolving is asked about in one batch per generation.
pub async fn evolve_fooling_images(oracle: &mut ScoreOracle<'_>, targets: &[usize], options: &EvolutionOptions) -> Result<Evolved, ComputeError> {
    if targets.is_empty() || targets.iter().any(|&t| t >= CLASSES) {
        return Err(ComputeError::BadInput("targets must be digits 0-9".into()));
    }
    let n = targets.len();
    let pairs = (options.population / 2).max(1);
    let lambda = 2 * pairs;
    let parents = pairs;
    // Weights of the ranked parents: log-linear, summing to 1 (CMA-ES's default).
    let raw: Vec<f32> = (0..parents).map(|k| ((parents as f32 + 0.5).ln() - ((k + 1) as f32).ln()).max(0.0)).collect();
    let total: f32 = raw.iter().sum();
    let weights: Vec<f32> = raw.iter().map(|w| w / total).collect();

    let mut means = starting_noise(n, options.seed);
    // One stream per target: a target's images do not depend on the others asked with it.
    let mut rngs: Vec<SplitMix64> = (0..n).map(|i| SplitMix64::new(options.seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1)))).collect();
    let mut best = means.clone();
    let mut best_probabilities = vec![0.0; n * CLASSES];
    let mut best_fitness = vec![f32::NEG_INFINITY; n];
    let mut queries = vec![0usize; n];
    let mut done = vec![false; n];
    let mut generations = 0;
    let fitness = |p: &[f32], target: usize| p[target].max(1e-30).ln();

    loop {
        let open: Vec<usize> = (0..n).filter(|&i| !done[i] && queries[i] + lambda <= options.queries).collect();
        if open.is_empty() {
            break;
        }
        let mut children = Vec::with_capacity(open.len() * lambda * IMAGE_PIXELS);
        for &i in &open {
            let mean = &means[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
            for _ in 0..pairs {
                let noise: Vec<f32> = (0..IMAGE_PIXELS).map(|_| options.sigma * rngs[i].normal()).collect();
                children.extend(mean.iter().zip(&noise).map(|(m, z)| (m + z).clamp(0.0, 1.0)));
                children.extend(mean.iter().zip(&noise).map(|(m, z)| (m - z).clamp(0.0, 1.0)));
            }
        }
        let answers = oracle.probabilities(children.clone()).await?;
        generations += 1;
        for (slot, &i) in open.iter().enumerate() {
            queries[i] += lambda;
            let first = slot * lambda;
            let mut ranked: Vec<(f32, usize)> = (0..lambda).map(|c| (fitness(&answers[(first + c) * CLASSES..(first + c + 1) * CLASSES], targets[i]), first + c)).collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
            let (top_fitness, top) = ranked[0];
            if top_fitness > best_fitness[i] {
                best_fitness[i] = top_fitness;
                best[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].copy_from_slice(&children[top * IMAGE_PIXELS..(top + 1) * IMAGE_PIXELS]);
                best_probabilities[i * CLASSES..(i + 1) * CLASSES].copy_from_slice(&answers[top * CLASSES..(top + 1) * CLASSES]);
            }
            done[i] = best_probabilities[i * CLASSES + targets[i]] >= options.confidence;
            let mean = &mut means[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
            mean.fill(0.0);
            for (&(_, child), &w) in ranked.iter().zip(&weights) {
                for (m, c) in mean.iter_mut().zip(&children[child * IMAGE_PIXELS..(child + 1) * IMAGE_PIXELS]) {
                    *m += w * c;
                }
            }
        }
        oracle.report(&best, Some(&best_probabilities));
    }
    let success = (0..n).map(|i| best_probabilities[i * CLASSES + targets[i]] >= options.confidence).collect();
    Ok(Evolved { pixels: best, probabilities: best_probabilities, queries, generations, success })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attacks::block_on;

    /// A stand-in network for the unit test: linear scores, the target's rising with the mean
    /// brightness of the image's left half.
    fn left_half_oracle<'a>() -> ScoreOracle<'a> {
        ScoreOracle::new(|pixels: Vec<f32>| {
            let answers: Vec<f32> = pixels
                .chunks(IMAGE_PIXELS)
                .flat_map(|image| {
                    let left: f32 = (0..IMAGE_PIXELS).filter(|p| p % 28 < 14).map(|p| image[p]).sum::<f32>() / 392.0;
                    let right: f32 = (0..IMAGE_PIXELS).filter(|p| p % 28 >= 14).map(|p| image[p]).sum::<f32>() / 392.0;
                    let logits: Vec<f32> = (0..CLASSES).map(|c| if c == 3 { 40.0 * (left - right) } else { 0.0 }).collect();
                    let top = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                    let sum: f32 = logits.iter().map(|l| (l - top).exp()).sum();
                    logits.into_iter().map(move |l| (l - top).exp() / sum).collect::<Vec<_>>()
                })
                .collect();
            Box::pin(async move { Ok(answers) })
        })
    }

    #[test]
    fn evolution_climbs_a_score_it_only_sees_and_keeps_to_its_budget() {
        let mut oracle = left_half_oracle();
        let options = EvolutionOptions { queries: 4000, ..EvolutionOptions::default() };
        let evolved = block_on(evolve_fooling_images(&mut oracle, &[3], &options)).unwrap();
        assert!(evolved.success[0], "p(3) = {}", evolved.probabilities[3]);
        assert!(evolved.queries[0] <= 4000 && evolved.queries[0] % 20 == 0);
        assert_eq!(oracle.queries(), evolved.queries[0]);
        // It got there by lightening the left half and darkening the right.
        let image = &evolved.pixels;
        let left: f32 = (0..IMAGE_PIXELS).filter(|p| p % 28 < 14).map(|p| image[p]).sum();
        let right: f32 = (0..IMAGE_PIXELS).filter(|p| p % 28 >= 14).map(|p| image[p]).sum();
        assert!(left > right + 10.0, "left {left}, right {right}");
        assert!(image.iter().all(|v| (0.0..=1.0).contains(v)));
        // A target it cannot reach in budget: it stops at the budget and says so.
        let mut oracle = left_half_oracle();
        let evolved = block_on(evolve_fooling_images(&mut oracle, &[5], &EvolutionOptions { queries: 100, ..options })).unwrap();
        assert!(!evolved.success[0]);
        assert_eq!(evolved.queries[0], 100);
    }
}
