//! The hot loops of adversarial-digits' classification on the CPU, on plain slices: a
//! convolution block of the network (a "same" convolution with an odd square kernel, bias, ReLU,
//! 2×2 max-pool), and a fully connected layer with its ReLU.
//!
//! A crate of its own only so that the browser's CPU build can compile it for speed
//! (opt-level 3) while the rest of the project is compiled for size. The burn side, and why the
//! kernels are shaped as they are, are in the main crate's `src/kernels.rs`.

mod lanes;

use lanes::{F32x4, relu};

/// The kernel on plain slices: `x` is `[n, ci, side, side]`, `weight` `[co, ci, k, k]`, `bias`
/// `[co]`, all row-major; returns `[n, co, side/2, side/2]`.
#[allow(clippy::too_many_arguments)]
pub fn conv_relu_pool(x: &[f32], n: usize, ci: usize, side: usize, weight: &[f32], bias: &[f32], co: usize, k: usize) -> Vec<f32> {
    let (pad, hw, half, taps) = (k / 2, side * side, side / 2, ci * k * k);
    assert!(k % 2 == 1 && side.is_multiple_of(2), "odd kernel, even side");
    assert_eq!((x.len(), weight.len(), bias.len()), (n * ci * hw, co * taps, co), "shapes");
    let padded_side = side + 2 * pad;
    let mut padded = vec![0.0f32; ci * padded_side * padded_side];
    // Row (c, i, j) of `cols` is channel c shifted by (i - pad, j - pad), zeros outside: the
    // product weight [co, taps] × cols [taps, hw] is the convolution, in NCHW order already.
    // Rows of `cols` and `conv` are padded to whole tiles (196 → 200 pixels); the padding stays 0.
    let stride = hw.div_ceil(TILE_PIXELS) * TILE_PIXELS;
    let mut cols = vec![0.0f32; taps * stride];
    let mut conv = vec![0.0f32; co * stride];
    let mut out = vec![0.0f32; n * co * half * half];
    let mut rows = vec![0.0f32; side];
    for b in 0..n {
        for c in 0..ci {
            for y in 0..side {
                let src = &x[((b * ci + c) * side + y) * side..][..side];
                let start = (c * padded_side + y + pad) * padded_side + pad;
                copy(&mut padded[start..start + side], src);
            }
        }
        for c in 0..ci {
            for i in 0..k {
                for j in 0..k {
                    let row = &mut cols[((c * k + i) * k + j) * stride..][..hw];
                    for y in 0..side {
                        let start = (c * padded_side + y + i) * padded_side + j;
                        copy(&mut row[y * side..(y + 1) * side], &padded[start..start + side]);
                    }
                }
            }
        }
        product(weight, &cols, &mut conv, co, stride, taps);
        for o in 0..co {
            let plane = &conv[o * stride..][..hw];
            let pooled = &mut out[(b * co + o) * half * half..][..half * half];
            for (y, pooled_row) in pooled.chunks_exact_mut(half).enumerate() {
                // Rows first (a straight element-wise loop), then neighbouring pairs.
                let (top, bottom) = (&plane[2 * y * side..][..side], &plane[(2 * y + 1) * side..][..side]);
                for ((r, t), u) in rows.iter_mut().zip(top).zip(bottom) {
                    *r = larger(*t, *u);
                }
                for (p, pair) in pooled_row.iter_mut().zip(rows.chunks_exact(2)) {
                    *p = relu(larger(pair[0], pair[1]) + bias[o]);
                }
            }
        }
    }
    out
}

/// `relu(x · weight + bias)` for `x` `[n, inputs]`, `weight` `[inputs, outputs]` (burn's
/// `Linear` layout), `bias` `[outputs]`; returns `[n, outputs]`.
///
/// The layer's inputs are pooled ReLU maps, many of them zeros (`tests/kernels.rs` counts them
/// on MNIST's test digits), so each row first lists its non-zero inputs (without a branch per
/// input) and only their weight rows are read. The outputs go in blocks of 32 (8 vectors of
/// sums, kept in registers) over that list.
pub fn linear_relu(x: &[f32], n: usize, inputs: usize, weight: &[f32], bias: &[f32], outputs: usize) -> Vec<f32> {
    assert_eq!((x.len(), weight.len(), bias.len()), (n * inputs, inputs * outputs, outputs), "shapes");
    let mut out = vec![0.0f32; n * outputs];
    let mut nonzero = vec![0usize; inputs];
    for (row, y) in x.chunks_exact(inputs).zip(out.chunks_exact_mut(outputs)) {
        let mut count = 0;
        for (i, &v) in row.iter().enumerate() {
            nonzero[count] = i;
            count += usize::from(v != 0.0);
        }
        let nonzero = &nonzero[..count];
        let blocks = outputs / LINEAR_BLOCK * LINEAR_BLOCK;
        for start in (0..blocks).step_by(LINEAR_BLOCK) {
            let mut sums: [F32x4; LINEAR_BLOCK / 4] = std::array::from_fn(|v| {
                // SAFETY: start + LINEAR_BLOCK <= outputs = bias.len().
                unsafe { F32x4::load(bias.as_ptr().add(start + 4 * v)) }
            });
            for &i in nonzero {
                let value = F32x4::splat(row[i]);
                // SAFETY: i < inputs and start + LINEAR_BLOCK <= outputs, so the block lies in
                // row i of `weight` (checked length inputs × outputs).
                let w = unsafe { weight.as_ptr().add(i * outputs + start) };
                for (v, sum) in sums.iter_mut().enumerate() {
                    *sum = value.mul_add(unsafe { F32x4::load(w.add(4 * v)) }, *sum);
                }
            }
            for (v, sum) in sums.iter().enumerate() {
                // SAFETY: start + LINEAR_BLOCK <= outputs = y.len().
                unsafe { sum.relu().store(y.as_mut_ptr().add(start + 4 * v)) };
            }
        }
        for (o, out) in y.iter_mut().enumerate().skip(blocks) {
            let sum = nonzero.iter().fold(bias[o], |sum, &i| row[i] * weight[i * outputs + o] + sum);
            *out = relu(sum);
        }
    }
    out
}

/// Outputs summed together by [`linear_relu`]: 8 vectors of sums, 1 weight vector and the input
/// fit V8's x64 registers.
const LINEAR_BLOCK: usize = 32;

/// Output channels × pixels of one tile of the product: 4 × 8 (two vectors), 8 accumulators:
/// V8 keeps its 8 sums, 2 pixel vectors and the weight in registers (x64 has 16, V8 keeps one
/// back), where larger tiles spill (the README lists the tiles measured). The `gemm` crate's
/// general kernel packs both operands into panels first, a copy a product this small does not
/// repay.
const TILE_CHANNELS: usize = 4;
const TILE_VECTORS: usize = 2;
const TILE_PIXELS: usize = 4 * TILE_VECTORS;

/// `c[m × n] = a[m × k] · b[k × n]`, all row-major and dense, `n` a multiple of [`TILE_PIXELS`]:
/// the tiled kernel in the browser; natively the `gemm` crate, whose run-time dispatch reaches
/// 256-bit AVX2 and FMA where the tiled kernel's four lanes are 128-bit SSE. The unit tests run
/// the tiled kernel natively all the same.
fn product(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) {
    #[cfg(target_arch = "wasm32")]
    tiled_product(a, b, c, m, n, k);
    #[cfg(not(target_arch = "wasm32"))]
    {
        assert_product_shapes(a, b, c, m, n, k);
        // SAFETY: `c` is m × n, `a` m × k and `b` k × n, all row-major (column stride 1, row
        // stride the width), as the strides passed say; the lengths were checked above.
        unsafe {
            gemm::gemm(
                m, n, k,
                c.as_mut_ptr(), 1, n as isize, false,
                a.as_ptr(), 1, k as isize,
                b.as_ptr(), 1, n as isize,
                0.0, 1.0, false, false, false,
                gemm::Parallelism::None,
            );
        }
    }
}

/// Both paths of [`product`] need dense row-major operands and whole tiles of columns.
fn assert_product_shapes(a: &[f32], b: &[f32], c: &[f32], m: usize, n: usize, k: usize) {
    assert!(n.is_multiple_of(TILE_PIXELS) && a.len() == m * k && b.len() == k * n && c.len() == m * n, "product shapes");
}

/// [`product`] by register tiles. Each tile sums over `k` in order, straight from `a` and `b`
/// (no packing: `a` is a few rows of weights read in order, and a tile's columns of `b` stay in
/// L1 while all its channels pass).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn tiled_product(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) {
    assert_product_shapes(a, b, c, m, n, k);
    for j in (0..n).step_by(TILE_PIXELS) {
        let mut i = 0;
        // SAFETY: rows i..i + R of `a` and `c` and columns j..j + TILE_PIXELS of `b` and `c` are
        // in bounds: i + R <= m, j + TILE_PIXELS <= n, and the lengths were checked above.
        while i + TILE_CHANNELS <= m {
            unsafe { tile::<TILE_CHANNELS>(a.as_ptr().add(i * k), k, b.as_ptr().add(j), n, c.as_mut_ptr().add(i * n + j)) };
            i += TILE_CHANNELS;
        }
        while i < m {
            unsafe { tile::<1>(a.as_ptr().add(i * k), k, b.as_ptr().add(j), n, c.as_mut_ptr().add(i * n + j)) };
            i += 1;
        }
    }
}

/// `R` rows × [`TILE_PIXELS`] columns of the product. `a` points at row 0 of the tile's rows
/// (row stride `k`), `b` and `c` at its first column (row stride `n`).
///
/// # Safety
/// `a[r * k + kk]`, `b[kk * n + p]` and `c[r * n + p]` must be in bounds for r < R, kk < k,
/// p < TILE_PIXELS.
#[inline(always)]
unsafe fn tile<const R: usize>(a: *const f32, k: usize, b: *const f32, n: usize, c: *mut f32) {
    let mut sums = [[F32x4::zero(); TILE_VECTORS]; R];
    for kk in 0..k {
        let mut pixels = [F32x4::zero(); TILE_VECTORS];
        for (v, vector) in pixels.iter_mut().enumerate() {
            *vector = unsafe { F32x4::load(b.add(kk * n + 4 * v)) };
        }
        for (r, row) in sums.iter_mut().enumerate() {
            let weight = F32x4::splat(unsafe { *a.add(r * k + kk) });
            for (sum, vector) in row.iter_mut().zip(pixels) {
                *sum = weight.mul_add(vector, *sum);
            }
        }
    }
    for (r, row) in sums.iter().enumerate() {
        for (v, sum) in row.iter().enumerate() {
            unsafe { sum.store(c.add(r * n + 4 * v)) };
        }
    }
}

/// The larger of two values, as a comparison: `f32::max` must ignore NaN, which costs a few
/// instructions more per call in wasm (inputs are sanitised and weights checked for NaN).
#[inline(always)]
fn larger(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// An element-wise loop rather than `copy_from_slice`: rows are 14 or 28 values, where a call
/// to `memcpy` costs more than the copy (measured: 4× slower im2col in the browser's wasm).
#[inline(always)]
fn copy(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1), different for every index and seed.
    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len).map(|i| ((i * 7919 + seed * 104_729) % 2001) as f32 / 1000.0 - 1.0).collect()
    }

    #[test]
    fn the_tiled_product_is_the_matrix_product() {
        // Row counts with and without a remainder below a whole tile of channels.
        for (m, n, k) in [(4, 8, 1), (32, 200, 400), (5, 16, 3), (3, 8, 25), (1, 24, 7)] {
            let (a, b) = (values(m * k, 1), values(k * n, 2));
            let (mut c, mut tiled) = (vec![f32::NAN; m * n], vec![f32::NAN; m * n]);
            product(&a, &b, &mut c, m, n, k);
            tiled_product(&a, &b, &mut tiled, m, n, k);
            let worst = c.iter().zip(&tiled).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(worst <= 1e-4, "{m}x{n}x{k}: the tiled kernel differs by {worst}");
            for i in 0..m {
                for j in 0..n {
                    let expected: f32 = (0..k).map(|kk| a[i * k + kk] * b[kk * n + j]).sum();
                    let got = c[i * n + j];
                    assert!((got - expected).abs() <= 1e-4 * (1.0 + expected.abs()), "{m}x{n}x{k} at ({i}, {j}): {got} vs {expected}");
                }
            }
        }
    }

    #[test]
    fn the_sparse_layer_is_relu_of_the_affine_map() {
        // 40 outputs: one block of 32 and 8 left over; inputs with zeros, negatives and -0.0.
        for (n, inputs, outputs) in [(1, 50, 40), (3, 17, 32), (2, 9, 5)] {
            let mut x = values(n * inputs, 3);
            for (i, v) in x.iter_mut().enumerate() {
                if i % 3 == 0 { *v = 0.0 } else if i % 7 == 0 { *v = -0.0 }
            }
            let (weight, bias) = (values(inputs * outputs, 4), values(outputs, 5));
            let got = linear_relu(&x, n, inputs, &weight, &bias, outputs);
            let mut both_sides = [false; 2];
            for b in 0..n {
                for o in 0..outputs {
                    let affine: f32 = bias[o] + (0..inputs).map(|i| x[b * inputs + i] * weight[i * outputs + o]).sum::<f32>();
                    both_sides[usize::from(affine > 0.0)] = true;
                    let (got, expected) = (got[b * outputs + o], affine.max(0.0));
                    assert!((got - expected).abs() <= 1e-4 * (1.0 + expected.abs()), "n {n} at ({b}, {o}): {got} vs {expected}");
                }
            }
            assert_eq!(both_sides, [true, true], "the test should see both sides of ReLU");
        }
    }

    #[test]
    fn nan_inputs_are_not_skipped_as_zeros() {
        // 33 outputs: a block of 32 and one left over, which take different paths.
        let got = linear_relu(&[f32::NAN, 0.0], 1, 2, &[1.0; 66], &[0.0; 33], 33);
        assert!(got.iter().all(|v| v.is_nan()));
    }

    #[test]
    #[should_panic(expected = "product shapes")]
    fn a_width_that_is_not_whole_tiles_is_refused() {
        let mut c = vec![0.0; 6];
        product(&[1.0; 2], &[1.0; 6], &mut c, 1, 6, 2);
    }

    #[test]
    #[should_panic(expected = "product shapes")]
    fn the_tiled_kernel_refuses_a_width_that_is_not_whole_tiles() {
        let mut c = vec![0.0; 6];
        tiled_product(&[1.0; 2], &[1.0; 6], &mut c, 1, 6, 2);
    }
}
