//! What a black-box attack may ask of the network: its output probabilities for images the attack
//! submits, each image counted as a query. No weights, no gradient: the attack gets a closure, not
//! the model.

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
