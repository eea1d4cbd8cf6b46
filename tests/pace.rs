//! Long computations give way and stop when cancelled (src/pace.rs): every attack passes
//! checkpoints as it works, and a hook that says "cancelled" ends it with an error, while one
//! that only gives way changes nothing. On the committed model and real MNIST test digits.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use adversarial_digits::attacks::{AttackOptions, Method, block_on, run};
use adversarial_digits::gradients::ComputeError;
use adversarial_digits::pace;
use common::*;

/// A hook that gives way at every checkpoint, counts them, and says "cancelled" from `cancel_at` on.
fn counting_hook(count: Rc<Cell<usize>>, cancel_at: usize) -> pace::Hook {
    Box::new(move || {
        count.set(count.get() + 1);
        let cancelled = count.get() >= cancel_at;
        Some(Box::pin(std::future::ready(cancelled)) as Pin<Box<dyn Future<Output = bool>>>)
    })
}

#[test]
fn every_long_attack_passes_checkpoints_and_stops_when_cancelled() {
    let model = standard_model();
    let data = test_digits(1);
    let labels = labels(&data);
    // Every method but FGSM, one step with nothing to give way between.
    for method in Method::ALL.into_iter().filter(|&m| m != Method::Fgsm) {
        let options = AttackOptions { queries: 200, ..AttackOptions::for_method(method) };
        // Giving way changes nothing.
        pace::install(None);
        let plain = block_on(run(method, &model, &data.pixels, &labels, &options, &device())).unwrap();
        let count = Rc::new(Cell::new(0));
        pace::install(Some(counting_hook(count.clone(), usize::MAX)));
        let paced = block_on(run(method, &model, &data.pixels, &labels, &options, &device())).unwrap();
        let checkpoints = count.get();
        assert_eq!(plain[0].adversarial, paced[0].adversarial, "{method}: giving way changed the result");
        assert!(checkpoints >= 2, "{method}: {checkpoints} checkpoints");
        // No long stretch without one: at least one checkpoint per step (the page's worker gives
        // way about once a frame, and C&W's steps are several a frame).
        if matches!(method, Method::Bim | Method::Pgd | Method::PgdL2 | Method::MiFgsm | Method::Apgd | Method::Cw) {
            let steps = options.steps * if method == Method::Cw { options.cw.search_steps } else { 1 };
            assert!(checkpoints >= steps, "{method}: {checkpoints} checkpoints for {steps} steps");
        }
        // Cancelled at the second checkpoint: it stops there with the error, long before its end.
        let count = Rc::new(Cell::new(0));
        pace::install(Some(counting_hook(count.clone(), 2)));
        let cancelled = block_on(run(method, &model, &data.pixels, &labels, &options, &device()));
        pace::install(None);
        assert_eq!(cancelled.err(), Some(ComputeError::Cancelled), "{method}");
        assert_eq!(count.get(), 2, "{method}: went on after it was cancelled");
    }
}

#[test]
fn the_frames_an_attack_keeps_are_shown_as_they_are_made() {
    // The page's replay starts before the attack ends: every frame `record_every` keeps is
    // shown to the host at its step, the first image's pixels, the same as the result's frames.
    let model = standard_model();
    let data = test_digits(2);
    let labels = labels(&data);
    for method in [Method::Bim, Method::Pgd, Method::PgdL2, Method::MiFgsm, Method::Apgd] {
        let options = AttackOptions { record_every: 4, steps: 20, ..AttackOptions::for_method(method) };
        let shown: Rc<std::cell::RefCell<Vec<(usize, Vec<f32>)>>> = Rc::default();
        let sink = shown.clone();
        pace::install_frames(Some(Box::new(move |step, pixels| sink.borrow_mut().push((step, pixels.to_vec())))));
        let results = block_on(run(method, &model, &data.pixels, &labels, &options, &device())).unwrap();
        pace::install_frames(None);
        let shown = shown.borrow();
        assert_eq!(shown.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![4, 8, 12, 16], "{method}");
        assert_eq!(shown.len(), results[0].frames.len(), "{method}");
        for ((_, pixels), frame) in shown.iter().zip(&results[0].frames) {
            assert!(pixels.iter().zip(frame).all(|(a, b)| (a - b).abs() < 1e-6), "{method}: a frame shown differs from the one kept");
        }
    }
}
