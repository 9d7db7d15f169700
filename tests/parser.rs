//! The request-head parser and the chunked-body decoder, through the library's public API.
//!
//! Every table case is also fed split at every byte boundary (hyper's "shotgun"): a head that
//! arrives in pieces must parse as one that arrives whole does, and an error may come early but
//! never be a different error. A seeded randomized test then builds requests from random pieces
//! and mutates them; set `PARSER_FUZZ_SEED` to replay a failure it reports. The last section
//! holds the parser to that promise as the server relies on it, reads and `worth_parsing`
//! included, at every limit and on damaged heads stretched to one.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

mod support;

use handler::http::chunked::ChunkedDecoder;
use handler::http::error::HttpError;
use handler::http::limits::{
    MAX_BODY_BYTES, MAX_CHUNK_EXTENSION_BYTES, MAX_CHUNK_LINE_BYTES, MAX_HEADERS, MAX_HEAD_BYTES,
    MAX_METHOD_BYTES, MAX_TARGET_BYTES, MAX_TRAILER_BYTES,
};
use handler::http::parse::{worth_parsing, BodyKind, Status, Version};
use support::xorshift::{seed_from_env, Rng};

use support::{parse_head, Head, Parsed};

// ---- Helpers -----------------------------------------------------------------------------------

/// The head of a bodiless request: persistent on HTTP/1.1 only, no expectation.
fn head(method: &str, target: &str, version: Version, headers: &[(&str, &str)]) -> Head {
    Head {
        method: method.to_string(),
        target: target.to_string(),
        version,
        headers: headers
            .iter()
            .map(|&(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: BodyKind::None,
        keep_alive: version == Version::Http11,
        expect_continue: false,
    }
}

/// `GET / HTTP/1.1` with `Host: x`, then `lines` as header lines.
fn get_with(lines: &[&str]) -> Vec<u8> {
    let mut out = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A GET head of exactly `total` bytes, padded by the value of `X-Pad`; and that value.
fn padded_head(total: usize) -> (Vec<u8>, String) {
    let fixed = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n".len();
    let pad = "p".repeat(total - fixed);
    let bytes = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {pad}\r\n\r\n").into_bytes();
    assert_eq!(bytes.len(), total);
    (bytes, pad)
}

fn cat(a: &[u8], b: &[u8]) -> Vec<u8> {
    [a, b].concat()
}

/// Whether parsing the first `end` bytes of an input agrees with parsing all of it: before the
/// head has ended the answer is `Partial` or the same error (refused early); from the end of the
/// head on it is the same answer.
fn prefix_agrees(prefix: &Parsed, whole: &Parsed, end: usize) -> bool {
    match (whole, prefix) {
        (Ok(Status::Complete((_, used))), _) if end >= *used => prefix == whole,
        (_, Ok(Status::Partial)) => true,
        (Err(_), _) => prefix == whole,
        _ => false,
    }
}

/// The points to split `input` at: all of them when it is small. Trying all of a long input
/// (a padded head, a multi-megabyte body) would take quadratic time, so there only the points
/// within 16 bytes of a byte that carries framing (CR, LF, SP), of a limit in `marks`, or of
/// either end are tried: inside a run of ordinary bytes, every split behaves alike.
fn split_points(input: &[u8], marks: &[usize]) -> Vec<usize> {
    const NEAR: usize = 16;
    if input.len() <= 4096 {
        return (0..=input.len()).collect();
    }
    let mut near = vec![false; input.len() + 1];
    let framing = input
        .iter()
        .enumerate()
        .filter(|(_, &b)| matches!(b, b'\r' | b'\n' | b' '))
        .map(|(i, _)| i);
    for center in framing.chain([0, input.len()]).chain(marks.iter().copied()) {
        let lo = center.saturating_sub(NEAR).min(input.len());
        let hi = (center + NEAR).min(input.len());
        near[lo..=hi].iter_mut().for_each(|n| *n = true);
    }
    (0..=input.len()).filter(|&i| near[i]).collect()
}

/// Every strict prefix of `input` agrees with `whole` (see `prefix_agrees`); for a long input,
/// every prefix ending near framing or a limit.
fn assert_every_prefix_agrees(why: &str, input: &[u8], whole: &Parsed) {
    // Where a request line that has not ended is refused as too long, and the head limit.
    let marks = [MAX_TARGET_BYTES + 32, MAX_HEAD_BYTES];
    for end in split_points(input, &marks)
        .into_iter()
        .filter(|&e| e < input.len())
    {
        let prefix = parse_head(&input[..end]);
        assert!(
            prefix_agrees(&prefix, whole, end),
            "{why}: the first {end} of {} bytes give {prefix:?}, all of them {whole:?}",
            input.len()
        );
    }
}

// ---- Valid requests ----------------------------------------------------------------------------

struct Valid {
    why: &'static str,
    /// The head: `parse_head` must use exactly these bytes.
    head_bytes: Vec<u8>,
    /// What follows the head in the input (a body, the next request).
    after: Vec<u8>,
    expect: Head,
}

fn valid(why: &'static str, head_bytes: impl Into<Vec<u8>>, expect: Head) -> Valid {
    Valid {
        why,
        head_bytes: head_bytes.into(),
        after: Vec::new(),
        expect,
    }
}

fn valid_then(
    why: &'static str,
    head_bytes: impl Into<Vec<u8>>,
    after: impl Into<Vec<u8>>,
    expect: Head,
) -> Valid {
    Valid {
        after: after.into(),
        ..valid(why, head_bytes, expect)
    }
}

fn valid_cases() -> Vec<Valid> {
    use Version::{Http10, Http11};
    let mut cases = vec![
        valid(
            "simple GET",
            "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            head("GET", "/", Http11, &[("Host", "localhost")]),
        ),
        valid(
            "the host's forwarded GET",
            "GET /api/HelloRust?name=Azure HTTP/1.1\r\n\
             Host: localhost:7071\r\n\
             User-Agent: curl/8.5.0 Azure-Functions-Host/4.1037.0.0\r\n\
             Accept: */*\r\n\
             X-Azure-Functions-HostVersion: 4.1037.0.0\r\n\
             X-Azure-Functions-InvocationId: 5e2f8c1a-3b4d-4e6f-9a0b-1c2d3e4f5a6b\r\n\
             traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n",
            head(
                "GET",
                "/api/HelloRust?name=Azure",
                Http11,
                &[
                    ("Host", "localhost:7071"),
                    ("User-Agent", "curl/8.5.0 Azure-Functions-Host/4.1037.0.0"),
                    ("Accept", "*/*"),
                    ("X-Azure-Functions-HostVersion", "4.1037.0.0"),
                    (
                        "X-Azure-Functions-InvocationId",
                        "5e2f8c1a-3b4d-4e6f-9a0b-1c2d3e4f5a6b",
                    ),
                    (
                        "traceparent",
                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                    ),
                ],
            ),
        ),
        valid_then(
            "POST with Content-Length: the body is not part of the head",
            "POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\
             Content-Length: 16\r\n\r\n",
            r#"{"name":"Azure"}"#,
            Head {
                body: BodyKind::Length(16),
                ..head(
                    "POST",
                    "/api/HelloRust",
                    Http11,
                    &[
                        ("Host", "h"),
                        ("Content-Type", "application/json"),
                        ("Content-Length", "16"),
                    ],
                )
            },
        ),
        valid_then(
            "chunked POST",
            "POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
            "5\r\nhello\r\n0\r\n\r\n",
            Head {
                body: BodyKind::Chunked,
                ..head(
                    "POST",
                    "/api/HelloRust",
                    Http11,
                    &[("Host", "h"), ("Transfer-Encoding", "chunked")],
                )
            },
        ),
        valid(
            "transfer codings are case-insensitive",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n",
            Head {
                body: BodyKind::Chunked,
                ..head(
                    "POST",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Transfer-Encoding", "Chunked")],
                )
            },
        ),
        valid(
            "HTTP/1.0 closes by default, and needs no Host",
            "GET / HTTP/1.0\r\n\r\n",
            head("GET", "/", Http10, &[]),
        ),
        valid(
            "HTTP/1.0 with Connection: keep-alive stays open",
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            Head {
                keep_alive: true,
                ..head("GET", "/", Http10, &[("Connection", "keep-alive")])
            },
        ),
        valid(
            "connection tokens are case-insensitive",
            "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            Head {
                keep_alive: true,
                ..head("GET", "/", Http10, &[("Connection", "Keep-Alive")])
            },
        ),
        valid(
            "HTTP/1.0 with keep-alive and close closes",
            "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            head("GET", "/", Http10, &[("Connection", "keep-alive, close")]),
        ),
        valid(
            "Connection: close",
            "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            Head {
                keep_alive: false,
                ..head(
                    "GET",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Connection", "close")],
                )
            },
        ),
        valid(
            "Connection: CLOSE in capitals",
            "GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n",
            Head {
                keep_alive: false,
                ..head(
                    "GET",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Connection", "CLOSE")],
                )
            },
        ),
        valid(
            "close among other connection tokens",
            "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n",
            Head {
                keep_alive: false,
                ..head(
                    "GET",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Connection", "foo, close")],
                )
            },
        ),
        valid(
            "close in a second Connection field",
            "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo\r\nConnection: close\r\n\r\n",
            Head {
                keep_alive: false,
                ..head(
                    "GET",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Connection", "foo"), ("Connection", "close")],
                )
            },
        ),
        valid(
            "a token that contains 'close' is not close",
            "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, unclose\r\n\r\n",
            head(
                "GET",
                "/",
                Http11,
                &[("Host", "h"), ("Connection", "closed, unclose")],
            ),
        ),
        valid(
            "absolute-form is reduced to origin-form",
            "GET http://host:7071/api/x?y=1 HTTP/1.1\r\nHost: host:7071\r\n\r\n",
            head("GET", "/api/x?y=1", Http11, &[("Host", "host:7071")]),
        ),
        valid(
            "absolute-form with an empty path and a query",
            "GET http://host?q=1 HTTP/1.1\r\nHost: host\r\n\r\n",
            head("GET", "/?q=1", Http11, &[("Host", "host")]),
        ),
        valid(
            "absolute-form with neither path nor query, scheme in capitals",
            "GET HTTP://host HTTP/1.1\r\nHost: host\r\n\r\n",
            head("GET", "/", Http11, &[("Host", "host")]),
        ),
        valid(
            "absolute-form: Host names the authority in other case, with the default port",
            "GET http://Host.Example/x HTTP/1.1\r\nHost: host.example:80\r\n\r\n",
            head("GET", "/x", Http11, &[("Host", "host.example:80")]),
        ),
        valid(
            "absolute-form: the target writes https's default port and Host does not",
            "GET https://host:443/x HTTP/1.1\r\nHost: host\r\n\r\n",
            head("GET", "/x", Http11, &[("Host", "host")]),
        ),
        valid(
            "absolute-form: an empty port is the default (RFC 3986 §3.2.3)",
            "GET http://host:/x HTTP/1.1\r\nHost: host\r\n\r\n",
            head("GET", "/x", Http11, &[("Host", "host")]),
        ),
        valid(
            "absolute-form on HTTP/1.0 without Host",
            "GET http://host/x HTTP/1.0\r\n\r\n",
            head("GET", "/x", Http10, &[]),
        ),
        valid(
            "asterisk-form",
            "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
            head("OPTIONS", "*", Http11, &[("Host", "h")]),
        ),
        valid(
            "any token is a method",
            "M-SEARCH / HTTP/1.1\r\nHost: h\r\n\r\n",
            head("M-SEARCH", "/", Http11, &[("Host", "h")]),
        ),
        valid(
            "HTTP/1.2 is served as 1.1 (RFC 9110 §2.5)",
            "GET / HTTP/1.2\r\nHost: [::1]:7071\r\n\r\n",
            head("GET", "/", Http11, &[("Host", "[::1]:7071")]),
        ),
        valid(
            "empty lines before the request line are skipped and counted as used",
            "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
            head("GET", "/", Http11, &[("Host", "h")]),
        ),
        valid_then(
            "a Content-Length list of one value",
            "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
            "hello",
            Head {
                body: BodyKind::Length(5),
                ..head(
                    "PUT",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Content-Length", "5, 5")],
                )
            },
        ),
        valid_then(
            "two Content-Length fields that agree",
            "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
            "hello",
            Head {
                body: BodyKind::Length(5),
                ..head(
                    "PUT",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Content-Length", "5"), ("Content-Length", "5")],
                )
            },
        ),
        valid(
            "Content-Length: 0 is no body",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            head(
                "POST",
                "/",
                Http11,
                &[("Host", "h"), ("Content-Length", "0")],
            ),
        ),
        valid(
            "Content-Length of exactly MAX_BODY_BYTES",
            format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {MAX_BODY_BYTES}\r\n\r\n"),
            Head {
                body: BodyKind::Length(MAX_BODY_BYTES),
                ..head(
                    "POST",
                    "/",
                    Http11,
                    &[("Host", "h"), ("Content-Length", &MAX_BODY_BYTES.to_string())],
                )
            },
        ),
        valid(
            "Expect: 100-continue with a body",
            "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
            Head {
                body: BodyKind::Length(5),
                expect_continue: true,
                ..head(
                    "POST",
                    "/",
                    Http11,
                    &[
                        ("Host", "h"),
                        ("Expect", "100-continue"),
                        ("Content-Length", "5"),
                    ],
                )
            },
        ),
        valid(
            "Expect: 100-continue in other case",
            "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n",
            Head {
                body: BodyKind::Length(5),
                expect_continue: true,
                ..head(
                    "POST",
                    "/",
                    Http11,
                    &[
                        ("Host", "h"),
                        ("Expect", "100-Continue"),
                        ("Content-Length", "5"),
                    ],
                )
            },
        ),
        valid(
            "Expect is a list: empty elements are ignored (RFC 9110 §5.6.1.2)",
            "POST / HTTP/1.1\r\nHost: h\r\nExpect: , 100-continue,\r\nContent-Length: 5\r\n\r\n",
            Head {
                body: BodyKind::Length(5),
                expect_continue: true,
                ..head(
                    "POST",
                    "/",
                    Http11,
                    &[
                        ("Host", "h"),
                        ("Expect", ", 100-continue,"),
                        ("Content-Length", "5"),
                    ],
                )
            },
        ),
        valid(
            "an empty Expect expects nothing (RFC 9110 §5.6.1.2)",
            "GET / HTTP/1.1\r\nHost: h\r\nExpect:\r\n\r\n",
            head("GET", "/", Http11, &[("Host", "h"), ("Expect", "")]),
        ),
        valid(
            "HTTP/1.0 cannot expect 100 Continue: ignored (RFC 9110 §10.1.1)",
            "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
            Head {
                body: BodyKind::Length(5),
                ..head(
                    "POST",
                    "/",
                    Http10,
                    &[("Expect", "100-continue"), ("Content-Length", "5")],
                )
            },
        ),
        valid(
            "other expectations are ignored on HTTP/1.0 too",
            "GET / HTTP/1.0\r\nExpect: something-else\r\n\r\n",
            head("GET", "/", Http10, &[("Expect", "something-else")]),
        ),
        valid(
            "obs-text in a value: UTF-8 is kept, other bytes become U+FFFD",
            b"GET / HTTP/1.1\r\nHost: h\r\nX-Name: M\xc3\xbcller\r\nX-Latin1: caf\xe9\r\n\r\n"
                .to_vec(),
            head(
                "GET",
                "/",
                Http11,
                &[
                    ("Host", "h"),
                    ("X-Name", "Müller"),
                    ("X-Latin1", "caf\u{FFFD}"),
                ],
            ),
        ),
        valid(
            "values are trimmed of OWS, inner whitespace kept; empty values",
            "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t spaced \t out \t \r\nX-Empty:\r\nX-Blank: \t \r\n\r\n",
            head(
                "GET",
                "/",
                Http11,
                &[
                    ("Host", "h"),
                    ("X-A", "spaced \t out"),
                    ("X-Empty", ""),
                    ("X-Blank", ""),
                ],
            ),
        ),
        valid(
            "an empty Host is allowed (RFC 9112 §3.2)",
            "GET / HTTP/1.1\r\nHost:\r\n\r\n",
            head("GET", "/", Http11, &[("Host", "")]),
        ),
        valid(
            "header names keep their case; Host matched ignoring it",
            "GET / HTTP/1.1\r\nhOsT: h\r\n\r\n",
            head("GET", "/", Http11, &[("hOsT", "h")]),
        ),
    ];

    // Exactly MAX_HEADERS fields.
    let names: Vec<String> = (1..MAX_HEADERS).map(|i| format!("X-H{i}")).collect();
    let mut bytes = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
    let mut fields = vec![("Host", "h")];
    for name in &names {
        bytes.extend_from_slice(format!("{name}: v\r\n").as_bytes());
        fields.push((name, "v"));
    }
    bytes.extend_from_slice(b"\r\n");
    assert_eq!(fields.len(), MAX_HEADERS);
    cases.push(valid(
        "exactly MAX_HEADERS fields",
        bytes,
        head("GET", "/", Version::Http11, &fields),
    ));

    let (bytes, pad) = padded_head(MAX_HEAD_BYTES);
    cases.push(valid(
        "a head of exactly MAX_HEAD_BYTES",
        bytes,
        head(
            "GET",
            "/",
            Version::Http11,
            &[("Host", "x"), ("X-Pad", &pad)],
        ),
    ));

    let target = format!("/{}", "t".repeat(MAX_TARGET_BYTES - 1));
    cases.push(valid(
        "a target of exactly MAX_TARGET_BYTES",
        format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n"),
        head("GET", &target, Version::Http11, &[("Host", "h")]),
    ));
    cases
}

#[test]
fn valid_requests_parse_to_their_head_and_use_exactly_the_head() {
    for case in valid_cases() {
        let input = cat(&case.head_bytes, &case.after);
        assert_eq!(
            parse_head(&input),
            Ok(Status::Complete((case.expect, case.head_bytes.len()))),
            "{}",
            case.why
        );
    }
}

#[test]
fn valid_requests_parse_the_same_split_at_every_byte() {
    for case in valid_cases() {
        let input = cat(&case.head_bytes, &case.after);
        let whole = Ok(Status::Complete((case.expect, case.head_bytes.len())));
        assert_eq!(parse_head(&input), whole, "{}", case.why);
        assert_every_prefix_agrees(case.why, &input, &whole);
    }
}

// ---- Rejected requests -------------------------------------------------------------------------

struct Reject {
    why: &'static str,
    input: Vec<u8>,
    error: HttpError,
}

fn reject(why: &'static str, input: impl Into<Vec<u8>>, error: HttpError) -> Reject {
    Reject {
        why,
        input: input.into(),
        error,
    }
}

fn reject_cases() -> Vec<Reject> {
    use HttpError::*;
    let mut cases = vec![
        reject("no version (HTTP/0.9 style)", "GET /\r\n\r\n", RequestLine),
        reject("a method alone", "GET\r\nHost: h\r\n\r\n", RequestLine),
        reject(
            "two spaces between method and target",
            "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
            RequestLine,
        ),
        reject(
            "a space after the version",
            "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
            RequestLine,
        ),
        reject(
            "a space in the target",
            "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
            RequestLine,
        ),
        reject(
            "'@' is not a token character",
            "G@T / HTTP/1.1\r\nHost: h\r\n\r\n",
            Method,
        ),
        reject(
            "whitespace before the method",
            " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            Method,
        ),
        reject(
            "HTTP-name is case-sensitive (RFC 9112 §2.3)",
            "GET / http/1.1\r\nHost: h\r\n\r\n",
            RequestLine,
        ),
        // HTTP-version = HTTP-name "/" DIGIT "." DIGIT (RFC 9112 §2.3): a version that is not
        // digits is no version at all (400), not one this server lacks (505).
        reject(
            "a minor version that is not a digit",
            "GET / HTTP/1.x\r\nHost: h\r\n\r\n",
            RequestLine,
        ),
        reject(
            "a major version that is not a digit",
            "GET / HTTP/x.1\r\nHost: h\r\n\r\n",
            RequestLine,
        ),
        reject(
            "a later major version whose minor is not a digit",
            "GET / HTTP/2.x\r\nHost: h\r\n\r\n",
            RequestLine,
        ),
        reject(
            "HTTP/2.0 is not HTTP/1.x",
            "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
            Version,
        ),
        reject(
            "HTTP/0.9 is not served",
            "GET / HTTP/0.9\r\nHost: h\r\n\r\n",
            Version,
        ),
        reject(
            "a Host that is not uri-host [\":\" port] (RFC 9112 §3.2)",
            "GET / HTTP/1.1\r\nHost: a b/c@d\r\n\r\n",
            Host,
        ),
        reject(
            "a Host port that is not digits",
            "GET / HTTP/1.1\r\nHost: h:8o\r\n\r\n",
            Host,
        ),
        reject(
            "an unclosed IP literal in Host",
            "GET / HTTP/1.1\r\nHost: [::1:80\r\n\r\n",
            Host,
        ),
        reject(
            "an empty IP literal in Host (RFC 3986 §3.2.2: an IPv6 or IPvFuture address)",
            "GET / HTTP/1.1\r\nHost: []:80\r\n\r\n",
            Host,
        ),
        reject(
            "HTTP/1.1 without Host (RFC 9112 §3.2)",
            "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
            Host,
        ),
        reject(
            "two Host fields (RFC 9112 §3.2)",
            "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
            Host,
        ),
        reject(
            "obs-fold (RFC 9112 §5.2)",
            get_with(&["X-A: one", " two"]),
            Header,
        ),
        reject(
            "obs-fold with a tab that looks like a field",
            get_with(&["X-A: one", "\tX-B: two"]),
            Header,
        ),
        reject(
            "whitespace between the request line and the first field (RFC 9112 §2.2)",
            "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
            Header,
        ),
        reject(
            "whitespace before the colon (RFC 9112 §5.1)",
            "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
            Header,
        ),
        reject("NUL in a value", get_with(&["X-A: a\0b"]), Header),
        reject("bare CR in a value", get_with(&["X-A: a\rb"]), Header),
        reject("bare LF in a value", get_with(&["X-A: a\nb"]), Header),
        reject("DEL in a value", get_with(&["X-A: a\x7fb"]), Header),
        reject("a field line without a colon", get_with(&["X-A"]), Header),
        reject("an empty field name", get_with(&[": v"]), Header),
        reject("'(' in a field name", get_with(&["X(A): v"]), Header),
        reject(
            "Content-Length and Transfer-Encoding together (RFC 9112 §6.1)",
            get_with(&["Content-Length: 5", "Transfer-Encoding: chunked"]),
            Framing,
        ),
        reject(
            "Content-Length with a sign",
            get_with(&["Content-Length: +5"]),
            ContentLength,
        ),
        reject(
            "negative Content-Length",
            get_with(&["Content-Length: -1"]),
            ContentLength,
        ),
        reject(
            "hexadecimal Content-Length",
            get_with(&["Content-Length: 0x10"]),
            ContentLength,
        ),
        reject(
            "empty Content-Length",
            get_with(&["Content-Length:"]),
            ContentLength,
        ),
        reject(
            "a Content-Length list that disagrees",
            get_with(&["Content-Length: 5, 6"]),
            ContentLength,
        ),
        reject(
            "two Content-Length fields that disagree",
            get_with(&["Content-Length: 5", "Content-Length: 6"]),
            ContentLength,
        ),
        reject(
            "Transfer-Encoding on HTTP/1.0 (RFC 9112 §6.1)",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            Framing,
        ),
        reject(
            "a coding other than chunked alone: no knowable length (RFC 9112 §6.3 rule 4)",
            get_with(&["Transfer-Encoding: gzip"]),
            Framing,
        ),
        reject(
            "chunked not last (RFC 9112 §6.3 rule 4)",
            get_with(&["Transfer-Encoding: chunked, gzip"]),
            Framing,
        ),
        reject(
            "identity is no longer a transfer coding",
            get_with(&["Transfer-Encoding: identity"]),
            Framing,
        ),
        reject(
            "gzip before chunked",
            get_with(&["Transfer-Encoding: gzip, chunked"]),
            UnknownCoding,
        ),
        reject(
            "chunked twice",
            get_with(&["Transfer-Encoding: chunked, chunked"]),
            Framing,
        ),
        reject(
            "chunked twice in two fields",
            get_with(&["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"]),
            Framing,
        ),
        reject(
            "Content-Length over MAX_BODY_BYTES: refused before any body",
            get_with(&[&format!("Content-Length: {}", MAX_BODY_BYTES + 1)]),
            BodyTooLarge,
        ),
        reject(
            "Content-Length beyond u64",
            get_with(&["Content-Length: 123456789012345678901234567890"]),
            BodyTooLarge,
        ),
        reject(
            "Expect with an unknown expectation (RFC 9110 §10.1.1)",
            get_with(&["Expect: something-else"]),
            Expectation,
        ),
        reject(
            "Expect with 100-continue and an unknown expectation",
            get_with(&["Expect: 100-continue, something-else"]),
            Expectation,
        ),
        reject(
            "a TLS ClientHello",
            [
                0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
            ]
            .to_vec(),
            Method,
        ),
        reject(
            "a non-ASCII byte in the target",
            b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(),
            Target,
        ),
        reject(
            "a control byte in the target",
            b"GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(),
            Target,
        ),
        reject(
            "a target that is not a path",
            "GET api/HelloRust HTTP/1.1\r\nHost: h\r\n\r\n",
            Target,
        ),
        reject(
            "authority-form with another method than CONNECT (RFC 9112 §3.2.3)",
            "GET host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n",
            Target,
        ),
        reject(
            "CONNECT: no tunnels here (RFC 9110 §9.3.6), refused as not implemented",
            "CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n",
            Connect,
        ),
        reject(
            "CONNECT with an origin-form target, which a handler could answer 2xx",
            "CONNECT /api/HelloRust HTTP/1.1\r\nHost: h\r\n\r\n",
            Connect,
        ),
        reject(
            "absolute-form without an authority",
            "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
            Target,
        ),
        reject(
            "absolute-form with another scheme",
            "GET ftp://host/x HTTP/1.1\r\nHost: h\r\n\r\n",
            Target,
        ),
        reject(
            "absolute-form with user information (RFC 9110 §4.2.4)",
            "GET http://u:p@host/x HTTP/1.1\r\nHost: host\r\n\r\n",
            Target,
        ),
        reject(
            "absolute-form whose Host names another host (RFC 9112 §3.2.2)",
            "GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n",
            Host,
        ),
        reject(
            "absolute-form whose Host names another port",
            "GET http://host:7071/x HTTP/1.1\r\nHost: host:7072\r\n\r\n",
            Host,
        ),
        reject(
            "absolute-form whose Host ends in the default port's digits, not the port",
            "GET http://h80/x HTTP/1.1\r\nHost: h\r\n\r\n",
            Host,
        ),
        reject(
            "absolute-form whose Host writes http's default port for https",
            "GET https://host/x HTTP/1.1\r\nHost: host:80\r\n\r\n",
            Host,
        ),
        reject(
            "user information and no path",
            "GET http://u@host HTTP/1.1\r\nHost: host\r\n\r\n",
            Target,
        ),
        reject(
            "the asterisk form with another method than OPTIONS (RFC 9112 §3.2.4)",
            "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
            Target,
        ),
    ];

    let long = format!("/{}", "t".repeat(MAX_TARGET_BYTES));
    cases.push(reject(
        "a target of MAX_TARGET_BYTES + 1",
        format!("GET {long} HTTP/1.1\r\nHost: h\r\n\r\n"),
        TargetTooLong,
    ));
    let longer = format!("/{}", "t".repeat(2 * MAX_TARGET_BYTES));
    cases.push(reject(
        "a target far over MAX_TARGET_BYTES, refused before its line ends",
        format!("GET {longer} HTTP/1.1\r\nHost: h\r\n\r\n"),
        TargetTooLong,
    ));
    cases.push(reject(
        "a head of MAX_HEAD_BYTES + 1",
        padded_head(MAX_HEAD_BYTES + 1).0,
        HeadTooLarge,
    ));
    let fields: Vec<String> = (0..MAX_HEADERS).map(|i| format!("X-H{i}: v")).collect();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    cases.push(reject(
        "MAX_HEADERS + 1 fields, counting Host",
        get_with(&fields),
        HeadTooLarge,
    ));
    cases
}

#[test]
fn malformed_requests_are_refused_with_their_error() {
    for case in reject_cases() {
        assert_eq!(parse_head(&case.input), Err(case.error), "{}", case.why);
    }
}

#[test]
fn malformed_requests_are_refused_the_same_split_at_every_byte() {
    for case in reject_cases() {
        let whole = Err(case.error);
        assert_eq!(parse_head(&case.input), whole, "{}", case.why);
        assert_every_prefix_agrees(case.why, &case.input, &whole);
    }
}

#[test]
fn garbage_is_refused_at_its_first_byte() {
    // A TLS handshake or binary noise must not wait for the head deadline.
    assert_eq!(parse_head(&[0x16]), Err(HttpError::Method));
    assert_eq!(parse_head(&[0x16, 0x03, 0x01]), Err(HttpError::Method));
    assert_eq!(parse_head(b"\0"), Err(HttpError::Method));
    // ...but an empty buffer, or the CR of a leading empty line, is only incomplete.
    assert_eq!(parse_head(b""), Ok(Status::Partial));
    assert_eq!(parse_head(b"\r"), Ok(Status::Partial));
    assert_eq!(parse_head(b"\r\n"), Ok(Status::Partial));
}

#[test]
fn a_bad_request_line_is_refused_as_soon_as_it_ends() {
    assert_eq!(parse_head(b"GET / HTTP/2.0\r\n"), Err(HttpError::Version));
    assert_eq!(
        parse_head(b"GET  / HTTP/1.1\r\n"),
        Err(HttpError::RequestLine)
    );
    assert_eq!(parse_head(b"GET / HTTP/1.1\r\n"), Ok(Status::Partial));
}

/// A field line is judged as soon as its LF arrives, up to its last byte: a bare LF (lines end
/// in CRLF, RFC 9112 §2.2) or a control byte just before the CRLF (RFC 9110 §5.5) is refused
/// then, not when the head ends.
#[test]
fn a_bad_field_line_is_refused_as_soon_as_it_ends() {
    assert_eq!(
        parse_head(b"GET / HTTP/1.1\r\nHost: h\n"),
        Err(HttpError::Header)
    );
    assert_eq!(
        parse_head(b"GET / HTTP/1.1\r\nHost: h\r\nX: \x01\r\n"),
        Err(HttpError::Header)
    );
    assert_eq!(
        parse_head(b"GET / HTTP/1.1\r\nHost: h\r\nX: y\r\n"),
        Ok(Status::Partial)
    );
}

/// Field values may hold obs-text (RFC 9110 §5.5), so a value need not be UTF-8: the head says
/// whether every value is, for the reader of text to decode lossily only when one is not.
#[test]
fn the_head_says_whether_every_field_value_is_utf8() {
    let mut fields = Vec::new();
    let cases: [(&[u8], bool); 5] = [
        (b"plain", true),
        ("gr\u{fc}\u{df} \u{1f600}".as_bytes(), true),
        (b"\xff", false),
        (b"cut \xc3", false),
        (b"ok\r\nX-B: \xe9t\xe9", false),
    ];
    for (value, utf8) in cases {
        let input = [
            &b"GET / HTTP/1.1\r\nHost: h\r\nX-A: "[..],
            value,
            b"\r\n\r\n",
        ]
        .concat();
        match handler::http::parse::parse_head(&input, &mut fields) {
            Ok(Status::Complete((head, _))) => {
                assert_eq!(
                    head.values_utf8,
                    utf8,
                    "{:?}",
                    String::from_utf8_lossy(value)
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

/// RFC 9112 §3.2: a server MUST answer 400 to "any request message that contains more than
/// one Host header field line", whatever its version.
#[test]
fn two_host_fields_are_refused_on_http10_too() {
    let input = b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n";
    assert_eq!(parse_head(input), Err(HttpError::Host));
}

/// Empty lines before a request are skipped, but they are bytes the server buffers: an endless
/// stream of them must hit the head limit like any other head that never ends.
#[test]
fn endless_empty_lines_hit_the_head_limit() {
    let input = b"\r\n".repeat(MAX_HEAD_BYTES / 2 + 1);
    assert_eq!(parse_head(&input), Err(HttpError::HeadTooLarge));
}

/// How the bytes of a valid request are split across reads must not decide whether it is
/// served: a long method before a target of allowed length is refused while the request line
/// is still arriving, yet parsed when it arrives whole.
#[test]
fn a_long_method_with_an_allowed_target_parses_split_as_whole() {
    let method = "M".repeat(MAX_METHOD_BYTES);
    let target = format!("/{}", "t".repeat(MAX_TARGET_BYTES - 1));
    let input = format!("{method} {target} HTTP/1.1\r\nHost: h\r\n\r\n").into_bytes();
    let whole = Ok(Status::Complete((
        head(&method, &target, Version::Http11, &[("Host", "h")]),
        input.len(),
    )));
    assert_eq!(parse_head(&input), whole);
    assert_every_prefix_agrees("a long method", &input, &whole);
}

/// A CR at the end of a request line that has not ended may be the start of its CRLF, which
/// is not part of the line: it counts toward the method or target length only once the next
/// byte shows it is not followed by LF.
#[test]
fn a_cr_that_may_start_the_line_end_does_not_count_toward_a_limit() {
    let method = "M".repeat(MAX_METHOD_BYTES);
    let target = format!("GET /{}", "t".repeat(MAX_TARGET_BYTES - 1));
    for (line, error) in [
        (method, HttpError::Method),
        (target, HttpError::TargetTooLong),
    ] {
        let parse = |end: &str| parse_head(format!("{line}{end}").as_bytes());
        assert_eq!(parse("\r"), Ok(Status::Partial), "{line:.8}... CR");
        assert_eq!(
            parse("\r\n"),
            Err(HttpError::RequestLine),
            "{line:.8}... CRLF"
        );
        assert_eq!(parse("\rX"), Err(error), "{line:.8}... CR X");
        assert_eq!(parse("X"), Err(error), "{line:.8}... X");
    }
}

/// `worth_parsing` says yes wherever new bytes change what a `Partial` buffer parses to, and no
/// away from where they can: here, at each limit of a request line that has not ended, wherever
/// it starts.
#[test]
fn worth_parsing_says_yes_where_an_unfinished_request_line_can_be_refused() {
    let method = "M".repeat(MAX_METHOD_BYTES + 1);
    let target = format!("GET /{}", "t".repeat(MAX_TARGET_BYTES));
    let empty = "\r\n".repeat(100);
    let value = "v".repeat(MAX_HEAD_BYTES);
    // (what, the bytes before, the new bytes, whether they are worth parsing)
    let cases: Vec<(&str, String, &str, bool)> = vec![
        ("the first bytes", String::new(), "G", true),
        (
            "a method passing its limit",
            method[..1].to_string(),
            &method[1..],
            true,
        ),
        (
            "the same after empty lines",
            format!("{empty}M"),
            &method[1..],
            true,
        ),
        (
            "the line after an empty line",
            "\r\n".to_string(),
            "\0",
            true,
        ),
        ("a CR then not an LF", "\r\n\r".to_string(), "X", true),
        (
            "a CR after a method at its limit",
            method[1..].to_string() + "\r",
            "X",
            true,
        ),
        (
            "a target passing its limit",
            target[..9].to_string(),
            &target[9..],
            true,
        ),
        (
            "the same after empty lines",
            format!("{empty}{}", &target[..9]),
            &target[9..],
            true,
        ),
        (
            "a target at its limit, then CR, then not an LF",
            target[..target.len() - 1].to_string() + "\r",
            "X",
            true,
        ),
        ("a line end", "GET / HTTP/1.1\r".to_string(), "\n", true),
        (
            "a CR that may start an empty line",
            empty.clone(),
            "\r",
            false,
        ),
        (
            "a target within its limit",
            target[..40].to_string(),
            &target[40..100],
            false,
        ),
        (
            // A line of MAX_TARGET_BYTES + 1 bytes cannot pass the target limit whatever its
            // method: even after a one-byte method and SP, its target is within the limit.
            "a line too short for its target to pass the limit",
            target[..MAX_TARGET_BYTES].to_string(),
            &target[MAX_TARGET_BYTES..MAX_TARGET_BYTES + 1],
            false,
        ),
        (
            "the version",
            target[..100].to_string(),
            " HTTP/1.1\r",
            false,
        ),
        (
            "a field line",
            format!("GET / HTTP/1.1\r\nX-A: {}", &value[..9000]),
            &value[..100],
            false,
        ),
        (
            "the head limit",
            "GET / HTTP/1.1\r\nX-A: ".to_string(),
            &value,
            true,
        ),
    ];
    for (what, before, new, worth) in cases {
        let buf = format!("{before}{new}");
        assert_eq!(parse_head(before.as_bytes()), Ok(Status::Partial), "{what}");
        assert_eq!(
            worth_parsing(buf.as_bytes(), before.len()),
            worth,
            "{what}: {} bytes then {}",
            before.len(),
            new.len()
        );
        if !worth {
            assert_eq!(parse_head(buf.as_bytes()), Ok(Status::Partial), "{what}");
        }
    }
}

#[test]
fn pipelined_requests_parse_one_after_the_other() {
    let first = b"GET /api/HelloRust?name=a HTTP/1.1\r\nHost: h\r\n\r\n";
    let second =
        b"POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\n";
    let buf = [&first[..], second, b"hello"].concat();

    assert_eq!(
        parse_head(&buf),
        Ok(Status::Complete((
            head(
                "GET",
                "/api/HelloRust?name=a",
                Version::Http11,
                &[("Host", "h")]
            ),
            first.len(),
        )))
    );
    assert_eq!(
        parse_head(&buf[first.len()..]),
        Ok(Status::Complete((
            Head {
                body: BodyKind::Length(5),
                keep_alive: false,
                ..head(
                    "POST",
                    "/api/HelloRust",
                    Version::Http11,
                    &[
                        ("Host", "h"),
                        ("Content-Length", "5"),
                        ("Connection", "close")
                    ],
                )
            },
            second.len(),
        )))
    );
}

#[test]
fn a_request_after_a_body_parses_once_the_body_is_skipped() {
    let first = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
    let second = b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
    let buf = [&first[..], b"abc", second].concat();
    let Ok(Status::Complete((parsed, used))) = parse_head(&buf) else {
        panic!("first request did not parse");
    };
    assert_eq!((parsed.body, used), (BodyKind::Length(3), first.len()));
    assert_eq!(
        parse_head(&buf[used + 3..]),
        Ok(Status::Complete((
            head("GET", "/next", Version::Http11, &[("Host", "h")]),
            second.len(),
        )))
    );
}

// ---- Chunked bodies ----------------------------------------------------------------------------

/// What feeding a chunked body gives: the bytes used, the decoded body and whether it ended.
type Decoded = Result<(usize, Vec<u8>, bool), HttpError>;

/// Feeds `parts` in order to one decoder, stopping once the body has ended.
fn feed<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Decoded {
    let mut decoder = ChunkedDecoder::new();
    let mut body = Vec::new();
    let mut used = 0;
    for part in parts {
        if decoder.is_done() {
            break;
        }
        let n = decoder.decode(part, &mut body)?;
        assert!(
            n == part.len() || decoder.is_done(),
            "decode used {n} of {} bytes without the body ending",
            part.len()
        );
        used += n;
    }
    Ok((used, body, decoder.is_done()))
}

/// Feeds `input` whole, split in two at every point (near framing, if long: see `split_points`),
/// and one byte at a time; all must agree.
fn assert_decodes_alike(why: &str, input: &[u8], expect: &Decoded) {
    assert_eq!(&feed([input]), expect, "{why}: fed whole");
    for at in split_points(input, &[]) {
        let (a, b) = input.split_at(at);
        assert_eq!(&feed([a, b]), expect, "{why}: split at {at}");
    }
    assert_eq!(
        &feed(input.chunks(1)),
        expect,
        "{why}: fed one byte at a time"
    );
}

#[test]
fn chunked_bodies_decode_alike_however_they_arrive() {
    let next_request = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    // (why, input, body, bytes used, ended)
    type Case = (&'static str, Vec<u8>, &'static [u8], usize, bool);
    let cases: Vec<Case> = vec![
        (
            "one chunk",
            b"5\r\nhello\r\n0\r\n\r\n".to_vec(),
            b"hello",
            15,
            true,
        ),
        ("no chunks", b"0\r\n\r\n".to_vec(), b"", 5, true),
        (
            "three chunks",
            b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n".to_vec(),
            b"hello world",
            31,
            true,
        ),
        (
            "extensions are ignored",
            b"5;a=b\r\nhello\r\n6;x;y=\"q v\"\r\n world\r\n0;last\r\n\r\n".to_vec(),
            b"hello world",
            45,
            true,
        ),
        (
            "whitespace before an extension (BWS)",
            b"5 ;a=b\r\nhello\r\n0\r\n\r\n".to_vec(),
            b"hello",
            20,
            true,
        ),
        (
            "several spaces and tabs before an extension (BWS)",
            b"5 \t ;a=b\r\nhello\r\n0\r\n\r\n".to_vec(),
            b"hello",
            22,
            true,
        ),
        // chunked.rs lets only whitespace stand between the size and `;` or CR, as hyper does.
        (
            "whitespace before the size line's CRLF",
            b"5 \r\nhello\r\n0\r\n\r\n".to_vec(),
            b"hello",
            16,
            true,
        ),
        (
            "upper-case hex",
            b"A\r\n0123456789\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n".to_vec(),
            b"0123456789abcdefghijklmnopqrstuvwxyz",
            52,
            true,
        ),
        (
            "leading zeros",
            b"0005\r\nhello\r\n000\r\n\r\n".to_vec(),
            b"hello",
            20,
            true,
        ),
        (
            "trailers are read and dropped",
            b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\nOther: two\r\n\r\n".to_vec(),
            b"hello",
            41,
            true,
        ),
        (
            "trailer values may hold tabs, spaces and obs-text, and be empty",
            b"1\r\nx\r\n0\r\nA: \tb c\x80\xff\r\nB:\r\n\r\n".to_vec(),
            b"x",
            26,
            true,
        ),
        (
            "data may hold CRLFs",
            b"4\r\n\r\n\r\n\r\n0\r\n\r\n".to_vec(),
            b"\r\n\r\n",
            14,
            true,
        ),
        (
            "a request after the body is not used",
            cat(b"5\r\nhello\r\n0\r\n\r\n", next_request),
            b"hello",
            15,
            true,
        ),
        (
            "a body cut inside a chunk has not ended",
            b"5\r\nhel".to_vec(),
            b"hel",
            6,
            false,
        ),
        (
            "a body cut before the final empty line has not ended",
            b"5\r\nhello\r\n0\r\n".to_vec(),
            b"hello",
            13,
            false,
        ),
    ];
    for (why, input, body, used, ended) in cases {
        assert_decodes_alike(why, &input, &Ok((used, body.to_vec(), ended)));
    }
}

#[test]
fn a_chunk_size_line_of_exactly_the_limit_is_accepted() {
    // MAX_CHUNK_LINE_BYTES counts the size, the extensions and the CRLF.
    let pad = "a".repeat(MAX_CHUNK_LINE_BYTES - "1;\r\n".len());
    let input = format!("1;{pad}\r\nx\r\n0\r\n\r\n").into_bytes();
    assert_decodes_alike(
        "a size line of MAX_CHUNK_LINE_BYTES",
        &input,
        &Ok((input.len(), b"x".to_vec(), true)),
    );
}

#[test]
fn malformed_chunked_bodies_are_refused_however_they_arrive() {
    use HttpError::{BodyTooLarge, Chunked, HeadTooLarge};
    let mut cases: Vec<(&str, Vec<u8>, HttpError)> = vec![
        (
            "a size that is not hex",
            b"g\r\nhello\r\n".to_vec(),
            Chunked,
        ),
        ("an empty size", b"\r\nhello\r\n".to_vec(), Chunked),
        ("an extension without a size", b";a=b\r\n".to_vec(), Chunked),
        (
            "an empty size line ending the body",
            b"\r\n\r\n".to_vec(),
            Chunked,
        ),
        ("whitespace without a size", b" \r\n\r\n".to_vec(), Chunked),
        ("a signed size", b"-5\r\nhello\r\n".to_vec(), Chunked),
        ("a size with 0x", b"0x5\r\nhello\r\n".to_vec(), Chunked),
        (
            "data longer than its size: no CRLF after it",
            b"5\r\nhelloX\r\n0\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "two other bytes in place of the CRLF after the data",
            b"5\r\nhelloXY0\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "CR and another byte after the size",
            b"5\rXhello\r\n0\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "CR and another byte to end the body",
            b"0\r\n\rX".to_vec(),
            Chunked,
        ),
        (
            "CR and another byte after a trailer",
            b"0\r\nA: b\rXC: d\r\n\r\n".to_vec(),
            Chunked,
        ),
        ("LF-only line ends", b"5\nhello\n0\n\n".to_vec(), Chunked),
        (
            "LF only after the data",
            b"5\r\nhello\n0\r\n\r\n".to_vec(),
            Chunked,
        ),
        ("LF only after the size", b"5\nhello\r\n".to_vec(), Chunked),
        (
            "CR CR after the size",
            b"5\r\r\nhello\r\n".to_vec(),
            Chunked,
        ),
        ("LF-only final line", b"0\r\n\n".to_vec(), Chunked),
        (
            "NUL in an extension",
            b"5;a\0\r\nhello\r\n".to_vec(),
            Chunked,
        ),
        (
            "a control byte in an extension",
            b"5;a\x01b\r\nhello\r\n".to_vec(),
            Chunked,
        ),
        (
            "DEL in an extension",
            b"5;a=\x7f\r\nhello\r\n".to_vec(),
            Chunked,
        ),
        (
            "bare LF in a trailer",
            b"0\r\nX-T: a\nb\r\n\r\n".to_vec(),
            Chunked,
        ),
        // RFC 9112 §7.1.2: a trailer line is a field line, so a request line, a line without a
        // colon, a space before the colon or a control byte is an error, not a trailer.
        (
            "a request line as a trailer (missing CRLF after the last chunk)",
            b"0\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "a trailer without a colon",
            b"0\r\nX-T\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "a trailer with no name",
            b"0\r\n: v\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "space before a trailer's colon",
            b"0\r\nX-T : v\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "a trailer starting with a space",
            b"0\r\n X-T: v\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "a control byte in a trailer value",
            b"0\r\nX-T: a\x01b\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "non-ASCII in a trailer name",
            b"0\r\n\x80\xff: v\r\n\r\n".to_vec(),
            Chunked,
        ),
        (
            "a size beyond usize",
            b"FFFFFFFFFFFFFFFFFFFFFFFF\r\n".to_vec(),
            BodyTooLarge,
        ),
        (
            "one chunk over MAX_BODY_BYTES",
            format!("{:x}\r\n", MAX_BODY_BYTES + 1).into_bytes(),
            BodyTooLarge,
        ),
    ];
    let long_ext = format!(
        "1;{}\r\nx\r\n0\r\n\r\n",
        "a".repeat(2 * MAX_CHUNK_LINE_BYTES)
    );
    cases.push(("an endless extension", long_ext.into_bytes(), Chunked));
    let zeros = format!(
        "{}1\r\nx\r\n0\r\n\r\n",
        "0".repeat(2 * MAX_CHUNK_LINE_BYTES)
    );
    cases.push(("endless leading zeros", zeros.into_bytes(), Chunked));
    let trailer = format!("0\r\nX-T: {}\r\n\r\n", "t".repeat(MAX_TRAILER_BYTES));
    cases.push((
        "trailers over MAX_TRAILER_BYTES",
        trailer.into_bytes(),
        HeadTooLarge,
    ));
    // Two chunks each under the limit whose sum is over it.
    let half = MAX_BODY_BYTES / 2;
    let mut total = format!("{half:x}\r\n").into_bytes();
    total.resize(total.len() + half, b'd');
    total.extend_from_slice(format!("\r\n{:x}\r\nx\r\n0\r\n\r\n", half + 1).as_bytes());
    cases.push(("chunks summing over MAX_BODY_BYTES", total, BodyTooLarge));

    for (why, input, error) in cases {
        assert_decodes_alike(why, &input, &Err(error));
    }
}

/// Each limit admits a body at it and refuses one a byte over: trailers (each line counted but
/// its LF), extensions (in all, each counted with its CR but not its `;`) and the data.
#[test]
fn chunked_bodies_at_a_limit_are_accepted_and_one_over_refused() {
    use HttpError::{BodyTooLarge, Chunked, HeadTooLarge};
    for (len, error) in [
        (MAX_TRAILER_BYTES, None),
        (MAX_TRAILER_BYTES + 1, Some(HeadTooLarge)),
    ] {
        let trailer = format!("X-T: {}", "t".repeat(len - 6));
        let input = format!("5\r\nhello\r\n0\r\n{trailer}\r\n\r\n").into_bytes();
        let expect = error.ok_or((input.len(), b"hello".to_vec(), true));
        assert_decodes_alike(
            &format!("trailers of {len}"),
            &input,
            &expect.map_or_else(Ok, Err),
        );
    }
    for (total, error) in [
        (MAX_CHUNK_EXTENSION_BYTES, None),
        (MAX_CHUNK_EXTENSION_BYTES + 1, Some(Chunked)),
    ] {
        let full = format!("1;{}\r\nx\r\n", "e".repeat(999));
        let lines = total / 1000;
        let last = format!("1;{}\r\nx\r\n", "e".repeat(total % 1000 - 1));
        let input = format!("{}{last}0\r\n\r\n", full.repeat(lines)).into_bytes();
        let expect = error.ok_or((input.len(), b"x".repeat(lines + 1), true));
        let why = format!("extensions of {total} in all");
        assert_decodes_alike(&why, &input, &expect.map_or_else(Ok, Err));
    }
    // The data: in one chunk or two, each size checked against what came before it.
    let decode = |limit: usize, input: &[u8]| {
        let mut body = Vec::new();
        let mut decoder = ChunkedDecoder::with_limit(limit);
        decoder
            .decode(input, &mut body)
            .map(|n| (n, body, decoder.is_done()))
    };
    for input in [
        &b"5\r\nhello\r\n0\r\n\r\n"[..],
        b"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
    ] {
        let why = String::from_utf8_lossy(input);
        assert_eq!(
            decode(5, input),
            Ok((input.len(), b"hello".to_vec(), true)),
            "{why}"
        );
        assert_eq!(decode(4, input), Err(BodyTooLarge), "{why}");
    }
    let mut at_max = format!("{MAX_BODY_BYTES:x}\r\n").into_bytes();
    at_max.resize(at_max.len() + MAX_BODY_BYTES, b'd');
    at_max.extend_from_slice(b"\r\n0\r\n\r\n");
    let (used, body, ended) = feed([&at_max[..]]).expect("a body of MAX_BODY_BYTES");
    assert_eq!(
        (used, body.len(), ended),
        (at_max.len(), MAX_BODY_BYTES, true)
    );
}

/// RFC 9112 §7.1.1: after the size only BWS then `;` may come (`chunk-ext`). hyper refuses
/// anything else after whitespace ("invalid chunk size linear white space").
#[test]
fn a_size_followed_by_whitespace_and_junk_is_refused() {
    assert_decodes_alike(
        "5 6",
        b"5 6\r\nhello\r\n0\r\n\r\n",
        &Err(HttpError::Chunked),
    );
}

/// limits.rs says MAX_CHUNK_LINE_BYTES counts "size, extensions and CRLF".
#[test]
fn a_chunk_size_line_one_over_the_limit_is_refused() {
    let pad = "a".repeat(MAX_CHUNK_LINE_BYTES + 1 - "1;\r\n".len());
    let input = format!("1;{pad}\r\nx\r\n0\r\n\r\n").into_bytes();
    assert_decodes_alike("one over", &input, &Err(HttpError::Chunked));
}

// ---- Randomized ----------------------------------------------------------------------------------

/// The seed when `PARSER_FUZZ_SEED` is not set.
const FUZZ_SEED: u64 = 0x5EED_C0FF_EE00_2024;

fn fuzz_seed() -> u64 {
    seed_from_env("PARSER_FUZZ_SEED", FUZZ_SEED)
}

const TCHARS: &[u8] =
    b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// `pchar` without `%` (escapes are made separately).
const PCHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@";
const SPECIAL_FIELDS: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
];

/// A random request and what it must parse to.
struct Built {
    bytes: Vec<u8>,
    head: Head,
    /// Where the body starts.
    head_len: usize,
    /// For a chunked body: the data it encodes.
    chunked_data: Option<Vec<u8>>,
}

fn random_token(rng: &mut Rng, max: usize) -> String {
    (0..rng.range(1, max))
        .map(|_| *rng.pick(TCHARS) as char)
        .collect()
}

fn random_pchars(rng: &mut Rng, max: usize) -> String {
    let mut s = String::new();
    for _ in 0..rng.range(0, max) {
        if rng.one_in(6) {
            s.push_str(&format!("%{:02X}", rng.below(256)));
        } else {
            s.push(*rng.pick(PCHARS) as char);
        }
    }
    s
}

/// A field value without leading or trailing whitespace: visible ASCII, inner spaces and tabs,
/// and some UTF-8.
fn random_value(rng: &mut Rng) -> String {
    let mut v = String::new();
    for _ in 0..rng.range(0, 24) {
        match rng.below(12) {
            0 => v.push(' '),
            1 => v.push('\t'),
            2 => v.push(*rng.pick(&['ü', '€', '😀'])),
            _ => v.push(rng.range(0x21, 0x7e) as u8 as char),
        }
    }
    v.trim_matches([' ', '\t']).to_string()
}

fn random_ows(rng: &mut Rng) -> &'static str {
    const OWS: [&str; 6] = ["", "", " ", "  ", "\t", " \t "];
    OWS[rng.below(OWS.len())]
}

fn random_case(rng: &mut Rng, s: &str) -> String {
    s.chars()
        .map(|c| {
            if rng.one_in(2) {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A chunked encoding of `data` in random chunks, with random size spellings, extensions and
/// trailers.
fn random_chunked(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    loop {
        let n = if rest.is_empty() {
            0
        } else {
            rng.range(1, rest.len())
        };
        let zeros = "0".repeat(rng.below(3));
        let size = if rng.one_in(2) {
            format!("{zeros}{n:x}")
        } else {
            format!("{zeros}{n:X}")
        };
        out.extend_from_slice(size.as_bytes());
        if rng.one_in(4) {
            out.extend_from_slice(
                format!(";{}={}", random_token(rng, 5), random_token(rng, 5)).as_bytes(),
            );
        }
        out.extend_from_slice(b"\r\n");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    if rng.one_in(4) {
        out.extend_from_slice(format!("X-Checksum: {}\r\n", random_token(rng, 8)).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A header field line as (wire line, name, value), inserted at a random place.
type Field = (String, String, String);

/// Inserts `name: value` at a random place, with random whitespace around the value.
fn insert_field(rng: &mut Rng, fields: &mut Vec<Field>, name: String, value: String) {
    let line = format!("{name}:{}{value}{}", random_ows(rng), random_ows(rng));
    let at = rng.range(0, fields.len());
    fields.insert(at, (line, name, value));
}

fn build_request(rng: &mut Rng) -> Built {
    let version = if rng.one_in(4) {
        Version::Http10
    } else {
        Version::Http11
    };
    let method = *rng.pick(&[
        "GET",
        "GET",
        "POST",
        "POST",
        "PUT",
        "DELETE",
        "PATCH",
        "HEAD",
        "OPTIONS",
        "PURGE",
        "M-SEARCH",
        "x!#$%&'*+-.^_`|~9",
    ]);

    // The target, and the origin form it must parse to.
    let mut path = String::new();
    for _ in 0..rng.range(0, 4) {
        path.push('/');
        path.push_str(&random_pchars(rng, 8));
    }
    if path.is_empty() || rng.one_in(5) {
        path.push('/');
    }
    let mut query = String::new();
    if rng.one_in(2) {
        query.push('?');
        for i in 0..rng.range(1, 3) {
            if i > 0 {
                query.push('&');
            }
            let key = random_pchars(rng, 5).replace(['&', '='], "k");
            let value = random_pchars(rng, 8).replace('&', "v");
            query.push_str(&format!("{key}={value}"));
        }
    }
    // The Host an absolute-form target must come with (RFC 9112 §3.2.2).
    let mut named_host = None;
    let (wire_target, target) = match rng.below(10) {
        // The asterisk form is for OPTIONS alone.
        0 if method == "OPTIONS" => ("*".to_string(), "*".to_string()),
        1 => {
            let authority = rng.pick(&["127.0.0.1:7071", "localhost", "h.example"]);
            named_host = Some(random_case(rng, authority));
            let scheme = rng.pick(&["http", "https", "HTTP"]);
            if path == "/" && rng.one_in(2) {
                // No path at all: "http://h?q" means "/?q".
                (
                    format!("{scheme}://{authority}{query}"),
                    format!("/{query}"),
                )
            } else {
                (
                    format!("{scheme}://{authority}{path}{query}"),
                    format!("{path}{query}"),
                )
            }
        }
        _ => (format!("{path}{query}"), format!("{path}{query}")),
    };

    // Header fields: random ones, then the ones that decide framing, at random places.
    let mut fields: Vec<Field> = Vec::new();
    for _ in 0..rng.range(0, 20) {
        let name = loop {
            let name = random_token(rng, 12);
            if !SPECIAL_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                break name;
            }
        };
        let value = random_value(rng);
        insert_field(rng, &mut fields, name, value);
    }
    if version == Version::Http11 || rng.one_in(2) {
        let host = named_host.unwrap_or_else(|| {
            let host = rng.pick(&["localhost:7071", "127.0.0.1:51234", "", "h.example"]);
            host.to_string()
        });
        let name = random_case(rng, "host");
        insert_field(rng, &mut fields, name, host);
    }

    let mut body = BodyKind::None;
    let mut body_bytes = Vec::new();
    let mut chunked_data = None;
    match rng.below(3) {
        0 => {}
        1 if version == Version::Http11 => {
            let data: Vec<u8> = (0..rng.range(0, 60))
                .map(|_| rng.below(256) as u8)
                .collect();
            body_bytes = random_chunked(rng, &data);
            chunked_data = Some(data);
            body = BodyKind::Chunked;
            let name = random_case(rng, "transfer-encoding");
            let value = rng.pick(&["chunked", "Chunked", "CHUNKED"]).to_string();
            insert_field(rng, &mut fields, name, value);
        }
        _ => {
            let n = rng.range(0, 40);
            body_bytes = (0..n).map(|_| rng.below(256) as u8).collect();
            if n > 0 {
                body = BodyKind::Length(n);
            }
            let value = if rng.one_in(5) {
                format!("{n}, {n}")
            } else {
                n.to_string()
            };
            let name = random_case(rng, "content-length");
            insert_field(rng, &mut fields, name, value);
        }
    }

    let mut keep_alive = version == Version::Http11;
    if rng.one_in(3) {
        let (value, close, keep) = *rng.pick(&[
            ("close", true, false),
            ("Close", true, false),
            ("keep-alive", false, true),
            ("Keep-Alive", false, true),
            ("upgrade, close", true, false),
            ("foo", false, false),
            ("keep-alive, close", true, true),
        ]);
        keep_alive = !close && (keep || version == Version::Http11);
        let name = random_case(rng, "connection");
        insert_field(rng, &mut fields, name, value.to_string());
    }
    let mut expect_continue = false;
    if rng.one_in(5) {
        expect_continue = version == Version::Http11 && body != BodyKind::None;
        let value = rng.pick(&["100-continue", "100-Continue"]).to_string();
        insert_field(rng, &mut fields, "Expect".to_string(), value);
    }

    let mut bytes = b"\r\n".repeat(if rng.one_in(10) { rng.range(1, 2) } else { 0 });
    let version_text = match version {
        Version::Http10 => "HTTP/1.0",
        Version::Http11 => "HTTP/1.1",
    };
    bytes.extend_from_slice(format!("{method} {wire_target} {version_text}\r\n").as_bytes());
    for (line, _, _) in &fields {
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    let head_len = bytes.len();
    bytes.extend_from_slice(&body_bytes);

    Built {
        bytes,
        head: Head {
            method: method.to_string(),
            target,
            version,
            headers: fields.into_iter().map(|(_, n, v)| (n, v)).collect(),
            body,
            keep_alive,
            expect_continue,
        },
        head_len,
        chunked_data,
    }
}

/// Parses, turning a panic into an error message.
fn parse_guarded(buf: &[u8]) -> Result<Parsed, String> {
    catch_unwind(AssertUnwindSafe(|| parse_head(buf))).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string())
    })
}

fn is_tchar(b: u8) -> bool {
    TCHARS.contains(&b)
}

/// What must hold of any parse of any input, and of its parse split at `split`.
fn check_any_input(buf: &[u8], split: usize, ctx: &str) {
    let whole =
        parse_guarded(buf).unwrap_or_else(|p| panic!("{ctx}: panicked: {p}; input {buf:?}"));
    match &whole {
        Ok(Status::Complete((h, used))) => {
            assert!(*used <= buf.len(), "{ctx}: used {used} of {}", buf.len());
            assert_eq!(
                parse_head(&buf[..*used]),
                whole,
                "{ctx}: the used bytes alone parse differently; input {buf:?}"
            );
            let bad = |what: &str| panic!("{ctx}: {what} in {h:?}; input {buf:?}");
            if h.method.is_empty() || !h.method.bytes().all(is_tchar) {
                bad("a method that is not a token");
            }
            if !(h.target.starts_with('/') || h.target == "*")
                || !h.target.bytes().all(|b| b.is_ascii_graphic())
            {
                bad("a target that is not origin-form or *");
            }
            if h.headers.len() > MAX_HEADERS {
                bad("too many headers");
            }
            for (name, value) in &h.headers {
                if name.is_empty() || !name.bytes().all(is_tchar) {
                    bad("a field name that is not a token");
                }
                if value.starts_with([' ', '\t'])
                    || value.ends_with([' ', '\t'])
                    || value.contains(['\r', '\n', '\0'])
                {
                    bad("an untrimmed value or one with CR, LF or NUL");
                }
            }
            let hosts = h
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("host"))
                .count();
            if h.version == Version::Http11 && hosts != 1 {
                bad("HTTP/1.1 without exactly one Host");
            }
            match h.body {
                BodyKind::Length(n) if n == 0 || n > MAX_BODY_BYTES => bad("a bad length"),
                BodyKind::Chunked if h.version == Version::Http10 => bad("chunked on 1.0"),
                _ => {}
            }
            if h.expect_continue && (h.body == BodyKind::None || h.version == Version::Http10) {
                bad("100-continue without a body or on HTTP/1.0");
            }
        }
        Ok(Status::Partial) => {}
        Err(e) => assert!(
            (400..=505).contains(&e.status()),
            "{ctx}: {e:?} answers {}",
            e.status()
        ),
    }
    let prefix = parse_guarded(&buf[..split])
        .unwrap_or_else(|p| panic!("{ctx}: the first {split} bytes panicked: {p}; input {buf:?}"));
    assert!(
        prefix_agrees(&prefix, &whole, split),
        "{ctx}: the first {split} of {} bytes give {prefix:?}, all of them {whole:?}; input {buf:?}",
        buf.len()
    );
}

const INTERESTING_BYTES: &[u8] = b"\r\n \t:,;/?%*\0\x7f\x80\xff0Hh";
const INTERESTING_STRINGS: [&str; 10] = [
    "\r\n",
    "\r\n\r\n",
    "\r\n ",
    "Content-Length: 5\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Host: x\r\n",
    "Expect: 100-continue\r\n",
    "HTTP/1.0",
    "http://",
    " ",
];

/// Damages `bytes` in one random way.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let at = rng.range(0, bytes.len());
    mutate_at(rng, bytes, at);
}

/// Damages `bytes` in one random way at offset `at` (at most `bytes.len()`).
fn mutate_at(rng: &mut Rng, bytes: &mut Vec<u8>, at: usize) {
    let random_byte = |rng: &mut Rng| {
        if rng.one_in(2) {
            rng.below(256) as u8
        } else {
            *rng.pick(INTERESTING_BYTES)
        }
    };
    match rng.below(6) {
        0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
        1 if at < bytes.len() => bytes[at] = random_byte(rng),
        2 => bytes.insert(at, random_byte(rng)),
        3 if at < bytes.len() => {
            bytes.remove(at);
        }
        4 => bytes.truncate(at),
        _ => {
            let s = rng.pick(&INTERESTING_STRINGS).as_bytes();
            bytes.splice(at..at, s.iter().copied());
        }
    }
}

#[test]
fn random_valid_requests_parse_to_what_was_built() {
    let seed = fuzz_seed();
    for case in 0..3000 {
        let rng = &mut Rng::for_case(seed, case);
        let built = build_request(rng);
        let ctx = format!("PARSER_FUZZ_SEED={seed} case {case}");
        let whole = Ok(Status::Complete((built.head, built.head_len)));
        assert_eq!(
            parse_guarded(&built.bytes).unwrap_or_else(|p| panic!("{ctx}: panicked: {p}")),
            whole,
            "{ctx}: input {:?}",
            String::from_utf8_lossy(&built.bytes)
        );
        let split = rng.range(0, built.bytes.len());
        let prefix = parse_head(&built.bytes[..split]);
        assert!(
            prefix_agrees(&prefix, &whole, split),
            "{ctx}: the first {split} bytes give {prefix:?}; input {:?}",
            String::from_utf8_lossy(&built.bytes)
        );
        if let Some(data) = built.chunked_data {
            let body = &built.bytes[built.head_len..];
            let at = rng.range(0, body.len());
            let (a, b) = body.split_at(at);
            assert_eq!(
                feed([a, b]),
                Ok((body.len(), data, true)),
                "{ctx}: chunked body {:?} split at {at}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[test]
fn damaged_and_random_input_never_panics_and_parses_consistently() {
    let seed = fuzz_seed();
    for case in 0..3000 {
        let rng = &mut Rng::for_case(seed, case + 1_000_000);
        let mut bytes = build_request(rng).bytes;
        for _ in 0..rng.range(1, 3) {
            mutate(rng, &mut bytes);
        }
        let split = rng.range(0, bytes.len());
        check_any_input(
            &bytes,
            split,
            &format!("PARSER_FUZZ_SEED={seed} damaged case {case}"),
        );
    }
    for case in 0..2000 {
        let rng = &mut Rng::for_case(seed, case + 2_000_000);
        let bytes: Vec<u8> = (0..rng.range(0, 80))
            .map(|_| {
                if rng.one_in(2) {
                    rng.below(256) as u8
                } else {
                    *rng.pick(b"GET / HTTP/1.1\r\nHost: x:\r\n")
                }
            })
            .collect();
        let split = rng.range(0, bytes.len());
        check_any_input(
            &bytes,
            split,
            &format!("PARSER_FUZZ_SEED={seed} random case {case}"),
        );
    }
}

// ---- The same answer however the bytes are split, at every limit ---------------------------------
//
// The promise as the server lives it (`conn/mod.rs`): it parses what its first read brought; while
// the answer is `Partial`, it appends each next read and parses again only if `worth_parsing`
// says so; it acts on the first answer that is not `Partial`. For every split of an input into
// two or three reads, that answer must be the answer for the whole input; every prefix must
// parse as `Partial` or as that answer (an error may come early, never a different one); and a
// "no" from `worth_parsing` must never hide a changed answer. Fed one byte at a time, a head
// must also be parsed again only about once per line, or trickling heads would cost quadratic
// time. The inputs sit at each limit (one under, at, one over) with CR, LF and empty-line edges,
// or are built at random, stretched to a limit and damaged there.

/// The answers for the prefixes of `input` that reads end at, each parsed once: the reads of
/// many splits end at the same offsets.
struct Prefixes<'a> {
    input: &'a [u8],
    answers: HashMap<usize, Parsed>,
}

impl<'a> Prefixes<'a> {
    fn new(input: &'a [u8], ends: &[usize]) -> Prefixes<'a> {
        let answers = ends
            .iter()
            .chain([&input.len()])
            .map(|&end| (end, parse_head(&input[..end])))
            .collect();
        Prefixes { input, answers }
    }

    fn whole(&self) -> &Parsed {
        &self.answers[&self.input.len()]
    }
}

/// Reads ending at `ends` (increasing, inside the input), then one with the rest, are answered
/// as the whole input is: see this section's comment.
fn assert_reads_agree(why: &str, prefixes: &Prefixes, ends: &[usize]) {
    let input = prefixes.input;
    let whole = prefixes.whole();
    let partial: Parsed = Ok(Status::Partial);
    let mut answer = &partial;
    let mut before = 0;
    for &end in ends.iter().chain([&input.len()]) {
        let now = &prefixes.answers[&end];
        assert!(
            prefix_agrees(now, whole, end),
            "{why}: reads ending at {ends:?}: the first {end} bytes give {now:?}, all {} give \
             {whole:?}",
            input.len()
        );
        if *answer == partial {
            if worth_parsing(&input[..end], before) {
                answer = now;
            } else {
                assert_eq!(
                    now, &partial,
                    "{why}: reads ending at {ends:?}: worth_parsing said no to bytes \
                     {before}..{end}, which change the answer"
                );
            }
        }
        before = end;
    }
    assert_eq!(
        answer, whole,
        "{why}: what the server answers to reads ending at {ends:?}"
    );
}

/// `input` fed one byte at a time is answered as the whole is, and parsed again at most once per
/// line end and about twice `MAX_METHOD_BYTES` times more (the lengths at which a request line
/// that has not ended can be refused, near its start and near its target limit). Returns how
/// many times it was parsed.
fn assert_trickle_agrees(why: &str, input: &[u8], whole: &Parsed) -> usize {
    let mut parses = 0;
    let mut answer = Ok(Status::Partial);
    let mut fed = input.len();
    for end in 1..=input.len() {
        if worth_parsing(&input[..end], end - 1) {
            parses += 1;
            answer = parse_head(&input[..end]);
            if answer != Ok(Status::Partial) {
                fed = end;
                break;
            }
        }
    }
    assert_eq!(&answer, whole, "{why}: fed one byte at a time");
    let line_ends = input[..fed].iter().filter(|&&b| b == b'\n').count();
    assert!(
        parses <= line_ends + 2 * (MAX_METHOD_BYTES + 4),
        "{why}: fed one byte at a time, parsed {parses} times for {line_ends} line ends"
    );
    parses
}

/// The empty lines `input` starts with, as the parser skips them: where its request line starts.
fn request_line_start(input: &[u8]) -> usize {
    let mut start = 0;
    while input[start..].starts_with(b"\r\n") {
        start += 2;
    }
    start
}

/// Where reads may end in `input`, in increasing order and inside it: at every offset of a short
/// input; in a long one, around each length at which a limit is reached (counted from the request
/// line's start, and `marks`), next to bytes that carry framing (CR, LF, SP), and at a few
/// offsets at random; at most `most` of the ones next to framing, drawn at random.
fn read_ends(rng: &mut Rng, input: &[u8], marks: &[usize], most: usize) -> Vec<usize> {
    let len = input.len();
    if len <= 200 {
        return (1..len).collect();
    }
    let start = request_line_start(input);
    let mut limits = vec![start, MAX_HEAD_BYTES, start + MAX_METHOD_BYTES];
    // A request line that has not ended can be refused for its target at any of these lengths.
    let target_limit = start + MAX_TARGET_BYTES;
    if !input[start..target_limit.min(len)].contains(&b'\n') {
        limits.extend(target_limit..=target_limit + MAX_METHOD_BYTES + 2);
    }
    limits.extend_from_slice(marks);
    let mut ends: Vec<usize> = limits
        .iter()
        .flat_map(|&at| at.saturating_sub(2)..=at + 2)
        .collect();
    let mut framing: Vec<usize> = input
        .iter()
        .enumerate()
        .filter(|(_, &b)| matches!(b, b'\r' | b'\n' | b' '))
        .flat_map(|(i, _)| [i, i + 1])
        .collect();
    while framing.len() > most {
        framing.swap_remove(rng.below(framing.len()));
    }
    ends.extend(framing);
    ends.extend((0..8).map(|_| rng.range(1, len)));
    ends.retain(|&end| 0 < end && end < len);
    ends.sort_unstable();
    ends.dedup();
    ends
}

/// Pairs of `ends` to split an input into three reads at: all of them, or `most` at random.
fn pairs(rng: &mut Rng, ends: &[usize], most: usize) -> Vec<[usize; 2]> {
    let n = ends.len();
    if n * n.saturating_sub(1) / 2 <= most {
        return (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| [ends[i], ends[j]]))
            .collect();
    }
    (0..most)
        .map(|_| {
            let (i, j) = (rng.below(n), rng.below(n));
            [ends[i.min(j)], ends[i.max(j)]]
        })
        .filter(|[a, b]| a < b)
        .collect()
}

/// What `check_head_splits` tried, for the closing summary of a test.
#[derive(Default)]
struct Tally {
    inputs: usize,
    reads: usize,
    trickles: usize,
    parses_trickling: usize,
}

/// Every check of this section on `input`: whole, in two reads at every end of `read_ends`, in
/// three at pairs of them, and, if `trickle`, one byte at a time (when that costs little: a head
/// of many lines fed by the byte is parsed once per line).
fn check_head_splits(
    rng: &mut Rng,
    why: &str,
    input: &[u8],
    marks: &[usize],
    trickle: bool,
    tally: &mut Tally,
) {
    let ends = read_ends(rng, input, marks, 64);
    let prefixes = Prefixes::new(input, &ends);
    assert_reads_agree(why, &prefixes, &[]);
    for &end in &ends {
        assert_reads_agree(why, &prefixes, &[end]);
    }
    let threes = pairs(rng, &ends, 400);
    for pair in &threes {
        assert_reads_agree(why, &prefixes, pair);
    }
    tally.inputs += 1;
    tally.reads += 1 + ends.len() + threes.len();
    let line_ends = input.iter().filter(|&&b| b == b'\n').count();
    if trickle && line_ends * input.len() <= 4_000_000 {
        tally.trickles += 1;
        tally.parses_trickling += assert_trickle_agrees(why, input, prefixes.whole());
    }
}

/// Request heads at each of the parser's limits, one under, at and one over it, after what may
/// come before a request (nothing, empty lines, a stray CR), and ending in each way the bytes
/// at a limit may end (not yet, a CR, CRLF, a bare LF, a CR then something else, a space, or the
/// rest of a good head).
fn heads_at_limits() -> Vec<(String, Vec<u8>)> {
    let many_empty_lines = "\r\n".repeat(100);
    let leads = ["", "\r\n", "\r", &many_empty_lines];
    let line_ends = ["", "\r", "\r\n", "\n", "\rX", "\r\r\n", " ", "\r\n\r\n"];
    let around = |limit: usize| limit - 1..=limit + 1;
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |why: String, parts: &[&str]| cases.push((why, parts.concat().into_bytes()));
    let lead_name = |lead: &str| match lead.len() {
        n if n > 8 => format!("{} empty lines", n / 2),
        _ => format!("{lead:?}"),
    };

    for lead in leads {
        for len in around(MAX_METHOD_BYTES) {
            let method = "M".repeat(len);
            for end in line_ends.iter().chain(&[" / HTTP/1.1\r\nHost: h\r\n\r\n"]) {
                let why = format!("{} then a method of {len} then {end:?}", lead_name(lead));
                add(why, &[lead, &method, end]);
            }
        }
        for method in ["G", &"M".repeat(MAX_METHOD_BYTES)] {
            for len in around(MAX_TARGET_BYTES) {
                let target = format!("/{}", "t".repeat(len - 1));
                let rest = [" HTTP/1.1\r\nHost: h\r\n\r\n", " HTTP/1.1\r", "\r X"];
                for end in line_ends.iter().chain(&rest) {
                    let why = format!(
                        "{} then a method of {} and a target of {len} then {end:?}",
                        lead_name(lead),
                        method.len()
                    );
                    add(why, &[lead, method, " ", &target, end]);
                }
            }
        }
    }

    for lead in ["", "\r\n"] {
        for count in around(MAX_HEADERS) {
            let mut head = "GET / HTTP/1.1\r\nHost: h\r\n".to_string();
            for i in 1..count {
                head.push_str(&format!("X-H{i}: v\r\n"));
            }
            let ends = [
                "\r\n",
                "",
                "\r",
                "\n",
                "\rX",
                "X-Last: v",
                "X-Last: v\r",
                "X-Last: v\r\n",
                "X-Last: v\r\n\r\n",
                "Bad\r\n",
            ];
            for end in ends {
                let why = format!("{} then {count} fields then {end:?}", lead_name(lead));
                add(why, &[lead, &head, end]);
            }
        }
    }

    for lead in ["", "\r\n"] {
        for total in MAX_HEAD_BYTES - 2..=MAX_HEAD_BYTES + 1 {
            let (head, _) = padded_head(total);
            let head = String::from_utf8(head).unwrap();
            for cut in 0..=4 {
                let why = format!(
                    "{} then a head of {total} without its last {cut} bytes",
                    lead_name(lead)
                );
                add(why, &[lead, &head[..total - cut]]);
            }
            let why = format!(
                "{} then a head of {total} ending in a bare LF",
                lead_name(lead)
            );
            add(why, &[lead, &head[..total - 2], "\n"]);
            // A bad field line whose LF lands on either side of the limit.
            let (head, _) = padded_head(total - 3);
            let head = String::from_utf8(head).unwrap();
            let why = format!(
                "{} then a bad field line whose LF is byte {total}",
                lead_name(lead)
            );
            add(why, &[lead, &head[..total - 5], "Bad\r\n\r\n"]);
        }
    }

    // One field line that is still going when the head limit passes.
    let fixed = "GET / HTTP/1.1\r\nHost: h\r\nX-Long: ";
    for len in MAX_HEAD_BYTES - 3..=MAX_HEAD_BYTES + 1 {
        let value = "v".repeat(len - fixed.len());
        for end in ["", "\r", "\r\n", "\r\n\r\n", "\n"] {
            let why = format!("a field line of {len} bytes then {end:?}");
            add(why, &[fixed, &value, end]);
        }
    }

    // Nothing but empty lines, up to the head limit.
    for count in MAX_HEAD_BYTES / 2 - 1..=MAX_HEAD_BYTES / 2 + 1 {
        let lines = "\r\n".repeat(count);
        for end in ["", "\r", "G", "\rX", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"] {
            add(format!("{count} empty lines then {end:?}"), &[&lines, end]);
        }
    }
    cases
}

#[test]
fn heads_at_every_limit_are_answered_alike_however_they_are_split() {
    let started = Instant::now();
    let mut tally = Tally::default();
    let cases = heads_at_limits();
    for (i, (why, input)) in cases.iter().enumerate() {
        let rng = &mut Rng::for_case(fuzz_seed(), i + 3_000_000);
        let trickle = rng.one_in(3);
        check_head_splits(rng, why, input, &[], trickle, &mut tally);
    }
    println!(
        "{} heads at limits, {} splits into 1-3 reads, {} fed one byte at a time ({} parses) in \
         {:?}",
        tally.inputs,
        tally.reads,
        tally.trickles,
        tally.parses_trickling,
        started.elapsed()
    );
}

/// Stretches the request in `bytes`, as `build_request` makes it, to one of the parser's limits,
/// one under, at or one over it: its method, its target, its number of fields, the size of its
/// head, or the empty lines before it. Returns where the stretched part ends, for damage to aim
/// at, and what was stretched.
fn stretch_to_a_limit(rng: &mut Rng, bytes: &mut Vec<u8>) -> (usize, String) {
    let find = |bytes: &[u8], from: usize, what: &[u8]| {
        from + bytes[from..]
            .windows(what.len())
            .position(|w| w == what)
            .expect("a built request has it")
    };
    let start = request_line_start(bytes);
    let method_end = find(bytes, start, b" ");
    let target_end = find(bytes, method_end + 1, b" ");
    let line_end = find(bytes, start, b"\r\n") + 2;
    let head_end = find(bytes, start, b"\r\n\r\n") + 4;
    let len = rng.range(0, 2);
    match rng.below(5) {
        0 => {
            let len = MAX_METHOD_BYTES - 1 + len;
            bytes.splice(start..method_end, std::iter::repeat_n(b'M', len));
            (start + len, format!("a method of {len}"))
        }
        1 => {
            let len = MAX_TARGET_BYTES - 1 + len;
            let more = len - (target_end - method_end - 1);
            bytes.splice(
                method_end + 2..method_end + 2,
                std::iter::repeat_n(b't', more),
            );
            (method_end + 1 + len, format!("a target of {len}"))
        }
        2 => {
            let fields = bytes[line_end..head_end - 2]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            let count = MAX_HEADERS - 1 + len;
            let fill = b"X-Fill: 1\r\n".repeat(count - fields);
            bytes.splice(line_end..line_end, fill.iter().copied());
            (head_end + fill.len(), format!("{count} fields"))
        }
        3 => {
            let total = MAX_HEAD_BYTES - 1 + len;
            let pad = format!("X-Pad: {}\r\n", "p".repeat(total - head_end - 9));
            bytes.splice(line_end..line_end, pad.bytes());
            (total, format!("a head of {total}"))
        }
        _ => {
            let count = match rng.below(4) {
                0 => 1,
                1 => 16,
                2 => MAX_HEAD_BYTES / 2 - 1 - rng.below(3),
                _ => rng.range(0, MAX_HEAD_BYTES / 2),
            };
            bytes.splice(0..0, b"\r\n".repeat(count));
            (2 * count, format!("{count} more empty lines"))
        }
    }
}

#[test]
fn damaged_heads_at_random_limits_are_answered_alike_however_they_are_split() {
    let started = Instant::now();
    let seed = fuzz_seed();
    let mut tally = Tally::default();
    for case in 0..250 {
        let rng = &mut Rng::for_case(seed, case + 4_000_000);
        let mut bytes = build_request(rng).bytes;
        let (stretched, what) = stretch_to_a_limit(rng, &mut bytes);
        for _ in 0..rng.range(0, 2) {
            let at = if rng.one_in(2) {
                (stretched + rng.below(9)).saturating_sub(4)
            } else {
                rng.below(bytes.len() + 1)
            };
            let at = at.min(bytes.len());
            mutate_at(rng, &mut bytes, at);
        }
        let why = format!("PARSER_FUZZ_SEED={seed} case {case}, {what}");
        let trickle = rng.one_in(3);
        check_head_splits(rng, &why, &bytes, &[stretched], trickle, &mut tally);
    }
    println!(
        "{} damaged heads, {} splits into 1-3 reads, {} fed one byte at a time ({} parses) in \
         {:?}",
        tally.inputs,
        tally.reads,
        tally.trickles,
        tally.parses_trickling,
        started.elapsed()
    );
}

/// Feeds `input` to one decoder in reads ending at `ends` (increasing, inside the input), then
/// one with the rest, as the server does: what it has after each read, until one fails.
fn feed_reads(input: &[u8], ends: &[usize]) -> Vec<(usize, Decoded)> {
    let mut decoder = ChunkedDecoder::new();
    let mut body = Vec::new();
    let (mut used, mut from) = (0, 0);
    let mut after = Vec::new();
    for &end in ends.iter().chain([&input.len()]) {
        if !decoder.is_done() {
            match decoder.decode(&input[from..end], &mut body) {
                Ok(n) => used += n,
                Err(e) => {
                    after.push((end, Err(e)));
                    break;
                }
            }
        }
        from = end;
        after.push((end, Ok((used, body.clone(), decoder.is_done()))));
    }
    after
}

/// Reads ending at `ends` decode as the whole input does; before the last, what the decoder has
/// is that answer, or a body that has not ended and is a beginning of the whole's.
fn assert_chunked_reads_agree(why: &str, input: &[u8], ends: &[usize], whole: &Decoded) {
    let after = feed_reads(input, ends);
    for (end, now) in &after {
        let agrees = match (now, whole) {
            (Ok((used, body, false)), Ok((_, all, _))) => used == end && all.starts_with(body),
            (Ok((used, _, false)), Err(_)) => used == end,
            _ => now == whole,
        };
        assert!(
            agrees,
            "{why}: reads ending at {ends:?}: after {end} bytes {now:?}, after all {whole:?}"
        );
    }
    let last = &after.last().unwrap().1;
    assert_eq!(last, whole, "{why}: reads ending at {ends:?}");
}

/// Chunked bodies at each of the decoder's limits, one under, at and one over it, each ending in
/// each way the bytes at a limit may end; and where the limit is reached.
fn chunked_at_limits() -> Vec<(String, Vec<u8>, usize)> {
    let mut cases = Vec::new();
    let line_ends = ["\r\n", "", "\r", "\rX", "\n", "\r\r\n"];
    // A size line (with its CRLF) of about MAX_CHUNK_LINE_BYTES: long by an extension, by
    // leading zeros, or by whitespace before an extension.
    for len in MAX_CHUNK_LINE_BYTES - 1..=MAX_CHUNK_LINE_BYTES + 1 {
        let lines = [
            ("an extension", format!("1;{}", "e".repeat(len - 4))),
            ("leading zeros", format!("{}1", "0".repeat(len - 3))),
            ("whitespace", format!("1{};", " ".repeat(len - 4))),
        ];
        for (what, line) in lines {
            for end in line_ends {
                let input = format!("5\r\nhello\r\n{line}{end}x\r\n0\r\n\r\n");
                let why = format!("a size line of {len} by {what}, ending {end:?}");
                cases.push((why, input.into_bytes(), 10 + len));
            }
        }
    }
    // Trailers of about MAX_TRAILER_BYTES, as the decoder counts them (each line but its LF):
    // one line, or a short one then a long one.
    for len in MAX_TRAILER_BYTES - 1..=MAX_TRAILER_BYTES + 1 {
        let trailers = [
            ("one line", format!("X-T: {}", "t".repeat(len - 6))),
            (
                "two lines",
                format!("X-A: a\r\nX-T: {}", "t".repeat(len - 7 - 6)),
            ),
        ];
        for (what, trailer) in trailers {
            for end in line_ends {
                let input = format!("5\r\nhello\r\n0\r\n{trailer}{end}\r\n");
                let why = format!("trailers of {len} in {what}, ending {end:?}");
                cases.push((why, input.into_bytes(), 13 + len));
            }
        }
    }
    // Extensions of about MAX_CHUNK_EXTENSION_BYTES in all (each counted with its CR), over
    // lines of 1,000.
    for total in MAX_CHUNK_EXTENSION_BYTES - 1..=MAX_CHUNK_EXTENSION_BYTES + 1 {
        let full = format!("1;{}\r\nx\r\n", "e".repeat(999));
        let lines = total / 1000;
        let last = format!("1;{}", "e".repeat(total % 1000 - 1));
        for end in line_ends {
            let input = format!("{}{last}{end}x\r\n0\r\n\r\n", full.repeat(lines));
            let why = format!("extensions of {total} in all, the last ending {end:?}");
            cases.push((why, input.into_bytes(), lines * full.len() + last.len() + 1));
        }
    }
    cases
}

#[test]
fn chunked_bodies_at_every_limit_decode_alike_however_they_are_split() {
    let started = Instant::now();
    let seed = fuzz_seed();
    let (mut inputs, mut reads) = (0, 0);
    let cases = chunked_at_limits();
    for (case, (why, input, limit)) in cases.iter().enumerate() {
        // A damaged copy too, damaged near the limit half of the time.
        for copy in 0..2 {
            let rng = &mut Rng::for_case(seed, case * 2 + copy + 5_000_000);
            let mut input = input.clone();
            let why = if copy == 0 {
                why.clone()
            } else {
                for _ in 0..rng.range(1, 2) {
                    let at = if rng.one_in(2) {
                        (limit + rng.below(9)).saturating_sub(4)
                    } else {
                        rng.below(input.len() + 1)
                    };
                    let at = at.min(input.len());
                    mutate_at(rng, &mut input, at);
                }
                format!("PARSER_FUZZ_SEED={seed} {why}, damaged")
            };
            let whole = feed([&input[..]]);
            let ends = read_ends(rng, &input, &[*limit], 8);
            assert_chunked_reads_agree(&why, &input, &[], &whole);
            for &end in &ends {
                assert_chunked_reads_agree(&why, &input, &[end], &whole);
            }
            let threes = pairs(rng, &ends, 20);
            for pair in &threes {
                assert_chunked_reads_agree(&why, &input, pair, &whole);
            }
            assert_eq!(
                feed(input.chunks(1)),
                whole,
                "{why}: fed one byte at a time"
            );
            inputs += 1;
            reads += 2 + ends.len() + threes.len();
        }
    }
    println!(
        "{inputs} chunked bodies at limits, {reads} splits into 1-3 reads or bytes in {:?}",
        started.elapsed()
    );
}
