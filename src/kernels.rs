//! The CPU kernels classification runs on, on burn's flex backend: each convolution block of
//! the network (5×5 "same" convolution + bias → ReLU → 2×2 max-pool) in one pass, and the
//! hidden layer (fully connected + ReLU) skipping its zero inputs.
//!
//! Why: classifying one digit is mostly these layers, and burn-flex runs a block as a layout
//! change to NHWC, a tiled im2col, a matrix product, a copy back to NCHW, then ReLU and pooling
//! as separate operations, each allocating its output. Here (`kernels/`, a crate of its own so
//! that the CPU build can compile it for speed) the input is copied once into a zero-bordered
//! buffer, im2col is one straight copy per kernel row, a 4 × 8 register-tiled product does the
//! sums, and bias, ReLU and pooling are applied while reading the product out. (The README's
//! Performance section has the measurements, and what was tried and dropped.)
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
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::DType;

use crate::model::{DigitNet, normalise};

#[backend_extension(Flex)]
pub trait ClassifierKernels: burn::backend::Backend {
    /// `[n, ci, s, s]` → `[n, co, s/2, s/2]` through a `[co, ci, k, k]` kernel ("same" padding,
    /// odd `k`), a `[co]` bias, ReLU and 2×2 max-pooling. F32 only.
    fn conv_relu_pool(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `relu(x · weight + bias)` for `x` `[n, inputs]`, `weight` `[inputs, outputs]`, `bias`
    /// `[outputs]`. F32 only.
    fn linear_relu(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl ClassifierKernels for Flex {
    fn conv_relu_pool(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        let (x, weight, bias) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
        let [n, ci, side, _] = dims::<4>(x.layout().shape());
        let [co, _, kernel, _] = dims::<4>(weight.layout().shape());
        let out = adversarial_digits_kernels::conv_relu_pool(x.storage::<f32>(), n, ci, side, weight.storage::<f32>(), bias.storage::<f32>(), co, kernel);
        FlexTensor::from_data(TensorData::new(out, [n, co, side / 2, side / 2]))
    }

    fn linear_relu(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        let (x, weight, bias) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
        let [n, inputs] = dims::<2>(x.layout().shape());
        let [_, outputs] = dims::<2>(weight.layout().shape());
        let out = adversarial_digits_kernels::linear_relu(x.storage::<f32>(), n, inputs, weight.storage::<f32>(), bias.storage::<f32>(), outputs);
        FlexTensor::from_data(TensorData::new(out, [n, outputs]))
    }
}

fn dims<const D: usize>(shape: &burn::tensor::Shape) -> [usize; D] {
    assert_eq!(shape.num_dims(), D, "a {D}-D tensor");
    std::array::from_fn(|i| shape[i])
}

/// A plain flex device: device equality ignores autodiff (an autodiff flex device equals the
/// plain one), hence the second test.
fn on_plain_flex(device: Device) -> bool {
    device == Device::flex() && !device.is_autodiff()
}

/// A layer's weight and bias, both F32 on a plain flex device (what the kernels read), or `None`.
fn kernel_parameters<const D: usize>(weight: Tensor<D>, bias: Tensor<1>) -> Option<(Tensor<D>, Tensor<1>)> {
    let usable = |dtype: DType, device: Device| dtype == DType::F32 && on_plain_flex(device);
    (usable(weight.dtype(), weight.device()) && usable(bias.dtype(), bias.device())).then_some((weight, bias))
}

/// The network's logits through the kernels (both convolution blocks fused, the hidden layer
/// sparse, then the network's own head), when they apply: classification on the CPU, with no
/// gradient to track. `None` otherwise: the caller runs the network's forward pass
/// (`inference::logits` is the one place that chooses).
pub fn logits_if_supported(model: &DigitNet, images: &Tensor<4>) -> Option<Tensor<2>> {
    if !on_plain_flex(images.device()) {
        return None;
    }
    let x = conv_relu_pool_if_supported(&model.block1.conv, &normalise(model.squeeze.forward(images.clone())))?;
    let x = conv_relu_pool_if_supported(&model.block2.conv, &x)?;
    let hidden = linear_relu_if_supported(&model.fc1, &x.flatten::<2>(1, 3))?;
    Some(model.head(hidden))
}

/// `conv` → ReLU → 2×2 max-pool of `x` through the fused kernel, when it applies: a flex tensor
/// (not on an autodiff device, nor the layer's weights), F32, a square odd kernel with "same"
/// padding, stride 1, no dilation or groups, a bias, and an even square input. `None` otherwise:
/// the caller then runs burn's operations.
pub fn conv_relu_pool_if_supported(conv: &Conv2d, x: &Tensor<4>) -> Option<Tensor<4>> {
    // The input is checked first: an attack's every step comes here with one on the autodiff
    // device and should leave before anything else is looked at.
    if !on_plain_flex(x.device()) {
        return None;
    }
    let (weight, bias) = kernel_parameters(conv.weight.val(), conv.bias.as_ref()?.val())?;
    let [_, ci, h, w] = x.dims();
    let [_, wci, kh, kw] = weight.dims();
    let same = kh == kw && kh % 2 == 1 && matches!(conv.padding, PaddingConfig2d::Explicit(t, l, b, r) if [t, l, b, r] == [kh / 2; 4]);
    let plain = conv.stride == [1, 1] && conv.dilation == [1, 1] && conv.groups == 1 && wci == ci;
    if !(same && plain && x.dtype() == DType::F32 && h == w && h % 2 == 0) {
        return None;
    }
    let out = <burn::backend::Dispatch as ClassifierKernels>::conv_relu_pool(x.clone().into_dispatch(), weight.into_dispatch(), bias.into_dispatch());
    Some(Tensor::from_dispatch(out))
}

/// `linear` → ReLU of `x` through the sparse kernel, when it applies: flex tensors off the
/// autodiff device, F32, a bias. `None` otherwise: the caller then runs burn's operations.
pub fn linear_relu_if_supported(linear: &Linear, x: &Tensor<2>) -> Option<Tensor<2>> {
    if !on_plain_flex(x.device()) {
        return None;
    }
    if x.dtype() != DType::F32 {
        return None;
    }
    let (weight, bias) = kernel_parameters(linear.weight.val(), linear.bias.as_ref()?.val())?;
    let out = <burn::backend::Dispatch as ClassifierKernels>::linear_relu(x.clone().into_dispatch(), weight.into_dispatch(), bias.into_dispatch());
    Some(Tensor::from_dispatch(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
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
            assert!(expected.iter().any(|&v| v > 0.0) && expected.contains(&0.0), "the test should see both sides of ReLU");
        }
    }

    #[test]
    fn the_sparse_dense_layer_equals_burns_linear_and_relu() {
        let device = Device::flex();
        for (n, inputs, outputs) in [(1, 1568, 128), (5, 40, 37)] {
            let layer = LinearConfig::new(inputs, outputs).init(&device);
            // ReLU'd inputs, as the layer gets them: about half zeros.
            let x = burn::tensor::activation::relu(Tensor::<2>::random([n, inputs], Distribution::Normal(0.0, 1.0), &device));
            let fused = linear_relu_if_supported(&layer, &x).expect("a supported layer");
            assert_eq!(fused.dims(), [n, outputs]);
            let fused = fused.into_data().try_to_vec::<f32>().unwrap();
            let expected = burn::tensor::activation::relu(layer.forward(x)).into_data().try_to_vec::<f32>().unwrap();
            let worst = fused.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "n {n}: differs by {worst}");
            assert!(expected.iter().any(|&v| v > 0.0) && expected.contains(&0.0), "the test should see both sides of ReLU");
        }
        let no_bias = LinearConfig::new(4, 3).with_bias(false).init(&device);
        assert!(linear_relu_if_supported(&no_bias, &Tensor::<2>::zeros([1, 4], &device)).is_none());
        let layer = LinearConfig::new(4, 3).init(&device);
        let tracked = Tensor::<2>::zeros([1, 4], &device).autodiff().require_grad();
        assert!(linear_relu_if_supported(&layer, &tracked).is_none(), "a gradient needs burn's operations");
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
