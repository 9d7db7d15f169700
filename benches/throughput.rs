//! Throughput: a std-only load generator. C keep-alive connections each send
//! `GET /api/HelloRust?name=Shing` and the next one as soon as the answer is in (a closed loop,
//! as wrk does), for a bounded time; then requests/s, p50 / p99 / max latency, errors, and the
//! server's peak RSS (`VmHWM`). A fresh server per run, so the peak belongs to that C.
//!
//!     cargo bench --bench throughput -- [--bin PATH] [--vs PATH] [--quick]
//!         [--conns 1,16,128,512] [--rounds N] [--secs S] [--warmup-secs S] [--gen-threads N]
//!         [--request get|invocation]
//!
//! `--request invocation` sends what the host sends in payload mode instead of the GET: a
//! chunked `POST /HelloRust` with the JSON invocation of that GET (only this handler serves it).
//!
//! Each C is measured in rounds, the binaries alternating within each round, and the rounds
//! are pooled: how the scheduler happens to place a client and a server thread (same core or
//! not) changes a ping-pong's latency several-fold on a small VM, and rounds even that out.
//! Prints figures; asserts nothing.
//!
//! The generator (see `drive`) has 2 threads per core, each sweeping its share of non-blocking
//! connections; std has no readiness events, so a thread with nothing to read blocks briefly on
//! the answer expected first. Checked against wrk (`-t2`, same C, same machine) on the warp
//! handler: within ±10 % of wrk's requests/s at C = 16, 128 and 512, so the generator is not
//! what limits the figures; the per-run line gives its CPU use next to the server's.
#![forbid(unsafe_code)]

mod common;

use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    cpu_ticks, get_request, print_table, proc_status, quantile, read_response, AppDir, Opts, Row,
    Server,
};

/// Requests answered at most per run, over all connections: bounds memory for latencies even
/// on a machine far faster than expected.
const MAX_REQUESTS: usize = 20_000_000;

/// A reply slower than this counts as an error and its connection is replaced.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections replaced after errors, at most, per generator thread and run.
const MAX_RECONNECTS: usize = 64;

/// Stack of a generator thread: it only holds a small read buffer.
const GEN_STACK: usize = 128 * 1024;

#[derive(Debug, Clone, Copy)]
struct Load {
    /// What every connection sends, again and again, for the server's port.
    request: fn(u16) -> Vec<u8>,
    conns: usize,
    threads: usize,
    warmup: Duration,
    duration: Duration,
}

/// What one run measured.
#[derive(Debug, Default)]
struct Run {
    /// Latencies of the answers in the measured window, nanoseconds.
    latencies_ns: Vec<u64>,
    secs: f64,
    errors: Errors,
    peak_rss_kib: Option<u64>,
    server_threads: Option<u64>,
    /// CPU used during the measured window, in clock ticks (1/100 s).
    server_ticks: Option<u64>,
    generator_ticks: Option<u64>,
}

impl Run {
    fn requests_per_sec(&self) -> f64 {
        self.latencies_ns.len() as f64 / self.secs
    }

    /// Adds another round's run: latencies pooled, times and errors summed, the highest peak.
    fn pool(&mut self, other: Run) {
        self.latencies_ns.extend(other.latencies_ns);
        self.secs += other.secs;
        self.errors.add(other.errors);
        self.peak_rss_kib = self.peak_rss_kib.max(other.peak_rss_kib);
        self.server_threads = self.server_threads.max(other.server_threads);
        self.server_ticks = sum(self.server_ticks, other.server_ticks);
        self.generator_ticks = sum(self.generator_ticks, other.generator_ticks);
    }

    /// A one-line account on stderr.
    fn report(&mut self, what: &str) {
        self.latencies_ns.sort_unstable();
        let us = |q| quantile(&self.latencies_ns, q).unwrap_or(0) as f64 / 1e3;
        // Ticks per second is % of one core.
        let pct = |t: Option<u64>| t.map_or(0.0, |t| t as f64 / self.secs);
        eprintln!(
            "  {what}: {:>9.0} req/s  p50 {:>8.1} us  p99 {:>9.1} us  max {:>8.2} ms  \
             errors {} (status {}, i/o {}, timeout {})  peak RSS {} KiB  threads {}  \
             CPU server {:.0}% generator {:.0}%",
            self.requests_per_sec(),
            us(0.5),
            us(0.99),
            us(1.0) / 1e3,
            self.errors.total(),
            self.errors.status,
            self.errors.io,
            self.errors.timeout,
            self.peak_rss_kib.unwrap_or(0),
            self.server_threads.unwrap_or(0),
            pct(self.server_ticks),
            pct(self.generator_ticks),
        );
    }
}

fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    Some(a? + b?)
}

/// What one generator thread measured.
#[derive(Debug, Default)]
struct Tally {
    latencies_ns: Vec<u64>,
    errors: Errors,
}

/// Requests that did not get a `200`, by cause.
#[derive(Debug, Default, Clone, Copy)]
struct Errors {
    /// Answered with another status.
    status: usize,
    /// The connection failed: reset, closed, or a write that did not go out.
    io: usize,
    /// No answer within `REPLY_TIMEOUT`.
    timeout: usize,
}

impl Errors {
    fn total(&self) -> usize {
        self.status + self.io + self.timeout
    }

    fn add(&mut self, other: Errors) {
        self.status += other.status;
        self.io += other.io;
        self.timeout += other.timeout;
    }
}

/// The times all generator threads share.
#[derive(Debug, Clone, Copy)]
struct Window {
    begin: Instant,
    measure_from: Instant,
    end: Instant,
}

struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    /// When the request in flight was sent, if one is.
    sent: Option<Instant>,
    /// Not read again before this: a request waiting long is looked at less often.
    next_poll: Instant,
    /// How long the last answer on this connection took: when nothing is ready, the thread
    /// waits on the connection whose answer is then expected first.
    last_latency: Duration,
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(REPLY_TIMEOUT))?;
    Ok(stream)
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        thread::sleep(t - now);
    }
}

/// One generator thread: keeps one request in flight on each of its connections until the end
/// of the window.
///
/// With one connection the socket blocks. With several, they are non-blocking and swept in
/// turn; a sweep that finds no answer anywhere blocks briefly (`WAIT_SLICE`) on the connection
/// whose answer is expected first (sent + its last latency), so an idle generator sleeps
/// instead of spinning, and a connection the server leaves waiting holds up the others for at
/// most a slice. Without readiness events in std, this is the nearest to wrk's epoll loop.
fn drive(
    streams: Vec<TcpStream>,
    addr: SocketAddr,
    request: &[u8],
    window: Window,
    cap: usize,
) -> Tally {
    let mut tally = Tally {
        latencies_ns: Vec::with_capacity(cap.min(1 << 16)),
        errors: Errors::default(),
    };
    let blocking = streams.len() == 1;
    let mut conns: Vec<Connection> = Vec::with_capacity(streams.len());
    for stream in streams {
        if configure(&stream, blocking).is_err() {
            tally.errors.io += 1;
            continue;
        }
        conns.push(Connection {
            stream,
            buf: Vec::with_capacity(1024),
            sent: None,
            next_poll: window.begin,
            last_latency: Duration::ZERO,
        });
    }
    let mut answered = 0usize;
    let mut reconnects = 0usize;
    sleep_until(window.begin);
    for c in &mut conns {
        c.send(request, Instant::now(), &mut tally);
    }
    loop {
        let mut in_flight = 0;
        let mut progress = false;
        let mut expected_first: Option<(Instant, usize)> = None;
        let mut next_due: Option<Instant> = None;
        let sweep_start = Instant::now();
        for (k, c) in conns.iter_mut().enumerate() {
            let Some(sent) = c.sent else {
                continue;
            };
            in_flight += 1;
            if sweep_start < c.next_poll {
                next_due = Some(next_due.map_or(c.next_poll, |t| t.min(c.next_poll)));
                continue;
            }
            let failed: Option<fn(&mut Errors)> = match read_response(&mut c.stream, &mut c.buf) {
                Ok(status) => {
                    let now = Instant::now();
                    progress = true;
                    answered += 1;
                    c.sent = None;
                    c.last_latency = now - sent;
                    if status != 200 {
                        tally.errors.status += 1;
                    } else if now >= window.measure_from && now < window.end {
                        tally.latencies_ns.push((now - sent).as_nanos() as u64);
                    }
                    if now < window.end && answered < cap {
                        c.send(request, now, &mut tally);
                    }
                    None
                }
                Err(e) if is_wait(&e) => {
                    let age = sweep_start.saturating_duration_since(sent);
                    if age > REPLY_TIMEOUT {
                        Some(|e| e.timeout += 1)
                    } else {
                        c.next_poll = sweep_start + age / POLL_AGE_DIVISOR;
                        let expected = sent + c.last_latency;
                        if expected_first.is_none_or(|(t, _)| expected < t) {
                            expected_first = Some((expected, k));
                        }
                        None
                    }
                }
                Err(_) => Some(|e| e.io += 1),
            };
            if let Some(count) = failed {
                // Count it, and replace the connection a bounded number of times.
                count(&mut tally.errors);
                c.sent = None;
                let now = Instant::now();
                if now < window.end && reconnects < MAX_RECONNECTS {
                    reconnects += 1;
                    if let Ok(stream) =
                        connect(addr).and_then(|s| configure(&s, blocking).map(|()| s))
                    {
                        c.stream = stream;
                        c.buf.clear();
                        c.send(request, now, &mut tally);
                    }
                }
            }
        }
        if in_flight == 0 {
            break;
        }
        if !progress && !blocking {
            match (expected_first, next_due) {
                (Some((_, k)), _) => conns[k].wait_readable(),
                (None, Some(t)) => sleep_until(t),
                (None, None) => {}
            }
        }
    }
    tally
}

/// A connection whose request has waited for a time `t` is read again after `t / 16` at the
/// earliest: the answer is seen at most 1/16 of its latency late, and a request the server
/// leaves waiting for long costs few reads (rather than one per sweep, which would take CPU
/// from the server).
const POLL_AGE_DIVISOR: u32 = 16;

/// How long a generator thread with nothing to read blocks on the answer it expects first
/// before sweeping again (the kernel rounds it up to a scheduler tick).
const WAIT_SLICE: Duration = Duration::from_millis(1);

fn configure(stream: &TcpStream, blocking: bool) -> std::io::Result<()> {
    stream.set_nonblocking(!blocking)?;
    stream.set_read_timeout(Some(if blocking { REPLY_TIMEOUT } else { WAIT_SLICE }))
}

/// "Nothing yet" from a non-blocking read or a read timeout.
fn is_wait(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

impl Connection {
    /// Sends the request, counting a failure as an error.
    fn send(&mut self, request: &[u8], now: Instant, tally: &mut Tally) {
        // A request of a hundred bytes always fits an empty socket buffer, so a non-blocking
        // write sends it whole or fails.
        match self.stream.write(request) {
            Ok(n) if n == request.len() => {
                self.sent = Some(now);
                self.next_poll = now;
            }
            _ => {
                self.sent = None;
                tally.errors.io += 1;
            }
        }
    }

    /// Blocks up to `WAIT_SLICE` for bytes, without taking them.
    fn wait_readable(&mut self) {
        if self.stream.set_nonblocking(false).is_ok() {
            let _ = self.stream.peek(&mut [0u8; 1]);
        }
        let _ = self.stream.set_nonblocking(true);
    }
}

/// The host's payload-mode call of `GET /api/HelloRust?name=Shing`, as it sends it: a chunked
/// `POST /HelloRust` whose body is the JSON invocation (`common::INVOCATION`, one chunk).
fn invocation_request(port: u16) -> Vec<u8> {
    let json = common::INVOCATION;
    format!(
        "POST /HelloRust HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{json}\r\n0\r\n\r\n",
        json.len()
    )
    .into_bytes()
}

/// Starts a fresh `bin`, loads it with `load`, and reads what it cost.
fn run(bin: &Path, app: &AppDir, load: Load) -> Result<Run, String> {
    let server = Server::start(bin, app)?;
    let addr = server.addr();
    let pid = server.pid();
    let request = (load.request)(server.port);

    // All connections are open before the clock starts (a full accept backlog delays some).
    let mut streams = Vec::with_capacity(load.conns);
    for _ in 0..load.conns {
        let deadline = Instant::now() + common::DEADLINE;
        let stream = loop {
            match connect(addr) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => return Err(format!("connect: {e}")),
                Err(_) => thread::sleep(Duration::from_millis(1)),
            }
        };
        streams.push(stream);
    }

    let begin = Instant::now() + Duration::from_millis(20);
    let window = Window {
        begin,
        measure_from: begin + load.warmup,
        end: begin + load.warmup + load.duration,
    };
    let threads = load.threads.clamp(1, load.conns);
    let cap = MAX_REQUESTS / threads;
    let mut handles = Vec::with_capacity(threads);
    for t in 0..threads {
        // Connection k goes to thread k % threads.
        let share: Vec<TcpStream> = streams
            .iter()
            .enumerate()
            .filter(|(k, _)| k % threads == t)
            .map(|(_, s)| s.try_clone())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("clone a socket: {e}"))?;
        let request = request.clone();
        let handle = thread::Builder::new()
            .name("load".into())
            .stack_size(GEN_STACK)
            .spawn(move || drive(share, addr, &request, window, cap))
            .map_err(|e| format!("start a generator thread: {e}"))?;
        handles.push(handle);
    }
    drop(streams);

    sleep_until(window.measure_from);
    let server_cpu0 = cpu_ticks(&pid.to_string());
    let self_cpu0 = cpu_ticks("self");
    sleep_until(window.end);
    let server_cpu1 = cpu_ticks(&pid.to_string());
    let self_cpu1 = cpu_ticks("self");
    let server_threads = proc_status(pid, "Threads");

    let mut run = Run {
        secs: load.duration.as_secs_f64(),
        server_threads,
        server_ticks: server_cpu1
            .zip(server_cpu0)
            .map(|(b, a)| b.saturating_sub(a)),
        generator_ticks: self_cpu1.zip(self_cpu0).map(|(b, a)| b.saturating_sub(a)),
        ..Run::default()
    };
    for handle in handles {
        let tally = handle
            .join()
            .map_err(|_| "a generator thread panicked".to_string())?;
        run.latencies_ns.extend(tally.latencies_ns);
        run.errors.add(tally.errors);
    }
    run.peak_rss_kib = proc_status(pid, "VmHWM");
    drop(server);
    Ok(run)
}

fn main() {
    let opts = Opts::parse(
        "throughput",
        &[
            (
                "conns",
                "comma-separated connection counts (default 1,16,128,512)",
            ),
            (
                "rounds",
                "runs per binary and C, pooled (default 7, --quick 1)",
            ),
            ("secs", "measured seconds per run (default 1, --quick 0.5)"),
            (
                "warmup-secs",
                "unmeasured seconds before each run (default 0.5, --quick 0.2)",
            ),
            ("gen-threads", "generator threads (default 2 per core)"),
            (
                "request",
                "get (default) or invocation: the host's payload-mode POST of the same call",
            ),
        ],
    );
    let (request, what): (fn(u16) -> Vec<u8>, _) =
        match opts.value("request", "get".to_string()).as_str() {
            "get" => (
                |port| get_request("/api/HelloRust?name=Shing", port),
                "GET /api/HelloRust?name=Shing",
            ),
            "invocation" => (invocation_request, "the host's invocation POST /HelloRust"),
            other => {
                eprintln!("throughput: --request {other:?} is not get or invocation");
                std::process::exit(2)
            }
        };
    let (rounds, secs, warmup, conns_default) = match (opts.smoke, opts.quick) {
        (true, _) => (1, 0.1, 0.05, "1,16"),
        (false, true) => (1, 0.5, 0.2, "1,16,128,512"),
        (false, false) => (7, 1.0, 0.5, "1,16,128,512"),
    };
    let rounds: usize = opts.value("rounds", rounds).clamp(1, 100);
    let secs = opts.value::<f64>("secs", secs).clamp(0.01, 600.0);
    let warmup = opts.value::<f64>("warmup-secs", warmup).clamp(0.0, 60.0);
    let conns: String = opts.value("conns", conns_default.to_string());
    let conns: Vec<usize> = conns
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter(|&c| c > 0)
        .collect();
    let cores = thread::available_parallelism().map_or(2, |n| n.get());
    let gen_threads: usize = opts.value("gen-threads", 2 * cores).max(1);
    eprintln!(
        "throughput: C = {conns:?}, {rounds} x {secs} s per binary and C (after {warmup} s \
         warm-up each), {gen_threads} generator threads{}",
        if opts.smoke {
            " (smoke: run with cargo bench for figures)"
        } else {
            ""
        }
    );
    opts.describe();
    let app = AppDir::new(&opts).unwrap_or_else(|e| {
        eprintln!("throughput: cannot prepare the app folder: {e}");
        std::process::exit(1)
    });

    let bins = opts.binaries();
    let labels = ["A", "B"];
    let mut rows = Vec::new();
    for (k, &c) in conns.iter().enumerate() {
        let load = Load {
            request,
            conns: c,
            threads: gen_threads,
            warmup: Duration::from_secs_f64(warmup),
            duration: Duration::from_secs_f64(secs),
        };
        let mut pooled: Vec<Option<Run>> = bins.iter().map(|_| None).collect();
        for round in 0..rounds {
            common::interleaved(&bins, k + round, |i, bin| match run(bin, &app, load) {
                Ok(mut r) => {
                    r.report(&format!("C={c:<4} {} round {}", labels[i], round + 1));
                    match &mut pooled[i] {
                        Some(p) => p.pool(r),
                        None => pooled[i] = Some(r),
                    }
                }
                Err(e) => eprintln!("  C={c} {}: failed: {e}", labels[i]),
            });
        }
        for (i, p) in pooled.iter_mut().enumerate() {
            if let Some(p) = p.as_mut().filter(|_| rounds > 1) {
                p.report(&format!("C={c:<4} {} pooled ", labels[i]));
            }
            if let Some(p) = p.as_mut() {
                p.latencies_ns.sort_unstable();
            }
        }
        let col = |f: &dyn Fn(&Run) -> Option<f64>| -> Vec<Option<f64>> {
            pooled.iter().map(|p| p.as_ref().and_then(f)).collect()
        };
        let us = |r: &Run, q| quantile(&r.latencies_ns, q).map(|ns| ns as f64 / 1e3);
        rows.push(Row::new(
            format!("C={c}: requests/s"),
            "req/s",
            col(&|r| Some(r.requests_per_sec())),
        ));
        rows.push(Row::new(
            format!("C={c}: latency p50"),
            "us",
            col(&|r| us(r, 0.5)),
        ));
        rows.push(Row::new(
            format!("C={c}: latency p99"),
            "us",
            col(&|r| us(r, 0.99)),
        ));
        rows.push(Row::new(
            format!("C={c}: latency max"),
            "ms",
            col(&|r| us(r, 1.0).map(|v| v / 1e3)),
        ));
        rows.push(Row::new(
            format!("C={c}: errors"),
            "count",
            col(&|r| Some(r.errors.total() as f64)),
        ));
        rows.push(Row::new(
            format!("C={c}: server peak RSS (VmHWM)"),
            "KiB",
            col(&|r| r.peak_rss_kib.map(|k| k as f64)),
        ));
    }
    print_table(
        &opts,
        &format!("Throughput ({what}, keep-alive; {rounds} x {secs} s per binary and C)"),
        &rows,
    );
}
