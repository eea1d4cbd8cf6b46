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
    for method in [Method::Bim, Method::Pgd, Method::PgdL2, Method::MiFgsm, Method::Apgd, Method::Deepfool, Method::Cw, Method::Jsma, Method::FewPixel, Method::Simba, Method::Square, Method::HopSkipJump] {
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
        // Cancelled at the second checkpoint: it stops there with the error, long before its end.
        let count = Rc::new(Cell::new(0));
        pace::install(Some(counting_hook(count.clone(), 2)));
        let cancelled = block_on(run(method, &model, &data.pixels, &labels, &options, &device()));
        pace::install(None);
        assert_eq!(cancelled.err(), Some(ComputeError::Cancelled), "{method}");
        assert_eq!(count.get(), 2, "{method}: went on after it was cancelled");
    }
}
