//! funchost, the local stand-in for the Functions host, end to end.
//!
//! Two handlers sit behind it: the real one (`CARGO_BIN_EXE_handler`) in all three modes, and a
//! fake one, this test binary started again through `handler.sh`, which answers every call with
//! the exact bytes it received (so the request shapes of azure-host.md can be compared byte for
//! byte) and misbehaves on demand: `?exit=N`, `?hang=1`, `?reply=<raw HTTP response>`,
//! `?stream=N` (N bytes, chunked, as a handler that streams answers), `?print=TEXT` and
//! `?eprint=TEXT` (TEXT on stdout or stderr as is, no line end added, `&repeat=N` times),
//! `?daemon=keep` (start a process in a group of its own that takes the handler's port once
//! it is free; `hidden`: without the handler's worker id in its environment).
#![forbid(unsafe_code)]

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use handler::azure::json::{self, Value};
use handler::http::chunked::ChunkedDecoder;
use handler::http::limits::MAX_BODY_BYTES;
use support::{
    free_port, greeting, lines, read_reply, read_retrying, wait_for_exit, Reply, TempDir, WAIT,
};

const FUNCHOST: &str = env!("CARGO_BIN_EXE_funchost");
const HANDLER: &str = env!("CARGO_BIN_EXE_handler");

// ---- The local host as a process --------------------------------------------------------------

/// `funchost start` on a free port, stopped (with its handler) when dropped: closing its stdin
/// makes it kill the handler and exit (`--watch-stdin`).
struct LocalHost {
    port: u16,
    child: Child,
    stdin: Option<ChildStdin>,
    out: Receiver<String>,
    err: Receiver<String>,
    seen_out: Vec<String>,
    seen_err: Vec<String>,
}

impl LocalHost {
    /// Starts funchost for `app` and waits until it serves.
    fn start(app: &Path, handler: Option<&str>, extra: &[&str]) -> LocalHost {
        LocalHost::start_env(app, handler, extra, &[])
    }

    fn start_env(
        app: &Path,
        handler: Option<&str>,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> LocalHost {
        let mut host = LocalHost::spawn(app, handler, extra, envs);
        host.wait_out("Host started on");
        host
    }

    fn spawn(
        app: &Path,
        handler: Option<&str>,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> LocalHost {
        LocalHost::spawn_exe(Path::new(FUNCHOST), app, handler, extra, envs)
    }

    /// `spawn`, with the funchost binary at `exe`.
    fn spawn_exe(
        exe: &Path,
        app: &Path,
        handler: Option<&str>,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> LocalHost {
        let port = free_port();
        let mut command = Command::new(exe);
        command
            .args([
                "start",
                "--watch-stdin",
                "--port",
                &port.to_string(),
                "--app",
            ])
            .arg(app)
            .args(extra)
            .env("FUNCHOST_FAKE_BIN", std::env::current_exe().unwrap())
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(handler) = handler {
            command.args(["--handler", handler]);
        }
        let mut child = command.spawn().expect("start funchost");
        let out = lines(child.stdout.take().unwrap());
        let err = lines(child.stderr.take().unwrap());
        LocalHost {
            port,
            stdin: child.stdin.take(),
            child,
            out,
            err,
            seen_out: Vec::new(),
            seen_err: Vec::new(),
        }
    }

    /// The first stdout line containing `needle`, waiting for it.
    fn wait_out(&mut self, needle: &str) -> String {
        self.wait_count(true, needle, 1)
    }

    /// The first stderr line containing `needle`, waiting for it.
    fn wait_err(&mut self, needle: &str) -> String {
        self.wait_count(false, needle, 1)
    }

    /// Waits until `count` lines of stdout (or stderr) contain `needle`; the last of them.
    fn wait_count(&mut self, stdout: bool, needle: &str, count: usize) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let (rx, seen) = if stdout {
                (&self.out, &mut self.seen_out)
            } else {
                (&self.err, &mut self.seen_err)
            };
            let found: Vec<&String> = seen.iter().filter(|l| l.contains(needle)).collect();
            if found.len() >= count {
                return found[count - 1].clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    self.drain();
                    panic!(
                        "no {count} line(s) with {needle:?}\nstdout: {:#?}\nstderr: {:#?}",
                        self.seen_out, self.seen_err
                    );
                }
            }
        }
    }

    /// Collects the lines printed so far.
    fn drain(&mut self) {
        self.seen_out.extend(self.out.try_iter());
        self.seen_err.extend(self.err.try_iter());
    }

    /// The pid of the handler started last.
    fn handler_pid(&mut self) -> u32 {
        self.drain();
        let line = self
            .seen_out
            .iter()
            .rev()
            .find(|l| l.contains("Started handler (pid "))
            .expect("a started handler");
        pid_in(line)
    }

    fn connect(&self) -> TcpStream {
        let stream =
            TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("connect to funchost");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        stream
    }

    /// Sends raw bytes on a new connection and reads one response, chunked bodies decoded.
    fn exchange(&self, request: &[u8]) -> Reply {
        let mut stream = self.connect();
        stream.write_all(request).unwrap();
        read_any_reply(&mut stream, request.starts_with(b"HEAD "))
    }

    /// `GET target` as curl sends it to `localhost:7071`.
    fn get(&self, target: &str) -> Reply {
        self.exchange(curl("GET", target, &[], "").as_bytes())
    }

    /// Waits for funchost to exit on its own.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.drain();
                return status;
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("funchost did not exit");
    }
}

impl Drop for LocalHost {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pid_in(line: &str) -> u32 {
    let after = line.split("(pid ").nth(1).expect("a pid");
    after
        .split(')')
        .next()
        .unwrap()
        .parse()
        .expect("a numeric pid")
}

/// Whether process `pid` is gone (reaped) or a zombie.
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn wait_gone(pid: u32) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if is_gone(pid) {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A request as curl writes it to `http://localhost:7071`, with `headers` added and, for a
/// non-empty `body`, a Content-Length.
fn curl(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: localhost:7071\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    request
}

/// One response; a chunked body is decoded into `body`.
fn read_any_reply(stream: &mut TcpStream, head_request: bool) -> Reply {
    let mut reply = read_reply(stream, head_request).expect("a response");
    let chunked = reply
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked && !head_request {
        let mut decoder = ChunkedDecoder::new();
        let mut pending = Vec::new();
        let mut byte = [0u8; 1];
        // Byte by byte so nothing past the body is consumed.
        while !decoder.is_done() {
            assert_eq!(
                read_retrying(stream, &mut byte).unwrap(),
                1,
                "connection closed inside a chunked body"
            );
            decoder
                .decode(&byte, &mut pending)
                .expect("valid chunked body");
        }
        reply.body = pending;
    }
    reply
}

/// Every byte but unreserved ones percent-encoded: a safe query value.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A raw HTTP response with a Content-Length, for the fake's `reply` directive.
fn raw_reply(status: &str, content_type: Option<&str>, body: &str) -> String {
    let ct = content_type.map_or(String::new(), |ct| format!("Content-Type: {ct}\r\n"));
    format!(
        "HTTP/1.1 {status}\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// `text` with every GUID replaced by `<guid>`, after checking it is one.
fn without_guids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c.is_ascii_hexdigit()) {
        let candidate = rest.get(at..at + 36);
        if candidate.is_some_and(is_guid) {
            out.push_str(&rest[..at]);
            out.push_str("<guid>");
            rest = &rest[at + 36..];
        } else {
            let next = at + rest[at..].chars().next().unwrap().len_utf8();
            out.push_str(&rest[..next]);
            rest = &rest[next..];
        }
    }
    out.push_str(rest);
    out
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

/// Splits the raw request a fake echoed into its head (up to the blank line) and body.
fn split_raw(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n").expect("a request head")
}

fn dechunk(bytes: &[u8]) -> Vec<u8> {
    let mut decoder = ChunkedDecoder::new();
    let mut body = Vec::new();
    let used = decoder
        .decode(bytes, &mut body)
        .expect("a valid chunked body");
    assert!(
        decoder.is_done() && used == bytes.len(),
        "one whole chunked body"
    );
    body
}

fn parse(text: &str) -> Value {
    json::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn fixture(mode: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/funchost")
        .join(mode)
}

// ---- Apps for the fake handler ----------------------------------------------------------------

const ECHO: &str = r#"{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"}]}"#;
const ITEMS: &str = r#"{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","methods":["get"],"route":"items/{id:int}"},{"type":"http","direction":"out","name":"res"}]}"#;
const MULTI: &str = r#"{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","methods":["post"]},{"type":"http","direction":"out","name":"res"},{"type":"queue","direction":"out","name":"msg","queueName":"q"}]}"#;
const TIMER: &str = r#"{"bindings":[{"type":"timerTrigger","direction":"in","name":"myTimer","schedule":"0 */5 * * * *"}]}"#;
const QUEUE: &str = r#"{"bindings":[{"type":"queueTrigger","direction":"in","name":"msg","queueName":"in"},{"type":"queue","direction":"out","name":"out","queueName":"out"}]}"#;
const BLOB: &str =
    r#"{"bindings":[{"type":"blobTrigger","direction":"in","name":"blob","path":"in/{name}"}]}"#;

/// Runs this test binary's `fake_handler_entry_point` with the arguments funchost passes.
const SCRIPT: &str = "#!/bin/sh\nFUNCHOST_FAKE_HANDLER=1 FAKE_ARGC=\"$#\" FAKE_ARGS=\"$*\" exec \"$FUNCHOST_FAKE_BIN\" fake_handler_entry_point --exact --nocapture --test-threads=1\n";

/// An app whose handler is the fake: functions Echo (any method), Items (`items/{id:int}`),
/// Multi (an extra queue output), Timer, Queue and Blob. `mode` goes into `customHandler`.
fn fake_app(name: &str, mode: &str) -> TempDir {
    let host = format!(
        r#"{{"version":"2.0","customHandler":{{"description":{{"defaultExecutablePath":"handler.sh","workingDirectory":"","arguments":["--port","%FUNCTIONS_CUSTOMHANDLER_PORT%","%NOT_A_SETTING_FUNCHOST%","two words"]}}{mode}}}}}"#
    );
    // As a Windows editor may save it, which Core Tools reads (JSON.NET into strings).
    let settings = "\u{feff}{\"IsEncrypted\":false,\n  // the handler's settings\n  \"Values\":{\"FUNCHOST_TEST_SETTING\":\"from-local-settings\",\"FUNCHOST_TEST_FLAG\":true,\"FUNCTIONS_WORKER_RUNTIME\":\"custom\",},\n}";
    let app = TempDir::new(&format!("funchost-{name}"))
        .with("host.json", &host)
        .with("local.settings.json", settings)
        .with("Echo/function.json", ECHO)
        .with("Items/function.json", ITEMS)
        .with("Multi/function.json", MULTI)
        .with("Timer/function.json", TIMER)
        .with("Queue/function.json", QUEUE)
        .with("Blob/function.json", BLOB)
        .with("handler.sh", SCRIPT);
    make_executable(&app.path().join("handler.sh"));
    app
}

fn make_executable(file: &Path) {
    let mut permissions = std::fs::metadata(file).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(file, permissions).unwrap();
}

const FORWARDING: &str = r#","enableForwardingHttpRequest":true"#;
const PAYLOAD: &str = "";
const PROXYING: &str = r#","enableProxyingHttpRequest":true"#;

// ---- The fake handler -------------------------------------------------------------------------

/// Not a test: the fake handler's `main`. funchost starts this binary through `handler.sh`,
/// which sets FUNCHOST_FAKE_HANDLER; run as part of the suite, it returns at once.
#[test]
fn fake_handler_entry_point() {
    if std::env::var_os("FUNCHOST_FAKE_SQUAT").is_some() {
        fake::squat();
    }
    if std::env::var_os("FUNCHOST_FAKE_HANDLER").is_some() {
        fake::main();
    }
}

mod fake {
    use super::*;
    use handler::http::parse::{BodyKind, Status};
    use handler::http::query;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use support::{parse_head, Head};

    pub fn main() -> ! {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let port: u16 = var("FUNCTIONS_CUSTOMHANDLER_PORT")
            .parse()
            .expect("FUNCTIONS_CUSTOMHANDLER_PORT");
        if let Ok(ms) = var("FAKE_START_DELAY_MS").parse() {
            thread::sleep(Duration::from_millis(ms));
        }
        let cwd = std::env::current_dir().unwrap();
        println!(
            "fake: started port={port} httpworker_port={} worker_id={} httpworker_id={} root={} cwd={} runtime={} flag={} setting={} argc={} args={}",
            var("FUNCTIONS_HTTPWORKER_PORT"),
            var("FUNCTIONS_CUSTOMHANDLER_WORKER_ID"),
            var("FUNCTIONS_HTTPWORKER_ID"),
            var("FUNCTIONS_APP_ROOT_PATH"),
            cwd.display(),
            var("FUNCTIONS_WORKER_RUNTIME"),
            var("FUNCHOST_TEST_FLAG"),
            var("FUNCHOST_TEST_SETTING"),
            var("FAKE_ARGC"),
            var("FAKE_ARGS"),
        );
        eprintln!("fake: an error line on stderr");
        eprintln!("fake: a Warning line on stderr");
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("bind the fake's port");
        let pinged = Arc::new(AtomicBool::new(false));
        for stream in listener.incoming().flatten() {
            let pinged = Arc::clone(&pinged);
            thread::spawn(move || serve(stream, &pinged));
        }
        std::process::exit(9)
    }

    /// A process the fake started in a process group of its own (`?daemon=`), as a daemon a
    /// handler starts: it takes the handler's port once the fake has exited, and answers 404 to
    /// everything, for 20 s at most.
    pub fn squat() -> ! {
        let port: u16 = std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .expect("FUNCTIONS_CUSTOMHANDLER_PORT");
        let deadline = Instant::now() + Duration::from_secs(20);
        let listener = loop {
            match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                Ok(listener) => break listener,
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
                Err(_) => std::process::exit(0),
            }
        };
        listener.set_nonblocking(true).unwrap();
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                    let _ = stream.read(&mut [0u8; 4096]);
                    let _ =
                        stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                }
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
        std::process::exit(0)
    }

    fn serve(mut stream: TcpStream, pinged: &AtomicBool) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
        let mut buf = Vec::new();
        while let Some((head, raw, body)) = read_request(&mut stream, &mut buf) {
            let (path, query) = query::split_target(&head.target);
            let answer = if head.method == "GET" && path == "/" {
                if !pinged.swap(true, Ordering::SeqCst) {
                    println!(
                        "fake: ping {}",
                        String::from_utf8_lossy(&raw).replace("\r\n", "|")
                    );
                }
                raw_reply("404 Not Found", Some("text/plain"), "Not Found").into_bytes()
            } else {
                answer(&head, path, query, &raw, &body)
            };
            if stream.write_all(&answer).is_err() || !head.keep_alive {
                return;
            }
        }
    }

    /// One request: its head, the raw bytes received (head and framed body), the decoded body.
    fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(Head, Vec<u8>, Vec<u8>)> {
        let mut chunk = [0u8; 8192];
        let (head, used) = loop {
            match parse_head(buf) {
                Ok(Status::Complete(found)) => break found,
                Ok(Status::Partial) => {}
                Err(_) => return None,
            }
            let n = read_retrying(stream, &mut chunk).ok().filter(|&n| n > 0)?;
            buf.extend_from_slice(&chunk[..n]);
        };
        let mut raw: Vec<u8> = buf.drain(..used).collect();
        if head.expect_continue {
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
        }
        let mut body = Vec::new();
        match head.body {
            BodyKind::None => {}
            BodyKind::Length(n) => {
                while buf.len() < n {
                    let got = read_retrying(stream, &mut chunk).ok().filter(|&g| g > 0)?;
                    buf.extend_from_slice(&chunk[..got]);
                }
                body.extend(buf.drain(..n));
                raw.extend_from_slice(&body);
            }
            BodyKind::Chunked => {
                let mut decoder = ChunkedDecoder::new();
                loop {
                    let used = decoder.decode(buf, &mut body).ok()?;
                    raw.extend(buf.drain(..used));
                    if decoder.is_done() {
                        break;
                    }
                    let got = read_retrying(stream, &mut chunk).ok().filter(|&g| g > 0)?;
                    buf.extend_from_slice(&chunk[..got]);
                }
            }
        }
        Some((head, raw, body))
    }

    /// The answer to a call: what its directives ask for, else an echo of the raw request.
    fn answer(head: &Head, path: &str, query: &str, raw: &[u8], body: &[u8]) -> Vec<u8> {
        let payload = head.method == "POST" && !path.to_ascii_lowercase().starts_with("/api/");
        let invocation = payload.then(|| json::parse(body).expect("an invocation in JSON"));
        let data = invocation.as_ref().and_then(|i| i.get("Data"));
        let is_http = data.is_some_and(|d| d.get("req").is_some());
        let directives: Vec<(String, String)> = match data {
            None => query::pairs(query).collect(),
            Some(data) => {
                let source = if is_http {
                    data.get("req").and_then(|r| r.get("Query"))
                } else {
                    data.as_object().and_then(|m| m.first()).map(|(_, v)| v)
                };
                source
                    .and_then(Value::as_object)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            }
        };
        let directive = |name: &str| {
            directives
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        if let Some(kind) = directive("daemon") {
            let mut command = Command::new(std::env::current_exe().unwrap());
            command
                .args(["fake_handler_entry_point", "--exact", "--test-threads=1"])
                .env("FUNCHOST_FAKE_SQUAT", "1")
                .env_remove("FUNCHOST_FAKE_HANDLER")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if kind == "hidden" {
                command.env_remove("FUNCTIONS_CUSTOMHANDLER_WORKER_ID");
            }
            let mut daemon = std::os::unix::process::CommandExt::process_group(&mut command, 0)
                .spawn()
                .expect("start the daemon");
            println!("fake: daemon pid {}", daemon.id());
            // Reaped, should it end while the fake runs.
            thread::spawn(move || daemon.wait());
            if directive("exit").is_some() {
                // Time for it to start and wait for the port, which it takes as this exits.
                thread::sleep(Duration::from_millis(500));
            }
        }
        if let Some(code) = directive("exit") {
            println!("fake: exiting with code {code}");
            std::process::exit(code.parse().expect("a numeric exit code"));
        }
        for (name, mut out) in [
            ("print", Box::new(std::io::stdout()) as Box<dyn Write>),
            ("eprint", Box::new(std::io::stderr())),
        ] {
            if let Some(text) = directive(name) {
                // As written, with no line end added.
                let times = directive("repeat").map_or(1, |n| n.parse().expect("a count"));
                out.write_all(text.repeat(times).as_bytes()).unwrap();
                out.flush().unwrap();
            }
        }
        if directive("hang").is_some() {
            // Killed by funchost long before this ends.
            thread::sleep(Duration::from_secs(600));
        }
        if let Some(reply) = directive("reply") {
            return reply.into_bytes();
        }
        if let Some(len) = directive("stream") {
            let len: usize = len.parse().expect("a length to stream");
            let mut reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            let piece = [b'x'; 65536];
            for size in (0..len)
                .step_by(piece.len())
                .map(|at| piece.len().min(len - at))
            {
                reply.extend_from_slice(format!("{size:x}\r\n").as_bytes());
                reply.extend_from_slice(&piece[..size]);
                reply.extend_from_slice(b"\r\n");
            }
            reply.extend_from_slice(b"0\r\n\r\n");
            return reply;
        }
        let raw_text = String::from_utf8_lossy(raw).into_owned();
        match invocation {
            None => raw_reply("200 OK", Some("text/plain"), &raw_text).into_bytes(),
            Some(_) if is_http => {
                let mut reply = String::from(r#"{"Outputs":{"res":{"body":"#);
                json::write_string(&mut reply, &raw_text);
                reply.push_str(r#"}},"Logs":["fake: echoed"],"ReturnValue":null}"#);
                raw_reply("200 OK", Some("application/json"), &reply).into_bytes()
            }
            Some(invocation) => {
                let reply = format!(
                    r#"{{"Outputs":{{"out":{{"seen":true}}}},"Logs":["fake: triggered"],"ReturnValue":{}}}"#,
                    invocation.to_json()
                );
                raw_reply("200 OK", Some("application/json; charset=utf-8"), &reply).into_bytes()
            }
        }
    }
}

// ---- The real handler in the three modes ------------------------------------------------------

#[test]
fn forwarding_mode_serves_the_real_handler() {
    let mut host = LocalHost::start(&fixture("forwarding"), Some(HANDLER), &[]);
    host.wait_out("HTTP calls: HelloRust forwarding (enableForwardingHttpRequest)");
    host.wait_out(&format!(
        "\tHelloRust: [GET,POST] http://localhost:{}/api/HelloRust",
        host.port
    ));
    let reply = host.get("/api/HelloRust?name=Rust");
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Rust"))));
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let execute_now = curl(
        "POST",
        "/api/hellorust",
        &[("Content-Type", "application/json")],
        r#"{"name":"Azure"}"#,
    );
    let reply = host.exchange(execute_now.as_bytes());
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Azure"))));
    let reply = host.get("/api/HelloRust");
    assert_eq!((reply.status, reply.text()), (200, greeting(None)));
    // HTTP/1.0 needs no Host; the host's client sends the handler one all the same.
    let reply = host.exchange(b"GET /api/HelloRust?name=Old HTTP/1.0\r\n\r\n");
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Old"))));
    // Not a route, and a method the function does not list: the host's 404, handler not called.
    assert_eq!(host.get("/api/Nope").status, 404);
    assert_eq!(
        host.exchange(curl("DELETE", "/api/HelloRust", &[], "").as_bytes())
            .status,
        404
    );
    host.wait_out("Functions.HelloRust: GET /api/HelloRust?name=Rust -> 200 in ");
    host.wait_out("Functions.HelloRust: POST /api/hellorust -> 200 in ");
    host.wait_out("handler: listening on http://127.0.0.1:");
}

#[test]
fn a_forwarded_head_answer_says_the_length_a_get_would_get() {
    // HelloRust for every method: the host forwards the HEAD, and passes back the handler's
    // Content-Length (RFC 9110 §8.6 allows no other value) with no body.
    let host_json = std::fs::read_to_string(fixture("forwarding").join("host.json")).unwrap();
    let app = TempDir::new("funchost-head")
        .with("host.json", &host_json)
        .with("HelloRust/function.json", ECHO);
    let host = LocalHost::start(app.path(), Some(HANDLER), &[]);
    let get = host.get("/api/HelloRust?name=Rust");
    let head = host.exchange(curl("HEAD", "/api/HelloRust?name=Rust", &[], "").as_bytes());
    assert_eq!((get.status, head.status), (200, 200));
    let length = get.header("content-length");
    assert_eq!(
        length,
        Some(greeting(Some("Rust")).len().to_string().as_str())
    );
    assert_eq!(head.header("content-length"), length);
    assert!(head.body.is_empty());
}

#[test]
fn payload_mode_serves_the_real_handler() {
    let mut host = LocalHost::start(&fixture("payload"), Some(HANDLER), &[]);
    host.wait_out("HTTP calls: HelloRust payload (JSON invocations)");
    let reply = host.get("/api/HelloRust?name=Rust");
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Rust"))));
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let execute_now = curl(
        "POST",
        "/api/HelloRust",
        &[("Content-Type", "application/json")],
        r#"{"name":"Azure"}"#,
    );
    let reply = host.exchange(execute_now.as_bytes());
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Azure"))));
    let form = curl(
        "POST",
        "/api/HelloRust",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "name=Form",
    );
    assert_eq!(
        host.exchange(form.as_bytes()).text(),
        greeting(Some("Form"))
    );
    // A chunked client body has no Content-Length: the host leaves `Body` out (#7930).
    let chunked = "POST /api/HelloRust HTTP/1.1\r\nHost: localhost:7071\r\nContent-Type: application/json\r\n\
                   Transfer-Encoding: chunked\r\n\r\n10\r\n{\"name\":\"Azure\"}\r\n0\r\n\r\n";
    let reply = host.exchange(chunked.as_bytes());
    assert_eq!((reply.status, reply.text()), (200, greeting(None)));
    host.wait_out("Functions.HelloRust: GET /api/HelloRust?name=Rust -> 200 in ");
}

#[test]
fn proxying_mode_serves_the_real_handler() {
    let mut host = LocalHost::start(&fixture("proxying"), Some(HANDLER), &[]);
    host.wait_out("HTTP calls: HelloRust proxying (enableProxyingHttpRequest)");
    let reply = host.get("/api/HelloRust?name=Rust");
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Rust"))));
    let post = curl(
        "POST",
        "/api/HelloRust",
        &[("Content-Type", "application/json")],
        r#"{"name":"Azure"}"#,
    );
    assert_eq!(
        host.exchange(post.as_bytes()).text(),
        greeting(Some("Azure"))
    );
    // Streamed through, a chunked body stays chunked and reaches the handler.
    let chunked = "POST /api/HelloRust HTTP/1.1\r\nHost: localhost:7071\r\nContent-Type: application/json\r\n\
                   Transfer-Encoding: chunked\r\n\r\n7\r\n{\"name\"\r\n9\r\n:\"Chunk\"}\r\n0\r\n\r\n";
    let reply = host.exchange(chunked.as_bytes());
    assert_eq!((reply.status, reply.text()), (200, greeting(Some("Chunk"))));
    // The connection stays open, as the host's does: a request pipelined behind a streamed
    // body is served next, and then one sent later.
    let mut stream = host.connect();
    let next = curl("GET", "/api/HelloRust?name=Next", &[], "");
    stream
        .write_all(format!("{chunked}{next}").as_bytes())
        .unwrap();
    for name in ["Chunk", "Next"] {
        let reply = read_any_reply(&mut stream, false);
        assert_eq!(reply.header("connection"), None);
        assert_eq!(reply.text(), greeting(Some(name)));
    }
    stream.write_all(post.as_bytes()).unwrap();
    let reply = read_any_reply(&mut stream, false);
    assert_eq!(reply.text(), greeting(Some("Azure")));
}

#[test]
fn proxying_refuses_a_chunked_body_past_8_mib_with_413() {
    // The front door refuses a Content-Length past MAX_BODY_BYTES with 413; a chunked body
    // streamed on to the handler found the limit in its decoder and got a 502 (labelled "invalid
    // response from the handler"), the connection closed unread, so that curl, Node's fetch
    // and Python's http.client, still sending, got a broken pipe and no answer at all.
    let mut host = LocalHost::start(&fixture("proxying"), Some(HANDLER), &[]);
    for _ in 0..2 {
        let mut stream = host.connect();
        let head = "POST /api/HelloRust HTTP/1.1\r\nHost: localhost:7071\r\nTransfer-Encoding: chunked\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let sending = thread::spawn(move || {
            let chunk = [&b"10000\r\n"[..], &[b' '; 0x10000], b"\r\n"].concat();
            for _ in 0..(MAX_BODY_BYTES + MAX_BODY_BYTES / 2) / 0x10000 {
                if writer.write_all(&chunk).is_err() {
                    return false;
                }
            }
            writer.write_all(b"0\r\n\r\n").is_ok()
        });
        let reply = read_any_reply(&mut stream, false);
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (413, "request body too large\n")
        );
        assert_eq!(reply.header("connection"), Some("close"));
        assert!(sending.join().unwrap(), "the body was read away, not reset");
    }
    host.wait_err("Functions.HelloRust: POST /api/HelloRust -> 413 in ");
    host.wait_err("(failed: the client's body: request body too large)");
}

#[test]
fn proxying_says_a_client_that_stops_inside_its_body_did() {
    // The line for the call blamed the handler: "reading the client's body: invalid response
    // from the handler: connection closed inside the body".
    let mut host = LocalHost::start(&fixture("proxying"), Some(HANDLER), &[]);
    let mut stream = host.connect();
    let head =
        "POST /api/HelloRust HTTP/1.1\r\nHost: localhost:7071\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(format!("{head}abc").as_bytes()).unwrap();
    drop(stream);
    let line = host.wait_err("Functions.HelloRust: POST /api/HelloRust -> ");
    assert!(
        line.ends_with("(failed: reading the client's body: connection closed inside the body)"),
        "{line}"
    );
}

#[test]
fn a_handlers_chunked_answer_past_8_mib_gets_through() {
    // A handler that streams (Node's, Go's) answers chunked, whatever the size, and the host
    // buffers such an answer (forwarding) or streams it on (proxying) whole. funchost decoded
    // it with a request body's limit: past 8 MiB, a 500 when forwarding, a body cut off when
    // proxying.
    let len = MAX_BODY_BYTES + 1;
    for (name, mode) in [("forwarded", FORWARDING), ("proxied", PROXYING)] {
        let app = fake_app(&format!("big-answer-{name}"), mode);
        let host = LocalHost::start(app.path(), None, &[]);
        let mut stream = host.connect();
        let request = format!(
            "GET /api/Echo?stream={len} HTTP/1.1\r\nHost: localhost:7071\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut all = Vec::new();
        stream
            .read_to_end(&mut all)
            .expect("the answer, then the close");
        let end = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head")
            + 4;
        let head = String::from_utf8_lossy(&all[..end]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200 ok\r\n"), "{name}: {head}");
        let body = if head.contains("\r\ntransfer-encoding: chunked\r\n") {
            let mut decoder = ChunkedDecoder::with_limit(usize::MAX);
            let mut body = Vec::new();
            decoder.decode(&all[end..], &mut body).expect("chunks");
            assert!(decoder.is_done(), "{name}: the body was cut off");
            body
        } else {
            all[end..].to_vec()
        };
        assert_eq!(body.len(), len, "{name}");
        assert!(body.iter().all(|&b| b == b'x'), "{name}");
    }
}

#[test]
fn forwarding_refuses_chunked_client_bodies_with_500() {
    let mut host = LocalHost::start(&fixture("forwarding"), Some(HANDLER), &[]);
    let chunked = "POST /api/HelloRust HTTP/1.1\r\nHost: localhost:7071\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let reply = host.exchange(chunked.as_bytes());
    assert_eq!((reply.status, reply.body.len()), (500, 0));
    host.wait_err("Functions.HelloRust: POST /api/HelloRust -> 500 in ");
    host.wait_err(
        "'Transfer-Encoding: chunked' header can not be used when content object is not specified",
    );
}

#[test]
fn keep_alive_and_many_concurrent_connections() {
    let host = LocalHost::start(&fixture("forwarding"), Some(HANDLER), &[]);
    // One connection, several requests in turn.
    let mut stream = host.connect();
    for name in ["a", "b", "c"] {
        stream
            .write_all(curl("GET", &format!("/api/HelloRust?name={name}"), &[], "").as_bytes())
            .unwrap();
        let reply = read_any_reply(&mut stream, false);
        assert_eq!(reply.text(), greeting(Some(name)));
    }
    // More keep-alive connections at once than the handler has workers (64).
    let port = host.port;
    let clients: Vec<_> = (0..72)
        .map(|i| {
            thread::spawn(move || {
                let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
                stream.set_read_timeout(Some(WAIT)).unwrap();
                (0..2)
                    .map(|j| {
                        let name = format!("c{i}r{j}");
                        stream
                            .write_all(
                                curl("GET", &format!("/api/HelloRust?name={name}"), &[], "")
                                    .as_bytes(),
                            )
                            .unwrap();
                        read_any_reply(&mut stream, false).text() == greeting(Some(&name))
                    })
                    .filter(|ok| *ok)
                    .count()
            })
        })
        .collect();
    let answered: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(answered, 144);
}

// ---- The exact requests funchost sends --------------------------------------------------------

#[test]
fn forwarded_requests_have_the_hosts_shape() {
    let app = fake_app("forwarded-shape", FORWARDING);
    let host = LocalHost::start(app.path(), None, &[]);
    let request = "GET /api/Echo?b=2&a=1&A=3&n=x+y&flag&code=k&e=%C3%A9&s=a%2Fb HTTP/1.1\r\nHost: localhost:7071\r\n\
                   User-Agent: test/1.0\r\nAccept: */*\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n";
    let reply = host.exchange(request.as_bytes());
    assert_eq!(reply.status, 200);
    let expected = "GET /api/Echo?b=2&a=1,3&n=x%20y&flag=&code=k&e=%C3%A9&s=a%2Fb HTTP/1.1\r\nHost: localhost:7071\r\n\
                    User-Agent: test/1.0 Azure-Functions-Host/4.1037.0.0\r\nAccept: */*\r\nX-Multi: 1, 2\r\n\
                    X-Azure-Functions-HostVersion: 4.1037.0.0\r\nX-Azure-Functions-InvocationId: <guid>\r\n\r\n";
    assert_eq!(without_guids(&reply.text()), expected);

    // A body goes with its Content-Type and Content-Length, after the host's headers.
    let post = curl(
        "POST",
        "/api/Echo",
        &[("Content-Type", "application/json")],
        r#"{"name":"Azure"}"#,
    );
    let expected = "POST /api/Echo HTTP/1.1\r\nHost: localhost:7071\r\nUser-Agent: curl/8.5.0 Azure-Functions-Host/4.1037.0.0\r\n\
                    Accept: */*\r\nX-Azure-Functions-HostVersion: 4.1037.0.0\r\nX-Azure-Functions-InvocationId: <guid>\r\n\
                    Content-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"name\":\"Azure\"}";
    assert_eq!(
        without_guids(&host.exchange(post.as_bytes()).text()),
        expected
    );

    // POST without a body: Content-Length: 0 (and Content-Type dropped).
    let empty = "POST /api/Echo HTTP/1.1\r\nHost: localhost:7071\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n";
    let expected = "POST /api/Echo HTTP/1.1\r\nHost: localhost:7071\r\nUser-Agent: Azure-Functions-Host/4.1037.0.0\r\n\
                    X-Azure-Functions-HostVersion: 4.1037.0.0\r\nX-Azure-Functions-InvocationId: <guid>\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(
        without_guids(&host.exchange(empty.as_bytes()).text()),
        expected
    );
}

#[test]
fn expect_100_continue_is_answered_and_forwarded() {
    let app = fake_app("expect", FORWARDING);
    let host = LocalHost::start(app.path(), None, &[]);
    let mut stream = host.connect();
    let head = "POST /api/Echo HTTP/1.1\r\nHost: localhost:7071\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let interim = read_reply(&mut stream, false).expect("100 Continue");
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    stream.write_all(b"hello").unwrap();
    let reply = read_any_reply(&mut stream, false);
    let expected = "POST /api/Echo HTTP/1.1\r\nHost: localhost:7071\r\nExpect: 100-continue\r\nUser-Agent: Azure-Functions-Host/4.1037.0.0\r\n\
                    X-Azure-Functions-HostVersion: 4.1037.0.0\r\nX-Azure-Functions-InvocationId: <guid>\r\n\
                    Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
    assert_eq!(without_guids(&reply.text()), expected);
}

#[test]
fn forwarded_responses_pass_back_whole_and_unfollowed() {
    let app = fake_app("forwarded-response", FORWARDING);
    let host = LocalHost::start(app.path(), None, &[]);
    let redirect = "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nX-Custom: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let reply = host.get(&format!("/api/Echo?reply={}", enc(redirect)));
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some("/elsewhere"));
    assert_eq!(reply.header("x-custom"), Some("a"));
    assert_eq!(reply.header("content-length"), Some("3"));
    assert_eq!(reply.header("transfer-encoding"), None);
    assert_eq!(reply.text(), "abc");
    // Non-2xx answers pass through as they are.
    let teapot = raw_reply("418 I'm a teapot", Some("text/plain"), "short and stout");
    let reply = host.get(&format!("/api/Echo?reply={}", enc(&teapot)));
    assert_eq!(
        (reply.status, reply.text()),
        (418, "short and stout".to_string())
    );
}

#[test]
fn payload_invocations_have_the_hosts_shape() {
    let app = fake_app("payload-shape", PAYLOAD);
    let mut host = LocalHost::start(app.path(), None, &[]);
    let handler_port = host.wait_out("fake: started port=");
    let handler_port: u16 = handler_port
        .split("port=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let reply = host.get("/api/Echo?name=Rust&code=k");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let raw = reply.text();
    let (head, body) = split_raw(&raw);
    let expected_head = format!(
        "POST /Echo HTTP/1.1\r\nHost: 127.0.0.1:{handler_port}\r\nUser-Agent: Azure-Functions-Host/4.1037.0.0\r\n\
         X-Azure-Functions-HostVersion: 4.1037.0.0\r\nX-Azure-Functions-InvocationId: <guid>\r\n\
         Content-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked"
    );
    assert_eq!(without_guids(head), expected_head);
    let invocation = String::from_utf8(dechunk(body.as_bytes())).unwrap();
    let mut value = parse(&invocation);
    // The clock and the random GUID vary: check their form, then pin them.
    let Value::Object(members) = &mut value else {
        panic!("an object")
    };
    let metadata = &mut members.iter_mut().find(|(k, _)| k == "Metadata").unwrap().1;
    let Value::Object(metadata) = metadata else {
        panic!("Metadata object")
    };
    let sys = &mut metadata.iter_mut().find(|(k, _)| k == "sys").unwrap().1;
    let Value::Object(sys) = sys else {
        panic!("sys object")
    };
    for (name, value) in sys.iter_mut() {
        let text = value.as_str().unwrap().to_string();
        match name.as_str() {
            "UtcNow" => {
                assert!(
                    text.len() == 28 && text.ends_with('Z') && &text[19..20] == ".",
                    "{text}"
                );
                *value = Value::from("<now>");
            }
            "RandGuid" => {
                assert!(is_guid(&text), "{text}");
                *value = Value::from("<guid>");
            }
            _ => {}
        }
    }
    let expected = r#"{"Data":{"req":{"Url":"http://localhost:7071/api/Echo?name=Rust&code=k","Method":"GET","Query":{"name":"Rust","code":"k"},"Headers":{"Host":["localhost:7071"],"User-Agent":["curl/8.5.0"],"Accept":["*/*"]},"Params":{},"Identities":[{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}]}},"Metadata":{"name":"\"Rust\"","Query":{"name":"Rust","code":"k"},"Headers":{"Host":"localhost:7071","User-Agent":"curl/8.5.0","Accept":"*/*"},"sys":{"MethodName":"Echo","UtcNow":"<now>","RandGuid":"<guid>"}}}"#;
    assert_eq!(value.to_json(), expected);
    host.wait_out("Functions.Echo: fake: echoed");

    // Route values: Params, and double-encoded in Metadata; no Content-Length, no Body.
    let raw = host.get("/api/items/42?x=1").text();
    let (head, body) = split_raw(&raw);
    assert!(head.starts_with("POST /Items HTTP/1.1\r\n"), "{head}");
    let invocation = parse(std::str::from_utf8(&dechunk(body.as_bytes())).unwrap());
    let req = invocation.get("Data").and_then(|d| d.get("req")).unwrap();
    assert_eq!(req.get("Params").unwrap().to_json(), r#"{"id":"42"}"#);
    assert_eq!(req.get("Body"), None);
    let metadata = invocation.get("Metadata").unwrap();
    assert_eq!(metadata.get("id").unwrap().to_json(), r#""\"42\"""#);
    assert_eq!(metadata.get("x").unwrap().to_json(), r#""\"1\"""#);
}

#[test]
fn payload_bodies_route_values_and_extra_outputs() {
    let app = fake_app("payload-body", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    // Multi has a queue output besides http: payload mode, whatever host.json says.
    let body = r#"{"name":"Azure","n":2}"#;
    let post = curl(
        "POST",
        "/api/Multi",
        &[("Content-Type", "application/json")],
        body,
    );
    let raw = host.exchange(post.as_bytes()).text();
    let (head, chunked) = split_raw(&raw);
    assert!(head.starts_with("POST /Multi HTTP/1.1\r\n"), "{head}");
    let invocation = parse(std::str::from_utf8(&dechunk(chunked.as_bytes())).unwrap());
    let req = invocation.get("Data").and_then(|d| d.get("req")).unwrap();
    assert_eq!(req.get("Body").and_then(Value::as_str), Some(body));
    assert_eq!(
        req.get("Headers")
            .unwrap()
            .get("Content-Length")
            .unwrap()
            .to_json(),
        r#"["22"]"#
    );
    let metadata = invocation.get("Metadata").unwrap();
    assert_eq!(metadata.get("name").unwrap().to_json(), r#""\"Azure\"""#);
    assert_eq!(metadata.get("n").unwrap().to_json(), r#""\"2\"""#);
    // Items is HTTP in and out: forwarded, to its own route; `{id:int}` must be a number.
    assert!(host
        .get("/api/items/42?x=1")
        .text()
        .starts_with("GET /api/items/42?x=1 HTTP/1.1\r\n"));
    assert_eq!(host.get("/api/items/forty-two").status, 404);
    // Other outputs are logged.
    let reply =
        r#"{"Outputs":{"res":{"body":"queued"},"msg":{"q":1}},"Logs":[],"ReturnValue":null}"#;
    let reply = raw_reply("200 OK", Some("application/json"), reply);
    let post = curl(
        "POST",
        &format!("/api/Multi?reply={}", enc(&reply)),
        &[],
        "",
    );
    assert_eq!(host.exchange(post.as_bytes()).text(), "queued");
    host.wait_out(r#"Functions.Multi: output 'msg' = {"q":1}"#);
}

#[test]
fn payload_replies_are_read_as_the_host_reads_them() {
    let app = fake_app("payload-replies", PAYLOAD);
    let mut host = LocalHost::start(app.path(), None, &[]);
    fn call(host: &LocalHost, reply: &str) -> Reply {
        host.get(&format!("/api/Echo?reply={}", enc(reply)))
    }

    let res = r#"{"Outputs":{"res":{"statusCode":"201","status":404,"body":{"a":[1,2]},"headers":{"X-Res":"yes","content-type":"application/json"}}},"Logs":["one","two"],"ReturnValue":null}"#;
    let reply = call(&host, &raw_reply("200 OK", Some("application/json"), res));
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("x-res"), Some("yes"));
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(reply.text(), "{\n  \"a\": [\n    1,\n    2\n  ]\n}");

    let reply = call(
        &host,
        &raw_reply(
            "200 OK",
            Some("text/json"),
            r#"{"Outputs":{"res":{"statusCode":202,"body":"plain"}}}"#,
        ),
    );
    assert_eq!((reply.status, reply.text()), (202, "plain".to_string()));
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );

    // No `res`: 200 with `{}`.
    let reply = call(
        &host,
        &raw_reply("200 OK", Some("application/json"), r#"{"Outputs":{}}"#),
    );
    assert_eq!((reply.status, reply.text()), (200, "{}".to_string()));

    // Everything the host cannot use is a 500 with an empty body.
    for (bad, why) in [
        (
            raw_reply("404 Not Found", Some("application/json"), "{}"),
            "the handler answered 404 Not Found",
        ),
        (
            raw_reply("200 OK", Some("text/plain"), "{}"),
            "Content-Type is text/plain",
        ),
        (
            raw_reply("200 OK", Some("application/json"), "{oops"),
            "not valid JSON",
        ),
        (
            raw_reply(
                "200 OK",
                Some("application/json"),
                r#"{"Outputs":{"res":"text"}}"#,
            ),
            "Outputs.res must be an object",
        ),
        (
            raw_reply("200 OK", Some("application/json"), ""),
            "the reply is an empty body; the real host would wait for functionTimeout",
        ),
        (
            raw_reply("200 OK", Some("application/json"), "null"),
            "the reply is null; the real host would wait for functionTimeout",
        ),
    ] {
        let reply = call(&host, &bad);
        assert_eq!((reply.status, reply.body.len()), (500, 0), "{bad}");
        host.wait_err(why);
    }
    host.wait_out("Functions.Echo: one");
    host.wait_out("Functions.Echo: two");
}

#[test]
fn proxied_requests_pass_through_and_stream() {
    let app = fake_app("proxied", PROXYING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    let started = host.wait_out("fake: started port=");
    let handler_port = started
        .split("port=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let request = "GET /api/Echo?a=1&a=2&n=x+y HTTP/1.1\r\nHost: localhost:7071\r\nUser-Agent: curl/8.5.0\r\n\
                   Connection: keep-alive\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n";
    let reply = host.exchange(request.as_bytes());
    let expected = format!(
        "GET /api/Echo?a=1&a=2&n=x+y HTTP/1.1\r\nHost: 127.0.0.1:{handler_port}\r\nUser-Agent: curl/8.5.0\r\n\
         X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: localhost:7071\r\n\
         x-ms-invocation-id: <guid>\r\nX-Azure-Functions-HostVersion: 4.1037.0.0\r\nX-Azure-Functions-InvocationId: <guid>\r\n\r\n"
    );
    assert_eq!(without_guids(&reply.text()), expected);
    // A chunked request body stays chunked on its way to the handler.
    let chunked = "POST /api/Echo HTTP/1.1\r\nHost: localhost:7071\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    let raw = host.exchange(chunked.as_bytes()).text();
    let (head, body) = split_raw(&raw);
    assert!(head.ends_with("Transfer-Encoding: chunked"), "{head}");
    assert_eq!(dechunk(body.as_bytes()), b"abcde");
    // A chunked answer is streamed back chunked, with the handler's reason phrase.
    let streamed = "HTTP/1.1 201 Made\r\nX-R: 1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let reply = host.get(&format!("/api/Echo?reply={}", enc(streamed)));
    assert_eq!(reply.status_line, "HTTP/1.1 201 Made");
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.header("x-r"), Some("1"));
    assert_eq!(reply.text(), "hello world");
    // An HTTP/1.0 client cannot read chunks: the answer ends with the connection, even when
    // the client asked to keep it.
    let mut stream = host.connect();
    let request = format!(
        "GET /api/Echo?reply={} HTTP/1.0\r\nHost: localhost:7071\r\nConnection: keep-alive\r\n\r\n",
        enc(streamed)
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .expect("the answer, then the close");
    let (head, body) = split_raw(&raw);
    assert!(head.starts_with("HTTP/1.1 201 Made\r\n"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("transfer-encoding"),
        "{head}"
    );
    assert!(head.ends_with("\r\nConnection: close"), "{head}");
    assert_eq!(body, "hello world");
}

// ---- The handler process ----------------------------------------------------------------------

#[test]
fn the_handler_starts_as_the_host_starts_it() {
    let app = fake_app("environment", FORWARDING);
    let mut host = LocalHost::start_env(app.path(), None, &[], &[("FAKE_START_DELAY_MS", "300")]);
    let root = app.path().canonicalize().unwrap().display().to_string();
    let line = host.wait_out("fake: started port=");
    let field = |name: &str| {
        let start = line
            .find(&format!(" {name}="))
            .unwrap_or_else(|| panic!("{name} in {line}"))
            + name.len()
            + 2;
        line[start..].split(' ').next().unwrap().to_string()
    };
    let port = line
        .split("port=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(field("httpworker_port"), port);
    assert!(is_guid(&field("worker_id")), "{line}");
    assert_eq!(field("httpworker_id"), field("worker_id"));
    assert_eq!(field("root"), root);
    assert_eq!(field("cwd"), root);
    assert_eq!(field("runtime"), "custom");
    assert_eq!(field("setting"), "from-local-settings");
    assert_eq!(field("flag"), "True");
    // `%FUNCTIONS_CUSTOMHANDLER_PORT%` expanded, an unknown `%X%` deleted, "two words" split.
    assert_eq!(field("argc"), "4");
    assert!(
        line.ends_with(&format!("args=--port {port} two words")),
        "{line}"
    );
    // Readiness: a bare GET / (no host headers), any status will do.
    host.wait_out(&format!(
        "handler: fake: ping GET / HTTP/1.1|Host: 127.0.0.1:{port}||"
    ));
    // stdout lines are information, stderr lines errors (or warnings).
    host.wait_err("handler error: fake: an error line on stderr");
    host.wait_err("handler warning: fake: a Warning line on stderr");
    host.wait_out("Started handler (pid ");
    host.wait_out("Worker process started and initialized.");
}

#[test]
fn exit_code_200_restarts_without_counting() {
    let app = fake_app("exit-200", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    let mut pids = vec![host.handler_pid()];
    for round in 1..=4 {
        let reply = host.get("/api/Echo?exit=200");
        assert_eq!((reply.status, reply.body.len()), (500, 0));
        host.wait_count(
            true,
            "Language Worker Process exited and needs to be restarted.",
            round,
        );
        host.wait_count(true, "Worker process started and initialized.", round + 1);
        pids.push(host.handler_pid());
        assert_eq!(host.get("/api/Echo").status, 200);
    }
    pids.dedup();
    assert_eq!(pids.len(), 5, "a new process each time: {pids:?}");
    assert!(
        host.child.try_wait().unwrap().is_none(),
        "funchost keeps running"
    );
}

#[test]
fn three_errors_stop_the_host() {
    let app = fake_app("exit-3", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    for round in 1..=2 {
        assert_eq!(host.get("/api/Echo?exit=3").status, 500);
        host.wait_count(false, "exited with code 3 (0x3)", round);
        host.wait_count(true, "Worker process started and initialized.", round + 1);
    }
    let pid = host.handler_pid();
    // The host may stop before or after answering this one: only the exit is certain.
    let mut stream = host.connect();
    stream
        .write_all(curl("GET", "/api/Echo?exit=3", &[], "").as_bytes())
        .unwrap();
    if let Some(reply) = read_reply(&mut stream, false) {
        assert_eq!(reply.status, 500);
    }
    let status = host.wait_exit();
    assert_eq!(status.code(), Some(1));
    host.wait_err("Exceeded http worker restart retry count. Shutting down Functions Host");
    host.wait_err("handler error: fake: an error line on stderr");
    assert!(wait_gone(pid));
}

/// The handler's output is cut into lines as the host's .NET reader cuts it: at `\n`, `\r`, and
/// `\r\n` as one end. A line longer than funchost's bound is logged in pieces, while the
/// handler runs: a progress bar that never ends its line is seen, and does not grow funchost.
#[test]
fn output_lines_end_as_the_host_ends_them() {
    let app = fake_app("lines", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    let print = |host: &LocalHost, query: &str| {
        assert_eq!(host.get(&format!("/api/Echo?{query}")).status, 200);
    };
    print(&host, "print=progress%201%0Dprogress%202%0D");
    // Seen before anything else is written: nothing holds a line back for its `\n`.
    host.wait_out("handler: progress 1");
    host.wait_out("handler: progress 2");
    print(&host, "eprint=crlf%20end%0D%0Anext%20line%0A");
    print(&host, "print=y&repeat=70000");
    host.wait_err("handler error: crlf end");
    host.wait_err("handler error: next line");
    let piece = host.wait_out("yyyy");
    assert!(
        piece.ends_with(&format!("handler: {}", "y".repeat(64 * 1024))),
        "{}",
        piece.len()
    );
    host.drain();
    let errors: Vec<&String> = host
        .seen_err
        .iter()
        .filter(|l| l.contains("handler error:"))
        .collect();
    assert!(
        errors.iter().all(|l| !l.ends_with("handler error: ")),
        "{errors:#?}"
    );
    assert!(errors.iter().all(|l| !l.contains("\\r")), "{errors:#?}");
}

/// The pid in the fake's `fake: daemon pid N` line.
fn daemon_pid(line: &str) -> u32 {
    let pid = line.rsplit("daemon pid ").next().unwrap_or_default();
    pid.trim().parse().expect("a numeric pid")
}

/// What the handler starts outside its process group (a daemon: `setsid`, a group of its own)
/// carries its worker id, and dies with it: it would keep the port, so that the next handler
/// could not listen and its readiness ping got the daemon's answer.
#[test]
fn what_the_handler_started_outside_its_group_dies_with_it() {
    let app = fake_app("daemon", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    let first = host.handler_pid();
    // Answered 500, or 404 by the daemon when the call came on a pooled connection and its
    // retry on a new one (client.rs, as .NET) reached the daemon first: either will do.
    host.get("/api/Echo?daemon=keep&exit=3");
    let daemon = daemon_pid(&host.wait_out("fake: daemon pid "));
    let gone = wait_gone(daemon);
    if !gone {
        signal(&[daemon], "-KILL");
    }
    assert!(gone, "the daemon outlived the handler that started it");
    host.wait_count(true, "Worker process started and initialized", 2);
    assert_ne!(host.handler_pid(), first);
    assert_eq!(host.get("/api/Echo").status, 200);
    // And when funchost stops the handler.
    assert_eq!(host.get("/api/Echo?daemon=keep").status, 200);
    let daemon = daemon_pid(&host.wait_count(true, "fake: daemon pid ", 2));
    drop(host);
    let gone = wait_gone(daemon);
    if !gone {
        signal(&[daemon], "-KILL");
    }
    assert!(gone, "the daemon outlived funchost");
}

/// One that hides from that (its environment cleared) and holds the handler's port answers the
/// next handler's readiness ping, and that handler cannot listen: funchost names it before
/// starting the handler, rather than only "started and initialized".
#[test]
fn a_port_held_by_what_an_earlier_handler_left_is_named() {
    let app = fake_app("squat", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    // 500, or the squatter's 404 when the client's retry of a pooled connection reaches it.
    host.get("/api/Echo?daemon=hidden&exit=3");
    let warning = host.wait_err("the handler's port, is already listened on by pid ");
    let squatter: u32 = warning
        .split("by pid ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .expect("the squatter's pid");
    signal(&[squatter], "-KILL");
    assert!(warning.contains("fake_handler_entry_point"), "{warning}");
}

#[test]
fn exit_code_0_is_not_restarted() {
    let app = fake_app("exit-0", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    assert_eq!(host.get("/api/Echo?exit=0").status, 500);
    host.wait_err("The handler exited with code 0: it is not restarted");
    let reply = host.get("/api/Echo");
    assert_eq!((reply.status, reply.body.len()), (500, 0));
    host.wait_err("cannot connect to the handler");
    host.drain();
    assert_eq!(
        host.seen_out
            .iter()
            .filter(|l| l.contains("Started handler (pid "))
            .count(),
        1
    );
    assert!(
        host.child.try_wait().unwrap().is_none(),
        "funchost keeps running"
    );
}

#[test]
fn a_function_timeout_restarts_the_handler() {
    let app = fake_app("timeout", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &["--function-timeout", "1"]);
    let first = host.handler_pid();
    let reply = host.get("/api/Echo?hang=1");
    assert_eq!((reply.status, reply.body.len()), (500, 0));
    host.wait_err("Timeout value of 00:00:01 was exceeded by function: Functions.Echo");
    host.wait_count(true, "Worker process started and initialized.", 2);
    assert_ne!(host.handler_pid(), first);
    assert!(wait_gone(first));
    assert_eq!(host.get("/api/Echo").status, 200);
}

#[test]
fn stopping_funchost_kills_the_handler() {
    let app = fake_app("stop", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    let pid = host.handler_pid();
    assert!(!is_gone(pid));
    drop(host.stdin.take());
    assert!(host.wait_exit().success());
    assert!(wait_gone(pid));
}

/// How long the handler, and whatever it started, may take to die once funchost or its watcher
/// is gone: a kill, not a shutdown, so this is scheduling time only.
const REAPED_WITHIN: Duration = Duration::from_secs(3);

/// The fields of `/proc/PID/stat` after the command name (std has no process API): the state
/// first, then the parent's pid, …; field N of proc(5) is at N - 3. The name may hold spaces
/// and parentheses, so the split is at the last ')'.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, fields) = stat.rsplit_once(')')?;
    Some(fields.split_whitespace().map(str::to_string).collect())
}

fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// A process seen running, told apart from a later one that gets the same pid (pids wrap at
/// pid_max, 32768 here) by its start time.
#[derive(Debug, Clone, Copy)]
struct Process {
    pid: u32,
    started: u64,
}

impl Process {
    fn of(pid: u32) -> Process {
        let started = stat_fields(pid).and_then(|f| f.get(19)?.parse().ok());
        Process {
            pid,
            started: started.unwrap_or_else(|| panic!("process {pid} is not running")),
        }
    }

    /// Exited (a zombie counts) or reaped, its pid free or someone else's.
    fn is_gone(&self) -> bool {
        match stat_fields(self.pid) {
            None => true,
            Some(fields) => {
                fields.first().is_some_and(|state| state == "Z")
                    || fields.get(19).and_then(|s| s.parse().ok()) != Some(self.started)
            }
        }
    }
}

/// The one child process of `parent`, waiting up to `WAIT` for it to appear.
fn only_child(parent: u32) -> Process {
    let deadline = Instant::now() + WAIT;
    loop {
        let children: Vec<u32> = std::fs::read_dir("/proc")
            .expect("read /proc")
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
            .filter(|&pid| parent_of(pid) == Some(parent))
            .collect();
        match children[..] {
            [child] => return Process::of(child),
            _ if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => panic!("process {parent} has children {children:?}, not one"),
        }
    }
}

/// Sends `signal` to every process of `pids` at once, with one kill(1) (std has no signal API),
/// as `pkill` would.
fn signal(pids: &[u32], signal: &str) {
    let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
    let status = Command::new("kill")
        .arg(signal)
        .args(&pids)
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pids:?}");
}

/// funchost serving the forwarding fixture with `handler`: funchost, its watcher, the handler
/// and the handler's port.
fn start_watched(handler: &str) -> (LocalHost, Process, Process, u16) {
    let mut host = LocalHost::start(&fixture("forwarding"), Some(handler), &[]);
    let started = host.wait_out("Started handler (pid ");
    let port = started
        .rsplit("FUNCTIONS_CUSTOMHANDLER_PORT=")
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the handler's port");
    let watcher = only_child(host.child.id());
    (host, watcher, Process::of(pid_in(&started)), port)
}

/// Waits up to `REAPED_WITHIN` for `process` to end; fails, after killing it so that it does
/// not outlive the test too, if it does not.
fn assert_gone(process: Process, after: &str) {
    let deadline = Instant::now() + REAPED_WITHIN;
    while !process.is_gone() {
        if Instant::now() >= deadline {
            let _ = Command::new("kill")
                .args(["-KILL", &process.pid.to_string()])
                .status();
            panic!("process {} outlived {after}", process.pid);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts that `process` ends and `port` is free again within `REAPED_WITHIN`.
fn assert_reaped(process: Process, port: u16, after: &str) {
    let deadline = Instant::now() + REAPED_WITHIN;
    assert_gone(process, after);
    // Its other threads may still be letting go of the socket for a moment.
    while TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "port {port} is still taken after {after}"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_handler_never_outlives_funchost() {
    for kill in ["-TERM", "-KILL"] {
        let (mut host, _, handler, port) = start_watched(HANDLER);
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
        signal(&[host.child.id()], kill);
        assert!(!host.wait_exit().success(), "funchost {kill}");
        assert_reaped(handler, port, &format!("kill {kill} funchost"));
    }
}

/// `pkill funchost` signals funchost and its watcher alike, since both are named funchost. The
/// watcher is signalled first: were funchost first, the watcher could see it go and kill the
/// handler in the moment before its own signal lands, which would hide the case.
#[test]
fn the_handler_dies_with_funchost_and_its_watcher_killed_together() {
    for kill in ["-KILL", "-TERM"] {
        let (mut host, watcher, handler, port) = start_watched(HANDLER);
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
        signal(&[watcher.pid, host.child.id()], kill);
        assert!(!host.wait_exit().success(), "funchost {kill}");
        assert_reaped(handler, port, &format!("kill {kill} funchost watcher"));
    }
}

#[test]
fn the_handler_dies_with_its_watcher_and_funchost_starts_another() {
    let (mut host, watcher, handler, _) = start_watched(HANDLER);
    signal(&[watcher.pid], "-TERM");
    assert_gone(handler, "its watcher");
    // The host's rules: a worker that died is an error, and is started again on the same port.
    host.wait_count(true, "Worker process started and initialized.", 2);
    assert_ne!(host.handler_pid(), handler.pid);
    assert_eq!(host.get("/api/HelloRust?name=Again").status, 200);
}

/// A handler that is a wrapper script: the server is the script's child, not the script
/// itself, so killing the script's pid alone would leave the server listening.
#[test]
fn what_the_handler_started_dies_with_funchost() {
    let wrapper = TempDir::new("funchost-wrapper").with(
        "handler.sh",
        // Not `exec`: the server must be a child of the script, and the line after it keeps
        // a shell from turning the last command into an exec.
        &format!("#!/bin/sh\n'{HANDLER}' \"$@\"\necho \"wrapper: the server exited with $?\"\n"),
    );
    let script = wrapper.path().join("handler.sh");
    make_executable(&script);
    for end in ["stdin closed", "kill -TERM"] {
        let (mut host, _, shell, port) = start_watched(script.to_str().unwrap());
        let server = only_child(shell.pid);
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
        if end == "stdin closed" {
            drop(host.stdin.take());
            assert!(host.wait_exit().success());
        } else {
            signal(&[host.child.id()], "-TERM");
            assert!(!host.wait_exit().success());
        }
        assert_reaped(
            server,
            port,
            &format!("funchost ({end}): the wrapper's server"),
        );
        assert_gone(shell, &format!("funchost ({end}): the wrapper script"));
    }
}

// ---- Other endpoints and the command line -----------------------------------------------------

#[test]
fn landing_page_status_and_admin_invocations() {
    let app = fake_app("admin", FORWARDING);
    let mut host = LocalHost::start(app.path(), None, &[]);
    let base = format!("http://localhost:{}", host.port);
    host.wait_out(&format!(
        "\tTimer: timerTrigger (run it with funchost invoke Timer, or POST {{\"input\":…}} to {base}/admin/functions/Timer)"
    ));
    host.wait_out("\tQueue: queueTrigger (run it with funchost invoke Queue, or POST ");
    host.wait_out(&format!("\tEcho:  http://localhost:{}/api/Echo", host.port));
    host.wait_out(&format!(
        "\tItems: [GET] http://localhost:{}/api/items/{{id:int}}",
        host.port
    ));
    let reply = host.get("/");
    assert_eq!(reply.status, 200);
    assert!(reply
        .text()
        .contains("Your Functions 4.0 app is up and running"));
    let reply = host.get("/admin/host/status");
    assert_eq!(
        parse(&reply.text()).get("state").and_then(Value::as_str),
        Some("Running")
    );
    fn admin(host: &LocalHost, name: &str, body: &str) -> Reply {
        let request = curl(
            "POST",
            &format!("/admin/functions/{name}"),
            &[("Content-Type", "application/json")],
            body,
        );
        host.exchange(request.as_bytes())
    }
    assert_eq!(admin(&host, "Queue", r#"{"input":"hi"}"#).status, 202);
    host.wait_out("Functions.Queue: queueTrigger invocation -> 200 in ");
    host.wait_out("Functions.Queue: fake: triggered");
    // A timer runs by hand whatever the input, but an object is its TimerInfo's members
    // (here a directive the fake obeys): the host's admin API binds it so.
    assert_eq!(admin(&host, "Timer", r#"{"input":"hi"}"#).status, 202);
    // It has no output binding: its call's line names none.
    let called = host.wait_out("Functions.Timer: timerTrigger invocation -> 200 in ");
    assert!(called.ends_with(" ms"), "{called}");
    let given = r#"{"input":{"print":"given to the timer\n"}}"#;
    assert_eq!(admin(&host, "Timer", given).status, 202);
    host.wait_out("handler: given to the timer");
    assert_eq!(admin(&host, "Nope", "{}").status, 404);
    // No body is no invocation: 400 before the function is looked up, as the host answers.
    assert_eq!(admin(&host, "Nope", "").status, 400);
    assert_eq!(admin(&host, "Queue", "").status, 400);
    assert_eq!(admin(&host, "Queue", "null").status, 400);
    assert_eq!(admin(&host, "Echo", "{}").status, 400);
    // A blob trigger's input is a path in storage, which funchost has not.
    let reply = admin(&host, "Blob", r#"{"input":"in/a.txt"}"#);
    assert_eq!(
        (reply.status, reply.text()),
        (
            400,
            "Blob is a blobTrigger function: the host takes \"input\" as a blob's path \
             (container/name) and reads that blob from storage, which funchost does not have; \
             run it on a file instead: funchost invoke Blob --data FILE\n"
                .to_string()
        )
    );
    assert_eq!(host.get("/elsewhere").status, 404);
}

/// Runs `funchost ARGS` to its end with `stdin` as input.
fn run(args: &[&str], stdin: &str) -> (ExitStatus, String, String) {
    let mut child = Command::new(FUNCHOST)
        .args(args)
        .env("FUNCHOST_FAKE_BIN", std::env::current_exe().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run funchost");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let exited = wait_for_exit(child, WAIT * 2);
    (exited.status, exited.stdout, exited.stderr)
}

#[test]
fn invoke_sends_one_http_call_with_the_real_handler() {
    let forwarding = fixture("forwarding");
    let app = forwarding.to_str().unwrap();
    let (status, out, err) = run(
        &[
            "invoke",
            "HelloRust",
            "--app",
            app,
            "--handler",
            HANDLER,
            "--path",
            "/api/HelloRust?name=Rust",
        ],
        "",
    );
    assert!(status.success(), "{err}");
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(
        out.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"),
        "{out}"
    );
    assert!(
        out.ends_with(&format!("\r\n\r\n{}", greeting(Some("Rust")))),
        "{out}"
    );
    assert!(
        err.contains("Functions.HelloRust: GET /api/HelloRust?name=Rust -> 200 in "),
        "{err}"
    );
    let pid = pid_in(
        err.lines()
            .find(|l| l.contains("Started handler (pid "))
            .unwrap(),
    );
    assert!(wait_gone(pid), "the handler is stopped");

    // Payload mode, the body from stdin.
    let payload = fixture("payload");
    let app = payload.to_str().unwrap();
    let args = [
        "invoke",
        "HelloRust",
        "--app",
        app,
        "--handler",
        HANDLER,
        "--data",
        "-",
        "--header",
        "Content-Type: application/json",
    ];
    let (status, out, _) = run(&args, r#"{"name":"Azure"}"#);
    assert!(status.success());
    assert!(out.ends_with(&greeting(Some("Azure"))), "{out}");
}

/// invoke frames the body itself: a Content-Length given is replaced by the body's own, and
/// `Transfer-Encoding: chunked` asks for chunks, which proxying passes on as they are.
#[test]
fn invoke_frames_the_body_as_asked() {
    let app = fake_app("invoke-framing", PROXYING);
    let dir = app.path().to_str().unwrap();
    let received = |header: &str| {
        let args = [
            "invoke", "Echo", "--app", dir, "--data", "-", "--header", "X-A: 1", "--header", header,
        ];
        let (status, out, err) = run(&args, "abc");
        assert!(status.success(), "{header}: {err}");
        // The fake's answer is the request as it arrived.
        out.split_once("\r\n\r\n").unwrap().1.to_string()
    };
    for header in ["Content-Length: 99", "X-Mode: chunked"] {
        let request = received(header);
        assert!(request.contains("\r\nX-A: 1\r\n"), "{request}");
        assert!(
            request.ends_with("\r\nContent-Length: 3\r\n\r\nabc"),
            "{request}"
        );
        assert_eq!(request.matches("Content-Length").count(), 1, "{request}");
    }
    let request = received("Transfer-Encoding: chunked");
    assert!(
        request.ends_with("\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        "{request}"
    );
}

#[test]
fn invoke_reports_failures_in_its_exit_status() {
    let app = fake_app("invoke-fail", FORWARDING);
    let dir = app.path().to_str().unwrap();
    let teapot = raw_reply("418 I'm a teapot", Some("text/plain"), "no");
    let path = format!("/api/Echo?reply={}", enc(&teapot));
    let (status, out, _) = run(&["invoke", "Echo", "--app", dir, "--path", &path], "");
    assert_eq!(status.code(), Some(1));
    assert!(out.starts_with("HTTP/1.1 418 "), "{out}");
}

/// In a terminal, a response whose body does not end a line is followed by one, so the prompt
/// does not join it; into a pipe or file it is written as sent.
#[test]
fn invoke_ends_the_line_of_a_body_only_in_a_terminal() {
    let app = fake_app("invoke-terminal", FORWARDING);
    let dir = app.path().to_str().unwrap();
    let reply = raw_reply("200 OK", Some("text/plain"), "no");
    let path = format!("/api/Echo?reply={}", enc(&reply));
    let (status, out, _) = run(&["invoke", "Echo", "--app", dir, "--path", &path], "");
    assert!(status.success());
    assert!(out.ends_with("\r\n\r\nno"), "{out:?}");
    // util-linux's `script` runs it on a pseudo-terminal, which writes each LF as CR LF.
    let command = format!("{FUNCHOST} invoke Echo --app {dir} --path '{path}' 2>/dev/null");
    let shown = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("FUNCHOST_FAKE_BIN", std::env::current_exe().unwrap())
        .stdin(Stdio::null())
        .output()
        .expect("this test needs script (util-linux)");
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.ends_with("\r\r\n\r\r\nno\r\n"), "{shown:?}");
}

/// A handler that never answers: the host's 500 after the function timeout is the response,
/// printed like any other, rather than invoke giving up at the same moment.
#[test]
fn invoke_prints_the_500_of_a_function_timeout() {
    let app = fake_app("invoke-timeout", FORWARDING);
    let dir = app.path().to_str().unwrap();
    let call = ["invoke", "Echo", "--app", dir, "--path", "/api/Echo?hang=1"];
    // Given on the command line, then by host.json, as the host reads it.
    let host_json = app.path().join("host.json");
    let with_timeout = std::fs::read_to_string(&host_json).unwrap().replacen(
        r#"{"version":"2.0","#,
        r#"{"version":"2.0","functionTimeout":"00:00:01","#,
        1,
    );
    for given in [&["--function-timeout", "1"][..], &[]] {
        if given.is_empty() {
            std::fs::write(&host_json, &with_timeout).unwrap();
        }
        let (status, out, err) = run(&[&call[..], given].concat(), "");
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(
            out.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
            "stdout: {out:?}\nstderr: {err}"
        );
        assert!(
            err.contains("Timeout value of 00:00:01 was exceeded by function: Functions.Echo"),
            "{err}"
        );
        assert!(!err.contains("no answer from the local host"), "{err}");
    }
}

/// Options that mean nothing for the function called are a command-line mistake (exit status
/// 2, one line, no handler started), not silently dropped.
#[test]
fn invoke_refuses_options_that_do_not_apply() {
    let app = fake_app("invoke-options", FORWARDING);
    let dir = app.path().to_str().unwrap();
    let data = app.path().join("data.json");
    std::fs::write(&data, "{}").unwrap();
    let data = data.to_str().unwrap();
    let timer = "a timerTrigger function gets the host's invocation, not an HTTP request (its \
                 trigger's content is --data)";
    let forwarded = "the host forwards its HTTP request as is (enableForwardingHttpRequest), with \
                     no input bindings or trigger metadata";
    let cases: [(&[&str], String); 14] = [
        // A function the app lacks, or a call that cannot reach the one named.
        (
            &["Nope"],
            format!(
                "no function named Nope in {} (functions: Blob, Echo, Items, Multi, Queue, Timer)",
                app.path().canonicalize().unwrap().display()
            ),
        ),
        (
            &["Items", "--path", "/api/items/1", "--method", "POST"],
            "Items does not accept POST (methods: get); the host would answer 404".to_string(),
        ),
        (
            &["Items", "--path", "/api/items/one"],
            "/api/items/one does not reach Items (its URL is /api/items/{id:int})".to_string(),
        ),
        (
            &["Items"],
            "Items has the route /api/items/{id:int}: give --path".to_string(),
        ),
        (
            &["Queue"],
            "Queue is a queueTrigger function: give its trigger's content with --data FILE, or \
             --data - for stdin"
                .to_string(),
        ),
        (
            &["Timer", "--path", "/api/x"],
            format!("--path does not apply to Timer: {timer}"),
        ),
        (
            &["Timer", "--method", "POST"],
            format!("--method does not apply to Timer: {timer}"),
        ),
        (
            &["Timer", "--header", "X: y"],
            format!("--header does not apply to Timer: {timer}"),
        ),
        (
            &["Echo", "--metadata", "a=b"],
            format!("--metadata does not apply to Echo: {forwarded}"),
        ),
        (
            &["Echo", "--metadata-file", data],
            format!("--metadata-file does not apply to Echo: {forwarded}"),
        ),
        (
            &["Echo", "--input", "x=-"],
            format!("--input does not apply to Echo: {forwarded}"),
        ),
        // A file or value the function cannot use is the same kind of mistake.
        (
            &["Timer", "--input", "nope=-"],
            "Timer has no input binding \"nope\" (inputs: none; the trigger's data is --data)"
                .to_string(),
        ),
        (
            &["Timer", "--data", "-", "--input", "nope=-"],
            "only one of --data and --input can read stdin (-)".to_string(),
        ),
        (
            &["Timer", "--metadata-file", "/nonexistent/m.json"],
            "cannot read /nonexistent/m.json: No such file or directory (os error 2)".to_string(),
        ),
    ];
    for (args, message) in cases {
        let args: Vec<&str> = ["invoke", "--app", dir]
            .iter()
            .chain(args)
            .copied()
            .collect();
        let (status, out, err) = run(&args, "");
        assert_eq!(
            (status.code(), out.as_str(), err.as_str()),
            (Some(2), "", format!("funchost: {message}\n").as_str()),
            "{args:?}"
        );
    }
    // Multi has an output binding besides http, so the host invokes it in payload mode even
    // with forwarding on: metadata applies.
    let args = [
        "invoke",
        "Multi",
        "--app",
        dir,
        "--data",
        "-",
        "--metadata",
        "a=b",
    ];
    let (status, out, err) = run(&args, "hi");
    assert!(status.success(), "{err}");
    assert!(out.contains(r#""a":"\"b\"""#), "{out}");
}

#[test]
fn invoke_runs_non_http_functions_in_payload_mode() {
    let app = fake_app("invoke-timer", FORWARDING);
    let dir = app.path().to_str().unwrap();
    let timer = r#"{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}"#;
    let (status, out, err) = run(&["invoke", "Timer", "--app", dir, "--data", "-"], timer);
    assert!(status.success(), "{err}");
    let reply = parse(out.trim_end());
    let invocation = reply.get("ReturnValue").unwrap();
    assert_eq!(
        invocation.get("Data").unwrap().to_json(),
        format!(r#"{{"myTimer":{timer}}}"#)
    );
    let sys = invocation
        .get("Metadata")
        .and_then(|m| m.get("sys"))
        .unwrap();
    assert_eq!(sys.get("MethodName").and_then(Value::as_str), Some("Timer"));
    assert!(err.contains("Functions.Timer: fake: triggered"), "{err}");
    assert!(
        err.contains(r#"Functions.Timer: output 'out' = {"seen":true}"#),
        "{err}"
    );
    assert!(
        err.contains("Functions.Timer: timerTrigger invocation -> 200 in "),
        "{err}"
    );

    // A string is sent double-encoded, as the host sends strings.
    let data = app.path().join("message.json");
    std::fs::write(&data, r#""hello""#).unwrap();
    let (status, out, _) = run(
        &[
            "invoke",
            "Queue",
            "--app",
            dir,
            "--data",
            data.to_str().unwrap(),
        ],
        "",
    );
    assert!(status.success());
    let data = parse(out.trim_end())
        .get("ReturnValue")
        .and_then(|r| r.get("Data"))
        .unwrap()
        .to_json();
    assert_eq!(data, r#"{"msg":"\"hello\""}"#);

    // A reply the host cannot use fails the invocation.
    let bad = format!(
        r#"{{"reply":{}}}"#,
        Value::from(raw_reply("500 Internal Server Error", None, "")).to_json()
    );
    let (status, _, err) = run(&["invoke", "Timer", "--app", dir, "--data", "-"], &bad);
    assert_eq!(status.code(), Some(1));
    assert!(
        err.contains(
            "(failed: the handler answered 500 Internal Server Error, so the host fails the \
             invocation and writes no output (it reads a reply only with a 2xx status); in Azure \
             a timer is not retried: the next occurrence runs)"
        ),
        "{err}"
    );
}

/// The trigger metadata the host always sends, where the call gives none: a function reading
/// `DequeueCount` or a blob's `name` gets one, as in Azure; what `--metadata` gives wins.
#[test]
fn invoke_sends_the_trigger_metadata_the_host_always_sends() {
    let app = fake_app("invoke-metadata", FORWARDING);
    let dir = app.path().to_str().unwrap();
    let file = app.path().join("report.csv");
    std::fs::write(&file, "hello").unwrap();
    let file = file.to_str().unwrap();
    let sent = |args: &[&str], stdin: &str| {
        let (status, out, err) = run(&[&["invoke", "--app", dir][..], args].concat(), stdin);
        assert!(status.success(), "{err}");
        parse(out.trim_end()).get("ReturnValue").unwrap().clone()
    };
    let member = |invocation: &Value, part: &str, name: &str| {
        let value = invocation.get(part).and_then(|m| m.get(name));
        value.map_or("none".into(), Value::to_json)
    };
    let queue = sent(&["Queue", "--data", "-"], "hi");
    assert_eq!(member(&queue, "Metadata", "DequeueCount"), r#""1""#);
    for name in [
        "Id",
        "PopReceipt",
        "InsertionTime",
        "ExpirationTime",
        "NextVisibleTime",
    ] {
        assert_ne!(member(&queue, "Metadata", name), "none", "{name}");
    }
    let queue = sent(
        &["Queue", "--data", "-", "--metadata", "DequeueCount=4"],
        "hi",
    );
    assert_eq!(member(&queue, "Metadata", "DequeueCount"), r#""4""#);
    let blob = sent(&["Blob", "--data", file], "");
    assert_eq!(member(&blob, "Data", "blob"), r#""aGVsbG8=""#);
    assert_eq!(member(&blob, "Metadata", "name"), r#""\"report.csv\"""#);
    assert_eq!(
        member(&blob, "Metadata", "Uri"),
        r#""\"http://127.0.0.1:10000/devstoreaccount1/in/report.csv\"""#
    );
    let properties = member(&blob, "Metadata", "Properties");
    assert!(properties.contains(r#""ContentLength":5"#), "{properties}");
    let blob = sent(&["Blob", "--data", file, "--metadata", "name=b.txt"], "");
    assert_eq!(member(&blob, "Metadata", "name"), r#""\"b.txt\"""#);
    // A file whose name does not fit the path leaves its token unset, and says so.
    let txt = r#"{"bindings":[{"type":"blobTrigger","direction":"in","name":"blob","path":"in/{name}.txt"}]}"#;
    std::fs::write(app.path().join("Blob/function.json"), txt).unwrap();
    let args = ["invoke", "--app", dir, "Blob", "--data", file];
    let (status, out, err) = run(&args, "");
    assert!(status.success(), "{err}");
    let blob = parse(out.trim_end()).get("ReturnValue").unwrap().clone();
    assert_eq!(member(&blob, "Metadata", "name"), "none");
    assert!(
        err.contains("report.csv does not fit the blob path in/{name}.txt: Blob gets no name (give --metadata name=VALUE)"),
        "{err}"
    );
    let (_, _, err) = run(&[&args[..], &["--metadata", "name=r"]].concat(), "");
    assert!(!err.contains("does not fit"), "{err}");
    // Two tokens in the name: the host would split it, funchost cannot.
    let two = txt.replace("{name}.txt", "{name}.{ext}");
    std::fs::write(app.path().join("Blob/function.json"), two).unwrap();
    let (_, _, err) = run(&args, "");
    assert!(
        err.contains("funchost cannot split report.csv into the tokens of in/{name}.{ext}: Blob gets no name, ext (give --metadata name=VALUE)"),
        "{err}"
    );
    let timer = sent(&["Timer", "--data", "-"], r#"{"IsPastDue":true}"#);
    assert_eq!(
        member(&timer, "Data", "myTimer"),
        r#"{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}"#
    );
}

#[test]
fn command_line_errors_are_one_line() {
    let (status, out, err) = run(&["--bogus"], "");
    assert_eq!(
        (status.code(), out.as_str(), err.as_str()),
        (
            Some(2),
            "",
            "funchost: unknown option --bogus (see funchost --help)\n"
        )
    );
    let empty = TempDir::new("funchost-empty");
    let dir = empty.path().to_str().unwrap();
    let (status, _, err) = run(
        &["start", "--app", dir, "--port", &free_port().to_string()],
        "",
    );
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        err,
        format!(
            "funchost: no host.json in {} (give --app DIR)\n",
            empty.path().canonicalize().unwrap().display()
        )
    );
    let busy = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let forwarding = fixture("forwarding");
    let (status, _, err) = run(
        &[
            "start",
            "--app",
            forwarding.to_str().unwrap(),
            "--port",
            &port,
        ],
        "",
    );
    assert_eq!(status.code(), Some(1));
    assert!(
        err.starts_with(&format!("funchost: cannot listen on 127.0.0.1:{port}: "))
            && err.ends_with(
                " (another funchost or func start? give --port N, or Host.LocalHttpPort in \
                 local.settings.json)\n"
            )
            && err.lines().count() == 1,
        "{err}"
    );
    let (status, out, _) = run(&["--help"], "");
    assert!(status.success());
    assert!(out.contains("funchost [start] [--app DIR] [--port N] [--handler PATH]"));
    assert!(out.contains("funchost invoke NAME [--data FILE|-]"));
    assert!(out.lines().count() <= 45, "one screen");
}

/// A handler that is there but cannot be started (its interpreter is missing) fails each
/// start: the third failure in a row stops the host.
#[test]
fn a_handler_that_cannot_start_fails_three_times_then_stops() {
    let dir =
        TempDir::new("funchost-no-interpreter").with("handler.sh", "#!/nonexistent/interpreter\n");
    let script = dir.path().join("handler.sh");
    make_executable(&script);
    let forwarding = fixture("forwarding");
    let (status, _, err) = run(
        &[
            "start",
            "--app",
            forwarding.to_str().unwrap(),
            "--port",
            &free_port().to_string(),
            "--handler",
            script.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(status.code(), Some(1));
    let failed = format!("Failed to start http worker process: {}", script.display());
    assert_eq!(err.matches(&failed).count(), 3, "{err}");
    assert!(
        err.contains("Exceeded http worker restart retry count. Shutting down Functions Host"),
        "{err}"
    );
    assert!(err.ends_with("funchost: the handler did not start: Exceeded http worker restart retry count. Shutting down Functions Host\n"), "{err}");
}

/// A --handler with nothing there to start is said once, before anything starts, by start and
/// invoke alike.
#[test]
fn a_wrong_handler_is_one_line() {
    let forwarding = fixture("forwarding");
    let app = forwarding.to_str().unwrap();
    let cwd = std::env::current_dir().unwrap();
    let not_executable = TempDir::new("funchost-not-executable").with("handler", "");
    let plain = not_executable.path().join("handler");
    let plain = plain.to_str().unwrap();
    let cases = [
        (
            "./nope/handler",
            format!("{} does not exist", cwd.join("./nope/handler").display()),
        ),
        (
            "no-such-funchost-handler",
            "no-such-funchost-handler is neither a file in the current directory nor a command \
             on PATH"
                .to_string(),
        ),
        ("/", "/ is not a file".to_string()),
        (plain, format!("{plain} is not executable (chmod +x)")),
    ];
    for (handler, problem) in cases {
        let expected = format!("funchost: no handler to start: {problem} (--handler {handler})\n");
        let port = free_port().to_string();
        let start = ["start", "--app", app, "--port", &port, "--handler", handler];
        let invoke = ["invoke", "HelloRust", "--app", app, "--handler", handler];
        for args in [&start[..], &invoke[..]] {
            let (status, out, err) = run(args, "");
            assert_eq!(
                (status.code(), out.as_str(), err.as_str()),
                (Some(1), "", expected.as_str()),
                "{args:?}"
            );
        }
    }
}

#[test]
fn a_handler_not_built_yet_is_named_once_with_how_to_build_it() {
    let host = r#"{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"},"enableForwardingHttpRequest":true}}"#;
    let app = TempDir::new("funchost-not-built")
        .with("host.json", host)
        .with("Echo/function.json", ECHO);
    let dir = app.path().to_str().unwrap();
    let port = free_port().to_string();
    let (status, out, err) = run(&["start", "--app", dir, "--port", &port], "");
    assert_eq!((status.code(), out.as_str()), (Some(1), ""));
    let missing = app.path().canonicalize().unwrap().join("handler");
    assert_eq!(
        err,
        format!(
            "funchost: no handler to start: {} does not exist (host.json defaultExecutablePath \
             \"handler\"). Build it with ./build.sh, or run the debug build: cargo build, then \
             --handler target/debug/handler\n",
            missing.display()
        )
    );
}

/// Settings with which `func start` would not run this app as funchost does are warnings: another
/// language's worker, no storage for a trigger that needs it, a disabled function.
#[test]
fn settings_func_start_would_act_on_are_warnings() {
    let settings =
        r#"{"Values":{"FUNCTIONS_WORKER_RUNTIME":"node","AzureWebJobs.Queue.Disabled":"True"}}"#;
    let app = fake_app("settings", FORWARDING).with("local.settings.json", settings);
    let mut host = LocalHost::start(app.path(), None, &[]);
    for warning in [
        "FUNCTIONS_WORKER_RUNTIME is \"node\": func start would start that language's worker, \
         not this handler; a custom handler's is \"custom\"",
        "AzureWebJobsStorage is not set: func start would stop here (\"Missing value for \
         AzureWebJobsStorage in local.settings.json\"), as Blob has a trigger that needs \
         storage; give it UseDevelopmentStorage=true with Azurite running, or a connection string \
         (funchost needs neither)",
        "AzureWebJobs.Queue.Disabled is true: the host listens for none of Queue's events; an \
         HTTP call or the admin API still runs it, there as here",
    ] {
        host.wait_err(warning);
    }
    // What a quick start (no handler to run) warns of, for an app of one function.
    let warnings_of = |function: (&str, &str), settings: &str, env: &[(&str, &str)]| {
        let app = TempDir::new("funchost-settings-quick")
            .with("host.json", r#"{"version":"2.0"}"#)
            .with("local.settings.json", settings)
            .with(function.0, function.1);
        let port = free_port().to_string();
        let dir = app.path().to_str().unwrap();
        let args = [
            "start",
            "--app",
            dir,
            "--port",
            &port,
            "--handler",
            "/nonexistent/h",
        ];
        let exited = Command::new(FUNCHOST)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&exited.stderr).into_owned()
    };
    // An app of HTTP functions needs no storage, and the worker runtime a handler's needs (read
    // ignoring case, as Core Tools reads it).
    let settings = r#"{"Values":{"FUNCTIONS_WORKER_RUNTIME":"Custom"}}"#;
    let err = warnings_of(("Echo/function.json", ECHO), settings, &[]);
    assert!(!err.contains("func start would"), "{err}");
    assert!(err.contains("no handler to start"), "{err}");
    // An app that needs storage.
    let queue = ("Queue/function.json", QUEUE);
    let no_storage = "AzureWebJobsStorage is not set";
    let blank = warnings_of(queue, r#"{"Values":{"AzureWebJobsStorage":" "}}"#, &[]);
    assert!(blank.contains(no_storage), "{blank}");
    // An identity-based connection is storage too, given in Values or the environment.
    let identity = r#"{"Values":{"AzureWebJobsStorage__accountName":"dev"}}"#;
    let given = warnings_of(queue, identity, &[]);
    assert!(!given.contains(no_storage), "{given}");
    let from_env = warnings_of(queue, "{}", &[("AzureWebJobsStorage__accountName", "dev")]);
    assert!(!from_env.contains(no_storage), "{from_env}");
    // `1` disables as `true` does, and `0` does not.
    let disabled = |value: &str| {
        let settings = format!(
            r#"{{"Values":{{"AzureWebJobsStorage":"x","AzureWebJobs.Queue.Disabled":"{value}"}}}}"#
        );
        warnings_of(queue, &settings, &[]).contains("AzureWebJobs.Queue.Disabled is true")
    };
    assert!(disabled("1"));
    assert!(!disabled("0"));
    // Port 0 is no port to listen on.
    let zero = warnings_of(
        queue,
        r#"{"Host":{"LocalHttpPort":0},"Values":{"AzureWebJobsStorage":"x"}}"#,
        &[],
    );
    assert!(
        zero.contains("Host.LocalHttpPort 0 is not a port number; ignored"),
        "{zero}"
    );
}

/// `func start` listens on local.settings.json's `Host.LocalHttpPort` when not given `--port`.
#[test]
fn start_listens_on_the_local_http_port_of_local_settings() {
    let port = free_port();
    let settings = format!(r#"{{"Host":{{"LocalHttpPort":{port}}}}}"#);
    let app = TempDir::new("funchost-local-port")
        .with("host.json", "{}")
        .with("local.settings.json", &settings);
    let mut child = Command::new(FUNCHOST)
        .args(["start", "--watch-stdin", "--app"])
        .arg(app.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let started = loop {
        let line = out.recv_timeout(WAIT).expect("funchost starts");
        if line.contains("Host started on") {
            break line;
        }
    };
    assert!(
        started.contains(&format!("http://localhost:{port}")),
        "{started}"
    );
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

/// funchost starts the handler through itself, run again as its watcher: once `cargo build` had
/// replaced its binary, every restart failed with "No such file or directory", blamed on the
/// handler. Here the handler fails once, after funchost's binary is gone, and starts again.
#[test]
fn the_handler_restarts_after_funchost_itself_was_rebuilt() {
    let bin = TempDir::new("funchost-rebuilt-bin");
    let exe = bin.path().join("funchost");
    std::fs::copy(FUNCHOST, &exe).unwrap();
    let host = r#"{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"h.sh"},"enableForwardingHttpRequest":true}}"#;
    let script = format!(
        "#!/bin/sh\nif [ ! -e failed ]; then touch failed; sleep 1; exit 1; fi\nexec {HANDLER}\n"
    );
    let function =
        std::fs::read_to_string(fixture("forwarding").join("HelloRust/function.json")).unwrap();
    let app = TempDir::new("funchost-rebuilt")
        .with("host.json", host)
        .with("HelloRust/function.json", &function)
        .with("h.sh", &script);
    make_executable(&app.path().join("h.sh"));
    let mut local = LocalHost::spawn_exe(&exe, app.path(), None, &[], &[]);
    local.wait_out("Started handler");
    std::fs::remove_file(&exe).unwrap();
    local.wait_count(true, "Started handler", 2);
    local.wait_out("Host started on");
    let reply = local.get("/api/HelloRust?name=Again");
    assert_eq!(reply.text(), greeting(Some("Again")));
}

/// `funchost ... 2>&1 | head -1`: a reader that goes away made the next line on stderr a panic,
/// exit status 101. Closing the pipe before funchost has read its app files, it exits 1 as it
/// would with the pipe open.
#[test]
fn a_closed_stderr_does_not_change_the_exit_status() {
    let app = TempDir::new("funchost-closed-stderr")
        .with("host.json", "{}")
        .with("Echo/function.json", "{not json");
    for closed in ["stderr", "stdout"] {
        let mut child = Command::new(FUNCHOST)
            .args(["start", "--app", app.path().to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        match closed {
            "stderr" => drop(child.stderr.take()),
            _ => drop(child.stdout.take()),
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(1), "{closed} closed");
    }
}

/// `funchost start` on an app whose one function, Echo, has `function_json`, which it must
/// refuse: exit status 1. Its stderr, and the path of the file it should name.
fn refused_start(name: &str, function_json: &str) -> (String, PathBuf) {
    let app = TempDir::new(name)
        .with("host.json", "{}")
        .with("Echo/function.json", function_json);
    let port = free_port().to_string();
    let dir = app.path().to_str().unwrap();
    let (status, _, err) = run(&["start", "--app", dir, "--port", &port], "");
    assert_eq!(status.code(), Some(1), "{err}");
    let file = app
        .path()
        .canonicalize()
        .unwrap()
        .join("Echo/function.json");
    (err, file)
}

#[test]
fn a_route_the_host_cannot_parse_stops_funchost_and_a_mixed_segment_routes() {
    let echo = |route: &str| {
        ECHO.replace(
            r#""authLevel""#,
            &format!("\"route\":{route:?},\"authLevel\""),
        )
    };
    let (err, file) = refused_start("funchost-route", &echo("items/{id}/{ID}"));
    assert_eq!(
        err,
        format!(
            "funchost: {}: route \"api/items/{{id}}/{{ID}}\": the parameter \"ID\" appears more \
             than once\n",
            file.display()
        )
    );
    // Text and parameters in one segment, as ASP.NET routes them.
    let app =
        fake_app("route-mixed", FORWARDING).with("Echo/function.json", &echo("files/{name}.{ext}"));
    let host = LocalHost::start(app.path(), None, &[]);
    assert_eq!(host.get("/api/files/report.v2.pdf").status, 200);
    assert_eq!(host.get("/api/files/report").status, 404);
}

#[test]
fn an_unknown_method_stops_funchost_and_a_method_member_is_a_warning() {
    let echo = |methods: &str| ECHO.replace(r#""authLevel""#, &format!("{methods},\"authLevel\""));
    let (err, file) = refused_start("funchost-pots", &echo(r#""methods":["get","pots"]"#));
    assert_eq!(
        err,
        format!(
            "funchost: {}: bindings[0]: methods: \"pots\" is not an HTTP method (get, post, put, \
             delete, head, patch, options, trace)\n",
            file.display()
        )
    );
    // The host ignores `method`: every method reaches the function, and funchost says why.
    let app = fake_app("method-typo", FORWARDING)
        .with("Echo/function.json", &echo(r#""method":["get"]"#));
    let mut host = LocalHost::start(app.path(), None, &[]);
    host.wait_err("Echo/function.json: bindings[0]: \"method\" is not a binding property");
    let delete = curl("DELETE", "/api/Echo", &[], "");
    assert_eq!(host.exchange(delete.as_bytes()).status, 200);
}

/// funchost reads function.json as the handler does: a typo of a binding type stops it, naming
/// the file, the type and what was meant; a type far from every known one is one warning.
#[test]
fn a_typo_of_a_binding_type_stops_funchost_and_an_unknown_type_is_a_warning() {
    let timer = |output: &str| {
        format!(
            r#"{{"bindings":[{{"type":"timerTrigger","direction":"in","name":"t","schedule":"0 0 * * * *"}},{{"type":"{output}","direction":"out","name":"out","queueName":"q"}}]}}"#
        )
    };
    let (err, file) = refused_start("funchost-binding-typo", &timer("queu"));
    assert_eq!(
        err,
        format!(
            "funchost: {}: bindings[1]: type \"queu\" is not a known binding type (did you mean \
             \"queue\"?); the host refuses a function whose binding type is not registered\n",
            file.display()
        )
    );
    let app = fake_app("binding-type", FORWARDING).with("Odd/function.json", &timer("frobnicator"));
    let mut host = LocalHost::start(app.path(), None, &[]);
    let file = app.path().canonicalize().unwrap().join("Odd/function.json");
    let warning = format!(
        "{}: bindings[1]: type \"frobnicator\" is not a known binding type; the host refuses a \
         function whose binding type is not registered",
        file.display()
    );
    host.wait_err(&warning);
    host.drain();
    let said = host
        .seen_err
        .iter()
        .filter(|l| l.contains(&warning))
        .count();
    assert_eq!(said, 1, "{:#?}", host.seen_err);
}

#[test]
fn a_panic_is_logged_with_one_label() {
    let app = support::example("app");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/app");
    let mut host = LocalHost::start(&root, Some(app.to_str().unwrap()), &[]);
    let reply = host.get("/v1/Boom");
    assert_eq!(reply.status, 500);
    let line = host.wait_err("panicked at");
    assert!(line.contains("] handler error: panicked at "), "{line}");
}
