//! Turning any picture of a digit into what the network expects, as MNIST was made
//! (LeCun et al. 1998): grayscale, ink bright on black, the ink's bounding box scaled to fit
//! 20x20 keeping its aspect ratio, then placed in a 28x28 frame so that its centre of mass
//! sits at the centre.
//!
//! Photos of paper, anti-aliased canvas strokes and transparent PNGs all go through the same
//! steps. Every function is total: any size and any bytes give pixels or a [`PreprocessError`],
//! never a panic, a NaN or an unbounded allocation.

use std::fmt;

use crate::model::{IMAGE_PIXELS, IMAGE_SIDE};

/// Largest picture accepted, in pixels (about 16.7 megapixels). Callers downscale before.
pub const MAX_INPUT_PIXELS: usize = 4096 * 4096;
/// The ink is scaled to fit a square of this side, as in MNIST.
pub const FIT_SIDE: usize = 20;
/// Below this contrast between ink and background the picture is treated as blank.
const MIN_CONTRAST: f32 = 0.15;
/// After levelling, values under this fraction are paper texture or sensor noise.
const NOISE_FLOOR: f32 = 0.2;

/// Why a picture gave no digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreprocessError {
    /// Width or height is zero.
    NoPixels,
    /// The byte count does not match `width * height * 4`.
    SizeMismatch { width: usize, height: usize, bytes: usize },
    /// More pixels than [`MAX_INPUT_PIXELS`].
    TooLarge { width: usize, height: usize },
    /// No ink: an empty canvas or a blank photo.
    Blank,
}

impl fmt::Display for PreprocessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPixels => write!(f, "the picture has no pixels"),
            Self::SizeMismatch { width, height, bytes } => write!(
                f,
                "{bytes} bytes do not make a {width}x{height} RGBA picture ({} expected)",
                width.saturating_mul(*height).saturating_mul(4)
            ),
            Self::TooLarge { width, height } => write!(
                f,
                "the picture is {width}x{height} pixels; at most {MAX_INPUT_PIXELS} pixels are accepted"
            ),
            Self::Blank => write!(f, "no digit found: the picture is blank"),
        }
    }
}

impl std::error::Error for PreprocessError {}

/// A 28x28 digit ready for the network, and what was done to get it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessed {
    /// 784 values in `[0, 1]`, row-major, ink bright.
    pub pixels: Vec<f32>,
    /// Whether the picture was dark ink on a light background and so was inverted.
    pub inverted: bool,
    /// The ink's bounding box in the input: `[x, y, width, height]`.
    pub ink_box: [usize; 4],
}

/// Luminance in `[0, 1]` (Rec. 601 weights), transparent pixels composited over white paper.
pub fn grayscale(rgba: &[u8]) -> Vec<f32> {
    rgba.chunks_exact(4)
        .map(|p| {
            let luma = (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0;
            let alpha = p[3] as f32 / 255.0;
            alpha * luma + (1.0 - alpha)
        })
        .collect()
}

/// Median of the outermost ring of pixels: the background's level.
fn border_median(gray: &[f32], width: usize, height: usize) -> f32 {
    let mut ring: Vec<f32> = (0..width)
        .flat_map(|x| [x, (height - 1) * width + x])
        .chain((0..height).flat_map(|y| [y * width, y * width + width - 1]))
        .map(|i| gray[i])
        .collect();
    ring.sort_by(f32::total_cmp);
    ring[ring.len() / 2]
}

/// Preprocesses an RGBA picture (as a canvas or a decoded upload gives it) into a 28x28 digit.
pub fn mnist_from_rgba(rgba: &[u8], width: usize, height: usize) -> Result<Preprocessed, PreprocessError> {
    if width == 0 || height == 0 {
        return Err(PreprocessError::NoPixels);
    }
    let area = width.checked_mul(height).filter(|&a| a <= MAX_INPUT_PIXELS);
    let Some(area) = area else {
        return Err(PreprocessError::TooLarge { width, height });
    };
    if rgba.len() != area * 4 {
        return Err(PreprocessError::SizeMismatch { width, height, bytes: rgba.len() });
    }
    let mut ink = grayscale(rgba);
    let inverted = border_median(&ink, width, height) > 0.5;
    if inverted {
        ink.iter_mut().for_each(|v| *v = 1.0 - *v);
    }
    level(&mut ink, width, height)?;
    let ink_box = bounding_box(&ink, width, height).ok_or(PreprocessError::Blank)?;
    let fitted = fit_box(&ink, width, ink_box);
    Ok(Preprocessed { pixels: center_of_mass_shift(&fitted), inverted, ink_box })
}

/// Stretches the range from background to the darkest ink onto `[0, 1]` and clears noise.
fn level(ink: &mut [f32], width: usize, height: usize) -> Result<(), PreprocessError> {
    let background = border_median(ink, width, height);
    let peak = ink.iter().copied().fold(0.0f32, f32::max);
    if peak - background < MIN_CONTRAST {
        return Err(PreprocessError::Blank);
    }
    let scale = 1.0 / (peak - background);
    for v in ink.iter_mut() {
        let x = (*v - background) * scale;
        *v = ((x - NOISE_FLOOR) / (1.0 - NOISE_FLOOR)).clamp(0.0, 1.0);
    }
    Ok(())
}

/// `[x, y, width, height]` of the non-zero pixels, if any.
fn bounding_box(ink: &[f32], width: usize, height: usize) -> Option<[usize; 4]> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > 0.0 {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
    }
    (x0 != usize::MAX).then(|| [x0, y0, x1 - x0 + 1, y1 - y0 + 1])
}

/// Resamples the box so that its longer side is [`FIT_SIDE`] pixels: area averaging when
/// shrinking (no aliasing of thin strokes), bilinear when enlarging a tiny drawing.
/// Returns a `FIT_SIDE x FIT_SIDE` image with the result in its top-left corner.
fn fit_box(ink: &[f32], width: usize, [bx, by, bw, bh]: [usize; 4]) -> Vec<f32> {
    let scale = FIT_SIDE as f32 / bw.max(bh) as f32;
    let out_w = ((bw as f32 * scale).round() as usize).clamp(1, FIT_SIDE);
    let out_h = ((bh as f32 * scale).round() as usize).clamp(1, FIT_SIDE);
    let sx = bw as f32 / out_w as f32;
    let sy = bh as f32 / out_h as f32;
    let at = |x: usize, y: usize| ink[(by + y) * width + bx + x];
    let mut out = vec![0.0; FIT_SIDE * FIT_SIDE];
    for oy in 0..out_h {
        for ox in 0..out_w {
            out[oy * FIT_SIDE + ox] = if scale <= 1.0 {
                // Exact box filter: every source pixel weighted by how much of it the output covers.
                let (fx0, fx1) = (ox as f32 * sx, (ox + 1) as f32 * sx);
                let (fy0, fy1) = (oy as f32 * sy, (oy + 1) as f32 * sy);
                let mut sum = 0.0;
                for y in fy0.floor() as usize..(fy1.ceil() as usize).min(bh) {
                    let wy = (fy1.min(y as f32 + 1.0) - fy0.max(y as f32)).max(0.0);
                    for x in fx0.floor() as usize..(fx1.ceil() as usize).min(bw) {
                        let wx = (fx1.min(x as f32 + 1.0) - fx0.max(x as f32)).max(0.0);
                        sum += wx * wy * at(x, y);
                    }
                }
                sum / (sx * sy)
            } else {
                let fx = ((ox as f32 + 0.5) * sx - 0.5).clamp(0.0, (bw - 1) as f32);
                let fy = ((oy as f32 + 0.5) * sy - 0.5).clamp(0.0, (bh - 1) as f32);
                let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
                let (x1, y1) = ((x0 + 1).min(bw - 1), (y0 + 1).min(bh - 1));
                let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
                let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
                let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
                top * (1.0 - ty) + bottom * ty
            }
            .clamp(0.0, 1.0);
        }
    }
    out
}

/// Places a `FIT_SIDE`-square image in the 28x28 frame so that its centre of mass falls on the
/// frame's centre, rounded to whole pixels as MNIST did.
pub fn center_of_mass_shift(fitted: &[f32]) -> Vec<f32> {
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in fitted.iter().enumerate() {
        let v = v as f64;
        mass += v;
        mx += v * (i % FIT_SIDE) as f64;
        my += v * (i / FIT_SIDE) as f64;
    }
    let centre = (IMAGE_SIDE as f64 - 1.0) / 2.0;
    let (dx, dy) = if mass > 0.0 {
        ((centre - mx / mass).round() as isize, (centre - my / mass).round() as isize)
    } else {
        (4, 4)
    };
    let mut out = vec![0.0; IMAGE_PIXELS];
    for y in 0..FIT_SIDE {
        for x in 0..FIT_SIDE {
            let (tx, ty) = (x as isize + dx, y as isize + dy);
            if (0..IMAGE_SIDE as isize).contains(&tx) && (0..IMAGE_SIDE as isize).contains(&ty) {
                out[ty as usize * IMAGE_SIDE + tx as usize] = fitted[y * FIT_SIDE + x];
            }
        }
    }
    out
}

/// Centre of mass `(x, y)` of a 28x28 image, or `None` if it is black.
pub fn center_of_mass(pixels: &[f32]) -> Option<(f32, f32)> {
    let mass: f32 = pixels.iter().sum();
    (mass > 0.0).then(|| {
        let mx: f32 = pixels.iter().enumerate().map(|(i, v)| v * (i % IMAGE_SIDE) as f32).sum();
        let my: f32 = pixels.iter().enumerate().map(|(i, v)| v * (i / IMAGE_SIDE) as f32).sum();
        (mx / mass, my / mass)
    })
}

/// Replaces anything that is not a finite number in `[0, 1]` so it cannot reach the network:
/// NaN becomes 0, infinities and out-of-range values are clamped.
pub fn sanitize(pixels: &mut [f32]) {
    for v in pixels {
        *v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RGBA picture with a filled rectangle of `ink` on `paper`.
    fn picture(w: usize, h: usize, rect: [usize; 4], ink: u8, paper: u8) -> Vec<u8> {
        let mut rgba = Vec::with_capacity(w * h * 4);
        for y in 0..h {
            for x in 0..w {
                let inside = x >= rect[0] && x < rect[0] + rect[2] && y >= rect[1] && y < rect[1] + rect[3];
                let v = if inside { ink } else { paper };
                rgba.extend_from_slice(&[v, v, v, 255]);
            }
        }
        rgba
    }

    fn ink_extent(pixels: &[f32]) -> (usize, usize) {
        let b = bounding_box(pixels, IMAGE_SIDE, IMAGE_SIDE).unwrap();
        (b[2], b[3])
    }

    #[test]
    fn dark_on_light_is_inverted_and_fits_20_pixels_high() {
        let rgba = picture(300, 400, [100, 50, 60, 300], 20, 235);
        let out = mnist_from_rgba(&rgba, 300, 400).unwrap();
        assert!(out.inverted);
        assert_eq!(out.ink_box, [100, 50, 60, 300]);
        assert_eq!(out.pixels.len(), IMAGE_PIXELS);
        assert_eq!(ink_extent(&out.pixels), (4, 20), "aspect kept, longer side 20");
        let (cx, cy) = center_of_mass(&out.pixels).unwrap();
        assert!((cx - 13.5).abs() <= 0.5 && (cy - 13.5).abs() <= 0.5, "{cx} {cy}");
        assert!(out.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn light_on_dark_is_not_inverted() {
        let rgba = picture(28, 28, [10, 4, 8, 20], 255, 0);
        let out = mnist_from_rgba(&rgba, 28, 28).unwrap();
        assert!(!out.inverted);
        assert_eq!(ink_extent(&out.pixels), (8, 20));
    }

    #[test]
    fn off_centre_ink_is_moved_to_the_centre() {
        let rgba = picture(200, 200, [0, 0, 40, 40], 0, 255);
        let out = mnist_from_rgba(&rgba, 200, 200).unwrap();
        let (cx, cy) = center_of_mass(&out.pixels).unwrap();
        assert!((cx - 13.5).abs() <= 0.5 && (cy - 13.5).abs() <= 0.5);
    }

    #[test]
    fn tiny_drawings_are_enlarged() {
        let rgba = picture(50, 50, [20, 20, 3, 5], 255, 0);
        let out = mnist_from_rgba(&rgba, 50, 50).unwrap();
        assert_eq!(ink_extent(&out.pixels).1, 20);
    }

    #[test]
    fn transparent_background_counts_as_paper() {
        let mut rgba = picture(40, 40, [15, 5, 10, 30], 0, 0);
        for (i, px) in rgba.chunks_exact_mut(4).enumerate() {
            let (x, y) = (i % 40, i / 40);
            let inside = (15..25).contains(&x) && (5..35).contains(&y);
            if !inside {
                px[3] = 0;
            }
        }
        let out = mnist_from_rgba(&rgba, 40, 40).unwrap();
        assert!(out.inverted);
        assert_eq!(out.ink_box, [15, 5, 10, 30]);
    }

    #[test]
    fn blank_and_faint_pictures_are_blank() {
        assert_eq!(mnist_from_rgba(&picture(50, 50, [0, 0, 0, 0], 0, 255), 50, 50), Err(PreprocessError::Blank));
        assert_eq!(mnist_from_rgba(&picture(50, 50, [0, 0, 0, 0], 0, 0), 50, 50), Err(PreprocessError::Blank));
        // A smudge barely darker than the paper.
        assert_eq!(
            mnist_from_rgba(&picture(50, 50, [10, 10, 5, 5], 240, 250), 50, 50),
            Err(PreprocessError::Blank)
        );
    }

    #[test]
    fn paper_texture_is_removed() {
        // Mottled grey paper (200-230) with a dark stroke: the texture must not widen the box.
        let (w, h) = (60, 60);
        let mut rgba = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let v = if (25..32).contains(&x) && (10..50).contains(&y) { 30 } else { 200 + ((x * 7 + y * 13) % 31) as u8 };
                rgba.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let out = mnist_from_rgba(&rgba, w, h).unwrap();
        assert_eq!(out.ink_box, [25, 10, 7, 40]);
    }

    #[test]
    fn malformed_sizes_are_errors_not_panics() {
        assert_eq!(mnist_from_rgba(&[], 0, 10), Err(PreprocessError::NoPixels));
        assert_eq!(
            mnist_from_rgba(&[0; 12], 2, 2),
            Err(PreprocessError::SizeMismatch { width: 2, height: 2, bytes: 12 })
        );
        assert_eq!(
            mnist_from_rgba(&[], 20000, 20000),
            Err(PreprocessError::TooLarge { width: 20000, height: 20000 })
        );
        assert_eq!(
            mnist_from_rgba(&[], usize::MAX, 2),
            Err(PreprocessError::TooLarge { width: usize::MAX, height: 2 })
        );
    }

    #[test]
    fn sanitize_removes_nan_and_infinity() {
        let mut v = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.5, 0.25, 7.0];
        sanitize(&mut v);
        assert_eq!(v, [0.0, 1.0, 0.0, 0.0, 0.25, 1.0]);
    }
}
