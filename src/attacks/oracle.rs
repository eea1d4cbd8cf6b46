//! What a black-box attack may ask of the network: its output probabilities for images the attack
//! submits ([`ScoreOracle`]), or only its top label ([`LabelOracle`]), each image counted as a
//! query. No weights, no gradient: the attack gets a closure, not the model.

use std::future::Future;
use std::pin::Pin;

use crate::gradients::{ComputeError, read};
use crate::inference::probabilities_of;
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, images_tensor};

type Answer<'a> = Pin<Box<dyn Future<Output = Result<Vec<f32>, ComputeError>> + 'a>>;

/// The network as a score-based black-box attacker sees it.
pub struct ScoreOracle<'a> {
    ask: Box<dyn FnMut(Vec<f32>) -> Answer<'a> + 'a>,
    queries: usize,
}

impl<'a> ScoreOracle<'a> {
    /// `ask(pixels)`: the probabilities (`n * 10`) of `n` images (`n * 784` pixels).
    pub fn new(ask: impl FnMut(Vec<f32>) -> Answer<'a> + 'a) -> Self {
        Self { ask: Box::new(ask), queries: 0 }
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
