//! The handler never outlives funchost, however funchost ends (Ctrl-C, `kill`, `kill -9`,
//! `pkill funchost`, a crash), and neither does anything the handler started (the server of a
//! wrapper script). std can neither catch a signal nor ask the kernel to signal a child when its
//! parent dies (that needs code outside safe Rust), but a pipe closes whenever the last process
//! holding it ends. Two pipes do the work:
//!
//! - funchost starts the handler through a watcher: funchost run again as `funchost
//!   __watch-handler PROGRAM ARGS…`, whose stdin is a pipe only funchost holds. At its end of
//!   file (funchost is gone, or is stopping the handler), or when its parent changes, the
//!   watcher stops the handler. funchost stops the handler this way, by closing that pipe.
//! - The watcher can be killed too: `pkill funchost` signals both processes, since both are
//!   named funchost, and a SIGTERM ends either at once. So the watcher first starts a reaper,
//!   `/bin/sh` (not named funchost), as the leader of a new process group, and the handler joins
//!   that group. The reaper ignores the signals of a hangup, Ctrl-C and a plain `kill`, and
//!   reads its stdin, a pipe only the watcher holds (std opens pipes close-on-exec, so the
//!   handler does not inherit it). When the watcher ends, however it ends, or closes that pipe,
//!   the reaper sends SIGKILL to its whole group: the handler, whatever the handler started, and
//!   itself. Being in a group of their own, the handler and the reaper get none of the signals a
//!   terminal or a group kill sends to funchost's group: the reaper alone decides their end.
//!
//! A process the handler starts outside that group (a daemon that called `setsid`) escapes
//! the group kill, but not its environment: when the handler ends, the watcher also kills
//! every process it may see that has this handler's `FUNCTIONS_CUSTOMHANDLER_WORKER_ID`
//! (`kill_strays`). A watcher killed at once with funchost cannot.
//!
//! Where the reaper cannot start (no `/bin/sh`), the handler runs as before it existed, in
//! funchost's group, and the watcher kills it alone: funchost says so once.
//!
//! The handler sees nothing of this: its environment, working directory, arguments and stderr
//! are funchost's choice as before, and its stdout reaches funchost through the watcher, which
//! first writes one line of its own: the handler's pid (and why it runs without a reaper, if it
//! does), or why it could not be started. The watcher exits with the handler's exit code (128 +
//! N for a death by signal N, as .NET reports it).

use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::{parent_id, CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::limits::{CHILD_EXIT_POLL, REAP_WAIT, WATCHER_OUTPUT_DRAIN, WATCHER_POLL};

/// The first argument that makes funchost a watcher.
pub const WATCH: &str = "__watch-handler";

/// How the watcher's first line starts: the handler's pid follows, or the error of its start.
const STARTED: &str = "watch: started ";
const FAILED: &str = "watch: cannot start: ";

/// After the pid on the first line: why the handler runs without a reaper.
const UNREAPED: &str = " without a reaper: ";

/// The reaper's shell, and its script. The script ignores the signals that would end it
/// together with funchost (a hangup, Ctrl-C, Ctrl-\, a plain kill), waits for end of file on
/// stdin, then kills the group it leads. `kill -9 -PGID` is the one form that both dash's and
/// bash's builtin kill take (dash knows neither `--` nor `-s KILL` before a negative pid).
const REAPER_SHELL: &str = "/bin/sh";
const REAPER_SCRIPT: &str = "trap '' HUP INT QUIT TERM; read -r line; kill -9 -$$";

/// The command that starts `program` with `args` through a watcher, for funchost to give the
/// environment, working directory and pipes: stdin must be piped, and kept open as long as
/// the handler should run; stdout must be piped, for `started`.
///
/// # Errors
/// funchost's own path cannot be found.
pub fn command(program: &Path, args: &[String]) -> io::Result<Command> {
    // Linux's link to the running binary still starts it once `cargo build` has replaced it,
    // as a restart may have to long after funchost started.
    let own = Path::new("/proc/self/exe");
    let exe = match own.exists() {
        true => own.to_path_buf(),
        false => std::env::current_exe()?,
    };
    let mut command = Command::new(exe);
    command.arg(WATCH).arg(program).args(args);
    Ok(command)
}

/// What the watcher's first line says of a handler it started.
#[derive(Debug, PartialEq, Eq)]
pub struct Started {
    pub pid: u32,
    /// Why the handler runs without a reaper: then only the handler's own process is killed,
    /// and only by a watcher that is still alive.
    pub unreaped: Option<String>,
}

/// Reads the watcher's first line: the handler's pid, or why it was not started.
///
/// # Errors
/// The error of the handler's start, as the OS gave it (`No such file or directory`).
pub fn started(stdout: &mut impl BufRead) -> Result<Started, String> {
    let mut line = String::new();
    let _ = stdout.read_line(&mut line);
    let line = line.trim_end();
    let (pid, unreaped) = match line.strip_prefix(STARTED) {
        Some(rest) => match rest.split_once(UNREAPED) {
            Some((pid, why)) => (pid, Some(why.to_string())),
            None => (rest, None),
        },
        None => ("", None),
    };
    match pid.parse() {
        Ok(pid) => Ok(Started { pid, unreaped }),
        Err(_) if line.is_empty() => Err("the watcher ended at once".into()),
        Err(_) => Err(line.strip_prefix(FAILED).unwrap_or(line).to_string()),
    }
}

/// The watcher's `main`, with the arguments after `WATCH`: the handler's program and its
/// arguments. Returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let parent = parent_id();
    let Some((program, args)) = args.split_first() else {
        return 2;
    };
    let mut reaper = start_reaper();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    if let Ok(reaper) = &reaper {
        // The reaper leads the group (its pid is the group's id) and is alive, waiting on its
        // stdin, so the group exists to join. A pid always fits (pid_max is at most 2^22).
        command.process_group(i32::try_from(reaper.id()).unwrap_or(i32::MAX));
    }
    let spawned = command.spawn();
    let mut out = io::stdout();
    let mut handler = match spawned {
        Ok(handler) => handler,
        Err(e) => {
            if let Ok(reaper) = &mut reaper {
                close_and_wait(reaper, REAP_WAIT);
            }
            let _ = writeln!(out, "{FAILED}{e}");
            return 1;
        }
    };
    let _ = match &reaper {
        Ok(_) => writeln!(out, "{STARTED}{}", handler.id()),
        Err(e) => writeln!(
            out,
            "{STARTED}{}{UNREAPED}{REAPER_SHELL}: {e}",
            handler.id()
        ),
    };
    let _ = out.flush();
    let copied = handler.stdout.take().map(|mut from| {
        let (done, copied) = mpsc::channel();
        thread::spawn(move || {
            relay(&mut from);
            let _ = done.send(());
        });
        copied
    });
    let (closed, lifeline) = mpsc::channel();
    thread::spawn(move || {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        let _ = closed.send(());
    });
    let status = loop {
        if let Ok(Some(status)) = handler.try_wait() {
            break Ok(status);
        }
        let gone = match lifeline.recv_timeout(WATCHER_POLL) {
            Err(RecvTimeoutError::Timeout) => parent_id() != parent,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        };
        if gone {
            break stop(&mut handler, reaper.as_mut().ok());
        }
    };
    // Whatever the handler left running in its group (a wrapper's server) goes now too, as the
    // reaper sees its stdin close (waited for, not to linger as a zombie), and so does what the
    // handler started outside the group.
    if let Ok(reaper) = &mut reaper {
        close_and_wait(reaper, REAP_WAIT);
    }
    kill_strays();
    let Ok(status) = status else {
        return 1;
    };
    if let Some(copied) = copied {
        let _ = copied.recv_timeout(WATCHER_OUTPUT_DRAIN);
    }
    exit_code(status)
}

/// The variable that marks every process the handler started: funchost gives each handler
/// a new id, and children inherit their parent's environment.
const WORKER_ID: &str = "FUNCTIONS_CUSTOMHANDLER_WORKER_ID";

/// Kills the processes that carry this handler's worker id in their environment, other than
/// the watcher itself: what the handler started and left outside its process group (a daemon
/// that called `setsid`, a server started in a group of its own), which the reaper's group
/// kill misses and which would keep the handler's port, so that the next handler cannot listen
/// and its readiness ping gets their answer. Only processes whose environment funchost may read
/// (its own user's) are seen; one that cleared its environment is not.
fn kill_strays() {
    let Ok(id) = std::env::var(WORKER_ID) else {
        return;
    };
    let strays = marked(&format!("{WORKER_ID}={id}"), std::process::id());
    if strays.is_empty() {
        return;
    }
    // std has no kill(2) for a pid that is not its child.
    let _ = Command::new(REAPER_SHELL)
        .arg("-c")
        .arg(format!("kill -9 {}", strays.join(" ")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The pids, but `own`, of the processes whose environment holds the entry `entry`.
fn marked(entry: &str, own: u32) -> Vec<String> {
    crate::util::pids()
        .filter(|&pid| pid != own)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|e| e == entry.as_bytes()))
        })
        .map(|pid| pid.to_string())
        .collect()
}

/// Passes the handler's stdout on as it comes. Not into `io::stdout()`: that is line-buffered,
/// so output without a `\n` (a progress bar redrawn with `\r`, a prompt) would wait in the
/// watcher until a `\n` or a full buffer, where funchost cannot log it. A `File` on the same
/// descriptor buffers nothing. Without a descriptor to spare, line-buffered it is: the handler
/// must never block on a pipe no one reads.
fn relay(from: &mut impl Read) {
    let _ = match io::stdout().as_fd().try_clone_to_owned() {
        Ok(out) => io::copy(from, &mut File::from(out)),
        Err(_) => io::copy(from, &mut io::stdout()),
    };
}

/// The reaper, waiting on its stdin in a new process group that it leads.
fn start_reaper() -> io::Result<Child> {
    Command::new(REAPER_SHELL)
        .args(["-c", REAPER_SCRIPT])
        .stdin(Stdio::piped())
        // Not the watcher's stdout: funchost would wait for the reaper to see its end.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

/// Stops the handler: the reaper kills its whole group; without a reaper, or with one that is
/// gone or too slow, the handler's own process is killed.
fn stop(handler: &mut Child, reaper: Option<&mut Child>) -> io::Result<ExitStatus> {
    if let Some(reaper) = reaper {
        drop(reaper.stdin.take());
        let deadline = Instant::now() + REAP_WAIT;
        while Instant::now() < deadline && matches!(reaper.try_wait(), Ok(None)) {
            if let Some(status) = handler.try_wait()? {
                return Ok(status);
            }
            thread::sleep(CHILD_EXIT_POLL);
        }
    }
    // Harmless when the reaper got there first: the handler is then dead and not yet waited for.
    let _ = handler.kill();
    handler.wait()
}

/// Closes `child`'s stdin and waits up to `wait` for it to exit, then kills it if it has not;
/// waits for it either way.
pub fn close_and_wait(child: &mut Child, wait: Duration) {
    drop(child.stdin.take());
    let deadline = Instant::now() + wait;
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        thread::sleep(CHILD_EXIT_POLL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The exit code as .NET reports it on Linux: a death by signal N is 128 + N.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(200 << 8)), 200);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }

    #[test]
    fn the_reaper_kills_its_whole_group_at_end_of_file() {
        let mut reaper = start_reaper().expect("start /bin/sh");
        let mut member = Command::new("sleep")
            .arg("30")
            .process_group(i32::try_from(reaper.id()).unwrap())
            .spawn()
            .expect("start sleep");
        assert_eq!(member.try_wait().unwrap(), None);
        close_and_wait(&mut reaper, REAP_WAIT);
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            if let Some(status) = member.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = member.kill();
                let _ = member.wait();
                panic!("the reaper's group outlived its stdin");
            }
            thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(status.signal(), Some(9));
        assert_eq!(reaper.try_wait().unwrap().and_then(|s| s.signal()), Some(9));
    }

    #[test]
    fn the_first_line_says_how_the_start_went() {
        let read = |text: &str| started(&mut text.as_bytes());
        let pid = |pid, unreaped: Option<&str>| {
            Ok(Started {
                pid,
                unreaped: unreaped.map(str::to_string),
            })
        };
        assert_eq!(read("watch: started 42\nlistening\n"), pid(42, None));
        assert_eq!(
            read("watch: started 7 without a reaper: /bin/sh: No such file or directory\n"),
            pid(7, Some("/bin/sh: No such file or directory"))
        );
        assert_eq!(
            read("watch: cannot start: No such file or directory (os error 2)\n"),
            Err("No such file or directory (os error 2)".into())
        );
        assert_eq!(read(""), Err("the watcher ended at once".into()));
    }
}
