//! `Handler::take_over`: a handler that streams serves a request on its connection itself, after
//! the server has parsed the head and answered everything before it; the server closes the
//! connection afterwards, unless the handler gives it back. The handler here echoes the body
//! back in chunks as it reads it (`/stream`), or whole and gives the connection back (`/kept`).
#![forbid(unsafe_code)]

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use handler::http::chunked::ChunkedDecoder;
use handler::http::limits::BODY_READ_TIMEOUT;
use handler::http::parse::BodyKind;
use handler::http::response::{encode_head, BodyFraming, Framing};
use handler::http::{self, date, Handback, Handler, Request, Response, Takeover};
use support::{read_reply, take_linger_permits, WAIT};

/// Answers `/stream` by taking the connection over, everything else with `handle`.
struct Streamer;

impl Handler for Streamer {
    fn handle(&self, req: &Request<'_>) -> Response {
        Response::text(200, format!("handled {}", req.path))
    }

    fn takes_over(&self, head: &Request<'_>) -> bool {
        // `*` too, to show the server never offers it (`OPTIONS *` is the server's).
        head.path == "/stream" || head.path == "/kept" || head.path == "/refuse" || head.path == "*"
    }

    fn take_over(&self, head: &Request<'_>, conn: Takeover<'_>) -> Handback {
        if head.path == "/kept" {
            return echo_and_give_back(conn);
        }
        if head.path == "/refuse" {
            return refuse_unread(conn);
        }
        let BodyKind::Length(len) = conn.body else {
            panic!("the tests send Content-Length bodies")
        };
        assert!(
            head.body.is_empty(),
            "the server reads no body for a takeover"
        );
        let mut stream = conn.stream;
        // Whatever the connection waited for last (10 ms for a head, a minute between
        // requests), a takeover starts with a body's read timeout.
        assert_eq!(
            stream.read_timeout().unwrap(),
            Some(BODY_READ_TIMEOUT),
            "the read timeout a takeover starts with"
        );
        let mut out = Vec::new();
        let headers = [("X-Expect".into(), conn.expect_continue.to_string().into())];
        let framing = Framing {
            head_only: false,
            keep_alive: false,
            http10: false,
        };
        let date = date::now();
        encode_head(
            201,
            "Streamed",
            &headers,
            BodyFraming::Chunked,
            framing,
            &date,
            &mut out,
        );
        if conn.expect_continue && conn.leftover.is_empty() {
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
        }
        stream.write_all(&out).unwrap();
        // Each piece goes back as a chunk as soon as it is read: the leftover bytes first.
        let mut piece = conn.leftover.to_vec();
        let mut sent = 0;
        loop {
            if !piece.is_empty() {
                let chunk = [format!("{:x}\r\n", piece.len()).as_bytes(), &piece, b"\r\n"].concat();
                stream.write_all(&chunk).unwrap();
                sent += piece.len();
            }
            if sent >= len {
                break;
            }
            let mut buf = vec![0u8; len - sent];
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "the client closed inside the body");
            piece = buf[..n].to_vec();
        }
        stream.write_all(b"0\r\n\r\n").unwrap();
        Handback::Close
    }
}

/// Reads the whole body, reading past it as a proxy's buffered reads do, answers it with a
/// length, and gives the connection back with the bytes read past the body.
fn echo_and_give_back(conn: Takeover<'_>) -> Handback {
    let BodyKind::Length(len) = conn.body else {
        panic!("the tests send Content-Length bodies")
    };
    let mut stream = conn.stream;
    let mut read = conn.leftover.to_vec();
    while read.len() < len {
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the client closed inside the body");
        read.extend_from_slice(&buf[..n]);
    }
    // Handler timeouts are its own: the server must put its own back.
    stream
        .set_read_timeout(Some(Duration::from_secs(600)))
        .unwrap();
    let framing = Framing {
        head_only: false,
        keep_alive: conn.keep_alive,
        http10: false,
    };
    let mut out = Vec::new();
    let body = BodyFraming::Length(len as u64);
    encode_head(200, "OK", &[], body, framing, &date::now(), &mut out);
    out.extend_from_slice(&read[..len]);
    stream.write_all(&out).unwrap();
    Handback::KeepAlive(read[len..].to_vec())
}

/// Refuses the request at once, as a proxy does a body it will not pass on, without reading
/// the body, and leaves the connection to the server to close.
fn refuse_unread(conn: Takeover<'_>) -> Handback {
    let framing = Framing {
        head_only: false,
        keep_alive: false,
        http10: false,
    };
    let mut out = Vec::new();
    let body = BodyFraming::Length(0);
    encode_head(
        413,
        "Content Too Large",
        &[],
        body,
        framing,
        &date::now(),
        &mut out,
    );
    let mut stream = conn.stream;
    stream.write_all(&out).unwrap();
    Handback::Close
}

fn serve() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || http::serve(listener, Arc::new(Streamer)));
    addr
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: h\r\n\r\n")
}

fn stream_head(len: usize, expect: bool) -> String {
    let expect = if expect {
        "Expect: 100-continue\r\n"
    } else {
        ""
    };
    format!("POST /stream HTTP/1.1\r\nHost: h\r\n{expect}Content-Length: {len}\r\n\r\n")
}

/// Reads the rest of the connection: a streamed answer, then the server's close.
fn streamed(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the answer, then the close");
    let end = rest
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let head = String::from_utf8(rest[..end].to_vec()).unwrap();
    let mut decoder = ChunkedDecoder::new();
    let mut body = Vec::new();
    let used = decoder.decode(&rest[end..], &mut body).expect("chunks");
    assert!(
        decoder.is_done() && used == rest.len() - end,
        "one chunked body, then nothing"
    );
    (head, body)
}

#[test]
fn a_taken_over_request_streams_and_then_the_connection_closes() {
    let addr = serve();
    let mut stream = connect(addr);
    stream.write_all(get("/first").as_bytes()).unwrap();
    let reply = read_reply(&mut stream, false).expect("an answer");
    assert_eq!(reply.text(), "handled /first");
    // Part of the body comes with the head, the rest later: both reach the handler.
    stream
        .write_all(format!("{}hello", stream_head(11, false)).as_bytes())
        .unwrap();
    thread::sleep(Duration::from_millis(50));
    stream.write_all(b" world").unwrap();
    let (head, body) = streamed(&mut stream);
    assert!(
        head.starts_with("HTTP/1.1 201 Streamed\r\nDate: "),
        "{head}"
    );
    assert!(head.contains("\r\nX-Expect: false\r\n"), "{head}");
    assert!(
        head.ends_with("\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"),
        "{head}"
    );
    assert_eq!(body, b"hello world");
}

#[test]
fn answers_pipelined_before_a_takeover_go_out_first_and_in_order() {
    let addr = serve();
    let mut stream = connect(addr);
    let pipelined = format!("{}{}{}abc", get("/a"), get("/b"), stream_head(3, false));
    stream.write_all(pipelined.as_bytes()).unwrap();
    for path in ["/a", "/b"] {
        let reply = read_reply(&mut stream, false).expect("an answer");
        assert_eq!(reply.text(), format!("handled {path}"));
    }
    assert_eq!(streamed(&mut stream).1, b"abc");
}

#[test]
fn expect_100_continue_is_left_to_the_handler() {
    let addr = serve();
    let mut stream = connect(addr);
    stream.write_all(stream_head(2, true).as_bytes()).unwrap();
    let interim = read_reply(&mut stream, false).expect("100 Continue");
    assert_eq!(interim.status, 100);
    stream.write_all(b"ok").unwrap();
    let (head, body) = streamed(&mut stream);
    assert!(head.contains("\r\nX-Expect: true\r\n"), "{head}");
    assert_eq!(body, b"ok");
}

#[test]
fn a_quiet_connection_is_taken_over_by_a_worker() {
    let addr = serve();
    let _held = take_linger_permits(addr, "/held");
    let mut stream = connect(addr);
    stream.write_all(get("/first").as_bytes()).unwrap();
    read_reply(&mut stream, false).expect("an answer");
    // With no linger permit left the connection is swept, which never waits on a client: the
    // takeover, which waits for the body, must go to a worker, and other connections stay served.
    stream.write_all(stream_head(4, false).as_bytes()).unwrap();
    let mut other = connect(addr);
    other.write_all(get("/other").as_bytes()).unwrap();
    assert_eq!(
        read_reply(&mut other, false).expect("an answer").text(),
        "handled /other"
    );
    thread::sleep(Duration::from_millis(50));
    stream.write_all(b"late").unwrap();
    assert_eq!(streamed(&mut stream).1, b"late");
}

#[test]
fn options_asterisk_is_never_taken_over() {
    let addr = serve();
    let mut stream = connect(addr);
    stream
        .write_all(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        .unwrap();
    let reply = read_reply(&mut stream, false).expect("an answer");
    assert_eq!((reply.status, reply.body.len()), (200, 0));
    // Kept alive, and the handler still serves the rest.
    stream.write_all(get("/after").as_bytes()).unwrap();
    assert_eq!(
        read_reply(&mut stream, false).expect("an answer").text(),
        "handled /after"
    );
}

#[test]
fn a_connection_given_back_serves_the_next_requests() {
    let addr = serve();
    let mut stream = connect(addr);
    // The next request arrives with the body, so the handler reads part of it: the server
    // must serve it from the bytes given back, then the one sent later.
    let kept = "POST /kept HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    stream
        .write_all(format!("{kept}{}", get("/after")).as_bytes())
        .unwrap();
    let reply = read_reply(&mut stream, false).expect("the handler's answer");
    assert_eq!((reply.status, reply.text().as_str()), (200, "hello"));
    let reply = read_reply(&mut stream, false).expect("an answer from the bytes given back");
    assert_eq!(reply.text(), "handled /after");
    thread::sleep(Duration::from_millis(50));
    stream.write_all(kept.as_bytes()).unwrap();
    let reply = read_reply(&mut stream, false).expect("a second takeover");
    assert_eq!(reply.text(), "hello");
    stream.write_all(get("/last").as_bytes()).unwrap();
    assert_eq!(
        read_reply(&mut stream, false).expect("an answer").text(),
        "handled /last"
    );
}

#[test]
fn a_client_still_sending_a_refused_body_reads_the_refusal() {
    // A handler that answers without reading the body hands the connection back to close:
    // closed with the body unread, the socket would reset, and the client, still sending,
    // would get a broken pipe and never the answer (RFC 9112 §9.6). The server reads the
    // rest away first, as after its own refusals.
    let addr = serve();
    for _ in 0..3 {
        let mut stream = connect(addr);
        let len = 4 * 1024 * 1024;
        let head = format!("POST /refuse HTTP/1.1\r\nHost: h\r\nContent-Length: {len}\r\n\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let sending = thread::spawn(move || {
            for _ in 0..len / 65536 {
                if writer.write_all(&[b'x'; 65536]).is_err() {
                    return false;
                }
            }
            true
        });
        let reply = read_reply(&mut stream, false).expect("the refusal, not a reset");
        assert_eq!(reply.status, 413, "{reply:?}");
        assert!(sending.join().unwrap(), "the body was read away, not reset");
    }
}

#[test]
fn a_connection_given_back_closes_when_the_client_said_close() {
    let addr = serve();
    let mut stream = connect(addr);
    let kept = "POST /kept HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    stream.write_all(kept.as_bytes()).unwrap();
    let mut all = Vec::new();
    stream
        .read_to_end(&mut all)
        .expect("the answer, then the close");
    let all = String::from_utf8(all).unwrap();
    assert!(
        all.contains("\r\nConnection: close\r\n") && all.ends_with("\r\n\r\nok"),
        "{all}"
    );
}
