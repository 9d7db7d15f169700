//! Counted shares of a bound, each given back when dropped: the server's connection slots and
//! the bytes of answers waiting for slow clients (`Slot`), a worker's place among those lingering
//! or waiting for a body (`Permit`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A share of a bounded count, released on drop: one of the server's `MAX_CONNECTIONS`
/// connection slots, or bytes of `MAX_UNSENT_BYTES`.
#[derive(Debug)]
pub struct Slot {
    count: Arc<AtomicUsize>,
    amount: usize,
}

impl Slot {
    /// Takes a slot if fewer than `max` are taken.
    pub fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        Slot::take_n(count, 1, max)
    }

    /// Takes `amount` if the count stays at most `max`.
    pub(super) fn take_n(count: &Arc<AtomicUsize>, amount: usize, max: usize) -> Option<Slot> {
        try_add(count, amount, max).then(|| Slot {
            count: Arc::clone(count),
            amount,
        })
    }
}

/// Adds `amount` to `count` if the total stays at most `max`: whether it did.
fn try_add(count: &AtomicUsize, amount: usize, max: usize) -> bool {
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            n.checked_add(amount).filter(|&total| total <= max)
        })
        .is_ok()
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.count.fetch_sub(self.amount, Ordering::AcqRel);
    }
}

/// One of a bounded number of permits (to linger on an idle connection, or to wait for the rest
/// of a body), released on drop.
pub(super) struct Permit<'a>(&'a AtomicUsize);

impl<'a> Permit<'a> {
    pub(super) fn take(count: &'a AtomicUsize, max: usize) -> Option<Self> {
        // Lazily: a permit made and dropped would give back what was never taken.
        try_add(count, 1, max).then(|| Permit(count))
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_stay_within_their_bound_and_are_released_on_drop() {
        let count = Arc::new(AtomicUsize::new(0));
        let a = Slot::take_n(&count, 60, 100).unwrap();
        assert!(Slot::take_n(&count, 41, 100).is_none(), "past the bound");
        let b = Slot::take_n(&count, 40, 100).unwrap();
        assert!(Slot::take(&count, 100).is_none());
        drop(a);
        assert_eq!(count.load(Ordering::Acquire), 40);
        assert!(
            Slot::take_n(&count, usize::MAX, usize::MAX).is_none(),
            "no overflow"
        );
        drop(b);
        assert_eq!(count.load(Ordering::Acquire), 0);
    }
}
