//! Clients that read their answers slowly. A write waits on a client at most `WRITE_STALL`; what
//! the client has not taken waits with the connection for the sweeper to write as the client
//! reads. These check that nothing is lost or reordered on that path: a large answer read in
//! small sips arrives whole, requests pipelined behind it are answered after it, and a
//! `Connection: close` closes only once everything is out.

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use handler::http::limits::WRITE_STALL;
use handler::http::{self, Handler, Request, Response};
use support::WAIT;

/// 4 MiB: more than a loopback socket's buffers take at once, so the write stalls.
const BIG: usize = 4 * 1024 * 1024;

/// `/big` answers `BIG` bytes of a pattern that shows any byte lost or out of place;
/// anything else answers its path.
struct Big;

impl Handler for Big {
    fn handle(&self, req: &Request<'_>) -> Response {
        if req.path == "/big" {
            Response::new(200)
                .header("Content-Type", "application/octet-stream")
                .body(pattern(BIG))
        } else {
            Response::text(200, req.path.to_string())
        }
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn start() -> TcpStream {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || http::serve(listener, Arc::new(Big)));
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

fn get(path: &str, close: bool) -> Vec<u8> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n{connection}\r\n").into_bytes()
}

/// Reads everything until the server closes, in 64 KiB sips with a pause between them, so
/// the server's writes find the socket full again and again.
fn sip_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut sip = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "still reading after {WAIT:?}");
        match stream.read(&mut sip) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&sip[..n]),
            Err(e) => panic!("after {} bytes: {e}", all.len()),
        }
        thread::sleep(WRITE_STALL / 4);
    }
}

/// The body of each response in `bytes`, in order (each framed by Content-Length).
fn bodies(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|v| v.parse().ok())
            .expect("a Content-Length");
        let body = &bytes[end + 4..end + 4 + length];
        out.push(body.to_vec());
        bytes = &bytes[end + 4 + length..];
    }
    out
}

#[test]
fn a_large_answer_read_slowly_arrives_whole_then_the_connection_closes() {
    let mut stream = start();
    stream.write_all(&get("/big", true)).unwrap();
    let all = sip_to_end(&mut stream);
    assert_eq!(bodies(&all), [pattern(BIG)]);
}

#[test]
fn requests_pipelined_behind_a_slow_answer_are_answered_after_it() {
    let mut stream = start();
    let mut batch = get("/big", false);
    batch.extend(get("/second", false));
    batch.extend(get("/big", false));
    batch.extend(get("/last", true));
    stream.write_all(&batch).unwrap();
    let all = sip_to_end(&mut stream);
    assert_eq!(
        bodies(&all),
        [
            pattern(BIG),
            b"/second".to_vec(),
            pattern(BIG),
            b"/last".to_vec()
        ]
    );
}

#[test]
fn a_keep_alive_connection_serves_on_after_a_slow_answer() {
    let mut stream = start();
    stream.write_all(&get("/big", false)).unwrap();
    // Reads the head and body of the first answer slowly, then asks again.
    let mut got = Vec::new();
    let mut sip = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + WAIT;
    while bodies_complete(&got) < 1 {
        assert!(Instant::now() < deadline, "the first answer did not end");
        let n = stream.read(&mut sip).expect("read the first answer");
        assert!(n > 0, "closed during the first answer");
        got.extend_from_slice(&sip[..n]);
        thread::sleep(WRITE_STALL / 4);
    }
    stream.write_all(&get("/again", true)).unwrap();
    let rest = sip_to_end(&mut stream);
    got.extend(rest);
    assert_eq!(bodies(&got), [pattern(BIG), b"/again".to_vec()]);
}

/// How many whole responses `bytes` holds.
fn bodies_complete(bytes: &[u8]) -> usize {
    let mut at = 0;
    let mut count = 0;
    while let Some(end) = bytes[at..].windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[at..at + end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if bytes.len() < at + end + 4 + length {
            break;
        }
        at += end + 4 + length;
        count += 1;
    }
    count
}
