//! Expectation over transformation (Athalye, Engstrom, Ilyas & Kwok 2018, "Synthesizing Robust
//! Adversarial Examples"): what a printed and photographed digit goes through, drawn at random,
//! differentiable, so that an attack can average its gradient over them; and the check of how
//! often an adversarial digit survives them.
//!
//! One transformation: a shift of up to ±2 pixels, a rotation of up to ±10°, a scaling by 0.9 to
//! 1.1 (bilinear, about the centre), a blur (a share 0 to 1 of a 3×3 Gaussian), and the ink
//! level: contrast 0.75 to 1.25 and brightness −0.05 to +0.10 (paper is not black, ink not
//! white), clipped to [0, 1].

use burn::prelude::*;

use super::Goal;
use crate::gradients::{ComputeError, cross_entropy_sum, read};
use crate::inference::{argmax, logits};
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS, IMAGE_SIDE};
use crate::rng::SplitMix64;
use crate::visualize::class_visualization::gaussian_blur;

/// The ranges the transformations are drawn from (the README and the page quote them).
pub const SHIFT_PIXELS: f32 = 2.0;
pub const ROTATION_DEGREES: f32 = 10.0;
pub const SCALE: (f32, f32) = (0.9, 1.1);
pub const CONTRAST: (f32, f32) = (0.75, 1.25);
pub const BRIGHTNESS: (f32, f32) = (-0.05, 0.10);
/// Transformations averaged per attack step unless told otherwise (the page's switch, `--eot`).
pub const DEFAULT_SAMPLES: usize = 8;
/// Transformations the survival check draws unless told otherwise (the page, the API, `--survival`).
pub const SURVIVAL_TRANSFORMATIONS: usize = 200;

/// EOT as the page and the API read it from the catalogue ([`super::MethodInfo::eot`]): the
/// defaults and the ranges above, declared once here.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EotInfo {
    pub samples: usize,
    pub survival_transformations: usize,
    pub shift_pixels: f32,
    pub rotation_degrees: f32,
    pub scale: (f32, f32),
    pub contrast: (f32, f32),
    pub brightness: (f32, f32),
}

impl EotInfo {
    pub const DEFAULT: EotInfo = EotInfo {
        samples: DEFAULT_SAMPLES,
        survival_transformations: SURVIVAL_TRANSFORMATIONS,
        shift_pixels: SHIFT_PIXELS,
        rotation_degrees: ROTATION_DEGREES,
        scale: SCALE,
        contrast: CONTRAST,
        brightness: BRIGHTNESS,
    };
}

/// Mixed into the survival check's seed (an arbitrary constant; see [`survival`]).
const SURVIVAL_STREAM: u64 = 0x5EED_0F5E_ED0F_5EED;

/// One random transformation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    pub shift: (f32, f32),
    pub degrees: f32,
    pub scale: f32,
    /// The share of the 3×3 Gaussian blur mixed in.
    pub blur: f32,
    pub contrast: f32,
    pub brightness: f32,
}

impl Transform {
    pub fn random(rng: &mut SplitMix64) -> Self {
        Self {
            shift: (rng.uniform(-SHIFT_PIXELS, SHIFT_PIXELS), rng.uniform(-SHIFT_PIXELS, SHIFT_PIXELS)),
            degrees: rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES),
            scale: rng.uniform(SCALE.0, SCALE.1),
            blur: rng.next_f32(),
            contrast: rng.uniform(CONTRAST.0, CONTRAST.1),
            brightness: rng.uniform(BRIGHTNESS.0, BRIGHTNESS.1),
        }
    }

    /// `count` transformations from `seed`.
    pub fn sample(count: usize, seed: u64) -> Vec<Self> {
        let mut rng = SplitMix64::new(seed);
        (0..count).map(|_| Self::random(&mut rng)).collect()
    }

    /// For every output pixel, its four bilinear sources in the input (index, weight; weight 0
    /// outside the image): where the inverse of the shift, rotation and scaling lands.
    fn sources(&self) -> [(Vec<i64>, Vec<f32>); 4] {
        let centre = (IMAGE_SIDE as f32 - 1.0) / 2.0;
        let (sin, cos) = self.degrees.to_radians().sin_cos();
        let mut out: [(Vec<i64>, Vec<f32>); 4] = Default::default();
        for o in &mut out {
            *o = (Vec::with_capacity(IMAGE_PIXELS), Vec::with_capacity(IMAGE_PIXELS));
        }
        for row in 0..IMAGE_SIDE {
            for col in 0..IMAGE_SIDE {
                let (x, y) = ((col as f32 - centre - self.shift.0) / self.scale, (row as f32 - centre - self.shift.1) / self.scale);
                let (sx, sy) = (cos * x + sin * y + centre, -sin * x + cos * y + centre);
                let (x0, y0) = (sx.floor(), sy.floor());
                let (fx, fy) = (sx - x0, sy - y0);
                let corners = [(x0, y0, (1.0 - fx) * (1.0 - fy)), (x0 + 1.0, y0, fx * (1.0 - fy)), (x0, y0 + 1.0, (1.0 - fx) * fy), (x0 + 1.0, y0 + 1.0, fx * fy)];
                for (k, (cx, cy, w)) in corners.into_iter().enumerate() {
                    let inside = cx >= 0.0 && cy >= 0.0 && cx < IMAGE_SIDE as f32 && cy < IMAGE_SIDE as f32;
                    out[k].0.push(if inside { (cy as usize * IMAGE_SIDE + cx as usize) as i64 } else { 0 });
                    out[k].1.push(if inside { w } else { 0.0 });
                }
            }
        }
        out
    }
}

/// Every transformation applied to every image: `[m·n, 1, 28, 28]`, transformation-major (block
/// `k` is transformation `k` of all `n` images). Differentiable in `images`.
pub fn transform(images: Tensor<4>, transforms: &[Transform]) -> Tensor<4> {
    let [n, ..] = images.dims();
    let m = transforms.len();
    let device = images.device();
    let flat = images.reshape([n, IMAGE_PIXELS]);
    let repeated = Tensor::cat(vec![flat; m], 0); // [m·n, 784]
    let per_transform: Vec<[(Vec<i64>, Vec<f32>); 4]> = transforms.iter().map(Transform::sources).collect();
    let mut warped: Option<Tensor<2>> = None;
    for corner in 0..4 {
        let mut index = Vec::with_capacity(m * n * IMAGE_PIXELS);
        let mut weight = Vec::with_capacity(m * n * IMAGE_PIXELS);
        for sources in &per_transform {
            for _ in 0..n {
                index.extend_from_slice(&sources[corner].0);
                weight.extend_from_slice(&sources[corner].1);
            }
        }
        let index = Tensor::<2, Int>::from_data(TensorData::new(index, [m * n, IMAGE_PIXELS]), &device);
        let weight = Tensor::<2>::from_data(TensorData::new(weight, [m * n, IMAGE_PIXELS]), &device);
        let part = repeated.clone().gather(1, index) * weight;
        warped = Some(match warped {
            None => part,
            Some(sum) => sum + part,
        });
    }
    let warped = warped.expect("four corners").reshape([m * n, 1, IMAGE_SIDE, IMAGE_SIDE]);
    let per_image = |f: &dyn Fn(&Transform) -> f32| {
        let values: Vec<f32> = transforms.iter().flat_map(|t| std::iter::repeat_n(f(t), n)).collect();
        Tensor::<1>::from_data(TensorData::new(values, [m * n]), &device).reshape([m * n, 1, 1, 1])
    };
    let blur = per_image(&|t| t.blur);
    let blurred = warped.clone() * (blur.clone().neg() + 1.0) + gaussian_blur(warped, &device) * blur;
    (blurred * per_image(&|t| t.contrast) + per_image(&|t| t.brightness)).clamp(0.0, 1.0)
}

/// The attack's gradient averaged over `samples` random transformations (EOT), signed as
/// [`super::attack_direction`]: adding it moves every transformed copy towards the goal.
pub fn eot_direction(model: &DigitNet, images: Tensor<4>, goal: &Goal, samples: usize, seed: u64) -> Tensor<4> {
    let transforms = Transform::sample(samples.max(1), seed);
    let x = images.detach().autodiff().require_grad();
    let transformed = transform(x.clone(), &transforms);
    let logits = model.forward(transformed);
    let one_hot = Tensor::cat(vec![goal.one_hot(&x.device()); transforms.len()], 0).autodiff();
    let grads = cross_entropy_sum(logits, one_hot).backward();
    let g = x.grad(&grads).expect("the input requires a gradient");
    if goal.targeted() { g.neg() } else { g }
}

/// For each image, the share of `count` random transformations (from `seed`) under which the
/// network still reads it as the goal wants: how well an adversarial digit survives print and
/// camera, as far as these transformations imitate them.
pub async fn survival(model: &DigitNet, pixels: &[f32], goal: &Goal, count: usize, seed: u64, device: &Device) -> Result<Vec<f32>, ComputeError> {
    let n = goal.len();
    let images = crate::model::images_tensor(pixels, device);
    let mut kept = vec![0usize; n];
    // A stream of its own: an EOT attack's steps draw from `seed`-derived streams too, and the
    // check must not replay the transformations the attack was made for.
    let all = Transform::sample(count, seed ^ SURVIVAL_STREAM);
    // In chunks of transformations: 200 at once of a batch would be a large tensor.
    for chunk in all.chunks(50) {
        let labels = read(logits(model, transform(images.clone(), chunk))).await?;
        for (k, row) in labels.chunks(CLASSES).enumerate() {
            let i = k % n;
            if goal.reached(i, argmax(row)) {
                kept[i] += 1;
            }
        }
    }
    Ok(kept.iter().map(|&k| k as f32 / count.max(1) as f32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_transformation_changes_nothing_and_a_shift_moves_the_ink() {
        let device = Device::flex();
        let pixels: Vec<f32> = (0..IMAGE_PIXELS).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
        let images = crate::model::images_tensor(&pixels, &device);
        let identity = Transform { shift: (0.0, 0.0), degrees: 0.0, scale: 1.0, blur: 0.0, contrast: 1.0, brightness: 0.0 };
        let out = transform(images.clone(), &[identity]).into_data().try_to_vec::<f32>().unwrap();
        assert!(out.iter().zip(&pixels).all(|(a, b)| (a - b).abs() < 1e-5));
        let right = Transform { shift: (1.0, 0.0), ..identity };
        let out = transform(images, &[right]).into_data().try_to_vec::<f32>().unwrap();
        for row in 0..IMAGE_SIDE {
            assert_eq!(out[row * IMAGE_SIDE], 0.0, "the first column comes from outside");
            for col in 1..IMAGE_SIDE {
                assert!((out[row * IMAGE_SIDE + col] - pixels[row * IMAGE_SIDE + col - 1]).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn transformations_are_drawn_within_their_ranges_and_from_the_seed() {
        let a = Transform::sample(500, 3);
        assert_eq!(a, Transform::sample(500, 3));
        assert_ne!(a, Transform::sample(500, 4));
        for t in a {
            assert!(t.shift.0.abs() <= SHIFT_PIXELS && t.shift.1.abs() <= SHIFT_PIXELS && t.degrees.abs() <= ROTATION_DEGREES);
            assert!((SCALE.0..=SCALE.1).contains(&t.scale) && (0.0..=1.0).contains(&t.blur));
            assert!((CONTRAST.0..=CONTRAST.1).contains(&t.contrast) && (BRIGHTNESS.0..=BRIGHTNESS.1).contains(&t.brightness));
        }
    }
}
