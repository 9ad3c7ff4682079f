//! Work split over two threads, where each part reads none of the other's
//! results: the machines this runs on have two cores or more, and the
//! outputs do not depend on which thread computed what.

/// What a scoped thread returned, or its panic, carried on.
pub fn joined<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `f` of each of `items`, in their order, computed on this thread and one
/// more: the next item goes to whichever thread is free. For items whose
/// results do not depend on each other, the same as computing them in turn.
pub fn map_on_two_threads<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break done };
            done.push((i, f(item)));
        }
    };
    let (mut mine, theirs) = std::thread::scope(|s| {
        let theirs = s.spawn(work);
        let mine = work();
        (mine, joined(theirs))
    });
    mine.extend(theirs);
    mine.sort_unstable_by_key(|&(i, _)| i);
    mine.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in the items' order, whichever thread computed
    /// each: every item takes a while, so both threads take turns.
    #[test]
    fn two_threads_give_the_results_in_the_items_order() {
        let items: Vec<u64> = (0..40).collect();
        let got = map_on_two_threads(&items, |&i| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            i * i
        });
        assert_eq!(got, items.iter().map(|i| i * i).collect::<Vec<_>>());
        assert!(map_on_two_threads(&[] as &[u64], |&i| i).is_empty());
    }
}
