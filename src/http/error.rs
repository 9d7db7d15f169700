//! The one error type for a request that cannot be served, and the one place that chooses its
//! status code.

use std::fmt;

/// Why a request was refused before (or instead of) reaching a function.
///
/// After any of these the server answers `status()` and closes the connection: once the framing
/// of one request is in doubt, nothing after it on the connection can be trusted
/// (RFC 9112 §11.2, request smuggling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// The request line is not `method SP request-target SP HTTP-version CRLF`.
    RequestLine,
    /// A method that is not a token.
    Method,
    /// A request target that is not origin-form, absolute-form `http(s)://…`, or `*`.
    Target,
    /// `HTTP/x.y` that is not `HTTP/1.0` or `HTTP/1.1`.
    Version,
    /// A malformed header field line: no colon, a bad name, whitespace before the colon
    /// (RFC 9112 §5.1), obs-fold (§5.2), or a NUL or bare CR in a value (RFC 9110 §5.5).
    Header,
    /// HTTP/1.1 without exactly one `Host` header, or one whose value is not a host and port
    /// (RFC 9112 §3.2).
    Host,
    /// `Content-Length` that is not decimal digits, or repeated with different values.
    ContentLength,
    /// Both `Transfer-Encoding` and `Content-Length` (RFC 9112 §6.1: a smuggling attempt), or
    /// `Transfer-Encoding` on HTTP/1.0, or `chunked` not last.
    Framing,
    /// A malformed chunked body: bad chunk size, missing CRLF, bad trailer.
    Chunked,
    /// A transfer coding other than `chunked`.
    UnknownCoding,
    /// `CONNECT`: this server is an origin server and opens no tunnels. A 2xx answer would
    /// tell the client, or a proxy in front, that one is open (RFC 9110 §9.3.6), and it would
    /// then pass bytes through unread that this server still parses as requests; so no
    /// handler sees the method, which gets 501 as one not implemented does (§9.1, §15.6.2).
    Connect,
    /// The request target is longer than `MAX_TARGET_BYTES`.
    TargetTooLong,
    /// The head is larger than `MAX_HEAD_BYTES` or has more than `MAX_HEADERS` fields, or a
    /// chunked body's trailer section is larger than `MAX_TRAILER_BYTES`.
    HeadTooLarge,
    /// The body is larger than `MAX_BODY_BYTES`.
    BodyTooLarge,
    /// The head did not arrive within `HEAD_TIMEOUT`.
    Timeout,
    /// The body stopped arriving for `BODY_READ_TIMEOUT`, or did not all arrive within
    /// `BODY_TIMEOUT`.
    BodyTimeout,
    /// `Expect` with something other than `100-continue`.
    Expectation,
    /// The body has not fully arrived and `MAX_BODY_WAITING` workers already wait on bodies.
    Busy,
    /// A connection past `MAX_CONNECTIONS` (or what the open-file limit allows).
    Overloaded,
    /// A connection that no thread could serve: no worker runs and the system refuses to start
    /// one (`ulimit -u`, a cgroup's `pids.max`).
    NoWorker,
}

impl HttpError {
    /// The status code this error answers with: the only place protocol errors get one.
    pub fn status(self) -> u16 {
        match self {
            HttpError::RequestLine
            | HttpError::Method
            | HttpError::Target
            | HttpError::Header
            | HttpError::Host
            | HttpError::ContentLength
            | HttpError::Framing
            | HttpError::Chunked => 400,
            HttpError::Timeout | HttpError::BodyTimeout => 408,
            HttpError::BodyTooLarge => 413,
            HttpError::TargetTooLong => 414,
            HttpError::Expectation => 417,
            HttpError::HeadTooLarge => 431,
            HttpError::UnknownCoding | HttpError::Connect => 501,
            HttpError::Busy | HttpError::Overloaded | HttpError::NoWorker => 503,
            HttpError::Version => 505,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpError::RequestLine => "malformed request line",
            HttpError::Method => "malformed method",
            HttpError::Target => "malformed request target",
            HttpError::Version => "unsupported HTTP version",
            HttpError::Header => "malformed header field",
            HttpError::Host => "missing, repeated or invalid Host header",
            HttpError::ContentLength => "invalid Content-Length",
            HttpError::Framing => "conflicting message framing",
            HttpError::Chunked => "malformed chunked body",
            HttpError::UnknownCoding => "unsupported transfer coding",
            HttpError::Connect => "CONNECT is not supported",
            HttpError::TargetTooLong => "request target too long",
            HttpError::HeadTooLarge => "request header fields too large",
            HttpError::BodyTooLarge => "request body too large",
            HttpError::Timeout => "request head not received in time",
            HttpError::BodyTimeout => "request body not received in time",
            HttpError::Expectation => "unsupported expectation",
            HttpError::Busy => "too many slow request bodies; retry",
            HttpError::Overloaded => "too many open connections; retry",
            HttpError::NoWorker => "no thread to serve it: the system refuses new ones; retry",
        })
    }
}

impl std::error::Error for HttpError {}
