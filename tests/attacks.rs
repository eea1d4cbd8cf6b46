//! The attacks' contracts and the published-figure checks, on the committed model and real
//! MNIST test digits (a subset sized for CI; the full figures come from `eval --attack`).

mod common;

use adversarial_digits::attacks::search::{minimal_epsilon, random_noise_like};
use adversarial_digits::attacks::pgd::PgdParams;
use adversarial_digits::attacks::{self, AttackOptions, Method, Norm, block_on, run};
use adversarial_digits::evaluation::evaluate_attack;
use adversarial_digits::gradients;
use adversarial_digits::inference::predict;
use adversarial_digits::model::{IMAGE_PIXELS, images_tensor};
use common::*;

#[test]
fn input_gradient_matches_central_differences() {
    let model = standard_model();
    let data = test_digits(3);
    let device = device();
    let mut rng = adversarial_digits::rng::SplitMix64::new(11);
    for i in 0..3 {
        // MNIST's black background makes exact ties in max-pooling, where the loss has kinks at
        // the very point tested. A little noise puts the image in general position.
        let x: Vec<f32> = data.image(i).iter().map(|v| v + rng.uniform(-0.05, 0.05)).collect();
        // The loss of a wrong class: large and far from saturation, so its gradient is well scaled.
        let class = (data.labels[i] as usize + 3) % 10;
        let onehot = gradients::one_hot(&[class], &device);
        let gradient = gradients::loss_gradient(&model, images_tensor(&x, &device), onehot.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let loss = |pixels: &[f32]| -> f64 {
            let logits = model.forward(images_tensor(pixels, &device));
            gradients::cross_entropy_sum(logits, onehot.clone()).into_scalar::<f32>() as f64
        };
        // The pixels with the largest gradients, where a relative error is meaningful. ReLU and
        // max-pooling make the loss piecewise smooth: a pixel whose difference quotients at two
        // step sizes disagree has a kink within reach, where no quotient is the derivative, so
        // it is skipped (and at least 8 of 96 pixels must be checked).
        let mut order: Vec<usize> = (0..IMAGE_PIXELS).collect();
        order.sort_by(|&a, &b| gradient[b].abs().total_cmp(&gradient[a].abs()));
        let at = |p: usize, h: f32| {
            let mut moved = x.clone();
            moved[p] += h;
            loss(&moved)
        };
        let centre = loss(&x);
        let mut checked = 0;
        let mut errors = Vec::new();
        for &p in order.iter().take(96) {
            // Smooth around the pixel: forward and backward quotients agree, and so do central
            // quotients at two step sizes (a tie in max-pooling is a symmetric kink that only the
            // first test sees). Steps this large keep f32 rounding of the loss (about 1e-4 on a
            // loss near 10) out of the quotient.
            let h = 1e-2f32;
            let (up, down) = (at(p, h), at(p, -h));
            let forward = (up - centre) / h as f64;
            let backward = (centre - down) / h as f64;
            let numeric = (up - down) / (2.0 * h as f64);
            let coarse = (at(p, 2e-2) - at(p, -2e-2)) / 4e-2;
            let close = |a: f64, b: f64, tolerance: f64| (a - b).abs() <= tolerance * b.abs();
            // (Forward and backward differ by h·f'' even where smooth: softmax curvature.)
            if !close(forward, backward, 5e-2) || !close(coarse, numeric, 5e-3) {
                continue;
            }
            checked += 1;
            errors.push(((numeric - gradient[p] as f64).abs() / numeric.abs().max(1e-6), p, numeric));
        }
        assert!(checked >= 8, "image {i}: only {checked} smooth pixels to check");
        // A kink can still hide between the sample points; a wrong gradient would be off nearly
        // everywhere. So: two thirds of the checked pixels within 1e-2, the median far below it.
        errors.sort_by(|a, b| a.0.total_cmp(&b.0));
        let within = errors.iter().filter(|e| e.0 <= 1e-2).count();
        assert!(within * 3 >= errors.len() * 2, "image {i}: only {within}/{} pixels within 1e-2: {errors:?}", errors.len());
        assert!(errors[errors.len() / 2].0 <= 2.5e-3, "image {i}: median relative error {}", errors[errors.len() / 2].0);
    }
}

#[test]
fn every_attack_keeps_its_contract() {
    let model = standard_model();
    let data = test_digits(6);
    let labels = labels(&data);
    for method in Method::ALL {
        let mut opts = AttackOptions::for_method(method);
        if method == Method::Cw {
            opts.steps = 30;
            opts.cw.search_steps = 3;
        }
        let results = block_on(run(method, &model, &data.pixels, &labels, &opts, &device())).unwrap();
        assert_eq!(results.len(), 6);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.adversarial.len(), IMAGE_PIXELS);
            assert_eq!(r.probabilities.len(), 10);
            assert!(r.adversarial.iter().all(|v| (0.0..=1.0).contains(v)), "{method}: outside [0, 1]");
            assert!((r.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            for (d, (a, x)) in r.perturbation.iter().zip(r.adversarial.iter().zip(data.image(i))) {
                assert!((a - x - d).abs() < 1e-6, "{method}: perturbation is not adversarial - original");
            }
            // A budget bounds the change; the minimising methods (DeepFool, C&W, FAB) have none.
            match method.norm() {
                Norm::Linf if method.uses_eps() => assert!(r.norms.linf <= opts.eps + 1e-5, "{method}: L∞ {} > eps {}", r.norms.linf, opts.eps),
                Norm::L2 if matches!(method, Method::PgdL2 | Method::SquareL2) => assert!(r.norms.l2 <= opts.eps + 1e-3, "{method}: L2 {}", r.norms.l2),
                _ => {}
            }
            if method == Method::Jsma {
                assert!(r.norms.l0 as f32 <= opts.jsma.max_fraction * IMAGE_PIXELS as f32 + 2.0, "JSMA changed {} pixels", r.norms.l0);
            }
            if method == Method::FewPixel {
                assert!(r.norms.l0 <= opts.few_pixel.pixels_budget, "few-pixel changed {} pixels", r.norms.l0);
            }
        }
    }
}

#[test]
fn targeted_attacks_reach_the_target() {
    let model = standard_model();
    let data = test_digits(8);
    let labels = labels(&data);
    for (method, mut opts) in [
        (Method::Pgd, AttackOptions::for_method(Method::Pgd)),
        (Method::Cw, AttackOptions::for_method(Method::Cw)),
        (Method::Jsma, AttackOptions::for_method(Method::Jsma)),
        (Method::MiFgsm, AttackOptions { eps: 0.3, steps: 20, ..AttackOptions::default() }),
    ] {
        for target in [0, 8] {
            opts.target = Some(target);
            let results = block_on(run(method, &model, &data.pixels, &labels, &opts, &device())).unwrap();
            let reached = results.iter().filter(|r| r.label == target).count();
            assert!(reached >= 7, "{method} reached target {target} on {reached}/8");
            assert!(results.iter().all(|r| r.success == (r.label == target)));
        }
    }
}

#[test]
fn seeded_attacks_are_deterministic_and_seeds_matter() {
    let model = standard_model();
    let data = test_digits(4);
    let labels = labels(&data);
    let opts = AttackOptions { eps: 0.2, steps: 5, seed: 3, ..AttackOptions::default() };
    let a = block_on(run(Method::Pgd, &model, &data.pixels, &labels, &opts, &device())).unwrap();
    let b = block_on(run(Method::Pgd, &model, &data.pixels, &labels, &opts, &device())).unwrap();
    assert_eq!(a, b);
    let c = block_on(run(Method::Pgd, &model, &data.pixels, &labels, &AttackOptions { seed: 4, ..opts }, &device())).unwrap();
    assert_ne!(a[0].adversarial, c[0].adversarial);
}

#[test]
fn restarts_never_weaken_pgd() {
    let model = standard_model();
    let data = test_digits(20);
    let labels = labels(&data);
    let one = AttackOptions { eps: 0.1, steps: 10, ..AttackOptions::default() };
    let three = AttackOptions { pgd: PgdParams { restarts: 3 }, ..one.clone() };
    let a = block_on(run(Method::Pgd, &model, &data.pixels, &labels, &one, &device())).unwrap();
    let b = block_on(run(Method::Pgd, &model, &data.pixels, &labels, &three, &device())).unwrap();
    let wins = |r: &[attacks::AttackResult]| r.iter().filter(|r| r.success).count();
    assert!(wins(&b) >= wins(&a), "3 restarts {} < 1 restart {}", wins(&b), wins(&a));
}

#[test]
fn published_figures_hold_on_the_first_100_test_digits() {
    let model = standard_model();
    let data = test_digits(100);
    let device = device();
    let eval = |method: Method, opts: AttackOptions| evaluate_attack(method, &model, &data, &opts, 100, &device);

    let sweep = [0.0, 0.1, 0.2, 0.3];
    let fgsm: Vec<f64> = sweep.iter().map(|&eps| eval(Method::Fgsm, AttackOptions { eps, ..AttackOptions::for_method(Method::Fgsm) }).adversarial_accuracy).collect();
    assert!((0.45..=0.92).contains(&fgsm[1]), "FGSM eps 0.1: {}", fgsm[1]);
    assert!(fgsm[3] <= 0.20, "FGSM eps 0.3: {}", fgsm[3]);
    assert!(fgsm.windows(2).all(|w| w[1] <= w[0]), "FGSM accuracy rises with eps: {fgsm:?}");

    let pgd_options = AttackOptions { alpha: Some(0.01), steps: 40, ..AttackOptions::default() };
    for (i, &eps) in sweep.iter().enumerate().skip(1) {
        let pgd = eval(Method::Pgd, AttackOptions { eps, ..pgd_options.clone() }).adversarial_accuracy;
        assert!(pgd <= fgsm[i], "PGD {pgd} above FGSM {} at eps {eps}", fgsm[i]);
        if eps == 0.3 {
            assert!(pgd <= 0.01, "PGD eps 0.3: {pgd}");
        }
    }

    let cw = eval(Method::Cw, AttackOptions::for_method(Method::Cw));
    assert!(cw.success_rate >= 0.99, "C&W success {}", cw.success_rate);
    assert!((1.0..=2.0).contains(&cw.l2.mean), "C&W mean L2 {}", cw.l2.mean);

    let deepfool = eval(Method::Deepfool, AttackOptions::for_method(Method::Deepfool));
    assert!(deepfool.success_rate >= 0.99, "DeepFool success {}", deepfool.success_rate);
    assert!(deepfool.l2.mean <= 2.5, "DeepFool mean L2 {}", deepfool.l2.mean);
    assert!(deepfool.l2.mean >= cw.l2.mean, "DeepFool {} beat C&W {}", deepfool.l2.mean, cw.l2.mean);

    let jsma = eval(Method::Jsma, AttackOptions::for_method(Method::Jsma));
    assert!(jsma.success_rate >= 0.90, "JSMA success {}", jsma.success_rate);
    assert!(jsma.changed_fraction <= 0.08, "JSMA changed {} of the pixels", jsma.changed_fraction);
}

#[test]
fn minimal_epsilon_is_a_threshold() {
    let model = standard_model();
    let data = test_digits(1);
    let label = data.labels[0] as usize;
    let opts = AttackOptions::for_method(Method::Fgsm);
    let (eps, result) = block_on(minimal_epsilon(Method::Fgsm, &model, data.image(0), label, &opts, 0.5, 10, &device()))
        .unwrap()
        .expect("FGSM at 0.5 flips a digit");
    assert!(result.success && result.norms.linf <= eps + 1e-5);
    let below = block_on(run(Method::Fgsm, &model, data.image(0), &[label], &AttackOptions { eps: eps - 0.002, ..opts }, &device())).unwrap();
    assert!(!below[0].success, "eps {eps} is not the smallest: {} flips too", eps - 0.002);
}

#[test]
fn random_noise_of_the_same_size_rarely_fools() {
    let model = standard_model();
    let data = test_digits(50);
    let labels = labels(&data);
    let opts = AttackOptions { eps: 0.2, ..AttackOptions::for_method(Method::Fgsm) };
    let results = block_on(run(Method::Fgsm, &model, &data.pixels, &labels, &opts, &device())).unwrap();
    let mut fooled_by_noise = 0;
    let mut fooled_by_attack = 0;
    for (i, r) in results.iter().enumerate().filter(|(_, r)| r.success) {
        fooled_by_attack += 1;
        let noisy = random_noise_like(data.image(i), &r.perturbation, Norm::Linf, i as u64);
        let linf = noisy.iter().zip(data.image(i)).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(linf <= 0.2 + 1e-6);
        if predict(&model, &noisy, &device())[0].label != labels[i] {
            fooled_by_noise += 1;
        }
    }
    assert!(fooled_by_attack >= 25, "FGSM 0.2 fooled only {fooled_by_attack}/50");
    assert!(fooled_by_noise * 5 <= fooled_by_attack, "noise fooled {fooled_by_noise} of {fooled_by_attack}");
}

#[test]
fn bad_attack_input_is_an_error() {
    let model = standard_model();
    let data = test_digits(1);
    let err = |pixels: &[f32], labels: &[usize], opts: AttackOptions| block_on(run(Method::Fgsm, &model, pixels, labels, &opts, &device())).unwrap_err();
    err(&data.pixels[..100], &[1], AttackOptions::default());
    err(&data.pixels, &[12], AttackOptions::default());
    err(&data.pixels, &[1], AttackOptions { target: Some(10), ..AttackOptions::default() });
    err(&data.pixels, &[1], AttackOptions { eps: f32::NAN, ..AttackOptions::default() });
    err(&data.pixels, &[1], AttackOptions { steps: 1_000_000, ..AttackOptions::default() });
}

#[test]
fn simba_fools_the_network_from_its_answers_alone_within_its_query_budget() {
    // Guo et al. report SimBA-pixel fooling nearly every image; here, the standard network on 20
    // test digits with the catalogue's defaults (ε = 0.2, every pixel tried once).
    let model = standard_model();
    let data = test_digits(20);
    let labels = labels(&data);
    let opts = AttackOptions::for_method(Method::Simba);
    let results = block_on(run(Method::Simba, &model, &data.pixels, &labels, &opts, &device())).unwrap();
    let fooled = results.iter().filter(|r| r.success).count();
    assert!(fooled >= 16, "SimBA fooled {fooled} of 20");
    for r in &results {
        // Each kept change moves one pixel by at most ε, one change per query at most.
        assert!(r.norms.linf <= opts.eps + 1e-5, "a pixel moved {} > ε", r.norms.linf);
        assert!(r.norms.l0 < r.steps.max(1), "{} pixels changed in {} queries", r.norms.l0, r.steps);
        assert!(r.steps <= 1 + 2 * opts.steps, "{} queries for {} pixels tried", r.steps, opts.steps);
    }
    // Seeded: the same seed gives the same attack; another seed, another order of pixels.
    let few = &data.pixels[..4 * IMAGE_PIXELS];
    let a = block_on(run(Method::Simba, &model, few, &labels[..4], &opts, &device())).unwrap();
    let b = block_on(run(Method::Simba, &model, few, &labels[..4], &opts, &device())).unwrap();
    let c = block_on(run(Method::Simba, &model, few, &labels[..4], &AttackOptions { seed: 9, ..opts.clone() }, &device())).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.adversarial == y.adversarial), "the same seed gave another attack");
    assert!(a.iter().zip(&c).any(|(x, y)| x.adversarial != y.adversarial), "another seed gave the same attack");
}

#[test]
fn simba_asks_a_black_box_for_scores_only_and_counts_its_queries_as_the_paper() {
    // A stand-in network known only through its answers: a 7 while the image is bright on
    // average, a 1 once it is dark enough. SimBA gets the closure, never a model.
    use adversarial_digits::attacks::{Goal, ScoreOracle, simba};
    let answers = |pixels: Vec<f32>| -> Vec<f32> {
        pixels
            .chunks(IMAGE_PIXELS)
            .flat_map(|image| {
                let mean = image.iter().sum::<f32>() / IMAGE_PIXELS as f32;
                let seven = 1.0 / (1.0 + (-200.0 * (mean - 0.45)).exp());
                let mut p = vec![0.0; 10];
                p[7] = seven;
                p[1] = 1.0 - seven;
                p
            })
            .collect()
    };
    let mut oracle = ScoreOracle::new(move |pixels| Box::pin(std::future::ready(Ok(answers(pixels)))));
    let opts = AttackOptions::for_method(Method::Simba);
    let (adversarial, queries) = block_on(simba(&mut oracle, vec![0.5; IMAGE_PIXELS], &Goal::untargeted(&[7]), &opts)).unwrap();
    let mean = adversarial.iter().sum::<f32>() / IMAGE_PIXELS as f32;
    assert!(mean < 0.45, "not fooled: mean {mean}");
    let darker = adversarial.iter().filter(|&&v| v < 0.5).count();
    assert_eq!(adversarial.iter().filter(|&&v| v > 0.5).count(), 0, "a lighter try was kept though every darker one helps");
    // Every darker try helped: one query each, plus the first; the lighter ones never asked.
    assert_eq!(queries, vec![1 + darker]);
    assert_eq!(oracle.queries(), 1 + darker);
}

#[test]
fn the_square_attack_fools_the_standard_network_in_tens_of_queries_inside_the_box() {
    // Andriushchenko et al. report near-100% success in tens of queries on undefended MNIST
    // networks at ε = 0.3; here, 20 test digits with the catalogue's defaults (1,000 queries).
    let model = standard_model();
    let data = test_digits(20);
    let labels = labels(&data);
    let opts = AttackOptions::for_method(Method::Square);
    assert_eq!((opts.eps, opts.queries), (0.3, 1000));
    let results = block_on(run(Method::Square, &model, &data.pixels, &labels, &opts, &device())).unwrap();
    let fooled = results.iter().filter(|r| r.success).count();
    assert!(fooled >= 19, "Square fooled {fooled} of 20");
    let mut queries: Vec<usize> = results.iter().map(|r| r.queries.expect("a black-box attack counts its queries")).collect();
    queries.sort();
    assert!(queries[10] <= 100, "median {} queries", queries[10]);
    for r in &results {
        assert!(r.norms.linf <= opts.eps + 1e-5, "a pixel moved {} > ε", r.norms.linf);
        assert!(r.queries.unwrap() <= opts.queries);
    }
    // Targeted: every digit to the next one, within the same budget.
    let targeted = AttackOptions { target: Some(3), ..opts.clone() };
    let results = block_on(run(Method::Square, &model, &data.pixels[..5 * IMAGE_PIXELS], &labels[..5], &targeted, &device())).unwrap();
    assert!(results.iter().filter(|r| r.label == 3).count() >= 4, "{:?}", results.iter().map(|r| r.label).collect::<Vec<_>>());
    // Seeded.
    let few = &data.pixels[..3 * IMAGE_PIXELS];
    let a = block_on(run(Method::Square, &model, few, &labels[..3], &opts, &device())).unwrap();
    let b = block_on(run(Method::Square, &model, few, &labels[..3], &opts, &device())).unwrap();
    let c = block_on(run(Method::Square, &model, few, &labels[..3], &AttackOptions { seed: 5, ..opts.clone() }, &device())).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.adversarial == y.adversarial), "the same seed gave another attack");
    assert!(a.iter().zip(&c).any(|(x, y)| x.adversarial != y.adversarial), "another seed gave the same attack");
    // White-box attacks report no queries.
    let fgsm = block_on(run(Method::Fgsm, &model, few, &labels[..3], &AttackOptions::default(), &device())).unwrap();
    assert!(fgsm.iter().all(|r| r.queries.is_none()));
}

#[test]
fn the_square_attack_asks_a_black_box_for_scores_only_and_never_exceeds_its_budget() {
    // A stand-in network that no bounded change fools: it reads a 7 whatever the image. The
    // attack gets the closure, spends exactly its budget, and stays in the ε-box.
    use adversarial_digits::attacks::{Goal, ScoreOracle, square};
    let stubborn = |pixels: Vec<f32>| -> Vec<f32> {
        pixels.chunks(adversarial_digits::model::IMAGE_PIXELS).flat_map(|image| {
            let mean = image.iter().sum::<f32>() / IMAGE_PIXELS as f32;
            let mut p = vec![0.01 * mean; 10];
            p[7] = 1.0 - 0.09 * mean;
            p
        }).collect()
    };
    let mut oracle = ScoreOracle::new(move |pixels| Box::pin(std::future::ready(Ok(stubborn(pixels)))));
    let mut opts = AttackOptions::for_method(Method::Square);
    opts.queries = 137;
    let original: Vec<f32> = (0..2 * IMAGE_PIXELS).map(|i| (i % 29) as f32 / 28.0).collect();
    let (adversarial, queries) = block_on(square(&mut oracle, original.clone(), &Goal::untargeted(&[7, 7]), &opts)).unwrap();
    assert_eq!(queries, vec![137, 137]);
    assert_eq!(oracle.queries(), 2 * 137);
    assert!(adversarial.iter().zip(&original).all(|(a, o)| (a - o).abs() <= opts.eps + 1e-6 && (0.0..=1.0).contains(a)));
    // An image already fooled costs one query.
    let mut oracle = ScoreOracle::new(move |pixels| Box::pin(std::future::ready(Ok(stubborn(pixels)))));
    let (_, queries) = block_on(square(&mut oracle, original[..IMAGE_PIXELS].to_vec(), &Goal::untargeted(&[3]), &opts)).unwrap();
    assert_eq!(queries, vec![1]);
}

#[test]
fn hopskipjump_reads_only_labels_spends_no_more_than_its_budget_and_nears_the_boundary() {
    // A stand-in network known only by its top label: a 7 while the image is bright on average,
    // a 1 below 0.55. From a grey 0.6, the nearest 1 is every pixel 0.05 darker: L2 = 0.05·28 = 1.4.
    use adversarial_digits::attacks::{Goal, LabelOracle, hop_skip_jump};
    let answers = |pixels: Vec<f32>| -> Vec<f32> {
        pixels
            .chunks(IMAGE_PIXELS)
            .flat_map(|image| {
                let mean = image.iter().sum::<f32>() / IMAGE_PIXELS as f32;
                let mut p = vec![0.0; 10];
                p[if mean >= 0.55 { 7 } else { 1 }] = 1.0;
                p
            })
            .collect()
    };
    let mut oracle = LabelOracle::new(move |pixels| Box::pin(std::future::ready(Ok(answers(pixels)))));
    let opts = AttackOptions { queries: 3000, ..AttackOptions::for_method(Method::HopSkipJump) };
    let grey = vec![0.6; IMAGE_PIXELS];
    let (adversarial, queries) = block_on(hop_skip_jump(&mut oracle, grey.clone(), &Goal::untargeted(&[7]), &opts)).unwrap();
    let mean = adversarial.iter().sum::<f32>() / IMAGE_PIXELS as f32;
    assert!(mean < 0.55, "not misread: mean {mean}");
    let distance = adversarial.iter().zip(&grey).map(|(a, g)| (a - g) * (a - g)).sum::<f32>().sqrt();
    assert!(distance < 1.4 * 1.5, "L2 {distance}, the nearest misread image is at 1.4");
    assert!(queries[0] <= 3000 && queries[0] > 2000, "{} queries of 3000", queries[0]);
    assert_eq!(oracle.queries(), queries[0]);
}

#[test]
fn hopskipjump_fools_every_digit_with_changes_near_carlini_wagners() {
    // Chen, Jordan & Wainwright report HopSkipJump approaching C&W's distances with thousands of
    // queries; here 10 test digits, 2,000 queries (README: 1,000 digits at 5,000).
    let model = standard_model();
    let data = test_digits(10);
    let labels = labels(&data);
    let opts = AttackOptions { queries: 2000, ..AttackOptions::for_method(Method::HopSkipJump) };
    assert_eq!(AttackOptions::for_method(Method::HopSkipJump).queries, 5000);
    let results = block_on(run(Method::HopSkipJump, &model, &data.pixels, &labels, &opts, &device())).unwrap();
    assert!(results.iter().all(|r| r.success), "{:?}", results.iter().map(|r| r.label).collect::<Vec<_>>());
    assert!(results.iter().all(|r| r.queries.unwrap() <= 2000));
    let mut l2: Vec<f32> = results.iter().map(|r| r.norms.l2).collect();
    l2.sort_by(f32::total_cmp);
    assert!(l2[5] < 3.0, "median L2 {}", l2[5]);
    // Seeded.
    let again = block_on(run(Method::HopSkipJump, &model, &data.pixels[..2 * IMAGE_PIXELS], &labels[..2], &opts, &device())).unwrap();
    assert!(again.iter().zip(&results).all(|(a, b)| a.adversarial == b.adversarial), "an image's attack depends on its seed, not its batch");
}

#[test]
fn fab_t_finds_small_adversarials_in_the_target_class_and_is_seeded() {
    // Croce & Hein report FAB's L∞ close to the smallest known on undefended MNIST networks; here
    // 20 test digits of the standard network, each aimed at its second most likely class (the
    // first target of AutoAttack's FAB-T), 100 steps, AutoAttack's standard parameters.
    use adversarial_digits::attacks::{FabParams, Goal, fab, measure};
    use adversarial_digits::inference::probabilities;
    let model = standard_model();
    let data = test_digits(20);
    let labels = labels(&data);
    let device = device();
    let targets: Vec<usize> = probabilities(&model, &data.pixels, &device)
        .chunks(10)
        .map(|p| (0..10).filter(|&k| k != adversarial_digits::inference::argmax(p)).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap())
        .collect();
    let goal = Goal { labels: labels.clone(), targets: Some(targets.clone()) };
    let opts = AttackOptions { eps: 0.3, steps: 100, ..AttackOptions::default() };
    let params = FabParams::default();
    assert_eq!((params.restarts, params.alpha_max, params.eta, params.beta), (1, 0.1, 1.05, 0.9));
    let attack = |pixels: &[f32], goal: &Goal, opts: &AttackOptions, params: &FabParams| {
        block_on(async {
            let crafted = fab(&model, images_tensor(pixels, &device), goal, opts, params).await?;
            measure(&model, pixels, goal, crafted).await
        })
        .unwrap()
    };
    let results = attack(&data.pixels, &goal, &opts, &params);
    let reached: Vec<f32> = results.iter().zip(&targets).filter(|(r, t)| r.label == **t).map(|(r, _)| r.norms.linf).collect();
    assert!(reached.len() >= 18, "FAB-T reached the target on {} of 20: {:?}", reached.len(), results.iter().map(|r| r.label).collect::<Vec<_>>());
    assert!(results.iter().all(|r| r.success == (r.norms.linf > 0.0)), "a digit not fooled must come back unchanged");
    let mut linf = reached.clone();
    linf.sort_by(f32::total_cmp);
    let median = linf[linf.len() / 2];
    assert!(linf.iter().all(|&d| d <= opts.eps), "L∞ beyond ε: {linf:?}");
    assert!(median < 0.2, "median L∞ {median}");
    eprintln!("FAB-T reached the target on {} of 20, L∞ median {median:.4}, largest {:.4}", reached.len(), linf[linf.len() - 1]);
    // Seeded: the same run again is the same, with restarts too.
    let few = &data.pixels[..3 * IMAGE_PIXELS];
    let three = Goal { labels: labels[..3].to_vec(), targets: Some(targets[..3].to_vec()) };
    let again = attack(few, &three, &opts, &params);
    assert!(again.iter().zip(&results).all(|(a, b)| a.adversarial == b.adversarial), "an image's attack depends on its batch");
    let restarts = FabParams { restarts: 2, ..params.clone() };
    let a = attack(few, &three, &AttackOptions { steps: 20, ..opts.clone() }, &restarts);
    let b = attack(few, &three, &AttackOptions { steps: 20, ..opts.clone() }, &restarts);
    assert!(a.iter().zip(&b).all(|(x, y)| x.adversarial == y.adversarial), "the same seed gave another attack");
    assert!(a.iter().zip(&b).all(|(x, y)| x.norms.linf > 0.0 && y.norms.linf > 0.0));
}

#[test]
fn fab_t_needs_no_larger_linf_than_a_bisection_over_pgds_budget() {
    // FAB minimises the L∞ norm directly; the smallest ε at which PGD-40 reaches the same target
    // (bisection, 8 steps: ±0.002) is a bound it should meet, within the bisection's precision.
    use adversarial_digits::attacks::{FabParams, Goal, fab, measure};
    let model = standard_model();
    let data = test_digits(3);
    let labels = labels(&data);
    let device = device();
    for i in 0..3 {
        let target = (labels[i] + 1) % 10;
        let goal = Goal { labels: vec![labels[i]], targets: Some(vec![target]) };
        let opts = AttackOptions { eps: 0.3, steps: 100, ..AttackOptions::default() };
        let r = block_on(async {
            let crafted = fab(&model, images_tensor(data.image(i), &device), &goal, &opts, &FabParams::default()).await?;
            measure(&model, data.image(i), &goal, crafted).await
        })
        .unwrap()
        .remove(0);
        assert_eq!(r.label, target, "digit {i}");
        let pgd = AttackOptions { target: Some(target), ..AttackOptions::for_method(Method::Pgd) };
        let (eps, _) = block_on(minimal_epsilon(Method::Pgd, &model, data.image(i), labels[i], &pgd, 0.5, 8, &device)).unwrap().expect("PGD at 0.5 reaches the target");
        assert!(r.norms.linf <= eps * 1.05 + 0.002, "digit {i}: FAB L∞ {} against PGD's smallest ε {eps}", r.norms.linf);
        eprintln!("digit {i}: FAB L∞ {:.4}, PGD's smallest ε {eps:.4}", r.norms.linf);
    }
}
