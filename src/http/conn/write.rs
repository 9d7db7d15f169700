//! The write side: answers go out without waiting long on a client, those it does not take wait
//! with the connection (`Unsent`) for the sweeper to write, and a refused connection is drained
//! (`Drain`) before it closes.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::Instant;

use crate::http::complain;
use crate::http::date;
use crate::http::error::HttpError;
use crate::http::limits::{
    DRAIN_CHUNK, DRAIN_READS, IDLE_TIMEOUT, MAX_UNSENT_BYTES, MAX_WRITE_WAITING,
    REFUSAL_DRAIN_BYTES, REFUSAL_DRAIN_TIME, SCRATCH_KEEP_BYTES, WRITE_STALL, WRITE_TIMEOUT,
};
use crate::http::parse;
use crate::http::response;

use super::slot::Permit;
use super::{only_empty_lines, Conn, Context, Failure, Probe, Scratch, Slot};

/// What is left of a closing connection's drain (`Conn::draining`).
#[derive(Debug)]
pub(super) struct Drain {
    /// It closes then, whatever the client is still sending.
    until: Instant,
    /// It closes once this many more bytes have been discarded.
    left: usize,
}

/// Answers a client has not taken yet (`Conn::unsent`).
#[derive(Debug)]
pub(super) struct Unsent {
    bytes: Vec<u8>,
    /// How much of `bytes` is written: the rest is written from there, not moved to the front
    /// at each step, so a large answer drained in many steps is copied once.
    written: usize,
    /// What `bytes` holds of `MAX_UNSENT_BYTES`, released with it.
    _share: Slot,
    /// When all must be out: `WRITE_TIMEOUT` after they were written.
    due: Instant,
    /// They end with an answer that closes the connection.
    pub(super) then_close: bool,
}

impl Conn {
    /// Answers a protocol error, found in the bytes `window`, and starts closing: the
    /// connection drains (`draining`), so the client can read the answer while it is still
    /// sending; park it.
    /// Says so on stderr too: the status alone reaches only the client, and when the client is
    /// the Functions host, whoever reads the logs would otherwise never learn why it failed.
    pub(super) fn refuse(&mut self, error: HttpError, window: &[u8]) {
        complain(format_args!(
            "refused a request with {}: {error}",
            error.status()
        ));
        // A head refused before it parsed is a HEAD if its request line says so; after, the
        // buffer holds a body or the next request, which says nothing about this one.
        let head_only = self
            .head_request
            .unwrap_or_else(|| parse::starts_head_request(window));
        let mut out = Vec::new();
        date::with_now(|now| response::encode_refusal(error, head_only, now, &mut out));
        // The connection closes after this: what the client does not take now is dropped.
        let _ = self.write_some(&out);
        self.start_drain();
    }

    /// Stops writing and leaves the connection to drain (`draining`): it is closed once the
    /// client has, or past `REFUSAL_DRAIN_TIME` or `REFUSAL_DRAIN_BYTES`.
    pub(super) fn start_drain(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        self.pending = Vec::new();
        self.draining = Some(Box::new(Drain {
            until: Instant::now() + REFUSAL_DRAIN_TIME,
            left: REFUSAL_DRAIN_BYTES,
        }));
    }

    /// Reads and discards what a draining client has sent, up to `DRAIN_CHUNK` bytes a read and
    /// `DRAIN_READS` reads a look, so that a proxy still writing a refused body is read at
    /// memory speed without a look taking long. `Expired` once it is done (see `start_drain`).
    pub(super) fn drain(&mut self, scratch: &mut Scratch, now: Instant) -> Probe {
        let Some(drain) = self.draining.as_mut() else {
            return Probe::Expired;
        };
        if now >= drain.until {
            return Probe::Expired;
        }
        // The body buffer is free between requests and kept at least this large.
        let sink = &mut scratch.body;
        sink.resize(DRAIN_CHUNK, 0);
        let mut probe = Probe::Waiting;
        for _ in 0..DRAIN_READS {
            match self.stream.read(&mut sink[..DRAIN_CHUNK.min(drain.left)]) {
                Ok(0) => probe = Probe::Expired,
                Ok(n) => {
                    drain.left -= n;
                    // Still sending: kept hot, so read every round.
                    self.active = now;
                    if drain.left > 0 {
                        continue;
                    }
                    probe = Probe::Expired;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => probe = Probe::Expired,
            }
            break;
        }
        sink.clear();
        probe
    }

    /// Writes as much of `bytes` as the client takes without being waited on: a swept
    /// (non-blocking) socket what fits now, a worker's what fits within `WRITE_STALL`. The count
    /// written; less than all when the client is not reading (or reading slowly).
    fn write_some(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < bytes.len() {
            match self.stream.write(&bytes[written..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                // A short write: the socket's buffer is full, or the stall timeout ended it.
                Ok(n) if written + n < bytes.len() => return Ok(written + n),
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }

    /// Writes all of `bytes` now, waiting on the client up to `WRITE_TIMEOUT`, as answers
    /// waiting with a connection may: for answers that cannot wait with it, since
    /// `MAX_UNSENT_BYTES` has no room for them. Cutting such an answer short would leave a
    /// client that reads it with a truncated response. `Err` when the client has not taken it
    /// all by then: the connection must close. The thread waits meanwhile (the watchdog
    /// relieves a sweeper that does, after `SWEEP_STALL`); only answers past the budget cost it.
    fn write_while_taken(&mut self, mut bytes: &[u8]) -> Result<(), ()> {
        let swept = self.nonblocking;
        self.set_nonblocking(false).map_err(drop)?;
        let until = Instant::now() + WRITE_TIMEOUT;
        while !bytes.is_empty() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_write_timeout(Some(left)).is_err() {
                break;
            }
            match self.write_some(bytes) {
                Ok(n) if n > 0 => bytes = &bytes[n..],
                _ => break,
            }
        }
        let restored = self.stream.set_write_timeout(Some(WRITE_STALL)).is_ok();
        self.set_nonblocking(swept).map_err(drop)?;
        if bytes.is_empty() && restored {
            Ok(())
        } else {
            Err(())
        }
    }

    /// Writes what waits in `unsent`, when the sweeper looks at the connection: `None` when it
    /// is all out and the connection can be read again (or never held any), else what becomes of
    /// the connection meanwhile.
    pub(super) fn write_unsent(&mut self, now: Instant) -> Option<Probe> {
        let mut unsent = self.unsent.take()?;
        match self.write_some(&unsent.bytes[unsent.written..]) {
            Ok(n) if unsent.written + n == unsent.bytes.len() => {
                if unsent.then_close {
                    self.start_drain();
                    return Some(Probe::Waiting);
                }
                // Requests that waited behind the answers are timed from now, when the server
                // turns to them.
                self.head_started = (!only_empty_lines(&self.pending)).then_some(now);
                self.idle_deadline = now + IDLE_TIMEOUT;
                None
            }
            Ok(_) | Err(_) if now >= unsent.due => Some(Probe::Expired),
            Ok(n) => {
                unsent.written += n;
                self.unsent = Some(unsent);
                Some(Probe::Waiting)
            }
            Err(_) => Some(Probe::Expired),
        }
    }
}

/// Writes the encoded answers in `out`. `Ok(true)`: all written. `Ok(false)`: the client is not
/// taking them; the rest now waits in the connection (`Conn::unsent`, for the sweeper to write),
/// and serving it must stop until they are out. When `MAX_UNSENT_BYTES` has no room for the
/// rest (a large answer, or many waiting), it is written at once, as long as the client takes
/// it (`Conn::write_while_taken`), by at most `MAX_WRITE_WAITING` threads at a time. `Err`: the
/// write failed, or the client stopped taking an answer that could not wait, or too many
/// threads already wait so: close. `out` is empty afterwards.
pub(super) fn flush(conn: &mut Conn, out: &mut Vec<u8>, ctx: &Context) -> Result<bool, ()> {
    if out.is_empty() {
        return Ok(true);
    }
    let written = conn.write_some(out);
    let result = match written {
        Ok(n) if n == out.len() => Ok(true),
        Ok(n) => {
            // A large answer waits in the buffer it is in, the part written kept with it, rather
            // than copied while that buffer is still held (`Scratch::trim` frees it after the
            // request anyway): the copy held it twice.
            let moved = out.capacity() > SCRATCH_KEEP_BYTES;
            let held = if moved {
                // A handler's buffer may be larger than its answer (a `String` grown by
                // doubling, a decoded form that shrank): that room would wait with it too,
                // uncounted. Shrinking a buffer that large gives the room back in place.
                out.shrink_to_fit();
                out.capacity()
            } else {
                out.len() - n
            };
            match Slot::take_n(&ctx.unsent_bytes, held, MAX_UNSENT_BYTES) {
                Some(share) => {
                    let (bytes, written) = if moved {
                        (std::mem::take(out), n)
                    } else {
                        (out[n..].to_vec(), 0)
                    };
                    conn.unsent = Some(Unsent {
                        bytes,
                        written,
                        _share: share,
                        due: Instant::now() + WRITE_TIMEOUT,
                        then_close: false,
                    });
                    Ok(false)
                }
                // No room to keep the rest: it goes out now, or the client gets none of it;
                // but a bounded number of threads wait so, or clients that never read would
                // hold them all.
                None => match Permit::take(&ctx.write_waiting, MAX_WRITE_WAITING) {
                    Some(_writing) => conn.write_while_taken(&out[n..]).map(|()| true),
                    None => Err(()),
                },
            }
        }
        Err(_) => Err(()),
    };
    out.clear();
    result
}

/// Writes the answers in `out` before the thread waits on the client (for a body, `100
/// Continue`, a takeover): all of them, or `Failure::Stalled` when the client is not taking them
/// (the rest waits with the connection), or `Failure::Io` to close.
pub(super) fn flush_before_wait(
    conn: &mut Conn,
    out: &mut Vec<u8>,
    ctx: &Context,
) -> Result<(), Failure> {
    match flush(conn, out, ctx) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure::Stalled),
        Err(()) => Err(Failure::Io),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::conn::tests::swept;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn empty_lines_behind_unsent_answers_start_no_head() {
        let (_client, mut conn) = swept();
        let now = Instant::now();
        let bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_vec();
        let share = Slot::take(&Arc::new(AtomicUsize::new(0)), bytes.len()).unwrap();
        conn.unsent = Some(Unsent {
            bytes,
            written: 0,
            _share: share,
            due: now + WRITE_TIMEOUT,
            then_close: false,
        });
        conn.pending = b"\r\n".to_vec();
        assert_eq!(conn.write_unsent(now), None);
        assert_eq!(conn.head_started, None, "an empty line timed as a head");
        // A request that waited behind the answers is timed from now.
        conn.unsent = None;
        conn.pending = b"\r\nGET / HTTP/1.1\r\n".to_vec();
        conn.unsent = Some(Unsent {
            bytes: b"x".to_vec(),
            written: 0,
            _share: Slot::take(&Arc::new(AtomicUsize::new(0)), 1).unwrap(),
            due: now + WRITE_TIMEOUT,
            then_close: false,
        });
        assert_eq!(conn.write_unsent(now), None);
        assert_eq!(conn.head_started, Some(now));
    }

    #[test]
    fn a_refused_connection_drains_until_its_client_closes_or_its_time_is_up() {
        let (mut client, mut conn) = swept();
        conn.refuse(HttpError::BodyTooLarge, b"POST / HTTP/1.1\r\n");
        let mut scratch = Scratch::default();
        // The answer, then the end of what the server sends.
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 413 "), "{answer:?}");
        // What the client still sends is read away, look after look.
        let now = Instant::now();
        for _ in 0..3 {
            client.write_all(&[b'x'; 100_000]).unwrap();
            std::thread::sleep(Duration::from_millis(10));
            assert_eq!(conn.probe(&mut scratch, now), Probe::Waiting);
        }
        assert_eq!(
            conn.draining.as_ref().map(|d| d.left),
            Some(REFUSAL_DRAIN_BYTES - 300_000)
        );
        assert!(scratch.body.is_empty());
        // Past its time it closes, whatever the client does.
        let later = now + REFUSAL_DRAIN_TIME;
        assert_eq!(conn.probe(&mut scratch, later), Probe::Expired);
        // And at once when the client has closed.
        conn.start_drain();
        drop(client);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(conn.probe(&mut scratch, now), Probe::Expired);
    }

    /// With the budget for unsent answers spent, an answer the client does not take at once
    /// cannot wait with the connection. It used to be cut short, and the connection closed:
    /// a client about to read got a truncated answer after its status line.
    #[test]
    fn an_answer_that_cannot_wait_goes_out_whole_to_a_client_that_reads_it() {
        use crate::http::conn::tests::Ok200;
        let ctx = Context::new(Arc::new(Ok200));
        ctx.unsent_bytes.store(MAX_UNSENT_BYTES, Ordering::Relaxed);
        let answer: Vec<u8> = (0..16 << 20).map(|i: u32| i as u8).collect();
        for nonblocking in [true, false] {
            let (mut client, mut conn) = swept();
            // As server.rs sets it.
            conn.stream.set_write_timeout(Some(WRITE_STALL)).unwrap();
            conn.set_nonblocking(nonblocking).unwrap();
            let reader = std::thread::spawn(move || {
                // Past a worker's stall, with the sockets full.
                std::thread::sleep(Duration::from_millis(50));
                let mut got = Vec::new();
                client.read_to_end(&mut got).map(|_| got)
            });
            // Linux rounds it up to a scheduler tick.
            let stall = conn.stream.write_timeout().unwrap();
            let mut out = answer.clone();
            assert_eq!(flush(&mut conn, &mut out, &ctx), Ok(true));
            assert_eq!(conn.nonblocking, nonblocking, "its mode is put back");
            let timeout = conn.stream.write_timeout().unwrap();
            assert_eq!(timeout, stall, "its write timeout is put back");
            drop(conn);
            let got = reader.join().unwrap().expect("the answer, then the close");
            assert!(got == answer, "{} of {} bytes", got.len(), answer.len());
            assert_eq!(
                ctx.write_waiting.load(Ordering::Relaxed),
                0,
                "its permit is back"
            );
        }
    }

    /// A large answer waits for its client in the buffer the handler made it in, which can be
    /// larger than the answer: a greeting to a form name of `%41`s is a third of the buffer it
    /// was decoded into. Only the answer's length was counted against `MAX_UNSENT_BYTES`, so
    /// answers waiting for clients that never read took up to three times the budget.
    #[test]
    fn an_unsent_answer_counts_all_it_holds() {
        use crate::http::conn::tests::Ok200;
        let ctx = Context::new(Arc::new(Ok200));
        let (_client, mut conn) = swept();
        let len = 8 << 20;
        let mut out = Vec::with_capacity(3 * len);
        out.resize(len, b'x');
        assert_eq!(
            flush(&mut conn, &mut out, &ctx),
            Ok(false),
            "the client reads nothing"
        );
        let unsent = conn.unsent.as_ref().expect("the answer waits");
        let counted = ctx.unsent_bytes.load(Ordering::Relaxed);
        let held = unsent.bytes.capacity();
        assert!(counted >= held, "{counted} bytes counted, {held} held");
    }

    /// Writing such an answer at once holds the thread while the client takes it. Clients that
    /// asked for large answers and never read them held every worker so for `WRITE_TIMEOUT`,
    /// once the budget was spent: a new client waited seconds for a 5-byte answer. Past
    /// `MAX_WRITE_WAITING` such writers, the connection closes at once, as before.
    #[test]
    fn past_the_writers_that_may_wait_an_answer_that_cannot_wait_closes_at_once() {
        use crate::http::conn::tests::Ok200;
        let ctx = Context::new(Arc::new(Ok200));
        ctx.unsent_bytes.store(MAX_UNSENT_BYTES, Ordering::Relaxed);
        ctx.write_waiting
            .store(MAX_WRITE_WAITING, Ordering::Relaxed);
        // A worker's connection to a client that never reads.
        let (_client, mut conn) = swept();
        conn.stream.set_write_timeout(Some(WRITE_STALL)).unwrap();
        conn.set_nonblocking(false).unwrap();
        let mut out = vec![b'x'; 16 << 20];
        let started = Instant::now();
        assert_eq!(flush(&mut conn, &mut out, &ctx), Err(()));
        let took = started.elapsed();
        assert!(
            took < WRITE_TIMEOUT / 4,
            "the worker waited {took:?} on a non-reader"
        );
        assert_eq!(ctx.write_waiting.load(Ordering::Relaxed), MAX_WRITE_WAITING);
    }
}
