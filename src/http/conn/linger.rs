//! How long a worker waits on its connection for more bytes: a head under way, or the next
//! request (lingering), and the policy for when it keeps a connection rather than parking it.

use std::io::ErrorKind;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::http::error::HttpError;
use crate::http::limits::{
    HEAD_LINGER, HEAD_TIMEOUT, LINGER, LINGER_CHECK, MAX_LINGERING, POLL_SPIN, QUICK_WAITS,
};

use super::{Conn, Context, Permit, Role, Scratch};

impl Context {
    /// How many more workers may linger now (whatever the sweeper is doing).
    pub fn lingering_room(&self) -> usize {
        MAX_LINGERING.saturating_sub(self.lingering.load(Ordering::Relaxed))
    }

    /// Whether a worker may wait on its connection for the next request; if not, it parks the
    /// connection. A waiting thread answers a request the moment it comes and costs no CPU
    /// meanwhile, so at ordinary loads up to `MAX_LINGERING` connections each have one. Once
    /// the cores are busy, waking a thread for each request costs more than the sweeper's
    /// rounds: so a worker parks when the sweeper is busy, and when more workers linger than
    /// there are cores and its client keeps speaking again at once (`Linger::waited`).
    /// The permit is kept while the worker serves what came, until it parks: so `lingering`
    /// counts connections that have a worker of their own, and the room the sweeper reads does
    /// not open for a moment at each request, which would have it hand over requests it could
    /// serve itself and wake a thread for each.
    fn may_linger<'a>(&'a self, linger: &mut Linger<'a>) -> bool {
        let crowded = || self.lingering.load(Ordering::Relaxed) > cores();
        if self.sweeper_busy.load(Ordering::Relaxed)
            || self.short_of_workers.load(Ordering::Relaxed)
            || (linger.is_quick() && crowded())
        {
            linger.permit = None;
            return false;
        }
        if linger.permit.is_none() {
            linger.permit = Permit::take(&self.lingering, MAX_LINGERING);
        }
        linger.permit.is_some()
    }
}

/// The core count, read (from files: the CPU quota) the first time two workers linger, never at
/// start-up or at rest: it slowed the first answer and maps 64 KiB more code.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A worker's place among those lingering on their connections, and how many of its waits in a
/// row ended quickly.
#[derive(Default)]
pub(super) struct Linger<'a> {
    permit: Option<Permit<'a>>,
    quick: usize,
}

impl Linger<'_> {
    /// Counts a wait that ended after `waited`, with `lingering` workers on `cores` cores.
    fn waited(&mut self, waited: Duration, lingering: usize, cores: impl FnOnce() -> usize) {
        self.quick = if lingering > 1 && came_quick(waited, lingering, cores()) {
            self.quick + 1
        } else {
            0
        };
    }

    fn is_quick(&self) -> bool {
        self.quick >= QUICK_WAITS
    }
}

/// Whether a request came so soon after its worker began to wait that the lingering workers'
/// clients, at that pace, bring at least one request per `POLL_SPIN` per core: they are waiting
/// on the server rather than the other way round, and the sweeper serves them for less than
/// a wake-up each.
fn came_quick(waited: Duration, lingering: usize, cores: usize) -> bool {
    waited.as_nanos() * (cores as u128) < POLL_SPIN.as_nanos() * (lingering as u128)
}

/// Waits a little for more bytes, on the thread's own time (the sweeper does not wait, nor read).
/// `Ok(true)`: bytes arrived; `Ok(false)`: quiet, park it; `Err`: closed or failed.
pub(super) fn wait_for_bytes<'a>(
    conn: &mut Conn,
    scratch: &mut Scratch,
    ctx: &'a Context,
    role: Role,
    head_wait_until: &mut Option<Instant>,
    linger: &mut Linger<'a>,
) -> Result<bool, ()> {
    if role == Role::Sweeper {
        // The sweeper reads a connection once per sweep (`Conn::probe`), never right after
        // answering it: a client that waits for each answer has sent nothing more yet, and
        // the read would only find that out, one system call per request.
        conn.expecting = false;
        return Ok(false);
    }
    let now = Instant::now();
    let expecting = std::mem::replace(&mut conn.expecting, false);
    let result = match conn.head_started {
        // A head under way: wait briefly, never past its deadline.
        Some(start) => {
            let left = (start + HEAD_TIMEOUT).saturating_duration_since(now);
            if left.is_zero() {
                let Scratch { buf, lo, hi, .. } = &*scratch;
                conn.refuse(HttpError::Timeout, &buf[*lo..*hi]);
                return Err(());
            }
            let until = *head_wait_until.get_or_insert(now + HEAD_LINGER);
            let budget = until.saturating_duration_since(now);
            if budget.is_zero() {
                return Ok(false);
            }
            conn.read_more(scratch, budget.min(left))
        }
        // New, or handed over with bytes: they are there (or coming at once), no need to linger.
        None if expecting => conn.read_more(scratch, HEAD_LINGER),
        // Between requests: linger for the next one if the policy allows.
        None => {
            if !ctx.may_linger(linger) {
                conn.quick = linger.is_quick();
                return Ok(false);
            }
            // Never past the connection's own deadline (a client sending only empty lines
            // would otherwise keep its worker for good), and looking up every LINGER_CHECK.
            let until = (now + LINGER).min(conn.idle_deadline);
            let read = loop {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    // Parked, the sweeper closes it at its deadline.
                    return Ok(false);
                }
                match conn.read_more(scratch, left.min(LINGER_CHECK)) {
                    Err(e)
                        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
                            && !ctx.short_of_workers.load(Ordering::Relaxed) => {}
                    read => break read,
                }
            };
            linger.waited(now.elapsed(), ctx.lingering.load(Ordering::Relaxed), cores);
            read
        }
    };
    match result {
        Ok(0) => Err(()),
        Ok(_) => Ok(true),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(false),
        Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::conn::tests::Ok200;
    use std::sync::Arc;

    #[test]
    fn a_lingering_worker_counts_once_until_it_parks() {
        let ctx = Context::new(Arc::new(Ok200));
        let lingering = || ctx.lingering.load(Ordering::Acquire);
        let mut mine = Linger::default();
        assert!(ctx.may_linger(&mut mine));
        // Served what came and lingers again: the same permit, so the room does not flicker.
        assert!(ctx.may_linger(&mut mine));
        assert_eq!(lingering(), 1);
        let mut others: Vec<Linger> = (1..MAX_LINGERING).map(|_| Linger::default()).collect();
        for other in &mut others {
            assert!(ctx.may_linger(other));
        }
        assert_eq!(ctx.lingering_room(), 0);
        assert!(
            !ctx.may_linger(&mut Linger::default()),
            "at most MAX_LINGERING"
        );
        // A busy sweeper serves the connection better: the worker parks it and lets go.
        ctx.sweeper_busy.store(true, Ordering::Relaxed);
        assert!(!ctx.may_linger(&mut mine));
        assert!(mine.permit.is_none());
        assert_eq!(lingering(), MAX_LINGERING - 1);
        ctx.sweeper_busy.store(false, Ordering::Relaxed);
        assert!(ctx.may_linger(&mut mine));
        drop(others);
        drop(mine);
        assert_eq!(lingering(), 0);
    }

    #[test]
    fn quick_clients_past_the_cores_are_left_to_the_sweeper() {
        let us = Duration::from_micros;
        // Two workers on two cores: a request every 50 µs per core is the line.
        assert!(came_quick(us(49), 2, 2));
        assert!(!came_quick(us(50), 2, 2));
        // Sixteen on two: each client may take eight times as long and still be quick.
        assert!(came_quick(us(399), 16, 2));
        assert!(!came_quick(us(400), 16, 2));
        // The host at ordinary loads: milliseconds between requests.
        assert!(!came_quick(Duration::from_millis(2), 16, 2));

        let mut linger = Linger::default();
        for _ in 0..QUICK_WAITS {
            assert!(!linger.is_quick());
            linger.waited(us(10), 3, || 2);
        }
        assert!(linger.is_quick());
        linger.waited(us(10), 1, || unreachable!("one worker needs no core count"));
        assert!(!linger.is_quick(), "a lone lingering worker is never quick");
        linger.quick = QUICK_WAITS;
        linger.waited(Duration::from_millis(1), 3, || 2);
        assert!(!linger.is_quick(), "one slow wait starts the count again");

        // Quick, and more lingering than cores: park. (With MAX_LINGERING cores or more, as
        // many workers as connections can linger, and none is ever crowded out.)
        if cores() >= MAX_LINGERING {
            return;
        }
        let ctx = Context::new(Arc::new(Ok200));
        let mut held: Vec<Linger> = (0..=cores()).map(|_| Linger::default()).collect();
        for linger in &mut held {
            assert!(ctx.may_linger(linger));
        }
        held[0].quick = QUICK_WAITS;
        assert!(!ctx.may_linger(&mut held[0]));
        assert!(held[0].permit.is_none());
        // Now as many as cores: a quick one may linger again.
        assert!(ctx.may_linger(&mut held[0]));
    }
}
