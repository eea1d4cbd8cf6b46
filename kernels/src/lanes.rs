//! Four f32 lanes: WebAssembly's 128-bit SIMD in the browser, a plain array elsewhere (where
//! LLVM turns the same loops into the host's vector instructions). The kernel is written once
//! against this type, so the native tests check the very loops the browser runs.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F32x4(v128);

    impl F32x4 {
        #[inline(always)]
        pub fn zero() -> Self {
            F32x4(f32x4_splat(0.0))
        }
        #[inline(always)]
        pub fn splat(value: f32) -> Self {
            F32x4(f32x4_splat(value))
        }
        /// # Safety
        /// `p..p + 4` must be readable (any alignment).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(unsafe { v128_load(p as *const v128) })
        }
        /// # Safety
        /// `p..p + 4` must be writable (any alignment).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { v128_store(p as *mut v128, self.0) }
        }
        /// `self * b + c`, rounded twice (no fused multiply-add in plain wasm SIMD).
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            F32x4(f32x4_add(f32x4_mul(self.0, b.0), c.0))
        }
        /// The lanes below zero set to zero (`pmax(x, 0)` is `x < 0 ? 0 : x`, one x64 `maxps`;
        /// NaN stays NaN).
        #[inline(always)]
        pub fn relu(self) -> Self {
            F32x4(f32x4_pmax(self.0, f32x4_splat(0.0)))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    use super::relu;

    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);

    impl F32x4 {
        #[inline(always)]
        pub fn zero() -> Self {
            F32x4([0.0; 4])
        }
        #[inline(always)]
        pub fn splat(value: f32) -> Self {
            F32x4([value; 4])
        }
        /// # Safety
        /// `p..p + 4` must be readable (any alignment).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(unsafe { (p as *const [f32; 4]).read_unaligned() })
        }
        /// # Safety
        /// `p..p + 4` must be writable (any alignment).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { (p as *mut [f32; 4]).write_unaligned(self.0) }
        }
        /// `self * b + c`, rounded twice, as in the wasm build.
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] * b.0[i] + c.0[i]))
        }
        /// The lanes below zero set to zero (NaN stays NaN).
        #[inline(always)]
        pub fn relu(self) -> Self {
            F32x4(self.0.map(relu))
        }
    }
}

pub use imp::F32x4;

/// `x < 0 ? 0 : x`, as WebAssembly's `pmax(x, 0)`: NaN stays NaN.
#[inline(always)]
pub fn relu(x: f32) -> f32 {
    if x < 0.0 { 0.0 } else { x }
}
