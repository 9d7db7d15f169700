//! Cold start: spawn the handler binary many times and time spawn → first complete response,
//! to `GET /` (the host's readiness probe) and to the first `200` on
//! `GET /api/HelloRust?name=Shing`, polling the connect tightly. Also the started process's
//! idle RSS and thread count, from `/proc`.
//!
//!     cargo bench --bench startup -- [--bin PATH] [--vs PATH] [--quick] [--runs N] [--poll-us N]
//!
//! With `--vs`, both binaries are started in the same run, alternately, and each figure is
//! printed side by side with the ratio A/B. Prints figures; asserts nothing.
#![forbid(unsafe_code)]

mod common;

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use common::{get_request, interleaved, print_table, proc_status, AppDir, Opts, Poll, Row, Server};

/// How long a started handler is left alone before its idle memory is read.
const SETTLE: Duration = Duration::from_millis(100);

/// Starts of each binary, before the timed ones, to warm the page cache and the loader.
const WARMUP_STARTS: usize = 3;

/// One timed start.
#[derive(Debug, Clone, Copy)]
struct Start {
    /// From just before `spawn` to the first connection the kernel accepted (the handler
    /// listens).
    listening: Duration,
    /// From just before `spawn` to the last byte of the first whole response.
    elapsed: Duration,
}

/// Memory and threads of a started, idle handler.
#[derive(Debug, Clone, Copy)]
struct Idle {
    rss_kib: u64,
    hwm_kib: u64,
    threads: u64,
}

/// Times one start of `bin` until `request` is answered (with a 200 when `want_200`), and reads
/// its idle memory afterwards when `idle` is asked for.
fn start_once(
    bin: &Path,
    app: &AppDir,
    request_target: &str,
    want_200: bool,
    poll: Poll,
    idle: bool,
) -> Result<(Start, Option<Idle>), String> {
    let port = common::free_port().map_err(|e| format!("no free port: {e}"))?;
    let request = get_request(request_target, port);
    let t0 = Instant::now();
    let mut server = Server::spawn(bin, port, app)
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let (_, connected) = server.wait_for(&request, want_200, poll)?;
    let elapsed = t0.elapsed();
    let listening = connected - t0;
    let idle = if idle {
        thread::sleep(SETTLE);
        let pid = server.pid();
        Some(Idle {
            rss_kib: proc_status(pid, "VmRSS").unwrap_or(0),
            hwm_kib: proc_status(pid, "VmHWM").unwrap_or(0),
            threads: proc_status(pid, "Threads").unwrap_or(0),
        })
    } else {
        None
    };
    drop(server);
    Ok((Start { listening, elapsed }, idle))
}

fn main() {
    let opts = Opts::parse(
        "startup",
        &[
            (
                "runs",
                "timed starts per binary and probe (default 200, --quick 20)",
            ),
            (
                "poll-us",
                "pause between connect attempts in µs; 0 = spin with yield (default 0)",
            ),
            (
                "idle-runs",
                "starts per binary whose idle memory is read (default 10, --quick 3)",
            ),
        ],
    );
    let (runs_default, idle_default) = match (opts.smoke, opts.quick) {
        (true, _) => (3, 1),
        (false, true) => (20, 3),
        (false, false) => (200, 10),
    };
    let runs: usize = opts.value("runs", runs_default).max(1);
    let idle_runs: usize = opts.value("idle-runs", idle_default).min(runs);
    let poll = Poll::from_micros(opts.value("poll-us", 0u64));
    let bins = opts.binaries();
    eprintln!(
        "startup: {runs} starts per binary and probe, interleaved, poll {poll:?}{}",
        if opts.smoke {
            " (smoke: run with cargo bench for figures)"
        } else {
            ""
        }
    );
    opts.describe();
    let app = AppDir::new(&opts).unwrap_or_else(|e| {
        eprintln!("startup: cannot prepare the app folder: {e}");
        std::process::exit(1)
    });
    eprintln!("  started in {}", app.path.display());

    let probes: [(&str, &str, bool); 2] = [
        ("spawn -> GET / answered", "/", false),
        (
            "spawn -> first 200 HelloRust",
            "/api/HelloRust?name=Shing",
            true,
        ),
    ];

    let mut warmup_error = None;
    for round in 0..WARMUP_STARTS {
        interleaved(&bins, round, |_, bin| {
            if warmup_error.is_none() {
                if let Err(e) = start_once(bin, &app, "/", false, poll, false) {
                    warmup_error = Some(format!("warm-up start of {} failed: {e}", bin.display()));
                }
            }
        });
    }
    if let Some(e) = warmup_error {
        eprintln!("startup: {e}");
        drop(app);
        std::process::exit(1);
    }

    // times[probe][binary] in milliseconds; listening[binary] (from the readiness probe's
    // starts); idle[binary].
    let mut times: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); bins.len()]; probes.len()];
    let mut listening: Vec<Vec<f64>> = vec![Vec::new(); bins.len()];
    let mut idle: Vec<Vec<Idle>> = vec![Vec::new(); bins.len()];
    let mut failures = vec![0usize; bins.len()];
    for round in 0..runs {
        for (p, (_, target, want_200)) in probes.iter().enumerate() {
            // Idle memory is read after a 200, on the first `idle_runs` rounds.
            let read_idle = *want_200 && round < idle_runs;
            interleaved(&bins, round, |i, bin| {
                match start_once(bin, &app, target, *want_200, poll, read_idle) {
                    Ok((start, idle_now)) => {
                        times[p][i].push(start.elapsed.as_secs_f64() * 1e3);
                        if !*want_200 {
                            listening[i].push(start.listening.as_secs_f64() * 1e3);
                        }
                        idle[i].extend(idle_now);
                    }
                    Err(e) => {
                        failures[i] += 1;
                        eprintln!("startup: {} failed: {e}", bin.display());
                    }
                }
            });
        }
    }

    let mut rows = Vec::new();
    for (p, (name, _, _)) in probes.iter().enumerate() {
        for sample in &mut times[p] {
            sample.sort_by(f64::total_cmp);
        }
        for (label, q) in [("min", 0.0), ("median", 0.5), ("p90", 0.9), ("max", 1.0)] {
            let values = times[p].iter().map(|s| common::quantile(s, q)).collect();
            rows.push(Row::new(format!("{name}, {label}"), "ms", values));
        }
    }
    rows.push(Row::new(
        "spawn -> listening (first connect), median",
        "ms",
        listening.iter_mut().map(|v| common::median(v)).collect(),
    ));
    let idle_median = |f: fn(&Idle) -> u64| -> Vec<Option<f64>> {
        idle.iter()
            .map(|v| {
                let mut xs: Vec<f64> = v.iter().map(|x| f(x) as f64).collect();
                common::median(&mut xs)
            })
            .collect()
    };
    rows.push(Row::new(
        "idle RSS after first 200 (VmRSS), median",
        "KiB",
        idle_median(|x| x.rss_kib),
    ));
    rows.push(Row::new(
        "peak RSS at start-up (VmHWM), median",
        "KiB",
        idle_median(|x| x.hwm_kib),
    ));
    rows.push(Row::new(
        "threads when idle, median",
        "count",
        idle_median(|x| x.threads),
    ));
    rows.push(Row::new(
        "failed starts",
        "count",
        failures.iter().map(|&f| Some(f as f64)).collect(),
    ));
    print_table(
        &opts,
        &format!("Cold start ({runs} starts per binary and probe, interleaved)"),
        &rows,
    );
}
