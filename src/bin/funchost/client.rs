//! The HTTP/1.1 client the host uses to reach the handler, modelled on .NET's `SocketsHttpHandler`
//! defaults (azure-host.md §2): IPv4 loopback only, persistent connections in a pool with no cap
//! on parallel connections, idle connections dropped after 60 s, a request that fails on a
//! reused connection before any answer retried once on a new one, `Expect: 100-continue` waited
//! on for at most 1 s, and responses read with `Content-Length`, chunked or close-delimited
//! framing. Chunked bodies are decoded by the handler library's `ChunkedDecoder`. A `Conn`
//! also reads the body of a request a client sends the front door, when proxying streams it.

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use handler::http::chunked::ChunkedDecoder;
use handler::http::date;
use handler::http::error::HttpError;
use handler::http::limits::MAX_BODY_BYTES;
use handler::http::parse::list_tokens;
use handler::http::request::find_header;
use handler::http::response::{self, is_bodiless, BodyFraming};

use crate::limits::{
    CHUNK_BYTES, EXPECT_CONTINUE_WAIT, MAX_REPLY_BYTES, MAX_REPLY_HEAD_BYTES, POOL_IDLE,
    POOL_MAX_IDLE,
};
use crate::util::lock;

/// A request body and how it is framed on the wire.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// No body and no framing header.
    None,
    /// `Content-Length: n` and the bytes (`Content-Length: 0` for an empty slice).
    Length(&'a [u8]),
    /// `Transfer-Encoding: chunked` and the bytes cut into chunks.
    Chunked(&'a [u8]),
}

/// A request to the handler. `headers` are written in order as given, `Host` included; the
/// framing header comes from `body`.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: Body<'a>,
}

impl Request<'_> {
    fn expects_continue(&self) -> bool {
        !matches!(self.body, Body::None | Body::Length([]) | Body::Chunked([]))
            && self.headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("expect") && v.eq_ignore_ascii_case("100-continue")
            })
    }
}

/// Why a call to the handler failed. The host answers the client 500 for each of these.
#[derive(Debug)]
pub enum Error {
    /// No connection: nothing listens on the port (yet), or the connect failed.
    Connect(io::Error),
    /// The connection failed while sending or receiving.
    Io(io::Error),
    /// The handler closed the connection before a complete response.
    Closed,
    /// No complete response before the deadline.
    Timeout,
    /// Bytes that are not an HTTP/1.x response.
    Protocol(String),
    /// A chunked body that breaks the framing or its limit: from the handler, an invalid
    /// response; from a client (`Conn::over`), a request to refuse with the error's status.
    Chunked(HttpError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect(e) => write!(f, "cannot connect to the handler: {e}"),
            Error::Io(e) => write!(f, "connection to the handler failed: {e}"),
            Error::Closed => write!(f, "the handler closed the connection without a response"),
            Error::Timeout => write!(f, "no response from the handler in time"),
            Error::Protocol(what) => write!(f, "invalid response from the handler: {what}"),
            Error::Chunked(e) => write!(f, "invalid response from the handler: chunked body: {e}"),
        }
    }
}

/// How a body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: a request without one, the answer to a HEAD request, or 1xx, 204, 304.
    Empty,
    Length(usize),
    Chunked,
    /// Read until the handler closes the connection.
    UntilClose,
}

/// A response head.
#[derive(Debug, Clone)]
pub struct Head {
    pub status: u16,
    pub reason: String,
    /// In the order received, names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    pub framing: Framing,
    /// Whether the connection may carry another request after this response's body.
    pub keep_alive: bool,
}

impl Head {
    /// The first value of `name`, ignoring ASCII case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The media type without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .map(handler::http::request::media_type)
    }

    /// This head for a client, with `headers` (of this head's), the body framed as `body`,
    /// encoded by the library as its server encodes a head: `Date` and framing are its own.
    pub fn encode<'h>(
        &self,
        headers: impl Iterator<Item = &'h (String, String)>,
        body: BodyFraming,
        framing: response::Framing,
    ) -> Vec<u8> {
        let headers: Vec<_> = headers
            .map(|(n, v)| (n.as_str().into(), v.as_str().into()))
            .collect();
        let mut out = Vec::new();
        date::with_now(|now| {
            let (status, reason) = (self.status, &self.reason);
            response::encode_head(status, reason, &headers, body, framing, now, &mut out);
        });
        out
    }
}

/// A whole response, body buffered and decoded from its transfer coding.
#[derive(Debug, Clone)]
pub struct Reply {
    pub head: Head,
    pub body: Vec<u8>,
}

/// A connection with its read-ahead buffer: to the handler, or from a client (`Conn::over`).
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Whether any byte of a response arrived since the last request was sent: a request that
    /// fails on a reused connection before that is safe to send again.
    answered: bool,
    /// The longest one read may wait, besides the deadline.
    read_limit: Option<Duration>,
    /// Most bytes of data a chunked body read here may hold (`ChunkedDecoder::with_limit`).
    chunked_limit: usize,
}

/// The connection pool for one handler port.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    idle: Mutex<Vec<(Conn, Instant)>>,
}

impl Client {
    pub fn new(port: u16) -> Client {
        Client {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Sends `request` and reads the whole response before `deadline` (the response to a HEAD
    /// has no body, whatever its headers say).
    pub fn send(&self, request: &Request, deadline: Instant) -> Result<Reply, Error> {
        let head_request = request.method.eq_ignore_ascii_case("HEAD");
        // A pooled connection the handler closed meanwhile fails before any answer: the
        // request is then sent once more on a new connection, as .NET does.
        let mut pooled = self.checkout();
        let (reply, conn) = loop {
            let reused = pooled.is_some();
            let mut conn = match pooled.take() {
                Some(conn) => conn,
                None => self.connect(deadline)?,
            };
            match conn.exchange(request, head_request, deadline) {
                Ok((reply, reusable)) => break (reply, reusable.then_some(conn)),
                Err(e) if reused && !conn.answered && e.is_stale_connection() => {}
                Err(e) => return Err(e),
            }
        };
        if let Some(conn) = conn {
            self.checkin(conn);
        }
        Ok(reply)
    }

    /// A new connection.
    pub fn connect(&self, deadline: Instant) -> Result<Conn, Error> {
        let remaining = remaining(deadline)?;
        let stream = TcpStream::connect_timeout(&self.addr, remaining).map_err(Error::Connect)?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            stream,
            buf: Vec::new(),
            answered: false,
            read_limit: None,
            // A buffered answer is held to `MAX_REPLY_BYTES` as it is read (`finish`), and a
            // proxied one streams through in pieces: the decoder needs no limit of its own. (It
            // had a request body's, and a handler's chunked answers past 8 MiB failed.)
            chunked_limit: usize::MAX,
        })
    }

    /// The most recently used idle connection that is still open, if any.
    pub fn checkout(&self) -> Option<Conn> {
        let mut idle = lock(&self.idle);
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < POOL_IDLE && conn.is_open() {
                return Some(conn);
            }
        }
        None
    }

    /// Returns a connection to the pool after a complete exchange.
    pub fn checkin(&self, mut conn: Conn) {
        conn.answered = false;
        let mut idle = lock(&self.idle);
        idle.retain(|(_, since)| since.elapsed() < POOL_IDLE);
        if idle.len() < POOL_MAX_IDLE {
            idle.push((conn, Instant::now()));
        }
    }

    /// Closes every idle connection (the handler was restarted: they lead nowhere).
    pub fn clear(&self) {
        lock(&self.idle).clear();
    }
}

impl Error {
    /// Failures that a stale pooled connection produces.
    fn is_stale_connection(&self) -> bool {
        match self {
            Error::Closed => true,
            Error::Io(e) => matches!(
                e.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::BrokenPipe
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }
}

impl Conn {
    /// A client's connection, taken over, whose first `leftover` bytes have already been read,
    /// each read on it waiting at most `read_limit`. A chunked request body read from it is
    /// held to the server's `MAX_BODY_BYTES`, as the front door holds every other body.
    pub fn over(stream: TcpStream, leftover: &[u8], read_limit: Option<Duration>) -> Conn {
        Conn {
            stream,
            buf: leftover.to_vec(),
            answered: false,
            read_limit,
            chunked_limit: MAX_BODY_BYTES,
        }
    }

    /// The bytes read and not used: a client's next request, after the one relayed.
    pub fn into_unread(self) -> Vec<u8> {
        self.buf
    }

    /// One request and its response. Returns the reply and whether the connection can be
    /// reused.
    fn exchange(
        &mut self,
        request: &Request,
        head_request: bool,
        deadline: Instant,
    ) -> Result<(Reply, bool), Error> {
        self.answered = false;
        self.write_all(&request_head(request), deadline)?;
        if request.expects_continue() {
            // Wait at most 1 s for `100 Continue` (or an early final answer), then send anyway.
            let wait = deadline.min(Instant::now() + EXPECT_CONTINUE_WAIT);
            match self.read_head(head_request, wait) {
                Ok(head) if head.status != 100 => return self.finish(head, false, deadline),
                Ok(_) => {}
                Err(Error::Timeout) if Instant::now() < deadline => {}
                Err(e) => return Err(e),
            }
        }
        self.write_body(request.body, deadline)?;
        let head = self.read_final_head(head_request, deadline)?;
        self.finish(head, true, deadline)
    }

    fn finish(
        &mut self,
        head: Head,
        body_sent: bool,
        deadline: Instant,
    ) -> Result<(Reply, bool), Error> {
        let mut body = Vec::new();
        self.read_body(head.framing, deadline, &mut |piece| {
            if body.len() + piece.len() > MAX_REPLY_BYTES {
                return Err(io::Error::other("response body too large"));
            }
            body.extend_from_slice(piece);
            Ok(())
        })?;
        // A final answer that came before the body was sent leaves the connection out of step.
        let reusable = head.keep_alive && body_sent && self.buf.is_empty();
        Ok((Reply { head, body }, reusable))
    }

    /// Writes bytes, failing at the deadline.
    pub fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), Error> {
        let remaining = remaining(deadline)?;
        self.stream
            .set_write_timeout(Some(remaining))
            .map_err(Error::Io)?;
        self.stream.write_all(bytes).map_err(|e| match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => Error::Timeout,
            _ => Error::Io(e),
        })
    }

    fn write_body(&mut self, body: Body, deadline: Instant) -> Result<(), Error> {
        match body {
            Body::None => Ok(()),
            Body::Length(bytes) => self.write_all(bytes, deadline),
            Body::Chunked(bytes) => {
                let mut out = Vec::with_capacity(bytes.len() + bytes.len() / CHUNK_BYTES * 8 + 16);
                bytes.chunks(CHUNK_BYTES).for_each(|c| chunk(c, &mut out));
                chunk(&[], &mut out);
                self.write_all(&out, deadline)
            }
        }
    }

    /// Writes one chunk of a chunked body; an empty `piece` ends it.
    pub fn write_chunk(&mut self, piece: &[u8], deadline: Instant) -> Result<(), Error> {
        let mut out = Vec::with_capacity(piece.len() + 16);
        chunk(piece, &mut out);
        self.write_all(&out, deadline)
    }

    /// Reads the next final (non-1xx) response head; interim responses are skipped.
    pub fn read_final_head(
        &mut self,
        head_request: bool,
        deadline: Instant,
    ) -> Result<Head, Error> {
        // A handler could send interim responses forever; a few are plenty.
        for _ in 0..16 {
            let head = self.read_head(head_request, deadline)?;
            if head.status >= 200 || head.status == 101 {
                return Ok(head);
            }
        }
        Err(Error::Protocol("too many interim responses".into()))
    }

    /// Reads one response head (interim or final).
    fn read_head(&mut self, head_request: bool, deadline: Instant) -> Result<Head, Error> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = parse_head(&self.buf[..end], head_request)?;
                self.buf.drain(..end + 4);
                return Ok(head);
            }
            if self.buf.len() > MAX_REPLY_HEAD_BYTES {
                return Err(Error::Protocol("response head too large".into()));
            }
            if self.fill(deadline)? == 0 {
                return Err(if self.buf.is_empty() {
                    Error::Closed
                } else {
                    Error::Protocol("connection closed inside the response head".into())
                });
            }
        }
    }

    /// Reads a body framed as `framing`, handing each decoded piece to `sink` as it arrives.
    /// Bytes after it stay buffered.
    pub fn read_body(
        &mut self,
        framing: Framing,
        deadline: Instant,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(), Error> {
        match framing {
            Framing::Empty => Ok(()),
            Framing::Length(mut left) => {
                while left > 0 {
                    if self.buf.is_empty() && self.fill(deadline)? == 0 {
                        return Err(Error::Protocol("connection closed inside the body".into()));
                    }
                    let n = left.min(self.buf.len());
                    sink(&self.buf[..n]).map_err(Error::Io)?;
                    self.buf.drain(..n);
                    left -= n;
                }
                Ok(())
            }
            Framing::Chunked => {
                let mut decoder = ChunkedDecoder::with_limit(self.chunked_limit);
                let mut piece = Vec::new();
                loop {
                    if !self.buf.is_empty() {
                        let used = decoder
                            .decode(&self.buf, &mut piece)
                            .map_err(Error::Chunked)?;
                        self.buf.drain(..used);
                        if !piece.is_empty() {
                            sink(&piece).map_err(Error::Io)?;
                            piece.clear();
                        }
                    }
                    if decoder.is_done() {
                        return Ok(());
                    }
                    if self.fill(deadline)? == 0 {
                        return Err(Error::Protocol("connection closed inside the body".into()));
                    }
                }
            }
            Framing::UntilClose => loop {
                if !self.buf.is_empty() {
                    sink(&self.buf).map_err(Error::Io)?;
                    self.buf.clear();
                }
                if self.fill(deadline)? == 0 {
                    return Ok(());
                }
            },
        }
    }

    /// Reads more bytes into the buffer; 0 at end of stream.
    fn fill(&mut self, deadline: Instant) -> Result<usize, Error> {
        let remaining = remaining(deadline)?;
        let wait = self
            .read_limit
            .map_or(remaining, |limit| limit.min(remaining));
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(Error::Io)?;
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(n) => {
                self.answered |= n > 0;
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(n)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(Error::Timeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => self.fill(deadline),
            Err(e) => Err(Error::Io(e)),
        }
    }

    /// Whether an idle connection is still open: no end of stream or stray bytes waiting.
    fn is_open(&self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut probe = [0u8; 1];
        let open =
            matches!(self.stream.peek(&mut probe), Err(e) if e.kind() == ErrorKind::WouldBlock);
        open && self.stream.set_nonblocking(false).is_ok()
    }
}

/// Appends `piece` as one chunk: an empty one is the last chunk (`0`, no trailers), which
/// ends the body.
fn chunk(piece: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
    out.extend_from_slice(piece);
    out.extend_from_slice(b"\r\n");
}

fn remaining(deadline: Instant) -> Result<Duration, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Error::Timeout)
    } else {
        Ok(left)
    }
}

/// The request line and headers, with the framing header for the body, and the blank line.
pub fn request_head(request: &Request) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for (name, value) in &request.headers {
        out += &format!("{name}: {value}\r\n");
    }
    match request.body {
        Body::None => {}
        Body::Length(bytes) => out += &format!("Content-Length: {}\r\n", bytes.len()),
        Body::Chunked(_) => out += "Transfer-Encoding: chunked\r\n",
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The tokens of every `name` field of `headers` (`Connection: close, X-A`), lower-cased.
pub fn tokens(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| list_tokens(v.as_bytes()))
        .map(|t| String::from_utf8_lossy(t).to_ascii_lowercase())
        .collect()
}

/// Parses a response head without its final CRLF CRLF.
fn parse_head(bytes: &[u8], head_request: bool) -> Result<Head, Error> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::Protocol("response head is not UTF-8".into()))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let bad_line = || Error::Protocol(format!("status line {status_line:?}"));
    let (version, rest) = status_line.split_once(' ').ok_or_else(bad_line)?;
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(bad_line()),
    };
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_line());
    }
    let status: u16 = code.parse().map_err(|_| bad_line())?;
    if status < 100 {
        return Err(bad_line());
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Error::Protocol(format!("header line {line:?}")))?;
        if name.is_empty() || name.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(Error::Protocol(format!("header name {name:?}")));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let connection = tokens(&headers, "connection");
    let codings = tokens(&headers, "transfer-encoding");
    let length = find_header(&headers, "content-length")
        .map(|v| {
            let first = v.split(',').next().unwrap_or("").trim();
            first
                .parse::<usize>()
                .map_err(|_| Error::Protocol(format!("Content-Length {v:?}")))
        })
        .transpose()?;
    let framing = if head_request || is_bodiless(status) {
        Framing::Empty
    } else if !codings.is_empty() {
        if codings.last().map(String::as_str) == Some("chunked") {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else {
        match length {
            Some(n) if n > MAX_REPLY_BYTES => {
                return Err(Error::Protocol(format!("body of {n} bytes is too large")))
            }
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    let keep_alive = framing != Framing::UntilClose
        && !connection.iter().any(|t| t == "close")
        && (http11 || connection.iter().any(|t| t == "keep-alive"));
    Ok(Head {
        status,
        reason: reason.to_string(),
        headers,
        framing,
        keep_alive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use handler::http::{self, Handler};
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::thread;

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    /// The library's server on a free port, answering with `answer`.
    fn serve(answer: fn(&http::Request) -> http::Response) -> u16 {
        struct Answer(fn(&http::Request) -> http::Response);
        impl Handler for Answer {
            fn handle(&self, req: &http::Request) -> http::Response {
                (self.0)(req)
            }
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || http::serve(listener, Arc::new(Answer(answer))));
        port
    }

    fn request<'a>(method: &'a str, body: Body<'a>) -> Request<'a> {
        let headers = vec![("Host".into(), "127.0.0.1".into())];
        Request {
            method,
            target: "/x",
            headers,
            body,
        }
    }

    #[test]
    fn parses_heads_and_framing() {
        // Each head (without its final CRLF CRLF), whether it answers a HEAD, its framing and
        // whether the connection stays open.
        let cases: &[(&[u8], bool, Framing, bool)] = &[
            (
                b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\nX: a:b",
                false,
                Framing::Length(3),
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close",
                false,
                Framing::Chunked,
                false,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 0",
                false,
                Framing::Length(0),
                false,
            ),
            (b"HTTP/1.1 200", false, Framing::UntilClose, false),
            (
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0",
                false,
                Framing::Length(0),
                true,
            ),
            (
                b"HTTP/1.1 204 No Content\r\nContent-Length: 9",
                false,
                Framing::Empty,
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 9",
                true,
                Framing::Empty,
                true,
            ),
        ];
        for (bytes, head_request, framing, keep_alive) in cases {
            let head = parse_head(bytes, *head_request).unwrap();
            assert_eq!(
                (head.framing, head.keep_alive),
                (*framing, *keep_alive),
                "{bytes:?}"
            );
        }
        let head = parse_head(cases[0].0, false).unwrap();
        assert_eq!((head.status, head.reason.as_str()), (201, "Created"));
        assert_eq!(head.header("x"), Some("a:b"));
        // A body up to MAX_REPLY_BYTES is read; a larger one is refused before it is.
        let length = |n: usize| format!("HTTP/1.1 200 OK\r\nContent-Length: {n}");
        let at_limit = parse_head(length(MAX_REPLY_BYTES).as_bytes(), false);
        assert_eq!(at_limit.unwrap().framing, Framing::Length(MAX_REPLY_BYTES));
        let over = parse_head(length(MAX_REPLY_BYTES + 1).as_bytes(), false);
        assert!(matches!(over, Err(Error::Protocol(_))), "{over:?}");
        let bad: [&[u8]; 6] = [
            b"HTTP/2 200 OK",
            b"HTTP/1.1 20 OK",
            b"HTTP/1.1 2000 OK",
            b"HTTP/1.1 200 OK\r\nno colon",
            b"HTTP/1.1 200 OK\r\n: no name",
            b"junk",
        ];
        for bytes in bad {
            let parsed = parse_head(bytes, false);
            assert!(matches!(parsed, Err(Error::Protocol(_))), "{bytes:?}");
        }
    }

    #[test]
    fn writes_request_heads_and_chunks() {
        let mut request = request("GET", Body::None);
        assert_eq!(
            request_head(&request),
            b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        );
        request.body = Body::Length(b"");
        let head = String::from_utf8(request_head(&request)).unwrap();
        assert!(head.ends_with("Content-Length: 0\r\n\r\n"));
        request.body = Body::Chunked(b"x");
        let head = String::from_utf8(request_head(&request)).unwrap();
        assert!(head.ends_with("Transfer-Encoding: chunked\r\n\r\n"));
        let mut out = Vec::new();
        chunk(&[b'x'; 26], &mut out);
        chunk(&[], &mut out);
        assert_eq!(
            out,
            format!("1a\r\n{}\r\n0\r\n\r\n", "x".repeat(26)).as_bytes()
        );
    }

    #[test]
    fn reuses_connections_and_sends_chunked_bodies() {
        let port = serve(|req| {
            let chunked = req.header("transfer-encoding").is_some();
            let body = format!("{} {} bytes chunked={chunked}", req.method, req.body.len());
            http::Response::text(200, body)
        });
        let client = Client::new(port);
        let pooled = || {
            let idle = client.idle.lock().unwrap();
            idle.iter()
                .map(|(conn, _)| conn.stream.local_addr().unwrap())
                .collect::<Vec<_>>()
        };
        let reply = client
            .send(&request("GET", Body::None), deadline())
            .unwrap();
        assert_eq!(
            (reply.head.status, reply.body.as_slice()),
            (200, &b"GET 0 bytes chunked=false"[..])
        );
        let first = pooled();
        assert_eq!(first.len(), 1);
        let body = [b'x'; CHUNK_BYTES + 1];
        let body: &'static [u8] = Box::leak(Box::new(body));
        let reply = client
            .send(&request("POST", Body::Chunked(body)), deadline())
            .unwrap();
        assert_eq!(reply.body, b"POST 4097 bytes chunked=true");
        assert_eq!(pooled(), first, "both requests on one connection");
    }

    #[test]
    fn refused_connections_are_connect_errors() {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = Client::new(port)
            .send(&request("GET", Body::None), deadline())
            .unwrap_err();
        assert!(matches!(error, Error::Connect(_)), "{error:?}");
    }

    /// A handler played by hand: `script` runs on the listener's thread (a free port).
    fn by_hand(script: impl FnOnce(TcpListener) + Send + 'static) -> (u16, thread::JoinHandle<()>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        (port, thread::spawn(move || script(listener)))
    }

    /// Reads one request head, up to its blank line, and returns it (failing after 10 s).
    fn read_request_head(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed inside a head");
            head.push(byte[0]);
        }
        String::from_utf8(head).unwrap()
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    fn expecting<'a>(body: Body<'a>, expect: &str) -> Request<'a> {
        let mut request = request("POST", body);
        request.headers.push(("expect".into(), expect.into()));
        request
    }

    #[test]
    fn only_a_request_with_a_body_waits_for_100_continue() {
        assert!(expecting(Body::Length(b"x"), "100-Continue").expects_continue());
        assert!(expecting(Body::Chunked(b"x"), "100-continue").expects_continue());
        for body in [Body::None, Body::Length(b""), Body::Chunked(b"")] {
            assert!(
                !expecting(body, "100-continue").expects_continue(),
                "{body:?}"
            );
        }
        assert!(!expecting(Body::Length(b"x"), "200-ok").expects_continue());
        let mut other = request("POST", Body::Length(b"x"));
        other
            .headers
            .push(("X-Expect".into(), "100-continue".into()));
        assert!(!other.expects_continue());
    }

    /// `Expect: 100-continue`: the body waits for `100 Continue`, and is sent anyway when none
    /// comes within `EXPECT_CONTINUE_WAIT`; a final answer instead of it is the reply, and the
    /// connection, out of step (the body was never sent), is not pooled.
    #[test]
    fn a_body_waits_for_100_continue_or_for_a_second() {
        let body_waits = |stream: &mut TcpStream| {
            stream
                .set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let early = stream.read(&mut [0u8; 8]);
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            matches!(early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
        };
        let (port, handler) = by_hand(move |listener| {
            let (mut stream, _) = listener.accept().unwrap();
            // Answered 100: the body comes after it, not before.
            read_request_head(&mut stream);
            assert!(body_waits(&mut stream), "the body came before 100 Continue");
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
            let mut body = [0u8; 4];
            stream.read_exact(&mut body).unwrap();
            assert_eq!(&body, b"data");
            stream.write_all(OK).unwrap();
            // No 100: the body comes all the same.
            read_request_head(&mut stream);
            stream.read_exact(&mut body).unwrap();
            stream.write_all(OK).unwrap();
            // A final answer at once: the reply, and the body never follows.
            read_request_head(&mut stream);
            stream
                .write_all(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        });
        let client = Client::new(port);
        let request = expecting(Body::Length(b"data"), "100-continue");
        for _ in 0..2 {
            let reply = client.send(&request, deadline()).unwrap();
            assert_eq!(
                (reply.head.status, reply.body.as_slice()),
                (200, &b"ok"[..])
            );
        }
        let reply = client.send(&request, deadline()).unwrap();
        assert_eq!(reply.head.status, 417);
        assert!(client.idle.lock().unwrap().is_empty(), "pooled out of step");
        handler.join().unwrap();
    }

    /// Interim answers (`103 Early Hints`, a stray `100`) are skipped for the final one.
    #[test]
    fn interim_answers_are_skipped() {
        let (port, handler) = by_hand(|listener| {
            let (mut stream, _) = listener.accept().unwrap();
            read_request_head(&mut stream);
            let interim =
                b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n";
            stream.write_all(interim).unwrap();
            stream.write_all(OK).unwrap();
        });
        let reply = Client::new(port)
            .send(&request("GET", Body::None), deadline())
            .unwrap();
        assert_eq!(
            (reply.head.status, reply.body.as_slice()),
            (200, &b"ok"[..])
        );
        handler.join().unwrap();
    }

    /// A pooled connection the handler closes as the next request comes (at its idle timeout)
    /// fails before any answer: the request goes again on a new connection, as .NET's does.
    /// Closed with the request unread, it is reset instead of ended.
    #[test]
    fn a_request_on_a_connection_closed_meanwhile_is_sent_again() {
        for reset in [false, true] {
            let (port, handler) = by_hand(move |listener| {
                let (mut first, _) = listener.accept().unwrap();
                read_request_head(&mut first);
                first.write_all(OK).unwrap();
                if reset {
                    first.peek(&mut [0u8]).unwrap();
                } else {
                    read_request_head(&mut first);
                }
                drop(first);
                let (mut second, _) = listener.accept().unwrap();
                read_request_head(&mut second);
                second.write_all(OK).unwrap();
            });
            let client = Client::new(port);
            for call in 0..2 {
                let reply = client.send(&request("GET", Body::None), deadline());
                let reply = reply.unwrap_or_else(|e| panic!("reset {reset}, call {call}: {e:?}"));
                assert_eq!(reply.body, b"ok");
            }
            handler.join().unwrap();
        }
    }

    /// The pool keeps what a later call can use: connections still open and idle less than
    /// `POOL_IDLE`, at most `POOL_MAX_IDLE` of them, and none after `clear` (a restart).
    #[test]
    fn the_pool_keeps_open_recent_connections_up_to_its_bound() {
        let port = serve(|_| http::Response::text(200, "ok"));
        let client = Client::new(port);
        let idle = || client.idle.lock().unwrap().len();
        let connect = || client.connect(deadline()).unwrap();
        let conns: Vec<Conn> = (0..=POOL_MAX_IDLE).map(|_| connect()).collect();
        conns.into_iter().for_each(|conn| client.checkin(conn));
        assert_eq!(idle(), POOL_MAX_IDLE);
        client.clear();
        assert_eq!(idle(), 0);
        let old = Instant::now()
            .checked_sub(POOL_IDLE)
            .expect("a minute since boot");
        client.idle.lock().unwrap().push((connect(), old));
        assert!(client.checkout().is_none(), "idle past POOL_IDLE");
        client.idle.lock().unwrap().push((connect(), old));
        client.checkin(connect());
        assert_eq!(idle(), 1, "the old one is dropped when another comes back");
        assert!(client.checkout().is_some());
    }

    /// A handler that does not take the body: the write fails at the deadline, as a timeout.
    #[test]
    fn a_body_the_handler_does_not_take_times_out() {
        let (port, handler) = by_hand(|listener| {
            let (stream, _) = listener.accept().unwrap();
            thread::sleep(Duration::from_secs(2));
            drop(stream);
        });
        let body = vec![b'x'; 32 << 20];
        let soon = Instant::now() + Duration::from_millis(300);
        let error = Client::new(port)
            .send(&request("POST", Body::Length(&body)), soon)
            .unwrap_err();
        assert!(matches!(error, Error::Timeout), "{error:?}");
        handler.join().unwrap();
    }

    /// A response head may hold `MAX_REPLY_HEAD_BYTES` before its blank line, not one more.
    #[test]
    fn a_reply_head_is_read_up_to_its_limit() {
        let (port, handler) = by_hand(|listener| {
            for extra in [0, 1] {
                let (mut stream, _) = listener.accept().unwrap();
                read_request_head(&mut stream);
                let mut head = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
                head.resize(MAX_REPLY_HEAD_BYTES + extra, b'a');
                stream.write_all(&head).unwrap();
                // The rest once the client has read up to the limit.
                thread::sleep(Duration::from_millis(100));
                let _ = stream.write_all(b"\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        let call = || Client::new(port).send(&request("GET", Body::None), deadline());
        assert_eq!(call().map(|r| r.body).ok(), Some(b"ok".to_vec()));
        let over = call().unwrap_err();
        assert!(
            matches!(&over, Error::Protocol(why) if why == "response head too large"),
            "{over:?}"
        );
        handler.join().unwrap();
    }

    /// A body framed by the close is all that comes before it, in however many pieces.
    #[test]
    fn a_body_until_the_close_is_read_whole() {
        let (port, handler) = by_hand(|listener| {
            let (mut stream, _) = listener.accept().unwrap();
            read_request_head(&mut stream);
            stream.write_all(b"HTTP/1.1 200 OK\r\n\r\nfirst ").unwrap();
            thread::sleep(Duration::from_millis(50));
            stream.write_all(b"second").unwrap();
        });
        let reply = Client::new(port)
            .send(&request("GET", Body::None), deadline())
            .unwrap();
        assert_eq!(reply.body, b"first second");
        handler.join().unwrap();
    }

    /// A request whose answer had begun is never sent again, even when the connection then
    /// fails as a stale one would: the handler may have run it (a POST that wrote a message).
    #[test]
    fn a_request_answered_in_part_is_not_sent_again() {
        let (port, handler) = by_hand(|listener| {
            let (mut stream, _) = listener.accept().unwrap();
            read_request_head(&mut stream);
            stream.read_exact(&mut [0u8; 4]).unwrap();
            stream.write_all(OK).unwrap();
            read_request_head(&mut stream);
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\npart")
                .unwrap();
            thread::sleep(Duration::from_millis(200));
            // Closed with the request's body unread: reset.
            drop(stream);
            listener.set_nonblocking(true).unwrap();
            thread::sleep(Duration::from_millis(300));
            assert!(listener.accept().is_err(), "the request was sent again");
        });
        let client = Client::new(port);
        let reply = client.send(&request("POST", Body::Length(b"data")), deadline());
        assert_eq!(reply.unwrap().body, b"ok");
        let again = client.send(&request("POST", Body::Length(b"data")), deadline());
        let error = again.unwrap_err();
        assert!(
            matches!(&error, Error::Io(e) if e.kind() == ErrorKind::ConnectionReset),
            "{error:?}"
        );
        handler.join().unwrap();
    }

    /// A connection the handler has closed is not handed out of the pool.
    #[test]
    fn a_closed_connection_is_not_checked_out() {
        let (port, handler) = by_hand(|listener| drop(listener.accept().unwrap()));
        let client = Client::new(port);
        client.checkin(client.connect(deadline()).unwrap());
        handler.join().unwrap();
        let closed = Instant::now() + Duration::from_secs(5);
        // Until the close arrives the connection is open, and goes back.
        while let Some(conn) = client.checkout() {
            assert!(Instant::now() < closed, "a closed connection is handed out");
            thread::sleep(Duration::from_millis(10));
            client.checkin(conn);
        }
    }

    #[test]
    fn a_close_before_any_answer_is_reported() {
        // The library's server closes a connection whose handler panics, without an answer.
        let port = serve(|_| panic!("no answer"));
        let error = Client::new(port)
            .send(&request("GET", Body::None), deadline())
            .unwrap_err();
        assert!(matches!(error, Error::Closed), "{error:?}");
    }
}
