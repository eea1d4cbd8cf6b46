//! The structural similarity index (SSIM; Wang, Bovik, Sheikh & Simoncelli 2004, "Image Quality
//! Assessment: From Error Visibility to Structural Similarity"): how alike two pictures look to a
//! person, from their local means, contrasts and correlation, where L0, L2 and L∞ only count
//! changed values. 1 for the same picture; lower as the structure changes.
//!
//! As the paper and scikit-image's `structural_similarity(gaussian_weights=True, sigma=1.5,
//! use_sample_covariance=False, data_range=1)` compute it: a Gaussian window of σ = 1.5 (11 taps),
//! K1 = 0.01, K2 = 0.03, pixels in [0, 1]; filtering reflects at the borders, and the mean is
//! taken away from them (5 pixels cropped on each side). `tests/ssim.rs` checks it against that
//! implementation (`tools/ssim-reference.py`).

use crate::model::IMAGE_SIDE;

const SIGMA: f64 = 1.5;
/// The window's half width: scikit-image's `int(3.5 * sigma + 0.5)`.
const RADIUS: usize = 5;
const C1: f64 = 0.01 * 0.01;
const C2: f64 = 0.03 * 0.03;

/// The normalised Gaussian weights, `2 * RADIUS + 1` of them.
fn kernel() -> [f64; 2 * RADIUS + 1] {
    let mut k = [0.0; 2 * RADIUS + 1];
    for (i, w) in k.iter_mut().enumerate() {
        let x = i as f64 - RADIUS as f64;
        *w = (-x * x / (2.0 * SIGMA * SIGMA)).exp();
    }
    let sum: f64 = k.iter().sum();
    k.map(|w| w / sum)
}

/// `i` reflected into `0..n` as scipy's mode "reflect" does (d c b a | a b c d | d c b a).
fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let period = 2 * n;
    let i = i.rem_euclid(period);
    (if i < n { i } else { period - 1 - i }) as usize
}

/// The image blurred by the Gaussian window (separable: rows, then columns).
fn blur(image: &[f64], side: usize) -> Vec<f64> {
    let k = kernel();
    let pass = |source: &[f64], along_rows: bool| -> Vec<f64> {
        let mut out = vec![0.0; side * side];
        for y in 0..side {
            for x in 0..side {
                out[y * side + x] = k
                    .iter()
                    .enumerate()
                    .map(|(t, w)| {
                        let offset = t as isize - RADIUS as isize;
                        let (sx, sy) = if along_rows { (reflect(x as isize + offset, side), y) } else { (x, reflect(y as isize + offset, side)) };
                        w * source[sy * side + sx]
                    })
                    .sum();
            }
        }
        out
    };
    pass(&pass(image, true), false)
}

/// SSIM of two 28×28 images (784 values in [0, 1] each).
pub fn ssim(a: &[f32], b: &[f32]) -> f32 {
    ssim_of_side(a, b, IMAGE_SIDE)
}

/// SSIM of two `side`×`side` images.
pub fn ssim_of_side(a: &[f32], b: &[f32], side: usize) -> f32 {
    assert!(a.len() == side * side && b.len() == a.len(), "two {side}×{side} images");
    assert!(side > 2 * RADIUS, "images smaller than the window");
    let x: Vec<f64> = a.iter().map(|&v| v as f64).collect();
    let y: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    let product = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(u, v)| u * v).collect::<Vec<f64>>();
    let (mx, my) = (blur(&x, side), blur(&y, side));
    let (mxx, myy, mxy) = (blur(&product(&x, &x), side), blur(&product(&y, &y), side), blur(&product(&x, &y), side));
    let mut total = 0.0;
    for r in RADIUS..side - RADIUS {
        for c in RADIUS..side - RADIUS {
            let i = r * side + c;
            let (vx, vy, cov) = (mxx[i] - mx[i] * mx[i], myy[i] - my[i] * my[i], mxy[i] - mx[i] * my[i]);
            total += ((2.0 * mx[i] * my[i] + C1) * (2.0 * cov + C2)) / ((mx[i] * mx[i] + my[i] * my[i] + C1) * (vx + vy + C2));
        }
    }
    let inner = side - 2 * RADIUS;
    (total / (inner * inner) as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_picture_is_one_and_the_measure_is_symmetric() {
        let a: Vec<f32> = (0..784).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
        let b: Vec<f32> = a.iter().enumerate().map(|(i, v)| (v + if i % 3 == 0 { 0.2 } else { -0.1 }).clamp(0.0, 1.0)).collect();
        assert!((ssim(&a, &a) - 1.0).abs() < 1e-6);
        assert!((ssim(&a, &b) - ssim(&b, &a)).abs() < 1e-6);
        assert!(ssim(&a, &b) < 0.99);
    }

    #[test]
    fn reflection_follows_scipy() {
        let n = 4;
        let got: Vec<usize> = (-5..9).map(|i| reflect(i, n)).collect();
        assert_eq!(got, vec![3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]);
    }
}
