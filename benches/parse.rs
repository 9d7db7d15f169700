//! The parser's time per request, without sockets: the head the Functions host forwards, a POST
//! with a JSON body, a pipelined batch, and for scale the whole answer (parse, route, run
//! HelloRust, encode) that a worker computes per request; then payload mode's answer to the
//! host's invocation, to one carrying a large body, and a large answer; and base64 both ways,
//! as a binary blob travels.
//!
//!     cargo bench --bench parse -- [--quick]
//!
//! Each case runs in batches sized to about 10 ms; the table gives the fastest and the median
//! batch, per request. Prints figures; asserts nothing.
#![forbid(unsafe_code)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use handler::azure::app::App;
use handler::azure::router::Router;
use handler::http::parse::{parse_head, BodyKind, Field, Status};
use handler::http::response::{encode, Framing};
use handler::http::{Handler, Request};

/// What the Functions host forwards for `GET /api/HelloRust?name=Shing` from a browser through
/// the front end: the client's headers plus the platform's.
const HOST_GET: &[u8] = b"GET /api/HelloRust?name=Shing HTTP/1.1\r\n\
Host: 127.0.0.1:41235\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Accept-Language: en-GB,en;q=0.9\r\n\
Max-Forwards: 10\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n\
traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\
X-ARR-LOG-ID: 6f1c2a7e-1b0e-4d8e-9d1c-2f3b4a5c6d7e\r\n\
CLIENT-IP: 203.0.113.7:52344\r\n\
DISGUISED-HOST: hello-rust.azurewebsites.net\r\n\
X-SITE-DEPLOYMENT-ID: hello-rust\r\n\
WAS-DEFAULT-HOSTNAME: hello-rust.azurewebsites.net\r\n\
X-Forwarded-Proto: https\r\n\
X-AppService-Proto: https\r\n\
X-ARR-SSL: 2048|256|CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US|CN=*.azurewebsites.net\r\n\
X-Forwarded-TlsVersion: 1.3\r\n\
X-Forwarded-For: 203.0.113.7:52344\r\n\
X-Original-URL: /api/HelloRust?name=Shing\r\n\
X-WAWS-Unencoded-URL: /api/HelloRust?name=Shing\r\n\
X-Azure-FDID: 0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\r\n\
Sec-Fetch-Mode: navigate\r\n\
\r\n";

const JSON_BODY: &[u8] = br#"{"name":"Shing","greeting":{"lang":"en-GB","formal":false},"tags":["rust","azure","functions"],"count":3}"#;

/// VS Code's "Execute Function Now" and curl-style clients: a POST with a JSON body.
fn post_json() -> Vec<u8> {
    let mut req = format!(
        "POST /api/HelloRust HTTP/1.1\r\nHost: 127.0.0.1:41235\r\nUser-Agent: curl/8.5.0\r\n\
         Accept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n",
        JSON_BODY.len()
    )
    .into_bytes();
    req.extend_from_slice(JSON_BODY);
    req
}

/// The host's payload-mode POST of `body`, an invocation, whole (`Content-Length`, as the
/// server has it once its chunks are read).
fn post_invocation(body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST /HelloRust HTTP/1.1\r\nHost: 127.0.0.1:41235\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// An invocation of HelloRust whose request has a text body of about `len` bytes, one escape in
/// it: what a large upload costs to read, at every level it sits below the top.
fn invocation_with_body(len: usize) -> Vec<u8> {
    let text = format!("{}\\\"{}", "x".repeat(len / 2), "y".repeat(len / 2));
    format!(
        r#"{{"Data":{{"req":{{"Url":"http://localhost:7071/api/HelloRust","Method":"POST","Query":{{}},"Headers":{{"Content-Type":["text/plain"]}},"Params":{{}},"Identities":[],"Body":"{text}"}}}},"Metadata":{{"sys":{{"MethodName":"HelloRust"}}}}}}"#
    )
    .into_bytes()
}

/// The text body of the large invocation, in bytes.
const LARGE_BODY: usize = 3_500_000;

/// An invocation of HelloRust whose query names someone in `len` bytes: the answer, greeting
/// them, is that large, and goes back inside the reply's JSON.
fn invocation_with_name(len: usize) -> Vec<u8> {
    let name = "n".repeat(len);
    format!(
        r#"{{"Data":{{"req":{{"Url":"http://localhost:7071/api/HelloRust","Method":"GET","Query":{{"name":"{name}"}},"Headers":{{}},"Params":{{}},"Identities":[]}}}},"Metadata":{{}}}}"#
    )
    .into_bytes()
}

/// Requests back to back in one buffer, as a pipelining client sends them.
const PIPELINE_DEPTH: usize = 16;

fn pipelined() -> Vec<u8> {
    let one = b"GET /api/HelloRust?name=Shing HTTP/1.1\r\nHost: 127.0.0.1:41235\r\n\
                User-Agent: wrk\r\nAccept: */*\r\n\r\n";
    one.repeat(PIPELINE_DEPTH)
}

/// Parses one head and returns the bytes it used (and skips a Length body, as `conn` does).
fn parse_one(buf: &[u8], fields: &mut Vec<Field>) -> usize {
    match parse_head(buf, fields) {
        Ok(Status::Complete((head, used))) => match head.body {
            BodyKind::Length(n) => used + n,
            _ => used,
        },
        other => panic!("bench input did not parse: {other:?}"),
    }
}

/// Times `f` (which handles `per_call` requests) in batches; returns the fastest and the median
/// batch as nanoseconds per request.
fn measure(batches: usize, per_call: usize, mut f: impl FnMut()) -> (f64, f64) {
    // Calibrate: calls per batch for about 10 ms, at least 1, bounded.
    let t = Instant::now();
    let mut calls = 0u64;
    while t.elapsed() < Duration::from_millis(5) && calls < 1_000_000 {
        f();
        calls += 1;
    }
    let per_batch = (calls * 2).clamp(1, 2_000_000);
    let mut ns: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            t.elapsed().as_nanos() as f64 / (per_batch as f64 * per_call as f64)
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    (ns[0], ns[ns.len() / 2])
}

fn main() {
    let mut smoke = true;
    let mut quick = std::env::var("HANDLER_BENCH_QUICK").is_ok_and(|v| v == "1");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--bench" => smoke = false,
            "--quick" => quick = true,
            // The socket benches' options, harmless here.
            _ => {}
        }
    }
    let batches = if smoke {
        1
    } else if quick {
        10
    } else {
        100
    };

    let post = post_json();
    let batch = pipelined();
    let app = App::new(Router::builtin_for(handler::functions::FUNCTIONS), false);
    let mut fields = Vec::new();
    let date = handler::http::date::now();

    let mut rows: Vec<(String, usize, (f64, f64))> = Vec::new();
    rows.push((
        format!("host-forwarded GET, {} headers", header_count(HOST_GET)),
        HOST_GET.len(),
        measure(batches, 1, || {
            black_box(parse_one(black_box(HOST_GET), &mut fields));
        }),
    ));
    rows.push((
        "POST, JSON body: head".into(),
        post.len(),
        measure(batches, 1, || {
            black_box(parse_one(black_box(&post), &mut fields));
        }),
    ));
    rows.push((
        "POST, JSON body: head + JSON parse".into(),
        post.len(),
        measure(batches, 1, || {
            let used = parse_one(black_box(&post), &mut fields);
            let body = &post[used - JSON_BODY.len()..used];
            black_box(handler::azure::json::parse(body).ok());
        }),
    ));
    rows.push((
        format!("pipelined batch of {PIPELINE_DEPTH} GETs, per request"),
        batch.len() / PIPELINE_DEPTH,
        measure(batches, PIPELINE_DEPTH, || {
            let mut at = 0;
            while at < batch.len() {
                at += parse_one(black_box(&batch[at..]), &mut fields);
            }
            black_box(at);
        }),
    ));
    rows.push((
        "host-forwarded GET: parse + route + run + encode".into(),
        HOST_GET.len(),
        measure(batches, 1, || {
            let Ok(Status::Complete((head, _))) = parse_head(black_box(HOST_GET), &mut fields)
            else {
                panic!("bench input did not parse");
            };
            let request = Request::new(HOST_GET, &head, &fields, &[]);
            let response = app.handle(&request);
            let mut out = Vec::with_capacity(256);
            let framing = Framing {
                head_only: false,
                keep_alive: head.keep_alive,
                http10: false,
            };
            encode(&response, framing, &date, &mut out);
            black_box(out);
        }),
    ));

    let small = post_invocation(common::INVOCATION.as_bytes());
    let large = post_invocation(&invocation_with_body(LARGE_BODY));
    let large_answer = post_invocation(&invocation_with_name(LARGE_BODY));
    for (name, request) in [
        (
            "payload: the host's invocation of that GET, answered",
            &small,
        ),
        ("payload: a 3.5 MB text body, answered", &large),
        (
            "payload: a 3.5 MB answer (the name, from Query)",
            &large_answer,
        ),
    ] {
        rows.push((
            name.into(),
            request.len(),
            measure(batches, 1, || {
                let Ok(Status::Complete((head, used))) =
                    parse_head(black_box(request), &mut fields)
                else {
                    panic!("bench input did not parse");
                };
                let request = Request::new(request, &head, &fields, &request[used..]);
                black_box(app.handle(&request));
            }),
        ));
    }

    // A binary blob travels as base64 both ways: a trigger or input decoded, an output encoded.
    let blob: Vec<u8> = (0..LARGE_BODY as u32).map(|i| (i * 7) as u8).collect();
    let blob_base64 = handler::azure::base64::encode(&blob);
    rows.push((
        "base64: a 3.5 MB blob output, encoded".into(),
        blob.len(),
        measure(batches, 1, || {
            black_box(handler::azure::base64::encode(black_box(&blob)));
        }),
    ));
    rows.push((
        "base64: a 3.5 MB blob input, decoded".into(),
        blob_base64.len(),
        measure(batches, 1, || {
            black_box(handler::azure::base64::decode(black_box(&blob_base64)));
        }),
    ));

    println!();
    println!(
        "Parse, per request ({batches} batches of ~10 ms each{})",
        if smoke {
            "; smoke: run with cargo bench for figures"
        } else {
            ""
        }
    );
    println!(
        "{:<52} {:>7} {:>10} {:>10}",
        "", "bytes", "min ns", "median ns"
    );
    for (name, bytes, (min, median)) in rows {
        println!("{name:<52} {bytes:>7} {min:>10.0} {median:>10.0}");
    }
}

/// The number of header lines in a head.
fn header_count(head: &[u8]) -> usize {
    head.windows(2).filter(|w| w == b"\r\n").count() - 2
}
