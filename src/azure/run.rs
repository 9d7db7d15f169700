//! A function, and running one: a panic or a status that is not final is a `Fault`, and log
//! lines go to stdout when there is no `Logs` array to carry them.

use std::fmt;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::azure::request::Request;
use crate::azure::response::Response;

/// A function registered under the name of its folder in the app: a plain `fn`, listed in a
/// table (`functions::FUNCTIONS`).
#[derive(Debug)]
pub struct Function {
    /// The function's folder name in the app (`HelloRust`), matched ignoring ASCII case.
    pub name: &'static str,
    /// What the function does with one request, in either mode.
    pub run: fn(&Request) -> Response,
}

/// The function of `table` called `name`, compared ignoring ASCII case.
pub fn find(table: &'static [Function], name: &str) -> Option<&'static Function> {
    table.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// Why a function gave no answer to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// It panicked; the panic hook has printed the message on stderr.
    Panicked,
    /// It answered a status that is not final (200-599): a 1xx would leave the client
    /// waiting for the real answer.
    NotFinal(u16),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Panicked => f.write_str("panicked (the message is on stderr)"),
            Fault::NotFinal(status) => write!(
                f,
                "answered status {status}, which is not a final status (200-599)"
            ),
        }
    }
}

/// Runs a function, catching a panic: the worker goes on, and the caller answers the fault in
/// its mode's way (`app::forwarded`, `payload::respond`).
pub(crate) fn run_caught(run: fn(&Request) -> Response, req: &Request) -> Result<Response, Fault> {
    let response = catch_unwind(AssertUnwindSafe(|| run(req))).map_err(|_| Fault::Panicked)?;
    if (200..=599).contains(&response.status) {
        Ok(response)
    } else {
        Err(Fault::NotFinal(response.status))
    }
}

/// Prints a function's log lines on stdout, each as `<Name>: <line>`.
pub(crate) fn print_logs(name: &str, logs: Vec<String>) {
    if logs.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    for line in logs {
        let _ = writeln!(out, "{name}: {line}");
    }
}
