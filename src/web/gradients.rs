//! The Engine's gradient-based methods: the attacks and the visualisations, each a conversion of
//! JS values around one call into [`crate::attacks`] or [`crate::visualize`].

use js_sys::{Float32Array, Promise};
use serde_wasm_bindgen::preserve;
use wasm_bindgen::prelude::*;

use super::{Engine, check_label, checked_pixels, f32s, fail, promise, to_js};
use crate::attacks::{self, AttackOptions, AttackResult, Method, Norms, Progress, ScoreOracle};
use crate::gradients;
use crate::model::{IMAGE_PIXELS, images_tensor};
use crate::visualize::class_visualization::{self, ClassVisualizationOptions};
use crate::visualize::evolution::{self, EvolutionOptions};
use crate::visualize::features::{self, Maps};
use crate::visualize::fooling::{self, FoolingOptions};
use crate::visualize::saliency::{self, SaliencyMethod, SaliencyOptions};

/// Options as the JS API takes them: `{method, eps, steps, alpha, restarts, target, seed, ...}`.
/// A budget or a number of steps left out is the method's own (the catalogue's, as in the CLI).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsAttackOptions {
    method: String,
    eps: Option<f32>,
    steps: Option<usize>,
    queries: Option<usize>,
    #[serde(flatten)]
    options: AttackOptions,
}

fn parse_options(options: JsValue) -> Result<(Method, AttackOptions), JsError> {
    let parsed: JsAttackOptions = serde_wasm_bindgen::from_value(options)
        .map_err(|e| JsError::new(&format!("invalid attack options: {e}")))?;
    let method = Method::from_name(&parsed.method).map_err(|e| JsError::new(&e))?;
    let options = AttackOptions {
        eps: parsed.eps.unwrap_or(method.default_eps()),
        steps: parsed.steps.unwrap_or(method.default_steps()),
        queries: parsed.queries.unwrap_or(AttackOptions::for_method(method).queries),
        ..parsed.options
    };
    Ok((method, options))
}

/// A batch's pixels and labels, checked: 784 pixels and one digit label per image, at most `most` images.
fn checked_batch(pixels: &[f32], labels: &[u32], most: usize) -> Result<(Vec<f32>, Vec<usize>), JsError> {
    let pixels = checked_pixels(pixels)?;
    let labels: Vec<usize> = labels.iter().map(|&l| check_label(l as usize)).collect::<Result<_, _>>()?;
    if labels.len() * IMAGE_PIXELS != pixels.len() || labels.len() > most {
        return Err(JsError::new(&format!("give one label per image, at most {most} images")));
    }
    Ok((pixels, labels))
}

/// Everything an attack call receives, checked before any work starts.
fn attack_input(pixels: &[f32], label: usize, options: JsValue) -> Result<(Vec<f32>, usize, Method, AttackOptions), JsError> {
    let (method, options) = parse_options(options)?;
    Ok((checked_pixels(pixels)?, check_label(label)?, method, options))
}

/// One attack's result as the page gets it: `{method, pixels, noise, label, probabilities,
/// success, steps, queries, norms: {l0, l2, linf, ssim}, frames}`, the images as `Float32Array`s.
#[derive(serde::Serialize)]
struct AttackOut {
    method: Method,
    #[serde(with = "preserve")]
    pixels: Float32Array,
    #[serde(with = "preserve")]
    noise: Float32Array,
    label: usize,
    #[serde(with = "preserve")]
    probabilities: Float32Array,
    success: bool,
    steps: usize,
    queries: Option<usize>,
    norms: Norms,
    #[serde(with = "preserve")]
    frames: js_sys::Array,
}

impl AttackOut {
    fn of(result: &AttackResult, method: Method) -> Self {
        Self {
            method,
            pixels: f32s(&result.adversarial),
            noise: f32s(&result.perturbation),
            label: result.label,
            probabilities: f32s(&result.probabilities),
            success: result.success,
            steps: result.steps,
            queries: result.queries,
            norms: result.norms,
            frames: result.frames.iter().map(|frame| JsValue::from(f32s(frame))).collect(),
        }
    }
}

/// A watcher of a black-box search ([`Progress`]) that passes it to `on_progress` as
/// `{queries, pixels, probabilities}` (`Float32Array`s; `probabilities` null for label-only
/// attacks), at most every 50 ms: a live view needs no more, and each call copies the images
/// out of the wasm memory. The final state comes with the call's result.
fn progress_watcher(on_progress: js_sys::Function) -> impl FnMut(Progress<'_>) {
    #[derive(serde::Serialize)]
    struct Out {
        queries: usize,
        #[serde(with = "preserve")]
        pixels: Float32Array,
        #[serde(with = "preserve")]
        probabilities: JsValue,
    }
    let mut last = f64::NEG_INFINITY;
    move |progress: Progress<'_>| {
        let now = js_sys::Date::now();
        if now - last < 50.0 {
            return;
        }
        last = now;
        let out = Out {
            queries: progress.queries,
            pixels: f32s(progress.pixels),
            probabilities: progress.probabilities.map_or(JsValue::NULL, |p| f32s(p).into()),
        };
        // A failing watcher (the page's own code) must not fail the attack.
        if let Ok(value) = to_js(&out) {
            let _ = on_progress.call1(&JsValue::NULL, &value);
        }
    }
}

/// While it lives, the frames iterative attacks keep (`recordEvery`) are passed to `on_progress`
/// as `{frame, pixels}` as they are made, so that the page's replay starts before the attack
/// ends ([`crate::pace::install_frames`]). The engine's worker runs one call at a time.
struct FramesShown;

impl FramesShown {
    fn to(on_progress: js_sys::Function) -> Self {
        #[derive(serde::Serialize)]
        struct Out {
            frame: usize,
            #[serde(with = "preserve")]
            pixels: Float32Array,
        }
        crate::pace::install_frames(Some(Box::new(move |frame, pixels| {
            if let Ok(value) = to_js(&Out { frame, pixels: f32s(pixels) }) {
                let _ = on_progress.call1(&JsValue::NULL, &value);
            }
        })));
        FramesShown
    }
}

impl Drop for FramesShown {
    fn drop(&mut self) {
        crate::pace::install_frames(None);
    }
}

#[wasm_bindgen]
impl Engine {
    /// Runs an attack on one image (784 pixels) whose true label is `label`. `options`:
    /// `{method` (a name of the catalogue, `attackMethods()`)`, eps, steps, alpha, restarts,
    /// target, seed, recordEvery, queries, start, ...}`. `on_progress`, if given, is called as a
    /// black-box attack searches (see `progress_watcher`).
    pub fn attack(&self, pixels: &[f32], label: usize, options: JsValue, on_progress: Option<js_sys::Function>) -> Promise {
        promise(&self.inner, attack_input(pixels, label, options), |inner, (pixels, label, method, options)| async move {
            let _frames = on_progress.clone().map(FramesShown::to);
            let mut watcher = on_progress.map(progress_watcher);
            let watch = watcher.as_mut().map(|w| w as &mut dyn FnMut(Progress<'_>));
            let results = attacks::run_watched(method, &inner.model, &pixels[..IMAGE_PIXELS], &[label], &options, &inner.device, watch).await.map_err(fail)?;
            to_js(&AttackOut::of(&results[0], method))
        })
    }

    /// AutoAttack's chain (`crate::attacks::autoattack`: APGD-CE, APGD-T, FAB-T, Square) at `eps`
    /// (L∞) on a batch (784 pixels and one label per image): resolves to `{clean: boolean[],
    /// robust: boolean[], stages: [{name, robust, index, total}]}`, each stage's `robust` the
    /// share of digits still standing after it (`clean` is stage 0 of `total`).
    /// `on_progress` receives each stage's entry as it ends.
    #[wasm_bindgen(js_name = autoAttack)]
    pub fn auto_attack(&self, pixels: &[f32], labels: Vec<u32>, eps: f32, on_progress: Option<js_sys::Function>) -> Promise {
        #[derive(serde::Serialize)]
        struct StageOut {
            name: String,
            robust: f64,
            index: usize,
            total: usize,
        }
        #[derive(serde::Serialize)]
        struct Out {
            clean: Vec<bool>,
            robust: Vec<bool>,
            stages: Vec<StageOut>,
        }
        let prepared = (|| {
            let batch = checked_batch(pixels, &labels, 200)?;
            if !(eps.is_finite() && (0.0..=1.0).contains(&eps)) {
                return Err(JsError::new("eps must be between 0 and 1"));
            }
            Ok(batch)
        })();
        promise(&self.inner, prepared, move |inner, (pixels, labels)| async move {
            let n = labels.len().max(1) as f64;
            // The clean reading, then every stage of the chain.
            let total = 1 + attacks::autoattack::standard_stages(eps, 0).len();
            let mut clean = Vec::new();
            let mut stages = Vec::new();
            let robust = attacks::autoattack::autoattack(&inner.model, &pixels, &labels, eps, 0, 20, &inner.device, &mut |name, robust, _| {
                let share = robust.iter().filter(|&&r| r).count() as f64 / n;
                if name == "clean" {
                    clean = robust.to_vec();
                }
                let stage = StageOut { name: name.to_string(), robust: share, index: stages.len(), total };
                if let Some(report) = &on_progress {
                    if let Ok(value) = to_js(&stage) {
                        let _ = report.call1(&JsValue::NULL, &value);
                    }
                }
                stages.push(stage);
            })
            .await
            .map_err(fail)?;
            to_js(&Out { clean, robust, stages })
        })
    }

    /// Fooling images for each of `classes` found by evolution from the network's scores alone
    /// (`crate::visualize::evolution`): resolves to `{pixels, probabilities, queries: number[],
    /// generations, success: boolean[]}`. `options`: `{population, sigma, confidence, queries,
    /// seed}`; `on_progress` as for `attack`, with every class's fittest image so far.
    #[wasm_bindgen(js_name = evolveFoolingImages)]
    pub fn evolve_fooling_images(&self, classes: Vec<u32>, options: JsValue, on_progress: Option<js_sys::Function>) -> Promise {
        #[derive(serde::Serialize)]
        struct Out {
            #[serde(with = "preserve")]
            pixels: Float32Array,
            #[serde(with = "preserve")]
            probabilities: Float32Array,
            queries: Vec<usize>,
            generations: usize,
            success: Vec<bool>,
        }
        let prepared = (|| -> Result<_, JsError> {
            let classes = check_classes(&classes)?;
            let options: EvolutionOptions = self::options(options, "evolution")?;
            if options.queries > 100_000 || !(2..=200).contains(&options.population) || !(options.sigma > 0.0 && options.sigma <= 1.0) {
                return Err(JsError::new("evolution options out of range (queries <= 100000, population 2-200, sigma in (0, 1])"));
            }
            Ok((classes, options))
        })();
        promise(&self.inner, prepared, |inner, (classes, options)| async move {
            let mut watcher = on_progress.map(progress_watcher);
            let watch = watcher.as_mut().map(|w| w as &mut dyn FnMut(Progress<'_>));
            let mut oracle = ScoreOracle::of_model(&inner.model, &inner.device).watched(watch);
            let evolved = evolution::evolve_fooling_images(&mut oracle, &classes, &options).await.map_err(fail)?;
            to_js(&Out { pixels: f32s(&evolved.pixels), probabilities: f32s(&evolved.probabilities), queries: evolved.queries, generations: evolved.generations, success: evolved.success })
        })
    }

    /// How often the adversarial image `pixels` (784) survives `transformations` random
    /// print-and-camera transformations (`crate::attacks::eot`, from `seed`): resolves to the
    /// share (0-1) under which the network still reads it as the goal wants (the `target`, or any
    /// digit but `label`).
    pub fn survival(&self, pixels: &[f32], label: usize, target: Option<usize>, transformations: usize, seed: u32) -> Promise {
        let prepared = (|| {
            let pixels = checked_pixels(pixels)?;
            let label = check_label(label)?;
            if let Some(t) = target {
                check_label(t)?;
            }
            if transformations == 0 || transformations > 1000 {
                return Err(JsError::new("transformations: 1 to 1000"));
            }
            Ok((pixels, label))
        })();
        promise(&self.inner, prepared, move |inner, (pixels, label)| async move {
            let goal = attacks::Goal::new(&[label], target, false);
            let shares = attacks::eot::survival(&inner.model, &pixels[..IMAGE_PIXELS], &goal, transformations, seed as u64, &inner.device).await.map_err(fail)?;
            Ok(JsValue::from(shares[0]))
        })
    }

    /// Runs an attack on a batch (784 pixels per image, one true label each) and resolves to a
    /// `Uint32Array` of the labels the network gives the adversarial images: what robustness
    /// curves need, in one batched run and one read-back.
    #[wasm_bindgen(js_name = attackLabels)]
    pub fn attack_labels(&self, pixels: &[f32], labels: Vec<u32>, options: JsValue) -> Promise {
        let prepared = (|| {
            let (method, options) = parse_options(options)?;
            let (pixels, labels) = checked_batch(pixels, &labels, 1000)?;
            Ok((pixels, labels, method, options))
        })();
        promise(&self.inner, prepared, |inner, (pixels, labels, method, options)| async move {
            let results = attacks::run(method, &inner.model, &pixels, &labels, &options, &inner.device).await.map_err(fail)?;
            let predicted: Vec<u32> = results.iter().map(|r| r.label as u32).collect();
            Ok(js_sys::Uint32Array::from(predicted.as_slice()).into())
        })
    }

    /// Gradient of the cross-entropy loss of `label` with respect to the 784 input pixels.
    pub fn gradient(&self, pixels: &[f32], label: usize) -> Promise {
        let prepared = checked_pixels(pixels).and_then(|p| Ok((p, check_label(label)?)));
        promise(&self.inner, prepared, |inner, (pixels, label)| async move {
            let images = images_tensor(&pixels[..IMAGE_PIXELS], &inner.device);
            let gradient = gradients::loss_gradient(&inner.model, images, gradients::one_hot(&[label], &inner.device));
            Ok(f32s(&gradients::read(gradient).await.map_err(fail)?).into())
        })
    }

    /// The smallest `eps` (bisection up to `upper`) at which the attack still flips the digit:
    /// `{eps, result}`, or `null` if even `upper` does not.
    #[wasm_bindgen(js_name = minimalEpsilon)]
    pub fn minimal_epsilon(&self, pixels: &[f32], label: usize, options: JsValue, upper: f32, iterations: usize) -> Promise {
        #[derive(serde::Serialize)]
        struct Found {
            eps: f32,
            result: AttackOut,
        }
        promise(&self.inner, attack_input(pixels, label, options), move |inner, (pixels, label, method, options)| async move {
            let found = attacks::search::minimal_epsilon(
                method,
                &inner.model,
                &pixels[..IMAGE_PIXELS],
                label,
                &options,
                upper,
                iterations.min(20),
                &inner.device,
            )
            .await
            .map_err(fail)?;
            to_js(&found.map(|(eps, result)| Found { eps, result: AttackOut::of(&result, method) }))
        })
    }
}

fn options<T: serde::de::DeserializeOwned + Default>(value: JsValue, what: &str) -> Result<T, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("invalid {what} options: {e}")))
}

/// Bounds the iterations a page may ask for (a typo of 10^9 steps would hang the tab).
fn check_steps(steps: usize) -> Result<(), JsError> {
    if steps <= 5000 { Ok(()) } else { Err(JsError::new(&format!("at most 5000 steps, not {steps}"))) }
}

fn check_classes(classes: &[u32]) -> Result<Vec<usize>, JsError> {
    if classes.is_empty() || classes.len() > 64 {
        return Err(JsError::new("give between 1 and 64 classes"));
    }
    classes.iter().map(|&c| check_label(c as usize)).collect()
}

/// A layer's maps as the page gets them: `{name, channels, height, width, values}`.
#[derive(serde::Serialize)]
struct MapsOut {
    name: &'static str,
    channels: usize,
    height: usize,
    width: usize,
    #[serde(with = "preserve")]
    values: Float32Array,
}

impl From<&Maps> for MapsOut {
    fn from(maps: &Maps) -> Self {
        Self { name: maps.name, channels: maps.channels, height: maps.height, width: maps.width, values: f32s(&maps.values) }
    }
}

/// Images and their probabilities: `{pixels, probabilities}` (784 and 10 values per image).
#[derive(serde::Serialize)]
struct ImagesOut {
    #[serde(with = "preserve")]
    pixels: Float32Array,
    #[serde(with = "preserve")]
    probabilities: Float32Array,
}

/// The visualisations of `crate::visualize`, on the engine's model and backend.
#[wasm_bindgen]
impl Engine {
    /// A saliency map per image for `classes[i]`: resolves to a `Float32Array` of 784 values per
    /// image. `method`: 'gradient' | 'smoothgrad' | 'gradient-x-input' | 'integrated-gradients';
    /// `options`: `{samples, noise, steps, seed}`.
    pub fn saliency(&self, pixels: &[f32], classes: Vec<u32>, method: String, options: JsValue) -> Promise {
        let prepared = (|| {
            let pixels = checked_pixels(pixels)?;
            let classes = check_classes(&classes)?;
            if classes.len() * IMAGE_PIXELS != pixels.len() {
                return Err(JsError::new("give one class per image"));
            }
            let method = SaliencyMethod::parse(&method).ok_or_else(|| {
                let names: Vec<_> = SaliencyMethod::ALL.iter().map(|m| m.name()).collect();
                JsError::new(&format!("unknown saliency method `{method}` (one of {})", names.join(", ")))
            })?;
            let options: SaliencyOptions = self::options(options, "saliency")?;
            if options.samples > 256 || options.steps > 512 {
                return Err(JsError::new("saliency options too large (samples <= 256, steps <= 512)"));
            }
            Ok((pixels, classes, method, options))
        })();
        promise(&self.inner, prepared, |inner, (pixels, classes, method, options)| async move {
            let map = saliency::saliency(method, &inner.model, images_tensor(&pixels, &inner.device), &classes, &options);
            Ok(f32s(&gradients::read(map).await.map_err(fail)?).into())
        })
    }

    /// Activation maximisation for each of `classes`: resolves to `{pixels, probabilities}`
    /// (784 and 10 values per class). `start` (784 per class) continues an earlier run, whose
    /// steps so far are `firstStep` (pass `null` and 0 to start from the seeded noise).
    /// `options`: `{steps, learningRate, decay, jitter, blurEvery, seed}`.
    #[wasm_bindgen(js_name = visualizeClasses)]
    pub fn visualize_classes(&self, classes: Vec<u32>, options: JsValue, start: Option<Vec<f32>>, first_step: usize) -> Promise {
        let prepared = (|| {
            let classes = check_classes(&classes)?;
            let options: ClassVisualizationOptions = self::options(options, "class visualisation")?;
            check_steps(options.steps)?;
            let start = match start {
                Some(pixels) if pixels.len() != classes.len() * IMAGE_PIXELS => {
                    return Err(JsError::new("start must hold 784 pixels per class"));
                }
                Some(pixels) => checked_pixels(&pixels)?,
                None => class_visualization::starting_images(classes.len(), options.seed),
            };
            Ok((classes, options, start))
        })();
        promise(&self.inner, prepared, move |inner, (classes, options, start)| async move {
            let start = images_tensor(&start, &inner.device);
            let images = class_visualization::visualize_classes(&inner.model, start, &classes, &options, first_step);
            let probabilities = crate::inference::probabilities_of(&inner.model, images.clone());
            let (pixels, probabilities) = crate::visualize::read_images_and_probabilities(images, probabilities).await.map_err(fail)?;
            to_js(&ImagesOut { pixels: f32s(&pixels), probabilities: f32s(&probabilities) })
        })
    }

    /// Fooling images from noise for each of `classes`: resolves to `{pixels, probabilities,
    /// steps, success: boolean[]}`. `options`: `{steps, stepSize, confidence, checkEvery, seed}`.
    #[wasm_bindgen(js_name = foolingImages)]
    pub fn fooling_images(&self, classes: Vec<u32>, options: JsValue) -> Promise {
        #[derive(serde::Serialize)]
        struct Out {
            #[serde(with = "preserve")]
            pixels: Float32Array,
            #[serde(with = "preserve")]
            probabilities: Float32Array,
            steps: usize,
            success: Vec<bool>,
        }
        let prepared = (|| -> Result<_, JsError> {
            let classes = check_classes(&classes)?;
            let options: FoolingOptions = self::options(options, "fooling image")?;
            check_steps(options.steps)?;
            Ok((classes, options))
        })();
        promise(&self.inner, prepared, |inner, (classes, options)| async move {
            let fooled = fooling::fooling_images(&inner.model, &classes, &options, &inner.device).await.map_err(fail)?;
            to_js(&Out { pixels: f32s(&fooled.pixels), probabilities: f32s(&fooled.probabilities), steps: fooled.steps, success: fooled.success })
        })
    }

    /// The activations of every layer for one image: resolves to
    /// `[{name, channels, height, width, values}]` (conv1, conv2, hidden, logits).
    #[wasm_bindgen(js_name = featureMaps)]
    pub fn feature_maps(&self, pixels: &[f32]) -> Promise {
        promise(&self.inner, checked_pixels(pixels), |inner, pixels| async move {
            let layers = features::feature_maps(&inner.model, &pixels[..IMAGE_PIXELS], &inner.device).await.map_err(fail)?;
            to_js(&layers.iter().map(MapsOut::from).collect::<Vec<_>>())
        })
    }

    /// The first layer's 5x5 filters: resolves to `{name, channels, height, width, values}`.
    pub fn filters(&self) -> Promise {
        promise(&self.inner, Ok(()), |inner, ()| async move {
            let maps = features::first_layer_filters(&inner.model).await.map_err(fail)?;
            to_js(&MapsOut::from(&maps))
        })
    }
}
