//! One connection: read bytes, parse, answer, repeat while the client keeps the connection and
//! keeps sending. This module and `server`/`pool` are the only ones that touch sockets.
//!
//! A worker serves a connection only while it has work. When the connection goes quiet (no
//! next request within `LINGER`, or a head stalls for `HEAD_LINGER`), `serve` hands it back to
//! be parked, so an idle or slow client never holds a worker.
//!
//! Deadlines: a new connection must start its first request within `HEAD_TIMEOUT`, and every
//! head must be whole `HEAD_TIMEOUT` after its first byte; a body must keep flowing (each read
//! within `BODY_READ_TIMEOUT`); between requests a connection may idle for `IDLE_TIMEOUT`; all
//! of one flush must be written within `WRITE_TIMEOUT`, however slowly the client reads.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::azure::app;
use crate::azure::request::Request;
use crate::azure::router::Router;
use crate::http::chunked::ChunkedDecoder;
use crate::http::date;
use crate::http::error::HttpError;
use crate::http::limits::{
    BODY_READ_TIMEOUT, BODY_TIMEOUT, HEAD_LINGER, HEAD_TIMEOUT, IDLE_TIMEOUT, LINGER,
    MAX_BODY_WAITING, MAX_HEAD_BYTES, MAX_LINGERING, REFUSAL_DRAIN_BYTES, REFUSAL_DRAIN_TIME,
    WRITE_TIMEOUT,
};
use crate::http::parse::{self, BodyKind, Head, Status, Version};
use crate::http::response::{self, Framing, Response};

/// Bytes read from the socket per call: a typical request in one read, and a small stack cost.
const READ_CHUNK: usize = 8 * 1024;

/// Responses waiting to be written are flushed once they pass this size, even while more
/// pipelined requests are buffered, so a client that pipelines without reading cannot make the
/// output buffer grow without bound.
const FLUSH_AT: usize = 64 * 1024;

/// An open connection, between or during requests.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    /// Bytes received and not yet used: part of a head, or pipelined requests.
    buf: Vec<u8>,
    /// When the first byte of the head being received arrived: the head deadline runs from it.
    head_started: Option<Instant>,
    /// When the connection is closed if no request starts: `HEAD_TIMEOUT` after it was accepted
    /// (a client connects to send a request), then `IDLE_TIMEOUT` after each response.
    idle_deadline: Instant,
    /// Bytes are expected at once: the connection is new, or the poller saw bytes (or the end)
    /// waiting. A worker then reads without a linger permit, since the read will not wait.
    expecting: bool,
    /// Whether the request being answered is a HEAD, so that even a refusal carries no body
    /// (RFC 9110 §9.3.2); `None` until its head has parsed.
    head_request: Option<bool>,
    /// When the connection was accepted, until its first byte: the first head's deadline runs
    /// from here, so a client cannot wait silently and then trickle.
    accepted: Option<Instant>,
    /// The read timeout currently set on the socket, to skip redundant system calls.
    read_timeout: Option<Duration>,
    /// Keeps the server's count of open connections; released when the connection is dropped.
    _slot: Slot,
}

/// One of the server's `MAX_CONNECTIONS` connection slots, released on drop.
#[derive(Debug)]
pub struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// Takes a slot if fewer than `max` are taken.
    pub fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(count)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What to do with a connection after `serve`.
#[derive(Debug)]
pub enum Next {
    /// Quiet: watch it for more bytes without a worker.
    Park(Conn),
    /// Done: the client closed, the response said close, or an error.
    Close,
}

/// What parking found when it looked at a connection again.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// Bytes have arrived or the client closed: a worker should serve it.
    Ready,
    /// Nothing yet, and within its deadlines.
    Waiting,
    /// Its deadline passed: it has been answered (408 when a head was under way) and must be dropped.
    Expired,
}

/// State a worker needs while serving: the routes, the count of lingering workers, and whether
/// to print a line per request.
#[derive(Debug)]
pub struct Context {
    pub router: Router,
    pub lingering: AtomicUsize,
    /// Workers waiting for the rest of a request body, against `MAX_BODY_WAITING`.
    pub body_waiting: AtomicUsize,
    /// `HANDLER_LOG_REQUESTS=1`: one stdout line per request (see `log_request`).
    pub log_requests: bool,
}

impl Conn {
    /// Wraps a freshly accepted stream.
    pub fn new(stream: TcpStream, slot: Slot) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
            head_started: None,
            idle_deadline: Instant::now() + HEAD_TIMEOUT,
            expecting: true,
            head_request: None,
            accepted: Some(Instant::now()),
            read_timeout: None,
            _slot: slot,
        }
    }

    /// Prepares a quiet connection for watching without a thread: non-blocking, buffer trimmed.
    pub fn park(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            // An idle connection keeps no buffer, so idle connections cost only their socket.
            self.buf = Vec::new();
        }
        self.stream.set_nonblocking(true)
    }

    /// Looks at a parked connection without blocking.
    pub fn check(&mut self, now: Instant) -> Check {
        let mut byte = [0u8; 1];
        match self.stream.peek(&mut byte) {
            // The client closed while idle: nothing to answer.
            Ok(0) if self.buf.is_empty() => Check::Expired,
            // Data, or an error that serving will report.
            Ok(_) => Check::Ready,
            Err(e) if e.kind() == ErrorKind::WouldBlock => match self.head_started {
                Some(start) if now >= start + HEAD_TIMEOUT => {
                    // The poller must not block: answer without the gentle close's wait.
                    self.refuse(HttpError::Timeout, None);
                    Check::Expired
                }
                None if now >= self.idle_deadline => Check::Expired,
                _ => Check::Waiting,
            },
            Err(_) => Check::Ready,
        }
    }

    /// Makes a parked connection blocking again before a worker serves it.
    pub fn unpark(&mut self) -> io::Result<()> {
        self.read_timeout = None;
        self.expecting = true;
        self.stream.set_nonblocking(false)
    }

    /// Answers a protocol error and closes. With a context, the close is gentle (see
    /// `close_gently`), so the client can read the answer while it is still sending: long if a
    /// `MAX_BODY_WAITING` permit is free (a proxy may still be writing a large body), else brief.
    /// The poller passes none: it must never block.
    fn refuse(&mut self, error: HttpError, gently: Option<&Context>) {
        // A head refused before it parsed is a HEAD if its request line says so; after, the
        // buffer holds a body or the next request, which says nothing about this one.
        let head_only = self.head_request.unwrap_or_else(|| {
            let start = self
                .buf
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(0);
            self.buf[start..].starts_with(b"HEAD ")
        });
        let framing = Framing {
            head_only,
            keep_alive: false,
            http10: false,
        };
        let mut out = Vec::new();
        let body = format!("{}\n", error);
        response::encode(
            &Response::text(error.status(), body),
            framing,
            &date::now(),
            &mut out,
        );
        let _ = self.write_all(&out);
        if let Some(ctx) = gently {
            let long = Permit::take(&ctx.body_waiting, MAX_BODY_WAITING);
            close_gently(&self.stream, long.is_some());
        }
    }

    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        // A zero timeout means "block forever" to the OS; never ask for it.
        let timeout = timeout.max(Duration::from_millis(1));
        if self.read_timeout != Some(timeout) {
            self.stream.set_read_timeout(Some(timeout))?;
            self.read_timeout = Some(timeout);
        }
        Ok(())
    }

    /// Writes all of `bytes` within `WRITE_TIMEOUT` in total: the socket's write timeout bounds
    /// each call, and is narrowed to what is left of the deadline only after a partial write,
    /// so a client that reads a trickle cannot hold the worker for longer either.
    fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let deadline = Instant::now() + WRITE_TIMEOUT;
        let mut narrowed = false;
        let result = loop {
            match self.stream.write(bytes) {
                Ok(n) if n == bytes.len() => break Ok(()),
                Ok(0) => break Err(ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Err(ErrorKind::TimedOut.into());
            }
            narrowed = true;
            if let Err(e) = self.stream.set_write_timeout(Some(left)) {
                break Err(e);
            }
        };
        if narrowed && result.is_ok() {
            self.stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
        }
        result
    }

    /// Reads at most `max` body bytes, appending to `into`, within `BODY_READ_TIMEOUT` and what
    /// is left before `deadline` (the whole body's).
    fn read_body_bytes(
        &mut self,
        into: &mut Vec<u8>,
        max: usize,
        deadline: Instant,
    ) -> Result<(), Failure> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::Io);
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
            _ => Err(Failure::Io),
        }
    }

    /// Reads once, appending to the buffer. `Ok(0)` is end of stream.
    fn read_more(&mut self, timeout: Duration) -> io::Result<usize> {
        self.set_read_timeout(timeout)?;
        let room = MAX_HEAD_BYTES
            .saturating_sub(self.buf.len())
            .clamp(1, READ_CHUNK);
        // Read straight into the buffer's own memory: no copy, and no 8 KiB stack array that
        // would stay resident in every worker's stack.
        let len = self.buf.len();
        self.buf.resize(len + room, 0);
        let result = self.stream.read(&mut self.buf[len..]);
        self.buf.truncate(len + *result.as_ref().unwrap_or(&0));
        let n = result?;
        if n > 0 && self.head_started.is_none() {
            self.head_started = Some(self.accepted.take().unwrap_or_else(Instant::now));
        }
        Ok(n)
    }
}

/// Serves requests on `conn` until it goes quiet, closes, or fails.
pub fn serve(mut conn: Conn, ctx: &Context) -> Next {
    let mut out: Vec<u8> = Vec::new();
    loop {
        let parsed = parse::parse_head(&conn.buf);
        let (head, used) = match parsed {
            Ok(Status::Complete(done)) => done,
            Ok(Status::Partial) => {
                // Nothing more to answer until more bytes come: send what is ready first.
                if flush(&mut conn, &mut out).is_err() {
                    return Next::Close;
                }
                loop {
                    let before = conn.buf.len();
                    match wait_for_bytes(&mut conn, ctx) {
                        Ok(true) if parse::worth_parsing(&conn.buf, before) => break,
                        Ok(true) => {}
                        Ok(false) => return Next::Park(conn),
                        Err(()) => return Next::Close,
                    }
                }
                continue;
            }
            Err(error) => {
                let _ = flush(&mut conn, &mut out);
                conn.refuse(error, Some(ctx));
                return Next::Close;
            }
        };
        conn.buf.drain(..used);
        let keep_alive = match answer(&mut conn, head, ctx, &mut out) {
            Ok(keep_alive) => keep_alive,
            Err(Failure::Refuse(error)) => {
                let _ = flush(&mut conn, &mut out);
                conn.refuse(error, Some(ctx));
                return Next::Close;
            }
            Err(Failure::Io) => {
                // Earlier pipelined answers still go out, if the client is there to take them.
                let _ = flush(&mut conn, &mut out);
                return Next::Close;
            }
        };
        // Bytes already here after this request start the next head: its deadline runs from
        // now, when the server turns to it, not from when another byte happens to arrive.
        let now = Instant::now();
        conn.head_started = (!conn.buf.is_empty()).then_some(now);
        conn.idle_deadline = now + IDLE_TIMEOUT;
        if !keep_alive {
            let _ = flush(&mut conn, &mut out);
            // Pipelined requests after a `close` are unread input: read them away first.
            if conn.buf.is_empty() {
                let _ = conn.stream.shutdown(Shutdown::Write);
            } else {
                close_gently(&conn.stream, false);
            }
            return Next::Close;
        }
        if out.len() >= FLUSH_AT && flush(&mut conn, &mut out).is_err() {
            return Next::Close;
        }
    }
}

/// Why a request could not be answered normally.
enum Failure {
    /// Answer with the error's status and close.
    Refuse(HttpError),
    /// The socket failed or timed out: just close.
    Io,
}

/// Reads the body, runs the function and appends the encoded response to `out`. Returns
/// whether the connection stays open.
fn answer(conn: &mut Conn, head: Head, ctx: &Context, out: &mut Vec<u8>) -> Result<bool, Failure> {
    if head.expect_continue && conn.buf.is_empty() {
        // RFC 9110 §10.1.1: the client waits (the host for 1 s) for this before sending the body.
        out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        flush(conn, out).map_err(|_| Failure::Io)?;
    }
    conn.head_request = Some(head.method == "HEAD");
    let started = ctx.log_requests.then(Instant::now);
    let body = read_body(conn, head.body, ctx, out)?;
    let (path, query) = crate::http::query::split_target(&head.target);
    let request = Request {
        method: head.method,
        path: path.to_string(),
        query: query.to_string(),
        headers: head.headers,
        body,
        ..Request::default()
    };
    let logged = started.map(|at| {
        (
            at,
            request.method.clone(),
            request.path.clone(),
            invocation_id(&request),
        )
    });
    let response = app::respond(&ctx.router, request);
    if let Some((at, method, path, id)) = logged {
        log_request(&method, &path, response.status, at, id.as_deref());
    }
    let framing = Framing {
        head_only: conn.head_request == Some(true),
        keep_alive: head.keep_alive,
        http10: head.version == Version::Http10,
    };
    date::with_now(|date| response::encode(&response, framing, date, out));
    conn.head_request = None;
    Ok(head.keep_alive)
}

fn invocation_id(request: &Request) -> Option<String> {
    request
        .header("x-azure-functions-invocationid")
        .map(str::to_string)
}

/// One line per request on stdout, which the host logs at Information:
/// `GET /api/HelloRust 200 84us id=<invocation id>`.
fn log_request(method: &str, path: &str, status: u16, started: Instant, id: Option<&str>) {
    let micros = started.elapsed().as_micros();
    let id = id.map(|id| format!(" id={id}")).unwrap_or_default();
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{method} {path} {status} {micros}us{id}");
}

/// Reads a whole body; bytes already buffered are used first and any bytes after the body stay
/// buffered for the next request. Before waiting on the socket for the rest, the answers in
/// `out` are sent: a client may wait for them before it sends more. Memory grows with the bytes
/// that arrive, not with what `Content-Length` announces.
fn read_body(
    conn: &mut Conn,
    kind: BodyKind,
    ctx: &Context,
    out: &mut Vec<u8>,
) -> Result<Vec<u8>, Failure> {
    let deadline = Instant::now() + BODY_TIMEOUT;
    match kind {
        BodyKind::None => Ok(Vec::new()),
        BodyKind::Length(len) => {
            let buffered = len.min(conn.buf.len());
            let mut body: Vec<u8> = conn.buf.drain(..buffered).collect();
            if body.len() < len {
                let _permit = wait_for_body(conn, ctx, out)?;
                while body.len() < len {
                    let want = (len - body.len()).min(FLUSH_AT);
                    conn.read_body_bytes(&mut body, want, deadline)?;
                }
            }
            Ok(body)
        }
        BodyKind::Chunked => {
            let mut decoder = ChunkedDecoder::new();
            let mut body = Vec::new();
            let used = decoder
                .decode(&conn.buf, &mut body)
                .map_err(Failure::Refuse)?;
            conn.buf.drain(..used);
            if !decoder.is_done() {
                let _permit = wait_for_body(conn, ctx, out)?;
                let mut chunk = Vec::with_capacity(READ_CHUNK);
                while !decoder.is_done() {
                    chunk.clear();
                    conn.read_body_bytes(&mut chunk, READ_CHUNK, deadline)?;
                    let used = decoder.decode(&chunk, &mut body).map_err(Failure::Refuse)?;
                    // Bytes past the end of the body are the next pipelined request.
                    conn.buf.extend_from_slice(&chunk[used..]);
                }
            }
            Ok(body)
        }
    }
}

/// Before a worker waits on the socket for the rest of a body: the answers already in `out` go
/// out (the client may wait for them), and one of `MAX_BODY_WAITING` permits is taken, or the
/// request is refused 503, so slow uploads cannot hold every worker.
fn wait_for_body<'a>(
    conn: &mut Conn,
    ctx: &'a Context,
    out: &mut Vec<u8>,
) -> Result<Permit<'a>, Failure> {
    flush(conn, out).map_err(|_| Failure::Io)?;
    Permit::take(&ctx.body_waiting, MAX_BODY_WAITING).ok_or(Failure::Refuse(HttpError::Busy))
}

/// Waits a little for more bytes on the worker's own time. `Ok(true)`: bytes arrived;
/// `Ok(false)`: quiet, park it; `Err`: closed or failed.
fn wait_for_bytes(conn: &mut Conn, ctx: &Context) -> Result<bool, ()> {
    let now = Instant::now();
    let expecting = std::mem::replace(&mut conn.expecting, false);
    let result = match conn.head_started {
        // A head under way: wait briefly, never past its deadline.
        Some(start) => {
            let left = (start + HEAD_TIMEOUT).saturating_duration_since(now);
            if left.is_zero() {
                conn.refuse(HttpError::Timeout, Some(ctx));
                return Err(());
            }
            conn.read_more(HEAD_LINGER.min(left))
        }
        // New, or the poller saw bytes: they are there (or coming at once), no need to linger.
        None if expecting => conn.read_more(HEAD_LINGER),
        // Between requests: linger for the next one if few enough workers already do.
        None => {
            let Some(_permit) = Permit::take(&ctx.lingering, MAX_LINGERING) else {
                return Ok(false);
            };
            conn.read_more(LINGER)
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

/// One of a bounded number of permits (to linger on an idle connection, or to wait for the rest
/// of a body), released on drop.
struct Permit<'a>(&'a AtomicUsize);

impl<'a> Permit<'a> {
    fn take(count: &'a AtomicUsize, max: usize) -> Option<Self> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(count))
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn flush(conn: &mut Conn, out: &mut Vec<u8>) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let result = conn.write_all(out);
    out.clear();
    result
}

/// Closes so that the client reads the last response: closing with unread input makes the
/// kernel send a reset that can destroy the response in flight (RFC 9112 §9.6). So stop
/// writing, then read and discard before the socket is dropped: briefly, or with `long` up to
/// `REFUSAL_DRAIN_BYTES` for `REFUSAL_DRAIN_TIME`, enough for a proxy still sending a body the
/// server refused (nginx otherwise turns the 413 into a 502).
pub fn close_gently(stream: &TcpStream, long: bool) {
    let (drain_for, drain_max) = if long {
        (REFUSAL_DRAIN_TIME, REFUSAL_DRAIN_BYTES)
    } else {
        (Duration::from_millis(100), 64 * 1024)
    };
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + drain_for;
    let mut sink = vec![0u8; 64 * 1024];
    let mut drained = 0;
    let mut reader = stream;
    while drained < drain_max {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}
