//! The HTTP/1.1 server: accepting, the pool of workers and the sweeper, connections, parsing,
//! framing, limits. It serves anything that implements `Handler` and knows nothing of what it
//! serves: the Azure Functions app (`crate::azure`) is one such handler.
//!
//! Bytes flow: `server` accepts, `pool` gives each connection a thread, `conn` reads and writes
//! it, `parse` and `chunked` turn bytes into a `Request` (borrowed from the connection's
//! buffers, no I/O), the `Handler` answers with a `Response`, and `response` frames it.

pub mod chunked;
pub mod conn;
pub mod date;
pub mod error;
pub mod limits;
pub mod parse;
pub mod pool;
pub mod query;
pub mod request;
pub mod response;
pub mod server;

pub use request::{Headers, Request};
pub use response::Response;
pub use server::serve;

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
}
