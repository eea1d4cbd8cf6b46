//! Adversarial attacks: small changes to a digit, crafted from the network's own gradient (or,
//! for SimBA, the Square Attack and HopSkipJump, found from its answers alone), that change its answer.
//!
//! One module per attack, each a single function named after the method, documented with its
//! paper, the norm it bounds or minimises, and its defaults. They all take a batch of images
//! (`[n, 1, 28, 28]`, pixels in `[0, 1]`) with their true labels and an [`AttackOptions`], and
//! return the adversarial batch, clipped to `[0, 1]`. [`run`] wraps any of them and measures the
//! result ([`AttackResult`]).
//!
//! The modules around them: [`Method`]'s catalogue (names, norms, defaults, ranges: the one list
//! the CLI, the page and the API read), the options, the goal (labels and targets, the direction
//! that serves it), one L∞ stepper and one frame recorder the iterative methods share, and `run`.
//! The gradient machinery itself is [`crate::gradients`], shared with the visualisations and
//! training.
//!
//! Attacks are `async` only so that the browser can read GPU memory without blocking:
//! read-backs happen once at the end, or once per iteration for the methods that stop early
//! (DeepFool, JSMA, the few-pixel attack). Natively they are driven by [`block_on`].
//!
//! Random starts draw their noise on the host from a seeded generator, so the same seed gives
//! the same attack natively and in the browser, on every backend.

use crate::model::DigitNet;

pub mod apgd;
pub mod autoattack;
pub mod basic_iterative;
mod catalogue;
mod goal;
mod options;
mod oracle;
mod run;
mod steps;
pub mod carlini_wagner;
pub mod deepfool;
pub mod eot;
pub mod fab;
pub mod few_pixel;
pub mod hop_skip_jump;
pub mod fgsm;
pub mod jsma;
pub mod momentum;
pub mod pgd;
pub mod search;
pub mod simba;
pub mod square;

pub use apgd::apgd;
pub use basic_iterative::basic_iterative_method;
pub use catalogue::{Access, Method, MethodInfo, Norm, Range, Targeting};
pub use goal::{Goal, attack_direction, attack_direction_and_logits, image_mask, l2_norm, objective, uniform_noise};
pub use options::AttackOptions;
pub use oracle::{LabelOracle, Progress, ScoreOracle, Watch};
#[cfg(not(target_arch = "wasm32"))]
pub use run::block_on;
pub use run::{AttackResult, Crafted, L0_THRESHOLD, Norms, measure, run, run_watched};
pub(crate) use steps::{FrameRecorder, linf_attack_iterations, linf_iterations};
pub use carlini_wagner::carlini_wagner_l2;
pub use deepfool::deepfool;
pub use fab::{FabParams, fab};
pub use few_pixel::few_pixel;
pub use hop_skip_jump::hop_skip_jump;
pub use fgsm::fgsm;
pub use jsma::jsma;
pub use momentum::momentum_iterative_fgsm;
pub use pgd::{projected_gradient_descent, projected_gradient_descent_l2};
pub use simba::simba;
pub use square::{square, square_l2};
