//! Property tests of every function that reads input from outside: pictures (drawn or
//! uploaded), file headers, MNIST's IDX files and weights files. Whatever the bytes, each must
//! answer with a value that keeps its contract or with a clean error: never a panic, never NaN,
//! never an allocation sized by what a header claims rather than by what the file holds.
//!
//! The default run takes seconds and is deterministic (a fixed seed; 1,024 to 4,096 cases per
//! property). A long run with fresh random cases:
//!
//! ```sh
//! PROPTEST_CASES=100000 PROPTEST_RNG_SEED=$RANDOM cargo test --release --test properties
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

use adversarial_digits::data::{Dataset, IdxError, encode_idx, parse_images, parse_labels};
use adversarial_digits::image_header::{ImageError, ImageFormat, ImageInfo, MAX_AREA, MAX_SIDE, sniff};
use adversarial_digits::model::{IMAGE_PIXELS, IMAGE_SIDE};
use adversarial_digits::preprocess::{
    MAX_INPUT_PIXELS, PreprocessError, Preprocessed, center_of_mass, center_of_mass_shift, grayscale, mnist_from_rgba,
    sanitize,
};
use adversarial_digits::weights::{self, TENSOR_NAMES, WeightsError};
use burn::prelude::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

// ---------------------------------------------------------------------------------------------
// Measuring allocations: a global allocator that adds up, per thread, the bytes asked for. It
// turns "refused before any allocation" and "memory linear in the picture" into assertions.

struct CountingAllocator;

thread_local! {
    static REQUESTED: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    // `try_with`: the allocator also runs while a thread's locals are being torn down.
    let _ = REQUESTED.try_with(|total| total.set(total.get().saturating_add(bytes)));
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result and the bytes it asked for on this thread: a total over the
/// call (reallocations count their new size), so an upper bound on its peak.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = REQUESTED.with(Cell::get);
    let out = f();
    (out, REQUESTED.with(Cell::get) - before)
}

/// `cases` per property unless PROPTEST_CASES says otherwise; a fixed seed unless
/// PROPTEST_RNG_SEED gives one, so that CI runs the same cases every time.
fn config(cases: u32) -> ProptestConfig {
    let defaults = ProptestConfig::default();
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    let rng_seed = if std::env::var_os("PROPTEST_RNG_SEED").is_some() { defaults.rng_seed } else { RngSeed::Fixed(0x00AD_D161_7500) };
    ProptestConfig { cases, rng_seed, ..defaults }
}

/// The claim the browser refuses early: a 60000 x 60000 picture, 3.6 gigapixels.
const CLAIMED_SIDE: u32 = 60_000;

// ---------------------------------------------------------------------------------------------
// Preprocessing (src/preprocess.rs): drawn canvases and decoded uploads.

/// The contract of a successful preprocessing, for a `width` x `height` input.
fn assert_preprocessed(out: &Preprocessed, width: usize, height: usize) {
    assert_eq!(out.pixels.len(), IMAGE_PIXELS);
    assert!(out.pixels.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)), "pixels outside [0, 1]");
    let [x, y, w, h] = out.ink_box;
    assert!(w >= 1 && h >= 1 && x + w <= width && y + h <= height, "ink box {:?} outside {width}x{height}", out.ink_box);
}

/// Any width and height up to 48 (zero included) and any bytes, usually of the right length.
fn any_rgba() -> impl Strategy<Value = (Vec<u8>, usize, usize)> {
    (0usize..=48, 0usize..=48).prop_flat_map(|(w, h)| {
        let exact = w * h * 4;
        prop_oneof![3 => vec(any::<u8>(), exact..=exact), 1 => vec(any::<u8>(), 0..=exact + 8)]
            .prop_map(move |rgba| (rgba, w, h))
    })
}

/// A picture as uploads and canvases give them: a background of any colour and transparency,
/// with up to six rectangles of any colour and transparency on it.
fn scene() -> impl Strategy<Value = (Vec<u8>, usize, usize)> {
    (1usize..=160, 1usize..=160, any::<[u8; 4]>(), vec((any::<[u16; 4]>(), any::<[u8; 4]>()), 0..6)).prop_map(
        |(w, h, paper, marks)| {
            let mut rgba = paper.repeat(w * h);
            for (r, colour) in marks {
                let (x0, y0) = (r[0] as usize % w, r[1] as usize % h);
                let (x1, y1) = ((x0 + 1 + r[2] as usize % w).min(w), (y0 + 1 + r[3] as usize % h).min(h));
                for y in y0..y1 {
                    for x in x0..x1 {
                        rgba[(y * w + x) * 4..][..4].copy_from_slice(&colour);
                    }
                }
            }
            (rgba, w, h)
        },
    )
}

/// A grey rectangle of ink on plain grey paper, not touching the border: `(rgba, w, h, rect,
/// dark_paper)`. The ink is light on dark paper and dark on light paper, with enough contrast.
fn ink_rectangle() -> impl Strategy<Value = (Vec<u8>, usize, usize, [usize; 4], bool)> {
    (3usize..=200, 3usize..=200, any::<bool>(), 0u8..=100, 60u8..=155)
        .prop_flat_map(|(w, h, dark_paper, level, gap)| {
            let rect = (1..w - 1, 1..h - 1).prop_flat_map(move |(x, y)| (Just(x), Just(y), 1..=w - 1 - x, 1..=h - 1 - y));
            (Just((w, h, dark_paper, level, gap)), rect)
        })
        .prop_map(|((w, h, dark_paper, level, gap), (x, y, rw, rh))| {
            // Dark paper (0-100) with ink at least 60 levels lighter, or the mirror image.
            let (paper, ink) = if dark_paper { (level, level + gap) } else { (255 - level, 255 - level - gap) };
            let mut rgba = Vec::with_capacity(w * h * 4);
            for py in 0..h {
                for px in 0..w {
                    let inside = (x..x + rw).contains(&px) && (y..y + rh).contains(&py);
                    let v = if inside { ink } else { paper };
                    rgba.extend_from_slice(&[v, v, v, 255]);
                }
            }
            (rgba, w, h, [x, y, rw, rh], dark_paper)
        })
}

/// Columns and rows holding ink in a 28x28 image: `(width, height)` of its bounding box.
fn ink_extent(pixels: &[f32]) -> (usize, usize) {
    let rows: Vec<usize> = (0..IMAGE_SIDE).filter(|y| pixels[y * IMAGE_SIDE..][..IMAGE_SIDE].iter().any(|&v| v > 0.0)).collect();
    let cols: Vec<usize> = (0..IMAGE_SIDE).filter(|x| (0..IMAGE_SIDE).any(|y| pixels[y * IMAGE_SIDE + x] > 0.0)).collect();
    (cols.last().unwrap() - cols[0] + 1, rows.last().unwrap() - rows[0] + 1)
}

/// Refusals of oversized pictures must come before any buffer is made.
#[test]
fn a_60000_by_60000_picture_is_refused_before_any_allocation() {
    let side = CLAIMED_SIDE as usize;
    let (result, bytes) = allocations(|| mnist_from_rgba(&[], side, side));
    assert_eq!(result, Err(PreprocessError::TooLarge { width: side, height: side }));
    assert_eq!(bytes, 0, "bytes allocated before refusing");
    let (result, bytes) = allocations(|| mnist_from_rgba(&[255; 64], usize::MAX, usize::MAX));
    assert!(matches!(result, Err(PreprocessError::TooLarge { .. })));
    assert_eq!(bytes, 0);
}

#[test]
fn the_largest_accepted_picture_works_and_one_pixel_more_is_refused() {
    let side = 4096;
    assert_eq!(side * side, MAX_INPUT_PIXELS);
    let mut rgba = vec![255u8; side * side * 4];
    for y in 1000..3000 {
        for x in 1800..2300 {
            rgba[(y * side + x) * 4..][..3].fill(0);
        }
    }
    let (out, bytes) = allocations(|| mnist_from_rgba(&rgba, side, side));
    let out = out.unwrap();
    assert_preprocessed(&out, side, side);
    assert_eq!(out.ink_box, [1800, 1000, 500, 2000]);
    assert!(bytes <= 4 * side * side + 64 * (side + side) + 8192, "{bytes} bytes for a {side}x{side} picture");
    let (result, bytes) = allocations(|| mnist_from_rgba(&rgba, MAX_INPUT_PIXELS + 1, 1));
    assert_eq!(result, Err(PreprocessError::TooLarge { width: MAX_INPUT_PIXELS + 1, height: 1 }));
    assert_eq!(bytes, 0);
}

proptest! {
    #![proptest_config(config(4096))]

    /// Any buffer and size: the documented result or the documented error, nothing else.
    #[test]
    fn preprocessing_any_buffer_gives_a_digit_or_the_right_error((rgba, w, h) in any_rgba()) {
        match mnist_from_rgba(&rgba, w, h) {
            Ok(out) => {
                prop_assert_eq!(rgba.len(), w * h * 4);
                assert_preprocessed(&out, w, h);
            }
            Err(PreprocessError::NoPixels) => prop_assert!(w == 0 || h == 0),
            Err(PreprocessError::SizeMismatch { width, height, bytes }) => {
                prop_assert!(w > 0 && h > 0 && (width, height, bytes) == (w, h, rgba.len()) && bytes != w * h * 4);
            }
            Err(PreprocessError::TooLarge { .. }) => prop_assert!(false, "{w}x{h} is not too large"),
            Err(PreprocessError::Blank) => prop_assert_eq!(rgba.len(), w * h * 4),
        }
    }

    /// Any dimensions at all, up to usize::MAX: refused without a single allocation.
    #[test]
    fn any_dimensions_are_refused_without_allocating(w in any::<usize>(), h in any::<usize>(), len in 0usize..64) {
        let rgba = vec![128u8; len];
        let (result, bytes) = allocations(|| mnist_from_rgba(&rgba, w, h));
        match result {
            Err(PreprocessError::TooLarge { .. }) => {
                prop_assert!(w.checked_mul(h).is_none_or(|area| area > MAX_INPUT_PIXELS));
                prop_assert_eq!(bytes, 0);
            }
            Err(PreprocessError::NoPixels | PreprocessError::SizeMismatch { .. }) => prop_assert_eq!(bytes, 0),
            Ok(out) => assert_preprocessed(&out, w, h),
            Err(PreprocessError::Blank) => {}
        }
    }

    /// Pictures with structure (backgrounds, marks, transparency): the contract holds, and memory
    /// stays linear in the picture (one f32 a pixel and the border ring).
    #[test]
    fn preprocessing_scenes_keeps_its_contract_in_linear_memory((rgba, w, h) in scene()) {
        let (result, bytes) = allocations(|| mnist_from_rgba(&rgba, w, h));
        match result {
            Ok(out) => assert_preprocessed(&out, w, h),
            Err(e) => prop_assert_eq!(e, PreprocessError::Blank),
        }
        prop_assert!(bytes <= 4 * w * h + 64 * (w + h) + 8192, "{} bytes for {}x{}", bytes, w, h);
    }

    /// A rectangle of ink anywhere, of any size, on light or dark paper: found exactly, scaled so
    /// that its longer side is 20 pixels with its aspect kept, and centred by its centre of mass.
    #[test]
    fn any_ink_rectangle_is_found_fitted_and_centred((rgba, w, h, rect, dark_paper) in ink_rectangle()) {
        let out = mnist_from_rgba(&rgba, w, h).unwrap();
        assert_preprocessed(&out, w, h);
        prop_assert_eq!(out.ink_box, rect);
        prop_assert_eq!(out.inverted, !dark_paper);
        let (ew, eh) = ink_extent(&out.pixels);
        let (long, short) = (rect[2].max(rect[3]) as f64, rect[2].min(rect[3]) as f64);
        let expected_short = (short * 20.0 / long).round().clamp(1.0, 20.0);
        prop_assert_eq!(ew.max(eh), 20);
        prop_assert!((ew.min(eh) as f64 - expected_short).abs() <= 1.0, "extent {}x{} for box {:?}", ew, eh, rect);
        let (cx, cy) = center_of_mass(&out.pixels).unwrap();
        prop_assert!((cx - 13.5).abs() <= 0.501 && (cy - 13.5).abs() <= 0.501, "centre of mass {} {}", cx, cy);
    }

    /// Luminance of any bytes: one value in [0, 1] per whole pixel.
    #[test]
    fn grayscale_of_any_bytes_is_in_range(rgba in vec(any::<u8>(), 0..400)) {
        let gray = grayscale(&rgba);
        prop_assert_eq!(gray.len(), rgba.len() / 4);
        prop_assert!(gray.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    /// Any 20x20 image in [0, 1] placed in the frame: 784 values in [0, 1].
    #[test]
    fn centring_keeps_values_in_range(fitted in vec(0.0f32..=1.0, 400)) {
        let out = center_of_mass_shift(&fitted);
        prop_assert_eq!(out.len(), IMAGE_PIXELS);
        prop_assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    /// Pixels from JavaScript may be anything a float can be: NaN (any payload), infinities,
    /// subnormals, negative zero. After sanitize they are in [0, 1]; values already there are kept.
    #[test]
    fn sanitize_makes_any_floats_valid_pixels(
        values in vec(prop_oneof![proptest::num::f32::ANY, any::<u32>().prop_map(f32::from_bits)], 0..800),
    ) {
        let mut pixels = values.clone();
        sanitize(&mut pixels);
        for (before, after) in values.iter().zip(&pixels) {
            prop_assert!((0.0..=1.0).contains(after), "{} became {}", before, after);
            if (0.0..=1.0).contains(before) {
                prop_assert_eq!(before.to_bits(), after.to_bits());
            }
        }
        let mut again = pixels.clone();
        sanitize(&mut again);
        prop_assert_eq!(again, pixels);
    }
}

// ---------------------------------------------------------------------------------------------
// Upload headers (src/image_header.rs).

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    b
}

fn gif(w: u16, h: u16, new_version: bool) -> Vec<u8> {
    let mut b = if new_version { b"GIF89a".to_vec() } else { b"GIF87a".to_vec() };
    b.extend_from_slice(&w.to_le_bytes());
    b.extend_from_slice(&h.to_le_bytes());
    b.extend_from_slice(&[0xF7, 0, 0]);
    b
}

/// The start-of-frame markers that carry a size (SOF0-SOF15 less DHT, JPG and DAC).
const JPEG_SOF: [u8; 13] = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF];

/// SOI, then segments to skip (APPn, DQT, DHT, COM...), each after some 0xFF fill bytes, then SOF.
fn jpeg(w: u16, h: u16, sof: u8, segments: &[(u8, Vec<u8>, usize)]) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8];
    for (marker, payload, fill) in segments {
        b.extend(std::iter::repeat_n(0xFF, *fill));
        b.extend_from_slice(&[0xFF, *marker]);
        b.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
        b.extend_from_slice(payload);
    }
    b.extend_from_slice(&[0xFF, sof, 0x00, 0x11, 0x08]);
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&[0x03, 0x01, 0x22, 0x00]);
    b
}

fn riff_webp(chunk: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = b"RIFF\0\0\0\0WEBP".to_vec();
    b.extend_from_slice(chunk);
    b.extend_from_slice(&(body.len() as u32).to_le_bytes());
    b.extend_from_slice(body);
    b
}

/// Lossy WebP: a key frame's start code, then 14-bit sizes whose top two bits are a scale.
fn webp_lossy(w: u16, h: u16, scales: (u16, u16)) -> Vec<u8> {
    let mut body = vec![0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A];
    body.extend_from_slice(&((w & 0x3FFF) | (scales.0 << 14)).to_le_bytes());
    body.extend_from_slice(&((h & 0x3FFF) | (scales.1 << 14)).to_le_bytes());
    riff_webp(b"VP8 ", &body)
}

/// Lossless WebP: a signature byte, then width - 1 and height - 1 in 14 bits each.
fn webp_lossless(w: u32, h: u32) -> Vec<u8> {
    let bits = ((w - 1) & 0x3FFF) | (((h - 1) & 0x3FFF) << 14);
    let mut body = vec![0x2F];
    body.extend_from_slice(&bits.to_le_bytes());
    riff_webp(b"VP8L", &body)
}

/// Extended WebP: flags, then width - 1 and height - 1 in 24 bits each.
fn webp_extended(w: u32, h: u32) -> Vec<u8> {
    let mut body = vec![0; 4];
    body.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    body.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    riff_webp(b"VP8X", &body)
}

/// What `sniff` must say of a well-formed header giving `w` x `h`.
fn expected(format: ImageFormat, w: u32, h: u32) -> Result<ImageInfo, ImageError> {
    if w == 0 || h == 0 {
        Err(ImageError::Corrupt { format })
    } else if w > MAX_SIDE || h > MAX_SIDE || w as u64 * h as u64 > MAX_AREA {
        Err(ImageError::TooLarge { width: w, height: h })
    } else {
        Ok(ImageInfo { format, width: w, height: h })
    }
}

/// The format whose signature `bytes` start with, written independently of `sniff`.
fn signature(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else {
        None
    }
}

/// What any answer of `sniff` must be consistent with: a size only for a file that starts with
/// that format's signature, and only within the limits.
fn assert_sniff_consistent(bytes: &[u8], result: &Result<ImageInfo, ImageError>) {
    let format = signature(bytes);
    match result {
        Ok(info) => {
            assert_eq!(Some(info.format), format, "a size reported for a file without the {:?} signature", info.format);
            assert!(info.width >= 1 && info.height >= 1 && info.width <= MAX_SIDE && info.height <= MAX_SIDE);
            assert!(info.width as u64 * info.height as u64 <= MAX_AREA);
        }
        Err(ImageError::NotAnImage { .. }) => assert_eq!(format, None, "a {format:?} signature called not an image"),
        Err(ImageError::Corrupt { format: f }) => assert_eq!(Some(*f), format),
        Err(ImageError::TooLarge { width, height }) => {
            assert!(format.is_some());
            assert!(*width > MAX_SIDE || *height > MAX_SIDE || *width as u64 * *height as u64 > MAX_AREA);
        }
    }
}

/// A well-formed header of any format and any size the format can express.
fn any_header() -> impl Strategy<Value = (Vec<u8>, Result<ImageInfo, ImageError>)> {
    let jpeg_segment = (prop::sample::select(vec![0xE0u8, 0xE1, 0xE2, 0xEE, 0xDB, 0xC4, 0xFE, 0xDD]), vec(any::<u8>(), 0..40), 0usize..3);
    prop_oneof![
        (any::<u32>(), any::<u32>()).prop_map(|(w, h)| (png(w, h), expected(ImageFormat::Png, w, h))),
        (any::<u16>(), any::<u16>(), any::<bool>())
            .prop_map(|(w, h, v)| (gif(w, h, v), expected(ImageFormat::Gif, w.into(), h.into()))),
        (any::<u16>(), any::<u16>(), prop::sample::select(JPEG_SOF.to_vec()), vec(jpeg_segment, 0..4))
            .prop_map(|(w, h, sof, segments)| (jpeg(w, h, sof, &segments), expected(ImageFormat::Jpeg, w.into(), h.into()))),
        (0u16..0x4000, 0u16..0x4000, (0u16..4, 0u16..4))
            .prop_map(|(w, h, s)| (webp_lossy(w, h, s), expected(ImageFormat::Webp, w.into(), h.into()))),
        (1u32..=0x4000, 1u32..=0x4000).prop_map(|(w, h)| (webp_lossless(w, h), expected(ImageFormat::Webp, w, h))),
        (1u32..=0x100_0000, 1u32..=0x100_0000).prop_map(|(w, h)| (webp_extended(w, h), expected(ImageFormat::Webp, w, h))),
    ]
}

/// Text that starts an SVG document in the ways people and tools write them.
fn svg_document() -> impl Strategy<Value = Vec<u8>> {
    let opening = prop::sample::select(vec!["<svg", "<SVG", "<Svg", "<svg:svg", "<sVg"]);
    let prolog = prop::sample::select(vec![
        "",
        "\u{feff}",
        "  \n\t",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<?xml version=\"1.0\"?><!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">",
    ]);
    (prolog, "(<!--[a-z <>]{0,60}-->)?", opening, "[ -~\n]{0,200}").prop_map(|(prolog, comment, opening, rest)| {
        format!("{prolog}{comment}{opening} xmlns=\"http://www.w3.org/2000/svg\"{rest}<script>alert(1)</script></svg>").into_bytes()
    })
}

fn html_document() -> impl Strategy<Value = Vec<u8>> {
    let opening = prop::sample::select(vec!["<!doctype html>", "<!DOCTYPE HTML>", "<html>", "<HTML lang=\"en\">"]);
    (prop::sample::select(vec!["", "\u{feff}", "\n  "]), opening, "[ -~\n]{0,200}")
        .prop_map(|(lead, opening, rest)| format!("{lead}{opening}{rest}<img src=x onerror=alert(1)>").into_bytes())
}

#[test]
fn a_60000_by_60000_header_is_refused_before_any_allocation() {
    let side = CLAIMED_SIDE;
    let claims = [
        png(side, side),
        gif(side as u16, side as u16, true),
        jpeg(side as u16, side as u16, 0xC0, &[(0xE0, vec![0; 14], 0)]),
        webp_extended(side, side),
    ];
    for bytes in claims {
        let (result, allocated) = allocations(|| sniff(&bytes));
        assert_eq!(result, Err(ImageError::TooLarge { width: side, height: side }), "{:?}", signature(&bytes));
        assert_eq!(allocated, 0, "{:?}: bytes allocated before refusing", signature(&bytes));
    }
}

proptest! {
    #![proptest_config(config(4096))]

    /// Any header the formats can express: the size it holds, or the right refusal.
    #[test]
    fn headers_of_every_format_give_their_size_or_a_refusal((bytes, want) in any_header()) {
        prop_assert_eq!(sniff(&bytes), want);
    }

    /// Any bytes at all: never a panic, never a size without a signature, and a bounded
    /// allocation whatever the length (only the first 512 bytes are ever looked at as text).
    #[test]
    fn sniffing_any_bytes_is_consistent_and_allocates_little(bytes in vec(any::<u8>(), 0..2048)) {
        let (result, allocated) = allocations(|| sniff(&bytes));
        assert_sniff_consistent(&bytes, &result);
        prop_assert!(allocated <= 4096, "{} bytes allocated", allocated);
    }

    /// Garbage after a real signature (or part of one): a size only when the bytes hold one.
    #[test]
    fn sniffing_a_signature_followed_by_garbage_is_consistent(
        prefix in prop::sample::select(vec![&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], b"\x89PNG\r\n\x1a\n", b"\xFF\xD8\xFF", b"\xFF\xD8", b"GIF89a", b"GIF87", b"RIFF\0\0\0\0WEBPVP8X", b"RIFF\0\0\0\0WEBPVP8L", b"RIFF\0\0\0\0WEBPVP8 ", b"RIFF\0\0\0\0WEBP"]),
        tail in vec(any::<u8>(), 0..64),
    ) {
        let bytes = [prefix, &tail].concat();
        assert_sniff_consistent(&bytes, &sniff(&bytes));
    }

    /// A well-formed header with a few bytes changed, or cut anywhere: consistent, and a cut
    /// header never reports a size other than the full one's.
    #[test]
    fn damaged_headers_are_consistent(
        (bytes, want) in any_header(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut damaged = bytes.clone();
        for (at, value) in edits {
            damaged[at.index(bytes.len())] = value;
        }
        assert_sniff_consistent(&damaged, &sniff(&damaged));
        let cut = &bytes[..cut.index(bytes.len())];
        let result = sniff(cut);
        assert_sniff_consistent(cut, &result);
        match result {
            Ok(_) | Err(ImageError::TooLarge { .. }) => prop_assert_eq!(result, want),
            Err(_) => {}
        }
    }

    /// SVG is a document that can run script: refused however it is written, and named.
    #[test]
    fn svg_is_always_refused(svg in svg_document()) {
        match sniff(&svg) {
            Err(ImageError::NotAnImage { hint: Some(hint) }) => prop_assert!(hint.contains("SVG"), "{}", hint),
            other => prop_assert!(false, "{:?} for {}", other, String::from_utf8_lossy(&svg)),
        }
    }

    #[test]
    fn html_is_always_refused(html in html_document()) {
        // Refused and named (as SVG when the page holds an <svg> element).
        match sniff(&html) {
            Err(ImageError::NotAnImage { hint: Some(hint) }) => prop_assert!(hint.contains("web page") || hint.contains("SVG"), "{}", hint),
            other => prop_assert!(false, "{:?} for {}", other, String::from_utf8_lossy(&html)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MNIST's IDX files (src/data.rs).

/// An IDX header with any magic and any dimensions, and up to `data` bytes after it.
fn idx(magic: [u8; 4], dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = magic.to_vec();
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

/// Whether `bytes` is a well-formed unsigned-byte IDX file of `rank` dimensions, and its
/// element count; written independently of `parse_idx`.
fn idx_elements(bytes: &[u8], rank: u8) -> Option<usize> {
    let header = 4 + 4 * rank as usize;
    if bytes.len() < header || bytes[..4] != [0, 0, 8, rank] {
        return None;
    }
    let dims = bytes[4..header].chunks(4).map(|c| u32::from_be_bytes(c.try_into().unwrap()) as u128);
    let elements = dims.product::<u128>();
    (elements == (bytes.len() - header) as u128).then_some(elements as usize)
}

fn assert_images_consistent(bytes: &[u8], result: &Result<Vec<f32>, IdxError>) {
    if let Ok(pixels) = result {
        assert_eq!(idx_elements(bytes, 3), Some(pixels.len()));
        assert_eq!(&bytes[8..16], &[0, 0, 0, 28, 0, 0, 0, 28]);
        assert!(pixels.iter().zip(&bytes[16..]).all(|(&p, &b)| p == b as f32 / 255.0));
    }
}

fn assert_labels_consistent(bytes: &[u8], result: &Result<Vec<u8>, IdxError>) {
    if let Ok(labels) = result {
        assert_eq!(idx_elements(bytes, 1), Some(labels.len()));
        assert_eq!(labels.as_slice(), &bytes[8..]);
        assert!(labels.iter().all(|&l| l < 10));
    }
}

#[test]
fn an_idx_header_claiming_60000_by_60000_images_is_refused_before_any_allocation() {
    let claims = [
        idx([0, 0, 8, 3], &[60_000, CLAIMED_SIDE, CLAIMED_SIDE], &[0; 64]),
        idx([0, 0, 8, 3], &[60_000, 28, 28], &[0; 64]),
        idx([0, 0, 8, 3], &[u32::MAX; 3], &[]),
    ];
    for bytes in claims {
        let (result, allocated) = allocations(|| parse_images(&bytes));
        assert!(matches!(result, Err(IdxError::Truncated { .. })), "{result:?}");
        assert!(allocated <= 64, "{allocated} bytes allocated (the header's three dimensions need 12)");
    }
    let (result, allocated) = allocations(|| parse_labels(&idx([0, 0, 8, 1], &[u32::MAX], &[1, 2, 3])));
    assert!(matches!(result, Err(IdxError::Truncated { .. })));
    assert!(allocated <= 64);
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn idx_parsing_any_bytes_is_consistent(bytes in vec(any::<u8>(), 0..64)) {
        assert_images_consistent(&bytes, &parse_images(&bytes));
        assert_labels_consistent(&bytes, &parse_labels(&bytes));
    }

    /// Headers with any magic and any dimensions (huge ones included) over short data.
    #[test]
    fn idx_headers_with_any_dimensions_are_consistent(
        magic in prop_oneof![Just([0u8, 0, 8, 3]), Just([0u8, 0, 8, 1]), any::<[u8; 4]>()],
        dims in vec(prop_oneof![0u32..4, Just(28), any::<u32>()], 0..4),
        data in vec(any::<u8>(), 0..100),
    ) {
        let bytes = idx(magic, &dims, &data);
        let (images, allocated) = allocations(|| parse_images(&bytes));
        assert_images_consistent(&bytes, &images);
        prop_assert!(allocated <= 64 + 4 * bytes.len(), "{} bytes allocated for a {}-byte file", allocated, bytes.len());
        assert_labels_consistent(&bytes, &parse_labels(&bytes));
    }

    /// Written then read: the same digits (to 1/255) and labels.
    #[test]
    fn idx_round_trips(n in 0usize..4, seed in vec(any::<u8>(), IMAGE_PIXELS), labels in vec(0u8..10, 4)) {
        let pixels: Vec<f32> = (0..n * IMAGE_PIXELS).map(|i| seed[(i * 7) % IMAGE_PIXELS] as f32 / 255.0).collect();
        let (images, label_bytes) = encode_idx(&pixels, &labels[..n]);
        let set = Dataset::from_idx(&images, &label_bytes).unwrap();
        prop_assert_eq!(set.len(), n);
        prop_assert_eq!(&set.labels[..], &labels[..n]);
        prop_assert_eq!(set.pixels, pixels);
    }

    /// Valid files with bytes changed, cut or extended: consistent; a pair is accepted only when
    /// both files are and they hold the same number of digits.
    #[test]
    fn damaged_idx_files_are_consistent(
        n in 1usize..3,
        labels in vec(0u8..10, 2),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        which in any::<bool>(),
        resize in prop_oneof![Just(0isize), -20isize..20],
    ) {
        let pixels: Vec<f32> = (0..n * IMAGE_PIXELS).map(|i| (i % 256) as f32 / 255.0).collect();
        let (mut images, mut label_bytes) = encode_idx(&pixels, &labels[..n]);
        let target = if which { &mut images } else { &mut label_bytes };
        let len = target.len();
        for (at, value) in edits {
            target[at.index(len)] = value;
        }
        target.resize(len.saturating_add_signed(resize), 0);
        assert_images_consistent(&images, &parse_images(&images));
        assert_labels_consistent(&label_bytes, &parse_labels(&label_bytes));
        if let Ok(set) = Dataset::from_idx(&images, &label_bytes) {
            prop_assert_eq!(set.pixels.len(), set.len() * IMAGE_PIXELS);
            prop_assert!(set.labels.iter().all(|&l| l < 10));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Weights files (src/weights.rs).

fn standard_weights() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/standard.safetensors")).expect("the committed weights")
}

/// A safetensors file: an 8-byte little-endian header length, the JSON header, the data.
fn safetensors(header: &serde_json::Value, data: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap();
    [&(json.len() as u64).to_le_bytes()[..], &json, data].concat()
}

/// The header and the data of a safetensors file.
fn split_safetensors(bytes: &[u8]) -> (BTreeMap<String, serde_json::Value>, usize) {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (serde_json::from_slice(&bytes[8..8 + len]).unwrap(), 8 + len)
}

/// Accepted weights must build a network: `inspect` saying yes and `load` failing (or worse,
/// panicking or exhausting memory) would be a bug.
fn assert_accepted_weights_load(bytes: &[u8]) {
    if let Ok(config) = weights::inspect(bytes) {
        assert!(config.conv1_channels >= 1 && config.conv2_channels >= 1 && config.hidden >= 1, "{config:?}");
        let model = weights::load(bytes, &Device::flex()).expect("inspect accepted these weights, load refused them");
        let probabilities = adversarial_digits::inference::probabilities(&model, &[0.5; IMAGE_PIXELS], &Device::flex());
        assert!(probabilities.iter().all(|p| p.is_finite()));
    }
}

/// A width as a header might claim it: ordinary, zero, or so large that sizes overflow.
fn claimed_width() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 1usize..4,
        1 => Just(0usize),
        1 => prop::sample::select(vec![1usize << 31, 1 << 32, 1 << 61, 1 << 62, 1 << 63, usize::MAX, usize::MAX / 4 + 1, usize::MAX / 49 + 1]),
    ]
}

/// The shapes of the eight tensors for widths `c1`, `c2` and `hidden`, as a 64-bit machine would
/// compute them (wrapping, so that absurd widths can be claimed).
fn architecture(c1: usize, c2: usize, hidden: usize) -> [Vec<usize>; 8] {
    let pooled = (IMAGE_SIDE / 4) * (IMAGE_SIDE / 4);
    [vec![c1, 1, 5, 5], vec![c1], vec![c2, c1, 5, 5], vec![c2], vec![hidden, c2.wrapping_mul(pooled)], vec![hidden], vec![10, hidden], vec![10]]
}

/// One header entry: dtype, shape, and offsets if they are to lie (else they follow the shape).
type Entry = (&'static str, Vec<usize>, Option<[usize; 2]>);

/// A weights file with the eight tensors in order, each's offsets following its claimed byte
/// count as a 64-bit machine would wrap it, and zero data for what the offsets claim (up to
/// 1 MiB): the file a liar would send.
fn weights_file(entries: Vec<Entry>) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, (dtype, shape, lie)) in TENSOR_NAMES.iter().zip(entries) {
        let end = offset.wrapping_add(shape.iter().fold(4usize, |a, &d| a.wrapping_mul(d)));
        let offsets = lie.unwrap_or([offset, end]);
        header.insert(name.to_string(), serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": offsets}));
        offset = end;
    }
    safetensors(&serde_json::Value::Object(header), &vec![0u8; offset.min(1 << 20)])
}

fn f32_file(shapes: [Vec<usize>; 8]) -> Vec<u8> {
    weights_file(shapes.into_iter().map(|shape| ("F32", shape, None)).collect())
}

/// A weights file whose header is built from parts: the right architecture for widths that may
/// be absurd, sometimes a tensor with an arbitrary shape (rank 0 included), another dtype, or
/// offsets that lie.
fn built_weights() -> impl Strategy<Value = Vec<u8>> {
    let odd_shape = vec(claimed_width(), 0..5);
    (
        (claimed_width(), claimed_width(), claimed_width()),
        vec(prop::option::weighted(0.15, odd_shape), 8),
        vec(prop::option::weighted(0.05, prop::sample::select(vec!["F16", "I8", "F64", "I32", "f32", ""])), 8),
        vec(prop::option::weighted(0.05, any::<[u16; 2]>().prop_map(|[a, b]| [a as usize, b as usize])), 8),
    )
        .prop_map(|((c1, c2, h), odd_shapes, dtypes, lies)| {
            let entries = architecture(c1, c2, h)
                .into_iter()
                .enumerate()
                .map(|(i, shape)| (dtypes[i].unwrap_or("F32"), odd_shapes[i].clone().unwrap_or(shape), lies[i]))
                .collect();
            weights_file(entries)
        })
}

#[test]
fn a_weights_header_claiming_a_60000_by_60000_tensor_is_refused_without_allocating_it() {
    let side = CLAIMED_SIDE as usize;
    let (_, start) = split_safetensors(&standard_weights());
    let mut header: serde_json::Value = serde_json::from_slice(&standard_weights()[8..start]).unwrap();
    header["fc1.weight"]["shape"] = serde_json::json!([side, side]);
    header["fc1.weight"]["data_offsets"] = serde_json::json!([53504, 53504 + 4 * side * side]);
    let bytes = safetensors(&header, &standard_weights()[start..]);
    let (result, allocated) = allocations(|| weights::inspect(&bytes));
    assert!(matches!(result, Err(WeightsError::Corrupt(_))), "{result:?}");
    assert!(allocated < 64 * 1024, "{allocated} bytes allocated to refuse a 14 GB claim");
    // A header length of 2^64 - 1: refused before reading the header at all.
    let mut bytes = standard_weights();
    bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let (result, allocated) = allocations(|| weights::inspect(&bytes));
    assert!(matches!(result, Err(WeightsError::Corrupt(_))));
    assert!(allocated < 1024);
}

#[test]
fn the_builder_makes_files_that_load() {
    let bytes = f32_file(architecture(2, 3, 4));
    let config = weights::inspect(&bytes).unwrap();
    assert_eq!((config.conv1_channels, config.conv2_channels, config.hidden), (2, 3, 4));
    assert_accepted_weights_load(&bytes);
}

#[test]
fn a_rank_zero_tensor_is_refused_not_a_panic() {
    let mut shapes = architecture(2, 3, 4);
    shapes[0] = vec![];
    assert!(matches!(weights::inspect(&f32_file(shapes)), Err(WeightsError::Shape { .. })));
}

#[test]
fn widths_whose_byte_counts_overflow_are_refused() {
    // 2^62 channels: every byte count is a multiple of 2^64, which wraps to 0 and matched the
    // empty offsets; the network built from it would have asked for exabytes.
    let bytes = f32_file(architecture(1 << 62, 1 << 62, 1 << 62));
    assert!(matches!(weights::inspect(&bytes), Err(WeightsError::Corrupt(_))), "{:?}", weights::inspect(&bytes));
}

#[test]
fn zero_widths_are_refused() {
    for (c1, c2, hidden) in [(0, 0, 0), (0, 3, 4), (2, 0, 4), (2, 3, 0)] {
        let bytes = f32_file(architecture(c1, c2, hidden));
        assert!(matches!(weights::inspect(&bytes), Err(WeightsError::Shape { .. })), "{c1} {c2} {hidden}: {:?}", weights::inspect(&bytes));
    }
}

#[test]
fn tensors_must_tile_the_data_exactly() {
    let bytes = f32_file(architecture(2, 3, 4));
    let with_trailing_byte = [&bytes[..], &[0]].concat();
    assert!(matches!(weights::inspect(&with_trailing_byte), Err(WeightsError::Corrupt(_))));
    // The committed file with its header four padding spaces shorter: still JSON, and every
    // tensor still in the file, but the last four bytes belong to no tensor.
    let mut shifted = standard_weights();
    let length = u64::from_le_bytes(shifted[..8].try_into().unwrap());
    shifted[..8].copy_from_slice(&(length - 4).to_le_bytes());
    assert!(matches!(weights::inspect(&shifted), Err(WeightsError::Corrupt(_))), "{:?}", weights::inspect(&shifted));
    let (mut header, start) = split_safetensors(&standard_weights());
    header.insert("__metadata__".into(), serde_json::json!({"format": 1}));
    let bad_metadata = safetensors(&serde_json::to_value(&header).unwrap(), &standard_weights()[start..]);
    assert!(matches!(weights::inspect(&bad_metadata), Err(WeightsError::Corrupt(_))));
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn weights_from_any_bytes_are_refused(bytes in vec(any::<u8>(), 0..256)) {
        prop_assert!(weights::inspect(&bytes).is_err());
    }

    /// A plausible header length over arbitrary JSON-ish text.
    #[test]
    fn weights_with_any_header_text_are_refused(text in "[{}\\[\\]\":,0-9a-zA-Z_. -]{0,200}", extra in vec(any::<u8>(), 0..64)) {
        let bytes = [&(text.len() as u64).to_le_bytes()[..], text.as_bytes(), &extra].concat();
        prop_assert!(weights::inspect(&bytes).is_err());
    }

    /// Headers built from parts, absurd widths and overflowing sizes included.
    #[test]
    fn weights_with_built_headers_are_refused_or_load(bytes in built_weights()) {
        let (_, allocated) = allocations(|| weights::inspect(&bytes));
        prop_assert!(allocated <= 64 * bytes.len() + 64 * 1024, "{} bytes allocated for a {}-byte file", allocated, bytes.len());
        assert_accepted_weights_load(&bytes);
    }
}

proptest! {
    // Each case copies and checks the whole 862 KB model: fewer cases.
    #![proptest_config(config(1024))]

    /// The committed model with header bytes changed (to any byte, or to one that keeps the
    /// JSON nearly valid: digits, brackets, quotes), or its length prefix changed.
    #[test]
    fn damaged_weight_headers_are_refused_or_load(
        edits in vec((any::<prop::sample::Index>(), prop_oneof![any::<u8>(), prop::sample::select(b"0123456789[]{},:\"-.eE ".to_vec())]), 1..4),
        length_delta in prop_oneof![3 => Just(0i64), 1 => -16i64..16, 1 => any::<i64>()],
    ) {
        let mut bytes = standard_weights();
        let (_, start) = split_safetensors(&bytes);
        for (at, value) in edits {
            bytes[8 + at.index(start - 8)] = value;
        }
        let length = u64::from_le_bytes(bytes[..8].try_into().unwrap()).wrapping_add_signed(length_delta);
        bytes[..8].copy_from_slice(&length.to_le_bytes());
        assert_accepted_weights_load(&bytes);
    }

    /// The committed model cut anywhere: always refused as damaged.
    #[test]
    fn truncated_weights_are_refused(cut in any::<prop::sample::Index>()) {
        let bytes = standard_weights();
        let cut = cut.index(bytes.len());
        prop_assert!(matches!(weights::inspect(&bytes[..cut]), Err(WeightsError::Corrupt(_))));
    }

    /// Any float written anywhere in the data: accepted if finite, otherwise refused naming
    /// the tensor and the element (NaN of any payload, and both infinities).
    #[test]
    fn any_non_finite_weight_is_refused_by_name(
        tensor in prop::sample::select(TENSOR_NAMES.to_vec()),
        element in any::<prop::sample::Index>(),
        value in prop_oneof![any::<u32>().prop_map(f32::from_bits), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(f32::NAN)],
    ) {
        let mut bytes = standard_weights();
        let (header, start) = split_safetensors(&bytes);
        let [from, to] = [0, 1].map(|i| header[tensor]["data_offsets"][i].as_u64().unwrap() as usize);
        let index = element.index((to - from) / 4);
        bytes[start + from + 4 * index..][..4].copy_from_slice(&value.to_le_bytes());
        let result = weights::inspect(&bytes);
        if value.is_finite() {
            prop_assert!(result.is_ok(), "{:?}", result);
        } else {
            prop_assert_eq!(result.err(), Some(WeightsError::NotFinite { name: tensor.into(), index }));
        }
    }
}
