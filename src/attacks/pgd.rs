use burn::prelude::*;

use super::basic_iterative::signed_gradient_steps;
use super::{
    AttackOptions, Crafted, DigitNet, FrameRecorder, Goal, attack_direction, image_mask, l2_norm, objective, uniform_noise,
};
use crate::gradients::ComputeError;
use crate::model::{IMAGE_PIXELS, images_tensor};

/// PGD's own parameter (Madry et al. 2018 report the strongest of several random starts).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PgdParams {
    /// Random restarts: the strongest of the runs is kept (1: a single run).
    pub restarts: usize,
}

impl Default for PgdParams {
    fn default() -> Self {
        Self { restarts: 1 }
    }
}

/// Projected Gradient Descent with a random start, L∞ (Madry, Makelov, Schmidt, Tsipras & Vladu
/// 2017, "Towards Deep Learning Models Resistant to Adversarial Attacks").
///
/// Norm: L∞. Starts at a uniformly random point of the `eps`-ball, then takes `steps` signed
/// gradient steps of size `alpha`, projecting back onto the ball and `[0, 1]` after each. With
/// `restarts > 1` it runs again from new random points and keeps, per image, the run with the
/// strongest objective. The paper's MNIST setting: `eps = 0.3`, `alpha = 0.01`, 40 steps (100
/// for evaluation); default `alpha = 2.5 * eps / steps`.
pub async fn projected_gradient_descent(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Result<Crafted, ComputeError> {
    let mut restarts = Restarts::new(options);
    while let Some(seed) = restarts.next_seed() {
        let noise = uniform_noise(goal.len(), options.eps, seed, &images.device());
        let start = (images.clone() + noise).clamp(0.0, 1.0);
        restarts.keep(model, goal, signed_gradient_steps(model, images.clone(), start, goal, options).await?);
    }
    Ok(restarts.best())
}

/// Projected Gradient Descent with a random start, L2 (Madry et al. 2017).
///
/// Norm: L2. Starts at a random point of the L2 ball of radius `eps`, steps `alpha` along the
/// gradient normalised to unit L2 length, and projects back onto the ball and `[0, 1]`.
/// Defaults: `alpha = 2.5 * eps / steps`; `eps` around 2 flips most MNIST digits.
pub async fn projected_gradient_descent_l2(model: &DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions) -> Result<Crafted, ComputeError> {
    let steps = options.steps.max(1);
    let eps = options.eps;
    let alpha = options.alpha.unwrap_or(2.5 * eps / steps as f32);
    let device = images.device();
    let mut restarts = Restarts::new(options);
    while let Some(seed) = restarts.next_seed() {
        let mut x = (images.clone() + l2_ball_noise(goal.len(), eps, seed, &device)).clamp(0.0, 1.0);
        let mut recorder = FrameRecorder::new(options.record_every, steps);
        for step in 1..=steps {
            let g = attack_direction(model, x.clone(), goal);
            let g = g.clone() / (l2_norm(g) + 1e-12);
            x = x + g * alpha;
            let delta = x - images.clone();
            let scale = (l2_norm(delta.clone()) + 1e-12).recip().mul_scalar(eps).clamp_max(1.0);
            x = (images.clone() + delta * scale).clamp(0.0, 1.0);
            recorder.step(step, &x).await?;
            crate::pace::checkpoint().await?;
        }
        restarts.keep(model, goal, recorder.finish(x, steps));
    }
    Ok(restarts.best())
}

/// A random point of the L2 ball of radius `eps`: Gaussian direction, radius `eps * u^(1/d)`.
fn l2_ball_noise(n: usize, eps: f32, seed: u64, device: &Device) -> Tensor<4> {
    let mut rng = crate::rng::SplitMix64::new(seed);
    let mut noise = Vec::with_capacity(n * IMAGE_PIXELS);
    for _ in 0..n {
        let direction: Vec<f32> = (0..IMAGE_PIXELS).map(|_| rng.normal()).collect();
        let norm = direction.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        let radius = eps * rng.next_f32().powf(1.0 / IMAGE_PIXELS as f32);
        noise.extend(direction.iter().map(|v| v / norm * radius));
    }
    images_tensor(&noise, device)
}

/// PGD's restarts (seeds `seed`, `seed + 1`, ...): keeps, per image, the adversarial with the
/// highest objective. No read-back: the choice is made on the device.
struct Restarts {
    seed: u64,
    count: usize,
    started: usize,
    best: Option<(Crafted, Option<Tensor<1>>)>,
}

impl Restarts {
    fn new(options: &AttackOptions) -> Self {
        Self { seed: options.seed, count: options.pgd.restarts.max(1), started: 0, best: None }
    }

    /// The seed of the next run, or `None` once every run has been made.
    fn next_seed(&mut self) -> Option<u64> {
        (self.started < self.count).then(|| {
            self.started += 1;
            self.seed.wrapping_add(self.started as u64 - 1)
        })
    }

    fn keep(&mut self, model: &DigitNet, goal: &Goal, next: Crafted) {
        self.best = Some(match self.best.take() {
            // A single run needs no score.
            None if self.count == 1 => (next, None),
            None => {
                let score = objective(model, next.adversarial.clone(), goal);
                (next, Some(score))
            }
            Some((mut best, best_score)) => {
                let best_score = best_score.expect("scored when restarts follow");
                let score = objective(model, next.adversarial.clone(), goal);
                let better = score.clone().greater(best_score.clone());
                best.adversarial = best.adversarial.mask_where(image_mask(better.clone()), next.adversarial);
                best.steps += next.steps;
                (best, Some(best_score.mask_where(better, score)))
            }
        });
    }

    fn best(self) -> Crafted {
        self.best.expect("at least one run").0
    }
}
