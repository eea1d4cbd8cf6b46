//! The black-box attacks added after the first ones (tests/attacks.rs): the Square Attack's L2
//! version, HopSkipJump towards a target from a start of that class, and what a page's live view
//! is shown of a search while it runs. On the committed model and real MNIST test digits.

mod common;

use adversarial_digits::attacks::{AttackOptions, Goal, Method, Progress, ScoreOracle, block_on, run, run_watched, square_l2};
use adversarial_digits::model::{CLASSES, IMAGE_PIXELS};
use common::*;

#[test]
fn square_l2_fools_the_standard_network_inside_the_l2_ball_with_a_seed() {
    // 20 test digits, the catalogue's defaults (ε = 2, 1,000 queries).
    let model = standard_model();
    let data = test_digits(20);
    let labels = labels(&data);
    let opts = AttackOptions::for_method(Method::SquareL2);
    assert_eq!((opts.eps, opts.queries), (2.0, 1000));
    let results = block_on(run(Method::SquareL2, &model, &data.pixels, &labels, &opts, &device())).unwrap();
    let fooled = results.iter().filter(|r| r.success).count();
    let mut queries: Vec<usize> = results.iter().map(|r| r.queries.unwrap()).collect();
    queries.sort();
    println!("square-l2, 20 digits: fooled {fooled}, median queries {}", queries[10]);
    // 15 of 20 here (README, "Without the gradient at all": 66.5% of 1,000 digits at 1,000 queries,
    // where white-box PGD-L2 fools 90.0%).
    assert!(fooled >= 14, "Square L2 fooled {fooled} of 20");
    for r in &results {
        assert!(r.norms.l2 <= opts.eps + 1e-4, "L2 {} > ε", r.norms.l2);
        assert!(r.queries.unwrap() <= opts.queries);
    }
    let few = &data.pixels[..3 * IMAGE_PIXELS];
    let a = block_on(run(Method::SquareL2, &model, few, &labels[..3], &opts, &device())).unwrap();
    let b = block_on(run(Method::SquareL2, &model, few, &labels[..3], &opts, &device())).unwrap();
    let c = block_on(run(Method::SquareL2, &model, few, &labels[..3], &AttackOptions { seed: 5, ..opts.clone() }, &device())).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.adversarial == y.adversarial), "the same seed gave another attack");
    assert!(a.iter().zip(&c).any(|(x, y)| x.adversarial != y.adversarial), "another seed gave the same attack");
}

#[test]
fn square_l2_spends_exactly_its_budget_on_a_network_it_cannot_fool() {
    // A stand-in that reads a 7 whatever the image: the attack gets only the closure.
    let stubborn = |pixels: Vec<f32>| -> Vec<f32> {
        pixels.chunks(IMAGE_PIXELS).flat_map(|image| {
            let mean = image.iter().sum::<f32>() / IMAGE_PIXELS as f32;
            let mut p = vec![0.01 * mean; CLASSES];
            p[7] = 1.0 - 0.09 * mean;
            p
        }).collect()
    };
    let mut oracle = ScoreOracle::new(move |pixels| Box::pin(std::future::ready(Ok(stubborn(pixels)))));
    let opts = AttackOptions { queries: 91, ..AttackOptions::for_method(Method::SquareL2) };
    let original: Vec<f32> = (0..IMAGE_PIXELS).map(|i| (i % 29) as f32 / 28.0).collect();
    let (adversarial, queries) = block_on(square_l2(&mut oracle, original.clone(), &Goal::untargeted(&[7]), &opts)).unwrap();
    assert_eq!(queries, vec![91]);
    assert_eq!(oracle.queries(), 91);
    let l2 = adversarial.iter().zip(&original).map(|(a, o)| (a - o) * (a - o)).sum::<f32>().sqrt();
    assert!(l2 <= opts.eps + 1e-4 && adversarial.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn hopskipjump_reaches_a_chosen_class_from_a_digit_of_that_class() {
    // Targeted, the start must already be read as the target: a test digit of that class.
    let model = standard_model();
    let data = test_digits(40);
    let labels = labels(&data);
    let (source, target) = (0usize, 3usize); // digit 0 is a 7
    let start = labels.iter().position(|&l| l == target).unwrap();
    let mut opts = AttackOptions { queries: 2000, target: Some(target), ..AttackOptions::for_method(Method::HopSkipJump) };
    opts.hop_skip_jump.start = Some(data.pixels[start * IMAGE_PIXELS..(start + 1) * IMAGE_PIXELS].to_vec());
    let pixels = &data.pixels[source * IMAGE_PIXELS..(source + 1) * IMAGE_PIXELS];
    let result = block_on(run(Method::HopSkipJump, &model, pixels, &[labels[source]], &opts, &device())).unwrap().remove(0);
    assert_eq!(result.label, target, "{:?}", result.probabilities);
    assert!(result.queries.unwrap() <= 2000);
    // Much nearer the 7 than the 3 it started from.
    let start_distance = pixels.iter().zip(&data.pixels[start * IMAGE_PIXELS..]).map(|(a, b)| (a - b) * (a - b)).sum::<f32>().sqrt();
    assert!(result.norms.l2 < 0.6 * start_distance, "L2 {} from a start {start_distance} away", result.norms.l2);
    // Without a start, random noise is almost never a 3: where none is found, the digit comes
    // back unchanged and the attack says it failed.
    opts.hop_skip_jump.start = None;
    let result = block_on(run(Method::HopSkipJump, &model, pixels, &[labels[source]], &opts, &device())).unwrap().remove(0);
    if !result.success {
        assert_eq!(result.norms.l2, 0.0, "a failed targeted search returns the digit itself");
        assert_eq!(result.label, labels[source]);
    }
}

#[test]
fn the_watcher_sees_the_search_improve_and_costs_no_queries() {
    let model = standard_model();
    let data = test_digits(1);
    let labels = labels(&data);
    for method in [Method::Square, Method::SquareL2, Method::Simba, Method::HopSkipJump] {
        let opts = AttackOptions { queries: 300, ..AttackOptions::for_method(method) };
        let mut seen: Vec<(usize, Vec<f32>, Option<Vec<f32>>)> = Vec::new();
        let mut watch = |p: Progress<'_>| seen.push((p.queries, p.pixels.to_vec(), p.probabilities.map(<[f32]>::to_vec)));
        let watched = block_on(run_watched(method, &model, &data.pixels, &labels, &opts, &device(), Some(&mut watch))).unwrap().remove(0);
        let plain = block_on(run(method, &model, &data.pixels, &labels, &opts, &device())).unwrap().remove(0);
        assert_eq!(watched.adversarial, plain.adversarial, "{method}: watching changed the attack");
        assert_eq!(watched.queries, plain.queries, "{method}: watching cost queries");
        assert!(!seen.is_empty(), "{method}: nothing shown");
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{method}: the query count went back");
        let (_, last_pixels, last_probabilities) = seen.last().unwrap();
        assert_eq!(last_pixels, &plain.adversarial, "{method}: the last image shown is not the result");
        match method {
            Method::HopSkipJump => assert!(last_probabilities.is_none(), "a label-only attack was shown scores"),
            _ => {
                let shown = last_probabilities.as_ref().expect("a score-based attack shows its scores");
                assert!(shown.iter().zip(&plain.probabilities).all(|(a, b)| (a - b).abs() < 1e-4), "{method}: {shown:?} vs {:?}", plain.probabilities);
            }
        }
    }
}
