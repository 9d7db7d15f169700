//! Latency at ordinary loads: C keep-alive connections, one blocking client thread each, each
//! sending `GET /api/HelloRust?name=Shing`, reading the answer, then pausing 0.5 to 3 ms (as
//! the host does between invocations on its pooled connections under load; `--pause-ms 600,1000`
//! is a quiet app's). The server is never saturated, so what this shows is how soon a request
//! is noticed: p50 / p90 / p99 / mean latency, and the share of a core the server spends
//! meanwhile. With `--busy N`, N more connections send request after request without a pause
//! meanwhile, unmeasured: how soon a quiet connection is noticed beside busy ones.
//!
//!     cargo bench --bench paced -- [--bin PATH] [--vs PATH] [--quick]
//!         [--conns 1,3,8,16,32] [--rounds N] [--secs S] [--pause-ms MIN,MAX] [--busy N]
//!
//! Rounds alternate the binaries and are pooled, as in `throughput`. Prints figures; asserts
//! nothing.
#![forbid(unsafe_code)]

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    cpu_ticks, get_request, print_table, quantile, read_response, AppDir, Opts, Row, Server,
};

/// Shortest and longest pause of a client between an answer and its next request, by default
/// (`--pause-ms`).
const PAUSE_MS: (f64, f64) = (0.5, 3.0);

/// A reply slower than this counts as an error and ends that client's run.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Clock ticks per second of `/proc/PID/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// What one run measured.
#[derive(Debug, Default)]
struct Run {
    latencies_ns: Vec<u64>,
    errors: usize,
    /// The server's CPU time over the run, in ticks, and the run's length.
    server_ticks: Option<u64>,
    secs: f64,
}

impl Run {
    fn pool(&mut self, other: Run) {
        self.latencies_ns.extend(other.latencies_ns);
        self.errors += other.errors;
        self.server_ticks = self
            .server_ticks
            .zip(other.server_ticks)
            .map(|(a, b)| a + b);
        self.secs += other.secs;
    }

    fn core_percent(&self) -> Option<f64> {
        self.server_ticks
            .map(|t| t as f64 / TICKS_PER_SEC / self.secs * 100.0)
    }

    fn mean_us(&self) -> Option<f64> {
        let n = self.latencies_ns.len();
        (n > 0).then(|| self.latencies_ns.iter().sum::<u64>() as f64 / n as f64 / 1e3)
    }
}

/// A small xorshift generator: the pauses need to be spread, not unpredictable.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// One client: request, answer, pause, until `end`. Its latencies, or an error count of 1.
fn client(
    mut stream: TcpStream,
    request: &[u8],
    pause_us: (u64, u64),
    seed: u64,
    end: Instant,
) -> (Vec<u64>, usize) {
    let mut latencies = Vec::new();
    let mut buf = Vec::with_capacity(1024);
    let mut state = seed | 1;
    while Instant::now() < end {
        let sent = Instant::now();
        let answered = stream
            .write_all(request)
            .and_then(|()| read_response(&mut stream, &mut buf));
        match answered {
            Ok(200) => latencies.push(sent.elapsed().as_nanos() as u64),
            _ => return (latencies, 1),
        }
        let pause = pause_us.0 + next(&mut state) % (pause_us.1 - pause_us.0).max(1);
        if pause > 0 {
            thread::sleep(Duration::from_micros(pause));
        }
    }
    (latencies, 0)
}

/// Starts a fresh `bin` and runs `conns` paced clients against it for `secs`, beside `busy`
/// clients that do not pause and are not measured (their errors count).
fn run(
    bin: &Path,
    app: &AppDir,
    conns: usize,
    busy: usize,
    pause_us: (u64, u64),
    secs: f64,
) -> Result<Run, String> {
    let server = Server::start(bin, app)?;
    let request = get_request("/api/HelloRust?name=Shing", server.port);
    let mut streams = Vec::with_capacity(conns + busy);
    for _ in 0..conns + busy {
        let stream = TcpStream::connect(server.addr()).map_err(|e| format!("connect: {e}"))?;
        stream
            .set_nodelay(true)
            .and_then(|()| stream.set_read_timeout(Some(REPLY_TIMEOUT)))
            .map_err(|e| format!("configure a socket: {e}"))?;
        streams.push(stream);
    }
    let pid = server.pid().to_string();
    let before = cpu_ticks(&pid);
    let begun = Instant::now();
    let end = begun + Duration::from_secs_f64(secs);
    let handles: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(k, stream)| {
            let request = request.clone();
            let seed = 0x9E37_79B9 * (k as u64 + 1);
            let pause_us = if k < conns { pause_us } else { (0, 0) };
            thread::spawn(move || client(stream, &request, pause_us, seed, end))
        })
        .collect();
    let mut run = Run::default();
    for (k, handle) in handles.into_iter().enumerate() {
        let (latencies, errors) = handle.join().map_err(|_| "a client panicked".to_string())?;
        if k < conns {
            run.latencies_ns.extend(latencies);
        }
        run.errors += errors;
    }
    run.secs = begun.elapsed().as_secs_f64();
    run.server_ticks = cpu_ticks(&pid)
        .zip(before)
        .map(|(b, a)| b.saturating_sub(a));
    Ok(run)
}

fn main() {
    let opts = Opts::parse(
        "paced",
        &[
            (
                "conns",
                "comma-separated connection counts (default 1,3,8,16,32)",
            ),
            (
                "rounds",
                "runs per binary and C, pooled (default 3, --quick 1)",
            ),
            ("secs", "seconds per run (default 2, --quick 0.5)"),
            (
                "pause-ms",
                "a client's shortest and longest pause, MIN,MAX (default 0.5,3: the host's \
                 pace under load; past 0.5 s, a quiet app's)",
            ),
            (
                "busy",
                "connections beside them that never pause, unmeasured (default 0, at most 512)",
            ),
        ],
    );
    let (rounds, secs) = match (opts.smoke, opts.quick) {
        (true, _) => (1, 0.05),
        (false, true) => (1, 0.5),
        (false, false) => (3, 2.0),
    };
    let rounds: usize = opts.value("rounds", rounds).clamp(1, 100);
    let secs = opts.value::<f64>("secs", secs).clamp(0.01, 600.0);
    let conns: String = opts.value("conns", "1,3,8,16,32".to_string());
    let conns: Vec<usize> = conns
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter(|&c| (1..=512).contains(&c))
        .collect();
    let pause: String = opts.value("pause-ms", format!("{},{}", PAUSE_MS.0, PAUSE_MS.1));
    let pause_ms = match pause
        .split_once(',')
        .map(|(a, b)| (a.trim().parse(), b.trim().parse()))
    {
        Some((Ok(min), Ok(max))) if 0.0 <= min && min <= max && max <= 60_000.0 => (min, max),
        _ => {
            eprintln!("paced: --pause-ms {pause:?}: want MIN,MAX in ms, 0 <= MIN <= MAX <= 60000");
            std::process::exit(2)
        }
    };
    let pause_us = ((pause_ms.0 * 1e3) as u64, (pause_ms.1 * 1e3) as u64);
    let busy = opts.value("busy", 0usize).min(512);
    // Rows of another pace get their own names in a summary that has the default's.
    let mut label = if pause_ms == PAUSE_MS {
        "paced".to_string()
    } else {
        format!("paced {}-{} ms", pause_ms.0, pause_ms.1)
    };
    if busy > 0 {
        label.push_str(&format!(" beside {busy} busy"));
    }
    eprintln!("paced: C = {conns:?}, {rounds} x {secs} s per binary and C");
    opts.describe();
    let app = AppDir::new(&opts).unwrap_or_else(|e| {
        eprintln!("paced: cannot prepare the app folder: {e}");
        std::process::exit(1)
    });
    let bins = opts.binaries();
    let mut rows = Vec::new();
    for (k, &c) in conns.iter().enumerate() {
        let mut pooled: Vec<Option<Run>> = bins.iter().map(|_| None).collect();
        for round in 0..rounds {
            common::interleaved(&bins, k + round, |i, bin| {
                match run(bin, &app, c, busy, pause_us, secs) {
                    Ok(r) => match &mut pooled[i] {
                        Some(p) => p.pool(r),
                        None => pooled[i] = Some(r),
                    },
                    Err(e) => eprintln!("  C={c} {}: failed: {e}", bin.display()),
                }
            });
        }
        for p in pooled.iter_mut().flatten() {
            p.latencies_ns.sort_unstable();
        }
        let col = |f: &dyn Fn(&Run) -> Option<f64>| -> Vec<Option<f64>> {
            pooled.iter().map(|p| p.as_ref().and_then(f)).collect()
        };
        let us = |r: &Run, q| quantile(&r.latencies_ns, q).map(|ns| ns as f64 / 1e3);
        for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            rows.push(Row::new(
                format!("{label} C={c}: latency {name}"),
                "us",
                col(&|r| us(r, q)),
            ));
        }
        rows.push(Row::new(
            format!("{label} C={c}: latency mean"),
            "us",
            col(&|r| r.mean_us()),
        ));
        rows.push(Row::new(
            format!("{label} C={c}: server CPU"),
            "% of a core",
            col(&|r| r.core_percent()),
        ));
        rows.push(Row::new(
            format!("{label} C={c}: errors"),
            "count",
            col(&|r| Some(r.errors as f64)),
        ));
    }
    print_table(
        &opts,
        &format!(
            "Paced clients (a request every {}-{} ms per connection; {rounds} x {secs} s per \
             binary and C)",
            pause_ms.0, pause_ms.1
        ),
        &rows,
    );
}
