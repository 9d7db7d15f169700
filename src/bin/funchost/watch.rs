//! The handler never outlives funchost, however funchost ends (Ctrl-C, `kill`, `kill -9`, a
//! crash). std can neither catch a signal nor ask the kernel to signal a child when its parent
//! dies (that needs code outside safe Rust), but a pipe closes whenever the process holding it
//! ends. So the handler is started through a watcher: funchost run again as `funchost
//! __watch-handler PROGRAM ARGS…`, which starts the handler as its own child and kills it as soon
//! as its stdin, a pipe whose other end only funchost holds, reaches end of file, or its parent
//! changes. funchost stops the handler the same way, by closing that pipe.
//!
//! The handler sees nothing of this: its environment, working directory, arguments and stderr
//! are funchost's choice as before, and its stdout reaches funchost through the watcher, which
//! first writes one line of its own: the handler's pid, or why it could not be started. The
//! watcher exits with the handler's exit code (128 + N for a death by signal N, as .NET
//! reports it).

use std::io::{self, BufRead, Read, Write};
use std::os::unix::process::{parent_id, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// The first argument that makes funchost a watcher.
pub const WATCH: &str = "__watch-handler";

/// How the watcher's first line starts: the handler's pid follows, or the error of its start.
const STARTED: &str = "watch: started ";
const FAILED: &str = "watch: cannot start: ";

/// How often the watcher looks at the handler and at its own parent.
const POLL: Duration = Duration::from_millis(10);

/// How long a watcher that is exiting waits for the handler's last stdout lines to pass.
const OUTPUT_DRAIN: Duration = Duration::from_millis(500);

/// The command that starts `program` with `args` through a watcher, for funchost to give the
/// environment, working directory and pipes: stdin must be piped, and kept open as long as
/// the handler should run; stdout must be piped, for `started`.
///
/// # Errors
/// funchost's own path cannot be found.
pub fn command(program: &Path, args: &[String]) -> io::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg(WATCH).arg(program).args(args);
    Ok(command)
}

/// Reads the watcher's first line: the handler's pid, or why it was not started.
///
/// # Errors
/// The error of the handler's start, as the OS gave it (`No such file or directory`).
pub fn started(stdout: &mut impl BufRead) -> Result<u32, String> {
    let mut line = String::new();
    let _ = stdout.read_line(&mut line);
    let line = line.trim_end();
    match line.strip_prefix(STARTED).and_then(|pid| pid.parse().ok()) {
        Some(pid) => Ok(pid),
        None if line.is_empty() => Err("the watcher ended at once".into()),
        None => Err(line.strip_prefix(FAILED).unwrap_or(line).to_string()),
    }
}

/// The watcher's `main`, with the arguments after `WATCH`: the handler's program and its
/// arguments. Returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let parent = parent_id();
    let Some((program, args)) = args.split_first() else {
        return 2;
    };
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn();
    let mut out = io::stdout();
    let mut handler = match spawned {
        Ok(handler) => handler,
        Err(e) => {
            let _ = writeln!(out, "{FAILED}{e}");
            return 1;
        }
    };
    let _ = writeln!(out, "{STARTED}{}", handler.id());
    let _ = out.flush();
    let copied = handler.stdout.take().map(|mut from| {
        let (done, copied) = mpsc::channel();
        thread::spawn(move || {
            let _ = io::copy(&mut from, &mut io::stdout());
            let _ = done.send(());
        });
        copied
    });
    let (closed, lifeline) = mpsc::channel();
    thread::spawn(move || {
        let mut sink = [0u8; 64];
        while matches!(io::stdin().read(&mut sink), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    let status = loop {
        if let Ok(Some(status)) = handler.try_wait() {
            break status;
        }
        let gone = match lifeline.recv_timeout(POLL) {
            Err(RecvTimeoutError::Timeout) => parent_id() != parent,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        };
        if gone {
            let _ = handler.kill();
            match handler.wait() {
                Ok(status) => break status,
                Err(_) => return 1,
            }
        }
    };
    if let Some(copied) = copied {
        let _ = copied.recv_timeout(OUTPUT_DRAIN);
    }
    exit_code(status)
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
    fn the_first_line_says_how_the_start_went() {
        let read = |text: &str| started(&mut text.as_bytes());
        assert_eq!(read("watch: started 42\nlistening\n"), Ok(42));
        assert_eq!(
            read("watch: cannot start: No such file or directory (os error 2)\n"),
            Err("No such file or directory (os error 2)".into())
        );
        assert_eq!(read(""), Err("the watcher ended at once".into()));
    }
}
