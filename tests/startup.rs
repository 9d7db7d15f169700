//! The process contract with the Functions host: the port variable, the listening line, exit
//! codes for bad configuration, and the readiness probe (azure-host.md §1.2-1.6). Each test runs
//! the real binary with `std::process::Command`.
//!
//! A function that panics answering 500 is covered through the library (`app::respond`) in
//! tests/pure.rs: no function in the shipped table panics, so the binary cannot show it.
#![forbid(unsafe_code)]
mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::{free_port, greeting, read_reply, wait_for_exit, Server, WAIT};

const PORT_VAR: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";

/// A handler process started directly, with its output collected on threads.
fn spawn(port: Option<&std::ffi::OsStr>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_handler"));
    command
        .env_remove(PORT_VAR)
        // As the host does: the app root is this project, with its host.json and HelloRust.
        .env("FUNCTIONS_APP_ROOT_PATH", env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(port) = port {
        command.env(PORT_VAR, port);
    }
    command.spawn().expect("start the handler binary")
}

/// Kills a child when dropped, so a failing assertion never leaves a handler running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The host's readiness probe, byte for byte what .NET's HttpClient sends for a bare
/// `HttpRequestMessage(GET, "http://127.0.0.1:PORT/")` (azure-host.md §1.5).
fn probe(port: u16) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").into_bytes()
}

fn connect(port: u16) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    Ok(stream)
}

fn assert_is_http_status_line(line: &str) {
    let mut parts = line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {line:?}");
    let code = parts.next().unwrap_or("");
    assert!(
        code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()),
        "status line {line:?}"
    );
}

#[test]
fn port_unset_listens_on_3000_and_says_the_variable_is_unset() {
    let mut child = spawn(None);
    let stdout = pipe_lines(child.stdout.take().unwrap());
    let stderr = pipe_lines(child.stderr.take().unwrap());
    let mut child = Running(child);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(line) = stdout.try_recv() {
            // The handler got port 3000: the line says where, and why 3000.
            assert!(
                line.starts_with("listening on http://127.0.0.1:3000"),
                "first stdout line: {line:?}"
            );
            assert!(
                line.contains(PORT_VAR) && line.contains("unset"),
                "the line should say {PORT_VAR} is unset: {line:?}"
            );
            // And it really is this handler answering there.
            let mut stream = connect(3000).expect("connect to 127.0.0.1:3000");
            stream
                .write_all(&support::get("/api/HelloRust?name=Default"))
                .unwrap();
            let reply = read_reply(&mut stream, false).expect("a response");
            assert_eq!(reply.status, 200);
            assert_eq!(reply.text(), greeting(Some("Default")));
            return;
        }
        if let Some(status) = child.0.try_wait().unwrap() {
            // Port 3000 is taken on this machine: the handler must still have tried 3000 and
            // failed the way a taken port fails.
            let errors = all_lines(&stderr);
            eprintln!("note: port 3000 is in use here; checked the refusal instead: {errors:?}");
            assert!(!status.success() && status.code() != Some(200), "{status}");
            assert_eq!(errors.len(), 1, "stderr: {errors:?}");
            assert!(errors[0].contains("127.0.0.1:3000"), "stderr: {errors:?}");
            assert_eq!(
                all_lines(&stdout),
                Vec::<String>::new(),
                "nothing on stdout"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no listening line and no exit within {WAIT:?}"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// The lines of a child's pipe, read on a thread.
fn pipe_lines(source: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for line in std::io::BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Every line until the pipe closes (the process has exited), failing after `WAIT`.
fn all_lines(rx: &std::sync::mpsc::Receiver<String>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(WAIT) {
            Ok(line) => lines.push(line),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return lines,
            Err(e) => panic!("the pipe did not close: {e}"),
        }
    }
}

#[test]
fn port_set_listening_line_names_the_port_and_no_default() {
    let port = free_port();
    let mut child = spawn(Some(port.to_string().as_ref()));
    let stdout = pipe_lines(child.stdout.take().unwrap());
    let _child = Running(child);
    let line = stdout.recv_timeout(WAIT).expect("a listening line");
    let prefix = format!("listening on http://127.0.0.1:{port}");
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("line {line:?}"));
    // The port ends there (3000 is not 30001), and nothing says a default was used.
    assert!(rest.is_empty() || rest.starts_with(' '), "line {line:?}");
    assert!(!line.contains("unset"), "line {line:?}");
}

/// Each bad value: exit code 2, one stderr line naming the variable and the value, no panic
/// message, nothing on stdout.
fn assert_bad_port_refused(value: &std::ffi::OsStr, shown: &str) {
    let exited = wait_for_exit(spawn(Some(value)), WAIT);
    assert_eq!(
        exited.status.code(),
        Some(2),
        "value {value:?}: {}",
        exited.status
    );
    assert_eq!(exited.stdout, "", "value {value:?}: nothing on stdout");
    let lines: Vec<&str> = exited.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "value {value:?}: stderr {:?}",
        exited.stderr
    );
    assert!(
        exited.stderr.ends_with('\n'),
        "value {value:?}: stderr {:?}",
        exited.stderr
    );
    let line = lines[0];
    assert!(line.contains(PORT_VAR), "value {value:?}: {line:?}");
    // Quoted, so that an empty value or a stray space is visible.
    assert!(
        line.contains(&format!("\"{shown}\"")),
        "value {value:?} should appear quoted: {line:?}"
    );
    assert!(!line.contains("panicked"), "value {value:?}: {line:?}");
}

#[test]
fn bad_port_values_exit_2_with_one_stderr_line() {
    for value in ["abc", "70000", "", " 80", "0"] {
        assert_bad_port_refused(value.as_ref(), value);
    }
}

#[test]
fn signed_padded_and_out_of_range_port_values_exit_2() {
    for value in [
        "+80",
        "-1",
        "80 ",
        "65536",
        "3000abc",
        "99999999999999999999",
    ] {
        assert_bad_port_refused(value.as_ref(), value);
    }
}

#[cfg(unix)]
#[test]
fn non_utf8_port_value_exits_2() {
    use std::os::unix::ffi::OsStrExt;
    let value = std::ffi::OsStr::from_bytes(b"80\xff");
    assert_bad_port_refused(value, "80\u{fffd}");
}

#[test]
fn port_in_use_exits_non_zero_not_200_with_one_clear_line() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let exited = wait_for_exit(spawn(Some(port.to_string().as_ref())), WAIT);
    let code = exited.status.code();
    assert!(
        code.is_some() && code != Some(0) && code != Some(200),
        "exit: {}",
        exited.status
    );
    assert_eq!(exited.stdout, "", "nothing on stdout");
    let lines: Vec<&str> = exited.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr {:?}", exited.stderr);
    assert!(lines[0].contains(&format!("127.0.0.1:{port}")), "{lines:?}");
    assert!(!lines[0].contains("panicked"), "{lines:?}");
    drop(taken);
}

#[test]
fn listens_on_ipv4_loopback_only() {
    let server = Server::start();
    let mut stream = connect(server.port).expect("connect to 127.0.0.1");
    assert_eq!(
        stream.peer_addr().unwrap(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, server.port))
    );
    stream.write_all(&probe(server.port)).unwrap();
    let reply = read_reply(&mut stream, false).expect("a response");
    assert_is_http_status_line(&reply.status_line);
    // Not on the IPv6 loopback: the host never connects there, and "localhost" must not
    // quietly work in one place and not another.
    assert!(TcpStream::connect((Ipv6Addr::LOCALHOST, server.port)).is_err());
}

#[test]
fn readiness_probe_gets_an_http_answer() {
    let server = Server::start();
    let mut stream = connect(server.port).unwrap();
    stream.write_all(&probe(server.port)).unwrap();
    let reply = read_reply(&mut stream, false).expect("the probe is answered");
    assert_is_http_status_line(&reply.status_line);
    assert!((100..600).contains(&reply.status), "{}", reply.status_line);
}

#[test]
fn readiness_probe_connection_is_reused_for_invocations() {
    // The host sends probes and invocations through one pooled HttpClient: the probe's
    // connection stays open and carries the next request.
    let server = Server::start();
    let mut stream = connect(server.port).unwrap();
    stream.write_all(&probe(server.port)).unwrap();
    let reply = read_reply(&mut stream, false).expect("the probe is answered");
    assert_ne!(reply.header("Connection"), Some("close"));
    stream
        .write_all(&support::get("/api/HelloRust?name=Reused"))
        .unwrap();
    let reply = read_reply(&mut stream, false).expect("the invocation is answered");
    assert_eq!(reply.text(), greeting(Some("Reused")));
}

#[test]
fn probe_loop_right_after_spawn_is_answered_on_first_connection() {
    // As the host does: start the process and poll at once, treating a refused connection as
    // "not yet". The first connection that is accepted must be answered.
    const MAX_ATTEMPTS: u32 = 10_000;
    let port = free_port();
    let mut child = Running(spawn(Some(port.to_string().as_ref())));
    let mut attempts = 0;
    let mut stream = loop {
        attempts += 1;
        match connect(port) {
            Ok(stream) => break stream,
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused,
                    "attempt {attempts}: {e}"
                );
                assert!(attempts < MAX_ATTEMPTS, "never accepted a connection");
                assert!(
                    child.0.try_wait().unwrap().is_none(),
                    "the handler exited during start-up"
                );
                thread::sleep(Duration::from_millis(1));
            }
        }
    };
    stream.write_all(&probe(port)).unwrap();
    let reply = read_reply(&mut stream, false).expect("the first accepted probe is answered");
    assert_is_http_status_line(&reply.status_line);
}

/// `HANDLER_LOG_REQUESTS=1` prints one line per request with method, path, status,
/// microseconds and the host's invocation id.
#[test]
fn request_log_line_when_asked_for() {
    let server = Server::start_with(&[("HANDLER_LOG_REQUESTS", "1")], None);
    let reply = server.exchange(
        b"GET /api/HelloRust?name=Log HTTP/1.1\r\nHost: h\r\n\
          X-Azure-Functions-InvocationId: 0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11\r\n\r\n",
    );
    assert_eq!(reply.status, 200);
    let line = server
        .stdout
        .recv_timeout(WAIT)
        .expect("a request log line");
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields.len(), 5, "{line}");
    assert_eq!(&fields[..3], ["GET", "/api/HelloRust", "200"], "{line}");
    let micros = fields[3].strip_suffix("us").expect("microseconds");
    assert!(micros.parse::<u64>().is_ok(), "{line}");
    assert_eq!(fields[4], "id=0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11");

    // Without an invocation id (a direct call) the line ends after the time.
    assert_eq!(server.exchange(&support::get("/nope")).status, 404);
    let line = server.stdout.recv_timeout(WAIT).expect("a second log line");
    assert!(
        line.starts_with("GET /nope 404 ") && line.ends_with("us"),
        "{line}"
    );
}

/// Off by default: the host logs every stdout line, so a quiet handler prints nothing per request.
#[test]
fn no_request_log_line_by_default() {
    let server = Server::start();
    for _ in 0..3 {
        assert_eq!(server.exchange(&support::get("/api/HelloRust")).status, 200);
    }
    // A line would be written before the response left; give the reader thread time to see it.
    let extra = server.stdout.recv_timeout(Duration::from_millis(500));
    assert!(extra.is_err(), "unexpected stdout line: {extra:?}");
}
