use super::{AttackOptions, Goal, LabelOracle};
use crate::gradients::ComputeError;
use crate::model::IMAGE_PIXELS;
use crate::rng::SplitMix64;

/// The gradient estimate's first sample count and its cap (the paper's 100 and 10,000).
const FIRST_SAMPLES: f32 = 100.0;
const MOST_SAMPLES: usize = 10_000;
/// Random images tried as a start before giving up.
const START_TRIES: usize = 100;

/// HopSkipJump's own parameter; its budget is [`AttackOptions::queries`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HopSkipJumpParams {
    /// Where the search starts (784 values per image, or 784 for all): an image the network
    /// already reads as the goal wants, such as a digit of the target class. Needed for a
    /// targeted attack, whose goal random noise almost never reaches; without it, random noise.
    pub start: Option<Vec<f32>>,
}

/// HopSkipJump, L2 (Chen, Jordan & Wainwright 2020, "HopSkipJumpAttack: a query-efficient
/// decision-based attack"). It gets no model and no scores, only a [`LabelOracle`]: the
/// network's top label for the images it submits (a decision-based black-box attack). It starts
/// from an image the network misreads (`start`: for a targeted attack, one of the target class;
/// else random noise it misreads), walks back along the line to the digit until it
/// stands on the decision boundary (a binary search), estimates the boundary's normal there from
/// the labels of random points around it (Monte Carlo, more points each iteration), jumps along
/// it with a step that halves until the jump is still misread, and searches back to the
/// boundary again: each round the adversarial point comes closer to the digit.
///
/// Norm: L2, minimised (no budget: the result is misread from the start and only moves closer).
/// Targeted when given a target and a `start` the network reads as that target. Defaults: 5,000
/// queries (`queries`), γ = 1 (the binary search stops at θ = d^(-3/2) of the segment), 100
/// samples in the first estimate, √t times more at iteration t, at most 10,000; the first
/// estimate's radius 0.1, later ones √d·θ·distance (the paper's choices).
///
/// Returns the adversarial pixels (the digit itself where no start was found or it was already
/// misread) and the queries each image used, never more than its budget.
pub async fn hop_skip_jump(oracle: &mut LabelOracle<'_>, pixels: Vec<f32>, goal: &Goal, options: &AttackOptions) -> Result<(Vec<f32>, Vec<usize>), ComputeError> {
    let n = goal.len();
    let mut result = pixels.clone();
    let mut queries = vec![0; n];
    for i in 0..n {
        let x = &pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
        let mut search = Search { oracle: &mut *oracle, goal, image: i, used: 0, budget: options.queries.max(1) };
        let start = options.hop_skip_jump.start.as_deref().and_then(|s| match s.len() {
            IMAGE_PIXELS => Some(s),
            len if len == n * IMAGE_PIXELS => Some(&s[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]),
            _ => None,
        });
        if let Some(adversarial) = attack_one(&mut search, x, start, options.seed).await? {
            result[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].copy_from_slice(&adversarial);
        }
        queries[i] = search.used;
    }
    Ok((result, queries))
}

/// One image's questions to the network, within its budget.
struct Search<'o, 'a> {
    oracle: &'o mut LabelOracle<'a>,
    goal: &'o Goal,
    image: usize,
    used: usize,
    budget: usize,
}

impl Search<'_, '_> {
    fn left(&self) -> usize {
        self.budget - self.used
    }

    /// Whether each image (784 values each) is misread as the goal wants; `None` when the budget
    /// cannot pay for all of them.
    async fn misread(&mut self, images: Vec<f32>) -> Result<Option<Vec<bool>>, ComputeError> {
        let count = images.len() / IMAGE_PIXELS;
        if count > self.left() {
            return Ok(None);
        }
        self.used += count;
        let labels = self.oracle.labels(images).await?;
        Ok(Some(labels.into_iter().map(|l| self.goal.reached(self.image, l)).collect()))
    }

    /// Shows the watcher (if any) the first image's adversarial point so far.
    fn show(&mut self, point: &[f32]) {
        if self.image == 0 {
            self.oracle.report(point);
        }
    }

    async fn one(&mut self, image: &[f32]) -> Result<Option<bool>, ComputeError> {
        Ok(self.misread(image.to_vec()).await?.map(|v| v[0]))
    }

    /// The point nearest `x` on the segment from `x` to `adversarial` that is still misread,
    /// to a θ of the segment; stops early (keeping the misread end) when the budget runs out.
    async fn to_boundary(&mut self, x: &[f32], adversarial: &[f32], theta: f32) -> Result<Vec<f32>, ComputeError> {
        let (mut low, mut high) = (0.0f32, 1.0f32);
        while high - low > theta {
            let mid = (low + high) / 2.0;
            match self.one(&blend(x, adversarial, mid)).await? {
                Some(true) => high = mid,
                Some(false) => low = mid,
                None => break,
            }
        }
        Ok(blend(x, adversarial, high))
    }
}

async fn attack_one(search: &mut Search<'_, '_>, x: &[f32], given: Option<&[f32]>, seed: u64) -> Result<Option<Vec<f32>>, ComputeError> {
    let d = IMAGE_PIXELS as f32;
    let theta = 1.0 / (d * d.sqrt());
    let mut rng = SplitMix64::new(seed);
    // Already misread: nothing to do.
    if search.one(x).await? != Some(false) {
        return Ok(None);
    }
    // A start: the given image if the network misreads it as the goal wants, else uniform noise
    // it misreads.
    let mut start = None;
    if let Some(given) = given {
        if search.one(given).await? == Some(true) {
            start = Some(given.to_vec());
        }
    }
    for _ in 0..if start.is_some() { 0 } else { START_TRIES } {
        let noise: Vec<f32> = (0..IMAGE_PIXELS).map(|_| rng.next_f32()).collect();
        match search.one(&noise).await? {
            Some(true) => {
                start = Some(noise);
                break;
            }
            Some(false) => {}
            None => break,
        }
    }
    let Some(start) = start else { return Ok(None) };
    let mut point = search.to_boundary(x, &start, theta).await?;
    let mut distance = l2(&point, x);
    search.show(&point);

    for t in 1.. {
        // Enough left for a useful estimate and the searches after it.
        let wanted = ((FIRST_SAMPLES * (t as f32).sqrt()) as usize).min(MOST_SAMPLES);
        let samples = wanted.min(search.left().saturating_sub(40));
        if samples < 10 {
            break;
        }
        let delta = if t == 1 { 0.1 } else { d.sqrt() * theta * distance };
        let Some(direction) = boundary_normal(search, &point, delta, samples, &mut rng).await? else { break };
        // Jump along the normal, halving the step until the jump is still misread.
        let mut step = distance / (t as f32).sqrt();
        let mut jumped = None;
        while step > 1e-6 {
            let candidate: Vec<f32> = point.iter().zip(&direction).map(|(p, g)| (p + step * g).clamp(0.0, 1.0)).collect();
            match search.one(&candidate).await? {
                Some(true) => {
                    jumped = Some(candidate);
                    break;
                }
                Some(false) => step /= 2.0,
                None => break,
            }
        }
        let Some(jumped) = jumped else { break };
        let next = search.to_boundary(x, &jumped, theta).await?;
        let next_distance = l2(&next, x);
        if next_distance < distance {
            point = next;
            distance = next_distance;
            search.show(&point);
        }
    }
    Ok(Some(point))
}

/// The unit vector along which the boundary at `point` turns misread, from the labels of
/// `samples` random points on a sphere of radius `delta` around it (their mean label taken as
/// the baseline, which lowers the estimate's variance); `None` if the budget ran out.
async fn boundary_normal(search: &mut Search<'_, '_>, point: &[f32], delta: f32, samples: usize, rng: &mut SplitMix64) -> Result<Option<Vec<f32>>, ComputeError> {
    let mut directions = Vec::with_capacity(samples * IMAGE_PIXELS);
    let mut probes = Vec::with_capacity(samples * IMAGE_PIXELS);
    for _ in 0..samples {
        let u: Vec<f32> = (0..IMAGE_PIXELS).map(|_| rng.normal()).collect();
        let norm = u.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        // The direction actually taken once clipped to [0, 1].
        for (p, v) in point.iter().zip(&u) {
            let probe = (p + delta * v / norm).clamp(0.0, 1.0);
            probes.push(probe);
            directions.push((probe - p) / delta);
        }
    }
    let Some(misread) = search.misread(probes).await? else { return Ok(None) };
    let signs: Vec<f32> = misread.iter().map(|&m| if m { 1.0 } else { -1.0 }).collect();
    let mean = signs.iter().sum::<f32>() / samples as f32;
    // All on one side: the mean direction, towards or away from it; else the baseline removed.
    let weights: Vec<f32> = if mean.abs() == 1.0 { vec![mean; samples] } else { signs.iter().map(|s| s - mean).collect() };
    let mut gradient = vec![0.0f32; IMAGE_PIXELS];
    for (k, w) in weights.iter().enumerate() {
        for (g, u) in gradient.iter_mut().zip(&directions[k * IMAGE_PIXELS..(k + 1) * IMAGE_PIXELS]) {
            *g += w * u;
        }
    }
    let norm = gradient.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    Ok(Some(gradient.iter().map(|g| g / norm).collect()))
}

fn blend(x: &[f32], y: &[f32], alpha: f32) -> Vec<f32> {
    x.iter().zip(y).map(|(a, b)| (1.0 - alpha) * a + alpha * b).collect()
}

fn l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}
