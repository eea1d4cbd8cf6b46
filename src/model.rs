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
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
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

/// conv(5x5, "same") → ReLU → 2x2 max-pool: each of the network's two convolution blocks.
#[derive(Module, Debug)]
pub struct ConvBlock {
    pub conv: Conv2d,
    pool: MaxPool2d,
    activation: Relu,
}

impl ConvBlock {
    fn new(conv: Conv2d) -> Self {
        Self { conv, pool: MaxPool2dConfig::new([2, 2]).init(), activation: Relu::new() }
    }

    /// The block's ReLU maps (what the page shows of the layer) and their pooled version (what
    /// the next layer reads).
    pub fn forward(&self, x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let maps = self.activation.forward(self.conv.forward(x));
        (maps.clone(), self.pool.forward(maps))
    }
}

/// An input squeezer in front of the network: each pixel rounded to one of `levels` grey levels
/// (bit-depth reduction, one of the "feature squeezing" defences of Xu, Evans & Qi 2018). It has
/// no weights, and its rounding has no gradient: a network behind it gives every gradient attack
/// a gradient of zero, so they move nothing and the network looks robust. It is not: an attack
/// that reads only outputs, or one that differentiates the squeezer as if it were the identity
/// (BPDA, Athalye, Carlini & Wagner 2018), sees through it. The page's lesson on gradient masking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputSqueeze {
    /// Grey levels the pixels are rounded to; `None`: none (the network reads the pixels as they are).
    pub levels: Option<u32>,
    /// Differentiate the rounding as the identity (what BPDA attacks), not as the constant it is.
    pub straight_through: bool,
}

impl InputSqueeze {
    /// The pixels as the network reads them.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        let Some(levels) = self.levels else { return images };
        let top = (levels - 1) as f32;
        let rounded = (images.clone() * top).round().div_scalar(top).detach();
        if self.straight_through {
            // The value of the rounding, the gradient of the identity.
            images.clone() + (rounded - images).detach()
        } else {
            // The value of the rounding, a gradient of zero (still a graph for the attacks to read).
            rounded + images * 0.0
        }
    }
}

/// Two [`ConvBlock`]s → linear → ReLU → linear, behind an optional [`InputSqueeze`].
#[derive(Module, Debug)]
pub struct DigitNet {
    /// A defence before the first layer; none unless a weights file asks for one.
    #[module(skip)]
    pub squeeze: InputSqueeze,
    pub block1: ConvBlock,
    pub block2: ConvBlock,
    pub fc1: Linear,
    pub fc2: Linear,
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
            squeeze: InputSqueeze::default(),
            block1: ConvBlock::new(conv(1, self.conv1_channels)),
            block2: ConvBlock::new(conv(self.conv1_channels, self.conv2_channels)),
            fc1: LinearConfig::new(flat, self.hidden).init(device),
            fc2: LinearConfig::new(self.hidden, CLASSES).init(device),
            activation: Relu::new(),
        }
    }

    /// A fresh network for training, its weights drawn on the host from `seed` (uniform in
    /// ±1/√fan-in, PyTorch's default for these layers): the same numbers on every backend, so a
    /// run on WebGPU starts where the same run on the CPU does.
    pub fn init_seeded(&self, seed: u64, device: &Device) -> DigitNet {
        let mut rng = crate::rng::SplitMix64::new(seed);
        let mut draw = |shape: Vec<usize>, fan_in: usize| {
            let bound = 1.0 / (fan_in as f32).sqrt();
            let values: Vec<f32> = (0..shape.iter().product()).map(|_| rng.uniform(-bound, bound)).collect();
            TensorData::new(values, shape)
        };
        let (c1, c2, h) = (self.conv1_channels, self.conv2_channels, self.hidden);
        let flat = c2 * (IMAGE_SIDE / 4) * (IMAGE_SIDE / 4);
        let conv1 = KERNEL * KERNEL;
        let conv2 = c1 * KERNEL * KERNEL;
        let weights = DigitNetWeights {
            conv1_weight: draw(vec![c1, 1, KERNEL, KERNEL], conv1),
            conv1_bias: draw(vec![c1], conv1),
            conv2_weight: draw(vec![c2, c1, KERNEL, KERNEL], conv2),
            conv2_bias: draw(vec![c2], conv2),
            fc1_weight: draw(vec![flat, h], flat),
            fc1_bias: draw(vec![h], flat),
            fc2_weight: draw(vec![h, CLASSES], h),
            fc2_bias: draw(vec![CLASSES], h),
        };
        self.with_weights(weights, device)
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
            squeeze: InputSqueeze::default(),
            block1: ConvBlock::new(conv(w.conv1_weight, w.conv1_bias)),
            block2: ConvBlock::new(conv(w.conv2_weight, w.conv2_bias)),
            fc1: linear(w.fc1_weight, w.fc1_bias),
            fc2: linear(w.fc2_weight, w.fc2_bias),
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
    /// (Classification without a gradient may take the CPU kernels instead: `inference::logits`.)
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_activations(images).logits
    }

    /// The forward pass, keeping every layer's activations (the page's feature maps).
    pub fn forward_activations(&self, images: Tensor<4>) -> Activations {
        let (conv1, pooled) = self.block1.forward(normalise(self.squeeze.forward(images)));
        let (conv2, pooled) = self.block2.forward(pooled);
        let hidden = self.activation.forward(self.fc1.forward(pooled.flatten::<2>(1, 3)));
        let logits = self.head(hidden.clone());
        Activations { conv1, conv2, hidden, logits }
    }

    /// The same network with its squeezer differentiated as the identity (BPDA's view of it).
    pub fn straight_through(&self) -> DigitNet {
        DigitNet { squeeze: InputSqueeze { straight_through: true, ..self.squeeze }, ..self.clone() }
    }

    /// Class scores from the hidden layer's activations. (Training drops some of them out
    /// first, with masks drawn on the host: `training::Trainer`.)
    pub fn head(&self, hidden: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(hidden)
    }
}

/// Pixels in `[0, 1]` to MNIST's standardised scale, the network's first step.
pub fn normalise(images: Tensor<4>) -> Tensor<4> {
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
            conv1_weight: data(&net.block1.conv.weight),
            conv1_bias: data1(&net.block1.conv.bias),
            conv2_weight: data(&net.block2.conv.weight),
            conv2_bias: data1(&net.block2.conv.bias),
            fc1_weight: net.fc1.weight.val().into_data(),
            fc1_bias: data1(&net.fc1.bias),
            fc2_weight: net.fc2.weight.val().into_data(),
            fc2_bias: data1(&net.fc2.bias),
        };
        let rebuilt = config.with_weights(weights, &device);
        for (a, b) in [(&net.block1.conv, &rebuilt.block1.conv), (&net.block2.conv, &rebuilt.block2.conv)] {
            assert_eq!((a.stride, a.kernel_size, a.dilation, a.groups), (b.stride, b.kernel_size, b.dilation, b.groups));
            assert_eq!(format!("{:?}", a.padding), format!("{:?}", b.padding));
        }
        assert_eq!(format!("{:?}", net.block1.pool), format!("{:?}", rebuilt.block1.pool));
        let x = Tensor::<4>::random([2, 1, 28, 28], burn::tensor::Distribution::Default, &device);
        let logits = |n: &DigitNet| n.valid().forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(logits(&net), logits(&rebuilt));
    }
}
