//! Long computations that give way: in the browser the network runs in a worker whose calls are
//! single WebAssembly calls, which nothing outside can interrupt. Every long computation passes
//! [`checkpoint`] often (every read-back does, and the iterative attacks after every step); there
//! the hook the host installed ([`install`]) may let the host's own messages in (a cancellation
//! among them) and say that the call was cancelled, which ends it with
//! [`ComputeError::Cancelled`]. The host decides how often to give way (about once per frame of
//! work); natively no hook is installed and a checkpoint costs nothing.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use crate::gradients::ComputeError;

/// What a checkpoint asks the host: `None` to go on at once, or a future that resolves once the
/// host has let its messages in, to `true` if the call was cancelled meanwhile.
pub type Hook = Box<dyn Fn() -> Option<Pin<Box<dyn Future<Output = bool>>>>>;

/// What a host is shown of an iterative attack's walk as it goes: the step and the first
/// image's pixels at it (the frames `AttackOptions::record_every` keeps).
pub type FrameHook = Box<dyn Fn(usize, &[f32])>;

thread_local! {
    static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    static FRAMES: RefCell<Option<FrameHook>> = const { RefCell::new(None) };
}

/// Installs `hook` to be shown the frames of the attacks that follow (`None` removes it).
pub fn install_frames(hook: Option<FrameHook>) {
    FRAMES.with(|h| *h.borrow_mut() = hook);
}

/// Whether a host wants to see frames as they are made (reading one back costs a transfer).
pub fn wants_frames() -> bool {
    FRAMES.with(|h| h.borrow().is_some())
}

/// Shows the host a frame: step `step`, the first image's pixels.
pub fn show_frame(step: usize, pixels: &[f32]) {
    FRAMES.with(|h| {
        if let Some(hook) = h.borrow().as_ref() {
            hook(step, pixels);
        }
    });
}

/// Installs `hook` for the checkpoints that follow (`None` removes it). The host runs one call at
/// a time and installs the hook of the call it runs.
pub fn install(hook: Option<Hook>) {
    HOOK.with(|h| *h.borrow_mut() = hook);
}

/// Gives way to the host if its hook asks to; fails with [`ComputeError::Cancelled`] once the
/// call has been cancelled.
pub async fn checkpoint() -> Result<(), ComputeError> {
    let waiting = HOOK.with(|h| h.borrow().as_ref().and_then(|hook| hook()));
    let cancelled = match waiting {
        Some(wait) => wait.await,
        None => false,
    };
    if cancelled { Err(ComputeError::Cancelled) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn a_checkpoint_goes_on_without_a_hook_and_stops_once_the_hook_says_cancelled() {
        install(None);
        assert_eq!(futures_lite::future::block_on(checkpoint()), Ok(()));
        let asked = Rc::new(Cell::new(0));
        let seen = asked.clone();
        install(Some(Box::new(move || {
            seen.set(seen.get() + 1);
            // Gives way every second time; cancelled from the fourth question on.
            let n = seen.get();
            (n % 2 == 0).then(|| Box::pin(std::future::ready(n >= 4)) as Pin<Box<dyn Future<Output = bool>>>)
        })));
        let results: Vec<_> = (0..5).map(|_| futures_lite::future::block_on(checkpoint())).collect();
        assert_eq!(results, vec![Ok(()), Ok(()), Ok(()), Err(ComputeError::Cancelled), Ok(())]);
        assert_eq!(asked.get(), 5);
        install(None);
    }
}
