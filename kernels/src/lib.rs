//! The hot loop of adversarial-digits' classification on the CPU, on plain slices: one block
//! of the network (a "same" convolution with an odd square kernel, bias, ReLU, 2×2 max-pool).
//!
//! A crate of its own only so that the browser's CPU build can compile it for speed
//! (opt-level 3) while the rest of the project is compiled for size. The burn side, and why the
//! kernel is shaped as it is, are in the main crate's `src/kernels.rs`.

/// The kernel on plain slices: `x` is `[n, ci, side, side]`, `weight` `[co, ci, k, k]`, `bias`
/// `[co]`, all row-major; returns `[n, co, side/2, side/2]`.
#[allow(clippy::too_many_arguments)]
pub fn conv_relu_pool(x: &[f32], n: usize, ci: usize, side: usize, weight: &[f32], bias: &[f32], co: usize, k: usize) -> Vec<f32> {
    let (pad, hw, half, taps) = (k / 2, side * side, side / 2, ci * k * k);
    assert!(k % 2 == 1 && side % 2 == 0, "odd kernel, even side");
    assert_eq!((x.len(), weight.len(), bias.len()), (n * ci * hw, co * taps, co), "shapes");
    let padded_side = side + 2 * pad;
    let mut padded = vec![0.0f32; ci * padded_side * padded_side];
    // Row (c, i, j) of `cols` is channel c shifted by (i - pad, j - pad), zeros outside: the
    // product weight [co, taps] × cols [taps, hw] is the convolution, in NCHW order already.
    let mut cols = vec![0.0f32; taps * hw];
    let mut conv = vec![0.0f32; co * hw];
    let mut out = vec![0.0f32; n * co * half * half];
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
                    let row = &mut cols[((c * k + i) * k + j) * hw..][..hw];
                    for y in 0..side {
                        let start = (c * padded_side + y + i) * padded_side + j;
                        copy(&mut row[y * side..(y + 1) * side], &padded[start..start + side]);
                    }
                }
            }
        }
        // SAFETY: `conv` is co × hw, `weight` co × taps and `cols` taps × hw, all row-major
        // (column stride 1, row stride the width), as the strides passed say.
        unsafe {
            gemm::gemm(
                co, hw, taps,
                conv.as_mut_ptr(), 1, hw as isize, false,
                weight.as_ptr(), 1, taps as isize,
                cols.as_ptr(), 1, hw as isize,
                0.0, 1.0, false, false, false,
                gemm::Parallelism::None,
            );
        }
        let mut rows = vec![0.0f32; side];
        for o in 0..co {
            let plane = &conv[o * hw..(o + 1) * hw];
            let pooled = &mut out[(b * co + o) * half * half..][..half * half];
            for (y, pooled_row) in pooled.chunks_exact_mut(half).enumerate() {
                // Rows first (a straight element-wise loop), then neighbouring pairs.
                let (top, bottom) = (&plane[2 * y * side..][..side], &plane[(2 * y + 1) * side..][..side]);
                for ((r, t), u) in rows.iter_mut().zip(top).zip(bottom) {
                    *r = larger(*t, *u);
                }
                for (p, pair) in pooled_row.iter_mut().zip(rows.chunks_exact(2)) {
                    *p = larger(larger(pair[0], pair[1]) + bias[o], 0.0);
                }
            }
        }
    }
    out
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
