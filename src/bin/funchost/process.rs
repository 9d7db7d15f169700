//! The handler process, started and restarted as the host does it (azure-host.md §1): one
//! process on a port chosen once, the host's environment variables, readiness by `GET /` every
//! 25 ms for up to 30 s, stdout and stderr lines logged, and the exit-code rules of §1.6.

use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use handler::azure::appfiles::AppConfig;

use crate::client::{self, Body, Client, Request};
use crate::limits::{
    ERROR_THRESHOLD, ERROR_WINDOW, INIT_TIMEOUT, MAX_OUTPUT_LINE_BYTES, OUTPUT_DRAIN,
    OUTPUT_READ_BYTES, PING_INTERVAL, PORT_PROBE_TIMEOUT, STDERR_TAIL, STOP_WAIT, WATCH_INTERVAL,
};
use crate::log::Log;
use crate::util::{self, lock};
use crate::watch;

/// How to start the handler.
#[derive(Debug, Clone)]
pub struct Launch {
    /// An absolute path, or a bare command looked up on PATH.
    pub program: PathBuf,
    /// host.json's `arguments`, expanded at each start.
    pub arguments: Vec<String>,
    pub cwd: PathBuf,
    /// `FUNCTIONS_APP_ROOT_PATH`.
    pub root: PathBuf,
    /// Variables added to funchost's own environment (local.settings.json `Values`).
    pub env: Vec<(String, String)>,
}

impl Launch {
    /// The launch host.json describes for the app at `app.root` (an absolute path), or with
    /// the executable `handler` given on the command line.
    ///
    /// # Errors
    /// A one-line message when none is given and host.json names none, or one that is neither
    /// in the app nor on PATH (not built yet, most likely).
    pub fn new(
        app: &AppConfig,
        handler: Option<&Path>,
        env: Vec<(String, String)>,
    ) -> Result<Launch, String> {
        let root = app.root.clone();
        let program = match handler {
            Some(path) => given(path, &env)?,
            None => {
                let lookup = |name: &str| lookup_env(&env, name);
                let exe = expand(&app.executable, &lookup, false);
                if exe.is_empty() {
                    return Err(format!(
                        "{}: customHandler.description.defaultExecutablePath is empty (give --handler PATH)",
                        root.join("host.json").display()
                    ));
                }
                // Relative to the app root if that file exists, else a command on PATH.
                let joined = root.join(&exe);
                if joined.is_file() {
                    joined
                } else if !Path::new(&exe).is_absolute() && on_path(&exe, &env) {
                    PathBuf::from(exe)
                } else {
                    // Said once, rather than three failed starts and "Exceeded http worker
                    // restart retry count".
                    return Err(format!(
                        "no handler to start: {} does not exist (host.json \
                         defaultExecutablePath {:?}). Build it with ./build.sh, or run the debug \
                         build: cargo build, then --handler target/debug/handler",
                        joined.display(),
                        app.executable
                    ));
                }
            }
        };
        let cwd = if app.working_directory.is_empty() {
            root.clone()
        } else {
            root.join(&app.working_directory)
        };
        Ok(Launch {
            program,
            arguments: app.arguments.clone(),
            cwd,
            root,
            env,
        })
    }
}

/// The handler given with `--handler`: `path` made absolute, or a bare command found on PATH.
///
/// # Errors
/// One line when there is nothing there to start, rather than three failed starts and
/// "Exceeded http worker restart retry count": no such file, not a file, not executable, or a
/// bare name that is neither a file here nor a command on PATH.
fn given(path: &Path, env: &[(String, String)]) -> Result<PathBuf, String> {
    let program = absolute(path);
    let option = format!("--handler {}", path.display());
    let name = program.to_string_lossy();
    if !name.contains('/') {
        return if on_path(&name, env) {
            Ok(program)
        } else {
            Err(format!(
                "no handler to start: {name} is neither a file in the current directory nor a \
                 command on PATH ({option})"
            ))
        };
    }
    let problem = match std::fs::metadata(&program) {
        Err(_) => "does not exist",
        Ok(meta) if !meta.is_file() => "is not a file",
        Ok(meta) if meta.permissions().mode() & 0o111 == 0 => "is not executable (chmod +x)",
        Ok(_) => return Ok(program),
    };
    Err(format!("no handler to start: {name} {problem} ({option})"))
}

/// Whether the bare command `name` is a file in a directory of PATH (the settings' PATH, if
/// they set one, which the handler is started with).
fn on_path(name: &str, env: &[(String, String)]) -> bool {
    let path = lookup_env(env, "PATH").unwrap_or_default();
    !name.contains('/') && std::env::split_paths(&path).any(|d| d.join(name).is_file())
}

/// `path` made absolute against the current directory when it names a file there, so that the
/// handler's working directory does not change what it means; a bare name stays a PATH command.
fn absolute(path: &Path) -> PathBuf {
    let bare = path.components().count() == 1 && !path.is_file();
    if path.is_absolute() || bare {
        return path.to_path_buf();
    }
    std::env::current_dir().map_or_else(|_| path.to_path_buf(), |dir| dir.join(path))
}

fn lookup_env(extra: &[(String, String)], name: &str) -> Option<String> {
    extra
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(name).ok())
}

/// Replaces each `%NAME%` that `lookup` knows. Unknown tokens are deleted when `delete_unknown`
/// (arguments: `SanitizeExpandedArgument`), else kept (the executable path).
fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>, delete_unknown: bool) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 => {
                let name = &after[..end];
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None if delete_unknown => {}
                    None => out.push_str(&rest[start..start + end + 2]),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where the handler is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Started (or restarting), not answering yet.
    Starting,
    /// Answered the readiness ping.
    Ready,
    /// Exited with code 0: not restarted, invocations fail with 500.
    Exited,
    /// Three errors in a row: the host shuts down. The message says why.
    Failed(String),
    /// Stopped by funchost.
    Stopped,
}

/// The handler process and the thread that watches it.
#[derive(Debug)]
pub struct Supervisor {
    shared: Arc<Shared>,
    monitor: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug)]
struct Shared {
    launch: Launch,
    client: Arc<Client>,
    log: Log,
    state: Mutex<State>,
    changed: Condvar,
    child: Mutex<Option<Child>>,
    stop: AtomicBool,
    restart: AtomicBool,
    /// Whether funchost has said that the handler runs without a reaper (`watch`): once is
    /// enough, not at every restart.
    told_unreaped: AtomicBool,
}

/// How one run of the process ended.
enum Ended {
    Stopped,
    /// Exit code 0.
    Finished,
    /// Restart without counting an error (exit code 200, or a function timeout).
    Restart,
    /// Restart, counting an error.
    Error(String),
}

impl Supervisor {
    /// Starts the handler on `port` in the background; see `wait_ready`.
    pub fn start(launch: Launch, port: u16, log: Log) -> Supervisor {
        let shared = Arc::new(Shared {
            launch,
            client: Arc::new(Client::new(port)),
            log,
            state: Mutex::new(State::Starting),
            changed: Condvar::new(),
            child: Mutex::new(None),
            stop: AtomicBool::new(false),
            restart: AtomicBool::new(false),
            told_unreaped: AtomicBool::new(false),
        });
        let for_thread = Arc::clone(&shared);
        let monitor = thread::Builder::new()
            .name("supervisor".into())
            .spawn(move || for_thread.supervise())
            .expect("spawn the supervisor thread");
        Supervisor {
            shared,
            monitor: Mutex::new(Some(monitor)),
        }
    }

    /// The pool of connections to the handler.
    pub fn client(&self) -> &Arc<Client> {
        &self.shared.client
    }

    /// Waits until the handler answers (`Ok`), or has exited with code 0 (`Ok` too: calls then
    /// fail with 500, as in the host), or the host gave up or `timeout` passed (`Err`).
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let state = lock(&self.shared.state);
        let waited = self
            .shared
            .changed
            .wait_timeout_while(state, timeout, |state| *state == State::Starting);
        match &*waited.unwrap_or_else(PoisonError::into_inner).0 {
            State::Ready | State::Exited => Ok(()),
            State::Failed(why) => Err(why.clone()),
            State::Stopped => Err("the host is stopping".into()),
            State::Starting => Err(format!(
                "the handler was not ready within {} s",
                timeout.as_secs()
            )),
        }
    }

    /// Blocks until the host gives up on the handler or is stopped; the reason, if it gave up.
    pub fn wait_failed(&self) -> Option<String> {
        let state = lock(&self.shared.state);
        let waited = self.shared.changed.wait_while(state, |state| {
            !matches!(state, State::Failed(_) | State::Stopped)
        });
        match &*waited.unwrap_or_else(PoisonError::into_inner) {
            State::Failed(why) => Some(why.clone()),
            _ => None,
        }
    }

    /// Kills the handler and starts it again, without counting an error (a function timeout).
    pub fn restart(&self) {
        self.shared.restart.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
    }

    /// Kills the handler (SIGKILL, as `Process.Kill`) and ends the supervisor.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        self.shared.kill();
        if let Some(monitor) = lock(&self.monitor).take() {
            let _ = monitor.join();
        }
        self.shared.set_state(State::Stopped);
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn set_state(&self, state: State) {
        let mut current = lock(&self.state);
        // A stopped or failed host stays so.
        if !matches!(*current, State::Stopped | State::Failed(_)) {
            *current = state;
        }
        self.changed.notify_all();
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Kills the handler (SIGKILL, as `Process.Kill`): closing its watcher's stdin makes the
    /// watcher kill it and whatever it started, and exit. A watcher that has not exited after
    /// `STOP_WAIT` is killed.
    fn kill(&self) {
        let mut child = lock(&self.child);
        if let Some(mut watcher) = child.take() {
            watch::close_and_wait(&mut watcher, STOP_WAIT);
        }
    }

    /// Sleeps up to `pause`, waking early for a stop or a restart.
    fn pause(&self, pause: Duration) {
        let state = lock(&self.state);
        if self.stopping() || self.restart.load(Ordering::SeqCst) {
            return;
        }
        let _ = self.changed.wait_timeout(state, pause);
    }

    /// Starts, restarts and finally gives up, by the host's rules.
    fn supervise(&self) {
        let mut errors: Vec<Instant> = Vec::new();
        loop {
            self.set_state(State::Starting);
            self.client.clear();
            self.restart.store(false, Ordering::SeqCst);
            let ended = self.run_once();
            self.kill();
            self.client.clear();
            match ended {
                Ended::Stopped => return,
                Ended::Finished => {
                    self.log.warn(
                        "The handler exited with code 0: it is not restarted (as in the host), \
                         and calls to functions now fail with 500.",
                    );
                    self.set_state(State::Exited);
                    return;
                }
                Ended::Restart => {}
                Ended::Error(message) => {
                    self.log.error(&message);
                    let now = Instant::now();
                    if errors
                        .last()
                        .is_some_and(|&last| now.duration_since(last) > ERROR_WINDOW)
                    {
                        errors.clear();
                    }
                    errors.push(now);
                    if errors.len() >= ERROR_THRESHOLD {
                        let why = "Exceeded http worker restart retry count. Shutting down Functions Host";
                        self.log.error(why);
                        self.set_state(State::Failed(why.into()));
                        return;
                    }
                }
            }
            if self.stopping() {
                return;
            }
        }
    }

    /// One process, from start to exit.
    fn run_once(&self) -> Ended {
        self.warn_if_port_taken();
        let (mut process, pid, stdout) = match self.spawn() {
            Ok(started) => started,
            Err(message) => return Ended::Error(message),
        };
        let stderr = process.stderr.take();
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut drained = vec![pipe_lines(stdout, self.log, false, Arc::clone(&tail))];
        if let Some(err) = stderr {
            drained.push(pipe_lines(err, self.log, true, Arc::clone(&tail)));
        }
        *lock(&self.child) = Some(process);
        let exited = |status: ExitStatus| {
            for done in &drained {
                let _ = done.recv_timeout(OUTPUT_DRAIN);
            }
            self.classify(status, pid, &tail)
        };

        // Readiness: any HTTP answer to `GET /`; refused means not yet.
        let mut slept = Duration::ZERO;
        loop {
            if self.stopping() {
                return Ended::Stopped;
            }
            if let Some(status) = self.try_wait() {
                return exited(status);
            }
            match self.ping() {
                Ping::Ready => break,
                Ping::NotYet if slept < INIT_TIMEOUT => {
                    self.pause(PING_INTERVAL);
                    slept += PING_INTERVAL;
                }
                Ping::NotYet => {
                    // The host's words, then what they mean: its most reported custom-handler
                    // problem is a handler listening on another port.
                    return Ended::Error(format!(
                        "Initializing HttpWorker timed out: nothing accepted a connection on \
                         127.0.0.1:{} in {} s. Does the handler listen on the port in \
                         FUNCTIONS_CUSTOMHANDLER_PORT?",
                        self.client.port(),
                        INIT_TIMEOUT.as_secs()
                    ));
                }
                Ping::Failed(why) => {
                    return Ended::Error(format!("Failed to start http worker process: {why}"));
                }
            }
        }
        self.log.info("Worker process started and initialized.");
        self.set_state(State::Ready);

        loop {
            if self.stopping() {
                return Ended::Stopped;
            }
            if self.restart.swap(false, Ordering::SeqCst) {
                self.log.info("Restarting the handler.");
                return Ended::Restart;
            }
            if let Some(status) = self.try_wait() {
                return exited(status);
            }
            self.pause(WATCH_INTERVAL);
        }
    }

    /// Says so when something already listens on the handler's port before the handler starts:
    /// the readiness ping would take its answer for the handler's ("started and initialized"),
    /// and the handler could not listen there. What holds it is most often a process the
    /// previous handler started in a session of its own (`setsid`, a daemon), which left the
    /// process group funchost stops; else another program took the port after funchost chose it.
    fn warn_if_port_taken(&self) {
        let port = self.client.port();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if TcpStream::connect_timeout(&address, PORT_PROBE_TIMEOUT).is_err() {
            return;
        }
        let holders = port_holders(port);
        let by = if holders.is_empty() {
            String::new()
        } else {
            format!(" by {}", holders.join(", "))
        };
        self.log.warn(&format!(
            "127.0.0.1:{port}, the handler's port, is already listened on{by} before the handler \
             starts: its answers will pass for the handler's, and the handler cannot listen \
             there. A process an earlier handler started outside its process group (setsid) \
             outlives it; stop it, or restart funchost for another port."
        ));
    }

    /// Starts the handler through a watcher (`watch`), which it cannot outlive: the watcher, the
    /// handler's pid, and the handler's stdout.
    fn spawn(&self) -> Result<(Child, u32, BufReader<ChildStdout>), String> {
        let launch = &self.launch;
        let port = self.client.port().to_string();
        let worker_id = util::guid();
        let root = launch.root.display().to_string();
        let own = [
            ("FUNCTIONS_CUSTOMHANDLER_PORT", port.as_str()),
            ("FUNCTIONS_HTTPWORKER_PORT", port.as_str()),
            ("FUNCTIONS_CUSTOMHANDLER_WORKER_ID", worker_id.as_str()),
            ("FUNCTIONS_HTTPWORKER_ID", worker_id.as_str()),
            ("FUNCTIONS_APP_ROOT_PATH", root.as_str()),
        ];
        let lookup = |name: &str| {
            own.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
                .or_else(|| lookup_env(&launch.env, name))
        };
        // Arguments are joined unquoted into one command line: an item with spaces splits.
        let args: Vec<String> = launch
            .arguments
            .iter()
            .map(|a| expand(a, &lookup, true))
            .flat_map(|a| a.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect();
        let shown = std::iter::once(launch.program.display().to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let failed = |e: String| {
            format!(
                "Failed to start http worker process: {shown}: {e} (cwd {})",
                launch.cwd.display()
            )
        };
        let mut command =
            watch::command(&launch.program, &args).map_err(|e| failed(e.to_string()))?;
        command
            .current_dir(&launch.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if std::env::var_os("FUNCTIONS_WORKER_RUNTIME").is_none() {
            command.env("FUNCTIONS_WORKER_RUNTIME", "custom");
        }
        command.envs(launch.env.iter().map(|(k, v)| (k, v)));
        command.envs(own);
        // The handler is started by funchost run again, as its watcher: a failure here is
        // funchost's own (its binary rebuilt or removed while it runs), not the handler's.
        let mut watcher = command.spawn().map_err(|e| {
            let exe = command.get_program().to_string_lossy().into_owned();
            format!("Failed to start http worker process: cannot run funchost's watcher {exe}: {e}")
        })?;
        let mut stdout = BufReader::new(watcher.stdout.take().expect("a piped stdout"));
        let started = match watch::started(&mut stdout) {
            Ok(started) => started,
            Err(e) => {
                let _ = watcher.wait();
                return Err(failed(e));
            }
        };
        let pid = started.pid;
        if let Some(why) = started.unreaped {
            if !self.told_unreaped.swap(true, Ordering::SeqCst) {
                self.log.warn(&format!(
                    "cannot start the handler's reaper ({why}): only the handler's own process \
                     is killed when funchost stops, so processes it starts may outlive funchost, \
                     and the handler too if funchost's watcher is killed with it"
                ));
            }
        }
        self.log.info(&format!(
            "Started handler (pid {pid}): {shown} in {} with FUNCTIONS_CUSTOMHANDLER_PORT={port}",
            launch.cwd.display()
        ));
        Ok((watcher, pid, stdout))
    }

    fn try_wait(&self) -> Option<ExitStatus> {
        let mut child = lock(&self.child);
        let status = child.as_mut()?.try_wait().ok().flatten()?;
        *child = None;
        Some(status)
    }

    /// What an exit means, by the host's rules.
    fn classify(&self, status: ExitStatus, pid: u32, tail: &Mutex<VecDeque<String>>) -> Ended {
        let code = watch::exit_code(status);
        match code {
            0 => Ended::Finished,
            200 => {
                self.log
                    .info("Language Worker Process exited and needs to be restarted.");
                Ended::Restart
            }
            _ => {
                let mut tail = lock(tail);
                let lines = tail.make_contiguous();
                let mut message = format!(
                    "Language Worker Process exited. Pid={pid}. {} exited with code {code} (0x{code:X})",
                    self.launch.program.display()
                );
                if !lines.is_empty() {
                    message.push_str(": ");
                    message.push_str(&lines.join(","));
                }
                Ended::Error(message)
            }
        }
    }

    /// One readiness ping: the bare `GET /` of the host, with no added headers.
    fn ping(&self) -> Ping {
        let host = format!("127.0.0.1:{}", self.client.port());
        let request = Request {
            method: "GET",
            target: "/",
            headers: vec![("Host".into(), host)],
            body: Body::None,
        };
        match self.client.send(&request, Instant::now() + INIT_TIMEOUT) {
            Ok(_) => Ping::Ready,
            Err(client::Error::Connect(_)) => Ping::NotYet,
            Err(client::Error::Timeout) => Ping::Failed("no answer to GET / in time".into()),
            // Any other failure after connecting counts as ready in the host too.
            Err(_) => Ping::Ready,
        }
    }
}

/// The processes that have a socket listening on `port` open, as `pid N (command line)`, as far
/// as /proc lets funchost see them (std has no API for it).
fn port_holders(port: u16) -> Vec<String> {
    let tables = ["/proc/net/tcp", "/proc/net/tcp6"].map(std::fs::read_to_string);
    let sockets: Vec<String> = tables
        .iter()
        .flatten()
        .flat_map(|table| listening_inodes(table, port))
        .map(|inode| format!("socket:[{inode}]"))
        .collect();
    if sockets.is_empty() {
        return Vec::new();
    }
    let holds = |pid: &u32| {
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"));
        fds.into_iter().flatten().flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|link| sockets.iter().any(|s| link.as_os_str() == s.as_str()))
        })
    };
    let described = |pid| {
        let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let command = String::from_utf8_lossy(&command).replace('\0', " ");
        format!("pid {pid} ({})", command.trim_end())
    };
    util::pids().filter(holds).map(described).collect()
}

/// The inodes of the sockets listening on `port` in a /proc/net/tcp or tcp6 table: each row has
/// `local_address` as `HEXADDR:HEXPORT` (field 2), the state (field 4, `0A` for LISTEN) and the
/// inode (field 10).
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    let local_port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|row| {
            let fields: Vec<&str> = row.split_whitespace().collect();
            let listening = fields.get(3) == Some(&"0A");
            let here = fields.get(1).is_some_and(|a| a.ends_with(&local_port));
            (listening && here).then(|| fields.get(9)?.parse().ok())?
        })
        .collect()
}

enum Ping {
    Ready,
    NotYet,
    Failed(String),
}

/// Logs each line of a handler pipe (`Lines`): stdout as information, stderr as errors
/// (warnings when the line says "warn"), keeping stderr's last lines. The receiver gets `()` at
/// end of stream.
fn pipe_lines(
    mut source: impl Read + Send + 'static,
    log: Log,
    is_stderr: bool,
    tail: Arc<Mutex<VecDeque<String>>>,
) -> Receiver<()> {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let mut log_line = |line: &[u8]| {
            let line = String::from_utf8_lossy(line);
            match level(&line, is_stderr) {
                (Level::Info, text) => log.info(&format!("handler: {text}")),
                (Level::Warning, text) => log.warn(&format!("handler warning: {text}")),
                (Level::Error, text) => {
                    log.error(&format!("handler error: {text}"));
                    let mut tail = lock(&tail);
                    if tail.len() == STDERR_TAIL {
                        tail.pop_front();
                    }
                    tail.push_back(text.to_string());
                }
            }
        };
        let mut lines = Lines::default();
        let mut buf = vec![0u8; OUTPUT_READ_BYTES];
        loop {
            match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => lines.feed(&buf[..n], &mut log_line),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        lines.finish(&mut log_line);
        let _ = done.send(());
    });
    finished
}

/// A handler pipe cut into lines as .NET's process reader (`AsyncStreamReader`) cuts them for
/// the host: at `\n`, at `\r`, or at `\r\n` as one end, and what is left at end of stream; a
/// line longer than `MAX_OUTPUT_LINE_BYTES` is cut there too (at a UTF-8 character's start),
/// so that funchost's memory stays bounded and the line is seen while the handler runs.
#[derive(Debug, Default)]
struct Lines {
    pending: Vec<u8>,
    /// The last byte fed ended a line with `\r`: a `\n` next belongs to that end.
    after_cr: bool,
    /// The last byte fed filled a piece, logged whole: a line end next ends that line, and
    /// is not a line of its own.
    after_cut: bool,
}

impl Lines {
    /// Takes the next bytes of the stream; `line` gets each line they complete.
    fn feed(&mut self, bytes: &[u8], line: &mut impl FnMut(&[u8])) {
        for &byte in bytes {
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue;
            }
            if byte == b'\r' || byte == b'\n' {
                if !std::mem::take(&mut self.after_cut) {
                    line(&self.pending);
                }
                self.pending.clear();
                self.after_cr = byte == b'\r';
                continue;
            }
            self.after_cut = false;
            self.pending.push(byte);
            if self.pending.len() >= MAX_OUTPUT_LINE_BYTES {
                let cut = utf8_cut(&self.pending);
                line(&self.pending[..cut]);
                self.pending.drain(..cut);
                self.after_cut = self.pending.is_empty();
            }
        }
    }

    /// The end of the stream: a last line without its end is a line too.
    fn finish(&mut self, line: &mut impl FnMut(&[u8])) {
        if !self.pending.is_empty() {
            line(&self.pending);
            self.pending.clear();
        }
    }
}

/// Where to cut `bytes` so that a UTF-8 character it ends in the middle of goes whole into the
/// next piece: before that character's first byte, else at the end.
fn utf8_cut(bytes: &[u8]) -> usize {
    let len = bytes.len();
    // A character is at most 4 bytes: its first byte is among the last 4.
    let first = (1..=len.min(4)).find(|&back| bytes[len - back] & 0xC0 != 0x80);
    let Some(back) = first else {
        return len;
    };
    let width = match bytes[len - back] {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    };
    if width > back && back < len {
        len - back
    } else {
        len
    }
}

/// How the host logs a line of the handler's output.
#[derive(Debug, PartialEq, Eq)]
enum Level {
    Info,
    Warning,
    Error,
}

/// A line of the handler's output: its level by the host's rules (stdout is information;
/// stderr an error, or a warning when it says "warn"), and its text without the labels that
/// funchost's own (`handler: `, `handler error: `, `handler warning: `) replaces: the host's
/// `LanguageWorkerConsoleLog`, and this library's `handler: ` and `warning: `, so that a panic
/// shows as `handler error: panicked at …`.
fn level(line: &str, is_stderr: bool) -> (Level, &str) {
    let text = line
        .strip_prefix("LanguageWorkerConsoleLog")
        .unwrap_or(line);
    let text = text.strip_prefix("handler: ").unwrap_or(text);
    if !is_stderr {
        (Level::Info, text)
    } else if text.to_ascii_lowercase().contains("warn") {
        (
            Level::Warning,
            text.strip_prefix("warning: ").unwrap_or(text),
        )
    } else {
        (Level::Error, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lines_get_the_hosts_levels_and_one_label() {
        let cases = [
            (
                "listening on http://127.0.0.1:1",
                false,
                Level::Info,
                "listening on http://127.0.0.1:1",
            ),
            (
                "handler: warning: Tick is registered but",
                true,
                Level::Warning,
                "Tick is registered but",
            ),
            (
                "fake: a Warning line",
                true,
                Level::Warning,
                "fake: a Warning line",
            ),
            (
                "LanguageWorkerConsoleLogstarted",
                false,
                Level::Info,
                "started",
            ),
        ];
        for (line, is_stderr, expected, text) in cases {
            assert_eq!(level(line, is_stderr), (expected, text), "{line}");
        }
    }

    /// The lines `chunks`, fed one after another, make.
    fn cut(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut lines = Lines::default();
        let mut seen = Vec::new();
        for chunk in chunks {
            lines.feed(chunk, &mut |line| seen.push(line.to_vec()));
        }
        lines.finish(&mut |line| seen.push(line.to_vec()));
        seen
    }

    #[test]
    fn output_is_cut_into_lines_as_dotnet_cuts_it() {
        let text = |lines: &[&str]| -> Vec<Vec<u8>> {
            lines.iter().map(|l| l.as_bytes().to_vec()).collect()
        };
        assert_eq!(cut(&[b"a\nb\r\nc\rd"]), text(&["a", "b", "c", "d"]));
        // A `\r\n` split between two reads is still one end; `\r\r` and `\n\n` are two.
        assert_eq!(
            cut(&[b"a\r", b"\nb\r", b"\r", b"c\n\n"]),
            text(&["a", "b", "", "c", ""])
        );
        assert_eq!(cut(&[b"", b"no end"]), text(&["no end"]));
        assert!(cut(&[b""]).is_empty());
        // Past the bound, in pieces, nothing lost; a character the bound falls in stays whole.
        let long = vec![b'x'; MAX_OUTPUT_LINE_BYTES * 2 + 5];
        let lines = cut(&[&long[..7], &long[7..], b"\n"]);
        let lengths: Vec<usize> = lines.iter().map(Vec::len).collect();
        assert_eq!(lengths, [MAX_OUTPUT_LINE_BYTES, MAX_OUTPUT_LINE_BYTES, 5]);
        // A line of exactly the bound is one piece, its end no empty line after it.
        let exact = vec![b'x'; MAX_OUTPUT_LINE_BYTES];
        for end in [&b"\n"[..], b"\r\n", b"\r"] {
            let lines = cut(&[&exact, end, b"next\n"]);
            assert_eq!(lines, [exact.clone(), b"next".to_vec()]);
        }
        let lines = cut(&[&exact, b"\n\n"]);
        assert_eq!(lines, [exact.clone(), Vec::new()]);
        let mut accented = vec![b'x'; MAX_OUTPUT_LINE_BYTES - 1];
        accented.extend_from_slice("é!".as_bytes());
        let lines = cut(&[&accented]);
        assert_eq!(lines[0].len(), MAX_OUTPUT_LINE_BYTES - 1);
        assert_eq!(lines[1], "é!".as_bytes());
    }

    #[test]
    fn a_cut_falls_before_a_split_character() {
        assert_eq!(utf8_cut(b"abc"), 3);
        assert_eq!(utf8_cut("ab\u{e9}".as_bytes()), 4);
        assert_eq!(utf8_cut(&"ab\u{e9}".as_bytes()[..3]), 2);
        assert_eq!(utf8_cut(&"a\u{1f600}".as_bytes()[..4]), 1);
        assert_eq!(utf8_cut("a\u{1f600}".as_bytes()), 5);
        // Not UTF-8, or nothing before the character: cut at the end.
        assert_eq!(utf8_cut(&[0xff, 0x80, 0x80, 0x80, 0x80]), 5);
        assert_eq!(utf8_cut(&[0xe2, 0x82]), 2);
    }

    #[test]
    fn listening_sockets_are_found_by_port_in_procs_tables() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0
";
        // Listening on 41394 (0xA1B2): the first row; the second is a connection to it.
        assert_eq!(listening_inodes(table, 0xA1B2), [4242]);
        assert_eq!(listening_inodes(table, 443), [4444]);
        assert!(listening_inodes(table, 80).is_empty());
        assert!(listening_inodes("", 80).is_empty());
    }

    #[test]
    fn expansion() {
        let lookup = |name: &str| match name {
            "FUNCTIONS_CUSTOMHANDLER_PORT" => Some("4000".to_string()),
            "HOME" => Some("/h".to_string()),
            _ => None,
        };
        assert_eq!(
            expand("--port %FUNCTIONS_CUSTOMHANDLER_PORT%", &lookup, true),
            "--port 4000"
        );
        assert_eq!(expand("%HOME%/x %NOPE% 100%", &lookup, true), "/h/x  100%");
        assert_eq!(
            expand("%HOME%/x %NOPE% 100%", &lookup, false),
            "/h/x %NOPE% 100%"
        );
        assert_eq!(expand("a%%b", &lookup, true), "a%%b");
    }

    fn app(root: &Path, executable: &str, working_directory: &str) -> AppConfig {
        AppConfig {
            root: root.to_path_buf(),
            route_prefix: "api".into(),
            forwarding: false,
            proxying: false,
            executable: executable.into(),
            arguments: vec!["--port".into(), "%FUNCTIONS_CUSTOMHANDLER_PORT%".into()],
            working_directory: working_directory.into(),
            function_timeout: Default::default(),
            functions: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn launch_resolves_like_the_host() {
        let root = std::env::temp_dir().join(format!("funchost-launch-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("handler"), "").unwrap();
        // Relative to the app root when that file exists; cwd = the app root by default.
        let launch = Launch::new(&app(&root, "handler", ""), None, Vec::new()).unwrap();
        assert_eq!(
            (launch.program, launch.cwd.clone()),
            (root.join("handler"), root.clone())
        );
        assert_eq!(
            launch.arguments,
            ["--port", "%FUNCTIONS_CUSTOMHANDLER_PORT%"]
        );
        // Otherwise a command looked up on PATH; a relative workingDirectory is under the root.
        let launch = Launch::new(&app(&root, "sh", "sub"), None, Vec::new()).unwrap();
        assert_eq!(
            (launch.program, launch.cwd),
            (PathBuf::from("sh"), root.join("sub"))
        );
        // Neither, and a --handler with nothing to start there: tests/funchost.rs checks
        // those messages (`a_handler_not_built_yet_…`, `a_wrong_handler_is_one_line`).
        // %VAR% from the settings; --handler wins over host.json.
        let env = vec![("FUNCHOST_EXE".to_string(), "handler".to_string())];
        let launch = Launch::new(&app(&root, "%FUNCHOST_EXE%", ""), None, env).unwrap();
        assert_eq!(launch.program, root.join("handler"));
        let launch = Launch::new(
            &app(&root, "handler", ""),
            Some(Path::new("/bin/true")),
            Vec::new(),
        )
        .unwrap();
        assert_eq!(launch.program, PathBuf::from("/bin/true"));
        let given = Launch::new(
            &app(&root, "handler", ""),
            Some(Path::new("sh")),
            Vec::new(),
        );
        assert_eq!(given.unwrap().program, PathBuf::from("sh"));
        let error = Launch::new(&app(&root, "", ""), None, Vec::new()).unwrap_err();
        assert!(
            error.ends_with(
                "customHandler.description.defaultExecutablePath is empty (give --handler PATH)"
            ),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
