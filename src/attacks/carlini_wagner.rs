use burn::prelude::*;

use super::{AttackOptions, Crafted, DigitNet, Goal, image_mask};
use crate::gradients::{ComputeError, read};

/// C&W's own parameters (the defaults are for interactive use; see [`carlini_wagner_l2`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CwParams {
    /// Binary search steps over the constant c.
    pub search_steps: usize,
    /// The first c.
    pub initial_c: f32,
    /// The confidence margin κ.
    pub confidence: f32,
    /// Adam's learning rate in tanh space.
    pub learning_rate: f32,
}

impl Default for CwParams {
    fn default() -> Self {
        Self { search_steps: 6, initial_c: 1.0, confidence: 0.0, learning_rate: 0.1 }
    }
}

/// Carlini & Wagner's L2 attack (Carlini & Wagner 2017, "Towards Evaluating the Robustness of
/// Neural Networks").
///
/// Norm: L2, minimised. Optimises `w` with Adam, where the image is `(tanh(w) + 1) / 2` (so it
/// always stays in `[0, 1]`), to minimise `‖x' - x‖₂² + c · f(x')`, with
/// `f = max(Z_true - max_{i≠true} Z_i, -κ)` (untargeted) or `max(max_{i≠t} Z_i - Z_t, -κ)`
/// (targeted) on the logits `Z`. A binary search over `c` per image finds the smallest constant
/// that still succeeds, and the closest successful image seen is returned (the original if none).
/// Paper defaults: 9 search steps, 10,000 Adam steps at rate 0.01, `c` from 1e-3, `κ = 0`.
/// Here, for interactive use: `search_steps = 6`, `steps` Adam steps (40 by default), learning
/// rate 0.1, `c` from 1.0.
///
/// One read-back per search step (which images succeeded), none inside the optimisation.
pub async fn carlini_wagner_l2(
    model: &DigitNet,
    images: Tensor<4>,
    goal: &Goal,
    options: &AttackOptions,
) -> Result<Crafted, ComputeError> {
    let n = goal.len();
    let device = images.device();
    let one_hot = goal.one_hot(&device);
    let (beta1, beta2, epsilon) = (0.9f32, 0.999f32, 1e-8f32);
    // atanh(2x - 1), squeezed away from ±1 so black and white pixels stay finite.
    let y = (images.clone() * 2.0 - 1.0) * 0.999_999;
    let w_start = ((y.clone() + 1.0) / (y.neg() + 1.0)).log() * 0.5;

    let mut c = vec![options.cw.initial_c; n];
    let mut lower = vec![0.0f32; n];
    let mut upper = vec![f32::INFINITY; n];
    let mut best_l2 = Tensor::<1>::full([n], f32::INFINITY, &device);
    let mut best = images.clone();
    let steps = options.steps.max(1);

    for _ in 0..options.cw.search_steps.max(1) {
        let c_tensor = Tensor::<1>::from_data(TensorData::new(c.clone(), [n]), &device);
        let mut w = w_start.clone();
        let mut m = w.zeros_like();
        let mut v = w.zeros_like();
        let mut succeeded = Tensor::<1>::zeros([n], &device);
        for t in 1..=steps {
            let w_var = w.clone().autodiff().require_grad();
            let adversarial = (w_var.clone().tanh() + 1.0) * 0.5;
            let logits = model.forward(adversarial.clone());
            let distance = (adversarial.clone() - images.clone().autodiff()).powi_scalar(2).sum_dim(3).sum_dim(2).reshape([n]);
            let hot = one_hot.clone().autodiff();
            let chosen = (logits.clone() * hot.clone()).sum_dim(1).reshape([n]);
            let others = (logits - hot * 1e4).max_dim(1).reshape([n]);
            let margin = if goal.targeted() { others - chosen } else { chosen - others };
            let f = margin.clone().clamp_min(-options.cw.confidence);
            let loss = (distance.clone() + f * c_tensor.clone().autodiff()).sum();
            let grads = loss.backward();
            let g = w_var.grad(&grads).expect("gradient of w");

            // Keep the closest adversarial found so far (decided on the device, no read-back).
            let success = margin.without_autodiff().lower_elem(0.0);
            let distance = distance.without_autodiff();
            let improved = success.clone().bool_and(distance.clone().lower(best_l2.clone()));
            best_l2 = best_l2.mask_where(improved.clone(), distance);
            best = best.mask_where(image_mask(improved), adversarial.without_autodiff());
            succeeded = succeeded.max_pair(success.float());

            // Adam.
            m = m * beta1 + g.clone() * (1.0 - beta1);
            v = v * beta2 + g.powi_scalar(2) * (1.0 - beta2);
            let m_hat = m.clone() / (1.0 - beta1.powi(t as i32));
            let v_hat = v.clone() / (1.0 - beta2.powi(t as i32));
            w = w - m_hat / (v_hat.sqrt() + epsilon) * options.cw.learning_rate;
            crate::pace::checkpoint().await?;
        }
        let succeeded = read(succeeded).await?;
        for i in 0..n {
            if succeeded[i] > 0.5 {
                upper[i] = upper[i].min(c[i]);
                c[i] = (lower[i] + upper[i]) / 2.0;
            } else {
                lower[i] = lower[i].max(c[i]);
                c[i] = if upper[i].is_finite() { (lower[i] + upper[i]) / 2.0 } else { c[i] * 10.0 };
            }
        }
    }
    Ok(Crafted::new(best, steps * options.cw.search_steps.max(1)))
}
