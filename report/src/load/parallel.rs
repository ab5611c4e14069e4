//! Reading shards on every core with results that do not depend on the threads.
//!
//! Each task (one shard) is folded on its own into a value of its own, and the values come back
//! in the tasks' order, whatever thread ran which task when; the caller combines them in that
//! order. So every floating-point sum is formed in the same order on one core or sixteen, and
//! the report's bytes do not depend on scheduling.
//!
//! Threads take the next task from a shared counter rather than a fixed share each: on a shared
//! machine one core is often slowed by another process, and a fixed split would leave the whole
//! read waiting on it. Tasks are taken largest first (by the manifest's byte size), which keeps
//! the last task short.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `run(task)` for every task, on up to `threads` threads (the caller's included), returned in
/// the order of `tasks`. `size` orders the work (largest first); it does not change the result.
pub fn map_in_order<T: Sync, R: Send>(
    tasks: &[T],
    threads: usize,
    size: impl Fn(&T) -> u64,
    run: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    // Stable, so equal sizes keep the tasks' order.
    order.sort_by_key(|&i| std::cmp::Reverse(size(&tasks[i])));
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(tasks.len()));
    let work = || {
        let mut mine = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = order.get(k) else { break };
            mine.push((i, run(&tasks[i])));
        }
        done.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
    };
    let threads = threads.clamp(1, tasks.len().max(1));
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_unstable_by_key(|&(i, _)| i);
    debug_assert!(done.iter().enumerate().all(|(k, &(i, _))| k == i));
    done.into_iter().map(|(_, r)| r).collect()
}

/// The threads to read with: one per core the process may use.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_task_order_whatever_the_threads() {
        let tasks: Vec<u64> = (0..100).map(|i| (i * 37) % 11).collect();
        let expected: Vec<u64> = tasks.iter().map(|t| t * 2).collect();
        for threads in [1, 2, 3, 8, 200] {
            assert_eq!(
                map_in_order(&tasks, threads, |&t| t, |&t| t * 2),
                expected,
                "{threads} threads"
            );
        }
        assert!(map_in_order(&[] as &[u64], 4, |&t| t, |&t| t).is_empty());
    }
}
