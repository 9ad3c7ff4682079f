//! Work split over two threads, where each part reads none of the other's
//! results: the machines this runs on have two cores or more, and the
//! outputs do not depend on which thread computed what.

use ndarray::{Array2, ArrayViewMut2, Axis};

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

/// `fill(from, rows)` on the first half of `x`'s rows (from row 0) on a
/// second thread and on the rest (from the middle row) on this one: for
/// rows whose values depend on that row alone, the same as one pass.
pub fn fill_rows_on_two_threads<T: Send>(
    x: &mut Array2<T>,
    fill: impl Fn(usize, ArrayViewMut2<'_, T>) + Sync,
) {
    let middle = x.nrows() / 2;
    halves_on_two_threads(middle, x.view_mut().split_at(Axis(0), middle), fill);
}

/// `work(0, first)` on a second thread and `work(middle, rest)` on this
/// one, for the two halves of something cut at `middle` (rows `0..middle`
/// and `middle..`).
pub fn halves_on_two_threads<P: Send>(
    middle: usize,
    (first, rest): (P, P),
    work: impl Fn(usize, P) + Sync,
) {
    std::thread::scope(|s| {
        let first = s.spawn(|| work(0, first));
        work(middle, rest);
        joined(first);
    });
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

    /// Each half is filled from its own first row, whatever the height;
    /// every row once.
    #[test]
    fn both_halves_are_filled_from_their_own_first_row() {
        for n in [0, 1, 2, 5, 8] {
            let mut x = Array2::<usize>::zeros((n, 3));
            fill_rows_on_two_threads(&mut x, |from, mut rows| {
                for (i, mut row) in rows.rows_mut().into_iter().enumerate() {
                    row.iter_mut()
                        .enumerate()
                        .for_each(|(j, v)| *v += 10 * (from + i) + j);
                }
            });
            let want = Array2::from_shape_fn((n, 3), |(i, j)| 10 * i + j);
            assert_eq!(x, want, "{n} rows");
        }
    }
}
