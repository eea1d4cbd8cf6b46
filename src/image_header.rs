//! Recognising an uploaded file from its first bytes, before the browser is asked to decode it.
//!
//! Reading the header tells the format and the dimensions, so a non-image, an SVG (a document
//! that can run script, never rendered here), or a 20000-pixel photo is refused with a clear
//! message instead of being handed to a decoder that could take seconds and gigabytes.

use std::fmt;

/// Longest side a decoder is asked to handle; larger pictures are refused.
pub const MAX_SIDE: u32 = 16_384;
/// Largest area a decoder is asked to handle, in pixels (the picture is downscaled after).
pub const MAX_AREA: u64 = 64_000_000;

/// The raster formats the page accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Gif => "GIF",
            Self::Webp => "WebP",
        }
    }
}

/// Format and dimensions read from a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// Why a file is not accepted as a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// Not PNG, JPEG, GIF or WebP. `hint` names what it looks like, when known.
    NotAnImage { hint: Option<&'static str> },
    /// A known format whose header is cut short or inconsistent.
    Corrupt { format: ImageFormat },
    /// Larger than [`MAX_SIDE`] or [`MAX_AREA`].
    TooLarge { width: u32, height: u32 },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnImage { hint: Some(kind) } => write!(
                f,
                "this file looks like {kind}, not a picture: use a PNG, JPEG, GIF or WebP image"
            ),
            Self::NotAnImage { hint: None } => {
                write!(f, "this file is not a PNG, JPEG, GIF or WebP image")
            }
            Self::Corrupt { format } => {
                write!(f, "this {} file is damaged: its header is incomplete", format.name())
            }
            Self::TooLarge { width, height } => write!(
                f,
                "this picture is {width} x {height} pixels, too large to open here (at most \
                 {MAX_SIDE} pixels a side and {} megapixels): crop it around the digit",
                MAX_AREA / 1_000_000
            ),
        }
    }
}

impl std::error::Error for ImageError {}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as u32)
}
fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as u32)
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(s[0] as u32 | (s[1] as u32) << 8 | (s[2] as u32) << 16)
}

/// Identifies the file and checks that its size is one the page can handle.
pub fn sniff(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    let (format, dims) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        // The first chunk must be IHDR: width and height as big-endian u32.
        let ok = bytes.get(12..16) == Some(b"IHDR");
        (ImageFormat::Png, if ok { be32(bytes, 16).zip(be32(bytes, 20)) } else { None })
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (ImageFormat::Jpeg, jpeg_dimensions(bytes))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        (ImageFormat::Gif, le16(bytes, 6).zip(le16(bytes, 8)))
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        (ImageFormat::Webp, webp_dimensions(bytes))
    } else {
        return Err(ImageError::NotAnImage { hint: guess_kind(bytes) });
    };
    let (width, height) = dims
        .filter(|&(w, h)| w > 0 && h > 0)
        .ok_or(ImageError::Corrupt { format })?;
    if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > MAX_AREA {
        return Err(ImageError::TooLarge { width, height });
    }
    Ok(ImageInfo { format, width, height })
}

/// Walks the JPEG markers to the first start-of-frame, which holds the dimensions.
fn jpeg_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while *b.get(at)? == 0xFF && *b.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *b.get(at)? != 0xFF {
            return None;
        }
        let marker = *b.get(at + 1)?;
        let len = be16(b, at + 2)? as usize;
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            return Some((be16(b, at + 7)?, be16(b, at + 5)?));
        }
        if len < 2 {
            return None;
        }
        at += 2 + len;
    }
}

fn webp_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => Some((le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF)),
        b"VP8L" => {
            if *b.get(20)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// A name for common non-image uploads, to make the message useful.
fn guess_kind(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.contains("<svg") {
        Some("an SVG drawing (SVG is not opened, for safety)")
    } else if text.starts_with("<!doctype html") || text.starts_with("<html") {
        Some("a web page")
    } else if bytes.starts_with(b"%PDF") {
        Some("a PDF document")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some("a ZIP archive or office document")
    } else if bytes.starts_with(b"BM") {
        Some("a BMP bitmap, which is not supported")
    } else if bytes.get(4..12).is_some_and(|b| b == b"ftypheic" || b == b"ftypavif" || b == b"ftypmif1") {
        Some("a HEIC/AVIF photo, which is not supported (export it as JPEG)")
    } else if bytes.is_empty() {
        Some("an empty file")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn reads_png_gif_jpeg_and_webp_dimensions() {
        assert_eq!(sniff(&png(640, 480)).unwrap(), ImageInfo { format: ImageFormat::Png, width: 640, height: 480 });
        let gif = [b"GIF89a".as_slice(), &[0x20, 0x01, 0x10, 0x00]].concat();
        assert_eq!(sniff(&gif).unwrap(), ImageInfo { format: ImageFormat::Gif, width: 288, height: 16 });
        // SOI, an APP0 segment of 16 bytes, then SOF0 with height 300 and width 200.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x00, 0xC8, 0x03]);
        assert_eq!(sniff(&jpeg).unwrap(), ImageInfo { format: ImageFormat::Jpeg, width: 200, height: 300 });
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[0x3F, 0x01, 0x00, 0xC7, 0x00, 0x00]);
        assert_eq!(sniff(&webp).unwrap(), ImageInfo { format: ImageFormat::Webp, width: 320, height: 200 });
    }

    #[test]
    fn refuses_huge_pictures() {
        assert_eq!(sniff(&png(20000, 20000)), Err(ImageError::TooLarge { width: 20000, height: 20000 }));
        assert_eq!(sniff(&png(10000, 10000)), Err(ImageError::TooLarge { width: 10000, height: 10000 }));
        assert!(sniff(&png(16000, 4000)).is_ok());
        assert!(sniff(&png(20000, 2)).is_err());
    }

    #[test]
    fn refuses_truncated_and_zero_sized_headers() {
        let full = png(10, 10);
        for cut in 8..full.len() - 5 {
            assert_eq!(sniff(&full[..cut]), Err(ImageError::Corrupt { format: ImageFormat::Png }), "cut {cut}");
        }
        assert_eq!(sniff(&png(0, 10)), Err(ImageError::Corrupt { format: ImageFormat::Png }));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]), Err(ImageError::Corrupt { format: ImageFormat::Jpeg }));
        // A JPEG segment that claims length 0 must not loop forever.
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF]), Err(ImageError::Corrupt { format: ImageFormat::Jpeg }));
    }

    #[test]
    fn names_common_non_images() {
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert!(sniff(svg).unwrap_err().to_string().contains("SVG"));
        assert!(sniff(b"%PDF-1.7").unwrap_err().to_string().contains("PDF"));
        assert!(sniff(b"<!DOCTYPE html><html>").unwrap_err().to_string().contains("web page"));
        assert!(sniff(b"").unwrap_err().to_string().contains("empty"));
        assert_eq!(sniff(b"hello world"), Err(ImageError::NotAnImage { hint: None }));
    }
}
