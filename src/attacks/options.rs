//! What an attack is asked to do: the knobs every method shares, and each method's own
//! parameters, declared (with their defaults and their paper's reasons) in the method's own module.

use super::Method;
use super::apgd::ApgdParams;
use super::carlini_wagner::CwParams;
use super::deepfool::DeepFoolParams;
use super::fab::FabParams;
use super::few_pixel::FewPixelParams;
use super::hop_skip_jump::HopSkipJumpParams;
use super::jsma::JsmaParams;
use super::momentum::MomentumParams;
use super::pgd::PgdParams;
use super::square::SquareParams;

/// One attack request. Flat on the wire (`{eps, steps, restarts, momentum, …}` from JS and the
/// CLI): each method's section is flattened in, and a method reads only its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AttackOptions {
    /// Radius of the allowed perturbation: L∞ for FGSM/BIM/PGD/MI-FGSM, L2 for PGD-L2.
    pub eps: f32,
    /// Iterations (BIM, PGD, MI-FGSM, C&W per search step, DeepFool's maximum).
    pub steps: usize,
    /// Step size of the iterative methods; `None` picks the method's default from `eps` and `steps`.
    pub alpha: Option<f32>,
    /// Class to reach; `None` means any wrong class.
    pub target: Option<usize>,
    /// Seed for random starts.
    pub seed: u64,
    /// Keep every `n`-th iterate of iterative L∞/L2 attacks (0: none), for animation.
    pub record_every: usize,
    /// The query budget of the black-box attacks that take one (Square, HopSkipJump): the
    /// images they may ask the network about.
    pub queries: usize,
    /// Expectation over transformation for BIM and PGD: each step's gradient averaged over this
    /// many random print-and-camera transformations ([`super::eot`]); 0: off.
    pub eot: usize,
    #[serde(flatten)]
    pub pgd: PgdParams,
    #[serde(flatten)]
    pub momentum: MomentumParams,
    #[serde(flatten)]
    pub deepfool: DeepFoolParams,
    #[serde(flatten)]
    pub cw: CwParams,
    #[serde(flatten)]
    pub jsma: JsmaParams,
    #[serde(flatten)]
    pub few_pixel: FewPixelParams,
    #[serde(flatten)]
    pub square: SquareParams,
    #[serde(flatten)]
    pub apgd: ApgdParams,
    #[serde(flatten)]
    pub hop_skip_jump: HopSkipJumpParams,
    #[serde(flatten)]
    pub fab: FabParams,
}

impl Default for AttackOptions {
    fn default() -> Self {
        Self {
            eps: 0.3,
            steps: 40,
            alpha: None,
            target: None,
            seed: 0,
            record_every: 0,
            queries: 1000,
            eot: 0,
            pgd: PgdParams::default(),
            momentum: MomentumParams::default(),
            deepfool: DeepFoolParams::default(),
            cw: CwParams::default(),
            jsma: JsmaParams::default(),
            few_pixel: FewPixelParams::default(),
            square: SquareParams::default(),
            apgd: ApgdParams::default(),
            hop_skip_jump: HopSkipJumpParams::default(),
            fab: FabParams::default(),
        }
    }
}

impl AttackOptions {
    /// The defaults with the budget, iterations and queries that suit `method`
    /// ([`Method::default_eps`], [`Method::default_steps`], its catalogue's `queries`).
    pub fn for_method(method: Method) -> Self {
        let queries = method.info().queries.map_or(Self::default().queries, |r| r.value as usize);
        Self { eps: method.default_eps(), steps: method.default_steps(), queries, ..Self::default() }
    }
}
