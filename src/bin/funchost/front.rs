//! The local host's front door, `127.0.0.1:<port>`: the handler library's own server
//! (`http::serve`, with its limits, timeouts and refusals) with this `Handler` behind it.
//!
//! Paths: `/{routePrefix}/{route}` calls a function, in its mode (`Host::call_http`); a proxied
//! function takes its connection over to stream (`Host::relay`). `/` is the landing page
//! `func start` serves; `GET /admin/host/status` reports the host running; `POST
//! /admin/functions/{name}` with `{"input": …}` invokes a non-HTTP function (what VS Code's
//! "Execute Function Now" sends).

use std::sync::Arc;
use std::thread;

use handler::azure::json::{self, Value};
use handler::http::{self, Handback, Handler, Response, Takeover};

use crate::host::{self, Host, Mode};
use crate::invocation::{self, content, Given};
use crate::util::HOST_VERSION;

/// The front door's handler.
#[derive(Debug)]
pub struct Front(pub Arc<Host>);

impl Handler for Front {
    fn handle(&self, req: &http::Request<'_>) -> Response {
        let host = &self.0;
        if let Some((function, params)) = host.route(req.method, req.path) {
            return host.call_http(function, &params, &handler::Request::from_http(req));
        }
        let get = matches!(req.method, "GET" | "HEAD");
        if get && req.path == "/" {
            Response::new(200)
                .header("Content-Type", "text/html; charset=utf-8")
                .body(LANDING.as_bytes().to_vec())
        } else if get && req.path.eq_ignore_ascii_case("/admin/host/status") {
            let status =
                format!(r#"{{"id":"funchost","state":"Running","version":"{HOST_VERSION}"}}"#);
            Response::json(200, status)
        } else if let Some(name) = req.path.strip_prefix("/admin/functions/") {
            match req.method {
                "POST" => admin_invoke(host, name, req.body),
                _ => Response::new(404),
            }
        } else {
            Response::new(404)
        }
    }

    fn takes_over(&self, head: &http::Request<'_>) -> bool {
        let found = self.0.route(head.method, head.path);
        found.is_some_and(|(function, _)| self.0.mode(function) == Mode::Proxying)
    }

    fn take_over(&self, head: &http::Request<'_>, conn: Takeover<'_>) -> Handback {
        match self.0.route(head.method, head.path) {
            Some((function, _)) => self.0.relay(function, head, conn),
            None => Handback::Close,
        }
    }
}

const LANDING: &str = "<!DOCTYPE html>\n<html><head><title>funchost</title></head><body>\
<p>Your Functions 4.0 app is up and running (funchost, a local stand-in for the Azure Functions host).</p>\
</body></html>\n";

/// `POST /admin/functions/{name}` with `{"input": …}`: runs a non-HTTP function in the
/// background and answers 202 at once, as the host's admin API does. The input is the
/// trigger's content (a string as its text, anything else as its JSON), but a blob's path.
fn admin_invoke(host: &Arc<Host>, name: &str, body: &[u8]) -> Response {
    // `[FromBody] FunctionInvocation` is null without a body: the host answers 400 first.
    if body.iter().all(u8::is_ascii_whitespace) {
        return Response::text(400, "The body is empty: send {\"input\": …}\n");
    }
    let Some(function) = host.app.function(name).cloned() else {
        return Response::new(404);
    };
    if function.is_http() {
        let path = host::public_path(&host.app, &function);
        return Response::text(
            400,
            format!("{} is an HTTP function: call {path}\n", function.name),
        );
    }
    // The host takes a blob trigger's input as the blob's path and reads the blob from storage.
    if function.trigger().is_some_and(|t| t.is("blobTrigger")) {
        return Response::text(
            400,
            format!(
                "{0} is a blobTrigger function: the host takes \"input\" as a blob's path \
                 (container/name) and reads that blob from storage, which funchost does not \
                 have; run it on a file instead: funchost invoke {0} --data FILE\n",
                function.name
            ),
        );
    }
    let input = match json::parse(body) {
        // `null` binds no invocation either.
        Ok(Value::Null) => return Response::text(400, "The body is null: send {\"input\": …}\n"),
        Ok(value) => value.get_ignore_case("input").cloned(),
        Err(e) => return Response::text(400, format!("The body is not JSON: {e}\n")),
    };
    // The host runs a timer by hand whatever the input, unless it is a timer's data.
    let timer = function.trigger().is_some_and(|t| t.is("timerTrigger"));
    let input = input.filter(|v| *v != Value::Null && (!timer || v.as_object().is_some()));
    let given = Given {
        trigger: input.map(|v| content(v.to_json().into_bytes())),
        ..Given::default()
    };
    let invocation = match invocation::other(&function, &given) {
        Ok(invocation) => invocation,
        Err(why) => return Response::text(400, format!("{why}\n")),
    };
    let host = Arc::clone(host);
    let spawned = thread::Builder::new()
        .name("admin-invoke".into())
        .spawn(move || {
            let _ = host.call_trigger(&function, &invocation);
        });
    match spawned {
        Ok(_) => Response::new(202),
        Err(_) => Response::new(500),
    }
}
