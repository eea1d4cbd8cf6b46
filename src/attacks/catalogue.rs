//! The attacks' catalogue: every method's name, the norm it bounds or minimises, whether it takes
//! a target, its defaults and the ranges its parameters may take. The one list the CLI, the page
//! (through `attackMethods()` in the wasm) and the API's types are built from; each attack's
//! module holds its maths, the page (`www/attack-methods.js`) only its prose.
//!
//! Adding an attack: its module (one function, documented with its paper, norm and defaults), a
//! variant here with its [`Method::info`] and [`Method::craft`] lines, a line of prose in
//! `www/attack-methods.js`, and its name in `www/api.d.ts`'s `AttackMethod` (tests/catalogue.rs
//! fails if they disagree).

use std::fmt;

use burn::prelude::*;

use super::*;
use crate::gradients::{ComputeError, read};
use crate::model::{CLASSES, DigitNet};

/// The attacks, by the names the CLI, the page and the JS API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Fgsm,
    Bim,
    Pgd,
    PgdL2,
    MiFgsm,
    Deepfool,
    Cw,
    Jsma,
    FewPixel,
    Simba,
    Square,
    SquareL2,
    Apgd,
    Fab,
    Bpda,
    #[serde(rename = "hopskipjump")]
    HopSkipJump,
}

/// How the size of a perturbation is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Norm {
    /// The largest change of any pixel.
    #[serde(rename = "L∞")]
    Linf,
    /// The change's Euclidean length.
    #[serde(rename = "L2")]
    L2,
    /// How many pixels change.
    #[serde(rename = "L0")]
    L0,
}

impl Norm {
    pub fn symbol(self) -> &'static str {
        match self {
            Norm::Linf => "L∞",
            Norm::L2 => "L2",
            Norm::L0 => "L0",
        }
    }

    /// Parses the symbol ("L∞", also "Linf") or the lower-case name ("linf", "l2", "l0").
    pub fn parse(text: &str) -> Option<Norm> {
        match text.to_ascii_lowercase().as_str() {
            "l∞" | "linf" => Some(Norm::Linf),
            "l2" => Some(Norm::L2),
            "l0" => Some(Norm::L0),
            _ => None,
        }
    }
}

impl fmt::Display for Norm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// Whether an attack aims at a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Targeting {
    /// Any wrong class, or a chosen one.
    Optional,
    /// A chosen class only (by construction of the method).
    Required,
    /// Never: it finds the nearest boundary, whatever class lies beyond.
    Never,
}

/// What of the network an attack reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Its gradient (a white-box attack).
    Gradient,
    /// Its output probabilities only (a score-based black-box attack).
    Scores,
    /// Its top label only (a decision-based black-box attack).
    Label,
}

/// The range a parameter may take in the page, and the value it starts at. In f64, so that the
/// page gets 0.005 and not 0.004999999888 (a slider snaps its values to its step).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub value: f64,
}

const fn range(min: f64, max: f64, step: f64, value: f64) -> Option<Range> {
    Some(Range { min, max, step, value })
}

/// A method's entry in the catalogue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodInfo {
    pub name: Method,
    pub norm: Norm,
    pub targeted: Targeting,
    /// Whether it takes steps (and can record its iterates).
    pub iterative: bool,
    /// The budget (`eps`) in the page: absent for the methods that minimise the change.
    pub eps: Option<Range>,
    /// The budget the CLI and the evaluations use unless told otherwise: the papers' MNIST
    /// settings (ε = 0.3 in L∞, 2 in L2), larger than the page's starting value, which is chosen
    /// to show a flip while the digit still looks the same.
    pub evaluation_eps: f64,
    /// Iterations: the slider in the page where it has one, and the default everywhere.
    pub steps: Option<Range>,
    /// Default iterations where the page has no slider for them (DeepFool's cap).
    pub default_steps: usize,
    /// The few-pixel attack's budget: how many pixels may change.
    pub pixels: Option<Range>,
    /// What of the network it reads: the gradient, or (black-box) the scores or the label alone.
    pub access: Access,
    /// The query budget of the black-box attacks that take one (`queries`).
    pub queries: Option<Range>,
    /// Expectation over transformation, for the methods that take it (`eot`, [`super::eot`]): its
    /// defaults and the transformations' ranges; `None` for the others.
    pub eot: Option<super::eot::EotInfo>,
}

impl Method {
    pub const ALL: [Method; 16] = [
        Method::Fgsm,
        Method::Bim,
        Method::Pgd,
        Method::PgdL2,
        Method::MiFgsm,
        Method::Deepfool,
        Method::Cw,
        Method::Jsma,
        Method::FewPixel,
        Method::Simba,
        Method::Square,
        Method::SquareL2,
        Method::Apgd,
        Method::Fab,
        Method::Bpda,
        Method::HopSkipJump,
    ];

    /// The method's catalogue entry: everything the CLI, the page and the API know of it.
    pub fn info(self) -> MethodInfo {
        use Targeting::*;
        let linf_eps = |value| range(0.0, 0.5, 0.005, value);
        let entry = |norm, targeted, iterative, eps, evaluation_eps, steps: Option<Range>, default_steps, pixels| MethodInfo {
            name: self,
            norm,
            targeted,
            iterative,
            eps,
            evaluation_eps,
            default_steps: steps.map_or(default_steps, |s: Range| s.value as usize),
            steps,
            pixels,
            access: Access::Gradient,
            queries: None,
            eot: matches!(self, Method::Bim | Method::Pgd).then_some(super::eot::EotInfo::DEFAULT),
        };
        match self {
            Method::Fgsm => entry(Norm::Linf, Optional, false, linf_eps(0.2), 0.3, None, 1, None),
            Method::Bim => entry(Norm::Linf, Optional, true, linf_eps(0.1), 0.3, range(1.0, 100.0, 1.0, 10.0), 0, None),
            Method::Pgd => entry(Norm::Linf, Optional, true, linf_eps(0.1), 0.3, range(1.0, 100.0, 1.0, 40.0), 0, None),
            Method::PgdL2 => entry(Norm::L2, Optional, true, range(0.0, 6.0, 0.05, 1.5), 2.0, range(1.0, 100.0, 1.0, 40.0), 0, None),
            Method::MiFgsm => entry(Norm::Linf, Optional, true, linf_eps(0.1), 0.3, range(1.0, 100.0, 1.0, 10.0), 0, None),
            Method::Apgd => entry(Norm::Linf, Optional, true, linf_eps(0.1), 0.3, range(10.0, 200.0, 1.0, 100.0), 0, None),
            Method::Bpda => entry(Norm::Linf, Optional, true, linf_eps(0.1), 0.3, range(1.0, 100.0, 1.0, 40.0), 0, None),
            Method::Deepfool => entry(Norm::L2, Never, true, None, 0.0, None, 50, None),
            Method::Cw => entry(Norm::L2, Optional, true, None, 0.0, range(10.0, 200.0, 1.0, 100.0), 0, None),
            // The smallest L∞ change it finds; AutoAttack runs it towards each of 9 classes.
            Method::Fab => entry(Norm::Linf, Optional, true, None, 0.0, range(10.0, 200.0, 1.0, 100.0), 0, None),
            Method::Jsma => entry(Norm::L0, Required, true, None, 0.0, None, 0, None),
            Method::FewPixel => entry(Norm::L0, Optional, true, None, 0.0, None, 0, range(1.0, 40.0, 1.0, 10.0)),
            // ε is SimBA's step; `steps`, the pixels it may try.
            Method::Simba => MethodInfo {
                access: Access::Scores,
                ..entry(Norm::L2, Optional, true, range(0.05, 1.0, 0.05, 0.2), 0.2, range(50.0, 784.0, 1.0, 784.0), 0, None)
            },
            // One query per square tried: `queries` is its budget, not `steps`.
            Method::Square => MethodInfo {
                access: Access::Scores,
                queries: range(100.0, 5000.0, 100.0, 1000.0),
                ..entry(Norm::Linf, Optional, true, linf_eps(0.2), 0.3, None, 0, None)
            },
            Method::SquareL2 => MethodInfo {
                access: Access::Scores,
                queries: range(100.0, 5000.0, 100.0, 1000.0),
                ..entry(Norm::L2, Optional, true, range(0.0, 6.0, 0.05, 2.0), 2.0, None, 0, None)
            },
            // Only the top label; a budget of queries, no ε (it minimises the change). Targeted
            // from a start of the target class (`start`).
            Method::HopSkipJump => MethodInfo {
                access: Access::Label,
                queries: range(500.0, 10000.0, 500.0, 5000.0),
                ..entry(Norm::L2, Optional, true, None, 0.0, None, 0, None)
            },
        }
    }

    /// Runs the method's attack function on a batch (its module has the maths).
    /// `watch`, if given, sees the black-box attacks' search as it goes ([`super::oracle::Progress`]).
    pub async fn craft<'a>(self, model: &'a DigitNet, images: Tensor<4>, goal: &Goal, options: &AttackOptions, watch: Option<Watch<'a>>) -> Result<Crafted, ComputeError> {
        let device = images.device();
        let scores = |watch| ScoreOracle::of_model(model, &device).watched(watch);
        Ok(match self {
            Method::Fgsm => fgsm(model, images, goal, options),
            Method::Bim => basic_iterative_method(model, images, goal, options).await?,
            Method::Pgd => projected_gradient_descent(model, images, goal, options).await?,
            Method::PgdL2 => projected_gradient_descent_l2(model, images, goal, options).await?,
            Method::MiFgsm => momentum_iterative_fgsm(model, images, goal, options).await?,
            Method::Apgd => apgd(model, images, goal, options).await?,
            Method::Fab => fab(model, images, goal, options, &options.fab).await?,
            // PGD on the network whose input squeezer is differentiated as the identity (on a
            // network without one, PGD itself): Athalye, Carlini & Wagner's BPDA.
            Method::Bpda => projected_gradient_descent(&model.straight_through(), images, goal, options).await?,
            Method::Deepfool => deepfool(model, images, goal, options).await?,
            Method::Cw => carlini_wagner_l2(model, images, goal, options).await?,
            Method::Jsma => jsma(model, images, goal, options).await?,
            Method::FewPixel => few_pixel(model, images, goal, options).await?,
            // The black-box attacks get the network's answers (scores, or the label alone), not the network.
            Method::Simba => black_box_result(simba(&mut scores(watch), read(images).await?, goal, options).await?, &device),
            Method::Square => black_box_result(square(&mut scores(watch), read(images).await?, goal, options).await?, &device),
            Method::SquareL2 => black_box_result(square_l2(&mut scores(watch), read(images).await?, goal, options).await?, &device),
            Method::HopSkipJump => {
                let mut oracle = LabelOracle::of_model(model, &device).watched(watch);
                black_box_result(hop_skip_jump(&mut oracle, read(images).await?, goal, options).await?, &device)
            }
        })
    }

    /// Whether the attack reads only the network's outputs (a black-box attack).
    pub fn black_box(self) -> bool {
        self.info().access != Access::Gradient
    }

    /// Every method's entry, in the catalogue's order.
    pub fn catalogue() -> Vec<MethodInfo> {
        Method::ALL.into_iter().map(Method::info).collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Fgsm => "fgsm",
            Method::Bim => "bim",
            Method::Pgd => "pgd",
            Method::PgdL2 => "pgd-l2",
            Method::MiFgsm => "mi-fgsm",
            Method::Deepfool => "deepfool",
            Method::Cw => "cw",
            Method::Jsma => "jsma",
            Method::FewPixel => "few-pixel",
            Method::Simba => "simba",
            Method::Square => "square",
            Method::SquareL2 => "square-l2",
            Method::Apgd => "apgd",
            Method::Fab => "fab",
            Method::Bpda => "bpda",
            Method::HopSkipJump => "hopskipjump",
        }
    }

    pub fn parse(name: &str) -> Option<Method> {
        let name = name.to_ascii_lowercase().replace('_', "-");
        let alias = match name.as_str() {
            "i-fgsm" | "ifgsm" => "bim",
            "pgd-linf" => "pgd",
            "mifgsm" | "momentum" => "mi-fgsm",
            "carlini-wagner" | "cw-l2" => "cw",
            "one-pixel" | "pixel" => "few-pixel",
            "square-attack" | "square-linf" => "square",
            "auto-pgd" | "apgd-ce" => "apgd",
            "fab-t" | "fab-linf" => "fab",
            "hsja" | "hop-skip-jump" | "hopskipjumpattack" => "hopskipjump",
            other => other,
        };
        Method::ALL.into_iter().find(|m| m.name() == alias)
    }

    /// [`Method::parse`], or the sentence the CLI and the page show for a name that is not a
    /// method: it lists them all.
    pub fn from_name(name: &str) -> Result<Method, String> {
        Method::parse(name).ok_or_else(|| {
            let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
            format!("unknown attack `{name}` (one of {})", names.join(", "))
        })
    }

    /// Whether the method takes `eps`: a bound on the perturbation (an L∞ or L2 ball), or SimBA's
    /// step; the others minimise the change.
    pub fn uses_eps(self) -> bool {
        self.info().eps.is_some()
    }

    /// Whether a target class makes sense (all but DeepFool, which finds the nearest boundary).
    pub fn supports_target(self) -> bool {
        self.info().targeted != Targeting::Never
    }

    /// Whether the attack needs a target (JSMA is a targeted attack by construction).
    pub fn requires_target(self) -> bool {
        self.info().targeted == Targeting::Required
    }

    /// Iterations that suit the method: what the CLI and the page use unless told otherwise.
    pub fn default_steps(self) -> usize {
        self.info().default_steps
    }

    /// The budget the CLI and the evaluations use unless told otherwise ([`MethodInfo::evaluation_eps`]).
    pub fn default_eps(self) -> f32 {
        self.info().evaluation_eps as f32
    }

    /// The norm the attack bounds or minimises.
    pub fn norm(self) -> Norm {
        self.info().norm
    }

    /// The class each image is attacked towards when the method requires a target and none is
    /// given: the next digit after its label (the CLI's and the page's convention).
    pub fn default_target(label: usize) -> usize {
        (label + 1) % CLASSES
    }
}

/// A black-box attack's images and query counts as [`Crafted`]; its steps are its largest count.
fn black_box_result((pixels, queries): (Vec<f32>, Vec<usize>), device: &Device) -> Crafted {
    let steps = queries.iter().copied().max().unwrap_or(0);
    Crafted { queries, ..Crafted::new(crate::model::images_tensor(&pixels, device), steps) }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_every_entry_is_consistent() {
        for method in Method::ALL {
            assert_eq!(Method::parse(method.name()), Some(method));
            let info = method.info();
            assert_eq!(info.name, method);
            assert_eq!(serde_json::to_value(method).unwrap(), method.name());
            if let Some(eps) = info.eps {
                assert!(eps.min <= eps.value && eps.value <= eps.max && eps.step > 0.0, "{method}: eps {eps:?}");
                assert!(info.evaluation_eps <= eps.max, "{method}: evaluation ε within the page's range");
            }
            if let Some(steps) = info.steps {
                assert!(steps.min <= steps.value && steps.value <= steps.max, "{method}: steps {steps:?}");
            }
            assert_eq!(info.pixels.is_some(), method == Method::FewPixel);
            // L∞ and L2 budgets bound the ball the attack stays in; L0 and the minimising methods have none.
            assert_eq!(info.eps.is_some(), matches!(method, Method::Fgsm | Method::Bim | Method::Pgd | Method::PgdL2 | Method::MiFgsm | Method::Simba | Method::Square | Method::SquareL2 | Method::Apgd | Method::Bpda));
            assert_eq!(info.queries.is_some(), matches!(method, Method::Square | Method::SquareL2 | Method::HopSkipJump));
            assert_eq!(method.black_box(), matches!(method, Method::Simba | Method::Square | Method::SquareL2 | Method::HopSkipJump));
        }
    }

    #[test]
    fn the_catalogue_serialises_as_the_page_reads_it() {
        let json = serde_json::to_value(Method::Fgsm.info()).unwrap();
        assert_eq!(json["name"], "fgsm");
        assert_eq!(json["norm"], "L∞");
        assert_eq!(json["targeted"], "optional");
        assert_eq!(json["eps"]["value"], 0.2);
        assert_eq!(json["eps"]["step"], 0.005);
        assert_eq!(json["evaluationEps"], 0.3);
        assert_eq!(serde_json::to_value(Method::Jsma.info()).unwrap()["targeted"], "required");
        assert!(serde_json::to_value(Method::Deepfool.info()).unwrap()["eps"].is_null());
    }
}
