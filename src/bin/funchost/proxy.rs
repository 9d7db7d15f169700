//! Proxying mode (`enableProxyingHttpRequest`, newer hosts, azure-host.md §3.4): the request
//! goes through YARP unchanged but for its hop-by-hop headers and Host, with `X-Forwarded-*`
//! and the host's invocation headers added; request and response bodies are streamed.

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use handler::azure::appfiles::FunctionConfig;
use handler::http::parse::BodyKind;
use handler::http::response::Response;

use crate::client::{self, Body, Client, Conn, Framing, Reply, Request};
use crate::host::{Host, HOST_VERSION};
use crate::server::{Head, ServerConn};
use crate::util;

/// Attempts to reach the handler before giving up (`RetryProxyHandler`).
const ATTEMPTS: u32 = 10;

/// Hop-by-hop headers, which a proxy never passes on (YARP's skip lists), plus `Host` (YARP's
/// default transform sends the destination's) and `Expect` (funchost has already answered it).
const SKIPPED: [&str; 12] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "expect",
    "content-length",
];

fn skipped(name: &str, connection_tokens: &[String]) -> bool {
    let lower = name.to_ascii_lowercase();
    SKIPPED.contains(&lower.as_str()) || connection_tokens.contains(&lower)
}

fn connection_tokens(headers: &[(String, String)]) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The headers sent to the handler: the client's, minus hop-by-hop ones, plus the destination
/// Host, `X-Forwarded-*` (set, replacing any the client sent) and the invocation headers.
fn request_headers(headers: &[(String, String)], port: u16, id: &str) -> Vec<(String, String)> {
    let tokens = connection_tokens(headers);
    let original_host = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut out = vec![("Host".to_string(), format!("127.0.0.1:{port}"))];
    out.extend(
        headers
            .iter()
            .filter(|(n, _)| !skipped(n, &tokens))
            .filter(|(n, _)| !n.to_ascii_lowercase().starts_with("x-forwarded-"))
            .cloned(),
    );
    out.push(("X-Forwarded-For".into(), "127.0.0.1".into()));
    out.push(("X-Forwarded-Proto".into(), "http".into()));
    out.push(("X-Forwarded-Host".into(), original_host));
    out.push(("x-ms-invocation-id".into(), id.into()));
    out.push(("X-Azure-Functions-HostVersion".into(), HOST_VERSION.into()));
    out.push(("X-Azure-Functions-InvocationId".into(), id.into()));
    out
}

/// The request for a whole client request (`funchost invoke`).
pub fn request<'a>(req: &'a crate::host::Incoming, port: u16, id: &str) -> Request<'a> {
    let headers = request_headers(&req.headers, port, id);
    let body = if req.chunked {
        Body::Chunked(&req.body)
    } else if req.content_length().is_some() {
        Body::Length(&req.body)
    } else {
        Body::None
    };
    Request {
        method: &req.method,
        target: &req.target,
        headers,
        body,
    }
}

/// The client's response for a whole reply: the handler's, minus hop-by-hop headers.
pub fn response(reply: Reply) -> Response {
    let tokens = connection_tokens(&reply.head.headers);
    let headers = reply
        .head
        .headers
        .into_iter()
        .filter(|(n, _)| !skipped(n, &tokens))
        .map(|(n, v)| (n.into(), v.into()))
        .collect();
    Response {
        status: reply.head.status,
        headers,
        body: reply.body,
    }
}

/// Retries a connection failure, backing off from 50 ms, doubling, at most 250 ms.
fn with_retries<T>(
    deadline: Instant,
    mut attempt: impl FnMut() -> Result<T, client::Error>,
) -> Result<T, client::Error> {
    let mut pause = Duration::from_millis(50);
    for _ in 1..ATTEMPTS {
        match attempt() {
            Err(client::Error::Connect(_)) if Instant::now() + pause < deadline => {
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            other => return other,
        }
    }
    attempt()
}

/// Sends a whole request with the proxy's retries.
pub fn send(client: &Client, request: &Request, deadline: Instant) -> Result<Reply, client::Error> {
    with_retries(deadline, || client.send(request, deadline))
}

/// Streams one request from `conn` to the handler and the answer back. Returns whether the
/// client connection can carry another request.
pub fn stream(host: &Host, function: &FunctionConfig, conn: &mut ServerConn, head: &Head) -> bool {
    let started = Instant::now();
    let id = util::guid();
    let what = format!("{} {}", head.method, head.target);
    let log_line = |status: u16, failure: Option<&str>| {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let line = format!(
            "Functions.{}: {what} -> {status} in {ms:.1} ms",
            function.name
        );
        match failure {
            None => host.log.info(&line),
            Some(why) => host.log.error(&format!("{line} (failed: {why})")),
        }
    };
    let client = match host.ready() {
        Ok(client) => client,
        Err(why) => {
            // The body is left unread, so the connection cannot go on.
            log_line(502, Some(&why));
            conn.respond(&Response::new(502), head, false);
            return false;
        }
    };
    let deadline = Instant::now() + host.function_timeout;
    match relay(client, conn, head, &id, deadline) {
        Ok((status, keep_alive)) => {
            log_line(status, None);
            keep_alive
        }
        Err(Relay::BeforeResponse(why)) => {
            log_line(502, Some(&why));
            conn.respond(&Response::new(502), head, false);
            false
        }
        Err(Relay::During(status, why)) => {
            log_line(status, Some(&why));
            false
        }
    }
}

enum Relay {
    /// Nothing was sent to the client yet: it gets 502.
    BeforeResponse(String),
    /// The response had started: the connection is closed.
    During(u16, String),
}

fn relay(
    client: &Client,
    conn: &mut ServerConn,
    head: &Head,
    id: &str,
    deadline: Instant,
) -> Result<(u16, bool), Relay> {
    let before = |e: client::Error| Relay::BeforeResponse(e.to_string());
    let mut upstream: Conn = match client.checkout() {
        Some(pooled) => pooled,
        None => with_retries(deadline, || client.connect(deadline)).map_err(before)?,
    };
    let mut headers = request_headers(&head.headers, client.port(), id);
    match head.body {
        BodyKind::None => {
            if let Some((_, length)) = head
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            {
                headers.push(("Content-Length".into(), length.clone()));
            }
        }
        BodyKind::Length(n) => headers.push(("Content-Length".into(), n.to_string())),
        BodyKind::Chunked => headers.push(("Transfer-Encoding".into(), "chunked".into())),
    }
    let request = Request {
        method: &head.method,
        target: &head.target,
        headers,
        body: Body::None,
    };
    upstream
        .write_all(&client::request_head(&request), deadline)
        .map_err(before)?;
    if head.expect_continue {
        conn.send_continue()
            .map_err(|e| Relay::BeforeResponse(e.to_string()))?;
    }
    let mut upstream_error = None;
    let chunked = head.body == BodyKind::Chunked;
    let read = conn.read_body(head.body, &mut |piece| {
        let sent = if chunked {
            upstream.write_chunk(piece, deadline)
        } else {
            upstream.write_all(piece, deadline)
        };
        sent.map_err(|e| {
            let message = e.to_string();
            upstream_error = Some(e);
            io::Error::other(message)
        })
    });
    if let Some(e) = upstream_error {
        return Err(before(e));
    }
    read.map_err(|e| Relay::BeforeResponse(format!("reading the client's body: {e}")))?;
    if chunked {
        upstream.last_chunk(deadline).map_err(before)?;
    }
    let head_request = head.method.eq_ignore_ascii_case("HEAD");
    let answer = upstream
        .read_final_head(head_request, deadline)
        .map_err(before)?;

    // The response head: the handler's status, reason and headers, with our framing.
    let tokens = connection_tokens(&answer.headers);
    let mut out = format!("HTTP/1.1 {} {}\r\n", answer.status, answer.reason);
    let mut has_date = false;
    for (name, value) in &answer.headers {
        let keep_length =
            answer.framing == Framing::Empty && name.eq_ignore_ascii_case("content-length");
        if skipped(name, &tokens) && !keep_length {
            continue;
        }
        has_date |= name.eq_ignore_ascii_case("date");
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has_date {
        out.push_str(&format!("Date: {}\r\n", handler::http::date::now()));
    }
    let http10 = head.version == handler::http::parse::Version::Http10;
    let (client_chunked, mut keep_alive) = match answer.framing {
        Framing::Empty => (false, head.keep_alive),
        Framing::Length(n) => {
            out.push_str(&format!("Content-Length: {n}\r\n"));
            (false, head.keep_alive)
        }
        Framing::Chunked | Framing::UntilClose if !http10 => {
            out.push_str("Transfer-Encoding: chunked\r\n");
            (true, head.keep_alive)
        }
        Framing::Chunked | Framing::UntilClose => (false, false),
    };
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    } else if http10 {
        out.push_str("Connection: keep-alive\r\n");
    }
    out.push_str("\r\n");
    let status = answer.status;
    let during = |why: String| Relay::During(status, why);
    conn.write_all(out.as_bytes())
        .map_err(|e| during(e.to_string()))?;
    let mut client_error = false;
    let streamed = upstream.read_body(&answer, deadline, &mut |piece| {
        let written = if client_chunked {
            let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
            chunk.extend_from_slice(piece);
            chunk.extend_from_slice(b"\r\n");
            conn.write_all(&chunk)
        } else {
            conn.write_all(piece)
        };
        client_error |= written.is_err();
        written
    });
    if let Err(e) = streamed {
        let side = if client_error {
            "writing to the client"
        } else {
            "reading the handler's body"
        };
        return Err(during(format!("{side}: {e}")));
    }
    if client_chunked {
        conn.write_all(b"0\r\n\r\n")
            .map_err(|e| during(e.to_string()))?;
    }
    keep_alive &= answer.status != 101;
    if answer.keep_alive {
        client.checkin(upstream);
    }
    Ok((status, keep_alive))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn headers_lose_hop_by_hop_and_gain_forwarding() {
        let headers = pairs(&[
            ("Host", "localhost:7071"),
            ("User-Agent", "curl/8.5.0"),
            ("Connection", "keep-alive, X-Secret"),
            ("X-Secret", "1"),
            ("Content-Length", "2"),
            ("Content-Type", "text/plain"),
            ("X-Forwarded-For", "10.0.0.1"),
            ("TE", "trailers"),
        ]);
        let expected = pairs(&[
            ("Host", "127.0.0.1:4000"),
            ("User-Agent", "curl/8.5.0"),
            ("Content-Type", "text/plain"),
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Host", "localhost:7071"),
            ("x-ms-invocation-id", "ID"),
            ("X-Azure-Functions-HostVersion", "4.1037.0.0"),
            ("X-Azure-Functions-InvocationId", "ID"),
        ]);
        assert_eq!(request_headers(&headers, 4000, "ID"), expected);
    }
}
