//! # adversarial-digits
//!
//! A handwritten-digit classifier and the adversarial examples that fool it, written once in
//! Rust with burn and run natively (training, evaluation, tests) and in the browser (WebGPU or
//! the flex CPU backend, through WebAssembly).
//!
//! Every module is device-generic: functions take a [`burn::prelude::Device`] or tensors that
//! carry one, and only the entry points (`main.rs`, `web/`) choose a backend.
//!
//! - [`data`]: MNIST's IDX files.
//! - [`model`]: the convolutional network.
//! - [`training`]: training it.
//! - [`inference`]: classifying with it.
//! - `kernels` (with the flex backend): the fused CPU kernel classification runs on.
//! - [`weights`]: safetensors in PyTorch layout.
//! - [`preprocess`]: any picture of a digit to MNIST's 28x28 format.
//! - [`image_header`]: recognising uploads before they are decoded.
//! - [`gradients`]: the loss, its input gradient, the logits' Jacobian, read-backs: what the
//!   attacks, the visualisations and training share.
//! - [`attacks`]: adversarial examples, one module per method, and their catalogue.
//! - [`ssim`]: the structural similarity of two digits, how alike they look to a person.
//! - [`visualize`]: saliency, class visualisation, fooling images, feature maps.
//! - [`benchmark`]: the page's operations timed natively (the CLI's `bench`, a GPU through wgpu).

#[cfg(not(target_arch = "wasm32"))]
pub mod benchmark;
pub mod data;
#[cfg(not(target_arch = "wasm32"))]
pub mod evaluation;
pub mod gradients;
pub mod image_header;
pub mod inference;
#[cfg(feature = "flex")]
pub mod kernels;
pub mod model;
pub mod pace;
pub mod preprocess;
pub mod rng;
pub mod ssim;
pub mod training;
pub mod attacks;
pub mod visualize;
pub mod weights;

#[cfg(target_arch = "wasm32")]
pub mod web;
