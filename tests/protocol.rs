//! HTTP/1.1 on the wire, with raw sockets for what a client library will not send: persistence,
//! pipelining, slow and odd framing, `Expect: 100-continue`, and every refusal (RFC 9112,
//! RFC 9110, src/http/limits.rs). Each reply read here is also checked for what every response
//! must have (`checked`).
#![forbid(unsafe_code)]
mod support;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use support::{get, greeting, is_closed, read_reply, take_linger_permits, Reply, Server, TempDir};

use handler::http::limits::{MAX_BODY_BYTES, MAX_HEADERS, MAX_HEAD_BYTES, MAX_TARGET_BYTES};

const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// What every response must have: an `HTTP/1.1` status line, a `Date`, a `Content-Length`
/// (interim 1xx aside), and a `Content-Type` when there is content.
fn check(reply: &Reply) {
    assert!(
        reply.status_line.starts_with("HTTP/1.1 "),
        "status line {:?}",
        reply.status_line
    );
    assert!(reply.header("Date").is_some(), "no Date: {reply:?}");
    if reply.status >= 200 {
        let length = reply.header("Content-Length").expect("a Content-Length");
        if length != "0" {
            assert!(
                reply.header("Content-Type").is_some(),
                "content without a Content-Type: {reply:?}"
            );
        }
    }
}

/// The next response on `stream`, checked.
fn next(stream: &mut TcpStream) -> Reply {
    let reply = read_reply(stream, false).expect("a response");
    check(&reply);
    reply
}

/// The next response on `stream`, which answers a HEAD, checked.
fn next_to_head(stream: &mut TcpStream) -> Reply {
    let reply = read_reply(stream, true).expect("a response");
    check(&reply);
    reply
}

fn assert_greets(reply: &Reply, name: Option<&str>) {
    let expected = greeting(name);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("Content-Type"), Some(TEXT_PLAIN));
    assert_eq!(
        reply.header("Content-Length"),
        Some(expected.len().to_string().as_str())
    );
    assert_eq!(reply.text(), expected);
}

/// Sends `request` on a new connection; it must be refused with `status`, `Connection: close`,
/// a plain-text reason, and the connection closed.
fn assert_refused(server: &Server, request: &[u8], status: u16) {
    let mut stream = server.connect();
    stream.write_all(request).unwrap();
    let reason = assert_refusal(&mut stream, status, request);
    assert_refusal_logged(server, status, &reason);
}

/// The handler says on stderr why it refused a request: the host logs that line, and the status
/// alone would reach only the client.
fn assert_refusal_logged(server: &Server, status: u16, reason: &str) {
    let expected = format!("handler: refused a request with {status}: {reason}");
    let deadline = Instant::now() + support::WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = server
            .stderr
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no line {expected:?} on stderr"));
        if line.contains("refused") {
            assert_eq!(line, expected);
            return;
        }
    }
}

/// Reads the refusal of `request`, checks it, and returns its reason.
fn assert_refusal(stream: &mut TcpStream, status: u16, request: &[u8]) -> String {
    let shown = String::from_utf8_lossy(&request[..request.len().min(200)]).into_owned();
    let reply = next(stream);
    assert_eq!(reply.status, status, "request {shown:?}: {reply:?}");
    assert_eq!(
        reply.header("Connection"),
        Some("close"),
        "request {shown:?}"
    );
    assert_eq!(
        reply.header("Content-Type"),
        Some(TEXT_PLAIN),
        "request {shown:?}"
    );
    assert!(!reply.body.is_empty(), "request {shown:?}: a reason");
    assert!(
        is_closed(stream),
        "request {shown:?}: the connection closes"
    );
    reply.text().trim_end().to_owned()
}

/// A POST of the JSON text `body` with its Content-Length.
fn post_json(target: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn head(target: &str) -> Vec<u8> {
    format!("HEAD {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes()
}

// ---- Persistence -------------------------------------------------------------------------------

#[test]
fn several_requests_share_one_connection() {
    let server = Server::start();
    let mut stream = server.connect();
    for name in ["One", "Two", "Three", "Four"] {
        stream
            .write_all(&get(&format!("/api/HelloRust?name={name}")))
            .unwrap();
        let reply = next(&mut stream);
        assert_greets(&reply, Some(name));
        assert_eq!(reply.header("Connection"), None);
    }
    stream
        .write_all(&post_json("/api/HelloRust", r#"{"name":"Five"}"#))
        .unwrap();
    assert_greets(&next(&mut stream), Some("Five"));
}

#[test]
fn connection_close_is_answered_with_close_and_closes() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(
            b"GET /api/HelloRust?name=Bye HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let reply = next(&mut stream);
    assert_greets(&reply, Some("Bye"));
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(is_closed(&mut stream));
}

#[test]
fn connection_close_token_among_others_closes() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(
            b"GET /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: TE, Close\r\n\r\n",
        )
        .unwrap();
    let reply = next(&mut stream);
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(is_closed(&mut stream));
}

#[test]
fn http10_without_keep_alive_closes() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(b"GET /api/HelloRust?name=Old HTTP/1.0\r\n\r\n")
        .unwrap();
    let reply = next(&mut stream);
    assert_greets(&reply, Some("Old"));
    // The server answers with its own version (RFC 9110 §6.2).
    assert_eq!(reply.status_line, "HTTP/1.1 200 OK");
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(is_closed(&mut stream));
}

#[test]
fn http10_with_keep_alive_stays_open_and_says_so() {
    let server = Server::start();
    let mut stream = server.connect();
    for name in ["Old", "Older"] {
        stream
            .write_all(
                format!(
                    "GET /api/HelloRust?name={name} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                )
                .as_bytes(),
            )
            .unwrap();
        let reply = next(&mut stream);
        assert_greets(&reply, Some(name));
        assert_eq!(reply.header("Connection"), Some("keep-alive"));
    }
    // Without the token again, it closes.
    stream
        .write_all(b"GET /api/HelloRust?name=Last HTTP/1.0\r\n\r\n")
        .unwrap();
    let reply = next(&mut stream);
    assert_greets(&reply, Some("Last"));
    assert!(is_closed(&mut stream));
}

// ---- Pipelining --------------------------------------------------------------------------------

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = Server::start();
    let mut stream = server.connect();
    let names = ["A", "B", "C", "D", "E"];
    let batch: Vec<u8> = names
        .iter()
        .flat_map(|n| get(&format!("/api/HelloRust?name={n}")))
        .collect();
    stream.write_all(&batch).unwrap();
    for name in names {
        assert_greets(&next(&mut stream), Some(name));
    }
    // And the connection is still usable.
    stream.write_all(&get("/api/HelloRust?name=F")).unwrap();
    assert_greets(&next(&mut stream), Some("F"));
}

#[test]
fn pipelined_get_post_head_batch_is_answered_in_order() {
    let server = Server::start();
    let mut stream = server.connect();
    let mut batch = get("/api/HelloRust?name=One");
    batch.extend(post_json("/api/HelloRust", r#"{"name":"Two"}"#));
    batch.extend(head("/api/HelloRust?name=Three"));
    batch.extend(
        b"POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\
          Content-Type: application/x-www-form-urlencoded\r\n\r\n\
          9\r\nname=Four\r\n0\r\n\r\n",
    );
    batch.extend(get("/nowhere"));
    batch.extend(get("/api/HelloRust?name=Six"));
    stream.write_all(&batch).unwrap();
    assert_greets(&next(&mut stream), Some("One"));
    assert_greets(&next(&mut stream), Some("Two"));
    let reply = next_to_head(&mut stream);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("Content-Length"),
        Some(greeting(Some("Three")).len().to_string().as_str())
    );
    // No body followed the HEAD answer, or this would not parse.
    assert_greets(&next(&mut stream), Some("Four"));
    assert_eq!(next(&mut stream).status, 404);
    assert_greets(&next(&mut stream), Some("Six"));
}

#[test]
fn pipelined_requests_after_connection_close_are_not_answered() {
    let server = Server::start();
    let mut stream = server.connect();
    let mut batch = get("/api/HelloRust?name=A");
    batch.extend(
        b"GET /api/HelloRust?name=B HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    batch.extend(get("/api/HelloRust?name=C"));
    stream.write_all(&batch).unwrap();
    assert_greets(&next(&mut stream), Some("A"));
    let reply = next(&mut stream);
    assert_greets(&reply, Some("B"));
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(is_closed(&mut stream));
}

#[test]
fn many_pipelined_requests_past_the_flush_size_are_all_answered_in_order() {
    // More answers than one output buffer holds (conn/mod.rs FLUSH_AT, 64 KiB): written from one
    // thread while this one reads, as a pipelining client must.
    const COUNT: usize = 2000;
    let server = Server::start();
    let mut stream = server.connect();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let batch: Vec<u8> = (0..COUNT)
            .flat_map(|i| get(&format!("/api/HelloRust?name=P{i}")))
            .collect();
        writer.write_all(&batch).unwrap();
    });
    for i in 0..COUNT {
        assert_greets(&next(&mut stream), Some(&format!("P{i}")));
    }
    sender.join().unwrap();
}

#[test]
fn pipelined_bad_request_after_good_ones_answers_the_good_then_refuses() {
    let server = Server::start();
    let mut stream = server.connect();
    let mut batch = get("/api/HelloRust?name=A");
    batch.extend(get("/api/HelloRust?name=B"));
    batch.extend(b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX-Bad : 1\r\n\r\n");
    batch.extend(get("/api/HelloRust?name=Never"));
    stream.write_all(&batch).unwrap();
    assert_greets(&next(&mut stream), Some("A"));
    assert_greets(&next(&mut stream), Some("B"));
    let _ = assert_refusal(&mut stream, 400, b"X-Bad : 1");
}

#[test]
fn head_answer_has_get_headers_and_no_body() {
    let server = Server::start();
    let mut stream = server.connect();
    let mut batch = get("/api/HelloRust?name=Shing");
    batch.extend(head("/api/HelloRust?name=Shing"));
    batch.extend(get("/api/HelloRust?name=After"));
    stream.write_all(&batch).unwrap();
    let got = next(&mut stream);
    let headed = next_to_head(&mut stream);
    assert_eq!(headed.status_line, got.status_line);
    let without_date = |r: &Reply| -> Vec<(String, String)> {
        r.headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("date"))
            .cloned()
            .collect()
    };
    assert_eq!(without_date(&headed), without_date(&got));
    assert_eq!(headed.header("Content-Length"), Some("65"));
    assert_greets(&next(&mut stream), Some("After"));
}

// ---- Slow and odd framing ----------------------------------------------------------------------

/// Writes `bytes` one at a time with a tiny pause, so each arrives in its own segment.
fn trickle(stream: &mut TcpStream, bytes: &[u8]) {
    for &b in bytes {
        stream.write_all(&[b]).unwrap();
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn request_sent_one_byte_at_a_time_is_answered() {
    let server = Server::start();
    let mut stream = server.connect();
    trickle(&mut stream, &get("/api/HelloRust?name=Slow"));
    assert_greets(&next(&mut stream), Some("Slow"));
    // A body trickled too, chunked, on the same connection.
    trickle(
        &mut stream,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\n\r\n4\r\n{\"na\r\nc\r\nme\":\"Slower\"\r\n1\r\n}\r\n0\r\n\r\n",
    );
    assert_greets(&next(&mut stream), Some("Slower"));
}

#[test]
fn head_split_at_every_line_end_is_answered() {
    let server = Server::start();
    let mut stream = server.connect();
    let request =
        b"GET /api/HelloRust?name=Split HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";
    // Split right after each CR, so no write ends with a whole CRLF.
    for piece in request.split_inclusive(|&b| b == b'\r') {
        stream.write_all(piece).unwrap();
        thread::sleep(Duration::from_millis(20));
    }
    assert_greets(&next(&mut stream), Some("Split"));
}

#[test]
fn empty_lines_before_the_request_line_are_ignored() {
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
    let server = Server::start();
    let mut stream = server.connect();
    let mut request = b"\r\n".to_vec();
    request.extend(get("/api/HelloRust?name=Blank"));
    stream.write_all(&request).unwrap();
    assert_greets(&next(&mut stream), Some("Blank"));
}

#[test]
fn endless_empty_lines_before_the_request_line_are_431() {
    // Ignoring an empty line or two is kindness (RFC 9112 §2.2); ignoring any number of them
    // lets a client stream bytes past every limit.
    let server = Server::start();
    let mut request = b"\r\n".repeat(MAX_HEAD_BYTES);
    request.extend(get("/api/HelloRust?name=Late"));
    assert_refused(&server, &request, 431);
}

#[test]
fn absolute_form_target_is_served() {
    let server = Server::start();
    let mut stream = server.connect();
    let port = server.port;
    stream
        .write_all(
            format!(
                "GET http://127.0.0.1:{port}/api/HelloRust?name=Abs HTTP/1.1\r\n\
                 Host: 127.0.0.1:{port}\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    assert_greets(&next(&mut stream), Some("Abs"));
}

#[test]
fn absolute_form_target_whose_host_disagrees_is_400_and_closes() {
    // RFC 9112 §3.2.2: the target's authority is the host; a Host naming another would let a
    // client choose the host a function sees. Kestrel, the host's front end, refuses it too.
    let server = Server::start();
    let port = server.port;
    let request =
        format!("GET http://127.0.0.1:{port}/api/HelloRust HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_refused(&server, request.as_bytes(), 400);
}

#[test]
fn missing_host_on_http11_is_400_and_closes() {
    let server = Server::start();
    assert_refused(&server, b"GET /api/HelloRust HTTP/1.1\r\n\r\n", 400);
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        400,
    );
}

/// Everything the server sends until it closes `stream`.
fn rest_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    std::io::Read::read_to_end(stream, &mut rest).expect("the server closes");
    rest
}

#[test]
fn refusal_of_a_head_request_sends_no_body() {
    let server = Server::start();
    for request in [
        // Refused while parsing the head: missing Host.
        &b"HEAD /api/HelloRust HTTP/1.1\r\n\r\n"[..],
        // Refused while reading the body: a bad chunk size.
        b"HEAD /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let mut stream = server.connect();
        stream.write_all(request).unwrap();
        let reply = next_to_head(&mut stream);
        assert_eq!(reply.status, 400);
        assert_eq!(reply.header("Connection"), Some("close"));
        let rest = rest_until_closed(&mut stream);
        assert!(
            rest.is_empty(),
            "content after a HEAD answer: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }
}

#[test]
fn request_then_half_close_is_still_answered() {
    // A client may send its requests and shut down its sending side; the answers still come.
    let server = Server::start();
    let mut stream = server.connect();
    let mut batch = get("/api/HelloRust?name=Half");
    batch.extend(get("/api/HelloRust?name=Closed"));
    stream.write_all(&batch).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_greets(&next(&mut stream), Some("Half"));
    assert_greets(&next(&mut stream), Some("Closed"));
    assert!(is_closed(&mut stream));
}

#[test]
fn a_quiet_swept_keep_alive_connection_still_serves() {
    // With every linger permit taken the connection is handed to the sweeper, and once quiet
    // past HOT_FOR it is read only now and then; it must still wake for the next request.
    let server = Server::start();
    let _held = take_linger_permits(server.addr(), "/api/HelloRust");
    let mut stream = server.connect();
    stream
        .write_all(&get("/api/HelloRust?name=Before"))
        .unwrap();
    assert_greets(&next(&mut stream), Some("Before"));
    thread::sleep(handler::http::limits::HOT_FOR * 20);
    stream.write_all(&get("/api/HelloRust?name=After")).unwrap();
    assert_greets(&next(&mut stream), Some("After"));
}

// ---- Bodies ------------------------------------------------------------------------------------

#[test]
fn content_length_body_is_read() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(&post_json("/api/HelloRust", r#"{"name":"Length"}"#))
        .unwrap();
    assert_greets(&next(&mut stream), Some("Length"));
}

#[test]
fn content_length_body_sent_after_the_head_is_read() {
    let server = Server::start();
    let mut stream = server.connect();
    let request = post_json("/api/HelloRust", r#"{"name":"Later"}"#);
    let split = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    stream.write_all(&request[..split]).unwrap();
    thread::sleep(Duration::from_millis(50));
    stream.write_all(&request[split..]).unwrap();
    assert_greets(&next(&mut stream), Some("Later"));
}

#[test]
fn chunked_body_with_extensions_and_trailer_is_read() {
    let server = Server::start();
    let mut stream = server.connect();
    // {"name":"Chunk"} in two chunks, with extensions, a last-chunk extension and trailers,
    // then a pipelined request that must be parsed from where the trailers end.
    let mut batch = b"POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\n\
        Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;ext=1\r\n{\"nam\r\n\
        B;name=\"quoted value\";flag\r\ne\":\"Chunk\"}\r\n\
        0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
        .to_vec();
    batch.extend(get("/api/HelloRust?name=After"));
    stream.write_all(&batch).unwrap();
    assert_greets(&next(&mut stream), Some("Chunk"));
    assert_greets(&next(&mut stream), Some("After"));
}

/// A chunked body missing the CRLF after its last chunk must not swallow the pipelined
/// request behind it as trailers (RFC 9112 §7.1.2: trailers are field lines).
#[test]
fn a_request_line_is_never_read_as_a_trailer() {
    let server = Server::start();
    let mut batch = b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
        Content-Type: application/x-www-form-urlencoded\r\n\r\na\r\nname=Shing\r\n0\r\n"
        .to_vec();
    batch.extend(get("/api/HelloRust?name=Second"));
    assert_refused(&server, &batch, 400);
}

#[test]
fn chunked_transfer_coding_name_is_case_insensitive() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(
            b"POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: Chunked\r\n\
              Content-Type: application/x-www-form-urlencoded\r\n\r\n\
              0A\r\nname=Upper\r\n0\r\n\r\n",
        )
        .unwrap();
    assert_greets(&next(&mut stream), Some("Upper"));
}

#[test]
fn unneeded_body_is_consumed_and_the_next_request_parsed() {
    let server = Server::start();
    let mut stream = server.connect();
    // The query has the name; the 1 MiB JSON body is read and not needed.
    let body = format!(r#"{{"pad":"{}","name":"Body"}}"#, "x".repeat(1024 * 1024));
    let mut batch = post_json("/api/HelloRust?name=Query", &body);
    batch.extend(get("/api/HelloRust?name=Second"));
    stream.write_all(&batch).unwrap();
    assert_greets(&next(&mut stream), Some("Query"));
    assert_greets(&next(&mut stream), Some("Second"));
}

#[test]
fn expect_100_continue_is_answered_before_the_body() {
    let server = Server::start();
    let mut stream = server.connect();
    let body = br#"{"name":"Azure"}"#;
    stream
        .write_all(
            format!(
                "POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                 Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    // Nothing of the body has been sent: the interim answer must come first.
    let interim = read_reply(&mut stream, false).expect("an interim response");
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    assert!(interim.headers.is_empty(), "{interim:?}");
    stream.write_all(body).unwrap();
    assert_greets(&next(&mut stream), Some("Azure"));
    // And the connection goes on.
    stream.write_all(&get("/api/HelloRust?name=Next")).unwrap();
    assert_greets(&next(&mut stream), Some("Next"));
}

#[test]
fn expect_100_continue_with_a_chunked_body_is_answered_before_the_body() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(
            b"POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Expect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap();
    let interim = read_reply(&mut stream, false).expect("an interim response");
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    stream
        .write_all(b"10\r\n{\"name\":\"Azure\"}\r\n0\r\n\r\n")
        .unwrap();
    assert_greets(&next(&mut stream), Some("Azure"));
}

/// `Expect` is a list whose empty elements are ignored (RFC 9110 §5.6.1.2): a trailing comma,
/// as a proxy merging field lines may leave, still asks for `100 Continue`. It got `417`, which
/// llhttp, found by differential testing, does not give.
#[test]
fn expect_100_continue_with_an_empty_list_element_is_answered_before_the_body() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(
            b"POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Expect: 100-continue,\r\nContent-Length: 10\r\n\r\n",
        )
        .unwrap();
    let interim = read_reply(&mut stream, false).expect("an interim response");
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    stream.write_all(b"name=Azure").unwrap();
    assert_greets(&next(&mut stream), Some("Azure"));
}

#[test]
fn expect_100_continue_over_the_body_limit_is_413_without_100() {
    let server = Server::start();
    let request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n\
         Content-Length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    // read_reply would return the 100 first if one were sent; assert_refusal wants 413.
    assert_refused(&server, request.as_bytes(), 413);
}

#[test]
fn unknown_expectation_is_417() {
    let server = Server::start();
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
        417,
    );
}

#[test]
fn body_of_exactly_the_limit_is_accepted() {
    let server = Server::start();
    let mut stream = server.connect();
    let body = format!(
        r#"{{"name":"Max","pad":"{}"}}"#,
        "x".repeat(MAX_BODY_BYTES - r#"{"name":"Max","pad":""}"#.len())
    );
    assert_eq!(body.len(), MAX_BODY_BYTES);
    stream
        .write_all(&post_json("/api/HelloRust", &body))
        .unwrap();
    assert_greets(&next(&mut stream), Some("Max"));
}

// ---- Refusals: each answers its status and closes ----------------------------------------------

#[test]
fn malformed_request_line_is_400() {
    let server = Server::start();
    for request in [
        &b"GET /api/HelloRust\r\nHost: x\r\n\r\n"[..],
        b"GET  /api/HelloRust HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/HelloRust HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"GET /api/Hello Rust HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/HelloRust http/1.1\r\nHost: x\r\n\r\n",
        b"GET api/HelloRust HTTP/1.1\r\nHost: x\r\n\r\n",
        b"G(T /api/HelloRust HTTP/1.1\r\nHost: x\r\n\r\n",
        b" GET /api/HelloRust HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        assert_refused(&server, request, 400);
    }
}

#[test]
fn non_http_bytes_are_refused_at_once() {
    // A TLS ClientHello sent to the plain-HTTP port.
    let server = Server::start();
    assert_refused(&server, &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00], 400);
}

#[test]
fn obs_fold_is_400() {
    let server = Server::start();
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
        400,
    );
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n\tb: c\r\n\r\n",
        400,
    );
}

#[test]
fn whitespace_before_colon_is_400() {
    let server = Server::start();
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX-Test : 1\r\n\r\n",
        400,
    );
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/1.1\r\nHost : x\r\n\r\n",
        400,
    );
}

#[test]
fn malformed_header_lines_are_400() {
    let server = Server::start();
    for request in [
        &b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"[..],
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX(Bad): 1\r\n\r\n",
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX-Bare-CR: a\rb\r\n\r\n",
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX-Bare-LF: a\nb\r\n\r\n",
    ] {
        assert_refused(&server, request, 400);
    }
}

#[test]
fn nul_in_a_header_is_400() {
    let server = Server::start();
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/1.1\r\nHost: x\r\nX-Test: a\0b\r\n\r\n",
        400,
    );
}

#[test]
fn content_length_with_transfer_encoding_is_400() {
    let server = Server::start();
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\
          Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    );
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
          Content-Length: 5\r\n\r\n0\r\n\r\n",
        400,
    );
}

#[test]
fn transfer_encoding_on_http10_is_400() {
    let server = Server::start();
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    );
}

#[test]
fn conflicting_content_lengths_are_400() {
    let server = Server::start();
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
    );
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!",
        400,
    );
}

#[test]
fn repeated_equal_content_lengths_are_accepted() {
    // RFC 9112 §6.3: a list of identical values may be accepted as that value.
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(
            b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 8\r\nContent-Length: 8, 8\r\n\r\nname=Eq8",
        )
        .unwrap();
    assert_greets(&next(&mut stream), Some("Eq8"));
}

#[test]
fn non_decimal_content_length_is_400() {
    let server = Server::start();
    for value in ["abc", "+5", "-1", "0x5", "5.0", "5 5", "", "٥"] {
        let request = format!(
            "POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n\r\nhello"
        );
        assert_refused(&server, request.as_bytes(), 400);
    }
}

#[test]
fn bad_chunk_size_is_400() {
    let server = Server::start();
    for chunks in [
        &b"zz\r\nhello\r\n0\r\n\r\n"[..],
        b"\r\nhello\r\n0\r\n\r\n",
        b"-5\r\nhello\r\n0\r\n\r\n",
        b"0x5\r\nhello\r\n0\r\n\r\n",
        // Data longer than its size: no CRLF where one must be.
        b"5\r\nhello!!\r\n0\r\n\r\n",
    ] {
        let mut request =
            b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        request.extend_from_slice(chunks);
        assert_refused(&server, &request, 400);
    }
}

#[test]
fn bad_chunk_size_sent_after_the_head_is_400() {
    let server = Server::start();
    let mut stream = server.connect();
    let head = b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head).unwrap();
    thread::sleep(Duration::from_millis(50));
    stream.write_all(b"zz\r\n").unwrap();
    let _ = assert_refusal(&mut stream, 400, head);
}

#[test]
fn chunk_line_over_its_limit_is_400() {
    // limits.rs MAX_CHUNK_LINE_BYTES: an endless chunk extension is cut off.
    let server = Server::start();
    let request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
         5;ext={}\r\nhello\r\n0\r\n\r\n",
        "e".repeat(handler::http::limits::MAX_CHUNK_LINE_BYTES)
    );
    assert_refused(&server, request.as_bytes(), 400);
}

#[test]
fn trailers_over_their_limit_are_431() {
    let server = Server::start();
    let request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n0\r\nX-Trailer: {}\r\n\r\n",
        "t".repeat(handler::http::limits::MAX_TRAILER_BYTES)
    );
    assert_refused(&server, request.as_bytes(), 431);
}

#[test]
fn content_length_over_the_limit_is_413_before_the_body() {
    let server = Server::start();
    // Only the head is sent: the answer must not wait for 8 MiB that never come.
    let request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    assert_refused(&server, request.as_bytes(), 413);
    // A length too big for any integer is just as large.
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        413,
    );
}

#[test]
fn chunk_over_the_body_limit_is_413() {
    let server = Server::start();
    let request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        MAX_BODY_BYTES + 1
    );
    assert_refused(&server, request.as_bytes(), 413);
}

#[test]
fn target_over_the_limit_is_414() {
    let server = Server::start();
    let prefix = "/api/HelloRust?name=";
    let target = format!(
        "{prefix}{}",
        "a".repeat(MAX_TARGET_BYTES + 1 - prefix.len())
    );
    assert_eq!(target.len(), MAX_TARGET_BYTES + 1);
    assert_refused(&server, &get(&target), 414);
}

#[test]
fn target_of_exactly_the_limit_is_served() {
    let server = Server::start();
    let prefix = "/api/HelloRust?name=";
    let name = "a".repeat(MAX_TARGET_BYTES - prefix.len());
    let mut stream = server.connect();
    stream.write_all(&get(&format!("{prefix}{name}"))).unwrap();
    assert_greets(&next(&mut stream), Some(&name));
}

#[test]
fn endless_request_line_is_414_before_it_ends() {
    // parse.rs refuses a request line that is already longer than any valid one, without
    // waiting for its end; the client here stops sending and waits for the answer.
    let server = Server::start();
    let mut request = b"GET /".to_vec();
    request.extend(std::iter::repeat_n(b'a', MAX_TARGET_BYTES + 100));
    assert_refused(&server, &request, 414);
}

/// A GET whose head is exactly `size` bytes, padded with one header.
fn head_of_size(size: usize) -> Vec<u8> {
    let start = "GET /api/HelloRust?name=Big HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ";
    let end = "\r\n\r\n";
    let pad = "p".repeat(size - start.len() - end.len());
    format!("{start}{pad}{end}").into_bytes()
}

#[test]
fn head_over_the_limit_is_431() {
    let server = Server::start();
    assert_refused(&server, &head_of_size(MAX_HEAD_BYTES + 1), 431);
    assert_refused(&server, &head_of_size(MAX_HEAD_BYTES * 2), 431);
}

#[test]
fn head_of_exactly_the_limit_is_served() {
    let server = Server::start();
    let mut stream = server.connect();
    stream.write_all(&head_of_size(MAX_HEAD_BYTES)).unwrap();
    assert_greets(&next(&mut stream), Some("Big"));
}

/// A GET with Host plus `extra` more header fields.
fn with_fields(extra: usize) -> Vec<u8> {
    let mut request = b"GET /api/HelloRust?name=Many HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec();
    for i in 0..extra {
        request.extend(format!("X-Field-{i}: {i}\r\n").as_bytes());
    }
    request.extend(b"\r\n");
    request
}

/// `OPTIONS *` asks about the server itself: it answered 404 as a path no function had. Found by
/// review (RFC 9110 §9.3.7).
#[test]
fn options_asterisk_is_answered_by_the_server() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        .unwrap();
    let reply = next(&mut stream);
    assert_eq!((reply.status, reply.body.len()), (200, 0), "{reply:?}");
    assert_eq!(reply.header("Content-Length"), Some("0"));
    // Kept alive.
    stream.write_all(&get("/api/HelloRust?name=After")).unwrap();
    assert_greets(&next(&mut stream), Some("After"));
    assert_refused(&server, b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

/// A function whose function.json lists no methods takes every method, and answered
/// `CONNECT /api/HelloRust` 200 with a Content-Length: a 2xx to CONNECT means "tunnel open"
/// (RFC 9110 §9.3.6, which also forbids its Content-Length), so a proxy in front would pass the
/// bytes after it through unread while this server parsed them as requests. The server opens no
/// tunnels: CONNECT is 501 and closes, whatever its target. Found by review (differential test
/// against Node's server, which closes without an answer).
#[test]
fn connect_is_not_implemented_even_where_a_function_takes_any_method() {
    let app = TempDir::new("protocol-any-method")
        .with(
            "host.json",
            r#"{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"},"enableForwardingHttpRequest":true}}"#,
        )
        .with(
            "HelloRust/function.json",
            r#"{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"}]}"#,
        );
    let server = Server::start_with(&[], Some(app.path()));
    // Any other method reaches the function.
    let mut stream = server.connect();
    stream
        .write_all(b"TRACE /api/HelloRust HTTP/1.1\r\nHost: h\r\n\r\n")
        .unwrap();
    assert_greets(&next(&mut stream), None);
    for request in [
        &b"CONNECT /api/HelloRust HTTP/1.1\r\nHost: h\r\n\r\n"[..],
        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
    ] {
        assert_refused(&server, request, 501);
    }
}

#[test]
fn more_than_max_headers_fields_is_431() {
    let server = Server::start();
    // Host + MAX_HEADERS fields.
    assert_refused(&server, &with_fields(MAX_HEADERS), 431);
}

/// The host's Kestrel lets through 100 fields, a request line of 8 KiB and 32 KiB of headers,
/// and the host adds three fields of its own: the handler must take all that. (At 100 fields
/// and 16 KiB it refused some requests the host had accepted; found by review.)
#[test]
fn what_the_host_lets_through_is_served() {
    let server = Server::start();
    let mut stream = server.connect();
    stream.write_all(&with_fields(MAX_HEADERS - 1)).unwrap();
    assert_greets(&next(&mut stream), Some("Many"));
    // 100 client fields and the host's three, within Kestrel's sizes.
    let target = format!("/api/HelloRust?name=Big&pad={}", "p".repeat(8 * 1024 - 60));
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n").into_bytes();
    for i in 0..99 {
        request.extend(format!("X-Field-{i:02}: {}\r\n", "v".repeat(310)).as_bytes());
    }
    request.extend(b"User-Agent: curl/8.5.0 Azure-Functions-Host/4.1037.0.0\r\n");
    request.extend(b"X-Azure-Functions-HostVersion: 4.1037.0.0\r\n");
    request.extend(b"X-Azure-Functions-InvocationId: 0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11\r\n\r\n");
    assert!(request.len() > 39 * 1024, "{} bytes", request.len());
    stream.write_all(&request).unwrap();
    assert_greets(&next(&mut stream), Some("Big"));
}

#[test]
fn unknown_transfer_coding_before_chunked_is_501() {
    let server = Server::start();
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    );
}

#[test]
fn chunked_not_last_or_repeated_is_refused() {
    let server = Server::start();
    // RFC 9112 §6.3 rule 4: no knowable length, so 400 (not 501) and close.
    for coding in ["gzip", "chunked, gzip", "identity"] {
        let request = format!(
            "POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {coding}\r\n\r\n0\r\n\r\n"
        );
        assert_refused(&server, request.as_bytes(), 400);
    }
    assert_refused(
        &server,
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        400,
    );
}

#[test]
fn http_1_2_is_served_as_1_1() {
    // RFC 9110 §2.5: a higher minor version of a major version the server implements.
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(b"GET /api/HelloRust?name=Minor HTTP/1.2\r\nHost: x\r\n\r\n")
        .unwrap();
    // `next` checks that the answer is HTTP/1.1.
    assert_greets(&next(&mut stream), Some("Minor"));
}

#[test]
fn an_invalid_host_is_400() {
    let server = Server::start();
    for host in ["a b/c@d", "h:80x", "[::1", "h/", "a@b", "[::1]x"] {
        let request = format!("GET /api/HelloRust HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_refused(&server, request.as_bytes(), 400);
    }
    for host in [
        "127.0.0.1:7071",
        "[::1]:80",
        "example.com",
        "my-app.azurewebsites.net",
        "",
    ] {
        let mut stream = server.connect();
        let request = format!("GET /api/HelloRust?name=H HTTP/1.1\r\nHost: {host}\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        assert_greets(&next(&mut stream), Some("H"));
    }
}

#[test]
fn http2_and_http09_are_505() {
    let server = Server::start();
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/2.0\r\nHost: x\r\n\r\n",
        505,
    );
    assert_refused(
        &server,
        b"GET /api/HelloRust HTTP/0.9\r\nHost: x\r\n\r\n",
        505,
    );
}

#[test]
fn http2_prior_knowledge_preface_is_refused() {
    // `PRI * HTTP/2.0` then `SM`: an h2c client that did not ask first.
    let server = Server::start();
    assert_refused(&server, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
}

#[test]
fn server_survives_every_refusal() {
    let server = Server::start();
    for request in [
        &b"GET /api/HelloRust HTTP/1.1\r\n\r\n"[..],
        b"GET /api/HelloRust HTTP/2.0\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01",
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let mut stream = server.connect();
        stream.write_all(request).unwrap();
        let _ = read_reply(&mut stream, false);
    }
    let mut stream = server.connect();
    stream.write_all(&get("/api/HelloRust?name=Still")).unwrap();
    assert_greets(&next(&mut stream), Some("Still"));
}
