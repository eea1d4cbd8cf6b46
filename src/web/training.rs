//! The reader's own training ([`crate::training::Trainer`]) across the wasm boundary: one batch
//! per call, so that the training worker (www/training/training-worker.js) can report, pause and
//! stop between batches. The same steps as `adversarial-digits train`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{cpu_device, f32s, fail, to_js, webgpu_device};
use crate::data::Dataset;
use crate::training::{LIMITS, PRESETS, Trainer, TrainingOptions};
use crate::weights;

/// The presets (`[{name, title, options}]`, [`crate::training::PRESETS`]): the card's buttons
/// and the API's `train({preset})`.
#[wasm_bindgen(js_name = trainingPresets)]
pub fn training_presets() -> Result<JsValue, JsValue> {
    to_js(&PRESETS)
}

/// How far each setting may go (`{epochs: [min, max], batchSize, steps, warmupEpochs, digits,
/// learningRateMax, lrDecayMax, epsMax}`, [`crate::training::LIMITS`]): the card's inputs' bounds,
/// the same the check below applies.
#[wasm_bindgen(js_name = trainingLimits)]
pub fn training_limits() -> Result<JsValue, JsValue> {
    to_js(&LIMITS)
}

/// Checks training options (every field of [`TrainingOptions`]); throws the reason they are bad.
#[wasm_bindgen(js_name = checkTrainingOptions)]
pub fn check_training_options(options: JsValue) -> Result<(), JsValue> {
    parse_options(options).map(|_| ())
}

fn parse_options(options: JsValue) -> Result<TrainingOptions, JsValue> {
    let options: TrainingOptions =
        serde_wasm_bindgen::from_value(options).map_err(|e| fail(format!("invalid training options: {e}")))?;
    options.check().map_err(fail)?;
    Ok(options)
}

/// The training data as IDX bytes, refused with a sentence when unusable.
fn dataset(images: &[u8], labels: &[u8], what: &str) -> Result<Dataset, JsValue> {
    Dataset::from_idx(images, labels).map_err(|e| fail(format!("the {what} are unusable: {e}")))
}

/// One training run on one backend.
#[wasm_bindgen]
pub struct Training {
    /// Taken out while a call awaits (the worker runs one call at a time).
    trainer: Rc<RefCell<Option<Trainer>>>,
    check: Rc<Dataset>,
}

/// Runs `work` on the trainer, which it gets back afterwards.
fn with_trainer<F, Fut>(slot: &Rc<RefCell<Option<Trainer>>>, work: F) -> Promise
where
    F: FnOnce(Trainer) -> Fut + 'static,
    Fut: std::future::Future<Output = (Trainer, Result<JsValue, JsValue>)> + 'static,
{
    let slot = slot.clone();
    future_to_promise(async move {
        let trainer = slot.borrow_mut().take().ok_or_else(|| fail("the trainer is busy with another call"))?;
        let (trainer, result) = work(trainer).await;
        *slot.borrow_mut() = Some(trainer);
        result
    })
}

#[wasm_bindgen]
impl Training {
    /// Starts training on `backend` (`"cpu"` or `"webgpu"`) with `options` (every field of
    /// `TrainingOptions`), on the IDX pair `images`/`labels` (their first `options.digits`),
    /// checked on `checkImages`/`checkLabels` (test digits). `start`: safetensors weights to go
    /// on from; a fresh network without.
    pub async fn create(
        backend: String,
        options: JsValue,
        images: Vec<u8>,
        labels: Vec<u8>,
        check_images: Vec<u8>,
        check_labels: Vec<u8>,
        start: Option<Vec<u8>>,
    ) -> Result<Training, JsValue> {
        let options = parse_options(options)?;
        let device = match backend.as_str() {
            "webgpu" => webgpu_device().await?,
            "cpu" => cpu_device()?,
            other => return Err(fail(format!("unknown backend `{other}` (webgpu or cpu)"))),
        };
        let data = dataset(&images, &labels, "training digits")?;
        if data.len() < options.digits {
            return Err(fail(format!("the training data holds {} digits, fewer than the {} asked for", data.len(), options.digits)));
        }
        let data = data.take(options.digits);
        let check = dataset(&check_images, &check_labels, "test digits")?;
        let config = options.config();
        let model = match start {
            Some(bytes) => {
                let autodiff = device.clone().autodiff();
                autodiff.seed(config.seed);
                weights::load_trainable(&bytes, &autodiff).map_err(fail)?
            }
            None => Trainer::initial_model(&config, &device),
        };
        let trainer = Trainer::new(model, config, data, &device);
        Ok(Training { trainer: Rc::new(RefCell::new(Some(trainer))), check: Rc::new(check) })
    }

    /// Batches per epoch.
    #[wasm_bindgen(getter)]
    pub fn batches(&self) -> usize {
        self.trainer.borrow().as_ref().map_or(0, Trainer::batches)
    }

    /// One batch: resolves to `{epoch, batch, batches, loss, epochEnd, finished}` (`epochEnd`:
    /// time for `check`).
    pub fn step(&self) -> Promise {
        with_trainer(&self.trainer, |mut trainer| async move {
            // Fields spelt out: serde's `flatten` would make this a JS Map.
            #[derive(serde::Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Out {
                epoch: usize,
                batch: usize,
                batches: usize,
                loss: f32,
                epoch_end: bool,
                finished: bool,
            }
            if trainer.finished() {
                return (trainer, Err(fail("training is over")));
            }
            let result = match trainer.step().await {
                Ok(p) => to_js(&Out { epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss, epoch_end: trainer.at_epoch_end(), finished: trainer.finished() }),
                Err(e) => Err(fail(e)),
            };
            (trainer, result)
        })
    }

    /// The end-of-epoch check: clean accuracy on the test digits, PGD accuracy at the training
    /// radius on the first `pgdDigits` of them when training adversarially, and the
    /// catastrophic-overfitting guard. Resolves to `{epoch, cleanAccuracy, pgdAccuracy, collapsed}`.
    pub fn check(&self, pgd_digits: usize) -> Promise {
        let check = self.check.clone();
        with_trainer(&self.trainer, move |mut trainer| async move {
            let pgd_check = check.take(pgd_digits.clamp(1, check.len()));
            let result = match trainer.check_with(&check, &pgd_check).await {
                Ok(figures) => to_js(&figures),
                Err(e) => Err(fail(e)),
            };
            (trainer, result)
        })
    }

    /// Clean accuracy of the network as it is now on the first `digits` test digits (the curve
    /// between epochs).
    pub fn accuracy(&self, digits: usize) -> Promise {
        let check = self.check.clone();
        with_trainer(&self.trainer, move |trainer| async move {
            let some = check.take(digits.clamp(1, check.len()));
            let device = trainer.device().clone();
            let result = crate::inference::accuracy_async(&trainer.current(), &some, &device).await;
            (trainer, result.map(JsValue::from).map_err(fail))
        })
    }

    /// The first `count` images of the last batch trained on (adversarial examples when
    /// training adversarially): a `Float32Array` of 784 values each.
    pub fn examples(&self, count: usize) -> Promise {
        with_trainer(&self.trainer, move |trainer| async move {
            let result = trainer.last_images(count).await.map(|v| JsValue::from(f32s(&v))).map_err(fail);
            (trainer, result)
        })
    }

    /// The trained network (the best checked epoch's under the guard) as safetensors bytes in
    /// the README's PyTorch layout, `description` in the metadata: a `Uint8Array`.
    pub fn weights(&self, description: String) -> Promise {
        with_trainer(&self.trainer, move |trainer| async move {
            let result = weights::to_bytes_async(&trainer.best(), &description)
                .await
                .map(|bytes| JsValue::from(js_sys::Uint8Array::from(bytes.as_slice())))
                .map_err(fail);
            (trainer, result)
        })
    }
}
