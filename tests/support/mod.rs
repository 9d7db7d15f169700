//! Shared by the socket tests: start the real handler binary on a free port, and speak raw
//! HTTP/1.1 to it where ureq cannot.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// The seeded generator of the randomized tests, the same file the library's unit tests use.
#[path = "../../src/xorshift.rs"]
pub mod xorshift;

/// How long a test waits for any one answer before failing instead of hanging.
pub const WAIT: Duration = Duration::from_secs(10);

/// The handler binary, running until dropped.
pub struct Server {
    pub port: u16,
    child: Child,
    /// The first line on stdout: `listening on http://127.0.0.1:PORT ...`.
    pub listening: String,
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
        Server::start_program(Path::new(env!("CARGO_BIN_EXE_handler")), envs, cwd)
    }

    /// Starts `program` (the handler, or an example built on the library) like `start_with`.
    pub fn start_program(program: &Path, envs: &[(&str, &str)], cwd: Option<&Path>) -> Server {
        let port = free_port();
        let mut child = command(program, port, envs, cwd)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let first = stdout.recv_timeout(WAIT).unwrap_or_else(|_| {
            let errors: Vec<String> = stderr.try_iter().collect();
            panic!("handler printed no listening line; stderr: {errors:?}")
        });
        assert!(
            first.contains(&format!("127.0.0.1:{port}")),
            "unexpected first line: {first}"
        );
        Server {
            port,
            child,
            listening: first,
            stdout,
            stderr,
        }
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
    handler::http::unused_port().expect("a free port")
}

/// The lines `source` prints, as they come.
pub fn lines(source: impl Read + Send + 'static) -> Receiver<String> {
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
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

/// How many interruptions in a row `read_retrying` lets pass before it gives the error back.
const MAX_INTERRUPTS: usize = 100;

/// `source.read(buf)`, again when it was interrupted (EINTR): a process that is stopped and
/// continued (a job-control stop, a debugger, a cgroup freezer) sees that from reads on sockets
/// with a timeout even without any signal handler (signal(7)). It says nothing about the peer,
/// so it must not count as a closed connection.
pub fn read_retrying(source: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut interrupts = 0;
    loop {
        match source.read(buf) {
            Err(e)
                if e.kind() == std::io::ErrorKind::Interrupted && interrupts < MAX_INTERRUPTS =>
            {
                interrupts += 1;
            }
            result => return result,
        }
    }
}

/// Reads exactly one response from `stream` (`head_request`: it answers a HEAD, so no body
/// follows its Content-Length). `None` if the connection closed before a status line.
pub fn read_reply(stream: &mut TcpStream, head_request: bool) -> Option<Reply> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match read_retrying(stream, &mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) if head.is_empty() => return None,
            Ok(_) => panic!(
                "connection closed inside a response head: {:?}",
                String::from_utf8_lossy(&head)
            ),
            Err(e)
                if head.is_empty()
                    && e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut =>
            {
                return None
            }
            Err(e) => panic!(
                "reading a response head: {e}; got {:?}",
                String::from_utf8_lossy(&head)
            ),
        }
    }
    let text = String::from_utf8(head).expect("ASCII head");
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap().to_string();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
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
    let mut body = vec![
        0u8;
        if head_request || status < 200 {
            0
        } else {
            length.unwrap_or(0)
        }
    ];
    stream.read_exact(&mut body).expect("the whole body");
    Some(Reply {
        status,
        status_line,
        headers,
        body,
    })
}

/// Takes every linger permit of the server at `addr`: `MAX_LINGERING` keep-alive connections,
/// each answered once (a GET of `target`), whose workers then wait on them. A connection served
/// after these cannot have a worker of its own: it is swept from its first answer on, the
/// sweeper's path, without waiting out `LINGER` (a minute). Keep the returned connections open
/// while that should hold.
pub fn take_linger_permits(addr: SocketAddr, target: &str) -> Vec<TcpStream> {
    let request = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
    let held: Vec<TcpStream> = (0..handler::http::limits::MAX_LINGERING)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            stream.set_read_timeout(Some(WAIT)).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            read_reply(&mut stream, false).expect("an answer");
            stream
        })
        .collect();
    // A worker takes its permit just after its answer is out: let the last ones get there.
    thread::sleep(Duration::from_millis(100));
    held
}

/// Whether the server has closed `stream`: a read sees end of stream (or a reset) within `WAIT`.
pub fn is_closed(stream: &mut TcpStream) -> bool {
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        match read_retrying(stream, &mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
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
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// An example program built on the library (`examples/<name>.rs`), next to the handler binary.
/// `cargo test` builds examples, but `cargo test --test NAME` does not, and a build of one
/// target does not rebuild the others: so build it here once per test process (a no-op when it
/// is fresh).
pub fn example(name: &str) -> std::path::PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let handler = Path::new(env!("CARGO_BIN_EXE_handler"));
    let dir = handler.parent().expect("the target directory");
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let release = dir.file_name() == Some("release".as_ref());
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name])
            .args(release.then_some("--release"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo");
        assert!(status.success(), "cargo build --example {name} failed");
        built.push(name.to_string());
    }
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// What a process that exits by itself left behind.
pub struct Exited {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program` with a free port, `envs` and `cwd` until it exits by itself; kills it and
/// fails if it is still running after `WAIT` (it should have refused to start).
pub fn run_to_exit(program: &Path, envs: &[(&str, &str)], cwd: Option<&Path>) -> Exited {
    let child = command(program, free_port(), envs, cwd)
        .spawn()
        .expect("start the program");
    wait_for_exit(child, WAIT)
}

/// `program` as the host starts a handler: `FUNCTIONS_CUSTOMHANDLER_PORT=port`, then `envs`,
/// in `cwd` if given; stdin empty, stdout and stderr piped for the test to read.
fn command(program: &Path, port: u16, envs: &[(&str, &str)], cwd: Option<&Path>) -> Command {
    let mut command = Command::new(program);
    command
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    command
}

/// Waits for `child` to exit on its own, collecting its stdout and stderr; kills it and fails
/// if it is still running after `limit`.
pub fn wait_for_exit(mut child: Child, limit: Duration) -> Exited {
    let collect = |mut source: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = source.read_to_string(&mut text);
            text
        })
    };
    let stdout = collect(Box::new(child.stdout.take().unwrap()));
    let stderr = collect(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a child process did not exit within {limit:?}");
        }
        thread::sleep(Duration::from_millis(5));
    };
    Exited {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A new empty directory whose name includes `name` and the test process's id.
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("handler-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    /// Writes `text` to `relative` (creating its folders) and returns the directory.
    pub fn with(self, relative: &str, text: &str) -> TempDir {
        let file = self.0.join(relative);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
        self
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `body` as a chunked message body in chunks of at most `size` bytes, as .NET's HttpClient
/// sends an `ObjectContent` (azure-host.md §4.1).
pub fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(size.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// The host's payload-mode invocation of `function`, byte for byte as its HttpClient sends it
/// (azure-host.md §4.1): `POST /<function>`, JSON, chunked.
pub fn invocation(port: u16, function: &str, json: &str) -> Vec<u8> {
    let mut request = format!(
        "POST /{function} HTTP/1.1\r\n\
         Host: 127.0.0.1:{port}\r\n\
         User-Agent: Azure-Functions-Host/4.1037.0.0\r\n\
         X-Azure-Functions-HostVersion: 4.1037.0.0\r\n\
         X-Azure-Functions-InvocationId: 0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11\r\n\
         Content-Type: application/json; charset=utf-8\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    request.extend(chunked(json.as_bytes(), 4096));
    request
}

/// A parsed head with its text owned, for comparing with expectations (the library's head
/// points into the buffer it was parsed from). Values that are not UTF-8 are decoded lossily.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The target in origin form, as received (`/path?query`); an absolute-form target is
    /// reduced to its path and query.
    pub target: String,
    pub version: handler::http::parse::Version,
    pub headers: Vec<(String, String)>,
    pub body: handler::http::parse::BodyKind,
    pub keep_alive: bool,
    pub expect_continue: bool,
}

pub type Parsed =
    Result<handler::http::parse::Status<(Head, usize)>, handler::http::error::HttpError>;

/// `parse::parse_head`, with the head's text owned.
pub fn parse_head(buf: &[u8]) -> Parsed {
    use handler::http::parse::{self, Status};
    let mut fields = Vec::new();
    let (head, used) = match parse::parse_head(buf, &mut fields)? {
        Status::Complete(done) => done,
        Status::Partial => return Ok(Status::Partial),
    };
    let path = match head.path.str_of(buf) {
        "" => "/",
        path => path,
    };
    let target = if head.query.range().start > head.path.range().end {
        format!("{path}?{}", head.query.str_of(buf))
    } else {
        path.to_string()
    };
    let headers = fields
        .iter()
        .map(|f| {
            let value = String::from_utf8_lossy(f.value.of(buf)).into_owned();
            (f.name.str_of(buf).to_string(), value)
        })
        .collect();
    let owned = Head {
        method: head.method.str_of(buf).to_string(),
        target,
        version: head.version,
        headers,
        body: head.body,
        keep_alive: head.keep_alive,
        expect_continue: head.expect_continue,
    };
    Ok(Status::Complete((owned, used)))
}
