//! The digit classifier: a small LeNet-style convolutional network.
//!
//! The network takes raw pixels in `[0, 1]` (shape `[batch, 1, 28, 28]`, ink bright on dark, as in
//! MNIST) and normalises them itself, so every attack and visualisation works in pixel space and
//! its epsilons mean what the papers mean.
//!
//! Parameter names and shapes follow PyTorch's `nn.Conv2d`/`nn.Linear` once saved (see
//! [`crate::weights`]), so the same file loads into an equivalent PyTorch module.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::module::Param;
use burn::prelude::*;

/// Side of the square images the network reads.
pub const IMAGE_SIDE: usize = 28;
/// Pixels per image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Number of classes (digits 0-9).
pub const CLASSES: usize = 10;

/// Mean and standard deviation of MNIST's training pixels, applied inside the network.
pub const PIXEL_MEAN: f32 = 0.1307;
pub const PIXEL_STD: f32 = 0.3081;

/// Architecture hyper-parameters.
#[derive(Config, Debug)]
pub struct DigitNetConfig {
    #[config(default = 16)]
    pub conv1_channels: usize,
    #[config(default = 32)]
    pub conv2_channels: usize,
    #[config(default = 128)]
    pub hidden: usize,
    #[config(default = 0.25)]
    pub dropout: f64,
}

/// conv(5x5) → ReLU → max-pool → conv(5x5) → ReLU → max-pool → linear → ReLU → linear.
#[derive(Module, Debug)]
pub struct DigitNet {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub fc1: Linear,
    pub fc2: Linear,
    pool: MaxPool2d,
    dropout: Dropout,
    activation: Relu,
}

/// Both convolutions are 5x5 with 2 pixels of zero padding: "same" size out as in.
const KERNEL: usize = 5;
const PADDING: usize = 2;

/// A trained network's tensors in burn's layout (a `Linear` weight is `[in, out]`, the transpose
/// of PyTorch's; convolutions match PyTorch), as [`crate::weights`] reads them from a file.
pub struct DigitNetWeights {
    pub conv1_weight: TensorData,
    pub conv1_bias: TensorData,
    pub conv2_weight: TensorData,
    pub conv2_bias: TensorData,
    pub fc1_weight: TensorData,
    pub fc1_bias: TensorData,
    pub fc2_weight: TensorData,
    pub fc2_bias: TensorData,
}

impl DigitNetConfig {
    /// A freshly initialised network on `device`.
    pub fn init(&self, device: &Device) -> DigitNet {
        let conv = |input, output| {
            Conv2dConfig::new([input, output], [KERNEL, KERNEL])
                .with_padding(PaddingConfig2d::Explicit(PADDING, PADDING, PADDING, PADDING))
                .init(device)
        };
        let flat = self.conv2_channels * (IMAGE_SIDE / 4) * (IMAGE_SIDE / 4);
        DigitNet {
            conv1: conv(1, self.conv1_channels),
            conv2: conv(self.conv1_channels, self.conv2_channels),
            fc1: LinearConfig::new(flat, self.hidden).init(device),
            fc2: LinearConfig::new(self.hidden, CLASSES).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            activation: Relu::new(),
        }
    }

    /// The network holding `weights` (whose shapes must fit this configuration), built directly
    /// rather than through [`Self::init`]: no random weights drawn only to be replaced, and none of
    /// burn's initialisers linked into the browser's wasm, which only ever loads trained weights.
    pub fn with_weights(&self, weights: DigitNetWeights, device: &Device) -> DigitNet {
        let conv = |weight, bias| Conv2d {
            weight: Param::from_data(weight, device),
            bias: Some(Param::from_data(bias, device)),
            stride: [1, 1],
            kernel_size: [KERNEL, KERNEL],
            dilation: [1, 1],
            groups: 1,
            padding: PaddingConfig2d::Explicit(PADDING, PADDING, PADDING, PADDING),
        };
        let linear = |weight, bias| Linear {
            weight: Param::from_data(weight, device),
            bias: Some(Param::from_data(bias, device)),
        };
        let w = weights;
        DigitNet {
            conv1: conv(w.conv1_weight, w.conv1_bias),
            conv2: conv(w.conv2_weight, w.conv2_bias),
            fc1: linear(w.fc1_weight, w.fc1_bias),
            fc2: linear(w.fc2_weight, w.fc2_bias),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            activation: Relu::new(),
        }
    }
}

/// Intermediate activations, for the "inside the network" view.
pub struct Activations {
    /// After the first convolution and ReLU: `[batch, conv1_channels, 28, 28]`.
    pub conv1: Tensor<4>,
    /// After the second convolution and ReLU: `[batch, conv2_channels, 14, 14]`.
    pub conv2: Tensor<4>,
    /// The hidden layer after ReLU: `[batch, hidden]`.
    pub hidden: Tensor<2>,
    /// Class scores before the softmax: `[batch, 10]`.
    pub logits: Tensor<2>,
}

impl DigitNet {
    /// Class scores (logits) for a batch of `[batch, 1, 28, 28]` images with pixels in `[0, 1]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.conv_block(&self.conv1, normalise(images));
        let features = self.conv_block(&self.conv2, x).flatten::<2>(1, 3);
        self.logits(self.hidden_layer(features))
    }

    /// `conv` → ReLU → max-pool: one fused kernel where it applies (classification on the CPU,
    /// [`crate::kernels`]), burn's operations otherwise (gradients, WebGPU). Same values.
    fn conv_block(&self, conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
        #[cfg(feature = "flex")]
        if let Some(pooled) = crate::kernels::conv_relu_pool_if_supported(conv, &x) {
            return pooled;
        }
        self.max_pool(self.activation.forward(conv.forward(x)))
    }

    /// `fc1` → ReLU on the flattened pooled maps: one sparse kernel where it applies (as for
    /// [`Self::conv_block`]), burn's operations otherwise. Same values.
    fn hidden_layer(&self, features: Tensor<2>) -> Tensor<2> {
        #[cfg(feature = "flex")]
        if let Some(hidden) = crate::kernels::linear_relu_if_supported(&self.fc1, &features) {
            return hidden;
        }
        self.activation.forward(self.fc1.forward(features))
    }

    /// Class scores from the hidden layer (dropout while training).
    fn logits(&self, hidden: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(self.dropout.forward(hidden))
    }

    /// Forward pass that keeps the feature maps (with burn's operations only: the same logits as
    /// [`Self::forward`], tested).
    pub fn forward_activations(&self, images: Tensor<4>) -> Activations {
        let conv1 = self.activation.forward(self.conv1.forward(normalise(images)));
        let conv2 = self.activation.forward(self.conv2.forward(self.max_pool(conv1.clone())));
        let features = self.max_pool(conv2.clone()).flatten::<2>(1, 3);
        let hidden = self.activation.forward(self.fc1.forward(features));
        let logits = self.logits(hidden.clone());
        Activations { conv1, conv2, hidden, logits }
    }

    /// 2x2 max-pooling with stride 2. Without a gradient to track (classification) it is a
    /// reshape to `[b, c, h/2, 2, w/2, 2]` and two maximum reductions: on burn's CPU backend 2x
    /// faster than its general pooling, which computes and stores the argmax of every window
    /// (measured natively on the first layer's output). With a gradient, pooling's own backward
    /// pass is the faster. Both give the same values and the same gradient (tested).
    fn max_pool(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        if x.is_tracked() || h % 2 != 0 || w % 2 != 0 {
            return self.pool.forward(x);
        }
        x.reshape([b, c, h / 2, 2, w / 2, 2]).max_dim(5).max_dim(3).reshape([b, c, h / 2, w / 2])
    }

    /// Softmax probabilities for a batch of images.
    pub fn probabilities(&self, images: Tensor<4>) -> Tensor<2> {
        burn::tensor::activation::softmax(self.forward(images), 1)
    }
}

/// Pixels in `[0, 1]` to MNIST's standardised scale, the network's first step.
fn normalise(images: Tensor<4>) -> Tensor<4> {
    (images - PIXEL_MEAN) / PIXEL_STD
}

/// Shapes an `[n * 784]` slice of pixels as a `[n, 1, 28, 28]` tensor.
pub fn images_tensor(pixels: &[f32], device: &Device) -> Tensor<4> {
    assert_eq!(pixels.len() % IMAGE_PIXELS, 0, "pixels must hold whole 28x28 images");
    let n = pixels.len() / IMAGE_PIXELS;
    Tensor::from_data(
        TensorData::new(pixels.to_vec(), [n, 1, IMAGE_SIDE, IMAGE_SIDE]),
        device,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_rebuilt_from_its_weights_is_the_same_network() {
        let device = Device::flex();
        let config = DigitNetConfig::new().with_conv1_channels(3).with_conv2_channels(5).with_hidden(7);
        let net = config.init(&device);
        let data = |p: &Param<Tensor<4>>| p.val().into_data();
        let data1 = |p: &Option<Param<Tensor<1>>>| p.as_ref().unwrap().val().into_data();
        let weights = DigitNetWeights {
            conv1_weight: data(&net.conv1.weight),
            conv1_bias: data1(&net.conv1.bias),
            conv2_weight: data(&net.conv2.weight),
            conv2_bias: data1(&net.conv2.bias),
            fc1_weight: net.fc1.weight.val().into_data(),
            fc1_bias: data1(&net.fc1.bias),
            fc2_weight: net.fc2.weight.val().into_data(),
            fc2_bias: data1(&net.fc2.bias),
        };
        let rebuilt = config.with_weights(weights, &device);
        for (a, b) in [(&net.conv1, &rebuilt.conv1), (&net.conv2, &rebuilt.conv2)] {
            assert_eq!((a.stride, a.kernel_size, a.dilation, a.groups), (b.stride, b.kernel_size, b.dilation, b.groups));
            assert_eq!(format!("{:?}", a.padding), format!("{:?}", b.padding));
        }
        assert_eq!(format!("{:?}", net.pool), format!("{:?}", rebuilt.pool));
        assert_eq!(net.dropout.prob, rebuilt.dropout.prob);
        let x = Tensor::<4>::random([2, 1, 28, 28], burn::tensor::Distribution::Default, &device);
        let logits = |n: &DigitNet| n.valid().forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(logits(&net), logits(&rebuilt));
    }

    #[test]
    fn classification_gives_the_logits_of_the_layer_by_layer_pass() {
        // `forward` takes the fused CPU kernel on flex; `forward_activations` burn's operations.
        let device = Device::flex();
        let net = DigitNetConfig::new().init(&device).valid();
        let x = Tensor::<4>::random([4, 1, 28, 28], burn::tensor::Distribution::Default, &device);
        let fused = net.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
        let reference = net.forward_activations(x).logits.into_data().try_to_vec::<f32>().unwrap();
        let worst = fused.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "logits differ by {worst}");
    }

    #[test]
    fn both_pooling_paths_agree_in_values_and_gradients() {
        let device = Device::flex();
        let net = DigitNetConfig::new().init(&device).valid();
        let x = Tensor::<4>::random([3, 16, 28, 28], burn::tensor::Distribution::Default, &device);
        let fast = net.max_pool(x.clone()).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(fast, net.pool.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap());

        // With a gradient, `max_pool` takes the pooling module's path; the reshape path's
        // gradient must be the same, or classification and attacks would disagree on the network.
        let tracked = x.clone().autodiff().require_grad();
        let grads = net.max_pool(tracked.clone()).sum().backward();
        let via_module = tracked.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
        // Attacks track the input only: the layers' outputs must still count as tracked.
        let input = Tensor::<4>::zeros([1, 1, 28, 28], &device).autodiff().require_grad();
        assert!(net.conv1.forward(input).is_tracked());

        let tracked = x.autodiff().require_grad();
        let [b, c, h, w] = tracked.dims();
        let reshaped = tracked.clone().reshape([b, c, h / 2, 2, w / 2, 2]).max_dim(5).max_dim(3);
        let grads = reshaped.sum().backward();
        assert_eq!(via_module, tracked.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap());
    }
}
