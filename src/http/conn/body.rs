//! Reading a request's body: from the window when it came with its head, else from the socket,
//! after the answers before it are out, a `100 Continue` if the client waits for one, and a
//! permit to wait.

use std::io::{ErrorKind, Read};
use std::time::Instant;

use crate::http::chunked::ChunkedDecoder;
use crate::http::error::HttpError;
use crate::http::limits::{BODY_READ_CHUNK, BODY_READ_TIMEOUT, BODY_TIMEOUT, MAX_BODY_WAITING};
use crate::http::parse::{BodyKind, Head};

use super::{flush_before_wait, Conn, Context, Failure, Permit, Role, Scratch};

/// Where a request's body is once it has arrived.
pub(super) enum Body {
    /// In the window, at these offsets from its start, right after the head.
    InWindow(usize, usize),
    /// In `Scratch::body`; the window holds only the head.
    InScratch,
}

/// Finds the whole body of the request whose head is the first `used` bytes of the window:
/// where it is, and where the request ends in the window (`None`: at the window's end, when
/// the body was read past it). Bytes already in the window are used first, and bytes past the
/// body stay there for the next request. Before waiting on the socket for the rest, the answers
/// in `out` are sent: a client may wait for them before it sends more. Memory grows with the
/// bytes that arrive, not with what `Content-Length` announces. The sweeper waits for nothing:
/// `None` when the body has not all arrived.
pub(super) fn read_body(
    conn: &mut Conn,
    scratch: &mut Scratch,
    head: &Head,
    used: usize,
    ctx: &Context,
    role: Role,
) -> Result<Option<(Body, Option<usize>)>, Failure> {
    let buffered = scratch.hi - scratch.lo - used;
    match head.body {
        BodyKind::None => Ok(Some((Body::InWindow(used, used), Some(used)))),
        BodyKind::Length(len) if len <= buffered => {
            Ok(Some((Body::InWindow(used, used + len), Some(used + len))))
        }
        BodyKind::Length(_) if role == Role::Sweeper => Ok(None),
        BodyKind::Length(len) => {
            // A permit first: a client told to go on with `100 Continue` is not then refused.
            let _permit = wait_for_body(conn, ctx, &mut scratch.out)?;
            continue_if_expected(conn, scratch, head, buffered, ctx)?;
            let deadline = Instant::now() + BODY_TIMEOUT;
            scratch.body.clear();
            let start = scratch.lo + used;
            scratch
                .body
                .extend_from_slice(&scratch.buf[start..start + buffered]);
            while scratch.body.len() < len {
                let want = (len - scratch.body.len()).min(BODY_READ_CHUNK);
                conn.read_body_bytes(&mut scratch.body, want, deadline)?;
            }
            scratch.hi = scratch.lo + used;
            Ok(Some((Body::InScratch, None)))
        }
        BodyKind::Chunked => {
            let mut decoder = ChunkedDecoder::new();
            scratch.body.clear();
            let start = scratch.lo + used;
            let taken = decoder
                .decode(&scratch.buf[start..scratch.hi], &mut scratch.body)
                .map_err(Failure::Refuse)?;
            // The host sends every invocation chunked: one all here is served where it is.
            if decoder.is_done() {
                return Ok(Some((Body::InScratch, Some(used + taken))));
            }
            if role == Role::Sweeper {
                return Ok(None);
            }
            let _permit = wait_for_body(conn, ctx, &mut scratch.out)?;
            continue_if_expected(conn, scratch, head, buffered, ctx)?;
            let deadline = Instant::now() + BODY_TIMEOUT;
            // The window keeps the head, which the request borrows: the rest of the body is
            // read through a buffer of its own, and what follows it is appended afterwards.
            let mut chunk = Vec::with_capacity(BODY_READ_CHUNK);
            let mut taken = 0;
            while !decoder.is_done() {
                chunk.clear();
                conn.read_body_bytes(&mut chunk, BODY_READ_CHUNK, deadline)?;
                taken = decoder
                    .decode(&chunk, &mut scratch.body)
                    .map_err(Failure::Refuse)?;
            }
            // Bytes past the end of the body, all in the last read, are the next request.
            let rest = &chunk[taken..];
            // The head moves to the buffer's start (spans are relative to the window), so
            // `lo` does not creep forward request after request.
            scratch.buf.copy_within(scratch.lo..scratch.lo + used, 0);
            (scratch.lo, scratch.hi) = (0, used);
            if !rest.is_empty() {
                // Placed after the head: the window's end moves past them once answered.
                let need = scratch.hi + rest.len();
                if scratch.buf.len() < need {
                    scratch.buf.resize(need, 0);
                }
                scratch.buf[scratch.hi..need].copy_from_slice(rest);
                scratch.hi = need;
                return Ok(Some((Body::InScratch, Some(used))));
            }
            Ok(Some((Body::InScratch, None)))
        }
    }
}

/// RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` waits (the host for 1 s) for
/// `100 Continue` before it sends the body; it is sent when none of the body is here yet.
/// The answers before it go out first; if the `100 Continue` itself must wait for the client,
/// it may be sent again when the request is served again, which clients accept (§15.2).
fn continue_if_expected(
    conn: &mut Conn,
    scratch: &mut Scratch,
    head: &Head,
    buffered: usize,
    ctx: &Context,
) -> Result<(), Failure> {
    if head.expect_continue && buffered == 0 {
        flush_before_wait(conn, &mut scratch.out, ctx)?;
        scratch
            .out
            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        flush_before_wait(conn, &mut scratch.out, ctx)?;
    }
    Ok(())
}

/// Before a worker waits on the socket for the rest of a body: the answers already in `out` go
/// out (the client may wait for them), and one of `MAX_BODY_WAITING` permits is taken, or the
/// request is refused 503, so slow uploads cannot hold every worker.
fn wait_for_body<'a>(
    conn: &mut Conn,
    ctx: &'a Context,
    out: &mut Vec<u8>,
) -> Result<Permit<'a>, Failure> {
    flush_before_wait(conn, out, ctx)?;
    Permit::take(&ctx.body_waiting, MAX_BODY_WAITING).ok_or(Failure::Refuse(HttpError::Busy))
}

impl Conn {
    /// Reads at most `max` body bytes, appending to `into`, within `BODY_READ_TIMEOUT` and what
    /// is left before `deadline` (the whole body's). A body that stops coming is refused `408`,
    /// as a head is (RFC 9110 §15.5.9), rather than closed without a word.
    fn read_body_bytes(
        &mut self,
        into: &mut Vec<u8>,
        max: usize,
        deadline: Instant,
    ) -> Result<(), Failure> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::Refuse(HttpError::BodyTimeout));
        }
        self.set_read_timeout(left.min(BODY_READ_TIMEOUT))
            .map_err(|_| Failure::Io)?;
        let len = into.len();
        into.resize(len + max, 0);
        let result = self.stream.read(&mut into[len..]);
        into.truncate(len + *result.as_ref().unwrap_or(&0));
        match result {
            Ok(n) if n > 0 => Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(Failure::Refuse(HttpError::BodyTimeout))
            }
            _ => Err(Failure::Io),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::conn::tests::{swept, Ok200};
    use crate::http::conn::{serve, Next, Probe, Slot};
    use crate::http::limits::{MAX_HEAD_BYTES, READ_CHUNK, WRITE_TIMEOUT};
    use std::io::Write;
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::time::Duration;

    /// Pipelined chunked requests whose body ends inside a read that also holds the next head:
    /// the bytes after each body were appended after its head, where the window started, and
    /// the window only moved forward, so a thread's read buffer grew by a head per request
    /// (1.2 MB after 300 requests with 4 KB heads) and was kept. Found by review.
    #[test]
    fn pipelined_chunked_requests_do_not_grow_the_read_buffer() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        const N: usize = 300;
        let client = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            let mut r = s.try_clone().unwrap();
            let drain = std::thread::spawn(move || {
                let mut sink = [0u8; 65536];
                while matches!(r.read(&mut sink), Ok(n) if n > 0) {}
            });
            let head = format!(
                "POST /x HTTP/1.1\r\nHost: h\r\nX-Pad: {}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                "p".repeat(4000)
            );
            s.write_all(head.as_bytes()).unwrap();
            for _ in 1..N {
                std::thread::sleep(Duration::from_millis(2));
                let mut w = b"0\r\n\r\n".to_vec();
                w.extend_from_slice(head.as_bytes());
                s.write_all(&w).unwrap();
            }
            std::thread::sleep(Duration::from_millis(2));
            s.write_all(b"0\r\n\r\n").unwrap();
            std::thread::sleep(Duration::from_millis(100));
            s.shutdown(Shutdown::Write).unwrap();
            drain.join().unwrap();
        });
        let (stream, _) = listener.accept().unwrap();
        stream.set_write_timeout(Some(WRITE_TIMEOUT)).unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let conn = Conn::new(stream, Slot::take(&count, 10).unwrap());
        let ctx = Context::new(Arc::new(Ok200));
        let mut scratch = Scratch::default();
        let mut next = serve(conn, &mut scratch, &ctx, Role::Worker);
        let mut most = scratch.buf.len();
        // The client is done within a second; a server that never lets go fails, not hangs.
        let deadline = Instant::now() + Duration::from_secs(30);
        // Parked when quiet: serve it again, as the sweeper/worker would.
        while let Next::Park(conn) | Next::HandOff(conn) = next {
            assert!(Instant::now() < deadline, "still serving after 30 s");
            next = serve(conn, &mut scratch, &ctx, Role::Worker);
            most = most.max(scratch.buf.len());
        }
        client.join().unwrap();
        assert!(
            most <= 2 * (MAX_HEAD_BYTES + READ_CHUNK),
            "a worker's read buffer grew to {most} bytes after {N} requests"
        );
    }

    #[test]
    fn the_sweeper_serves_a_chunked_request_that_is_all_here() {
        let ctx = Context::new(Arc::new(Ok200));
        let mut scratch = Scratch::default();
        let request = b"POST /F HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
        // All of it: answered where it is, as the host's invocations come. Half: a worker waits.
        for (body, inline) in [
            (&b"2\r\nab\r\n0\r\n\r\n"[..], true),
            (b"2\r\nab\r\n", false),
        ] {
            let (mut client, conn) = swept();
            client.write_all(&[&request[..], body].concat()).unwrap();
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(served_inline(conn, &mut scratch, &ctx), inline);
            if inline {
                let mut answer = [0; 17];
                client.read_exact(&mut answer).unwrap();
                assert_eq!(&answer, b"HTTP/1.1 200 OK\r\n");
            }
        }
    }

    /// Probes `conn` and serves it as the sweeper: true if it answered there, false if it
    /// handed the connection to a worker.
    fn served_inline(mut conn: Conn, scratch: &mut Scratch, ctx: &Context) -> bool {
        assert_eq!(conn.probe(scratch, Instant::now()), Probe::Ready);
        match serve(conn, scratch, ctx, Role::Sweeper) {
            Next::Park(_) => true,
            Next::HandOff(_) => false,
            Next::Close => panic!("closed"),
        }
    }
}
