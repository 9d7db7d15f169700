//! One test per bug found by review, named after what went wrong, so it cannot come back.
#![forbid(unsafe_code)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use handler::azure::app;
use handler::azure::json::{self, JsonError};
use handler::azure::limits::JSON_MAX_VALUES;
use handler::azure::request::Request;
use handler::azure::router::Router;
use handler::functions::Function;
use handler::http::chunked::ChunkedDecoder;
use handler::http::error::HttpError;
use handler::http::limits::{
    BODY_READ_TIMEOUT, HEAD_TIMEOUT, MAX_BODY_BYTES, MAX_BODY_WAITING, MAX_CHUNK_EXTENSION_BYTES,
    MAX_METHOD_BYTES, MAX_TARGET_BYTES,
};
use handler::Response;
use support::{get, greeting, is_closed, read_reply, take_linger_permits, Server};

/// A JSON body of many small values cost 33 times its size to parse (8 MiB became 270 MB, and
/// 16 at once 3.9 GB). The value count is capped, and the answer is a 400.
#[test]
fn a_json_body_of_many_small_values_is_refused_not_parsed_into_gigabytes() {
    let body = format!("{{\"a\":[{}]}}", vec!["1"; JSON_MAX_VALUES].join(","));
    assert_eq!(
        json::parse(body.as_bytes()),
        Err(JsonError::TooManyValues {
            limit: JSON_MAX_VALUES
        })
    );
    let server = Server::start();
    let request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let reply = server.exchange(request.as_bytes());
    assert_eq!(reply.status, 400);
    // It may be valid JSON: the answer says which limit it broke, not that it is invalid.
    assert_eq!(
        reply.text(),
        format!("JSON body not read: more values than the limit of {JSON_MAX_VALUES}.")
    );
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
    // A client that waits for `100 Continue` was told to go on, then refused: now it is
    // refused at once, before it sends its body.
    let mut expecting = server.connect();
    expecting
        .write_all(b"POST /api/HelloRust HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    expecting
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = expecting.read_to_end(&mut answer);
    assert!(
        answer.starts_with(b"HTTP/1.1 503 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
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

/// A body that stopped coming was closed without a word after BODY_READ_TIMEOUT (curl: "Empty
/// reply from server"), where a head that stops gets a 408. Found by review.
#[test]
fn a_stalled_body_is_answered_408() {
    let server = Server::start();
    let started = Instant::now();
    let streams: Vec<TcpStream> = [
        &b"Content-Length: 100\r\n\r\nname"[..],
        &b"Transfer-Encoding: chunked\r\n\r\n4\r\nname\r\n"[..],
    ]
    .iter()
    .map(|body| {
        let mut stream = server.connect();
        stream
            .set_read_timeout(Some(BODY_READ_TIMEOUT + Duration::from_secs(5)))
            .unwrap();
        let head = b"POST /api/HelloRust HTTP/1.1\r\nHost: h\r\n";
        stream.write_all(&[&head[..], body].concat()).unwrap();
        stream
    })
    .collect();
    for mut stream in streams {
        let reply = read_reply(&mut stream, false).expect("an answer");
        assert_eq!(reply.status, 408, "{reply:?}");
        assert_eq!(reply.text(), "request body not received in time\n");
        assert_eq!(reply.header("Connection"), Some("close"));
        assert!(started.elapsed() >= BODY_READ_TIMEOUT - Duration::from_millis(100));
        assert!(is_closed(&mut stream));
    }
}

/// Empty lines start no head deadline, and a worker lingering on the connection never looked at
/// its idle deadline: a client sending a CRLF now and then kept the connection, and a worker,
/// for good. Found by review. A connection that sends no request closes at HEAD_TIMEOUT.
#[test]
fn empty_lines_alone_do_not_keep_a_connection_open() {
    let server = Server::start();
    let mut stream = server.connect();
    let started = Instant::now();
    let closed = loop {
        if stream.write_all(b"\r\n").is_err() {
            break true;
        }
        thread::sleep(Duration::from_millis(500));
        if started.elapsed() > HEAD_TIMEOUT + Duration::from_secs(3) {
            break is_closed(&mut stream);
        }
    };
    assert!(closed, "still open after {:?}", started.elapsed());
    assert!(started.elapsed() < HEAD_TIMEOUT + Duration::from_secs(4));
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
    router.add(&EARLY, "api/Early", &["get"]).unwrap();
    let response = app::respond(&router, Request::new("GET", "/api/Early"));
    assert_eq!(response.status, 500);
}

/// Sends `writes` on a new connection, `pause` apart, as a client or proxy that splits its
/// writes might, and asserts that the answer is `status` and comes at once: within 2 s of the
/// last write, well before `HEAD_TIMEOUT` would answer a head that never completes.
fn assert_answered_at_once(server: &Server, writes: &[&[u8]], pause: Duration, status: u16) {
    let mut stream = server.connect();
    stream
        .set_read_timeout(Some(HEAD_TIMEOUT + Duration::from_secs(5)))
        .unwrap();
    for (i, bytes) in writes.iter().enumerate() {
        if i > 0 {
            thread::sleep(pause);
        }
        stream.write_all(bytes).unwrap();
    }
    let sent = Instant::now();
    let reply = read_reply(&mut stream, false).expect("an answer");
    let sent_text = String::from_utf8_lossy(&writes.concat()).into_owned();
    let what = format!(
        "{:?}... ({} bytes) in {} writes {pause:?} apart",
        sent_text.chars().take(12).collect::<String>(),
        sent_text.len(),
        writes.len()
    );
    assert_eq!(reply.status, status, "{what}");
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{what}: answered after {:?}",
        sent.elapsed()
    );
}

/// Pauses between writes: the issue's 0.2 s, which reaches a server that has parked the
/// connection, and 5 ms, which reaches the worker still lingering on it for the rest of the
/// head (`HEAD_LINGER`), where `worth_parsing` alone decides whether the bytes are looked at.
const PAUSES: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(5)];

/// A 33-byte method sent as "A" then 32 more `A` was answered 408 after HEAD_TIMEOUT, where the
/// same bytes in one write got 400 at once: `worth_parsing` let the server parse again for bytes
/// that ended a line or neared the target limit, never for a method passing its limit; nor for
/// a request line after empty lines, or for a stray CR then a byte that cannot start one. The
/// worker then parked the connection with the answer in its buffer. `worth_parsing` now says
/// yes wherever the new bytes can change the answer.
#[test]
fn a_method_past_its_limit_in_two_writes_is_refused_at_once() {
    let server = Server::start();
    let method = "A".repeat(MAX_METHOD_BYTES + 1);
    let method = method.as_bytes();
    for pause in PAUSES {
        assert_answered_at_once(&server, &[&method[..1], &method[1..]], pause, 400);
        assert_answered_at_once(&server, &[b"\r\n", method], pause, 400);
        assert_answered_at_once(&server, &[b"\r\n\r", b"X"], pause, 400);
    }
    assert_answered_at_once(&server, &[method], Duration::ZERO, 400);
    assert_answered_at_once(&server, &[b"\r\n\rX"], Duration::ZERO, 400);
}

/// `GET /` and 8,191 more target bytes then a CR, with the LF in a later write, was answered
/// 414, where the same bytes in one write got 400 (a request line without a version): the CR
/// that was to start the line's CRLF was counted in the target before its LF arrived. A CR at
/// the end of an unfinished request line now counts only once the next byte shows it is not a
/// line end.
#[test]
fn a_target_at_its_limit_is_not_too_long_for_the_cr_of_its_line_end() {
    let server = Server::start();
    let line = format!("GET /{}\r", "a".repeat(MAX_TARGET_BYTES - 1));
    let line = line.as_bytes();
    for pause in PAUSES {
        assert_answered_at_once(&server, &[line, b"\n"], pause, 400);
    }
    let whole = [line, b"\n"].concat();
    assert_answered_at_once(&server, &[&whole], Duration::ZERO, 400);
}

// ---- Found by review of the sweeper ----------------------------------------------------------

/// A client that sent part of a head, went quiet (parked, swept) and then half-closed: the
/// sweeper saw end of stream with bytes buffered, called it ready, found the head unfinished
/// and parked it again, forever: the connection was never closed, its slot never freed, and
/// the sweeper spun on it.
#[test]
fn a_client_that_leaves_mid_head_on_a_swept_connection_is_closed() {
    let server = Server::start();
    let mut stream = server.connect();
    stream
        .write_all(b"GET /api/HelloRust HTTP/1.1\r\nHost: h\r\n")
        .unwrap();
    // Longer than HEAD_LINGER: the worker parks it with the partial head.
    thread::sleep(Duration::from_millis(200));
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(
        is_closed(&mut stream),
        "the half-closed connection stayed open"
    );
}

/// Connections that left mid-head kept their slots for good: under a low open-file limit,
/// every later client got 503.
#[test]
fn clients_that_abort_mid_head_do_not_hold_connection_slots() {
    let port = support::free_port();
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -n 48 && exec \"$0\"",
            env!("CARGO_BIN_EXE_handler"),
        ])
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let connect = || loop {
        if let Ok(stream) = TcpStream::connect(addr) {
            stream.set_read_timeout(Some(support::WAIT)).unwrap();
            return stream;
        }
        thread::sleep(Duration::from_millis(50));
    };
    // More than FD_RESERVE open connections, where the cap (16 under this limit) applies.
    let aborted: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut stream = connect();
            let _ = stream.write_all(b"GET /api/HelloRust HTTP/1.1\r\nHost: h\r\n");
            stream
        })
        .collect();
    thread::sleep(Duration::from_millis(300)); // parked with partial heads
    drop(aborted);
    thread::sleep(Duration::from_secs(2));
    let mut fresh = connect();
    fresh.write_all(&get("/api/HelloRust?name=x")).unwrap();
    let reply = read_reply(&mut fresh, false).expect("an answer");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        reply.status,
        200,
        "slots held by gone clients: {}",
        reply.text()
    );
}

/// The sweeper put a connection it had just served back into the set it was reading, so a
/// connection ready at every read (the one above) was served again and again within one
/// round, and every other swept connection waited forever.
#[test]
fn one_client_leaving_mid_head_does_not_hang_the_other_swept_connections() {
    let server = Server::start();
    let _held = take_linger_permits(server.addr(), "/api/HelloRust");
    let mut canary = server.connect();
    canary.write_all(&get("/api/HelloRust?name=a")).unwrap();
    assert_eq!(read_reply(&mut canary, false).unwrap().status, 200);
    let mut leaver = server.connect();
    leaver
        .write_all(b"GET /api/HelloRust HTTP/1.1\r\nHost: h\r\n")
        .unwrap();
    // Both swept: no linger permit for the canary, and the leaver's head is past HEAD_LINGER.
    thread::sleep(Duration::from_millis(300));
    leaver.shutdown(std::net::Shutdown::Write).unwrap();
    thread::sleep(Duration::from_millis(200));
    canary.write_all(&get("/api/HelloRust?name=b")).unwrap();
    let reply = read_reply(&mut canary, false).expect("the canary's answer");
    assert_eq!(reply.text(), greeting(Some("b")));
}

/// A head trickling in a byte every few milliseconds kept its worker reading until
/// HEAD_TIMEOUT (each byte restarted the worker's HEAD_LINGER wait), so MAX_WORKERS slow
/// clients held every worker and a new client waited 9 s. A worker now waits HEAD_LINGER in
/// all for the rest of a head, then the sweeper holds it.
#[test]
fn trickling_heads_do_not_hold_every_worker() {
    let server = Server::start();
    let mut tricklers: Vec<TcpStream> = (0..72)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /api/HelloRust HTTP/1.1\r\nX-Slow: ")
                .unwrap();
            stream
        })
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    let trickle = thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            for stream in &mut tricklers {
                let _ = stream.write_all(b"a");
            }
            thread::sleep(Duration::from_millis(4));
        }
    });
    thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    let mut fresh = server.connect();
    fresh.write_all(&get("/api/HelloRust?name=x")).unwrap();
    let reply = read_reply(&mut fresh, false).expect("an answer");
    let waited = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    trickle.join().unwrap();
    assert_eq!(reply.status, 200);
    assert!(
        waited < Duration::from_secs(2),
        "a new client waited {waited:?} behind trickling heads"
    );
}

/// A handler that panicked on the second of two pipelined requests also lost the answer to
/// the first, already encoded: every request fully received gets exactly one response.
#[test]
fn a_panic_does_not_swallow_the_answers_before_it_on_a_pipelined_connection() {
    struct Panicky;
    impl handler::http::Handler for Panicky {
        fn handle(&self, req: &handler::http::Request<'_>) -> handler::http::Response {
            if req.path == "/panic" {
                panic!("the handler panics");
            }
            handler::http::Response::text(200, format!("answer to {}", req.path))
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || handler::http::serve(listener, std::sync::Arc::new(Panicky)));
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(support::WAIT)).unwrap();
    stream
        .write_all(b"GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /panic HTTP/1.1\r\nHost: h\r\n\r\n")
        .unwrap();
    let one = read_reply(&mut stream, false).expect("the answer to /one");
    assert_eq!(one.text(), "answer to /one");
    assert!(is_closed(&mut stream));
}

/// A POST of the form `body` to HelloRust.
fn form_to_hello_rust(body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: h\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// HelloRust read a form's `name` from a lossy copy of the whole body: a body of bytes that are
/// not UTF-8 became three times its size in U+FFFD before a field was looked at, so an 8 MiB
/// form whose `name` is one word cost 32 MB, and 64 of them at once (one per worker) 2 GB,
/// where the limits' arithmetic counts the body alone. Found by measuring VmHWM.
#[test]
fn a_form_body_that_is_not_utf8_is_not_copied_whole_to_find_its_name() {
    let server = Server::start();
    let mut body = b"name=Azure&pad=".to_vec();
    body.resize(MAX_BODY_BYTES, 0xFF);
    let request = form_to_hello_rust(&body);
    let before = support::proc_status(server.pid(), "VmHWM").unwrap();
    let reply = server.exchange(&request);
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Azure"))));
    // The body is buffered whole (MAX_BODY_BYTES); its lossy copy would be three times that.
    let grew = support::proc_status(server.pid(), "VmHWM").unwrap() - before;
    let allowed = (MAX_BODY_BYTES + MAX_BODY_BYTES / 2) as u64 / 1024;
    assert!(
        grew < allowed,
        "VmHWM grew by {grew} KiB for a one-word name"
    );
}

/// A handler's answer was copied into the encoded output after its head, then, for a client
/// not reading it, copied again to wait with the connection: held twice at each step. A form
/// name of 8 MiB of bytes that are not UTF-8 is a 24 MiB greeting, and one such request to a
/// client that reads nothing took 56 MB where its body and answer are 32. Found by measuring
/// VmHWM.
#[test]
fn a_large_answer_is_held_once_while_encoded_and_while_it_waits_for_its_client() {
    let server = Server::start();
    let mut body = b"name=".to_vec();
    body.resize(MAX_BODY_BYTES, 0xFF);
    let request = form_to_hello_rust(&body);
    let before = support::proc_status(server.pid(), "VmHWM").unwrap();
    let mut stream = server.connect();
    stream.write_all(&request).unwrap();
    // Answered, and the answer waits for the client: the server's memory stops growing.
    let started = Instant::now();
    let mut last = 0;
    loop {
        thread::sleep(Duration::from_millis(200));
        let now = support::proc_status(server.pid(), "VmHWM").unwrap();
        if (now == last && now > before + 1024) || started.elapsed() > Duration::from_secs(10) {
            break;
        }
        last = now;
    }
    let grew = support::proc_status(server.pid(), "VmHWM").unwrap() - before;
    // Each stray byte is a 3-byte U+FFFD in the greeting.
    let answer = 3 * MAX_BODY_BYTES as u64 / 1024;
    let body = MAX_BODY_BYTES as u64 / 1024;
    assert!(
        grew < body + answer + body / 2,
        "VmHWM grew by {grew} KiB for a {body} KiB body and a {answer} KiB answer"
    );
    // The client that reads it at last gets it whole.
    let reply = read_reply(&mut stream, false).expect("the answer");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body.len(),
        3 * (MAX_BODY_BYTES - 5) + greeting(Some("")).len()
    );
}

/// Form decoding made the decoded bytes text by copying them (`from_utf8_lossy(..).into_owned()`)
/// while they were still held: a name of 8 MiB of `+` (spaces) took the body and twice the
/// name. Found by measuring VmHWM.
#[test]
fn a_decoded_form_value_is_not_copied_to_become_text() {
    let server = Server::start();
    let mut body = b"name=".to_vec();
    body.resize(MAX_BODY_BYTES, b'+');
    let request = form_to_hello_rust(&body);
    let before = support::proc_status(server.pid(), "VmHWM").unwrap();
    let reply = server.exchange(&request);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body.len(),
        greeting(Some(&" ".repeat(MAX_BODY_BYTES - 5))).len()
    );
    let grew = support::proc_status(server.pid(), "VmHWM").unwrap() - before;
    // The body, and the name as long as it.
    let body = MAX_BODY_BYTES as u64 / 1024;
    assert!(
        grew < 2 * body + body / 2,
        "VmHWM grew by {grew} KiB for a {body} KiB body"
    );
}
