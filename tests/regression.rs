//! One test per bug found by review, named after what went wrong, so it cannot come back.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use handler::azure::app;
use handler::azure::json::{self, JsonError};
use handler::azure::request::Request;
use handler::azure::router::Router;
use handler::functions::Function;
use handler::http::chunked::ChunkedDecoder;
use handler::http::error::HttpError;
use handler::http::limits::{
    HEAD_TIMEOUT, JSON_MAX_VALUES, MAX_BODY_BYTES, MAX_BODY_WAITING, MAX_CHUNK_EXTENSION_BYTES,
};
use handler::Response;
use support::{get, greeting, is_closed, read_reply, Server};

/// A JSON body of many small values cost 33 times its size to parse (8 MiB became 270 MB, and
/// 16 at once 3.9 GB). The value count is capped, and the answer is a 400.
#[test]
fn a_json_body_of_many_small_values_is_refused_not_parsed_into_gigabytes() {
    let body = format!("{{\"a\":[{}]}}", vec!["1"; JSON_MAX_VALUES].join(","));
    assert_eq!(json::parse(body.as_bytes()), Err(JsonError::TooManyValues));
    let server = Server::start();
    let request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let reply = server.exchange(request.as_bytes());
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("more than"), "{}", reply.text());
}

/// Slow uploads could hold every worker: each body read had a timeout but the body had none,
/// and nothing capped how many workers waited on bodies. Now at most MAX_BODY_WAITING do; the
/// next slow body gets 503, and a normal request is still answered at once.
#[test]
fn slow_bodies_cannot_hold_every_worker() {
    let server = Server::start();
    let head = b"POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\nx";
    let mut slow: Vec<TcpStream> = Vec::new();
    for _ in 0..MAX_BODY_WAITING {
        let mut stream = server.connect();
        stream.write_all(head).unwrap();
        slow.push(stream);
    }
    // Let the workers take them and start waiting for the rest of their bodies.
    thread::sleep(Duration::from_millis(500));
    let mut one_more = server.connect();
    one_more.write_all(head).unwrap();
    let reply = read_reply(&mut one_more, false).expect("an answer, not a wait");
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("Connection"), Some("close"));
    let started = Instant::now();
    let reply = server.exchange(&get("/api/HelloRust?name=Waiting"));
    assert_eq!(reply.text(), greeting(Some("Waiting")));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(slow);
}

/// Chunk extensions were capped per line, not per body: a client sent 3.1 GB of framing for
/// 3.1 MB of data and kept a worker busy. The total is capped now.
#[test]
fn chunk_extensions_are_capped_per_body() {
    let line = format!("1;{}\r\na\r\n", "e".repeat(1000));
    let lines = MAX_CHUNK_EXTENSION_BYTES / 1000 + 2;
    let mut decoder = ChunkedDecoder::new();
    let mut body = Vec::new();
    let input = line.repeat(lines);
    assert_eq!(
        decoder.decode(input.as_bytes(), &mut body),
        Err(HttpError::Chunked)
    );
    // Under the cap the same framing is fine.
    let mut decoder = ChunkedDecoder::new();
    let input = line.repeat(3) + "0\r\n\r\n";
    assert_eq!(
        decoder.decode(input.as_bytes(), &mut Vec::new()),
        Ok(input.len())
    );
}

/// A 413 sent while the client (nginx, in the report) was still writing its body was lost to
/// the reset that closing with unread input causes: nginx answered 502. The server now reads
/// the refused body away before closing, so a client that writes it all still reads the 413.
#[test]
fn a_refused_body_is_read_away_so_the_client_sees_the_413() {
    let server = Server::start();
    let mut stream = server.connect();
    let len = MAX_BODY_BYTES + 1024 * 1024;
    let head = format!("POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nContent-Length: {len}\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < len {
        let n = chunk.len().min(len - sent);
        stream
            .write_all(&chunk[..n])
            .expect("the server keeps reading the refused body");
        sent += n;
    }
    let reply = read_reply(&mut stream, false).expect("the 413");
    assert_eq!(reply.status, 413);
    assert!(is_closed(&mut stream));
}

/// A refusal inside a POST's chunked body looked for "HEAD " in the unread body and sent a
/// HEAD-style answer: a Content-Length with no body, a truncated response.
#[test]
fn a_refused_post_is_not_mistaken_for_a_head_by_its_body() {
    let server = Server::start();
    let reply = server.exchange(
        b"POST /api/HelloRust HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          HEAD / HTTP/1.1\r\n\r\n",
    );
    assert_eq!(reply.status, 400);
    let length: usize = reply.header("Content-Length").unwrap().parse().unwrap();
    assert!(length > 0);
    assert_eq!(reply.body.len(), length);
}

/// A new connection could wait silently for almost HEAD_TIMEOUT, then trickle a head for
/// another HEAD_TIMEOUT: the deadline started at the first byte. It starts at accept now.
#[test]
fn the_first_head_deadline_runs_from_accept() {
    let server = Server::start();
    let started = Instant::now();
    let mut stream = server.connect();
    stream.set_read_timeout(Some(HEAD_TIMEOUT * 3)).unwrap();
    thread::sleep(HEAD_TIMEOUT - Duration::from_secs(2));
    stream.write_all(b"GET /api").unwrap();
    let trickle = thread::spawn({
        let mut stream = stream.try_clone().unwrap();
        move || {
            for byte in b"/HelloRust HTTP/1.1" {
                thread::sleep(Duration::from_secs(1));
                if stream.write_all(&[*byte]).is_err() {
                    break;
                }
            }
        }
    });
    let reply = read_reply(&mut stream, false).expect("a 408");
    let at = started.elapsed();
    assert_eq!(reply.status, 408);
    assert!(
        at < HEAD_TIMEOUT + Duration::from_secs(3),
        "408 only at {at:?}"
    );
    drop(stream);
    trickle.join().unwrap();
}

/// A function that answered a 1xx status made the server send it as the final response, and the
/// client waited for the real one. A status outside 200-599 is a function bug: 500.
#[test]
fn a_non_final_status_from_a_function_becomes_500() {
    fn early_hints(_: &Request) -> Response {
        Response::text(103, "not final")
    }
    static EARLY: Function = Function {
        name: "Early",
        run: early_hints,
    };
    let mut router = Router::default();
    router.add(&EARLY, "api/Early", &["get"]);
    let response = app::respond(&router, Request::new("GET", "/api/Early"));
    assert_eq!(response.status, 500);
}
