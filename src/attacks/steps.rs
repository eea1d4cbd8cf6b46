//! What the iterative attacks share: one L∞ stepper (BIM, PGD, MI-FGSM, and adversarial
//! training's example generator) and one frame recorder (every iterative method whose steps the
//! page replays).

use burn::prelude::*;

use super::Crafted;

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

    /// One that keeps nothing (training's examples).
    pub fn none() -> Self {
        Self::new(0, 0)
    }

    /// Step `step` (from 1) has produced `x`.
    pub fn step(&mut self, step: usize, x: &Tensor<4>) {
        if self.every > 0 && step % self.every == 0 && step < self.steps {
            self.frames.push(x.clone());
        }
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
    recorder: &mut FrameRecorder,
) -> Tensor<4> {
    let lower = (images.clone() - eps).clamp_min(0.0);
    let upper = (images + eps).clamp_max(1.0);
    let mut x = start;
    for step in 1..=steps {
        let along = direction(&x);
        x = (x + along.sign() * alpha).max_pair(lower.clone()).min_pair(upper.clone()).detach();
        recorder.step(step, &x);
    }
    x
}
