//! Proxying mode (`enableProxyingHttpRequest`, newer hosts, azure-host.md §3.4): the request
//! goes through YARP unchanged but for its hop-by-hop headers and Host, with `X-Forwarded-*`
//! and the host's invocation headers added; request and response bodies are streamed. The front
//! door hands such a request over with its connection (`Handler::take_over`), and gets it back
//! for the client's next request when both sides frame their bodies (the host keeps its
//! clients' connections alive as any ASP.NET Core server does).

use std::thread;
use std::time::Instant;

use handler::http::date;
use handler::http::error::HttpError;
use handler::http::limits::BODY_READ_TIMEOUT;
use handler::http::parse::{BodyKind, Version};
use handler::http::request::find_header;
use handler::http::response::{self, BodyFraming, Response};
use handler::http::{self, Handback, Takeover};

use crate::client::{self, Body, Client, Conn, Framing, Request};
use crate::limits::{PROXY_ATTEMPTS, PROXY_RETRY_MAX_PAUSE, PROXY_RETRY_PAUSE};
use crate::util::{owned_headers, target, HOST_VERSION};

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

/// The headers of `headers` a proxy passes on: not hop-by-hop, nor named by `Connection`.
fn passed_on(headers: &[(String, String)]) -> impl Iterator<Item = &(String, String)> {
    let named = client::tokens(headers, "connection");
    headers.iter().filter(move |(name, _)| {
        let name = name.to_ascii_lowercase();
        !SKIPPED.contains(&name.as_str()) && !named.contains(&name)
    })
}

/// The headers sent to the handler: the client's, minus hop-by-hop ones, plus the destination
/// Host, `X-Forwarded-*` (set, replacing any the client sent) and the invocation headers.
fn request_headers(headers: &[(String, String)], port: u16, id: &str) -> Vec<(String, String)> {
    let original_host = find_header(headers, "host").unwrap_or_default();
    let mut out = vec![("Host".to_string(), format!("127.0.0.1:{port}"))];
    out.extend(
        passed_on(headers)
            .filter(|(n, _)| !n.to_ascii_lowercase().starts_with("x-forwarded-"))
            .cloned(),
    );
    out.push(("X-Forwarded-For".into(), "127.0.0.1".into()));
    out.push(("X-Forwarded-Proto".into(), "http".into()));
    out.push(("X-Forwarded-Host".into(), original_host.into()));
    out.push(("x-ms-invocation-id".into(), id.into()));
    out.push(("X-Azure-Functions-HostVersion".into(), HOST_VERSION.into()));
    out.push(("X-Azure-Functions-InvocationId".into(), id.into()));
    out
}

/// How a relay went.
pub struct Relayed {
    /// The status the client got.
    pub status: u16,
    /// Why the call failed, if it did.
    pub failure: Option<String>,
    /// Whether the client's connection serves its next request.
    pub handback: Handback,
}

/// Streams the request `head` from the taken-over connection to the handler and its answer
/// back, with `client` (`Err`: no handler to reach, the client gets 502).
pub fn relay(
    client: Result<&Client, String>,
    head: &http::Request<'_>,
    conn: Takeover<'_>,
    id: &str,
    deadline: Instant,
) -> Relayed {
    let failed = |status, why: String| Relayed {
        status,
        failure: Some(why),
        handback: Handback::Close,
    };
    let Ok(stream) = conn.stream.try_clone() else {
        return failed(502, "cannot use the client's connection".into());
    };
    let mut front = Conn::over(stream, conn.leftover, Some(BODY_READ_TIMEOUT));
    let relayed = client
        .map_err(Relay::BeforeResponse)
        .and_then(|client| exchange(client, head, &conn, &mut front, id, deadline));
    match relayed {
        Ok((status, kept)) => Relayed {
            status,
            failure: None,
            handback: if kept {
                Handback::KeepAlive(front.into_unread())
            } else {
                Handback::Close
            },
        },
        Err(Relay::BeforeResponse(why)) => {
            // The body may be unread: the connection closes after this answer.
            refuse(&mut front, head, &Response::new(502));
            failed(502, why)
        }
        Err(Relay::Refused(error)) => {
            // The body goes unread: the server reads away what the client still sends before
            // it closes (`Handback::Close`), so the client reads this answer, not a reset.
            let refusal = Response::text(error.status(), format!("{error}\n"));
            refuse(&mut front, head, &refusal);
            failed(error.status(), format!("the client's body: {error}"))
        }
        Err(Relay::During(status, why)) => failed(status, why),
    }
}

/// Answers the client of `head` with `response`, framed to close the connection after it.
fn refuse(front: &mut Conn, head: &http::Request<'_>, response: &Response) {
    let framing = response::Framing {
        head_only: head.method == "HEAD",
        keep_alive: false,
        http10: head.version == Version::Http10,
    };
    let mut out = Vec::new();
    date::with_now(|now| response::encode(response, framing, now, &mut out));
    let _ = front.write_all(&out, Instant::now() + BODY_READ_TIMEOUT);
}

/// Why a relay failed.
enum Relay {
    /// Nothing was sent to the client yet: it gets 502.
    BeforeResponse(String),
    /// The client's body broke its framing or a limit, or stopped coming: it gets the error's
    /// status (413 past `MAX_BODY_BYTES`, as the front door refuses a `Content-Length` one).
    Refused(HttpError),
    /// The response had started: the connection is closed.
    During(u16, String),
}

/// Sends the request on to the handler, streaming its body, and streams the answer back;
/// the status, and whether the client's connection stays open.
fn exchange(
    client: &Client,
    head: &http::Request<'_>,
    conn: &Takeover<'_>,
    front: &mut Conn,
    id: &str,
    deadline: Instant,
) -> Result<(u16, bool), Relay> {
    let before = |e: client::Error| Relay::BeforeResponse(e.to_string());
    let mut upstream = match client.checkout() {
        Some(pooled) => pooled,
        None => connect(client, deadline).map_err(before)?,
    };
    let req = handler::Request::from_http(head);
    let received: Vec<(String, String)> = owned_headers(&req).collect();
    let mut headers = request_headers(&received, client.port(), id);
    let framing = match conn.body {
        BodyKind::None => Framing::Empty,
        BodyKind::Length(len) => Framing::Length(len),
        BodyKind::Chunked => Framing::Chunked,
    };
    match framing {
        // A `Content-Length: 0` goes through as it came.
        Framing::Empty => headers.extend(
            received
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .cloned(),
        ),
        Framing::Length(n) => headers.push(("Content-Length".into(), n.to_string())),
        _ => headers.push(("Transfer-Encoding".into(), "chunked".into())),
    }
    let target = target(&req);
    let request = Request {
        method: head.method,
        target: &target,
        headers,
        body: Body::None,
    };
    upstream
        .write_all(&client::request_head(&request), deadline)
        .map_err(before)?;
    if conn.expect_continue && conn.leftover.is_empty() {
        front
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n", deadline)
            .map_err(before)?;
    }
    match pump(
        front,
        framing,
        &mut upstream,
        framing == Framing::Chunked,
        deadline,
    ) {
        Err(Pumped::Read(client::Error::Chunked(error))) => Err(Relay::Refused(error)),
        Err(Pumped::Read(client::Error::Timeout)) => Err(Relay::Refused(HttpError::BodyTimeout)),
        // The client's framing, not the handler's: not "an invalid response from the handler".
        Err(Pumped::Read(client::Error::Protocol(what))) => Err(Relay::BeforeResponse(format!(
            "reading the client's body: {what}"
        ))),
        Err(Pumped::Read(e)) => Err(Relay::BeforeResponse(format!(
            "reading the client's body: {e}"
        ))),
        Err(Pumped::Write(e)) => Err(before(e)),
        Ok(()) => Ok(()),
    }?;
    let head_request = head.method.eq_ignore_ascii_case("HEAD");
    let answer = upstream
        .read_final_head(head_request, deadline)
        .map_err(before)?;

    // The handler's status, reason and headers, framed by the library as the server frames.
    let http10 = head.version == Version::Http10;
    let body = match answer.framing {
        Framing::Empty => BodyFraming::Length(
            answer
                .header("content-length")
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0),
        ),
        Framing::Length(n) => BodyFraming::Length(n as u64),
        Framing::Chunked | Framing::UntilClose if !http10 => BodyFraming::Chunked,
        Framing::Chunked | Framing::UntilClose => BodyFraming::Close,
    };
    let keep_alive = conn.keep_alive && body != BodyFraming::Close;
    let framing = response::Framing {
        head_only: head_request,
        keep_alive,
        http10,
    };
    let out = answer.encode(passed_on(&answer.headers), body, framing);
    let status = answer.status;
    let during = |side: &str, e: client::Error| Relay::During(status, format!("{side}: {e}"));
    front
        .write_all(&out, deadline)
        .map_err(|e| during("writing to the client", e))?;
    let chunked = body == BodyFraming::Chunked;
    match pump(&mut upstream, answer.framing, front, chunked, deadline) {
        Err(Pumped::Read(e)) => Err(during("reading the handler's body", e)),
        Err(Pumped::Write(e)) => Err(during("writing to the client", e)),
        Ok(()) => Ok(()),
    }?;
    if answer.keep_alive {
        client.checkin(upstream);
    }
    Ok((status, keep_alive))
}

/// Which side of a `pump` failed.
enum Pumped {
    Read(client::Error),
    Write(client::Error),
}

/// Copies a body framed as `framing` from `from` to `to` as it arrives, in chunks if `chunked`.
fn pump(
    from: &mut Conn,
    framing: Framing,
    to: &mut Conn,
    chunked: bool,
    deadline: Instant,
) -> Result<(), Pumped> {
    let mut failed = None;
    let read = from.read_body(framing, deadline, &mut |piece| {
        let written = if chunked {
            to.write_chunk(piece, deadline)
        } else {
            to.write_all(piece, deadline)
        };
        written.map_err(|e| {
            let message = e.to_string();
            failed = Some(e);
            std::io::Error::other(message)
        })
    });
    if let Some(e) = failed {
        return Err(Pumped::Write(e));
    }
    read.map_err(Pumped::Read)?;
    if chunked {
        to.write_chunk(&[], deadline).map_err(Pumped::Write)?;
    }
    Ok(())
}

/// A new connection to the handler; a refused one is tried again, backing off from
/// `PROXY_RETRY_PAUSE`, doubling, at most `PROXY_RETRY_MAX_PAUSE`.
fn connect(client: &Client, deadline: Instant) -> Result<Conn, client::Error> {
    let mut pause = PROXY_RETRY_PAUSE;
    for _ in 1..PROXY_ATTEMPTS {
        match client.connect(deadline) {
            Err(client::Error::Connect(_)) if Instant::now() + pause < deadline => {
                thread::sleep(pause);
                pause = (pause * 2).min(PROXY_RETRY_MAX_PAUSE);
            }
            other => return other,
        }
    }
    client.connect(deadline)
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
