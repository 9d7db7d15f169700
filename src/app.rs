//! From a whole request to a response: routing, 404 and 405, and a panicking function turned
//! into a 500. No I/O, so all of it is tested without sockets.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::request::Request;
use crate::response::Response;
use crate::router::{Found, Router};

/// Answers one request with the function its method and path route to.
pub fn respond(router: &Router, mut req: Request) -> Response {
    let (route, params) = match router.find(&req.method, &req.path) {
        Found::Route(route, params) => (route, params),
        Found::MethodNotAllowed(allow) => {
            return Response::text(405, "Method Not Allowed").header("Allow", &allow);
        }
        Found::NotFound => return Response::text(404, "Not Found"),
    };
    req.params = params;
    let response = run_guarded(route.function.run, &req);
    // Forwarding mode has no Logs array: a function's log lines go to stdout, which the host
    // logs at Information level.
    let logs = req.take_logs();
    if !logs.is_empty() {
        let mut out = std::io::stdout().lock();
        for line in logs {
            let _ = writeln!(out, "{}: {line}", route.function.name);
        }
    }
    response
}

/// Runs a function; a panic becomes a 500 and the worker goes on. The panic hook has already
/// printed the panic's one-line message to stderr.
pub fn run_guarded(run: fn(&Request) -> Response, req: &Request) -> Response {
    catch_unwind(AssertUnwindSafe(|| run(req)))
        .unwrap_or_else(|_| Response::text(500, "Internal Server Error"))
}
