//! Gradient masking (the page's lesson "a defence that only looks robust"): the standard network
//! behind an input squeezer (models/masked.i8.safetensors) gives gradient attacks nothing to
//! climb, so they fail; attacks that read only outputs (Square) or differentiate the squeezer as
//! the identity (BPDA) see through it. And the stronger evaluations: APGD and AutoAttack's chain.

mod common;

use adversarial_digits::attacks::apgd::{ApgdLoss, ApgdParams};
use adversarial_digits::attacks::{AttackOptions, Method, block_on, run};
use adversarial_digits::evaluation::{evaluate_attack, evaluate_autoattack};
use adversarial_digits::gradients;
use adversarial_digits::inference::probabilities;
use adversarial_digits::model::images_tensor;
use adversarial_digits::weights;
use common::*;

fn masked_model() -> adversarial_digits::model::DigitNet {
    let bytes = std::fs::read(root().join("models/masked.i8.safetensors")).expect("models/masked.i8.safetensors is committed");
    weights::load(&bytes, &device()).expect("the masked network loads")
}

#[test]
fn the_masked_file_is_the_standard_network_behind_an_eight_level_squeezer() {
    let standard = std::fs::read(root().join("models/standard.i8.safetensors")).unwrap();
    let masked = std::fs::read(root().join("models/masked.i8.safetensors")).unwrap();
    assert!(
        weights::with_input_levels(&standard, Some(8)).unwrap() == masked,
        "models/masked.i8.safetensors is stale: run `cargo run --release -- convert --model models/standard.safetensors \
         --out models/masked.i8.safetensors --input-levels 8`"
    );
    // Its answers are the standard network's on the squeezed digit.
    let model = masked_model();
    let plain = weights::load(&standard, &device()).unwrap();
    let data = test_digits(20);
    let squeezed: Vec<f32> = data.pixels.iter().map(|v| (v * 7.0).round() / 7.0).collect();
    let a = probabilities(&model, &data.pixels, &device());
    let b = probabilities(&plain, &squeezed, &device());
    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5));
    // Through the differentiable forward pass too (the CPU kernels are not taken there).
    let logits = model.forward(images_tensor(&data.pixels[..784], &device())).into_data().try_to_vec::<f32>().unwrap();
    let expected = plain.forward(images_tensor(&squeezed[..784], &device())).into_data().try_to_vec::<f32>().unwrap();
    assert!(logits.iter().zip(&expected).all(|(x, y)| (x - y).abs() < 1e-4));
}

#[test]
fn a_bad_squeezer_in_the_metadata_is_refused_with_a_reason() {
    let standard = std::fs::read(root().join("models/standard.i8.safetensors")).unwrap();
    let mut bad = weights::with_input_levels(&standard, Some(8)).unwrap();
    let key = b"\"input_levels\":\"8\"";
    let at = bad.windows(key.len()).position(|w| w == key).expect("the key in the header");
    bad[at + key.len() - 2] = b'1'; // 1 grey level
    let error = weights::load(&bad, &device()).unwrap_err().to_string();
    assert!(error.contains("input_levels") && error.contains("2 to 256"), "{error}");
    // And removing it gives the plain network back, byte for byte.
    assert!(weights::with_input_levels(&bad.clone(), None).is_err(), "a refused file is not rewritten");
    let masked = weights::with_input_levels(&standard, Some(8)).unwrap();
    assert_eq!(weights::with_input_levels(&masked, None).unwrap(), weights::with_input_levels(&standard, None).unwrap());
}

#[test]
fn the_squeezer_gives_a_gradient_of_zero_and_its_straight_through_view_a_real_one() {
    let model = masked_model();
    let data = test_digits(3);
    let onehot = gradients::one_hot(&[7, 2, 1], &device());
    let zero = gradients::loss_gradient(&model, images_tensor(&data.pixels, &device()), onehot.clone()).into_data().try_to_vec::<f32>().unwrap();
    assert!(zero.iter().all(|&g| g == 0.0), "the masked network leaks a gradient");
    let through = gradients::loss_gradient(&model.straight_through(), images_tensor(&data.pixels, &device()), onehot).into_data().try_to_vec::<f32>().unwrap();
    assert!(through.iter().filter(|g| g.abs() > 1e-6).count() > 100);
}

#[test]
fn gradient_attacks_fail_on_the_masked_network_while_bpda_and_square_break_it() {
    // The acceptance's lesson: PGD's figure looks robust, BPDA and Square are at least 30
    // points lower (50 digits here; README: 1,000).
    let model = masked_model();
    let data = test_digits(50);
    let accuracy = |method: Method| evaluate_attack(method, &model, &data, &AttackOptions::for_method(method), 50, &device()).adversarial_accuracy;
    let (fgsm, pgd, apgd, bpda, square) = (accuracy(Method::Fgsm), accuracy(Method::Pgd), accuracy(Method::Apgd), accuracy(Method::Bpda), accuracy(Method::Square));
    assert!(fgsm >= 0.9 && pgd >= 0.9 && apgd >= 0.9, "masked: FGSM {fgsm}, PGD {pgd}, APGD {apgd}");
    assert!(bpda <= pgd - 0.3 && square <= pgd - 0.3, "masked: PGD {pgd}, BPDA {bpda}, Square {square}");
    // On a network without a squeezer BPDA is PGD itself.
    let standard = standard_model();
    let opts = AttackOptions::for_method(Method::Pgd);
    let a = block_on(run(Method::Pgd, &standard, &data.pixels[..3 * 784], &labels(&data)[..3], &opts, &device())).unwrap();
    let b = block_on(run(Method::Bpda, &standard, &data.pixels[..3 * 784], &labels(&data)[..3], &opts, &device())).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.adversarial == y.adversarial));
}

#[test]
fn apgd_is_at_least_as_strong_as_pgd_on_the_defended_network_and_stays_in_the_ball() {
    // Croce & Hein's point: a step size that adapts finds more than PGD's fixed one. The robust
    // network on 60 digits, ε = 0.3: APGD-CE (100 steps) leaves no more digits than PGD-100.
    let model = robust_model();
    let data = test_digits(60);
    let apgd = evaluate_attack(Method::Apgd, &model, &data, &AttackOptions::for_method(Method::Apgd), 60, &device());
    let pgd = evaluate_attack(Method::Pgd, &model, &data, &AttackOptions { steps: 100, ..AttackOptions::for_method(Method::Pgd) }, 60, &device());
    assert!(apgd.adversarial_accuracy <= pgd.adversarial_accuracy, "APGD {} vs PGD {}", apgd.adversarial_accuracy, pgd.adversarial_accuracy);
    assert!(apgd.linf.mean <= 0.3 + 1e-5);
    // The standard network falls entirely, with either loss; targeted DLR reaches its target.
    let standard = standard_model();
    let few = test_digits(10);
    let dlr = AttackOptions { apgd: ApgdParams { loss: Some(ApgdLoss::Dlr) }, ..AttackOptions::for_method(Method::Apgd) };
    for opts in [AttackOptions::for_method(Method::Apgd), dlr.clone()] {
        let results = block_on(run(Method::Apgd, &standard, &few.pixels, &labels(&few), &opts, &device())).unwrap();
        assert!(results.iter().all(|r| r.success && r.norms.linf <= 0.3 + 1e-5));
    }
    let targeted = AttackOptions { target: Some(4), ..AttackOptions::for_method(Method::Apgd) };
    let results = block_on(run(Method::Apgd, &standard, &few.pixels, &labels(&few), &targeted, &device())).unwrap();
    assert!(results.iter().filter(|r| r.label == 4).count() >= 9);
    // Seeded: the random start is the seed's.
    let a = block_on(run(Method::Apgd, &model, &few.pixels[..2 * 784], &labels(&few)[..2], &AttackOptions::for_method(Method::Apgd), &device())).unwrap();
    let b = block_on(run(Method::Apgd, &model, &few.pixels[..2 * 784], &labels(&few)[..2], &AttackOptions::for_method(Method::Apgd), &device())).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.adversarial == y.adversarial));
}

#[test]
fn autoattacks_chain_keeps_the_defended_network_and_breaks_the_masked_one() {
    // 20 digits: the defended network keeps most of them and APGD-CE alone finds at least what
    // PGD-50×10 finds; the standard network falls to 0, and the masked one too (Square sees
    // through what the gradient attacks cannot).
    let data = test_digits(20);
    let report = evaluate_autoattack(&robust_model(), &data, 0.3, 0, 20, &device());
    assert!(report.robust_accuracy > 0.5, "{report:?}");
    assert!(report.components[0].robust_accuracy <= report.pgd_50x10, "{report:?}");
    assert_eq!(report.components.iter().map(|c| c.attack.as_str()).collect::<Vec<_>>(), ["apgd-ce", "apgd-t", "fab-t", "square"]);
    assert!(report.missing.is_empty(), "{report:?}");
    assert_eq!(evaluate_autoattack(&standard_model(), &data, 0.3, 0, 20, &device()).robust_accuracy, 0.0);
    let masked = evaluate_autoattack(&masked_model(), &data, 0.3, 0, 20, &device());
    assert!(masked.pgd_50x10 > 0.9 && masked.robust_accuracy == 0.0, "{masked:?}");
}
