//! Threads pinned one per core, released together by spinning barriers.
//!
//! The calling thread is member 0 (pinned to the first core for the pool's life, its affinity
//! restored on drop), so that N cores run exactly N threads and a waiting member may spin without
//! taking a core from one that works. Members spin briefly, then yield: between sweeps they idle
//! without burning the machine.
//!
//! The only unsafe code of the CPU device is here: `sched_getaffinity` / `sched_setaffinity` on a
//! zeroed `cpu_set_t`, for the calling thread (pid 0), with the set's true size. Invariants: the set
//! is initialised (zeroed) before use and only bits below `CPU_SETSIZE` are touched, which
//! `libc::CPU_SET` / `CPU_ISSET` assert.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::Error;

/// A reusable barrier of a fixed number of threads: the last to arrive resets the count and
/// advances the generation, which releases the others.
pub struct SpinBarrier {
    members: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    pub fn new(members: usize) -> SpinBarrier {
        SpinBarrier { members, arrived: AtomicUsize::new(0), generation: AtomicUsize::new(0) }
    }

    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.members {
            // Reset before release: nobody can arrive for the next round before the release.
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if spins < 1 << 18 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Cores this process may run on, in order.
pub fn allowed_cores() -> Result<Vec<usize>, Error> {
    // SAFETY: see the module docs: a zeroed set of its own size, filled by the kernel.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(Error::Device(format!("sched_getaffinity failed: {}", std::io::Error::last_os_error())));
        }
        Ok((0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect())
    }
}

/// Pins the calling thread to the given cores.
pub fn pin_to(cores: &[usize]) -> Result<(), Error> {
    // SAFETY: see the module docs; `cores` come from `allowed_cores`, all below CPU_SETSIZE.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cores {
            libc::CPU_SET(c, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(Error::Device(format!("cannot pin a thread to cores {cores:?}: {}", std::io::Error::last_os_error())));
        }
    }
    Ok(())
}

/// Work handed to every member: it gets its own index and state.
pub type Job<S> = Arc<dyn Fn(usize, &mut S, &Barriers) + Send + Sync>;

/// The barriers a job may use: `middle` separates the two passes of a two-kernel sequence.
pub struct Barriers {
    pub start: SpinBarrier,
    pub middle: SpinBarrier,
    pub end: SpinBarrier,
}

struct Shared<S> {
    barriers: Barriers,
    job: Mutex<Option<Job<S>>>,
}

/// N pinned members, each owning one `S` that only it touches (so memory it allocates is placed
/// by its own first touch).
pub struct Pool<S: Send + 'static> {
    shared: Arc<Shared<S>>,
    workers: Vec<JoinHandle<()>>,
    own: S,
    cores: Vec<usize>,
    caller_cores: Vec<usize>,
}

impl<S: Default + Send + 'static> Pool<S> {
    pub fn new(cores: Vec<usize>) -> Result<Pool<S>, Error> {
        let n = cores.len();
        let shared = Arc::new(Shared {
            barriers: Barriers { start: SpinBarrier::new(n), middle: SpinBarrier::new(n), end: SpinBarrier::new(n) },
            job: Mutex::new(None),
        });
        let caller_cores = allowed_cores()?;
        pin_to(&cores[..1])?;
        let mut workers = Vec::new();
        for (index, &core) in cores.iter().enumerate().skip(1) {
            let shared = Arc::clone(&shared);
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            let handle = std::thread::Builder::new()
                .name(format!("fusion-{index}"))
                .spawn(move || {
                    let pinned = pin_to(&[core]);
                    let ok = pinned.is_ok();
                    let _ = ready_tx.send(pinned);
                    if !ok {
                        return;
                    }
                    let mut state = S::default();
                    loop {
                        shared.barriers.start.wait();
                        let job = shared.job.lock().expect("job lock").clone();
                        let Some(job) = job else { return };
                        job(index, &mut state, &shared.barriers);
                        shared.barriers.end.wait();
                    }
                })
                .map_err(|e| Error::Device(format!("cannot start a thread: {e}")))?;
            ready_rx.recv().map_err(|_| Error::Device("a pinned thread died at start".into()))??;
            workers.push(handle);
        }
        Ok(Pool { shared, workers, own: S::default(), cores, caller_cores })
    }

    pub fn cores(&self) -> &[usize] {
        &self.cores
    }

    /// Runs `job` on every member at once, the caller being member 0, and returns when all are
    /// done. `between` runs on the caller just before the release and just after the last member
    /// finished: it is where a timer reads the clock.
    pub fn run(&mut self, job: Job<S>, mut between: impl FnMut()) {
        *self.shared.job.lock().expect("job lock") = Some(Arc::clone(&job));
        between();
        self.shared.barriers.start.wait();
        job(0, &mut self.own, &self.shared.barriers);
        self.shared.barriers.end.wait();
        between();
    }
}

impl<S: Send + 'static> Drop for Pool<S> {
    fn drop(&mut self) {
        *self.shared.job.lock().expect("job lock") = None;
        if !self.workers.is_empty() {
            self.shared.barriers.start.wait();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        let _ = pin_to(&self.caller_cores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Count(u64);

    #[test]
    fn every_member_runs_every_job_and_the_barrier_orders_passes() {
        let cores = allowed_cores().unwrap();
        let cores: Vec<usize> = cores.into_iter().cycle().take(3).collect();
        let mut pool: Pool<Count> = Pool::new(cores).unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let after_middle = Arc::new(AtomicUsize::new(0));
        for _ in 0..200 {
            let (s, m) = (Arc::clone(&seen), Arc::clone(&after_middle));
            pool.run(
                Arc::new(move |_, st: &mut Count, b: &Barriers| {
                    st.0 += 1;
                    s.fetch_add(1, Ordering::SeqCst);
                    b.middle.wait();
                    // Every member's first pass is done before any second pass starts.
                    m.fetch_add(usize::from(s.load(Ordering::SeqCst) % 3 == 0), Ordering::SeqCst);
                }),
                || {},
            );
        }
        assert_eq!(seen.load(Ordering::SeqCst), 600);
        assert_eq!(after_middle.load(Ordering::SeqCst), 600);
        assert_eq!(pool.own.0, 200);
    }
}
