//! One connection: read bytes, parse, answer, repeat while the client keeps the connection and
//! keeps sending. This module and `server`/`pool` are the only ones that touch sockets.
//!
//! A connection is served in one of two roles (`Role`). A **worker** holds it in blocking mode:
//! it may wait a little for the next request (lingering) and waits for bodies. The **sweeper**
//! holds many connections in non-blocking mode and serves each request that has arrived, never
//! waiting on a client: whatever would wait (a body still arriving, an error to answer and
//! drain) it hands to a worker as it is. When a connection goes quiet, `serve` hands it back
//! to be swept, so an idle or slow client never holds a worker.
//!
//! Buffers belong to the thread, not the connection (`Scratch`): a request is parsed and
//! answered in place, borrowing from them, and a quiet connection keeps only the bytes of a
//! request that has started to arrive.
//!
//! Deadlines: a new connection must start its first request within `HEAD_TIMEOUT`, and every
//! head must be whole `HEAD_TIMEOUT` after its first byte; a body must keep flowing (each read
//! within `BODY_READ_TIMEOUT`); between requests a connection may idle for `IDLE_TIMEOUT`.
//!
//! Writes never wait long on a client: a worker's waits at most `WRITE_STALL`, the sweeper's not
//! at all. Answers the client does not take stay with the connection (`Conn::unsent`), which is
//! parked, read no more, and written by the sweeper as the client reads; all within
//! `WRITE_TIMEOUT`, or it is closed. So a client that sends and does not read holds no thread,
//! unless such answers have spent `MAX_UNSENT_BYTES`: then the thread writes an answer out
//! itself, waiting on its client up to `WRITE_TIMEOUT`, rather than cut it short; at most
//! `MAX_WRITE_WAITING` threads at once, past which the connection closes.
//!
//! This file is the state machine (`serve`, `probe`); its parts are child modules: `scratch`
//! (the thread's buffers), `body` (reading a body), `write` (answers out, unsent, drained),
//! `linger` (waiting for more bytes) and `slot` (counted shares of a bound).

use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::date;
use crate::http::error::HttpError;
use crate::http::limits::{
    BODY_READ_TIMEOUT, FLUSH_AT, HEAD_TIMEOUT, IDLE_TIMEOUT, MAX_HEAD_BYTES, PIPELINE_SLICE,
    READ_CHUNK, WRITE_STALL, WRITE_TIMEOUT,
};
use crate::http::parse::{self, Head, Status, Version};
use crate::http::request::Request;
use crate::http::response::{self, Framing, Response};
use crate::http::{Handback, Handler, Takeover};

mod body;
mod linger;
mod scratch;
mod slot;
mod write;

use body::{read_body, Body};
use linger::{wait_for_bytes, Linger};
pub use scratch::Scratch;
use slot::Permit;
pub use slot::Slot;
use write::{flush, flush_before_wait, Drain, Unsent};

/// An open connection, between or during requests.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    /// Bytes received and not yet used while no thread serves the connection: the start of a
    /// head, or pipelined requests. Empty for an idle connection, and unallocated unless the
    /// sweeper has read bytes for it (then kept up to `PENDING_KEEP_BYTES`).
    pending: Vec<u8>,
    /// When the first byte of the head being received arrived: the head deadline runs from it.
    head_started: Option<Instant>,
    /// When the connection is closed if no request starts: `HEAD_TIMEOUT` after it was accepted
    /// (a client connects to send a request), then `IDLE_TIMEOUT` after each response.
    idle_deadline: Instant,
    /// Bytes are expected at once: the connection is new, or was handed over with bytes
    /// waiting, until a read or a parsed head meets the expectation. A worker then reads
    /// without a linger permit, since the read will not wait.
    expecting: bool,
    /// Parked by a lingering worker whose client kept speaking again at once, with more
    /// workers lingering than cores (`Context::may_linger`): the sweeper serves it inline
    /// rather than handing it back.
    quick: bool,
    /// Whether the request being answered is a HEAD, so that even a refusal carries no body
    /// (RFC 9110 §9.3.2); `None` until its head has parsed.
    head_request: Option<bool>,
    /// When the connection was accepted, until its first byte: the first head's deadline runs
    /// from here, so a client cannot wait silently and then trickle.
    accepted: Option<Instant>,
    /// The read timeout currently set on the socket, to skip redundant system calls.
    read_timeout: Option<Duration>,
    /// Whether the socket is in non-blocking mode (swept), to skip redundant system calls.
    nonblocking: bool,
    /// When the connection was accepted or last answered a request.
    active: Instant,
    /// Answers written while the client was not reading, that its socket could not take: the
    /// sweeper writes them as the client reads (`Conn::probe`), and nothing more is read from the
    /// connection until they are out, so they stay at most `FLUSH_AT` plus one response.
    unsent: Option<Unsent>,
    /// Closing with input unread (refused, a takeover's body, requests after a `close`), its
    /// last answer out and its write side shut: what the client still sends is read and
    /// discarded by the sweeper (`Conn::drain`) before it closes, so that closing with unread
    /// input does not reset the answer away (RFC 9112 §9.6), and no worker waits on it. Boxed:
    /// a refusal is rare, and every connection would carry it.
    draining: Option<Box<Drain>>,
    /// Keeps the server's count of open connections; released when the connection is dropped.
    _slot: Slot,
}

/// Who is serving a connection, which decides what happens when the client is not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A worker: blocking reads, with deadlines; may linger for the next request.
    Worker,
    /// The sweeper: non-blocking, never waits on the client.
    Sweeper,
}

/// What to do with a connection after `serve`.
#[derive(Debug)]
pub enum Next {
    /// Quiet: sweep it for more bytes without a worker.
    Park(Conn),
    /// Needs a worker's patience (a body still arriving, a refusal to drain): the sweeper hands
    /// over before it has used any of the request's bytes. Or, from a worker, more requests
    /// are coming while jobs wait with every worker busy: they go to the back of the queue.
    HandOff(Conn),
    /// Done: the client closed, the response said close, or an error.
    Close,
}

/// What a look at a swept connection found.
#[derive(Debug, PartialEq, Eq)]
pub enum Probe {
    /// Bytes arrived (now in the sweeper's `Scratch`), or the client closed: serve it.
    Ready,
    /// Nothing yet, and within its deadlines.
    Waiting,
    /// Its deadline passed or the client left while idle: it has been answered (408 when a
    /// head was under way) and must be dropped.
    Expired,
}

/// What the threads serving connections share: the handler, and the counts that bound how many
/// of them wait on clients.
pub struct Context {
    pub handler: Arc<dyn Handler>,
    /// Workers that have a connection of their own, waiting on it for its next request or
    /// serving what came.
    pub lingering: AtomicUsize,
    /// Workers waiting for the rest of a request body, against `MAX_BODY_WAITING`.
    pub body_waiting: AtomicUsize,
    /// Threads writing an answer that could not wait with its connection, against
    /// `MAX_WRITE_WAITING`.
    write_waiting: AtomicUsize,
    /// Bytes of answers waiting for clients slow to read them, against `MAX_UNSENT_BYTES`.
    unsent_bytes: Arc<AtomicUsize>,
    /// Set while the sweeper keeps finding requests (two rounds in a row served one): the
    /// machine is busy, and a connection is then cheaper to serve by sweeping than by a worker
    /// woken for each request.
    pub sweeper_busy: AtomicBool,
    /// Set by the pool while jobs wait with all `MAX_WORKERS` busy: lingering workers then give
    /// their threads back (`LINGER_CHECK`).
    pub short_of_workers: AtomicBool,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("lingering", &self.lingering)
            .field("body_waiting", &self.body_waiting)
            .field("sweeper_busy", &self.sweeper_busy)
            .field("short_of_workers", &self.short_of_workers)
            .finish_non_exhaustive()
    }
}

impl Context {
    pub fn new(handler: Arc<dyn Handler>) -> Context {
        Context {
            handler,
            lingering: AtomicUsize::new(0),
            body_waiting: AtomicUsize::new(0),
            write_waiting: AtomicUsize::new(0),
            unsent_bytes: Arc::new(AtomicUsize::new(0)),
            sweeper_busy: AtomicBool::new(false),
            short_of_workers: AtomicBool::new(false),
        }
    }
}

impl Conn {
    /// Wraps a freshly accepted stream.
    pub fn new(stream: TcpStream, slot: Slot) -> Conn {
        let now = Instant::now();
        Conn {
            stream,
            pending: Vec::new(),
            head_started: None,
            idle_deadline: now + HEAD_TIMEOUT,
            expecting: true,
            quick: false,
            head_request: None,
            accepted: Some(now),
            read_timeout: None,
            nonblocking: false,
            active: now,
            unsent: None,
            draining: None,
            _slot: slot,
        }
    }

    /// The socket, for an answer at the accept loop; the connection's slot goes with the rest.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    /// Puts the socket in non-blocking (swept) or blocking (worker) mode.
    pub fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        if self.nonblocking != nonblocking {
            self.stream.set_nonblocking(nonblocking)?;
            self.nonblocking = nonblocking;
        }
        Ok(())
    }

    /// How long since the connection was accepted or last answered a request.
    pub fn quiet_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.active)
    }

    /// Whether a worker parked it for being quick (`quick`); asked once.
    pub fn take_quick(&mut self) -> bool {
        std::mem::take(&mut self.quick)
    }

    /// Marks a connection handed to a worker with bytes waiting (or about to be read).
    pub fn expect_bytes(&mut self) {
        self.expecting = true;
    }

    /// Gives a connection that `probe` found ready to a worker as it is: the bytes read so far
    /// go with it.
    pub fn hand_over(&mut self, scratch: &mut Scratch) {
        scratch.store(&mut self.pending);
        self.expecting = true;
    }

    /// Looks at a swept connection without blocking: reads what has arrived into `scratch`.
    /// Bytes that cannot change the answer yet (`parse::worth_parsing`: a head trickling in)
    /// are kept without parsing, so a slow head costs linear time here as on a worker.
    /// A connection with answers its client has not taken writes them first, and is read only
    /// once they are out.
    pub fn probe(&mut self, scratch: &mut Scratch, now: Instant) -> Probe {
        if self.draining.is_some() {
            return self.drain(scratch, now);
        }
        let resumed = self.unsent.is_some();
        if let Some(probe) = self.write_unsent(now) {
            return probe;
        }
        if resumed && !self.pending.is_empty() {
            // Requests waited behind the answers just written: serve them now.
            scratch.load(&mut self.pending);
            return Probe::Ready;
        }
        // Read first: the bytes parked with the connection join only bytes that came.
        let before = self.pending.len();
        let read = self.read_more(scratch, Duration::ZERO);
        if matches!(read, Ok(n) if n > 0) {
            scratch.load(&mut self.pending);
        }
        match read {
            // The client closed: a parked connection holds at most an unfinished head, which
            // can never be answered now, unless it was parked with requests behind its answers.
            Ok(0) if !resumed => return Probe::Expired,
            Ok(n) if n > 0 && parse::worth_parsing(scratch.window(), before) => {
                return Probe::Ready
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            // An error that serving will report.
            Err(_) => return Probe::Ready,
        }
        if resumed && scratch.lo < scratch.hi {
            // Bytes came behind the answers just written: serve them now.
            return Probe::Ready;
        }
        scratch.store(&mut self.pending);
        match self.head_started {
            Some(start) if now >= start + HEAD_TIMEOUT => {
                let pending = std::mem::take(&mut self.pending);
                self.refuse(HttpError::Timeout, &pending);
                Probe::Waiting
            }
            None if now >= self.idle_deadline => Probe::Expired,
            _ => Probe::Waiting,
        }
    }

    /// Whether bytes wait in the socket, unread: looked at without waiting, on a connection
    /// about to close (it is left non-blocking, as the sweeper drains it).
    fn has_input_waiting(&mut self) -> bool {
        let mut byte = [0u8; 1];
        self.set_nonblocking(true).is_err() || matches!(self.stream.peek(&mut byte), Ok(n) if n > 0)
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

    /// Reads once into the window of `scratch`; a blocking socket waits at most `timeout`.
    /// `Ok(0)` is end of stream.
    fn read_more(&mut self, scratch: &mut Scratch, timeout: Duration) -> io::Result<usize> {
        if !self.nonblocking {
            self.set_read_timeout(timeout)?;
        }
        let n = self.stream.read(scratch.room())?;
        scratch.hi += n;
        if n > 0 && self.head_started.is_none() && !only_empty_lines(scratch.window()) {
            self.head_started = Some(self.accepted.take().unwrap_or_else(Instant::now));
        }
        Ok(n)
    }
}

/// Whether `window` holds nothing but empty lines. A server ignores them before a request line
/// (RFC 9112 §2.2), so they start no head and no head deadline: a client may send a CRLF after
/// a body, and timed as a head its idle connection got a 408 after `HEAD_TIMEOUT` instead of
/// lasting `IDLE_TIMEOUT`. They stay in the buffer, counted against `MAX_HEAD_BYTES` when a
/// head comes (or endlessly more of them do).
fn only_empty_lines(window: &[u8]) -> bool {
    parse::leading_empty_lines(window) == window.len()
}

/// Serves requests on `conn` until it goes quiet, closes, or fails, with the buffers of
/// `scratch`, as `role`.
pub fn serve(mut conn: Conn, scratch: &mut Scratch, ctx: &Context, role: Role) -> Next {
    scratch.handling = Duration::ZERO;
    scratch.load(&mut conn.pending);
    if role == Role::Worker && conn.set_nonblocking(false).is_err() {
        return close(scratch);
    }
    debug_assert!(conn.unsent.is_none(), "served before its answers were out");
    let next = serve_requests(&mut conn, scratch, ctx, role);
    match next {
        Ok(Some(handed)) => {
            // Answers already encoded go out before another thread can add to them; those the
            // client does not take wait with the connection, which the sweeper then holds.
            let all_out = flush(&mut conn, &mut scratch.out, ctx);
            scratch.trim();
            scratch.store(&mut conn.pending);
            match (all_out, handed) {
                (Err(()), _) => close(scratch),
                // Answers wait for the client: the sweeper writes them before anything else.
                (Ok(false), _) | (Ok(true), Handed::Park) => Next::Park(conn),
                (Ok(true), Handed::Off) if conn.unsent.is_some() => Next::Park(conn),
                (Ok(true), Handed::Off) => Next::HandOff(conn),
            }
        }
        Ok(None) | Err(()) => {
            scratch.trim();
            if conn.draining.is_some() {
                // Refused: the sweeper reads what the client still sends, then closes.
                (scratch.lo, scratch.hi) = (0, 0);
                scratch.out.clear();
                return Next::Park(conn);
            }
            match &mut conn.unsent {
                // The last answers wait for the client; the connection closes once they are out.
                Some(unsent) if next.is_ok() => {
                    unsent.then_close = true;
                    (scratch.lo, scratch.hi) = (0, 0);
                    Next::Park(conn)
                }
                _ => close(scratch),
            }
        }
    }
}

/// Where a connection goes when its thread stops serving it.
enum Handed {
    Park,
    Off,
}

fn close(scratch: &mut Scratch) -> Next {
    (scratch.lo, scratch.hi) = (0, 0);
    scratch.out.clear();
    Next::Close
}

/// The request loop of `serve`: `Ok(Some(_))` hands the connection on with the window's bytes,
/// `Ok(None)` closes it once answered, `Err(())` closes it at once.
fn serve_requests(
    conn: &mut Conn,
    scratch: &mut Scratch,
    ctx: &Context,
    role: Role,
) -> Result<Option<Handed>, ()> {
    let mut head_wait_until = None;
    let mut linger = Linger::default();
    // When the first request of this call was answered.
    let mut serving_since = None;
    loop {
        let parsed = parse::parse_head(&scratch.buf[scratch.lo..scratch.hi], &mut scratch.fields);
        let (head, used) = match parsed {
            Ok(Status::Complete(done)) => done,
            Ok(Status::Partial) => {
                // Nothing more to answer until more bytes come: send what is ready first.
                if !flush(conn, &mut scratch.out, ctx)? {
                    return Ok(Some(Handed::Park));
                }
                if role == Role::Worker
                    && scratch.lo < scratch.hi
                    && ctx.short_of_workers.load(Ordering::Relaxed)
                    && serving_since.is_some_and(|since: Instant| since.elapsed() >= PIPELINE_SLICE)
                {
                    // Jobs wait with every worker busy, and the client is sending more: one
                    // that keeps its pipeline full would hold this worker for as long as it
                    // sends. Its next requests go to the back of the queue.
                    return Ok(Some(Handed::Off));
                }
                // Bytes that `worth_parsing` let pass unparsed: before the connection goes
                // quiet they are parsed once more, so no answer they hold waits for more bytes.
                let mut unparsed = false;
                loop {
                    let before = scratch.hi - scratch.lo;
                    match wait_for_bytes(
                        conn,
                        scratch,
                        ctx,
                        role,
                        &mut head_wait_until,
                        &mut linger,
                    )? {
                        true if parse::worth_parsing(scratch.window(), before) => break,
                        true => unparsed = true,
                        false if unparsed => break,
                        false => return Ok(Some(Handed::Park)),
                    }
                }
                continue;
            }
            // A refusal drains the connection, which may wait: a worker does it, finding the
            // same error in the same bytes.
            Err(_) if role == Role::Sweeper => return Ok(Some(Handed::Off)),
            Err(error) => {
                // The refusal goes out after every earlier answer, or waits with the bytes
                // that earn it until they are out.
                if !flush(conn, &mut scratch.out, ctx)? {
                    return Ok(Some(Handed::Park));
                }
                let Scratch { buf, lo, hi, .. } = &*scratch;
                conn.refuse(error, &buf[*lo..*hi]);
                return Err(());
            }
        };
        head_wait_until = None;
        // The bytes a hand-over promised have come: after this answer the worker waits for
        // the next request as any worker does, lingering when the policy allows, not with the
        // short read of a connection whose bytes are on their way.
        conn.expecting = false;
        let keep_alive = match answer(conn, scratch, head, used, ctx, role) {
            Ok(Some(keep_alive)) => keep_alive,
            Ok(None) => return Ok(Some(Handed::Off)),
            Err(Failure::Stalled) => {
                conn.head_request = None;
                return Ok(Some(Handed::Park));
            }
            Err(Failure::Refuse(error)) => {
                // As for a head refused: no socket byte of this request was read before
                // the earlier answers were all out, so it can be refused again later.
                if !flush(conn, &mut scratch.out, ctx)? {
                    conn.head_request = None;
                    return Ok(Some(Handed::Park));
                }
                // The request's head has parsed: `head_request` says whether it was a HEAD.
                conn.refuse(error, &[]);
                return Err(());
            }
            Err(Failure::Io) => {
                // Earlier pipelined answers still go out, if the client is there to take them:
                // those it is slow to take close the connection once they are out.
                return match flush(conn, &mut scratch.out, ctx) {
                    Ok(false) => Ok(None),
                    Ok(true) | Err(()) => Err(()),
                };
            }
        };
        // Bytes already here after this request start the next head: its deadline runs from
        // now, when the server turns to it, not from when another byte happens to arrive.
        let now = Instant::now();
        conn.head_started = (!only_empty_lines(scratch.window())).then_some(now);
        conn.idle_deadline = now + IDLE_TIMEOUT;
        conn.active = now;
        if !keep_alive {
            match flush(conn, &mut scratch.out, ctx) {
                Ok(true) => {}
                // The last answers wait for the client: `serve` parks the connection to close
                // once they are out; pipelined requests after the `close` are dropped with it.
                Ok(false) => return Ok(None),
                Err(()) => return Err(()),
            }
            // Closing with input unread would reset the connection, and with it the answer the
            // client has not read yet: bytes after the `close`, read or waiting in the socket,
            // are read away first (RFC 9112 §9.6), as is a body a takeover left unread (it
            // drains already). With nothing unread the close is at once, as nginx's
            // `lingering_close on` decides: a client that asked to close sends no more, and
            // draining every close cost a fifth of the throughput of clients that close each
            // connection.
            if conn.draining.is_none() {
                if scratch.lo == scratch.hi && !conn.has_input_waiting() {
                    let _ = conn.stream.shutdown(Shutdown::Write);
                } else {
                    conn.start_drain();
                }
            }
            return Ok(None);
        }
        if scratch.out.len() >= FLUSH_AT && !flush(conn, &mut scratch.out, ctx)? {
            // The client is not reading its answers: read no more of its requests until it does.
            return Ok(Some(Handed::Park));
        }
        serving_since.get_or_insert(now);
    }
}

/// Why a request could not be answered normally.
enum Failure {
    /// Answer with the error's status and close.
    Refuse(HttpError),
    /// The socket failed or timed out, or the handler panicked: close without an answer.
    Io,
    /// Before the thread could wait on the client (for a body, `100 Continue`, a takeover), the
    /// client stopped taking the answers before this request: they wait with the connection,
    /// which is parked with this request unused, to be served again once they are out.
    Stalled,
}

/// Reads the body of the request whose head (`used` bytes of the window) has parsed, runs the
/// handler and appends the encoded response to `scratch.out`. Returns whether the connection
/// stays open, or `None` when the sweeper must hand the request to a worker: its body has not
/// all arrived.
fn answer(
    conn: &mut Conn,
    scratch: &mut Scratch,
    head: Head,
    used: usize,
    ctx: &Context,
    role: Role,
) -> Result<Option<bool>, Failure> {
    let is_head = head.method.of(scratch.window()) == b"HEAD";
    conn.head_request = Some(is_head);
    // `OPTIONS *` is the server's to answer (see below), never a handler's to take over.
    let asterisk = head.path.of(scratch.window()) == b"*";
    if !asterisk
        && ctx
            .handler
            .takes_over(&Request::new(scratch.window(), &head, &scratch.fields, &[]))
    {
        conn.head_request = None;
        // A takeover waits on the client: the sweeper hands the request to a worker.
        return match role {
            Role::Sweeper => Ok(None),
            Role::Worker => take_over(conn, scratch, &head, used, ctx),
        };
    }
    let (body, after) = match read_body(conn, scratch, &head, used, ctx, role)? {
        Some(found) => found,
        None => {
            conn.head_request = None;
            return Ok(None);
        }
    };
    let Scratch {
        buf,
        lo,
        hi,
        fields,
        body: body_buf,
        out,
        handling,
    } = scratch;
    let window = &buf[*lo..*hi];
    let body = match body {
        Body::InWindow(start, end) => &window[start..end],
        Body::InScratch => &body_buf[..],
    };
    let request = Request::new(window, &head, fields, body);
    let started = Instant::now();
    let response = if request.path == "*" {
        // `OPTIONS *` asks about the server, not a resource (RFC 9110 §9.3.7): the server
        // answers, as Go's does. (The parser refuses `*` with any other method.)
        Response::new(200)
    } else {
        // A handler that panicked gets no answer sent: the connection closes (`Handler`'s
        // contract; the Azure app catches its functions' panics itself and answers 500).
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ctx.handler.handle(&request)
        }))
        .map_err(|_| Failure::Io)?
    };
    // A final status is 200-599 (RFC 9110 §15): a handler's 1xx would leave the client waiting
    // for the real answer, and the next one would be taken for it.
    let response = if (200..=599).contains(&response.status) {
        response
    } else {
        Response::text(500, "Internal Server Error")
    };
    *handling += started.elapsed();
    let framing = Framing {
        head_only: is_head,
        keep_alive: head.keep_alive,
        http10: head.version == Version::Http10,
    };
    date::with_now(|now| response::encode_owned(response, framing, now, out));
    conn.head_request = None;
    // The request's bytes are used; bytes read past a chunked body start the next request.
    *lo = match after {
        Some(end) => *lo + end,
        None => *hi,
    };
    Ok(Some(head.keep_alive))
}

/// Hands the request whose head (`used` bytes of the window) has parsed to `handler`, which
/// takes its connection over, once the answers before it are sent. Returns whether the
/// connection stays open: the handler gave it back, with the bytes it read past the request.
fn take_over(
    conn: &mut Conn,
    scratch: &mut Scratch,
    head: &Head,
    used: usize,
    ctx: &Context,
) -> Result<Option<bool>, Failure> {
    flush_before_wait(conn, &mut scratch.out, ctx)?;
    // A takeover streams: its writes may wait on the client as long as `WRITE_TIMEOUT`, its
    // reads as long as a body's (the last wait's timeout, 10 ms or a minute, says nothing).
    conn.stream
        .set_write_timeout(Some(WRITE_TIMEOUT))
        .map_err(|_| Failure::Io)?;
    conn.set_read_timeout(BODY_READ_TIMEOUT)
        .map_err(|_| Failure::Io)?;
    let window = &scratch.buf[scratch.lo..scratch.hi];
    let takeover = Takeover {
        stream: &conn.stream,
        leftover: &window[used..],
        body: head.body,
        expect_continue: head.expect_continue,
        keep_alive: head.keep_alive,
    };
    let handback = ctx
        .handler
        .take_over(&Request::new(window, head, &scratch.fields, &[]), takeover);
    scratch.lo = scratch.hi;
    match handback {
        // More than a head and a read's worth would outgrow the thread's buffer for good.
        Handback::KeepAlive(mut rest)
            if head.keep_alive && rest.len() <= MAX_HEAD_BYTES + READ_CHUNK =>
        {
            // The handler may have set timeouts of its own: the server's come back.
            conn.read_timeout = None;
            conn.stream
                .set_write_timeout(Some(WRITE_STALL))
                .map_err(|_| Failure::Io)?;
            scratch.load(&mut rest);
            Ok(Some(true))
        }
        _ => {
            // The handler may have answered without reading the whole body (a proxy refusing
            // it): what the client still sends is read away before the close, as after the
            // server's own refusals, or the reset would take the answer with it.
            conn.start_drain();
            Ok(Some(false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::limits::HEAD_LINGER;
    use std::io::Write;
    use std::net::TcpListener;

    pub(super) struct Ok200;
    impl Handler for Ok200 {
        fn handle(&self, _req: &Request<'_>) -> Response {
            Response::text(200, "ok")
        }
    }

    /// `probe` runs on the sweeper with the swept set locked, where the watchdog cannot see it.
    /// Its 408 at the head deadline waited up to WRITE_TIMEOUT for a client that had stopped
    /// reading, stalling every swept connection for 10 s. Found by review.
    #[test]
    fn probe_never_waits_on_a_client_that_does_not_read() {
        let (client, mut conn) = swept();
        // The client reads nothing: answers already sent fill the send buffer.
        let junk = vec![b'x'; 65536];
        for _ in 0..3 {
            while (&conn.stream).write(&junk).is_ok() {}
            std::thread::sleep(Duration::from_millis(50));
        }
        // A head started long ago and never finished: parked with it in `pending`.
        conn.pending = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        conn.head_started = Some(Instant::now() - HEAD_TIMEOUT - Duration::from_secs(1));
        let mut scratch = Scratch::default();
        let started = Instant::now();
        let probe = conn.probe(&mut scratch, Instant::now());
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(100),
            "the sweeper's probe blocked for {took:?}"
        );
        // Answered 408 (what the socket took of it) and draining; closed once the client is.
        assert_eq!(probe, Probe::Waiting);
        assert!(conn.draining.is_some());
        drop(client);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(conn.probe(&mut scratch, Instant::now()), Probe::Expired);
    }

    /// A connection the sweeper handed over with a whole request waited afterwards as a fresh
    /// one's worker does: it lingered for the next request. It kept the flag of a hand-over
    /// instead, so its worker read for 10 ms without a linger permit and parked it, and every
    /// later request of a client pausing longer took a hand-off: 1.8 ms against 0.2 ms at 30 ms
    /// pauses. Found by review.
    #[test]
    fn a_handed_over_connection_lingers_after_its_request() {
        let (mut client, mut conn) = swept();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let request = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
        client.write_all(request).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let mut scratch = Scratch::default();
        assert_eq!(conn.probe(&mut scratch, Instant::now()), Probe::Ready);
        conn.hand_over(&mut scratch);
        let worker = std::thread::spawn(move || {
            let ctx = Context::new(Arc::new(Ok200));
            let mut scratch = Scratch::default();
            conn.set_nonblocking(false).unwrap();
            match serve(conn, &mut scratch, &ctx, Role::Worker) {
                Next::Park(_) => "parked",
                Next::HandOff(_) => "handed off",
                Next::Close => "closed",
            }
        });
        // Well past a hand-over's short read (HEAD_LINGER), well within a linger.
        std::thread::sleep(HEAD_LINGER * 10);
        client.write_all(request).unwrap();
        let mut answers = Vec::new();
        let mut buf = [0u8; 1024];
        while answers.windows(2).filter(|w| w == b"ok").count() < 2 {
            match client.read(&mut buf) {
                Ok(n) if n > 0 => answers.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        let answered = answers.windows(2).filter(|w| w == b"ok").count();
        let _ = client.shutdown(std::net::Shutdown::Write);
        // The worker answered the second request itself, then saw the client close.
        let ended = worker.join().unwrap();
        assert_eq!(
            (answered, ended),
            (2, "closed"),
            "the worker did not linger"
        );
    }

    /// Answers a takeover itself, with timeouts of its own, and gives the connection back.
    struct GivesBack;
    impl Handler for GivesBack {
        fn handle(&self, _req: &Request<'_>) -> Response {
            Response::new(500)
        }
        fn take_over(&self, _head: &Request<'_>, conn: Takeover<'_>) -> Handback {
            let mut stream = conn.stream;
            stream.set_write_timeout(None).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(600)))
                .unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            Handback::KeepAlive(conn.leftover.to_vec())
        }
    }

    /// A connection given back is served with the server's timeouts, whatever the handler set:
    /// with none to write, a worker would wait on a client that does not read for as long as
    /// it pleased, and a body's read would wait the handler's ten minutes.
    #[test]
    fn a_connection_given_back_has_the_servers_timeouts_again() {
        let (mut client, mut conn) = swept();
        conn.set_nonblocking(false).unwrap();
        conn.stream.set_write_timeout(Some(WRITE_STALL)).unwrap();
        // Linux rounds it up to a scheduler tick.
        let stall = conn.stream.write_timeout().unwrap();
        client
            .write_all(b"GET /t HTTP/1.1\r\nHost: h\r\n\r\nGET /next")
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let mut scratch = Scratch::default();
        conn.read_more(&mut scratch, Duration::from_secs(1))
            .unwrap();
        let Ok(Status::Complete((head, used))) =
            parse::parse_head(&scratch.buf[scratch.lo..scratch.hi], &mut scratch.fields)
        else {
            panic!("a head")
        };
        let ctx = Context::new(Arc::new(GivesBack));
        let kept = take_over(&mut conn, &mut scratch, &head, used, &ctx);
        assert!(matches!(kept, Ok(Some(true))), "given back");
        assert_eq!(
            scratch.window(),
            b"GET /next",
            "the bytes given back come next"
        );
        assert_eq!(conn.stream.write_timeout().unwrap(), stall);
        conn.set_read_timeout(BODY_READ_TIMEOUT).unwrap();
        assert_eq!(conn.stream.read_timeout().unwrap(), Some(BODY_READ_TIMEOUT));
    }

    /// With jobs waiting and every worker busy, a worker that has answered a client's pipeline
    /// for `PIPELINE_SLICE` passes the connection on, with the head it has begun to read. It
    /// answered for as long as the client kept the pipeline full: with 64 such clients a new
    /// one waited 1.6 to 9 s (and `clients_that_never_read_hold_no_worker` waited 5-8 s for its
    /// new client while the kernel took the non-readers' requests, and failed under load).
    /// Found by review.
    #[test]
    fn a_worker_short_of_others_passes_a_full_pipeline_on() {
        const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
        for short in [true, false] {
            let (client, conn) = swept();
            // A client that keeps its pipeline full for a second: each write ends a request and
            // begins the next, so the worker always has more coming.
            let mut writer = client.try_clone().unwrap();
            let sender = std::thread::spawn(move || {
                let until = Instant::now() + Duration::from_secs(1);
                let mut sent = writer.write_all(&REQUEST[..9]);
                while sent.is_ok() && Instant::now() < until {
                    sent = writer.write_all(&[&REQUEST[9..], &REQUEST[..9]].concat());
                    std::thread::sleep(Duration::from_millis(1));
                }
                let _ = writer.write_all(&REQUEST[9..]);
                let _ = writer.shutdown(Shutdown::Write);
            });
            let mut reader = client;
            let answers = std::thread::spawn(move || {
                let mut got = Vec::new();
                let _ = reader.read_to_end(&mut got);
                got.windows(12).filter(|w| w == b"HTTP/1.1 200").count()
            });
            let ctx = Context::new(Arc::new(Ok200));
            ctx.short_of_workers.store(short, Ordering::Relaxed);
            let mut scratch = Scratch::default();
            // A client paused past `HEAD_LINGER` (a loaded machine's scheduler will) is parked,
            // as any quiet one is: looked at here as the sweeper would, and served again once
            // it has bytes.
            let mut conn = conn;
            let deadline = Instant::now() + Duration::from_secs(10);
            let handed = 'served: loop {
                let started = Instant::now();
                match serve(conn, &mut scratch, &ctx, Role::Worker) {
                    Next::Park(parked) => conn = parked,
                    Next::HandOff(conn) => break Some((conn, started.elapsed())),
                    Next::Close => break None,
                }
                loop {
                    assert!(Instant::now() < deadline, "the client never finished");
                    match conn.probe(&mut scratch, Instant::now()) {
                        Probe::Ready => break,
                        Probe::Waiting => std::thread::sleep(Duration::from_millis(1)),
                        Probe::Expired => break 'served None,
                    }
                }
                conn.hand_over(&mut scratch);
            };
            match handed {
                Some((conn, took)) if short => {
                    assert!(took >= PIPELINE_SLICE, "passed on after {took:?}");
                    assert!(
                        !conn.pending.is_empty() && REQUEST.starts_with(&conn.pending),
                        "the head begun goes with it: {:?}",
                        conn.pending
                    );
                }
                // With workers to spare, it answers until the client stops.
                None if !short => {}
                handed => panic!(
                    "short of workers: {short}; passed on after {:?}",
                    handed.map(|(_, took)| took)
                ),
            }
            sender.join().unwrap();
            assert!(answers.join().unwrap() > 0);
        }
    }

    /// A client and its connection, accepted and parked (non-blocking), as the sweeper has it.
    pub(super) fn swept() -> (TcpStream, Conn) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().unwrap();
        stream.set_write_timeout(Some(WRITE_TIMEOUT)).unwrap(); // as server.rs does
        let mut conn = Conn::new(
            stream,
            Slot::take(&Arc::new(AtomicUsize::new(0)), 10).unwrap(),
        );
        conn.set_nonblocking(true).unwrap();
        (client, conn)
    }

    #[test]
    fn an_empty_line_after_a_request_starts_no_head() {
        let (mut client, mut conn) = swept();
        let ctx = Context::new(Arc::new(Ok200));
        let mut scratch = Scratch::default();
        // With the request, and later on its own.
        client
            .write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(conn.probe(&mut scratch, Instant::now()), Probe::Ready);
        let Next::Park(mut conn) = serve(conn, &mut scratch, &ctx, Role::Sweeper) else {
            panic!("the connection stays open");
        };
        assert_eq!(conn.head_started, None, "an empty line timed as a head");
        // A lone one, later: nothing to answer yet, and still no head.
        client.write_all(b"\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        if conn.probe(&mut scratch, Instant::now()) == Probe::Ready {
            let Next::Park(parked) = serve(conn, &mut scratch, &ctx, Role::Sweeper) else {
                panic!("the connection stays open");
            };
            conn = parked;
        }
        assert_eq!(conn.head_started, None, "an empty line timed as a head");
        assert_eq!(conn.pending, b"\r\n\r\n");
    }
}
