//! What a black-box attack may ask of the network: its output probabilities for images the attack
//! submits ([`ScoreOracle`]), or only its top label ([`LabelOracle`]), each image counted as a
//! query. No weights, no gradient: the attack gets a closure, not the model.

use std::future::Future;
use std::pin::Pin;

use crate::gradients::{ComputeError, read};
use crate::inference::probabilities_of;
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, images_tensor};

type Answer<'a> = Pin<Box<dyn Future<Output = Result<Vec<f32>, ComputeError>> + 'a>>;

/// What a black-box search shows of itself as it goes, for a page that draws it: the queries
/// asked so far, the attack's best images so far (784 values each) and, for the score-based
/// attacks, the network's probabilities for them (10 each; `None` where the attack sees only
/// labels). The watcher only looks: nothing it is shown costs a query.
pub struct Progress<'p> {
    pub queries: usize,
    pub pixels: &'p [f32],
    pub probabilities: Option<&'p [f32]>,
}

/// A watcher of [`Progress`] (see [`ScoreOracle::watched`]).
pub type Watch<'a> = &'a mut dyn FnMut(Progress<'_>);

/// The network as a score-based black-box attacker sees it.
pub struct ScoreOracle<'a> {
    ask: Box<dyn FnMut(Vec<f32>) -> Answer<'a> + 'a>,
    queries: usize,
    watch: Option<Watch<'a>>,
}

impl<'a> ScoreOracle<'a> {
    /// `ask(pixels)`: the probabilities (`n * 10`) of `n` images (`n * 784` pixels).
    pub fn new(ask: impl FnMut(Vec<f32>) -> Answer<'a> + 'a) -> Self {
        Self { ask: Box::new(ask), queries: 0, watch: None }
    }

    /// The same oracle, showing each [`ScoreOracle::report`] to `watch`.
    pub fn watched(self, watch: Option<Watch<'a>>) -> Self {
        Self { watch, ..self }
    }

    /// Shows the search's state to the watcher, if any: its best images so far and their
    /// probabilities (`None`: the attack sees labels only).
    pub fn report(&mut self, pixels: &[f32], probabilities: Option<&[f32]>) {
        let queries = self.queries;
        if let Some(watch) = self.watch.as_mut() {
            watch(Progress { queries, pixels, probabilities });
        }
    }

    /// The oracle of `model`: its softmax probabilities, read back asynchronously.
    pub fn of_model(model: &'a DigitNet, device: &burn::prelude::Device) -> Self {
        let device = device.clone();
        Self::new(move |pixels| {
            let images = images_tensor(&pixels, &device);
            Box::pin(async move { read(probabilities_of(model, images)).await })
        })
    }

    /// The probabilities of the images in `pixels`, one query each.
    pub async fn probabilities(&mut self, pixels: Vec<f32>) -> Result<Vec<f32>, ComputeError> {
        let n = pixels.len() / IMAGE_PIXELS;
        self.queries += n;
        let answer = (self.ask)(pixels).await?;
        debug_assert_eq!(answer.len(), n * CLASSES);
        Ok(answer)
    }

    /// Images asked about so far.
    pub fn queries(&self) -> usize {
        self.queries
    }
}

/// The network as a decision-based black-box attacker sees it: the top label alone.
pub struct LabelOracle<'a> {
    scores: ScoreOracle<'a>,
}

impl<'a> LabelOracle<'a> {
    /// `ask(pixels)`: as [`ScoreOracle::new`]; only each image's top class is passed on.
    pub fn new(ask: impl FnMut(Vec<f32>) -> Answer<'a> + 'a) -> Self {
        Self { scores: ScoreOracle::new(ask) }
    }

    /// The oracle of `model`: its label for each image.
    pub fn of_model(model: &'a DigitNet, device: &burn::prelude::Device) -> Self {
        Self { scores: ScoreOracle::of_model(model, device) }
    }

    /// The same oracle, showing each report to `watch` ([`ScoreOracle::watched`]).
    pub fn watched(self, watch: Option<Watch<'a>>) -> Self {
        Self { scores: self.scores.watched(watch) }
    }

    /// Shows the search's best images so far to the watcher, if any (no probabilities: the
    /// attack never sees them).
    pub fn report(&mut self, pixels: &[f32]) {
        self.scores.report(pixels, None);
    }

    /// The labels of the images in `pixels`, one query each.
    pub async fn labels(&mut self, pixels: Vec<f32>) -> Result<Vec<usize>, ComputeError> {
        let answer = self.scores.probabilities(pixels).await?;
        Ok(answer.chunks(CLASSES).map(crate::inference::argmax).collect())
    }

    /// Images asked about so far.
    pub fn queries(&self) -> usize {
        self.scores.queries()
    }
}
