//! Heap allocations per request, through the real server over loopback, counted by a counting
//! global allocator: for the HTTP layer alone (a handler that allocates nothing), and for the
//! Azure app in forwarding mode (GET and POST) and in payload mode. Prints figures and asserts
//! nothing (`cargo bench --bench allocs`).
//!
//! The counting allocator is the one `unsafe` in the repository: `GlobalAlloc` is an unsafe
//! trait. It is measurement code in a bench, never part of the handler binary.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use handler::azure::app::App;
use handler::azure::router::Router;
use handler::http::{self, Handler, Request, Response};

/// Counts every allocation and reallocation, then lets the system allocator do it.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// caller's obligations are passed on as they are; counting touches only an atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A handler that allocates nothing: what the HTTP layer costs by itself.
struct Bare;

impl Handler for Bare {
    fn handle(&self, _req: &Request<'_>) -> Response {
        Response::new(204)
    }
}

/// Requests counted per row, after as many to warm the buffers up.
const REQUESTS: u64 = 20_000;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let requests = if quick { REQUESTS / 10 } else { REQUESTS };
    let app: Arc<dyn Handler> = Arc::new(App::new(
        Router::builtin_for(handler::functions::FUNCTIONS),
        false,
    ));
    let invocation = common::INVOCATION;
    let rows: [(&str, Arc<dyn Handler>, String); 4] = [
        (
            "HTTP layer alone (a handler that allocates nothing)",
            Arc::new(Bare),
            get("/api/HelloRust?name=Shing"),
        ),
        (
            "forwarding: GET /api/HelloRust?name=Shing",
            Arc::clone(&app),
            get("/api/HelloRust?name=Shing"),
        ),
        (
            "forwarding: POST /api/HelloRust {\"name\":\"Shing\"}",
            Arc::clone(&app),
            post("/api/HelloRust", r#"{"name":"Shing"}"#),
        ),
        (
            "payload: POST /HelloRust (the host's invocation)",
            app,
            post("/HelloRust", invocation),
        ),
    ];
    println!("Heap allocations per request (allocations and reallocations, {requests} requests each, keep-alive)");
    for (name, handler, request) in rows {
        let per_request = measure(handler, request.as_bytes(), requests, 1);
        println!("{name:<56} {per_request:>6.2}");
    }
    // More connections than workers may linger on: the sweeper finds each request and hands
    // most of them to a worker, with the bytes it read.
    let request = get("/api/HelloRust?name=Shing");
    let per_request = measure(Arc::new(Bare), request.as_bytes(), requests, TURNS);
    let name = format!("HTTP layer alone, {TURNS} connections taking turns");
    println!("{name:<56} {per_request:>6.2}");
}

/// Connections of the last row, each sending one request in its turn.
const TURNS: usize = 200;

fn get(target: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
}

fn post(target: &str, body: &str) -> String {
    format!(
        "POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Serves `handler` on a fresh port and sends `request` on `connections` connections in turn,
/// one request at a time; the allocations per request once warm. The client side allocates
/// nothing while counting.
fn measure(handler: Arc<dyn Handler>, request: &[u8], requests: u64, connections: usize) -> f64 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || http::serve(listener, handler));
    let mut streams: Vec<TcpStream> = (0..connections)
        .map(|_| {
            let stream = TcpStream::connect(addr).expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            stream
        })
        .collect();
    let mut buf = [0u8; 4096];
    let mut run = |requests: u64| {
        for i in 0..requests as usize {
            exchange(&mut streams[i % connections], request, &mut buf);
        }
    };
    run(requests);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    run(requests);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    (after - before) as f64 / requests as f64
}

/// Sends one request and reads its whole response (head and `Content-Length` body).
fn exchange(stream: &mut TcpStream, request: &[u8], buf: &mut [u8]) {
    stream.write_all(request).expect("send");
    let mut have = 0;
    loop {
        let n = stream.read(&mut buf[have..]).expect("read");
        assert!(n > 0, "the server closed the connection");
        have += n;
        if let Some(end) = complete(&buf[..have]) {
            assert_eq!(end, have, "one response at a time");
            return;
        }
    }
}

/// The length of the response at the start of `bytes`, once it is all there.
fn complete(bytes: &[u8]) -> Option<usize> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..head_end]).ok()?;
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    (bytes.len() >= head_end + length).then_some(head_end + length)
}
