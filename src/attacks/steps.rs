//! What the iterative attacks share: one L∞ step (BIM, PGD, MI-FGSM, and adversarial training's
//! example generator), its loop, and one frame recorder (every iterative method whose steps the
//! page replays).

use burn::prelude::*;

use super::Crafted;
use crate::gradients::ComputeError;

/// Keeps every `every`-th iterate of an iterative attack for the page's step-by-step replay
/// (`AttackOptions::record_every`; 0 keeps none). The last iterate is the result, not a frame.
pub(crate) struct FrameRecorder {
    every: usize,
    steps: usize,
    frames: Vec<Tensor<4>>,
}

impl FrameRecorder {
    /// A recorder for an attack of `steps` steps.
    pub fn new(every: usize, steps: usize) -> Self {
        Self { every, steps, frames: Vec::new() }
    }

    /// Step `step` (from 1) has produced `x`. A frame kept is also shown to the host that wants
    /// to see them as they come ([`crate::pace::wants_frames`]: the page's replay then starts
    /// before the attack ends), at the cost of reading its first image back.
    pub async fn step(&mut self, step: usize, x: &Tensor<4>) -> Result<(), ComputeError> {
        if self.every > 0 && step % self.every == 0 && step < self.steps {
            self.frames.push(x.clone());
            if crate::pace::wants_frames() {
                let first = crate::gradients::read(x.clone().narrow(0, 0, 1)).await?;
                crate::pace::show_frame(step, &first);
            }
        }
        Ok(())
    }

    /// The attack's result, with the frames kept.
    pub fn finish(self, adversarial: Tensor<4>, steps: usize) -> Crafted {
        Crafted { adversarial, steps, frames: self.frames, queries: Vec::new() }
    }
}

/// The L∞ iteration: from `start`, `steps` steps of size `alpha` along the sign of
/// `direction(x)`, each projected back onto the L∞ ball of radius `eps` around `images` and onto
/// `[0, 1]`. The caller supplies the direction: the attack's gradient (BIM, PGD), its momentum
/// (MI-FGSM), the training loss's gradient (adversarial training). Returns the last iterate,
/// detached from any graph.
pub(crate) fn linf_iterations(
    images: Tensor<4>,
    start: Tensor<4>,
    eps: f32,
    alpha: f32,
    steps: usize,
    mut direction: impl FnMut(&Tensor<4>) -> Tensor<4>,
) -> Tensor<4> {
    let bounds = LinfBall::around(images, eps);
    let mut x = start;
    for _ in 1..=steps {
        x = bounds.step(x, &mut direction, alpha);
    }
    x
}

/// [`linf_iterations`] for the attacks: each step's frame recorded, and a checkpoint after each
/// step ([`crate::pace`]), where the browser's worker may give way and a cancelled call ends.
pub(crate) async fn linf_attack_iterations(
    images: Tensor<4>,
    start: Tensor<4>,
    eps: f32,
    alpha: f32,
    steps: usize,
    mut direction: impl FnMut(&Tensor<4>) -> Tensor<4>,
    recorder: &mut FrameRecorder,
) -> Result<Tensor<4>, ComputeError> {
    let bounds = LinfBall::around(images, eps);
    let mut x = start;
    for step in 1..=steps {
        x = bounds.step(x, &mut direction, alpha);
        recorder.step(step, &x).await?;
        crate::pace::checkpoint().await?;
    }
    Ok(x)
}

/// The L∞ ball of radius ε around the images, within [0, 1].
struct LinfBall {
    lower: Tensor<4>,
    upper: Tensor<4>,
}

impl LinfBall {
    fn around(images: Tensor<4>, eps: f32) -> Self {
        Self { lower: (images.clone() - eps).clamp_min(0.0), upper: (images + eps).clamp_max(1.0) }
    }

    /// One step of `alpha` along the sign of `direction(x)`, projected back onto the ball.
    fn step(&self, x: Tensor<4>, mut direction: impl FnMut(&Tensor<4>) -> Tensor<4>, alpha: f32) -> Tensor<4> {
        let along = direction(&x);
        (x + along.sign() * alpha).max_pair(self.lower.clone()).min_pair(self.upper.clone()).detach()
    }
}
