//! Shared by the socket benches (`startup`, `throughput`): options, starting a handler binary on
//! a free loopback port, speaking just enough HTTP/1.1 to time a response, `/proc` readings,
//! percentiles and the side-by-side table; and by all that send the host's invocation
//! (`allocs`, `parse`).
//!
//! Loopback only; every wait has a deadline; nothing here asserts a timing.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable the Functions host sets to the port it will send requests to.
pub const PORT_VAR: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";

/// The JSON invocation the host sends in payload mode for `GET /api/HelloRust?name=Shing` from
/// curl (azure-host.md §4): the request in `Data.req`, and in `Metadata` the query parameter
/// (encoded as JSON text), the query and headers again, and `sys`.
pub const INVOCATION: &str = concat!(
    r#"{"Data":{"req":{"Url":"http://localhost:7071/api/HelloRust?name=Shing","Method":"GET","#,
    r#""Query":{"name":"Shing"},"Headers":{"Host":["localhost:7071"],"User-Agent":["curl/8.5.0"]},"#,
    r#""Params":{},"Identities":[]}},"Metadata":{"name":"\"Shing\"","Query":{"name":"Shing"},"#,
    r#""Headers":{"Host":"localhost:7071","User-Agent":"curl/8.5.0"},"sys":{"MethodName":"HelloRust","#,
    r#""UtcNow":"2026-12-07T00:00:00.000Z","RandGuid":"0f8fad5b-d9cb-469f-a165-70867728950e"}}}"#
);

/// The longest any one start-up or response may take before it counts as a failure.
pub const DEADLINE: Duration = Duration::from_secs(10);

// ---- Options ------------------------------------------------------------------------------------

/// Command-line options of a bench, after `cargo bench --bench X --`.
///
/// `cargo bench` adds `--bench` itself; `cargo test --benches` does not, and then the bench runs
/// a smoke pass (a handful of iterations) so the test run stays short.
#[derive(Debug)]
pub struct Opts {
    /// The handler measured ("A"): `--bin PATH`, else `$HANDLER_BENCH_BIN`, else the package's
    /// own `handler` binary as cargo built it for this bench.
    pub bin: PathBuf,
    /// The handler compared against ("B"): `--vs PATH`, else `$HANDLER_BENCH_VS`.
    pub vs: Option<PathBuf>,
    /// `--quick` or `$HANDLER_BENCH_QUICK=1`: fewer iterations, shorter runs (CI smoke).
    pub quick: bool,
    /// Run by `cargo test` (no `--bench`): the smallest pass that shows the bench works.
    pub smoke: bool,
    /// `--summary PATH`: append the table's rows there as tab-separated values.
    pub summary: Option<PathBuf>,
    /// `--app-dir PATH`: start the handlers there rather than in a copy of the package's app
    /// files.
    pub app_dir: Option<PathBuf>,
    /// Other `--name value` options, checked against the bench's own list.
    extra: Vec<(String, String)>,
}

impl Opts {
    /// Parses `std::env::args`; `extra` names the bench's own valued options (without `--`).
    /// Prints usage and exits on anything unknown.
    pub fn parse(bench: &str, extra: &[(&str, &str)]) -> Opts {
        let mut opts = Opts {
            bin: std::env::var_os("HANDLER_BENCH_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_handler"))),
            vs: std::env::var_os("HANDLER_BENCH_VS")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            quick: std::env::var("HANDLER_BENCH_QUICK").is_ok_and(|v| v == "1"),
            smoke: true,
            summary: None,
            app_dir: None,
            extra: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => opts.smoke = false,
                "--quick" => opts.quick = true,
                "--help" | "-h" => usage(bench, extra),
                "--bin" | "--vs" | "--summary" | "--app-dir" => {
                    let Some(value) = args.next() else {
                        usage(bench, extra)
                    };
                    let path = PathBuf::from(value);
                    match arg.as_str() {
                        "--bin" => opts.bin = path,
                        "--vs" => opts.vs = Some(path),
                        "--app-dir" => opts.app_dir = Some(path),
                        _ => opts.summary = Some(path),
                    }
                }
                other => {
                    let name = other.strip_prefix("--").unwrap_or("");
                    if !extra.iter().any(|(n, _)| *n == name) {
                        eprintln!("{bench}: unknown argument {other:?}");
                        usage(bench, extra);
                    }
                    let Some(value) = args.next() else {
                        usage(bench, extra)
                    };
                    opts.extra.push((name.to_string(), value));
                }
            }
        }
        // Handlers start in a temporary app directory, so a relative path must be made
        // absolute against the directory the bench was started from.
        for path in std::iter::once(&mut opts.bin).chain(opts.vs.as_mut()) {
            if let Ok(absolute) = std::path::absolute(&*path) {
                *path = absolute;
            }
            if !path.is_file() {
                eprintln!("{bench}: no handler binary at {}", path.display());
                std::process::exit(2);
            }
        }
        opts
    }

    /// The value of a bench-specific option, parsed, or `default`.
    pub fn value<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        match self.extra.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.parse().unwrap_or_else(|_| {
                eprintln!("bad value for --{name}: {v:?}");
                std::process::exit(2)
            }),
            None => default,
        }
    }

    /// The binaries measured, in order: A, then B if any.
    pub fn binaries(&self) -> Vec<&Path> {
        std::iter::once(self.bin.as_path())
            .chain(self.vs.as_deref())
            .collect()
    }

    /// Prints which binaries are A and B.
    pub fn describe(&self) {
        eprintln!("  A = {}", self.bin.display());
        if let Some(vs) = &self.vs {
            eprintln!("  B = {}", vs.display());
        }
    }
}

fn usage(bench: &str, extra: &[(&str, &str)]) -> ! {
    eprintln!(
        "usage: cargo bench --bench {bench} -- [--bin PATH] [--vs PATH] [--quick] \
         [--summary PATH] [--app-dir PATH]"
    );
    for (name, help) in extra {
        eprintln!("  --{name} VALUE  {help}");
    }
    std::process::exit(2)
}

/// Runs `f` on each binary in an order that alternates with `round`, so neither binary is
/// always first (caches, frequency scaling and background load then hit both alike).
pub fn interleaved<T>(
    bins: &[&Path],
    round: usize,
    mut f: impl FnMut(usize, &Path) -> T,
) -> Vec<T> {
    let n = bins.len();
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for k in 0..n {
        let i = (k + round) % n;
        out[i] = Some(f(i, bins[i]));
    }
    out.into_iter().flatten().collect()
}

// ---- The handler process ------------------------------------------------------------------------

/// A port nobody listens on right now.
pub fn free_port() -> io::Result<u16> {
    handler::http::unused_port()
}

/// The app folder a handler is started in, as the host starts it in the app root: a temporary
/// copy of the package's `host.json` and `*/function.json` (what the deployed zip holds besides
/// the binary), removed when dropped. `--app-dir PATH` uses an existing folder instead.
pub struct AppDir {
    pub path: PathBuf,
    temporary: bool,
}

impl AppDir {
    pub fn new(opts: &Opts) -> io::Result<AppDir> {
        if let Some(path) = &opts.app_dir {
            return Ok(AppDir {
                path: path.clone(),
                temporary: false,
            });
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = std::env::temp_dir().join(format!("handler-bench-app-{}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        let dir = AppDir {
            path,
            temporary: true,
        };
        if root.join("host.json").is_file() {
            std::fs::copy(root.join("host.json"), dir.path.join("host.json"))?;
        }
        for entry in std::fs::read_dir(root)? {
            let entry = entry?;
            let function = entry.path().join("function.json");
            if function.is_file() {
                let to = dir.path.join(entry.file_name());
                std::fs::create_dir_all(&to)?;
                std::fs::copy(&function, to.join("function.json"))?;
            }
        }
        Ok(dir)
    }
}

impl Drop for AppDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A handler process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// Starts `bin` the way the host does: in the app folder, the port in
    /// `FUNCTIONS_CUSTOMHANDLER_PORT`, stdout and stderr not read (they go nowhere, so neither
    /// binary pays for a reader).
    pub fn spawn(bin: &Path, port: u16, app: &AppDir) -> io::Result<Server> {
        let child = Command::new(bin)
            .current_dir(&app.path)
            .env(PORT_VAR, port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Server { child, port })
    }

    /// Starts `bin` on a free port and waits until it answers `GET /`.
    pub fn start(bin: &Path, app: &AppDir) -> Result<Server, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let mut server = Server::spawn(bin, port, app)
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let probe = get_request("/", port);
        server.wait_for(&probe, false, Poll::Sleep(Duration::from_millis(1)))?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Connects and sends `request` until a whole response arrives (a `200` when `want_200`),
    /// within `DEADLINE`. Returns the response's status, and when a connection was first
    /// accepted (the kernel accepts once the handler listens, before the handler does).
    pub fn wait_for(
        &mut self,
        request: &[u8],
        want_200: bool,
        poll: Poll,
    ) -> Result<(u16, Instant), String> {
        let start = Instant::now();
        let addr = self.addr();
        let mut buf = Vec::with_capacity(1024);
        let mut attempts: u64 = 0;
        let mut listening = None;
        loop {
            attempts += 1;
            if let Ok(mut stream) = TcpStream::connect(addr) {
                let connected = *listening.get_or_insert_with(Instant::now);
                let _ = stream.set_nodelay(true);
                let _ = stream.set_read_timeout(Some(DEADLINE));
                buf.clear();
                if stream.write_all(request).is_ok() {
                    if let Ok(status) = read_response(&mut stream, &mut buf) {
                        if !want_200 || status == 200 {
                            return Ok((status, connected));
                        }
                    }
                }
            }
            if start.elapsed() > DEADLINE {
                return Err(format!("no answer within {DEADLINE:?}"));
            }
            // Checking for an early exit costs a system call: not on every attempt.
            if attempts.is_multiple_of(64) {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Err(format!("the handler exited early: {status}"));
                }
            }
            poll.pause();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to wait between two connection attempts while a handler starts.
#[derive(Debug, Clone, Copy)]
pub enum Poll {
    /// Try again at once, only yielding the CPU (the tightest poll).
    Spin,
    /// Sleep this long (plus the kernel's timer slack, about 50 µs) between attempts.
    Sleep(Duration),
}

impl Poll {
    /// From microseconds: 0 spins.
    pub fn from_micros(us: u64) -> Poll {
        if us == 0 {
            Poll::Spin
        } else {
            Poll::Sleep(Duration::from_micros(us))
        }
    }

    fn pause(self) {
        match self {
            Poll::Spin => std::thread::yield_now(),
            Poll::Sleep(d) => std::thread::sleep(d),
        }
    }
}

// ---- HTTP/1.1, just enough ----------------------------------------------------------------------

/// `GET target` with the Host header the host sends (the authority it connects to).
pub fn get_request(target: &str, port: u16) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").into_bytes()
}

/// Reads one whole response from `stream` and returns its status. `buf` holds bytes already
/// read; the response's bytes are removed from it, and any after it stay.
///
/// The body is delimited by `Content-Length`, by chunked coding (read to the last chunk), or,
/// with neither, has none unless the server closes (then it is read to the end).
pub fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<u16> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(stream, buf, &mut chunk)?;
    };
    let head = &buf[..head_end];
    let status = parse_status(head)?;
    let body_end = match body_framing(head) {
        Framing::Length(n) => {
            let end = head_end + n;
            while buf.len() < end {
                fill(stream, buf, &mut chunk)?;
            }
            end
        }
        Framing::Chunked => loop {
            if let Some(i) = find(&buf[head_end..], b"\r\n0\r\n\r\n") {
                break head_end + i + 7;
            }
            if buf[head_end..].starts_with(b"0\r\n\r\n") {
                break head_end + 5;
            }
            fill(stream, buf, &mut chunk)?;
        },
        Framing::None if (100..200).contains(&status) || status == 204 || status == 304 => head_end,
        Framing::None => loop {
            match stream.read(&mut chunk)? {
                0 => break buf.len(),
                n => buf.extend_from_slice(&chunk[..n]),
            }
        },
    };
    buf.drain(..body_end);
    Ok(status)
}

enum Framing {
    Length(usize),
    Chunked,
    None,
}

fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, chunk: &mut [u8]) -> io::Result<()> {
    match stream.read(chunk)? {
        0 => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed inside a response",
        )),
        n => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }
}

fn parse_status(head: &[u8]) -> io::Result<u16> {
    // "HTTP/1.1 200 OK"
    match head.get(9..12) {
        Some(code) if head.starts_with(b"HTTP/1.") && code.iter().all(u8::is_ascii_digit) => {
            Ok(code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not an HTTP/1.x status line",
        )),
    }
}

fn body_framing(head: &[u8]) -> Framing {
    for line in head.split(|&b| b == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = value
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .fold(0usize, |n, d| {
                    n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
                });
            return Framing::Length(n);
        }
        if name.eq_ignore_ascii_case(b"transfer-encoding")
            && value.to_ascii_lowercase().ends_with(b"chunked")
        {
            return Framing::Chunked;
        }
    }
    Framing::None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---- /proc ----------------------------------------------------------------------------------------

/// A field of `/proc/PID/status` (e.g. `VmRSS`, `VmHWM` in KiB, `Threads`) as its number.
pub fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.split(':').next() == Some(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) a process has used, in clock ticks (1/100 s on Linux), from
/// `/proc/PID/stat`; `"self"` for this process.
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

// ---- Statistics -------------------------------------------------------------------------------

/// The `q` quantile (0..=1) of sorted values, nearest rank.
pub fn quantile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of values (sorted here).
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    quantile(values, 0.5)
}

// ---- The table --------------------------------------------------------------------------------

/// One figure for each binary.
#[derive(Debug, Clone)]
pub struct Row {
    pub metric: String,
    pub unit: &'static str,
    /// One value per binary (A, then B); `None` when it could not be measured.
    pub values: Vec<Option<f64>>,
}

impl Row {
    pub fn new(metric: impl Into<String>, unit: &'static str, values: Vec<Option<f64>>) -> Row {
        Row {
            metric: metric.into(),
            unit,
            values,
        }
    }
}

/// Formats a value for its unit: `ms` and `us` get decimals, counts do not.
fn format_value(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "-".to_string(),
        Some(v) => match unit {
            "ms" if v < 10.0 => format!("{v:.3}"),
            "ms" | "us" => format!("{v:.1}"),
            "ns" if v < 100.0 => format!("{v:.1}"),
            _ => format!("{v:.0}"),
        },
    }
}

/// A / B, as `0.42x`.
fn format_ratio(values: &[Option<f64>]) -> String {
    match values {
        [Some(a), Some(b)] if *b != 0.0 => format!("{:.2}x", a / b),
        [_, _] => "-".to_string(),
        _ => String::new(),
    }
}

/// Prints a titled table of rows on stdout, and appends them to the summary file if asked.
pub fn print_table(opts: &Opts, title: &str, rows: &[Row]) {
    let with_b = opts.vs.is_some();
    println!();
    println!("{title}");
    let width = rows
        .iter()
        .map(|r| r.metric.len() + r.unit.len() + 3)
        .max()
        .unwrap_or(20)
        .max(20);
    if with_b {
        println!("{:<width$} {:>12} {:>12} {:>8}", "", "A", "B", "A/B");
    } else {
        println!("{:<width$} {:>12}", "", "A");
    }
    for row in rows {
        let label = format!("{} ({})", row.metric, row.unit);
        let a = format_value(row.values[0], row.unit);
        if with_b {
            let b = format_value(row.values.get(1).copied().flatten(), row.unit);
            let ratio = format_ratio(&row.values);
            println!("{label:<width$} {a:>12} {b:>12} {ratio:>8}");
        } else {
            println!("{label:<width$} {a:>12}");
        }
    }
    if let Some(path) = &opts.summary {
        let mut text = String::new();
        for row in rows {
            let b = format_value(row.values.get(1).copied().flatten(), row.unit);
            let ratio = format_ratio(&row.values);
            text.push_str(&format!(
                "{} ({})\t{}\t{}\t{}\n",
                row.metric,
                row.unit,
                format_value(row.values[0], row.unit),
                if with_b { b.as_str() } else { "" },
                ratio
            ));
        }
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = appended {
            eprintln!("cannot append to {}: {e}", path.display());
        }
    }
}
