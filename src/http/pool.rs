//! Workers and the poller: who serves a connection, and who watches it while it is quiet.
//!
//! - **Workers** take ready connections from a queue and serve them (`conn::serve`). The pool
//!   starts empty, grows by one whenever a connection waits and no worker is free, up to
//!   `MAX_WORKERS`, and a free worker above the resting size exits after `WORKER_IDLE_EXIT`.
//! - **The poller**, one thread started on first use, holds every quiet connection (idle
//!   keep-alive, or a head that stalled) in non-blocking mode, sweeps them with a one-byte
//!   `peek`, and queues those with bytes for a worker. It closes those past their deadline.
//!
//! So a thread is spent on a connection only while it has a request to answer, plus at most
//! `MAX_LINGERING` workers waiting briefly for a busy client's next request; idle connections
//! can never take the workers a waiting client needs.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::azure::router::Router;
use crate::http::conn::{self, Check, Conn, Context, Next};
use crate::http::limits::{
    MAX_WORKERS, POLL_MAX_PAUSE, POLL_MAX_SHARE, WORKER_IDLE_EXIT, WORKER_STACK_BYTES,
};

/// The pool: clone-free handle shared by the accept loop, the workers and the poller.
#[derive(Debug)]
pub struct Pool {
    ctx: Context,
    ready: Mutex<Ready>,
    work: Condvar,
    parked: Mutex<Parked>,
    parked_changed: Condvar,
}

#[derive(Debug, Default)]
struct Ready {
    queue: VecDeque<Conn>,
    workers: usize,
    free: usize,
}

#[derive(Debug, Default)]
struct Parked {
    /// Connections handed over since the poller's last sweep.
    inbox: Vec<Conn>,
    poller_started: bool,
}

impl Pool {
    /// A pool that serves with `router`; no thread starts until there is work.
    pub fn new(router: Router, log_requests: bool) -> Arc<Pool> {
        Arc::new(Pool {
            ctx: Context {
                router,
                lingering: AtomicUsize::new(0),
                body_waiting: AtomicUsize::new(0),
                log_requests,
            },
            ready: Mutex::new(Ready::default()),
            work: Condvar::new(),
            parked: Mutex::new(Parked::default()),
            parked_changed: Condvar::new(),
        })
    }

    /// Queues a connection that has bytes to read, starting a worker if none is free.
    pub fn submit(self: &Arc<Self>, conn: Conn) {
        let mut ready = lock(&self.ready);
        ready.queue.push_back(conn);
        if ready.queue.len() > ready.free && ready.workers < MAX_WORKERS {
            self.spawn_worker(&mut ready);
        }
        drop(ready);
        self.work.notify_one();
    }

    fn spawn_worker(self: &Arc<Self>, ready: &mut Ready) {
        let pool = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("worker".into())
            .stack_size(WORKER_STACK_BYTES)
            .spawn(move || pool.work());
        match spawned {
            Ok(_) => ready.workers += 1,
            // Out of threads: queued connections wait for a running worker instead.
            Err(e) => eprintln!("handler: cannot start a worker thread: {e}"),
        }
    }

    /// Hands a quiet connection to the poller.
    fn park(self: &Arc<Self>, mut conn: Conn) {
        if conn.park().is_err() {
            return;
        }
        let mut parked = lock(&self.parked);
        parked.inbox.push(conn);
        if !parked.poller_started {
            let pool = Arc::clone(self);
            match thread::Builder::new()
                .name("poller".into())
                .spawn(move || pool.poll())
            {
                Ok(_) => parked.poller_started = true,
                Err(e) => {
                    // No poller: drop what was parked rather than leave it unwatched.
                    eprintln!("handler: cannot start the poller thread: {e}");
                    parked.inbox.clear();
                }
            }
        }
        drop(parked);
        self.parked_changed.notify_one();
    }

    /// A worker: serve ready connections; exit after a quiet spell if above the resting size.
    fn work(self: Arc<Self>) {
        loop {
            let Some(conn) = self.next_ready() else {
                return;
            };
            // A function's panic is already a 500 (`app::run_guarded`); this catches a panic in
            // the server's own code, which closes that connection and leaves the worker and the
            // pool's counts intact.
            match catch_unwind(AssertUnwindSafe(|| conn::serve(conn, &self.ctx))) {
                Ok(Next::Park(conn)) => self.park(conn),
                Ok(Next::Close) | Err(_) => {}
            }
        }
    }

    fn next_ready(&self) -> Option<Conn> {
        let mut ready = lock(&self.ready);
        loop {
            if let Some(conn) = ready.queue.pop_front() {
                return Some(conn);
            }
            ready.free += 1;
            let (guard, timeout) = self
                .work
                .wait_timeout(ready, WORKER_IDLE_EXIT)
                .unwrap_or_else(PoisonError::into_inner);
            ready = guard;
            ready.free -= 1;
            if timeout.timed_out() && ready.queue.is_empty() && ready.workers > resting_workers() {
                ready.workers -= 1;
                return None;
            }
        }
    }

    /// The poller: sweep quiet connections, queue the ready, drop the expired. The pause
    /// between sweeps doubles while nothing happens, up to `POLL_MAX_PAUSE` (longer only when a
    /// sweep is so long that it would take more than `POLL_MAX_SHARE` of a core), and is zero
    /// while connections keep becoming ready; with nothing parked the poller sleeps until a park.
    fn poll(self: Arc<Self>) {
        let mut watched: Vec<Conn> = Vec::new();
        let mut pause = Duration::ZERO;
        loop {
            {
                let mut parked = lock(&self.parked);
                if watched.is_empty() && parked.inbox.is_empty() {
                    parked = self
                        .parked_changed
                        .wait(parked)
                        .unwrap_or_else(PoisonError::into_inner);
                } else if !pause.is_zero() && parked.inbox.is_empty() {
                    parked = self
                        .parked_changed
                        .wait_timeout(parked, pause)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                watched.append(&mut parked.inbox);
            }
            let now = Instant::now();
            let mut woke = 0;
            let mut i = 0;
            while i < watched.len() {
                match watched[i].check(now) {
                    Check::Waiting => i += 1,
                    Check::Expired => drop(watched.swap_remove(i)),
                    Check::Ready => {
                        let mut conn = watched.swap_remove(i);
                        if conn.unpark().is_ok() {
                            self.submit(conn);
                            woke += 1;
                        }
                    }
                }
            }
            pause = if woke > 0 {
                Duration::ZERO
            } else {
                let sweep = now.elapsed();
                let longest = POLL_MAX_PAUSE.max(sweep * (100 - POLL_MAX_SHARE) / POLL_MAX_SHARE);
                (pause * 2 + Duration::from_micros(50)).min(longest)
            };
        }
    }
}

/// Workers kept at rest: one per core, at least two. Read the first time a worker could exit,
/// not at start-up or when a worker starts: finding the core count reads the CPU quota from
/// files, which measurably slowed the first answer.
fn resting_workers() -> usize {
    static RESTING: OnceLock<usize> = OnceLock::new();
    *RESTING.get_or_init(|| {
        thread::available_parallelism()
            .map_or(2, |n| n.get().max(2))
            .min(MAX_WORKERS)
    })
}

/// Locks, recovering from poisoning: the state is only counters and queues, left consistent at
/// every unlock, and functions run outside every lock, so a panic cannot leave it half-changed.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
