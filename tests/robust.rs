//! The defended network: its figures on a CI-sized subset (the README's come from
//! `tools/figures-robust.sh` on 1,000 digits), and the adversarial-training step's contract.

mod common;

use adversarial_digits::attacks::pgd::PgdParams;
use adversarial_digits::attacks::{AttackOptions, Method};
use adversarial_digits::gradients::one_hot;
use adversarial_digits::evaluation::{evaluate_attack, evaluate_transfer};
use adversarial_digits::model::{DigitNetConfig, images_tensor};
use adversarial_digits::training::{AdversarialConfig, adversarial_examples};
use common::*;

fn pgd(eps: f32, steps: usize, restarts: usize) -> AttackOptions {
    AttackOptions { eps, steps, alpha: Some(0.01), seed: 3, pgd: PgdParams { restarts }, ..AttackOptions::for_method(Method::Pgd) }
}

#[test]
fn the_robust_model_resists_pgd_and_the_standard_one_does_not() {
    let data = test_digits(100);
    let robust = evaluate_attack(Method::Pgd, &robust_model(), &data, &pgd(0.3, 40, 1), 100, &device());
    let standard = evaluate_attack(Method::Pgd, &standard_model(), &data, &pgd(0.3, 40, 1), 100, &device());
    assert!(robust.clean_accuracy >= 0.95, "clean accuracy {}", robust.clean_accuracy);
    assert!(robust.adversarial_accuracy >= 0.75, "PGD accuracy {}", robust.adversarial_accuracy);
    assert!(robust.adversarial_accuracy <= 0.97, "PGD accuracy {} is suspiciously high: a weak attack?", robust.adversarial_accuracy);
    assert!(standard.adversarial_accuracy <= 0.02, "standard PGD accuracy {}", standard.adversarial_accuracy);
}

#[test]
fn examples_crafted_on_the_standard_model_rarely_transfer_to_the_robust_one() {
    let data = test_digits(100);
    let report = evaluate_transfer(Method::Pgd, &standard_model(), &robust_model(), &data, &pgd(0.3, 40, 1), 100, &device());
    assert!(report.source_fooled >= 0.98, "{report:?}");
    assert!(report.target_fooled <= 0.2, "{report:?}");
}

#[test]
fn carlini_wagner_needs_larger_perturbations_on_the_robust_model() {
    let data = test_digits(30);
    let options = AttackOptions::for_method(Method::Cw);
    let robust = evaluate_attack(Method::Cw, &robust_model(), &data, &options, 30, &device());
    let standard = evaluate_attack(Method::Cw, &standard_model(), &data, &options, 30, &device());
    assert!(robust.l2.mean >= 1.2 * standard.l2.mean, "robust {} vs standard {}", robust.l2.mean, standard.l2.mean);
}

#[test]
fn training_examples_stay_in_the_ball_and_the_pixel_range() {
    let device = device().autodiff();
    let model = DigitNetConfig::new().init(&device);
    let data = test_digits(8);
    let images = images_tensor(&data.pixels, &device);
    for steps in [1, 3] {
        let config = AdversarialConfig::new().with_steps(steps).with_alpha_ratio(if steps == 1 { 1.25 } else { 0.8 });
        let out = adversarial_examples(&model, images.clone(), one_hot(&labels(&data), &device), 0.3, &config, 5);
        let out: Vec<f32> = out.into_data().try_to_vec().unwrap();
        for (a, b) in out.iter().zip(&data.pixels) {
            assert!((0.0..=1.0).contains(a));
            assert!((a - b).abs() <= 0.3 + 1e-6);
        }
        assert!(out.iter().zip(&data.pixels).any(|(a, b)| (a - b).abs() > 0.1), "the examples move");
    }
    let warm = AdversarialConfig::new().with_warmup_epochs(2);
    assert!((warm.eps_at(0, 49, 100) - 0.075).abs() < 1e-6);
    assert_eq!(warm.eps_at(1, 99, 100), 0.3);
    assert_eq!(warm.eps_at(5, 0, 100), 0.3);
}

#[test]
fn the_training_checks_pgd_figure_is_the_pgd_attacks_on_the_same_settings() {
    // training::pgd_accuracy runs the training examples' stepper with PGD's settings (random
    // start from seed 7, steps of ε/4): the same images as the PGD attack, so the same accuracy.
    let model = robust_model();
    let data = test_digits(60);
    let config = AdversarialConfig { eps: 0.3, check_steps: 10, ..AdversarialConfig::new() };
    let trained = adversarial_digits::training::pgd_accuracy(&model, &data, &config, &device());
    let options = AttackOptions { eps: 0.3, steps: 10, alpha: Some(0.3 / 4.0), seed: 7, ..AttackOptions::for_method(Method::Pgd) };
    let attacked = evaluate_attack(Method::Pgd, &model, &data, &options, 60, &device());
    assert!((trained - attacked.adversarial_accuracy).abs() < 1e-9, "training's check {trained}, the attack {}", attacked.adversarial_accuracy);
    assert!(trained > 0.5 && trained < 1.0, "{trained}");
}
