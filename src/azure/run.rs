//! A function, and running one: a panic or a status that is not final becomes a 500, and log
//! lines go to stdout when there is no `Logs` array to carry them.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::azure::request::Request;
use crate::azure::response::Response;

/// A function registered under the name of its folder in the app: a plain `fn`, listed in a
/// table (`functions::FUNCTIONS`).
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub run: fn(&Request) -> Response,
}

/// The function of `table` called `name`, compared ignoring ASCII case.
pub fn find(table: &'static [Function], name: &str) -> Option<&'static Function> {
    table.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// Runs a function; a panic becomes a 500 and the worker goes on. The panic hook has already
/// printed the panic's one-line message to stderr.
pub fn run_guarded(run: fn(&Request) -> Response, req: &Request) -> Response {
    run_caught(run, req).unwrap_or_else(|| Response::text(500, "Internal Server Error"))
}

/// Runs a function; `None` if it panicked. A status that is not a final one (200-599) is a bug
/// too: a 1xx would leave the client waiting for the real answer, so it becomes a 500.
pub(crate) fn run_caught(run: fn(&Request) -> Response, req: &Request) -> Option<Response> {
    let response = catch_unwind(AssertUnwindSafe(|| run(req))).ok()?;
    if (200..=599).contains(&response.status) {
        return Some(response);
    }
    eprintln!(
        "handler: a function answered status {}, which is not a final status (200-599); answered 500",
        response.status
    );
    Some(Response::text(500, "Internal Server Error"))
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
