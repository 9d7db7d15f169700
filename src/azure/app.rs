//! From a whole request to a response: routing, 404 and 405, the two modes, and a panicking
//! function turned into a 500. No I/O but the function's log lines, so all of it is tested
//! without sockets.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::azure::payload;
use crate::azure::request::Request;
use crate::azure::router::{Found, Mode, Router};
use crate::http::response::Response;

/// Answers one request: a forwarded request with the function its method and path route to,
/// a payload-mode invocation (`POST /<FunctionName>`) with the JSON result (`payload`).
pub fn respond(router: &Router, mut req: Request) -> Response {
    let (route, params) = match router.find(&req.method, &req.path) {
        Found::Route(route, params) => (route, params),
        Found::MethodNotAllowed(allow) => {
            return Response::text(405, "Method Not Allowed").header("Allow", &allow);
        }
        Found::NotFound => return Response::text(404, "Not Found"),
    };
    if let Mode::Payload(shape) = &route.mode {
        return payload::respond(route.function, shape, &req.body);
    }
    req.params = params;
    let response = run_guarded(route.function.run, &req);
    // Forwarding mode has no Logs array: a function's log lines go to stdout, which the host
    // logs at Information level.
    print_logs(route.function.name, req.take_logs());
    response
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
