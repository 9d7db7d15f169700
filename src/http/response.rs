//! What a handler returns, and how the server turns it into bytes. The server owns the framing:
//! `Content-Length`, `Transfer-Encoding`, `Connection` and `Date` are written here and nowhere
//! else.

use std::borrow::Cow;

use crate::http::error::HttpError;
use crate::http::limits::SCRATCH_KEEP_BYTES;
use crate::http::parse::{is_field_value_byte, is_tchar};

/// A handler's answer: a status, its own headers and a body. Framing headers a handler sets
/// (`Content-Length`, `Transfer-Encoding`, `Connection`, ...) are dropped when encoding; but the
/// answer to a HEAD with no body may declare in `Content-Length` the length a GET would get (a
/// proxy that asked with HEAD too has no body to measure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code; its reason phrase is the server's (`reason`).
    pub status: u16,
    /// Header fields in order. Names and values are borrowed when they are constants, such as
    /// the `Content-Type` of `text` and `json`, so those cost no allocation.
    pub headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    /// The content, sent whole after a `Content-Length` (none for HEAD, 1xx, 204 and 304).
    pub body: Vec<u8>,
}

/// The media type of plain-text answers.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

impl Response {
    /// A response with no headers and no body.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `text/plain; charset=utf-8` response.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Response::new(status)
            .constant_header("Content-Type", TEXT_PLAIN)
            .body(body.into().into_bytes())
    }

    /// An `application/json` response; `json` must already be JSON text.
    pub fn json(status: u16, json: impl Into<String>) -> Self {
        Response::new(status)
            .constant_header("Content-Type", "application/json")
            .body(json.into().into_bytes())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let field = (Cow::Owned(name.to_string()), Cow::Owned(value.to_string()));
        self.headers.push(field);
        self
    }

    /// Adds a header whose name and value are constants, without copying them.
    pub fn constant_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers
            .push((Cow::Borrowed(name), Cow::Borrowed(value)));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// The first value of the header `name`, compared ignoring ASCII case.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }
}

/// How the server frames one response on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// The request was HEAD: send the headers a GET would get, and no body.
    pub head_only: bool,
    /// Keep the connection open after this response.
    pub keep_alive: bool,
    /// The client spoke HTTP/1.0, which needs `Connection: keep-alive` to stay open.
    pub http10: bool,
}

/// Whether only the server sets the header `name` (`SERVER_OWNED`): a handler's is dropped.
pub(crate) fn is_server_owned(name: &str) -> bool {
    SERVER_OWNED
        .iter()
        .any(|owned| owned.eq_ignore_ascii_case(name))
}

/// Headers only the server may set: they describe the connection and the framing, which a
/// function cannot know (tiny_http drops the same set).
const SERVER_OWNED: [&str; 9] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// Appends the whole response, head and body, to `out`. `date` is an IMF-fixdate.
pub fn encode(response: &Response, framing: Framing, date: &str, out: &mut Vec<u8>) {
    if sends_body(encode_head_of(response, framing, date, out), framing) {
        out.extend_from_slice(&response.body);
    }
}

/// `encode`, taking the response: into an empty `out`, a body past `SCRATCH_KEEP_BYTES` becomes
/// the encoded answer in its own buffer, the head moved in front of it, instead of being copied
/// after the head. A handler's answer can be as large as it likes; copied, it was held twice
/// while it was encoded (a 24 MiB answer took 48), and `out` past that size is freed after the
/// request anyway (`Scratch::trim`).
pub(crate) fn encode_owned(response: Response, framing: Framing, date: &str, out: &mut Vec<u8>) {
    let empty = out.is_empty();
    let status = encode_head_of(&response, framing, date, out);
    if !sends_body(status, framing) {
        return;
    }
    if !empty || response.body.len() <= SCRATCH_KEEP_BYTES {
        out.extend_from_slice(&response.body);
        return;
    }
    let mut answer = response.body;
    answer.reserve_exact(out.len());
    answer.splice(..0, out.drain(..));
    *out = answer;
}

/// Whether a response of `status` framed so carries its body.
fn sends_body(status: u16, framing: Framing) -> bool {
    !is_bodiless(status) && !framing.head_only
}

/// Appends the head of `encode`'s answer to `out`; its status.
fn encode_head_of(response: &Response, framing: Framing, date: &str, out: &mut Vec<u8>) -> u16 {
    let status = response.status;
    let has_type = start_head(out, status, reason(status), &response.headers, date);
    let bodiless = is_bodiless(status);
    if !bodiless && !has_type && !response.body.is_empty() {
        push_header(out, "Content-Type", "application/octet-stream");
    }
    // RFC 9110 §8.6: a HEAD's answer may say only the length a GET would get.
    let length = if framing.head_only && response.body.is_empty() {
        declared_length(&response.headers).unwrap_or(0)
    } else {
        response.body.len() as u64
    };
    end_head(out, status, BodyFraming::Length(length), framing);
    status
}

/// The length a handler's `Content-Length` declares: the first such field, one decimal number.
fn declared_length(headers: &[(Cow<'_, str>, Cow<'_, str>)]) -> Option<u64> {
    let (_, value) = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))?;
    crate::http::parse::parse_decimal(value.trim().as_bytes())
}

/// Appends the answer to a request refused with `error`: its status and reason as text, and
/// `Connection: close`, since nothing after it on the connection can be trusted.
pub(crate) fn encode_refusal(error: HttpError, head_only: bool, date: &str, out: &mut Vec<u8>) {
    let framing = Framing {
        head_only,
        keep_alive: false,
        http10: false,
    };
    let refusal = Response::text(error.status(), format!("{error}\n"));
    encode(&refusal, framing, date, out);
}

/// How the body that follows a head encoded by `encode_head` is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length`: the body is this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`: the body follows in chunks, the last one empty.
    Chunked,
    /// No length: the body ends when the connection closes (`framing.keep_alive` must be false).
    Close,
}

/// Appends only a response head, for a body the caller writes afterwards as it comes (a proxy
/// streaming an answer): the status line with `reason` (the standard phrase if `reason` is not
/// a valid one), the `headers` a handler may set (as in `encode`), `Date`, the body's framing
/// and `Connection`. `framing.head_only` changes nothing here: a HEAD's answer keeps the length
/// a GET would get, and the caller sends no body.
pub fn encode_head(
    status: u16,
    reason_phrase: &str,
    headers: &[(Cow<'_, str>, Cow<'_, str>)],
    body: BodyFraming,
    framing: Framing,
    date: &str,
    out: &mut Vec<u8>,
) {
    // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ); anything else could
    // split the head.
    let valid = !reason_phrase.is_empty() && reason_phrase.bytes().all(is_field_value_byte);
    let reason_phrase = if valid { reason_phrase } else { reason(status) };
    start_head(out, status, reason_phrase, headers, date);
    end_head(out, status, body, framing);
}

/// The status line, `Date` and the headers that pass through; whether one is `Content-Type`.
fn start_head(
    out: &mut Vec<u8>,
    status: u16,
    reason_phrase: &str,
    headers: &[(Cow<'_, str>, Cow<'_, str>)],
    date: &str,
) -> bool {
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, status.into());
    out.push(b' ');
    out.extend_from_slice(reason_phrase.as_bytes());
    out.extend_from_slice(b"\r\nDate: ");
    out.extend_from_slice(date.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut has_content_type = false;
    for (name, value) in headers {
        if !passes_through(name, value) {
            continue;
        }
        has_content_type |= name.eq_ignore_ascii_case("content-type");
        push_header(out, name, value);
    }
    has_content_type
}

/// The framing headers, `Connection`, and the blank line that ends the head.
fn end_head(out: &mut Vec<u8>, status: u16, body: BodyFraming, framing: Framing) {
    if !is_bodiless(status) {
        match body {
            BodyFraming::Length(len) => {
                out.extend_from_slice(b"Content-Length: ");
                push_decimal(out, len);
                out.extend_from_slice(b"\r\n");
            }
            BodyFraming::Chunked => push_header(out, "Transfer-Encoding", "chunked"),
            BodyFraming::Close => {}
        }
    }
    if !framing.keep_alive {
        push_header(out, "Connection", "close");
    } else if framing.http10 {
        push_header(out, "Connection", "keep-alive");
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal, without the allocation of `to_string`.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Whether a header field a function set goes out, in either mode: not one only the server may
/// set, and well-formed (a token name, a value without control characters but tab), since a CR
/// or LF would split the response and the host throws on other controls.
fn passes_through(name: &str, value: &str) -> bool {
    !is_server_owned(name)
        && !name.is_empty()
        && name.bytes().all(is_tchar)
        && value.bytes().all(is_field_value_byte)
}

/// RFC 9110 §6.4.1: 1xx, 204 and 304 responses never have content.
pub fn is_bodiless(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// The reason phrase for a status code (RFC 9110 §15); clients ignore it, people read it.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `encode_owned` writes the bytes `encode` writes, whether or not it takes the body's
    /// buffer (a large body into an empty `out`).
    #[test]
    fn an_answer_taken_whole_encodes_as_one_copied() {
        const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
        let framing = |head_only, keep_alive| Framing {
            head_only,
            keep_alive,
            http10: false,
        };
        let earlier = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        for len in [0, 7, SCRATCH_KEEP_BYTES, SCRATCH_KEEP_BYTES + 1, 1 << 20] {
            for status in [200, 204, 304, 500] {
                for framing in [
                    framing(false, true),
                    framing(true, true),
                    framing(false, false),
                ] {
                    for before in [&b""[..], earlier] {
                        let response = Response::text(status, "é".repeat(len / 2));
                        let mut copied = before.to_vec();
                        encode(&response, framing, DATE, &mut copied);
                        let mut taken = before.to_vec();
                        encode_owned(response, framing, DATE, &mut taken);
                        assert!(
                            taken == copied,
                            "{len} {status} {framing:?} {}",
                            before.len()
                        );
                    }
                }
            }
        }
    }

    /// A large answer is held once: into an empty `out` it is encoded in the body's own buffer
    /// (given room for the head, that buffer does not even move), not copied after the head.
    #[test]
    fn a_large_answer_is_encoded_in_its_own_buffer() {
        let framing = Framing {
            head_only: false,
            keep_alive: true,
            http10: false,
        };
        let len = SCRATCH_KEEP_BYTES + 1;
        let mut body = Vec::with_capacity(len + 1024);
        body.resize(len, b'x');
        let held = body.as_ptr();
        let mut response = Response::new(200);
        response.body = body;
        let mut out = Vec::new();
        encode_owned(response, framing, "Sun, 06 Nov 1994 08:49:37 GMT", &mut out);
        assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n") && out.ends_with(b"xx"));
        assert_eq!(out.as_ptr(), held, "the body was copied");
    }
}
