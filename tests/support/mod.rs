//! Shared by the socket tests: start the real handler binary on a free port, and speak raw
//! HTTP/1.1 to it where ureq cannot.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for any one answer before failing instead of hanging.
pub const WAIT: Duration = Duration::from_secs(10);

/// The handler binary, running until dropped.
pub struct Server {
    pub port: u16,
    child: Child,
    /// Lines the handler prints on stdout after its first.
    pub stdout: Receiver<String>,
    /// Lines the handler prints on stderr.
    pub stderr: Receiver<String>,
}

impl Server {
    /// Starts the handler on a free port and waits for its "listening" line.
    pub fn start() -> Server {
        Server::start_with(&[], None)
    }

    /// Starts the handler with extra environment variables and an optional working directory.
    pub fn start_with(envs: &[(&str, &str)], cwd: Option<&Path>) -> Server {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_handler"));
        command
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = cwd {
            command.current_dir(dir);
        }
        let mut child = command.spawn().expect("start the handler binary");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let first = stdout.recv_timeout(WAIT).unwrap_or_else(|_| {
            let errors: Vec<String> = stderr.try_iter().collect();
            panic!("handler printed no listening line; stderr: {errors:?}")
        });
        assert!(first.contains(&format!("127.0.0.1:{port}")), "unexpected first line: {first}");
        Server { port, child, stdout, stderr }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// A new connection with read and write timeouts, so a test fails rather than hangs.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr()).expect("connect to the handler");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        stream
    }

    /// Sends raw bytes on a new connection and reads one response.
    pub fn exchange(&self, request: &[u8]) -> Reply {
        let mut stream = self.connect();
        stream.write_all(request).unwrap();
        read_reply(&mut stream, false).expect("a response")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port()
}

fn lines(source: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// One HTTP response as read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// The status line, e.g. `HTTP/1.1 200 OK`.
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

/// Reads exactly one response from `stream` (`head_request`: it answers a HEAD, so no body
/// follows its Content-Length). `None` if the connection closed before a status line.
pub fn read_reply(stream: &mut TcpStream, head_request: bool) -> Option<Reply> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) if head.is_empty() => return None,
            Ok(_) => panic!("connection closed inside a response head: {:?}", String::from_utf8_lossy(&head)),
            Err(e) if head.is_empty() && e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut => return None,
            Err(e) => panic!("reading a response head: {e}; got {:?}", String::from_utf8_lossy(&head)),
        }
    }
    let text = String::from_utf8(head).expect("ASCII head");
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap().to_string();
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header colon");
            (n.to_string(), v.trim().to_string())
        })
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().expect("numeric Content-Length"));
    let mut body = vec![0u8; if head_request || status < 200 { 0 } else { length.unwrap_or(0) }];
    stream.read_exact(&mut body).expect("the whole body");
    Some(Reply { status, status_line, headers, body })
}

/// Whether the server has closed `stream`: a read sees end of stream (or a reset) within `WAIT`.
pub fn is_closed(stream: &mut TcpStream) -> bool {
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return false,
            Err(_) => return true,
        }
    }
    false
}

/// A GET for `target` with a Host header, as bytes.
pub fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes()
}

/// The body HelloRust answers for `name` (or none).
pub fn greeting(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("Hello, {name}. This HTTP triggered function executed successfully."),
        None => "This HTTP triggered function executed successfully. Pass a name in the query string for a personalized response.".to_string(),
    }
}

/// Reads `/proc/PID/status` field `name` (e.g. `VmRSS`, `Threads`) as its first number.
pub fn proc_status(pid: u32, name: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(&format!("{name}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
