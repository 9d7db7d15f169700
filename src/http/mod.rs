//! The HTTP/1.1 server: accepting, the pool of workers and the sweeper, connections, parsing,
//! framing, limits. It serves anything that implements `Handler` and knows nothing of what it
//! serves: the Azure Functions app (`crate::azure`) is one such handler.
//!
//! Bytes flow: `server` accepts, `pool` gives each connection a thread, `conn` reads and writes
//! it, `parse` and `chunked` turn bytes into a `Request` (borrowed from the connection's
//! buffers, no I/O), the `Handler` answers with a `Response`, and `response` frames it.
// Every public item says what it is: function authors and handler writers read these docs
// (your own functions, in `functions/`, are free of this).
#![warn(missing_docs)]

pub mod chunked;
mod conn;
pub mod date;
pub mod error;
pub mod limits;
pub mod parse;
mod pool;
pub mod query;
pub mod request;
pub mod response;
mod server;

use std::net::TcpStream;

use crate::http::parse::BodyKind;

pub use request::{Headers, Request};
pub use response::Response;
pub use server::{listen, serve, unused_port};

/// Says on stderr what went wrong in the server itself, as Unix tools do: `<program>: <what>`.
/// It knows nothing of what it serves, so the name is the executable's (`handler`, `funchost`).
/// A line stderr does not take is lost, not a panic (`eprintln!` panics when the pipe's reader
/// has gone): the server goes on whoever reads its log.
fn complain(what: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let program = std::env::args_os().next().map(std::path::PathBuf::from);
    let name = program.as_deref().and_then(std::path::Path::file_name);
    let _ = writeln!(
        std::io::stderr(),
        "{}: {what}",
        name.map_or("server".into(), |n| n.to_string_lossy())
    );
}

/// What the server serves: one request in, one response out (Go's `http.Handler`, hyper's
/// `Service`). The server has already parsed the head and read the whole body, and it owns the
/// framing: `Content-Length`, `Connection` and `Date` are its own, whatever the response says.
///
/// `handle` runs on the server's threads, several at once, and should not block for long: a
/// request answered by the sweeper holds up other connections until the watchdog relieves it
/// (`limits::SWEEP_STALL`). A panic in `handle` closes the connection without an answer; a
/// handler that wants a 500 instead catches its own.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request.
    fn handle(&self, req: &Request<'_>) -> Response;

    /// Whether to serve the request of `head` with `take_over` instead of `handle`. Asked once
    /// its head has parsed, before its body is read (`head.body` is empty); asked again by the
    /// worker a sweeper hands the request to, so the answer must depend on the head alone.
    /// Never, by default.
    fn takes_over(&self, head: &Request<'_>) -> bool {
        let _ = head;
        false
    }

    /// Serves a request on its connection, itself (Go's `Hijacker`), for a handler that must
    /// stream, such as a proxy: it reads the body from `conn` and writes the whole response,
    /// framing included (`response::encode_head` writes a head). Runs on a worker, which it
    /// holds until it returns. The server has already answered every request before this one
    /// on the connection, and checked the head against its limits.
    ///
    /// Returns what becomes of the connection. `Handback::Close` (the default) closes it, so
    /// the response should say `Connection: close`. `Handback::KeepAlive` gives it back to the
    /// server for the client's next request: only when `conn.keep_alive` and the body has been
    /// read to its end and the response written whole, neither delimited by the close.
    fn take_over(&self, head: &Request<'_>, conn: Takeover<'_>) -> Handback {
        let _ = (head, conn);
        Handback::Close
    }
}

/// What becomes of a connection after `Handler::take_over`.
#[derive(Debug, PartialEq, Eq)]
pub enum Handback {
    /// The server closes it, once it has read away what the client still sends (up to
    /// `limits::REFUSAL_DRAIN_TIME`), so that a body the handler left unread does not reset
    /// the answer away.
    Close,
    /// The server serves the client's next request on it, which starts with these bytes: those
    /// the handler read past the end of the body (at most `limits::MAX_HEAD_BYTES` plus
    /// `limits::READ_CHUNK`, or the server closes it instead). The server's timeouts apply
    /// again, whatever the handler set.
    KeepAlive(Vec<u8>),
}

/// A connection a handler has taken over (`Handler::take_over`), just after a request's head.
#[derive(Debug)]
pub struct Takeover<'a> {
    /// The client's connection, blocking, with read timeout `limits::BODY_READ_TIMEOUT` and
    /// write timeout `limits::WRITE_TIMEOUT` until the handler sets others.
    pub stream: &'a TcpStream,
    /// The bytes that arrived after the head: the start of the body, or all of it.
    pub leftover: &'a [u8],
    /// How the body is framed, as the head says (already checked against `MAX_BODY_BYTES`).
    pub body: BodyKind,
    /// The client sent `Expect: 100-continue` and waits for `100 Continue` before its body.
    pub expect_continue: bool,
    /// The client will send more requests on the connection (HTTP/1.1 without
    /// `Connection: close`, or HTTP/1.0 with `keep-alive`), if the handler gives it back.
    pub keep_alive: bool,
}
