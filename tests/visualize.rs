//! The visualisations' properties, on the committed model and real MNIST test digits.

mod common;

use adversarial_digits::attacks::block_on;
use adversarial_digits::inference::argmax;
use adversarial_digits::model::{CLASSES, DigitNetConfig, IMAGE_PIXELS, images_tensor};
use adversarial_digits::visualize::class_visualization::{ClassVisualizationOptions, visualize_classes_from_noise};
use adversarial_digits::visualize::features::{feature_maps, first_layer_filters};
use adversarial_digits::visualize::fooling::{FoolingOptions, fooling_images, starting_noise};
use adversarial_digits::visualize::saliency::{SaliencyMethod, SaliencyOptions, saliency};
use adversarial_digits::visualize::class_score_gradient;
use burn::prelude::*;
use common::*;

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn logits(model: &adversarial_digits::model::DigitNet, pixels: &[f32]) -> Vec<f32> {
    values(model.forward(images_tensor(pixels, &device())))
}

#[test]
fn every_saliency_method_gives_one_finite_map_per_image() {
    let model = standard_model();
    let data = test_digits(3);
    let classes = labels(&data);
    for method in SaliencyMethod::ALL {
        let map = values(saliency(method, &model, images_tensor(&data.pixels, &device()), &classes, &SaliencyOptions::default()));
        assert_eq!(map.len(), 3 * IMAGE_PIXELS, "{method:?}");
        assert!(map.iter().all(|v| v.is_finite()), "{method:?}");
        assert!(map.iter().any(|v| *v != 0.0), "{method:?} is all zeros");
        assert_eq!(SaliencyMethod::parse(method.name()), Some(method));
    }
}

#[test]
fn class_score_gradient_is_the_directional_derivative() {
    let model = standard_model();
    let data = test_digits(4);
    let mut rng = adversarial_digits::rng::SplitMix64::new(5);
    for i in 0..4 {
        let x: Vec<f32> = data.image(i).iter().map(|v| v + rng.uniform(-0.03, 0.03)).collect();
        let class = data.labels[i] as usize;
        let g = values(class_score_gradient(&model, images_tensor(&x, &device()), &[class]).0);
        let norm = g.iter().map(|v| v * v).sum::<f32>().sqrt();
        let h = 1e-3;
        let along = |s: f32| -> Vec<f32> { x.iter().zip(&g).map(|(x, g)| x + s * h * g / norm).collect() };
        let quotient = (logits(&model, &along(1.0))[class] - logits(&model, &along(-1.0))[class]) / (2.0 * h);
        assert!((quotient - norm).abs() <= 0.05 * norm, "digit {i}: difference quotient {quotient}, gradient norm {norm}");
    }
}

#[test]
fn integrated_gradients_are_complete() {
    // Sundararajan et al.'s completeness: attributions sum to score(x) - score(black).
    let model = standard_model();
    let data = test_digits(8);
    let black = vec![0.0; IMAGE_PIXELS];
    let score_black = logits(&model, &black);
    for i in 0..8 {
        let x = data.image(i);
        for class in [data.labels[i] as usize, (data.labels[i] as usize + 5) % CLASSES] {
            let map = values(saliency(SaliencyMethod::IntegratedGradients, &model, images_tensor(x, &device()), &[class], &SaliencyOptions::default()));
            let total: f32 = map.iter().sum();
            let difference = logits(&model, x)[class] - score_black[class];
            assert!(
                (total - difference).abs() <= 0.05 * difference.abs().max(1.0),
                "digit {i}, class {class}: attributions sum to {total}, score difference {difference}"
            );
        }
    }
}

#[test]
fn gradient_times_input_is_zero_on_the_black_background() {
    let model = standard_model();
    let data = test_digits(1);
    let map = values(saliency(SaliencyMethod::GradientTimesInput, &model, images_tensor(data.image(0), &device()), &[7], &SaliencyOptions::default()));
    for (p, a) in data.image(0).iter().zip(&map) {
        if *p == 0.0 {
            assert_eq!(*a, 0.0);
        }
    }
}

#[test]
fn smoothgrad_is_deterministic_for_a_seed() {
    let model = standard_model();
    let data = test_digits(1);
    let run = |seed| {
        let options = SaliencyOptions { seed, samples: 8, ..SaliencyOptions::default() };
        values(saliency(SaliencyMethod::SmoothGrad, &model, images_tensor(data.image(0), &device()), &[7], &options))
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn class_visualisations_reach_their_class_and_depend_on_seed_and_model() {
    let model = standard_model();
    let targets: Vec<usize> = (0..CLASSES).collect();
    let options = ClassVisualizationOptions { seed: 3, ..ClassVisualizationOptions::default() };
    let images = values(visualize_classes_from_noise(&model, &targets, &options, &device()));
    assert!(images.iter().all(|v| (0.0..=1.0).contains(v)));
    for (class, image) in images.chunks(IMAGE_PIXELS).enumerate() {
        assert_eq!(argmax(&logits(&model, image)), class, "the visualisation of {class} is read as something else");
    }
    let again = values(visualize_classes_from_noise(&model, &targets, &options, &device()));
    assert_eq!(images, again, "same seed, same model: same images");
    let other_seed = values(visualize_classes_from_noise(&model, &targets, &ClassVisualizationOptions { seed: 4, ..options.clone() }, &device()));
    assert_ne!(images, other_seed);
    let other_model = DigitNetConfig::new().init(&device());
    let other = values(visualize_classes_from_noise(&other_model, &targets, &options, &device()));
    assert_ne!(images, other, "another model must give other images");
}

#[test]
fn fooling_images_reach_99_percent_for_every_class_and_stay_noise() {
    let model = standard_model();
    let targets: Vec<usize> = (0..CLASSES).collect();
    let options = FoolingOptions { seed: 9, ..FoolingOptions::default() };
    let fooled = block_on(fooling_images(&model, &targets, &options, &device())).unwrap();
    let start = starting_noise(CLASSES, options.seed);
    for class in 0..CLASSES {
        let p = &fooled.probabilities[class * CLASSES..(class + 1) * CLASSES];
        assert!(fooled.success[class] && p[class] >= 0.99, "class {class}: {p:?}");
        // Still the noise it started from: on average a pixel moved by less than a fifth of the
        // range, while the starting noise spreads over all of it.
        let image = &fooled.pixels[class * IMAGE_PIXELS..(class + 1) * IMAGE_PIXELS];
        let moved = image.iter().zip(&start[class * IMAGE_PIXELS..]).map(|(a, b)| (a - b).abs()).sum::<f32>() / IMAGE_PIXELS as f32;
        assert!(moved < 0.2, "class {class}: pixels moved by {moved} on average");
        // And the probabilities returned are the network's for the returned image.
        let again = adversarial_digits::inference::probabilities(&model, image, &device());
        assert!(again.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-4));
    }
    assert!(fooled.steps <= options.steps);
    assert!(block_on(fooling_images(&model, &[10], &options, &device())).is_err());
}

#[test]
fn feature_maps_have_the_layer_shapes_and_end_in_the_logits() {
    let model = standard_model();
    let data = test_digits(1);
    let maps = block_on(feature_maps(&model, data.image(0), &device())).unwrap();
    let shapes: Vec<_> = maps.iter().map(|m| (m.name, m.channels, m.height, m.width, m.values.len())).collect();
    assert_eq!(
        shapes,
        [("conv1", 16, 28, 28, 16 * 784), ("conv2", 32, 14, 14, 32 * 196), ("hidden", 128, 1, 1, 128), ("logits", 10, 1, 1, 10)]
    );
    assert!(maps[..3].iter().all(|m| m.values.iter().all(|v| *v >= 0.0)), "ReLU outputs are non-negative");
    let expected = logits(&model, data.image(0));
    assert!(maps[3].values.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-5));
    let filters = block_on(first_layer_filters(&model)).unwrap();
    assert_eq!((filters.channels, filters.height, filters.width), (16, 5, 5));
    assert_eq!(filters.values, values(model.block1.conv.weight.val()));
}

#[test]
fn evolution_finds_fooling_images_for_every_class_from_the_scores_alone_within_its_budget() {
    use adversarial_digits::attacks::ScoreOracle;
    use adversarial_digits::visualize::evolution::{EvolutionOptions, evolve_fooling_images};
    let targets: Vec<usize> = (0..CLASSES).collect();
    let options = EvolutionOptions { seed: 9, ..EvolutionOptions::default() };
    // On the standard network (the adversarially trained one resists: README, "Without the gradient").
    let (name, model) = ("standard", standard_model());
    // The evolution gets the network's probabilities through a closure, never the network.
    let mut oracle = ScoreOracle::of_model(&model, &device());
    let evolved = block_on(evolve_fooling_images(&mut oracle, &targets, &options)).unwrap();
    let mut sorted = evolved.queries.clone();
    sorted.sort();
    println!("evolution on {name}: queries per class {:?}, median {}, most {}", evolved.queries, sorted[CLASSES / 2], sorted[CLASSES - 1]);
    assert_eq!(oracle.queries(), evolved.queries.iter().sum::<usize>());
    for class in 0..CLASSES {
        let p = &evolved.probabilities[class * CLASSES..(class + 1) * CLASSES];
        assert!(evolved.success[class] && p[class] >= 0.99, "{name}, class {class}: {p:?} after {} queries", evolved.queries[class]);
        assert!(evolved.queries[class] <= options.queries);
        // The probabilities returned are the network's for the returned image.
        let image = &evolved.pixels[class * IMAGE_PIXELS..(class + 1) * IMAGE_PIXELS];
        let again = adversarial_digits::inference::probabilities(&model, image, &device());
        assert!(again.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-4));
    }
    // Seeded: the same seed evolves the same images.
    let mut oracle = ScoreOracle::of_model(&model, &device());
    let again = block_on(evolve_fooling_images(&mut oracle, &targets[..2], &options)).unwrap();
    assert_eq!(again.pixels[..2 * IMAGE_PIXELS], evolved.pixels[..2 * IMAGE_PIXELS]);
}
