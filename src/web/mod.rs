//! The WebAssembly boundary: converts JavaScript values, picks the backend, and calls the same
//! device-generic functions the native command line and tests use. No maths lives here.
//!
//! This module: the [`Engine`] (loading, classifying) and the stateless helpers the page calls
//! (preprocessing, upload sniffing, weights checks, IDX parsing, norms); `gradients`: the
//! Engine's attacks and visualisations.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::*;
use js_sys::{Float32Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::attacks::{self, Method, Norm};
use crate::model::{CLASSES, DigitNet, IMAGE_PIXELS};
use crate::{image_header, inference, preprocess, weights};

mod gradients;
#[cfg(feature = "train-web")]
mod training;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

thread_local! {
    /// The WebGPU device, initialised once per page: burn's runtime cannot be initialised twice.
    static WEBGPU: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// Acquires (once) the browser's WebGPU device through burn-wgpu.
#[cfg(feature = "webgpu")]
async fn webgpu_device() -> Result<Device, JsError> {
    if let Some(device) = WEBGPU.with(|d| d.borrow().clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| JsError::new(&format!("WebGPU could not be started: {e}")))?;
    WEBGPU.with(|d| *d.borrow_mut() = Some(device.clone()));
    Ok(device)
}

#[cfg(not(feature = "webgpu"))]
async fn webgpu_device() -> Result<Device, JsError> {
    Err(JsError::new("this build has no WebGPU backend"))
}

/// burn's flex backend, in the CPU build only: the WebGPU build leaves it out (it would add
/// about 0.2 MB gzip) because the page's CPU work runs in the CPU build it loads first.
#[cfg(feature = "flex")]
fn cpu_device() -> Result<Device, JsError> {
    Ok(Device::flex())
}

#[cfg(not(feature = "flex"))]
fn cpu_device() -> Result<Device, JsError> {
    Err(JsError::new("this build has no CPU backend: use pkg/cpu/"))
}

/// An error as the page receives it: a JS `Error` whose message is the sentence. The one
/// conversion every call's failure goes through.
fn fail(error: impl std::fmt::Display) -> JsValue {
    JsError::new(&error.to_string()).into()
}

/// A result as the page receives it: serialised by serde (structs become plain objects, `None`
/// becomes `null`); typed arrays travel inside as themselves (`serde_wasm_bindgen::preserve`).
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true)).map_err(fail)
}

/// Values for the page as a `Float32Array` (a copy out of the wasm memory).
fn f32s(values: &[f32]) -> Float32Array {
    Float32Array::from(values)
}

/// Runs `work` on the engine's network once `prepared` (the call's input, checked before any
/// work starts) is good, and gives its result as a promise: the shape of every Engine method.
fn promise<T: 'static, F>(inner: &Rc<Inner>, prepared: Result<T, JsError>, work: impl FnOnce(Rc<Inner>, T) -> F + 'static) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let inner = inner.clone();
    future_to_promise(async move { work(inner, prepared?).await })
}

/// Copies JS pixels, refusing a wrong length and clearing NaN and out-of-range values.
fn checked_pixels(pixels: &[f32]) -> Result<Vec<f32>, JsError> {
    if pixels.is_empty() || pixels.len() % IMAGE_PIXELS != 0 {
        return Err(JsError::new(&format!(
            "expected 784 pixels per image (28 x 28), got {} values",
            pixels.len()
        )));
    }
    let mut pixels = pixels.to_vec();
    preprocess::sanitize(&mut pixels);
    Ok(pixels)
}

struct Inner {
    device: Device,
    model: DigitNet,
    backend: &'static str,
}

/// A loaded network on one backend.
#[wasm_bindgen]
pub struct Engine {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Engine {
    /// Loads safetensors weights on `"webgpu"` or `"cpu"` (burn's flex backend).
    /// Rejects with a readable message if the backend or the weights are unusable.
    pub async fn create(weights_bytes: Vec<u8>, backend: String) -> Result<Engine, JsValue> {
        let (device, backend) = match backend.as_str() {
            "webgpu" => (webgpu_device().await?, "webgpu"),
            "cpu" => (cpu_device()?, "cpu"),
            other => return Err(fail(format!("unknown backend `{other}` (webgpu or cpu)"))),
        };
        let model = weights::load(&weights_bytes, &device).map_err(fail)?;
        Ok(Engine { inner: Rc::new(Inner { device, model, backend }) })
    }

    /// `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend.to_string()
    }

    /// Probabilities for one or more 28x28 images (784 values each, in [0, 1]): resolves to a
    /// `Float32Array` of 10 values per image.
    pub fn classify(&self, pixels: &[f32]) -> Promise {
        promise(&self.inner, checked_pixels(pixels), |inner, pixels| async move {
            let probabilities = inference::probabilities_async(&inner.model, &pixels, &inner.device)
                .await
                .map_err(|e| fail(format!("classification failed on {}: {e}", inner.backend)))?;
            if probabilities.iter().any(|p| !p.is_finite()) {
                return Err(fail("the network produced NaN: the weights or the backend are faulty"));
            }
            Ok(f32s(&probabilities).into())
        })
    }
}


fn check_label(label: usize) -> Result<usize, JsError> {
    if label < CLASSES { Ok(label) } else { Err(JsError::new(&format!("label {label} is not a digit 0-9"))) }
}


/// `original + noise`, where the noise is random but as large as `perturbation` in `norm`
/// (`'L∞'`, `'L2'` or `'L0'`), clipped to [0, 1].
#[wasm_bindgen(js_name = randomNoiseLike)]
pub fn random_noise_like(original: &[f32], perturbation: &[f32], norm: &str, seed: u32) -> Result<Float32Array, JsError> {
    if original.len() != IMAGE_PIXELS || perturbation.len() != IMAGE_PIXELS {
        return Err(JsError::new("expected two arrays of 784 values"));
    }
    let norm = Norm::parse(norm).ok_or_else(|| JsError::new(&format!("unknown norm `{norm}` (L∞, L2 or L0)")))?;
    let out = attacks::search::random_noise_like(original, perturbation, norm, seed as u64);
    Ok(f32s(&out))
}

/// Sizes of the change from `original` to `candidate` (784 values each), as the attacks measure
/// them: `{l0, l2, linf, ssim}` (L0 counts pixels moved by more than a tenth of a grey level).
#[wasm_bindgen(js_name = perturbationNorms)]
pub fn perturbation_norms(original: &[f32], candidate: &[f32]) -> Result<JsValue, JsValue> {
    if original.len() != IMAGE_PIXELS || candidate.len() != IMAGE_PIXELS {
        return Err(fail("expected two arrays of 784 values"));
    }
    to_js(&attacks::Norms::between(original, candidate))
}

/// The attacks' catalogue ([`crate::attacks::MethodInfo`], one entry per method): `[{name, norm,
/// targeted, iterative, eps, evaluationEps, steps, defaultSteps, pixels}]`, the ranges as
/// `{min, max, step, value}` or null. The page builds its method picker and sliders from it.
#[wasm_bindgen(js_name = attackMethods)]
pub fn attack_methods() -> Result<JsValue, JsValue> {
    to_js(&Method::catalogue())
}

/// MNIST-style preprocessing of an RGBA picture: resolves to
/// `{pixels: Float32Array(784), inverted, inkBox: [x, y, w, h]}`, or throws with the reason
/// (a blank picture, a wrong size).
#[wasm_bindgen(js_name = preprocessRgba)]
pub fn preprocess_rgba(rgba: &[u8], width: usize, height: usize) -> Result<JsValue, JsValue> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        #[serde(with = "serde_wasm_bindgen::preserve")]
        pixels: Float32Array,
        inverted: bool,
        ink_box: [usize; 4],
    }
    let out = preprocess::mnist_from_rgba(rgba, width, height).map_err(fail)?;
    to_js(&Out { pixels: f32s(&out.pixels), inverted: out.inverted, ink_box: out.ink_box })
}

/// Identifies an uploaded file from its header: `{format, width, height}`, or throws a message
/// for readers (not an image, damaged, too large).
#[wasm_bindgen(js_name = sniffImage)]
pub fn sniff_image(bytes: &[u8]) -> Result<JsValue, JsValue> {
    #[derive(serde::Serialize)]
    struct Out {
        format: &'static str,
        width: u32,
        height: u32,
    }
    let info = image_header::sniff(bytes).map_err(fail)?;
    to_js(&Out { format: info.format.name(), width: info.width, height: info.height })
}

/// Checks a weights file without loading it; throws the reason it is unusable.
#[wasm_bindgen(js_name = checkWeights)]
pub fn check_weights(bytes: &[u8]) -> Result<(), JsValue> {
    weights::inspect(bytes).map(|_| ()).map_err(fail)
}

/// Installs the host's checkpoint hook ([`crate::pace`]) for the calls that follow: every long
/// computation calls `hook()` often (after each read-back and each iterative step); it returns
/// `undefined` to go on at once, or a promise that resolves, once the host has let its messages
/// in, to `true` if the call running has been cancelled (the call then fails with "the operation
/// was cancelled"). `null` removes it. The engine's worker installs one per call.
#[wasm_bindgen(js_name = setPace)]
pub fn set_pace(hook: Option<js_sys::Function>) {
    crate::pace::install(hook.map(|hook| -> crate::pace::Hook {
        Box::new(move || {
            let answer = hook.call0(&JsValue::NULL).ok()?;
            let promise = answer.dyn_into::<Promise>().ok()?;
            Some(Box::pin(async move { wasm_bindgen_futures::JsFuture::from(promise).await.map(|v| v.as_bool() == Some(true)).unwrap_or(false) }))
        })
    }));
}

/// Whether this build includes the WebGPU backend.
#[wasm_bindgen(js_name = hasWebGpu)]
pub fn has_webgpu() -> bool {
    cfg!(feature = "webgpu")
}

/// Reads a pair of MNIST IDX files (the page's sample strip): `{pixels: Float32Array(n * 784),
/// labels: Uint8Array(n)}`, or throws what is wrong with them.
#[wasm_bindgen(js_name = parseMnist)]
pub fn parse_mnist(images: &[u8], labels: &[u8]) -> Result<JsValue, JsValue> {
    #[derive(serde::Serialize)]
    struct Out {
        #[serde(with = "serde_wasm_bindgen::preserve")]
        pixels: Float32Array,
        #[serde(with = "serde_wasm_bindgen::preserve")]
        labels: js_sys::Uint8Array,
    }
    let data = crate::data::Dataset::from_idx(images, labels).map_err(fail)?;
    to_js(&Out { pixels: f32s(&data.pixels), labels: js_sys::Uint8Array::from(data.labels.as_slice()) })
}
