//! The attacks' options.

use super::Method;

/// Options shared by all attacks; each uses the fields that apply to it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AttackOptions {
    /// Radius of the allowed perturbation: L∞ for FGSM/BIM/PGD/MI-FGSM, L2 for PGD-L2.
    pub eps: f32,
    /// Iterations (BIM, PGD, MI-FGSM, C&W per search step, DeepFool's maximum).
    pub steps: usize,
    /// Step size; `None` picks the method's default from `eps` and `steps`.
    pub alpha: Option<f32>,
    /// Random restarts (PGD): the strongest of the runs is kept.
    pub restarts: usize,
    /// Class to reach; `None` means any wrong class.
    pub target: Option<usize>,
    /// Seed for random starts.
    pub seed: u64,
    /// MI-FGSM's decay factor μ.
    pub momentum: f32,
    /// DeepFool's overshoot.
    pub overshoot: f32,
    /// C&W: binary search steps over the constant c.
    pub search_steps: usize,
    /// C&W: the first c.
    pub initial_c: f32,
    /// C&W: the confidence margin κ.
    pub confidence: f32,
    /// C&W: Adam's learning rate in tanh space.
    pub learning_rate: f32,
    /// JSMA: the largest fraction of pixels that may change (γ; 0.2 by default).
    pub max_fraction: f32,
    /// Few-pixel attack: how many pixels may change.
    pub pixels: usize,
    /// Keep every `n`-th iterate of iterative L∞/L2 attacks (0: none), for animation.
    pub record_every: usize,
}

impl Default for AttackOptions {
    fn default() -> Self {
        Self {
            eps: 0.3,
            steps: 40,
            alpha: None,
            restarts: 1,
            target: None,
            seed: 0,
            momentum: 1.0,
            overshoot: 0.02,
            search_steps: 6,
            initial_c: 1.0,
            confidence: 0.0,
            learning_rate: 0.1,
            max_fraction: 0.2,
            pixels: 10,
            record_every: 0,
        }
    }
}

impl AttackOptions {
    /// The defaults with the budget and iterations that suit `method`
    /// ([`Method::default_eps`], [`Method::default_steps`]).
    pub fn for_method(method: Method) -> Self {
        Self { eps: method.default_eps(), steps: method.default_steps(), ..Self::default() }
    }
}
