//! One fused CPU kernel for classification: a convolution block of the network (5×5 "same"
//! convolution + bias → ReLU → 2×2 max-pool) in one pass, on burn's flex backend.
//!
//! Why: classifying one digit is mostly these two blocks, and burn-flex runs each as a layout
//! change to NHWC, a tiled im2col, a matrix product, a copy back to NCHW, then ReLU and pooling
//! as separate operations, each allocating its output. Measured in wasm (one thread, SIMD), the
//! matrix product is 0.18 ms of the second block's 0.32 ms there. Here (`kernels/`, a crate of its
//! own so that the CPU build can compile it for speed) the input is copied once into a
//! zero-bordered buffer, im2col is one straight copy per kernel row, the `gemm` crate burn-flex
//! uses does the product, and bias, ReLU and pooling are applied while reading the product out:
//! 0.24 ms for the block, 0.04 ms (from 0.1) for the first.
//!
//! Only classification takes this path: it has no backward pass, so anything on an autodiff
//! device (attacks, training, visualisations) keeps burn's differentiable operations. Max-pooling
//! commutes with adding a per-channel bias and with ReLU (both are monotone), so pooling first and
//! then adding the bias and clamping gives exactly what burn's order gives, on a quarter of the
//! values. Sums may differ from burn-flex's in the last bits (another summation order).
//!
//! This is the crate's one place that names a backend besides the entry points: a backend
//! extension is how burn lets a crate give one backend its own kernel.

use burn::backend::flex::FlexTensor;
use burn::backend::{Flex, backend_extension, tensor::FloatTensor};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::DType;

#[backend_extension(Flex)]
pub trait ConvBlockBackend: burn::backend::Backend {
    /// `[n, ci, s, s]` → `[n, co, s/2, s/2]` through a `[co, ci, k, k]` kernel ("same" padding,
    /// odd `k`), a `[co]` bias, ReLU and 2×2 max-pooling. F32 only.
    fn conv_relu_pool(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl ConvBlockBackend for Flex {
    fn conv_relu_pool(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        let (x, weight, bias) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
        let [n, ci, side, _] = dims4(x.layout().shape());
        let [co, _, kernel, _] = dims4(weight.layout().shape());
        let out = adversarial_digits_kernels::conv_relu_pool(x.storage::<f32>(), n, ci, side, weight.storage::<f32>(), bias.storage::<f32>(), co, kernel);
        FlexTensor::from_data(TensorData::new(out, [n, co, side / 2, side / 2]))
    }
}

fn dims4(shape: &burn::tensor::Shape) -> [usize; 4] {
    assert_eq!(shape.num_dims(), 4, "a 4-D tensor");
    [shape[0], shape[1], shape[2], shape[3]]
}

/// `conv` → ReLU → 2×2 max-pool of `x` through the fused kernel, when it applies: a flex tensor
/// (not on an autodiff device, nor the layer's weights), F32, a square odd kernel with "same"
/// padding, stride 1, no dilation or groups, a bias, and an even square input. `None` otherwise:
/// the caller then runs burn's operations.
pub fn conv_relu_pool_if_supported(conv: &Conv2d, x: &Tensor<4>) -> Option<Tensor<4>> {
    // Device equality ignores autodiff (an autodiff flex device equals the plain one), hence the
    // second test. The input is checked first: an attack's every step comes here with one on the
    // autodiff device and should leave before anything else is looked at.
    let flex = Device::flex();
    let on_flex = |d: Device| d == flex && !d.is_autodiff();
    if !on_flex(x.device()) {
        return None;
    }
    let bias = conv.bias.as_ref()?.val();
    let weight = conv.weight.val();
    let [_, ci, h, w] = x.dims();
    let [_, wci, kh, kw] = weight.dims();
    let same = kh == kw && kh % 2 == 1 && matches!(conv.padding, PaddingConfig2d::Explicit(t, l, b, r) if [t, l, b, r] == [kh / 2; 4]);
    let plain = conv.stride == [1, 1] && conv.dilation == [1, 1] && conv.groups == 1 && wci == ci;
    let f32s = x.dtype() == DType::F32 && weight.dtype() == DType::F32 && bias.dtype() == DType::F32;
    if !(same && plain && on_flex(weight.device()) && on_flex(bias.device()) && f32s && h == w && h % 2 == 0) {
        return None;
    }
    let out = <burn::backend::Dispatch as ConvBlockBackend>::conv_relu_pool(x.clone().into_dispatch(), weight.into_dispatch(), bias.into_dispatch());
    Some(Tensor::from_dispatch(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::Distribution;

    /// burn's own operations, in burn's order: convolution, ReLU, pooling.
    fn reference(conv: &Conv2d, x: Tensor<4>) -> Vec<f32> {
        let pool = MaxPool2dConfig::new([2, 2]).init();
        pool.forward(burn::tensor::activation::relu(conv.forward(x))).into_data().try_to_vec::<f32>().unwrap()
    }

    fn conv(ci: usize, co: usize, k: usize, device: &Device) -> Conv2d {
        Conv2dConfig::new([ci, co], [k, k]).with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2)).init(device)
    }

    #[test]
    fn the_fused_block_equals_burns_operations() {
        let device = Device::flex();
        for (n, ci, co, k, side) in [(1, 1, 16, 5, 28), (3, 16, 32, 5, 14), (2, 3, 4, 3, 6)] {
            let layer = conv(ci, co, k, &device);
            let x = Tensor::<4>::random([n, ci, side, side], Distribution::Normal(0.0, 1.0), &device);
            let fused = conv_relu_pool_if_supported(&layer, &x).expect("a supported layer");
            assert_eq!(fused.dims(), [n, co, side / 2, side / 2]);
            let fused = fused.into_data().try_to_vec::<f32>().unwrap();
            let expected = reference(&layer, x);
            let worst = fused.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "n {n} ci {ci} co {co} k {k}: differs by {worst}");
            assert!(expected.iter().any(|&v| v > 0.0) && expected.iter().any(|&v| v == 0.0), "the test should see both sides of ReLU");
        }
    }

    #[test]
    fn layers_and_inputs_it_cannot_take_go_to_burn() {
        let device = Device::flex();
        let x = Tensor::<4>::zeros([1, 1, 28, 28], &device);
        let strided = Conv2dConfig::new([1, 4], [5, 5]).with_stride([2, 2]).with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2)).init(&device);
        let unpadded = Conv2dConfig::new([1, 4], [5, 5]).init(&device);
        let no_bias = Conv2dConfig::new([1, 4], [5, 5]).with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2)).with_bias(false).init(&device);
        for layer in [&strided, &unpadded, &no_bias] {
            assert!(conv_relu_pool_if_supported(layer, &x).is_none());
        }
        let layer = conv(1, 4, 5, &device);
        assert!(conv_relu_pool_if_supported(&layer, &Tensor::<4>::zeros([1, 1, 27, 27], &device)).is_none(), "odd side");
        // An attack's input lives on the autodiff device: it needs burn's backward pass.
        let tracked = x.clone().autodiff().require_grad();
        assert!(conv_relu_pool_if_supported(&layer, &tracked).is_none());
        assert!(conv_relu_pool_if_supported(&layer, &x.clone().autodiff()).is_none());
        assert!(conv_relu_pool_if_supported(&layer, &x).is_some());
    }
}
