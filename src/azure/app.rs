//! The Azure Functions app as the server's `Handler`: routing, 404 and 405, the two modes, and
//! the optional request-log line. No I/O but log lines, so all of it is tested without sockets.

use std::io::Write;
use std::time::Instant;

use crate::azure::payload;
use crate::azure::request::Request;
use crate::azure::response::{self, unsendable_header};
use crate::azure::router::{Found, Mode, Router};
use crate::azure::run::{print_logs, run_caught, Fault};
use crate::http::{self, Handler, Response};

/// The app: its routes, and whether to print a line per request (`HANDLER_LOG_REQUESTS=1`).
#[derive(Debug)]
pub struct App {
    router: Router,
    log_requests: bool,
}

impl App {
    pub fn new(router: Router, log_requests: bool) -> App {
        App {
            router,
            log_requests,
        }
    }
}

impl Handler for App {
    fn handle(&self, req: &http::Request<'_>) -> Response {
        let started = self.log_requests.then(Instant::now);
        let response = respond(&self.router, Request::from_http(req));
        if let Some(at) = started {
            log_request(req, response.status, at);
        }
        response
    }
}

/// Answers one request: a forwarded request with the function its method and path route to,
/// a payload-mode invocation (`POST /<FunctionName>`) with the JSON result (`payload`).
pub fn respond(router: &Router, req: Request) -> Response {
    let (route, params) = match router.find(req.method(), req.path()) {
        Found::Route(route, params) => (route, params),
        Found::MethodNotAllowed(allow) => {
            return Response::text(405, "Method Not Allowed").header("Allow", &allow);
        }
        Found::NotFound => return Response::text(404, "Not Found"),
    };
    if let Mode::Payload(shape) = &route.mode {
        return payload::respond(route.function, shape, req.body());
    }
    let req = req.with_params(params);
    let response = run_caught(route.function.run, &req);
    // Forwarding mode has no Logs array: a function's log lines go to stdout, which the host
    // logs at Information level.
    print_logs(route.function.name, req.take_logs());
    forwarded(route.function.name, response)
}

/// The answer to a forwarded request: the function's HTTP answer, or a 500 with the reason on
/// stderr (the host logs it at Error level) when it failed: it panicked (the panic hook has
/// printed why), answered a status that is not final, or reported a failure. The host forwards
/// only functions whose function.json has nothing but HTTP in and out, so an output set here is
/// one the app does not declare: rather than drop it, the request fails too.
fn forwarded(name: &str, response: Result<response::Response, Fault>) -> Response {
    let response = match response {
        Ok(response) => response,
        Err(Fault::Panicked) => return Response::text(500, "Internal Server Error"),
        Err(fault) => response::Response::failed(fault.to_string()),
    };
    let (http, outputs, failure) = response.into_parts();
    let failure = failure.or_else(|| {
        let mut headers = http.headers.iter();
        headers.find_map(|(name, value)| unsendable_header(name, value))
    });
    if outputs.is_empty() && failure.is_none() {
        return http;
    }
    // Not `eprintln!`, which panics when stderr's reader has gone: the answer goes out anyway.
    let mut stderr = std::io::stderr();
    if let Some(reason) = failure {
        let _ = writeln!(stderr, "handler: {name}: {reason}");
    }
    if !outputs.is_empty() {
        let names: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(
            stderr,
            "handler: {name}: set the outputs {}, but a forwarded request has none: the host \
             forwards only functions that declare nothing but an httpTrigger and an http output; \
             answered 500",
            names.join(", ")
        );
    }
    Response::text(500, "Internal Server Error")
}

/// One line per request on stdout, which the host logs at Information:
/// `GET /api/HelloRust 200 84us id=<invocation id>`.
fn log_request(req: &http::Request<'_>, status: u16, started: Instant) {
    let micros = started.elapsed().as_micros();
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{} {} {status} {micros}us", req.method, req.path);
    if let Some(id) = req.header("x-azure-functions-invocationid") {
        let _ = write!(stdout, " id={id}");
    }
    let _ = writeln!(stdout);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_answer_is_the_functions_unless_it_failed() {
        let fine = response::Response::text(201, "made");
        let answer = forwarded("F", Ok(fine));
        assert_eq!((answer.status, answer.body.as_ref()), (201, &b"made"[..]));
        let failures = [
            Err(Fault::Panicked),
            Err(Fault::NotFinal(103)),
            Ok(response::Response::failed("no")),
            Ok(response::Response::text(200, "x").output("out", "y")),
            Ok(response::Response::text(200, "x").header("X-Name", "Görkem")),
            Ok(response::Response::text(200, "x").header("X-Line", "a\rb")),
            Ok(response::Response::text(200, "x").header("X Name", "a")),
        ];
        // A header the server sets itself is dropped, whatever the function put in it.
        let dropped = response::Response::text(200, "x").header("Date", "é");
        assert_eq!(forwarded("F", Ok(dropped)).status, 200);
        for failed in failures {
            let answer = forwarded("F", failed);
            assert_eq!(
                (answer.status, answer.body.as_ref()),
                (500, &b"Internal Server Error"[..])
            );
        }
    }
}
