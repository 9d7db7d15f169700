//! The local host's front door on `127.0.0.1:<port>`: HTTP/1.1 with keep-alive, a thread per
//! connection (at most `MAX_CONNECTIONS`), Kestrel-like timeouts, requests parsed by the
//! handler library's `parse` and `chunked`, answers framed by its `response::encode`.
//!
//! Paths: `/{routePrefix}/{route}` calls a function; `/` is the landing page `func start` serves;
//! `GET /admin/host/status` reports the host running; `POST /admin/functions/{name}` with
//! `{"input": …}` invokes a non-HTTP function (what VS Code's "Execute Function Now" sends).

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use handler::azure::json::{self, Value};
use handler::http::chunked::ChunkedDecoder;
use handler::http::error::HttpError;
use handler::http::parse::{self, BodyKind, Field, Status, Version};
use handler::http::query::split_target;
use handler::http::response::{self, Framing, Response};

use crate::host::{Host, Incoming, Mode, HOST_VERSION};
use crate::proxy;

/// Open client connections at most; past it a new one gets 503 and is closed.
pub const MAX_CONNECTIONS: usize = 256;

/// An idle keep-alive connection is closed after this long (Kestrel's `KeepAliveTimeout`).
pub const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(130);

/// A request head must arrive within this time of its first byte (Kestrel's
/// `RequestHeadersTimeout`).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Each read of a request body, and each write of a response, must progress within this time.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// After `accept` fails (out of file descriptors), the loop pauses this long.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves connections forever.
pub fn serve(listener: TcpListener, host: Arc<Host>) -> ! {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(_) => {
                thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };
        let taken = open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_CONNECTIONS).then_some(n + 1)
        });
        if taken.is_err() {
            refuse(stream);
            continue;
        }
        let slot = Slot(Arc::clone(&open));
        let host = Arc::clone(&host);
        let spawned = thread::Builder::new()
            .name("connection".into())
            .spawn(move || {
                let _slot = slot;
                serve_connection(&host, stream);
            });
        // No thread (out of memory or threads): the connection is dropped, and closed.
        drop(spawned);
    }
}

/// One of the `MAX_CONNECTIONS` slots, given back when the connection ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn refuse(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut out = Vec::new();
    let framing = Framing {
        head_only: false,
        keep_alive: false,
        http10: false,
    };
    let busy = Response::text(503, "Service Unavailable: too many open connections\n");
    response::encode(&busy, framing, &handler::http::date::now(), &mut out);
    let _ = stream.write_all(&out);
    let _ = stream.shutdown(Shutdown::Write);
}

fn serve_connection(host: &Arc<Host>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    if stream.set_write_timeout(Some(IO_TIMEOUT)).is_err() {
        return;
    }
    let mut conn = ServerConn {
        stream,
        buf: Vec::new(),
    };
    // One request per turn, until the client or a response closes the connection.
    loop {
        let head = match conn.read_head() {
            ReadHead::Head(head) => head,
            ReadHead::Closed => return,
            ReadHead::Invalid(error) => {
                conn.refuse(error);
                return;
            }
        };
        if !handle(host, &mut conn, &head) {
            let _ = conn.stream.shutdown(Shutdown::Write);
            return;
        }
    }
}

/// Answers one request; whether the connection stays open.
fn handle(host: &Arc<Host>, conn: &mut ServerConn, head: &Head) -> bool {
    let path = split_target(&head.target).0;
    if let Some((function, params)) = host.route(&head.method, path) {
        if host.mode(function) == Mode::Proxying {
            return proxy::stream(host, function, conn, head);
        }
        let body = match conn.read_whole_body(head) {
            Ok(body) => body,
            Err(e) => return conn.body_failed(e),
        };
        let incoming = Incoming {
            method: head.method.clone(),
            target: head.target.clone(),
            headers: head.headers.clone(),
            body,
            chunked: head.body == BodyKind::Chunked,
        };
        let response = host.call_http(function, &params, &incoming);
        return conn.respond(&response, head, head.keep_alive);
    }
    let body = match conn.read_whole_body(head) {
        Ok(body) => body,
        Err(e) => return conn.body_failed(e),
    };
    let get = matches!(head.method.as_str(), "GET" | "HEAD");
    let response = if get && path == "/" {
        Response::new(200)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(LANDING.as_bytes().to_vec())
    } else if get && path.eq_ignore_ascii_case("/admin/host/status") {
        let status = format!(r#"{{"id":"funchost","state":"Running","version":"{HOST_VERSION}"}}"#);
        Response::json(200, status)
    } else if let Some(name) = path
        .strip_prefix("/admin/functions/")
        .filter(|_| head.method == "POST")
    {
        admin_invoke(host, name, &body)
    } else {
        Response::new(404)
    };
    conn.respond(&response, head, head.keep_alive)
}

const LANDING: &str = "<!DOCTYPE html>\n<html><head><title>funchost</title></head><body>\
<p>Your Functions 4.0 app is up and running (funchost, a local stand-in for the Azure Functions host).</p>\
</body></html>\n";

/// `POST /admin/functions/{name}` with `{"input": …}`: runs a non-HTTP function in the
/// background and answers 202 at once, as the host's admin API does.
fn admin_invoke(host: &Arc<Host>, name: &str, body: &[u8]) -> Response {
    let Some(function) = host.app.function(name).cloned() else {
        return Response::new(404);
    };
    if function.is_http() {
        let path = host.public_path(&function);
        return Response::text(
            400,
            format!("{} is an HTTP function: call {path}\n", function.name),
        );
    }
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match json::parse(body) {
            Ok(value) => value
                .get_ignore_case("input")
                .cloned()
                .unwrap_or(Value::Null),
            Err(e) => return Response::text(400, format!("The body is not JSON: {e}\n")),
        }
    };
    let host = Arc::clone(host);
    let spawned = thread::Builder::new()
        .name("admin-invoke".into())
        .spawn(move || {
            let _ = host.call_trigger(&function, input);
        });
    match spawned {
        Ok(_) => Response::new(202),
        Err(_) => Response::new(500),
    }
}

/// A client connection and the bytes read past the last request.
#[derive(Debug)]
pub struct ServerConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

enum ReadHead {
    Head(Head),
    /// Closed by the client, or idle past the keep-alive timeout.
    Closed,
    Invalid(HttpError),
}

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    Http(HttpError),
    Io(io::Error),
    /// The consumer of the body failed (the handler's side, when streaming).
    Sink(io::Error),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Http(e) => write!(f, "{e}"),
            BodyError::Io(e) | BodyError::Sink(e) => write!(f, "{e}"),
        }
    }
}

impl ServerConn {
    fn read_head(&mut self) -> ReadHead {
        let mut started = (!self.buf.is_empty()).then(Instant::now);
        loop {
            if !self.buf.is_empty() {
                match parse_owned(&self.buf) {
                    Ok(Status::Complete((head, used))) => {
                        self.buf.drain(..used);
                        return ReadHead::Head(head);
                    }
                    Ok(Status::Partial) => {}
                    Err(e) => return ReadHead::Invalid(e),
                }
            }
            let timeout = match started {
                None => KEEP_ALIVE_TIMEOUT,
                Some(at) => HEAD_TIMEOUT.saturating_sub(at.elapsed()),
            };
            if timeout.is_zero() {
                return ReadHead::Invalid(HttpError::Timeout);
            }
            match self.fill(timeout) {
                Ok(0) => return ReadHead::Closed,
                Ok(_) => {
                    started.get_or_insert_with(Instant::now);
                }
                Err(e) if is_timeout(&e) && started.is_some() => {
                    return ReadHead::Invalid(HttpError::Timeout)
                }
                Err(_) => return ReadHead::Closed,
            }
        }
    }

    fn fill(&mut self, timeout: Duration) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(timeout))?;
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Tells a client waiting on `Expect: 100-continue` to send its body.
    pub fn send_continue(&mut self) -> io::Result<()> {
        self.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
    }

    /// The whole body, decoded; `100 Continue` first if the client waits for it.
    pub fn read_whole_body(&mut self, head: &Head) -> Result<Vec<u8>, BodyError> {
        if head.expect_continue {
            self.send_continue().map_err(BodyError::Io)?;
        }
        let mut body = Vec::new();
        self.read_body(head.body, &mut |piece| {
            body.extend_from_slice(piece);
            Ok(())
        })?;
        Ok(body)
    }

    /// Reads a body, handing each decoded piece to `sink` as it arrives. Bytes after it (a
    /// pipelined request) stay buffered.
    pub fn read_body(
        &mut self,
        kind: BodyKind,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(), BodyError> {
        let closed = || {
            BodyError::Io(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the client closed the connection inside the body",
            ))
        };
        match kind {
            BodyKind::None => Ok(()),
            BodyKind::Length(mut left) => {
                while left > 0 {
                    if self.buf.is_empty() && self.fill(IO_TIMEOUT).map_err(BodyError::Io)? == 0 {
                        return Err(closed());
                    }
                    let n = left.min(self.buf.len());
                    sink(&self.buf[..n]).map_err(BodyError::Sink)?;
                    self.buf.drain(..n);
                    left -= n;
                }
                Ok(())
            }
            BodyKind::Chunked => {
                let mut decoder = ChunkedDecoder::new();
                let mut piece = Vec::new();
                loop {
                    if !self.buf.is_empty() {
                        let used = decoder
                            .decode(&self.buf, &mut piece)
                            .map_err(BodyError::Http)?;
                        self.buf.drain(..used);
                        if !piece.is_empty() {
                            sink(&piece).map_err(BodyError::Sink)?;
                            piece.clear();
                        }
                    }
                    if decoder.is_done() {
                        return Ok(());
                    }
                    if self.fill(IO_TIMEOUT).map_err(BodyError::Io)? == 0 {
                        return Err(closed());
                    }
                }
            }
        }
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Writes `response` for the request `head`; whether the connection stays open.
    pub fn respond(&mut self, response: &Response, head: &Head, keep_alive: bool) -> bool {
        let framing = Framing {
            head_only: head.method == "HEAD",
            keep_alive,
            http10: head.version == Version::Http10,
        };
        let mut out = Vec::new();
        response::encode(response, framing, &handler::http::date::now(), &mut out);
        self.write_all(&out).is_ok() && keep_alive
    }

    /// Answers a request that cannot be parsed, and the connection is closed.
    fn refuse(&mut self, error: HttpError) {
        let framing = Framing {
            head_only: false,
            keep_alive: false,
            http10: false,
        };
        let mut out = Vec::new();
        let answer = Response::text(error.status(), format!("{error}\n"));
        response::encode(&answer, framing, &handler::http::date::now(), &mut out);
        let _ = self.write_all(&out);
    }

    fn body_failed(&mut self, error: BodyError) -> bool {
        if let BodyError::Http(e) = error {
            self.refuse(e);
        }
        false
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// A request head with its text owned, from the library's parser (whose head points into the
/// buffer it was parsed from).
#[derive(Debug, Clone)]
pub struct Head {
    pub method: String,
    /// `/path?query`.
    pub target: String,
    pub version: Version,
    pub headers: Vec<(String, String)>,
    pub body: BodyKind,
    pub keep_alive: bool,
    pub expect_continue: bool,
}

fn parse_owned(buf: &[u8]) -> Result<Status<(Head, usize)>, HttpError> {
    let mut fields: Vec<Field> = Vec::new();
    let (head, used) = match parse::parse_head(buf, &mut fields)? {
        Status::Complete(done) => done,
        Status::Partial => return Ok(Status::Partial),
    };
    let path = match head.path.str_of(buf) {
        "" => "/",
        path => path,
    };
    let query = head.query.str_of(buf);
    let target = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let headers = fields
        .iter()
        .map(|f| {
            let value = String::from_utf8_lossy(f.value.of(buf)).into_owned();
            (f.name.str_of(buf).to_string(), value)
        })
        .collect();
    let owned = Head {
        method: head.method.str_of(buf).to_string(),
        target,
        version: head.version,
        headers,
        body: head.body,
        keep_alive: head.keep_alive,
        expect_continue: head.expect_continue,
    };
    Ok(Status::Complete((owned, used)))
}
