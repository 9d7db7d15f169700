//! Who serves a connection: workers, and one sweeper.
//!
//! - **Workers** take jobs from a queue: a connection with bytes to read (a new one, one the
//!   sweeper hands over because it must wait for a body or drain a refusal, or one a worker
//!   passes on, its client still sending, while jobs wait with every worker busy), served blocking
//!   (`conn::serve` as `Role::Worker`). The pool starts empty, grows by one whenever a job waits
//!   and no worker is free, up to `MAX_WORKERS`, and a free worker above the resting size exits
//!   after `WORKER_IDLE_EXIT`. After a response a worker may linger for the same client's next
//!   request (see `Context::may_linger`); otherwise it parks the connection.
//! - **The sweeper**, one worker at a time, holds every parked connection in non-blocking mode
//!   and reads them in rounds, serving whatever request has arrived itself, inline: no hand-off,
//!   no thread woken. A busy keep-alive connection therefore costs the read that finds its
//!   request and the write of the answer, and no context switch; the price of having no
//!   readiness API in std (no epoll) is the reads of connections that had nothing yet. Idle
//!   connections turn cold after `HOT_FOR` and are read only every `POLL_MAX_PAUSE`
//!   (`POLL_BUSY_PAUSE` beside busy ones), so they cost next to nothing while busy ones are
//!   swept back to back. Requests that take longer
//!   than `INLINE_MAX_COST` (the least of their last `INLINE_COST_SAMPLES`) go to workers
//!   instead (one per round stays inline), so a function that computes runs on every core.
//! - **The watchdog** relieves a sweeper stuck in one request: past `SWEEP_STALL` waiting (on
//!   I/O, a lock, a slow client) or `SWEEP_STALL_RUNNING` computing, another worker becomes the
//!   sweeper, and the stuck one becomes a worker once its request is done. The sweeper leaves
//!   its connections behind a mutex while it runs a request, so relief can take them; nothing
//!   else ever takes that mutex, so it is never contended on the way.
//!
//! So no thread waits on an idle client except at most `MAX_LINGERING` lingering workers, and
//! idle connections can never take the workers a waiting client needs.
//!
//! # In detail
//!
//! A connection with bytes waiting (a new one) goes to a **worker**, which serves it blocking.
//! After answering, the worker may **linger**: wait for the same client's next request for `LINGER`
//! (a minute, as long as the host keeps an idle pooled connection), so it is answered the moment it
//! comes, however late, with no CPU spent meanwhile. Up to `MAX_LINGERING` (32) may, and each keeps
//! its place while it serves what came: a thread per connection for the host's pool at ordinary
//! loads, about 16 KiB each. It never waits past the connection's idle deadline, and looks up every
//! `LINGER_CHECK`: while jobs wait with all `MAX_WORKERS` busy, it parks the connection and takes
//! one, so quiet connections never keep threads from work. Once the cores are busy a wake-up per
//! request costs more than sweeping, so a worker stops lingering when the sweeper is busy (it
//! served requests two rounds in a row), or when more workers linger than there are cores and its
//! client spoke again at once `QUICK_WAITS` times in a row (at a pace of one request per
//! `POLL_SPIN` per core). Then, or once quiet, it **parks** the connection: non-blocking, handed to
//! the sweeper, costing only its socket. A worker waits `HEAD_LINGER` in all for the rest of a
//! head, then parks it.
//!
//! The **sweeper** (one worker at a time) reads parked connections in rounds and serves whatever
//! request has arrived itself, inline: no hand-off, no thread woken. Its lists stay in the order of
//! the last answer, so requests are served in about the order they were sent. The server's threads
//! run with a 1 µs timer slack (`TIMER_SLACK_NS`, set by the main thread before any worker starts),
//! so the sweeper's pauses end on time instead of up to 50 µs late. Under load a request costs the
//! read that finds it, one write, and no context switch; without a readiness API in std (no epoll),
//! the price is the reads of connections that had nothing yet (0.1 to 0.3 per request under `wrk`).
//! Connections with no request for `HOT_FOR` turn cold and are read once per `POLL_MAX_PAUSE`
//! (`POLL_BUSY_PAUSE` while the sweeper serves busy ones), so idle ones cost next to nothing.
//! Rounds go back to back while they find requests, and for `POLL_SPIN` (50 µs, yielding the core
//! between rounds) after the last that did:
//! a client waiting for each answer speaks again within tens of µs. Then the pause doubles up to
//! `POLL_MAX_PAUSE` (stretched when reading many idle connections would cost more than
//! `POLL_MAX_SHARE` of a core). A request goes to a worker instead when so few connections are busy
//! that each can have a lingering worker, unless the client is quick (parked as such, or found
//! within `POLL_SPIN` of serving), and, all but one per round, while handlers take longer than
//! `INLINE_MAX_COST` (a function that computes: they then run on every core). So under load the
//! sweeper serves every busy connection from three on (two cores), and at ordinary loads each of up
//! to 32 has a thread waiting on it (a 33rd is swept, its requests noticed after a pause). Whatever
//! would make the sweeper wait on a client (a body still arriving, `100-continue`) is handed to a
//! worker before any of the request's bytes are used; a refusal's answer it writes without waiting,
//! and the connection drains on the sweeper. No write waits on a client for long: a worker's for at
//! most `WRITE_STALL`, the sweeper's not at all. Answers a client does not take wait with its
//! connection, which is parked and read no more until the sweeper has written them (or, past
//! `MAX_UNSENT_BYTES`, are written at once by the thread, waiting on the client, by at most
//! `MAX_WRITE_WAITING` threads; past them the connection closes). A refused
//! connection is parked too, its write side shut: the sweeper reads away what the client still
//! sends (for `REFUSAL_DRAIN_TIME` at most), so that the close does not reset the answer.
//!
//! The **watchdog** looks at the sweeper while it serves. Past `SWEEP_STALL` waiting inside one
//! request (its `/proc` state is sleeping: I/O, a lock, a slow client), or `SWEEP_STALL_RUNNING`
//! computing, the next generation's sweeper takes over (a job at the front of the queue) and the
//! stuck one becomes a worker when its request ends. The swept set sits behind a mutex that only
//! the sweeper takes on the way (relief is the only other taker), so the hot path takes no
//! contended lock and wakes no one.
//!
//! Deadlines: `HEAD_TIMEOUT` for a head (from `accept` for the first), `BODY_TIMEOUT` for a body
//! and `BODY_READ_TIMEOUT` per read of it, `IDLE_TIMEOUT` between requests (80 s, longer than the
//! host's pool keeps an idle connection), `WRITE_TIMEOUT` for answers a client is slow to take. Past
//! `MAX_CONNECTIONS` (or the open-file limit less `FD_RESERVE`) a new connection gets `503` and
//! `Connection: close`. At most `MAX_BODY_WAITING` workers wait for bodies (503 past it),
//! `MAX_LINGERING` linger, `MAX_WRITE_WAITING` write answers that cannot wait, and none waits
//! otherwise on a client that does not read, so idle and slow clients never hold the workers a
//! waiting client needs.
//!
//! When the system refuses a thread (`ulimit -u`, a cgroup's `pids.max`), the pool goes on with
//! the workers it has: lingering ones give theirs back as at `MAX_WORKERS`, the sweeper serves a
//! queued connection itself each round while no worker is free for it (it steps down to a worker
//! and sweeping goes to the next one free, itself when no other is), and with no worker at all a
//! new connection is answered `503`.

use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::http::conn::{self, Conn, Context, Next, Probe, Role, Scratch};
use crate::http::limits::{
    HOT_FOR, INLINE_COST_SAMPLES, INLINE_MAX_COST, MAX_WORKERS, POLL_BUSY_PAUSE, POLL_MAX_PAUSE,
    POLL_MAX_SHARE, POLL_PAUSE_STEP, POLL_SPIN, RESTING_WORKERS, SWEEP_STALL, SWEEP_STALL_RUNNING,
    WATCH_MAX_PAUSE, WORKER_IDLE_EXIT, WORKER_STACK_BYTES,
};
use crate::http::{complain, Handler};

/// The pool, shared by the accept loop, the workers, the sweeper and the watchdog.
#[derive(Debug)]
pub struct Pool {
    ctx: Context,
    ready: Mutex<Ready>,
    work: Condvar,
    sweep: Sweep,
    /// Set while a job waits that no worker is free for and none could be started, the system
    /// refusing threads (`ulimit -u`, a cgroup's `pids.max`): the sweeper, which may be the
    /// only worker there is, then serves such jobs itself, one a round (`Pool::step_down`).
    stranded: AtomicBool,
    /// How many more threads may start, in tests: a system that runs out of them.
    #[cfg(test)]
    threads_left: AtomicUsize,
}

/// Work for a worker.
#[derive(Debug)]
enum Job {
    /// Serve a connection that has bytes to read.
    Serve(Conn),
    /// Become the sweeper of this generation.
    Sweep(u64),
}

#[derive(Debug, Default)]
struct Ready {
    queue: VecDeque<Job>,
    workers: usize,
    free: usize,
    /// The last worker could not be started: said once, until one starts again.
    spawn_failing: bool,
}

/// The sweeper's state.
#[derive(Debug)]
struct Sweep {
    /// The swept connections: held by the sweeper while it sweeps, left here while it serves a
    /// request, so that a stalled sweeper's connections can be taken over.
    set: Mutex<Swept>,
    /// Connections parked by workers since the sweeper last looked, and whether a sweeper has
    /// been started.
    inbox: Mutex<Inbox>,
    /// How many connections are in the inbox, so that the sweeper only locks it when needed.
    inbox_len: AtomicUsize,
    /// Wakes a pausing sweeper when a connection is parked.
    parked: Condvar,
    /// The current sweeper's generation: a sweeper whose generation is older has been relieved.
    generation: AtomicU64,
    /// Microseconds since `epoch`, plus one, at which the sweeper started serving its current
    /// request; 0 while it is not serving.
    serving_since: AtomicU64,
    /// The sweeper's thread id (Linux), so the watchdog can see whether it waits on I/O or on
    /// a CPU; 0 where unknown.
    sweeper_tid: AtomicU64,
    epoch: Instant,
}

/// What the sweeper keeps from one round to the next about its requests.
#[derive(Debug, Default)]
struct Round {
    /// Requests served inline in the current round.
    inline: usize,
    /// Within `POLL_SPIN` of serving a request: its clients speak again at once, and a
    /// connection found now stays swept rather than going to a worker that would linger.
    awake: bool,
    /// How long the handler took on the last requests served inline, in a ring: a request's
    /// reads and writes are the sweeper's own work either way.
    took: [Duration; INLINE_COST_SAMPLES],
    next: usize,
}

impl Round {
    /// What a request served inline costs in its handler: the least of the last
    /// `INLINE_COST_SAMPLES`.
    fn cost(&self) -> Duration {
        self.took.iter().copied().min().unwrap_or_default()
    }

    fn record(&mut self, took: Duration) {
        self.took[self.next] = took;
        self.next = (self.next + 1) % self.took.len();
    }
}

/// The swept connections: hot ones had a request within `HOT_FOR` and are read every round;
/// cold ones are read when the cold pause is due. A round takes each list from the front and
/// puts back at the end, and served connections go after the rest, so the lists stay in the
/// order of the last answer: requests are served in about the order they were sent.
#[derive(Debug, Default)]
struct Swept {
    hot: VecDeque<Conn>,
    cold: VecDeque<Conn>,
    /// Served in this round: back to `hot` once the round's reads are done.
    again: Vec<Conn>,
}

impl Swept {
    fn add(&mut self, conn: Conn, now: Instant) {
        if conn.quiet_for(now) < HOT_FOR {
            self.hot.push_back(conn);
        } else {
            self.cold.push_back(conn);
        }
    }
}

#[derive(Debug, Default)]
struct Inbox {
    conns: Vec<Conn>,
    started: bool,
    /// The watchdog runs, or is being started; false again when it could not be, so that a
    /// later park tries again (a system short of threads for a moment would otherwise leave
    /// the sweeper without one for good).
    watched: bool,
    /// The watchdog could not be started: said once, until it is.
    watch_failing: bool,
    /// The sweeper sleeps with no connection at all: the watchdog sleeps too, until a park.
    sleeping: bool,
}

impl Pool {
    /// A pool that serves with `handler`; no thread starts until there is work.
    pub fn new(handler: Arc<dyn Handler>) -> Arc<Pool> {
        Arc::new(Pool {
            ctx: Context::new(handler),
            ready: Mutex::new(Ready::default()),
            work: Condvar::new(),
            sweep: Sweep {
                set: Mutex::new(Swept::default()),
                inbox: Mutex::new(Inbox::default()),
                inbox_len: AtomicUsize::new(0),
                parked: Condvar::new(),
                generation: AtomicU64::new(0),
                serving_since: AtomicU64::new(0),
                sweeper_tid: AtomicU64::new(0),
                epoch: Instant::now(),
            },
            stranded: AtomicBool::new(false),
            #[cfg(test)]
            threads_left: AtomicUsize::new(usize::MAX),
        })
    }

    /// Queues a new connection, starting a worker if none is free; gives it back (`Some`) when
    /// no worker runs and none can be started (the system refuses threads), since nothing
    /// would ever serve it: the accept loop refuses it instead.
    pub fn submit(self: &Arc<Self>, conn: Conn) -> Option<Conn> {
        match self.queue(Job::Serve(conn)) {
            Some(Job::Serve(conn)) => Some(conn),
            _ => None,
        }
    }

    /// Queues a connection for a worker, from a worker (or the sweeper, one): one runs, so it is
    /// never given back.
    fn hand_to_worker(self: &Arc<Self>, conn: Conn) {
        let _ = self.queue(Job::Serve(conn));
    }

    /// Queues a job, starting a worker if none is free. Sweeping goes first: while no thread
    /// sweeps, every parked connection waits. When no worker is free and none can start (at
    /// `MAX_WORKERS`, or refused a thread), lingering workers give theirs back
    /// (`short_of_workers`); when refused one, the sweeper serves the job unless a worker comes
    /// free first (`stranded`): a pool held at a few threads by the system would otherwise
    /// leave a job waiting on workers that linger for a minute, or on a sweeper that never
    /// stops sweeping. With no worker at all, the job is given back (`Some`).
    fn queue(self: &Arc<Self>, job: Job) -> Option<Job> {
        let mut ready = lock(&self.ready);
        let waiting = ready.queue.len() >= ready.free;
        let started = waiting && ready.workers < MAX_WORKERS && self.spawn_worker(&mut ready);
        if ready.workers == 0 {
            return Some(job);
        }
        match job {
            Job::Serve(_) => ready.queue.push_back(job),
            Job::Sweep(_) => ready.queue.push_front(job),
        }
        let refused = waiting && !started && ready.workers < MAX_WORKERS;
        if waiting && (ready.workers >= MAX_WORKERS || refused) {
            self.ctx.short_of_workers.store(true, Ordering::Relaxed);
        }
        if refused {
            self.stranded.store(true, Ordering::Relaxed);
        }
        drop(ready);
        self.work.notify_one();
        if refused {
            // A sweeper asleep with nothing to sweep looks at `stranded` under the inbox's lock
            // before it waits: taken here, the wake-up cannot fall between the two.
            drop(lock(&self.sweep.inbox));
            self.sweep.parked.notify_all();
        }
        None
    }

    /// Starts a worker; whether it started.
    fn spawn_worker(self: &Arc<Self>, ready: &mut Ready) -> bool {
        let pool = Arc::clone(self);
        match self.start_thread("worker", move || pool.work()) {
            Ok(()) => {
                ready.workers += 1;
                ready.spawn_failing = false;
                true
            }
            // Out of threads: queued jobs wait for a running worker instead. Said once per
            // spell: a line per connection would flood the log while it lasts.
            Err(e) => {
                if !std::mem::replace(&mut ready.spawn_failing, true) {
                    let meanwhile = match ready.workers {
                        0 => "new connections get 503 until one starts".to_string(),
                        n => format!("the {n} running serve what waits"),
                    };
                    complain(format_args!(
                        "cannot start a worker thread ({meanwhile}): {e}"
                    ));
                }
                false
            }
        }
    }

    /// Starts a server thread named `name`, with `WORKER_STACK_BYTES` of stack.
    fn start_thread(&self, name: &str, run: impl FnOnce() + Send + 'static) -> io::Result<()> {
        #[cfg(test)]
        if self
            .threads_left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_err()
        {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        thread::Builder::new()
            .name(name.into())
            .stack_size(WORKER_STACK_BYTES)
            .spawn(run)
            .map(drop)
    }

    /// Hands a quiet connection to the sweeper, starting one (and its watchdog) on first use.
    fn park(self: &Arc<Self>, mut conn: Conn) {
        if conn.set_nonblocking(true).is_err() {
            return;
        }
        let mut inbox = lock(&self.sweep.inbox);
        inbox.conns.push(conn);
        self.sweep
            .inbox_len
            .store(inbox.conns.len(), Ordering::Release);
        let start = !std::mem::replace(&mut inbox.started, true);
        let watch = !std::mem::replace(&mut inbox.watched, true);
        drop(inbox);
        // Wakes the sweeper, and the watchdog if it sleeps with it.
        self.sweep.parked.notify_all();
        if start {
            // From a worker, which takes it if no other does.
            let _ = self.queue(Job::Sweep(0));
        }
        if watch {
            let pool = Arc::clone(self);
            let started = self.start_thread("watchdog", move || pool.watch());
            let mut inbox = lock(&self.sweep.inbox);
            match started {
                Ok(()) => inbox.watch_failing = false,
                // Without a watchdog a slow function delays swept connections; still served,
                // and the next park tries again.
                Err(e) => {
                    inbox.watched = false;
                    if !std::mem::replace(&mut inbox.watch_failing, true) {
                        complain(format_args!("cannot start the sweeper's watchdog: {e}"));
                    }
                }
            }
        }
    }

    /// A worker: run jobs; exit after a quiet spell if above the resting size.
    fn work(self: Arc<Self>) {
        let mut scratch = Scratch::default();
        while let Some(job) = self.next_job() {
            match job {
                Job::Serve(conn) => self.serve(conn, &mut scratch, Role::Worker),
                Job::Sweep(generation) => self.sweep(generation, &mut scratch),
            }
        }
    }

    /// Serves a connection and passes it on. A function's panic is already a 500 (the
    /// handler's business); this catches a panic in the server's own code, which closes that
    /// connection and leaves the thread and the pool's counts intact.
    fn serve(self: &Arc<Self>, conn: Conn, scratch: &mut Scratch, role: Role) {
        let next = catch_unwind(AssertUnwindSafe(|| {
            conn::serve(conn, scratch, &self.ctx, role)
        }));
        match next {
            Ok(Next::Park(conn)) => self.park(conn),
            Ok(Next::HandOff(mut conn)) => {
                conn.expect_bytes();
                self.hand_to_worker(conn);
            }
            Ok(Next::Close) => {}
            Err(_) => *scratch = Scratch::default(),
        }
    }

    fn next_job(&self) -> Option<Job> {
        let mut ready = lock(&self.ready);
        loop {
            if let Some(job) = ready.queue.pop_front() {
                if ready.queue.len() <= ready.free {
                    // Every job left has a free worker: none waits on lingering ones, nor
                    // on the sweeper.
                    if self.ctx.short_of_workers.load(Ordering::Relaxed) {
                        self.ctx.short_of_workers.store(false, Ordering::Relaxed);
                    }
                    if self.stranded.load(Ordering::Relaxed) {
                        self.stranded.store(false, Ordering::Relaxed);
                    }
                }
                return Some(job);
            }
            ready.free += 1;
            let (guard, timeout) = self
                .work
                .wait_timeout(ready, WORKER_IDLE_EXIT)
                .unwrap_or_else(PoisonError::into_inner);
            ready = guard;
            ready.free -= 1;
            if timeout.timed_out() && ready.queue.is_empty() && ready.workers > RESTING_WORKERS {
                ready.workers -= 1;
                return None;
            }
        }
    }

    /// The sweeper of `generation`: sweep the parked connections and serve those with a
    /// request, until relieved; then return, to go on as a worker.
    ///
    /// A round reads every hot connection once (non-blocking), and the cold ones when their
    /// pause is due; one with bytes is served at once, inline, and goes back to the hot set
    /// when quiet again. A hot connection with no request for `HOT_FOR` turns cold, so idle
    /// connections cost a read per cold pause, not per round. Rounds go back to back while they
    /// find requests; the pause after rounds that find none doubles up to `POLL_MAX_PAUSE`
    /// (`POLL_BUSY_PAUSE` for the cold ones while busy ones are served; longer only when a cold
    /// sweep is so long that it would take more than `POLL_MAX_SHARE` of a core); with nothing
    /// parked the sweeper sleeps until a park. It pauses on a condvar, not blocked in a read of
    /// the connection likeliest to speak next: that read would end the moment its request came,
    /// but Linux rounds a socket's read timeout up to a scheduler tick (4 ms at HZ = 250), and
    /// every other connection's request would wait that long.
    fn sweep(self: &Arc<Self>, generation: u64, scratch: &mut Scratch) {
        let sweep = &self.sweep;
        let relieved = || sweep.generation.load(Ordering::Acquire) != generation;
        let mut pause = Duration::ZERO;
        let mut round = Round::default();
        let mut spin_until = Instant::now();
        let mut served_before = false;
        let mut cold_pause = Duration::ZERO;
        let mut cold_due = Instant::now();
        sweep
            .sweeper_tid
            .store(thread_id().unwrap_or(0), Ordering::Release);
        let mut set = lock(&sweep.set);
        loop {
            if self.stranded.load(Ordering::Relaxed) {
                if let Some(conn) = self.take_stranded() {
                    drop(set);
                    self.step_down(generation, conn, scratch);
                    return;
                }
            }
            // Locks are taken in one order, the set then the inbox.
            let empty = set.hot.is_empty() && set.cold.is_empty() && set.again.is_empty();
            if sweep.inbox_len.load(Ordering::Acquire) > 0 || empty || !pause.is_zero() {
                let inbox = lock(&sweep.inbox);
                let idle = inbox.conns.is_empty() && !self.stranded.load(Ordering::Relaxed);
                let mut inbox = if idle && (empty || !pause.is_zero()) {
                    if empty {
                        // Nothing to sweep: not busy, whatever the last round found.
                        self.ctx.sweeper_busy.store(false, Ordering::Relaxed);
                    }
                    let until_cold = cold_due.saturating_duration_since(Instant::now());
                    let timeout = if set.hot.is_empty() {
                        until_cold
                    } else {
                        pause.min(until_cold)
                    };
                    drop(set);
                    let mut inbox = inbox;
                    inbox.sleeping = empty;
                    let mut inbox = wait(&sweep.parked, inbox, (!empty).then_some(timeout));
                    inbox.sleeping = false;
                    drop(inbox);
                    set = lock(&sweep.set);
                    if relieved() {
                        return;
                    }
                    lock(&sweep.inbox)
                } else {
                    inbox
                };
                let now = Instant::now();
                for conn in inbox.conns.drain(..) {
                    set.add(conn, now);
                }
                sweep.inbox_len.store(0, Ordering::Release);
            }
            let now = Instant::now();
            round.inline = 0;
            round.awake = now < spin_until;
            set = match self.read_list(set, false, now, scratch, &relieved, &mut round) {
                Some((set, _)) => set,
                None => return,
            };
            if now >= cold_due {
                // Timed alone: the share in POLL_MAX_SHARE is that of reading idle connections,
                // and a round that served busy ones inline must not stretch their pause.
                let reading = Instant::now();
                let found;
                (set, found) = match self.read_list(set, true, now, scratch, &relieved, &mut round)
                {
                    Some(read) => read,
                    None => return,
                };
                cold_pause = if found > 0 {
                    Duration::ZERO
                } else {
                    backoff(cold_pause, reading.elapsed(), round.inline > 0)
                };
                cold_due = Instant::now() + cold_pause;
            }
            let Swept { hot, again, .. } = &mut *set;
            hot.extend(again.drain(..));
            // Busy when it keeps answering requests itself, round after round: what it hands
            // to workers does not count, nor does a request now and then on a connection past
            // the lingering ones, which would otherwise send every lingering worker's
            // connection to the sweeper, one at a time, and none back.
            let served = round.inline > 0;
            let busy = served && served_before;
            served_before = served;
            if self.ctx.sweeper_busy.load(Ordering::Relaxed) != busy {
                self.ctx.sweeper_busy.store(busy, Ordering::Relaxed);
            }
            pause = if served {
                spin_until = Instant::now() + POLL_SPIN;
                Duration::ZERO
            } else if !set.hot.is_empty() && Instant::now() < spin_until {
                // Awake a little longer: the clients just answered are about to speak.
                thread::yield_now();
                Duration::ZERO
            } else {
                backoff(pause, Duration::ZERO, false)
            };
        }
    }

    /// A connection queued for a worker while none is free and none could be started
    /// (`stranded`), for the sweeper to serve; `None`, and `stranded` cleared, when there is none.
    fn take_stranded(&self) -> Option<Conn> {
        let mut ready = lock(&self.ready);
        if ready.free == 0 {
            let at = ready
                .queue
                .iter()
                .position(|job| matches!(job, Job::Serve(_)));
            if let Some(Job::Serve(conn)) = at.and_then(|at| ready.queue.remove(at)) {
                return Some(conn);
            }
        }
        self.stranded.store(false, Ordering::Relaxed);
        None
    }

    /// The sweeper of `generation` serves `conn`, a job no worker could take (`stranded`), as a
    /// worker would: sweeping goes on in the next generation, queued first, so the first worker
    /// free takes it, this one when no other is. A pool the system holds at one thread so
    /// serves its queued connections one per round; it kept sweeping, and they waited for good.
    fn step_down(self: &Arc<Self>, generation: u64, conn: Conn, scratch: &mut Scratch) {
        let next = generation + 1;
        let sweep = &self.sweep;
        if sweep
            .generation
            .compare_exchange(generation, next, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // From a worker, this one: never given back.
            let _ = self.queue(Job::Sweep(next));
        }
        // Else the watchdog has just relieved it: the next sweeper is queued already.
        self.serve(conn, scratch, Role::Worker);
    }

    /// Reads every connection of the hot list (or the `cold` one) once, serving or handing
    /// over those with a request; a hot one quiet for `HOT_FOR` turns cold. The set and how many
    /// had a request, or `None` when this sweeper has been relieved meanwhile.
    fn read_list<'a>(
        self: &'a Arc<Self>,
        mut set: MutexGuard<'a, Swept>,
        cold: bool,
        now: Instant,
        scratch: &mut Scratch,
        relieved: &impl Fn() -> bool,
        round: &mut Round,
    ) -> Option<(MutexGuard<'a, Swept>, usize)> {
        let mut found = 0;
        let count = if cold { set.cold.len() } else { set.hot.len() };
        for _ in 0..count {
            let list = if cold { &mut set.cold } else { &mut set.hot };
            let Some(mut conn) = list.pop_front() else {
                break;
            };
            match conn.probe(scratch, now) {
                Probe::Waiting if cold || conn.quiet_for(now) >= HOT_FOR => {
                    set.cold.push_back(conn)
                }
                Probe::Waiting => set.hot.push_back(conn),
                Probe::Expired => drop(conn),
                Probe::Ready => {
                    set = self.take_ready(conn, set, scratch, relieved, round)?;
                    found += 1;
                }
            }
        }
        Some((set, found))
    }

    /// A connection the sweeper found with bytes: served inline, or handed to a worker
    /// - when so few connections are busy that each can have a lingering worker, and the
    ///   client is not quick (see `Round::awake`): the worker answers and then waits on it, so
    ///   the client is answered the moment its next request comes, not after a pause;
    /// - while handlers take longer than `INLINE_MAX_COST` (`Round::cost`), unless it is the
    ///   round's first, which the sweeper serves itself and times: they then run on every core.
    fn take_ready<'a>(
        self: &'a Arc<Self>,
        mut conn: Conn,
        set: MutexGuard<'a, Swept>,
        scratch: &mut Scratch,
        relieved: &impl Fn() -> bool,
        round: &mut Round,
    ) -> Option<MutexGuard<'a, Swept>> {
        // Quick clients (parked as such, or found while awake) stay swept.
        let stay = conn.take_quick() || round.awake;
        let few = !stay && set.hot.len() + set.again.len() < self.ctx.lingering_room();
        if few || (round.inline > 0 && round.cost() > INLINE_MAX_COST) {
            conn.hand_over(scratch);
            self.hand_to_worker(conn);
            return Some(set);
        }
        round.inline += 1;
        let set = self.serve_inline(conn, set, scratch, relieved)?;
        round.record(scratch.handling());
        Some(set)
    }

    /// Serves a connection that has bytes, inline, with the set unlocked so that a stalled
    /// sweeper can be relieved; a connection still open goes back to the hot set. The set
    /// locked again, or `None` when this sweeper has been relieved meanwhile.
    fn serve_inline<'a>(
        self: &'a Arc<Self>,
        conn: Conn,
        set: MutexGuard<'a, Swept>,
        scratch: &mut Scratch,
        relieved: &impl Fn() -> bool,
    ) -> Option<MutexGuard<'a, Swept>> {
        let sweep = &self.sweep;
        drop(set);
        let since = sweep.epoch.elapsed().as_micros() as u64 + 1;
        sweep.serving_since.store(since, Ordering::Release);
        let next = catch_unwind(AssertUnwindSafe(|| {
            conn::serve(conn, scratch, &self.ctx, Role::Sweeper)
        }))
        .unwrap_or_else(|_| {
            *scratch = Scratch::default();
            Next::Close
        });
        if relieved() {
            self.pass_on(next);
            return None;
        }
        // Only this request's mark: relief may have let the next sweeper set its own.
        let _ = sweep
            .serving_since
            .compare_exchange(since, 0, Ordering::AcqRel, Ordering::Acquire);
        let mut set = lock(&sweep.set);
        if relieved() {
            drop(set);
            self.pass_on(next);
            return None;
        }
        match next {
            Next::Park(conn) => set.again.push(conn),
            next => self.pass_on(next),
        }
        Some(set)
    }

    /// Where a connection the sweeper has served goes when the sweeper cannot keep it.
    fn pass_on(self: &Arc<Self>, next: Next) {
        match next {
            Next::Park(conn) => self.park(conn),
            Next::HandOff(mut conn) => {
                conn.expect_bytes();
                self.hand_to_worker(conn);
            }
            Next::Close => {}
        }
    }

    /// The watchdog: looks at the sweeper every `SWEEP_STALL / 2` while it serves, backing off
    /// to `WATCH_MAX_PAUSE` while it does not and sleeping while it has nothing to sweep, and relieves it when one request has kept it
    /// waiting for `SWEEP_STALL` (or running for `SWEEP_STALL_RUNNING`): a worker becomes the
    /// sweeper of the next generation.
    fn watch(self: Arc<Self>) {
        let sweep = &self.sweep;
        let mut pause = WATCH_MAX_PAUSE;
        loop {
            let mut inbox = lock(&sweep.inbox);
            while inbox.sleeping && inbox.conns.is_empty() {
                inbox = wait(&sweep.parked, inbox, None);
            }
            drop(inbox);
            thread::sleep(pause);
            let since = sweep.serving_since.load(Ordering::Acquire);
            if since == 0 {
                pause = (pause * 2).min(WATCH_MAX_PAUSE);
                continue;
            }
            pause = SWEEP_STALL / 2;
            let now = sweep.epoch.elapsed().as_micros() as u64 + 1;
            let serving = Duration::from_micros(now.saturating_sub(since));
            let stalled = serving >= SWEEP_STALL_RUNNING
                || (serving >= SWEEP_STALL
                    && is_waiting(sweep.sweeper_tid.load(Ordering::Acquire)) != Some(false));
            if stalled
                && sweep
                    .serving_since
                    .compare_exchange(since, 0, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                let next = sweep.generation.fetch_add(1, Ordering::AcqRel) + 1;
                // The stalled sweeper is a worker, which takes it if no other does.
                let _ = self.queue(Job::Sweep(next));
            }
        }
    }
}

/// This thread's id, from `/proc/thread-self` (Linux); `None` elsewhere.
fn thread_id() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Whether thread `tid` of this process is waiting on something other than a CPU: state `S`
/// (sleeping) or `D` (uninterruptible) in its `/proc` stat, as opposed to `R` (running or
/// runnable) or `t` (stopped by a tracer). `None` when it cannot be told.
fn is_waiting(tid: u64) -> Option<bool> {
    if tid == 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // `pid (comm) state ...`: the name may hold anything, so look after its last `)`.
    let state = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
    Some(matches!(state, "S" | "D"))
}

/// The next pause after a round that found nothing: doubled (from `POLL_PAUSE_STEP`) up to
/// `POLL_MAX_PAUSE`, or longer when a round of `took` would otherwise cost more than
/// `POLL_MAX_SHARE` percent of a core. While the sweeper is serving busy connections anyway
/// (`serving`), the cap is `POLL_BUSY_PAUSE`: a request on a quiet connection among busy ones
/// then waits a fraction of `POLL_MAX_PAUSE`.
fn backoff(pause: Duration, took: Duration, serving: bool) -> Duration {
    let share = took * (100 - POLL_MAX_SHARE) / POLL_MAX_SHARE;
    let longest = if serving {
        POLL_BUSY_PAUSE.max(share)
    } else {
        POLL_MAX_PAUSE.max(share)
    };
    (pause * 2 + POLL_PAUSE_STEP).min(longest)
}

/// Waits on `condvar` with `guard`, for at most `timeout` if there is one.
fn wait<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Option<Duration>,
) -> MutexGuard<'a, T> {
    match timeout {
        Some(timeout) => {
            condvar
                .wait_timeout(guard, timeout)
                .unwrap_or_else(PoisonError::into_inner)
                .0
        }
        None => condvar.wait(guard).unwrap_or_else(PoisonError::into_inner),
    }
}

/// Locks, recovering from poisoning: the state is only counters, queues and connections, left
/// consistent at every unlock, and requests are served outside every lock, so a panic cannot
/// leave it half-changed.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::conn::Slot;
    use crate::http::{Request, Response};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    struct Hello;
    impl Handler for Hello {
        fn handle(&self, _req: &Request<'_>) -> Response {
            Response::text(200, "hello")
        }
    }

    /// A pool that may start `threads` threads, and a listener for its connections.
    fn pool_with_threads(threads: usize) -> (Arc<Pool>, TcpListener) {
        let pool = Pool::new(Arc::new(Hello));
        pool.threads_left.store(threads, Ordering::Release);
        (pool, TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// A client connected to `listener`, and its connection as the accept loop makes it.
    fn connect(listener: &TcpListener) -> (TcpStream, Conn) {
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_write_timeout(Some(crate::http::limits::WRITE_STALL))
            .unwrap();
        let slot = Slot::take(&Arc::new(AtomicUsize::new(0)), 1).unwrap();
        (client, Conn::new(stream, slot))
    }

    const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";

    /// Sends what is left of a request and waits for its answer; whether it came, in time.
    fn answered(client: &mut TcpStream, rest: &[u8]) -> bool {
        client.write_all(rest).unwrap();
        let started = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !got.ends_with(b"hello") && started.elapsed() < Duration::from_secs(3) {
            match client.read(&mut buf) {
                Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        got.starts_with(b"HTTP/1.1 200 ") && got.ends_with(b"hello")
    }

    /// The system refuses threads (`ulimit -u`) with two workers running, each lingering on an
    /// idle keep-alive connection: a new client waited the whole `LINGER` (60 s), since the
    /// workers gave their connections back only at `MAX_WORKERS`. Found by review.
    #[test]
    fn workers_refused_more_threads_stop_lingering_for_a_new_client() {
        let (pool, listener) = pool_with_threads(2);
        let mut idle = Vec::new();
        for _ in 0..2 {
            let (mut client, conn) = connect(&listener);
            assert!(pool.submit(conn).is_none());
            assert!(answered(&mut client, REQUEST), "a first client");
            idle.push(client);
        }
        let (mut client, conn) = connect(&listener);
        assert!(pool.submit(conn).is_none(), "two workers run");
        assert!(
            answered(&mut client, REQUEST),
            "a new client waited on workers lingering on idle clients"
        );
    }

    /// The system refuses threads with one worker running: it became the sweeper at its first
    /// park, and swept for good, so every connection queued after (and every request it handed
    /// on for a worker to serve) waited forever. Found by review, under `prlimit --nproc`.
    #[test]
    fn a_pool_held_at_one_thread_serves_new_connections_while_it_sweeps() {
        let (pool, listener) = pool_with_threads(1);
        let (mut parked, conn) = connect(&listener);
        assert!(pool.submit(conn).is_none());
        // Half a head: its worker waits HEAD_LINGER for the rest, then parks it and sweeps.
        parked.write_all(&REQUEST[..10]).unwrap();
        thread::sleep(Duration::from_millis(100));
        let (mut client, conn) = connect(&listener);
        assert!(pool.submit(conn).is_none(), "one worker runs");
        assert!(answered(&mut client, REQUEST), "a new connection");
        assert!(
            answered(&mut parked, &REQUEST[10..]),
            "the swept one's request"
        );
    }

    /// With no worker running and none able to start, the connection comes back for the accept
    /// loop to refuse, rather than waiting in a queue nothing takes from.
    #[test]
    fn a_pool_that_can_start_no_thread_gives_the_connection_back() {
        let (pool, listener) = pool_with_threads(0);
        let (_client, conn) = connect(&listener);
        assert!(pool.submit(conn).is_some());
        assert!(lock(&pool.ready).queue.is_empty());
    }

    /// A watchdog that could not start (the system short of threads at the first park) is
    /// started by a later park: it was tried once, and the sweeper went unwatched for good.
    #[test]
    fn a_watchdog_that_could_not_start_is_started_by_a_later_park() {
        let (pool, listener) = pool_with_threads(1);
        let (mut first, conn) = connect(&listener);
        assert!(pool.submit(conn).is_none());
        first.write_all(&REQUEST[..10]).unwrap();
        // Waited for, not slept on: on a loaded machine a sleep could end before the park, and
        // the watchdog would then start at the later park without any retry.
        let settled = |failing: bool| {
            let deadline = Instant::now() + Duration::from_secs(3);
            while lock(&pool.sweep.inbox).watch_failing != failing {
                assert!(
                    Instant::now() < deadline,
                    "no park settled the watchdog as {failing}"
                );
                thread::sleep(Duration::from_millis(5));
            }
        };
        settled(true);
        assert!(
            !lock(&pool.sweep.inbox).watched,
            "no thread for the watchdog"
        );
        pool.threads_left.store(usize::MAX, Ordering::Release);
        let (mut second, conn) = connect(&listener);
        assert!(pool.submit(conn).is_none());
        second.write_all(&REQUEST[..10]).unwrap();
        settled(false);
        assert!(lock(&pool.sweep.inbox).watched, "the watchdog runs");
    }

    #[test]
    fn a_pause_doubles_to_its_cap_and_keeps_the_share() {
        let us = Duration::from_micros;
        let mut pause = Duration::ZERO;
        for _ in 0..20 {
            pause = backoff(pause, us(1), false);
        }
        assert_eq!(pause, POLL_MAX_PAUSE);
        assert_eq!(backoff(Duration::ZERO, us(1), false), POLL_PAUSE_STEP);
        // A long read of idle connections stretches the pause to keep its share of a core.
        let long = us(1000);
        let stretched = long * (100 - POLL_MAX_SHARE) / POLL_MAX_SHARE;
        assert_eq!(backoff(stretched, long, false), stretched);
        assert!(stretched > POLL_MAX_PAUSE);
        // Serving busy connections anyway, the sweeper reads its idle ones more often: a quiet
        // connection's request waited POLL_MAX_PAUSE beside busy ones.
        assert_eq!(backoff(POLL_MAX_PAUSE, us(1), true), POLL_BUSY_PAUSE);
        assert!(POLL_BUSY_PAUSE < POLL_MAX_PAUSE);
        assert_eq!(backoff(stretched, long, true), stretched);
    }
}
