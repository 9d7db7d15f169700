//! The accept loop: each connection counted against the cap and handed to the pool.

use std::io::{ErrorKind, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use crate::http::conn::{Conn, Slot};
use crate::http::error::HttpError;
use crate::http::limits::{
    ACCEPT_BACKOFF, FD_RESERVE, MAX_CONNECTIONS, REFUSAL_READ_BYTES, TIMER_SLACK_NS, WRITE_STALL,
};
use crate::http::parse;
use crate::http::pool::Pool;
use crate::http::response;
use crate::http::{complain, Handler};

/// Accepts connections forever, handing each to the pool. Never returns: every error is
/// per-connection or transient, and the loop backs off and goes on (tiny_http#283).
pub fn serve(listener: TcpListener, handler: Arc<dyn Handler>) -> ! {
    tighten_timer_slack();
    let pool = Pool::new(handler);
    // The open-file limit is read only once connections pile up, so start-up (and the host's
    // first readiness probe) does not pay for opening /proc; below FD_RESERVE open connections
    // no sane limit binds.
    let mut cap: Option<usize> = None;
    let open = Arc::new(AtomicUsize::new(0));
    let mut failing = false;
    let mut refusing = false;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                failing = false;
                let cap = if open.load(Ordering::Acquire) < FD_RESERVE {
                    MAX_CONNECTIONS
                } else {
                    *cap.get_or_insert_with(|| {
                        connection_cap(std::fs::read_to_string("/proc/self/limits").ok().as_deref())
                    })
                };
                let Some(slot) = Slot::take(&open, cap) else {
                    // Once per spell: a line per refused connection would flood the log
                    // exactly when the process is busiest.
                    if !refusing {
                        complain(format_args!(
                            "{cap} connections open, the most it keeps: refusing new ones with 503 until some close"
                        ));
                        refusing = true;
                    }
                    refuse(stream, HttpError::Overloaded);
                    continue;
                };
                // The spell ends once connections leave room: one taking the place of one
                // that closed keeps the server at its cap, and under churn a line would follow
                // every such hand-over.
                if open.load(Ordering::Acquire) < cap {
                    refusing = false;
                }
                // Responses go out in one write, so Nagle's delay would only add latency.
                let _ = stream.set_nodelay(true);
                // A write waits for a client at most this long; the rest waits for the sweeper.
                if stream.set_write_timeout(Some(WRITE_STALL)).is_err() {
                    continue;
                }
                // Given back when no thread can serve it (the pool has said why, once).
                if let Some(conn) = pool.submit(Conn::new(stream, slot)) {
                    refuse(conn.into_stream(), HttpError::NoWorker);
                }
            }
            // A connection reset while waiting in the backlog: nothing to do.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                // Out of file descriptors or memory: say so once per spell, and back off
                // rather than spin until connections close.
                if !failing {
                    complain(format_args!("accept failed, backing off: {e}"));
                    failing = true;
                }
                thread::sleep(ACCEPT_BACKOFF);
            }
        }
    }
}

/// Asks the kernel to end this thread's timed waits within `TIMER_SLACK_NS` of their deadline
/// rather than its default 50 µs; threads started later inherit it. The sweeper's pause after
/// an empty round starts at `POLL_PAUSE_STEP` (50 µs), which the default slack doubled: with a
/// few busy connections (wrk -t1 C=4) requests/s went from 57k to 119k. Only a process's main
/// thread can set its own slack this way without a capability on current kernels (`/proc/self`
/// names the main thread), and the handler calls `serve` there; from another thread, or where
/// the kernel wants `CAP_SYS_NICE` for it, the write is refused or only retimes the main thread,
/// and nothing else changes. One small write at start-up, about 4 µs.
fn tighten_timer_slack() {
    let _ = std::fs::write("/proc/self/timerslack_ns", TIMER_SLACK_NS);
}

/// A listener on `127.0.0.1:port`, or on a port the OS chooses for 0. Loopback only: the
/// Functions host connects to 127.0.0.1, never "localhost" (which may resolve to ::1), and
/// nothing outside the machine should reach a handler.
///
/// # Errors
/// The OS error, e.g. the port in use.
pub fn listen(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
}

/// A port nothing listens on right now, chosen by the OS: bind `127.0.0.1:0`, read the port, let
/// it go. Racy, as the Functions host's own `GetUnusedTcpPort` is: another process may take the
/// port before it is used.
///
/// # Errors
/// The OS error, when no socket can be bound.
pub fn unused_port() -> std::io::Result<u16> {
    Ok(listen(0)?.local_addr()?.port())
}

/// The most connections to keep open: `MAX_CONNECTIONS`, or fewer when the open-file limit
/// (the soft "Max open files" of `/proc/self/limits`, when there is one) leaves less room with
/// `FD_RESERVE` kept free. Under a 1024 limit the cap of 2048 could never be reached: `accept`
/// would fail instead, and new clients would wait in the backlog with no answer.
fn connection_cap(proc_limits: Option<&str>) -> usize {
    let soft = proc_limits.and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("Max open files"))?;
        line["Max open files".len()..]
            .split_whitespace()
            .next()?
            .parse::<usize>()
            .ok()
    });
    match soft {
        // At least one connection, however low the limit: refusing everything helps no one.
        Some(soft) => soft.saturating_sub(FD_RESERVE).clamp(1, MAX_CONNECTIONS),
        // "unlimited", or not Linux.
        None => MAX_CONNECTIONS,
    }
}

/// Past the connection cap, or with no thread to serve it: answer `refusal` (503) and close,
/// without blocking the accept loop.
fn refuse(mut stream: TcpStream, refusal: HttpError) {
    let _ = stream.set_nonblocking(true);
    // Read what the client already sent, so closing does not reset the answer away, and so
    // that a HEAD gets no body. Only bytes already here count: waiting for a request line
    // would block the accept loop. They are here when connections queue behind a busy loop.
    let mut sink = [0u8; REFUSAL_READ_BYTES];
    let read = std::io::Read::read(&mut stream, &mut sink).unwrap_or(0);
    let head_only = parse::starts_head_request(&sink[..read]);
    let mut out = Vec::new();
    crate::http::date::with_now(|now| response::encode_refusal(refusal, head_only, now, &mut out));
    let _ = stream.write_all(&out);
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \n\
                          Max processes             95000                95000                processes \n\
                          Max open files            {SOFT}                1048576              files     \n";

    #[test]
    fn the_connection_cap_follows_the_open_file_limit() {
        let with = |soft: &str| connection_cap(Some(&LIMITS.replace("{SOFT}", soft)));
        assert_eq!(with("1024"), 1024 - FD_RESERVE);
        assert_eq!(with("1048576"), MAX_CONNECTIONS);
        assert_eq!(
            with(&(MAX_CONNECTIONS + FD_RESERVE).to_string()),
            MAX_CONNECTIONS
        );
        // Too low to keep the reserve: one connection at a time rather than none.
        assert_eq!(with("8"), 1);
        // No number: the fixed cap.
        assert_eq!(with("unlimited"), MAX_CONNECTIONS);
        assert_eq!(connection_cap(Some("garbage")), MAX_CONNECTIONS);
        assert_eq!(connection_cap(None), MAX_CONNECTIONS);
    }
}
