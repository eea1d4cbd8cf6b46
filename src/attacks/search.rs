//! Two experiments around an attack: the smallest budget that still flips a digit, and random
//! noise of the same size, which shows that the direction, not the amount, fools the network.

use burn::prelude::*;

use super::{AttackOptions, AttackResult, Method, Norm, Norms, run};
use crate::gradients::ComputeError;
use crate::model::DigitNet;
use crate::rng::SplitMix64;

/// The smallest `eps` found by bisection for which `method` still succeeds on one image, with
/// the attack at that `eps`; `None` if even `upper` fails. `iterations` bisection steps give a
/// precision of `upper / 2^iterations`.
pub async fn minimal_epsilon(
    method: Method,
    model: &DigitNet,
    pixels: &[f32],
    label: usize,
    options: &AttackOptions,
    upper: f32,
    iterations: usize,
    device: &Device,
) -> Result<Option<(f32, AttackResult)>, ComputeError> {
    let attempt = |eps: f32| {
        let options = AttackOptions { eps, ..options.clone() };
        async move { run(method, model, pixels, &[label], &options, device).await.map(|mut r| r.remove(0)) }
    };
    let top = attempt(upper).await?;
    if !top.success {
        return Ok(None);
    }
    let (mut low, mut high, mut best) = (0.0f32, upper, top);
    for _ in 0..iterations {
        let mid = (low + high) / 2.0;
        let result = attempt(mid).await?;
        if result.success {
            high = mid;
            best = result;
        } else {
            low = mid;
        }
    }
    Ok(Some((high, best)))
}

/// Random noise with the same size as `perturbation` in the norm the attack uses, added to
/// `original` and clipped: random signs of the same magnitude (L∞), a random direction of the
/// same length (L2), or as many random pixels flipped (L0).
pub fn random_noise_like(original: &[f32], perturbation: &[f32], norm: Norm, seed: u64) -> Vec<f32> {
    assert_eq!(original.len(), perturbation.len());
    let mut rng = SplitMix64::new(seed);
    let changed: Vec<f32> = original.iter().zip(perturbation).map(|(o, d)| o + d).collect();
    let size = Norms::between(original, &changed);
    let noise: Vec<f32> = match norm {
        Norm::L2 => {
            let direction: Vec<f32> = (0..original.len()).map(|_| rng.normal()).collect();
            let length = direction.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            direction.iter().map(|v| v / length * size.l2).collect()
        }
        Norm::L0 => {
            let mut order: Vec<usize> = (0..original.len()).collect();
            rng.shuffle(&mut order);
            let mut noise = vec![0.0; original.len()];
            for &p in order.iter().take(size.l0) {
                noise[p] = if original[p] > 0.5 { -original[p] } else { 1.0 - original[p] };
            }
            noise
        }
        Norm::Linf => (0..original.len()).map(|_| if rng.next_u64() & 1 == 0 { size.linf } else { -size.linf }).collect(),
    };
    original.iter().zip(&noise).map(|(x, d)| (x + d).clamp(0.0, 1.0)).collect()
}
