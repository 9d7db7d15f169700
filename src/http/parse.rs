//! The request-head parser. It does no I/O: bytes in, and out comes a complete head with the
//! number of bytes it used, a request for more bytes, or a typed error.
//!
//! "Incomplete is not invalid" (httparse): `Partial` means the head has not ended yet, and the
//! caller reads more and calls again with the whole buffer. The caller enforces the deadline;
//! this module enforces the sizes.

use crate::http::error::HttpError;
use crate::http::limits::{
    MAX_BODY_BYTES, MAX_HEADERS, MAX_HEAD_BYTES, MAX_METHOD_BYTES, MAX_TARGET_BYTES,
};

/// The result of parsing bytes that may not yet hold a whole head.
#[derive(Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// A whole head, and how many bytes of the input it used (the body starts there).
    Complete(T),
    /// The head has not ended yet: read more and parse the whole buffer again.
    Partial,
}

/// The protocol version of a request. Responses are always sent as HTTP/1.1 (RFC 9110 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`: the connection closes after the answer unless the request asks to keep it.
    Http10,
    /// `HTTP/1.1`, and any later 1.x, which a server answers as 1.1 (RFC 9110 §2.5).
    Http11,
}

/// How the body of a request is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`.
    None,
    /// `Content-Length` bytes (already checked against `MAX_BODY_BYTES`).
    Length(usize),
    /// `Transfer-Encoding: chunked`, decoded by `chunked::ChunkedDecoder`.
    Chunked,
}

/// Where a piece of the head is: a range of the buffer the head was parsed from. The head
/// borrows nothing, so the buffer can grow (a body arriving) while the request is assembled;
/// `Request` turns spans back into text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        // Heads are at most MAX_HEAD_BYTES (plus leading empty lines, also within it).
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The bytes of `buf` this span covers.
    pub fn of(self, buf: &[u8]) -> &[u8] {
        &buf[self.start as usize..self.end as usize]
    }

    /// The text of `buf` this span covers: parts the parser checked to be ASCII, or a field
    /// value that is UTF-8 (see `Head::values_utf8`); otherwise empty.
    pub fn str_of(self, buf: &[u8]) -> &str {
        std::str::from_utf8(self.of(buf)).unwrap_or_default()
    }

    /// The offsets this span covers.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    fn shifted(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }
}

/// One header field line: its name as sent and its value trimmed of whitespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Field {
    /// The name, in the case it was sent in.
    pub name: Span,
    /// The value, without the whitespace around it.
    pub value: Span,
}

/// A parsed request head, with the framing decisions already made. Its fields are in the
/// `Vec<Field>` given to `parse_head`, in the order received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The method, a token (RFC 9110 §9.1).
    pub method: Span,
    /// The path of the target in origin form, as received; empty for the `/` of an
    /// absolute-form target without a path (`http://host?q`), which is reduced to its path and
    /// query; `*` is kept as is.
    pub path: Span,
    /// The query, without the `?`; empty when there is none.
    pub query: Span,
    /// The protocol version of the request line.
    pub version: Version,
    /// How the body is delimited.
    pub body: BodyKind,
    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    pub keep_alive: bool,
    /// `Expect: 100-continue` on HTTP/1.1: the client waits for `100 Continue` before the body.
    pub expect_continue: bool,
    /// Whether every field value is UTF-8. Values may hold obs-text (RFC 9110 §5.5), which a
    /// reader of text then decodes lossily.
    pub values_utf8: bool,
}

/// Parses one request head from the start of `buf`. Its fields go to `fields`, which is
/// cleared first (the caller keeps one and reuses it, so parsing allocates nothing once it has
/// grown); spans in the head and the fields index `buf`.
///
/// Empty lines before the request line are skipped, as RFC 9112 §2.2 asks of servers, and
/// counted in the bytes used and against `MAX_HEAD_BYTES`.
///
/// Errors are found in the order the bytes arrive: the request line, then each field line, then
/// the framing, which needs them all. So any prefix of a request parses as `Partial` or as the
/// error the whole request gives, and a request is refused as soon as its bytes show it is bad,
/// however they were split.
///
/// # Errors
/// The `HttpError` that says what is wrong; the connection must then be closed.
pub fn parse_head(buf: &[u8], fields: &mut Vec<Field>) -> Result<Status<(Head, usize)>, HttpError> {
    fields.clear();
    let start = leading_empty_lines(buf);
    match find_head_end(&buf[start..]) {
        Some(end) if start + end <= MAX_HEAD_BYTES => {
            let head = complete_head(&buf[start..start + end], fields)?;
            for field in fields.iter_mut() {
                field.name = field.name.shifted(start);
                field.value = field.value.shifted(start);
            }
            let head = Head {
                method: head.method.shifted(start),
                path: head.path.shifted(start),
                query: head.query.shifted(start),
                ..head
            };
            Ok(Status::Complete((head, start + end)))
        }
        // Too large: judged on its first MAX_HEAD_BYTES, as if it had arrived slowly.
        Some(_) => {
            check_prefix(&buf[start.min(MAX_HEAD_BYTES)..MAX_HEAD_BYTES], fields)?;
            Err(HttpError::HeadTooLarge)
        }
        None => {
            let limit = buf.len().min(MAX_HEAD_BYTES);
            check_prefix(&buf[start.min(limit)..limit], fields)?;
            if buf.len() >= MAX_HEAD_BYTES {
                return Err(HttpError::HeadTooLarge);
            }
            Ok(Status::Partial)
        }
    }
}

/// Whether a buffer that grew from `before` bytes is worth parsing again.
///
/// The contract: if `buf[..before]` parses as `Partial` and this says no, `buf` parses as
/// `Partial` too. So a caller that parses again only when this says yes answers every split of
/// the bytes into reads as it would answer them whole, and as soon as the bytes allow.
///
/// A head that has not ended changes its answer only when a line ends (the new bytes hold an
/// LF), when it reaches `MAX_HEAD_BYTES`, or while its request line has not ended, at the
/// lengths where that line can be refused before its LF: up to the byte that passes
/// `MAX_METHOD_BYTES` (its first byte included), and around the byte that passes
/// `MAX_TARGET_BYTES` after a method of any allowed length. A CR at the end of that line counts
/// only once the next byte comes, and field lines are judged only once they end. The line
/// starts after the empty lines the buffer starts with; they are recognized by looking back
/// from the new bytes only as far as those lengths reach, so a call costs the new bytes and
/// about 70 more. A head that trickles in byte by byte thus costs linear time here, and is
/// parsed again once per line and about 70 times more, rather than once per byte (hyper's
/// `is_complete_fast`).
pub fn worth_parsing(buf: &[u8], before: usize) -> bool {
    let before = before.min(buf.len());
    if before == 0 || buf.len() >= MAX_HEAD_BYTES || buf[before..].contains(&b'\n') {
        return true;
    }
    // The offsets the request line may start at for the new bytes to be the ones that refuse
    // it: it was at most a longest method and a CR long before...
    let method = before.saturating_sub(MAX_METHOD_BYTES + 1)..before + 1;
    // ...or it was at most a longest method, SP, a longest target and a CR long before, and is
    // now longer than a one-byte method, SP and a longest target.
    let (was, now) = (
        MAX_METHOD_BYTES + MAX_TARGET_BYTES + 2,
        MAX_TARGET_BYTES + 2,
    );
    let target = before.saturating_sub(was)..buf.len().saturating_sub(now).min(before + 1);
    method
        .chain(target)
        .any(|at| request_line_may_start(buf, at))
}

/// Whether the request line of `buf`, a buffer that holds no whole head and whose newest bytes
/// hold no LF, may start at offset `at` and have begun there: `at` is the start of `buf` or
/// follows an empty line that follows the start or another line end (after the request line,
/// such an empty line would have ended the head, so it is one the buffer starts with), no
/// further empty line starts at `at`, and the line is more than a CR that may yet start one.
fn request_line_may_start(buf: &[u8], at: usize) -> bool {
    let after_empty_lines = match at {
        0 => true,
        1 => false,
        2 => buf.starts_with(b"\r\n"),
        _ => buf[at - 3..at] == *b"\n\r\n",
    };
    let line = &buf[at..];
    after_empty_lines && !line.starts_with(b"\r\n") && line != b"\r"
}

/// Whether the request `buf` starts with, after any empty lines, is a HEAD, judged from its
/// first bytes alone: a request refused before its head parses must still be answered without
/// a body if it is one (RFC 9110 §9.3.2).
pub(crate) fn starts_head_request(buf: &[u8]) -> bool {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    buf[start..].starts_with(b"HEAD ")
}

/// The offset just past the first CRLF CRLF, if any.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    // Every CRLF CRLF has an LF at its end: look for LFs (memchr-fast) and check behind each.
    let mut from = 3;
    while from < buf.len() {
        let lf = from + buf[from..].iter().position(|&b| b == b'\n')?;
        if lf >= 3 && &buf[lf - 3..lf] == b"\r\n\r" {
            return Some(lf + 1);
        }
        from = lf + 1;
    }
    None
}

/// How many bytes of `buf` are the empty lines (CRLF) it starts with.
pub(crate) fn leading_empty_lines(buf: &[u8]) -> usize {
    let mut i = 0;
    while buf[i..].starts_with(b"\r\n") {
        i += 2;
    }
    i
}

/// A whole head, ending in CRLF CRLF: the same checks as `check_prefix`, in the same order,
/// then the framing. Spans are relative to `head`.
fn complete_head(head: &[u8], fields: &mut Vec<Field>) -> Result<Head, HttpError> {
    first_byte(head)?;
    // The head ends in CRLF CRLF, so it has a line feed.
    let lf = head
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(head.len() - 1);
    let line = request_line(&head[..=lf])?;
    // The field lines, each with its line end, without the final empty line.
    let values_utf8 = parse_fields(head, lf + 1, head.len() - 2, fields)?;
    let framing = decide_framing(line.version, head, fields)?;
    if let Some(authority) = line.authority {
        host_names(authority, head, fields)?;
    }
    Ok(Head {
        method: line.method,
        path: line.path,
        query: line.query,
        version: line.version,
        body: framing.body,
        keep_alive: framing.keep_alive,
        expect_continue: framing.expect_continue,
        values_utf8,
    })
}

/// Everything that can be refused in a head that has not ended: the first byte, the request
/// line (or, while it has not ended, its method and target lengths), and each field line that
/// has ended.
///
/// A request line that has not ended is judged without a CR at its end: that CR may be the
/// start of its CRLF, which `request_line` strips, so counting it would refuse a method or
/// target one byte short of its limit before the LF shows whether it belongs to the line.
fn check_prefix(rest: &[u8], fields: &mut Vec<Field>) -> Result<(), HttpError> {
    let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
        let line = rest.strip_suffix(b"\r").unwrap_or(rest);
        first_byte(line)?;
        return request_line_lengths(line);
    };
    first_byte(rest)?;
    request_line(&rest[..=lf])?;
    let ended = rest[lf + 1..]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(lf + 1, |i| lf + 1 + i + 1);
    parse_fields(rest, lf + 1, ended, fields).map(drop)
}

/// A first byte that cannot start a method (a TLS handshake, binary noise) is refused at once.
fn first_byte(head: &[u8]) -> Result<(), HttpError> {
    match head.first() {
        Some(&b) if !is_tchar(b) => Err(HttpError::Method),
        _ => Ok(()),
    }
}

/// A request line's parts, as spans of the line.
struct RequestLine {
    method: Span,
    path: Span,
    query: Span,
    version: Version,
    /// The authority of an absolute-form target, which the Host field must name.
    authority: Option<Authority>,
}

/// The authority of an absolute-form target (`host:7071` of `http://host:7071/x`), and the
/// default port of its scheme, which it may leave out.
#[derive(Debug, Clone, Copy)]
struct Authority {
    span: Span,
    default_port: &'static [u8],
}

/// The request line with its line end. Lines end in CRLF (RFC 9112 §2.2): a bare LF would never
/// end the head, so it is refused at once rather than at the head deadline, and a printf or nc
/// user sees the mistake.
fn request_line(line: &[u8]) -> Result<RequestLine, HttpError> {
    let line = &line[..line.len().saturating_sub(1)];
    let (line, bare_lf) = match line.strip_suffix(b"\r") {
        Some(line) => (line, false),
        None => (line, true),
    };
    let parsed = parse_request_line(line)?;
    if bare_lf {
        return Err(HttpError::RequestLine);
    }
    Ok(parsed)
}

/// The lengths of the method and target of a request line, complete or not: refused as soon as
/// they pass their limits, before the line ends.
fn request_line_lengths(line: &[u8]) -> Result<(), HttpError> {
    let Some(space) = line.iter().position(|&b| b == b' ') else {
        return if line.len() > MAX_METHOD_BYTES {
            Err(HttpError::Method)
        } else {
            Ok(())
        };
    };
    if space > MAX_METHOD_BYTES {
        return Err(HttpError::Method);
    }
    let target = &line[space + 1..];
    let target_len = target
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or(target.len());
    if target_len > MAX_TARGET_BYTES {
        return Err(HttpError::TargetTooLong);
    }
    Ok(())
}

/// `request-line = method SP request-target SP HTTP-version` (RFC 9112 §3).
fn parse_request_line(line: &[u8]) -> Result<RequestLine, HttpError> {
    request_line_lengths(line)?;
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::RequestLine);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(HttpError::Method);
    }
    let version = parse_version(version)?;
    // Before its target, which is in authority form (RFC 9112 §3.2.3) and refused below.
    if method == b"CONNECT" {
        return Err(HttpError::Connect);
    }
    let target_at = method.len() + 1;
    let (path, query, authority) = origin_form(target)?;
    // The asterisk form is for OPTIONS alone (RFC 9112 §3.2.4).
    if path.of(target) == b"*" && method != b"OPTIONS" {
        return Err(HttpError::Target);
    }
    Ok(RequestLine {
        method: Span::new(0, method.len()),
        path: path.shifted(target_at),
        query: query.shifted(target_at),
        version,
        authority: authority.map(|a| Authority {
            span: a.span.shifted(target_at),
            ..a
        }),
    })
}

fn parse_version(v: &[u8]) -> Result<Version, HttpError> {
    match v {
        b"HTTP/1.1" => Ok(Version::Http11),
        b"HTTP/1.0" => Ok(Version::Http10),
        // A later 1.x is served as 1.1, the highest minor version here (RFC 9110 §2.5).
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] if minor.is_ascii_digit() => {
            Ok(Version::Http11)
        }
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Err(HttpError::Version)
        }
        _ => Err(HttpError::RequestLine),
    }
}

/// Reduces a request target to origin form (RFC 9112 §3.2): `/path?query` as is, `*` as is,
/// and absolute-form `http://authority/path?query` to its path and query (an empty path is
/// `/`, RFC 9110 §4.2.3, and left empty here). Targets are visible ASCII only: anything else
/// must arrive percent-encoded. The path and query, as spans of `target`, and the authority of
/// an absolute-form target.
fn origin_form(target: &[u8]) -> Result<(Span, Span, Option<Authority>), HttpError> {
    if target.is_empty() || !target.iter().all(|&b| (0x21..=0x7e).contains(&b)) {
        return Err(HttpError::Target);
    }
    // A fragment is the client's business and never sent (RFC 9110 §7.1); drop one if it is.
    let end = target
        .iter()
        .position(|&b| b == b'#')
        .unwrap_or(target.len());
    let target = &target[..end];
    let mut authority = None;
    let start = if target.first() == Some(&b'/') || target == b"*" {
        0
    } else {
        let (scheme, default_port) = [(&b"http://"[..], &b"80"[..]), (b"https://", b"443")]
            .into_iter()
            .find(|(scheme, _)| {
                target.len() > scheme.len() && target[..scheme.len()].eq_ignore_ascii_case(scheme)
            })
            .ok_or(HttpError::Target)?;
        let scheme_len = scheme.len();
        let authority_len = target[scheme_len..]
            .iter()
            .position(|&b| b == b'/' || b == b'?')
            .unwrap_or(target.len() - scheme_len);
        let named = &target[scheme_len..scheme_len + authority_len];
        // No authority; or user information, which a recipient should treat as an error
        // (RFC 9110 §4.2.4): it is a way to smuggle credentials or fool a reader of the URL.
        if named.is_empty() || named.contains(&b'@') {
            return Err(HttpError::Target);
        }
        authority = Some(Authority {
            span: Span::new(scheme_len, scheme_len + authority_len),
            default_port,
        });
        // The path starts where the authority ends: at `end` when the target has no path.
        scheme_len + authority_len
    };
    let (path, query) = match target[start..].iter().position(|&b| b == b'?') {
        Some(q) => (Span::new(start, start + q), Span::new(start + q + 1, end)),
        None => (Span::new(start, end), Span::new(end, end)),
    };
    Ok((path, query, authority))
}

/// Parses the field lines of `head[from..to]`, each ending in CRLF (RFC 9112 §5):
/// `field-name ":" OWS field-value OWS`, appending them to `fields` as spans of `head`.
/// Whether every value is UTF-8.
fn parse_fields(
    head: &[u8],
    from: usize,
    to: usize,
    fields: &mut Vec<Field>,
) -> Result<bool, HttpError> {
    fields.clear();
    let mut utf8 = true;
    let mut at = from;
    for line in head[from..to].split_inclusive(|&b| b == b'\n') {
        let line_at = at;
        at += line.len();
        // A line without its CR (a bare LF) keeps the LF, and the value check refuses it.
        let line = line.strip_suffix(b"\r\n").unwrap_or(line);
        if fields.len() == MAX_HEADERS {
            return Err(HttpError::HeadTooLarge);
        }
        // obs-fold: a line starting with whitespace continues the previous one. RFC 9112 §5.2
        // lets a server reject it with 400, which is safer than unfolding.
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(HttpError::Header)?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        // Also rejects whitespace between the name and the colon (RFC 9112 §5.1: MUST 400).
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(HttpError::Header);
        }
        // NUL, CR and LF are never allowed in a value (RFC 9110 §5.5); nor are other controls
        // except HTAB. obs-text (0x80-0xFF) is kept.
        if !value.iter().all(|&b| is_field_value_byte(b)) {
            return Err(HttpError::Header);
        }
        let (lead, trimmed) = trim_ows(value);
        if !trimmed.is_ascii() {
            utf8 &= std::str::from_utf8(trimmed).is_ok();
        }
        let value_at = line_at + colon + 1 + lead;
        fields.push(Field {
            name: Span::new(line_at, line_at + colon),
            value: Span::new(value_at, value_at + trimmed.len()),
        });
    }
    Ok(utf8)
}

struct Framing {
    body: BodyKind,
    keep_alive: bool,
    expect_continue: bool,
}

/// Decides body framing, persistence and expectations from the header fields
/// (RFC 9112 §6.3, §9.3; RFC 9110 §10.1.1).
fn decide_framing(version: Version, head: &[u8], fields: &[Field]) -> Result<Framing, HttpError> {
    let mut content_length: Option<u64> = None;
    let mut codings = 0;
    let mut chunked = 0;
    let mut last_chunked = false;
    let mut has_te = false;
    let mut hosts = 0;
    let mut close = false;
    let mut keep_alive_token = false;
    let mut expect_continue = false;

    for field in fields {
        let (name, value) = (field.name.of(head), field.value.of(head));
        if name.eq_ignore_ascii_case(b"content-length") {
            // "Content-Length: 5, 5" and repeated fields with one value are allowed; any
            // disagreement is a framing attack (RFC 9112 §6.3 rule 5).
            for element in value.split(|&b| b == b',') {
                let n = parse_decimal(trim_ows(element).1).ok_or(HttpError::ContentLength)?;
                if content_length.is_some_and(|prev| prev != n) {
                    return Err(HttpError::ContentLength);
                }
                content_length = Some(n);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            has_te = true;
            for coding in list_tokens(value) {
                codings += 1;
                last_chunked = coding.eq_ignore_ascii_case(b"chunked");
                chunked += usize::from(last_chunked);
            }
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
            if !is_host(value) {
                return Err(HttpError::Host);
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in list_tokens(value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"expect") && version == Version::Http11 {
            // An HTTP/1.0 client cannot expect 100 Continue; the expectation is ignored there.
            // `Expect` is a list (RFC 9110 §10.1.1), whose empty elements a recipient must
            // ignore (§5.6.1.2): `100-continue,` is 100-continue, and an empty value expects
            // nothing. Any other member may be refused (417), and is.
            for expectation in list_tokens(value) {
                if expectation.eq_ignore_ascii_case(b"100-continue") {
                    expect_continue = true;
                } else {
                    return Err(HttpError::Expectation);
                }
            }
        }
    }

    // RFC 9112 §3.2: 400 for a 1.1 request without Host, and for any request with two.
    if hosts > 1 || (version == Version::Http11 && hosts == 0) {
        return Err(HttpError::Host);
    }
    let body = if has_te {
        // RFC 9112 §6.1: Transfer-Encoding with Content-Length "ought to be handled as an
        // error", and on HTTP/1.0 the framing "MUST be treated as faulty".
        if content_length.is_some() || version == Version::Http10 {
            return Err(HttpError::Framing);
        }
        // §6.3 rule 4: a body whose last coding is not chunked has no knowable length (400);
        // chunked must be applied once (§7). Then any other coding is one this server cannot
        // decode (501, §6.1).
        if !last_chunked || chunked != 1 {
            return Err(HttpError::Framing);
        }
        if codings != 1 {
            return Err(HttpError::UnknownCoding);
        }
        BodyKind::Chunked
    } else {
        match content_length {
            None | Some(0) => BodyKind::None,
            Some(n) if n > MAX_BODY_BYTES as u64 => return Err(HttpError::BodyTooLarge),
            Some(n) => BodyKind::Length(n as usize),
        }
    };
    let keep_alive = !close
        && match version {
            Version::Http11 => true,
            Version::Http10 => keep_alive_token,
        };
    let expect_continue = expect_continue && body != BodyKind::None;
    Ok(Framing {
        body,
        keep_alive,
        expect_continue,
    })
}

/// The Host field of a request with an absolute-form target must name the target's authority
/// (RFC 9112 §3.2.2). A server must then use the target's, but the application reads Host:
/// like Kestrel, the host's own front end, a request whose two disagree is refused, so that no
/// client chooses the host a function sees. Names are compared ignoring ASCII case, and the
/// scheme's default port may be written or not.
#[inline(never)] // out of the request path, which meets absolute-form targets rarely
fn host_names(authority: Authority, head: &[u8], fields: &[Field]) -> Result<(), HttpError> {
    let port = authority.default_port;
    let target = without_port(authority.span.of(head), port);
    let host = fields
        .iter()
        .find(|f| f.name.of(head).eq_ignore_ascii_case(b"host"));
    match host.map(|f| without_port(f.value.of(head), port)) {
        Some(host) if !host.eq_ignore_ascii_case(target) => Err(HttpError::Host),
        _ => Ok(()),
    }
}

/// `name` without `:port` at its end, nor an empty port (`h:`, the default by RFC 3986
/// §3.2.3).
fn without_port<'a>(name: &'a [u8], port: &[u8]) -> &'a [u8] {
    let name = name
        .strip_suffix(port)
        .and_then(|rest| rest.strip_suffix(b":"))
        .unwrap_or(name);
    name.strip_suffix(b":").unwrap_or(name)
}

/// `1*DIGIT`, saturating: a length too large for u64 is still too large for the body limit.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// The non-empty elements of a comma-separated list (RFC 9110 §5.6.1), trimmed; compare them
/// ignoring ASCII case.
pub fn list_tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(|t| trim_ows(t).1)
        .filter(|t| !t.is_empty())
}

/// `v` without leading and trailing spaces and tabs, and how many bytes led.
fn trim_ows(v: &[u8]) -> (usize, &[u8]) {
    let lead = v.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let v = &v[lead..];
    let trail = v
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    (lead, &v[..v.len() - trail])
}

/// Whether a `Host` value has the form `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986
/// §3.2.2): a registered name or IPv4 address, or an IP literal in brackets, then an optional
/// port of digits. An empty value is allowed (a target without an authority).
fn is_host(value: &[u8]) -> bool {
    let (host, port) = match value.strip_prefix(b"[") {
        Some(literal) => match literal.iter().position(|&b| b == b']') {
            // IPv6address / IPvFuture: hex digits, `:`, `.`, and for IPvFuture `v` with
            // unreserved and sub-delims; the literal is only checked for those characters.
            Some(end) if end > 0 => {
                let inside = &literal[..end];
                if !inside.iter().all(|&b| b == b':' || is_reg_name_byte(b)) {
                    return false;
                }
                (&b""[..], &literal[end + 1..])
            }
            _ => return false,
        },
        None => {
            let colon = value.iter().position(|&b| b == b':').unwrap_or(value.len());
            (&value[..colon], &value[colon..])
        }
    };
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    port_ok && host.iter().all(|&b| is_reg_name_byte(b))
}

/// `unreserved / pct-encoded / sub-delims` (RFC 3986 §3.2.2 `reg-name`), `%` standing for the
/// start of pct-encoded.
fn is_reg_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b)
}

/// A byte a field value may hold (RFC 9110 §5.5): visible ASCII, SP, HTAB and obs-text
/// (0x80-0xFF); never NUL, CR, LF or another control.
pub fn is_field_value_byte(b: u8) -> bool {
    !((b < 0x20 && b != b'\t') || b == 0x7f)
}

/// `tchar` (RFC 9110 §5.6.2): the characters of methods and header names.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::starts_head_request;

    #[test]
    fn a_head_request_is_known_by_its_first_bytes() {
        assert!(starts_head_request(b"HEAD / HTTP/1.1\r\n"));
        assert!(starts_head_request(b"\r\n\r\nHEAD /"));
        assert!(starts_head_request(b"HEAD "));
        assert!(!starts_head_request(b"HEAD"), "not yet known");
        assert!(!starts_head_request(b"GET / HTTP/1.1\r\n"));
        assert!(!starts_head_request(b"HEADER / HTTP/1.1\r\n"));
        assert!(
            !starts_head_request(b"head / HTTP/1.1\r\n"),
            "methods are case-sensitive"
        );
        assert!(!starts_head_request(b""));
        assert!(!starts_head_request(b"\r\n"));
    }
}
