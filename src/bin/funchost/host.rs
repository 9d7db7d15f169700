//! The emulated host: the app's functions, the handler behind them, and one invocation of a
//! function in the mode the host would use (azure-host.md §3.1), logged in one line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use handler::azure::appfiles::{AppConfig, FunctionConfig, FunctionTimeout};
use handler::azure::json::Value;
use handler::azure::template::{self, Template};
use handler::http::response::Response;
use handler::http::{self, Handback, Takeover};
use handler::Request;

use crate::client::{self, Body, Client, Reply};
use crate::invocation::{self, Given, CONTENT_TYPE};
use crate::limits::{DEFAULT_FUNCTION_TIMEOUT, READY_WAIT, UNBOUNDED};
use crate::log::Log;
use crate::process::Supervisor;
use crate::reply::{self, Outcome};
use crate::util::{self, target, HOST_VERSION};
use crate::{forward, proxy};

/// How the host calls a function's handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `enableForwardingHttpRequest`: the request rebuilt and sent to its own path.
    Forwarding,
    /// The default: a JSON invocation POSTed to `/<FunctionName>`.
    Payload,
    /// `enableProxyingHttpRequest`: the request passed through and streamed.
    Proxying,
}

impl Mode {
    pub fn describe(self) -> &'static str {
        match self {
            Mode::Forwarding => "forwarding (enableForwardingHttpRequest)",
            Mode::Payload => "payload (JSON invocations)",
            Mode::Proxying => "proxying (enableProxyingHttpRequest)",
        }
    }
}

/// The mode the host uses for `function` of `app` (azure-host.md §3.1): proxying, then
/// forwarding, for HTTP in-and-out functions only; payload mode for everything else.
pub fn mode_of(app: &AppConfig, function: &FunctionConfig) -> Mode {
    match (function.is_http_in_out(), app.proxying, app.forwarding) {
        (true, true, _) => Mode::Proxying,
        (true, false, true) => Mode::Forwarding,
        _ => Mode::Payload,
    }
}

/// The app and its handler.
#[derive(Debug)]
pub struct Host {
    pub app: AppConfig,
    /// `None` when the app has no functions: the host then starts no handler.
    pub handler: Option<Supervisor>,
    pub log: Log,
    pub function_timeout: Duration,
    /// What every HTTP call gives its function besides the request (`invoke --input`).
    pub given: Given,
    /// The route template of each HTTP function, in `app.functions` order (`None` for others).
    templates: Vec<Option<Template>>,
}

impl Host {
    /// The host of `app` and `handler`, whose calls may run for `function_timeout`
    /// (`--function-timeout`), else for host.json's `functionTimeout`.
    pub fn new(
        app: AppConfig,
        handler: Option<Supervisor>,
        log: Log,
        function_timeout: Option<Duration>,
        given: Given,
    ) -> Result<Host, String> {
        let function_timeout = function_timeout.unwrap_or(match app.function_timeout {
            FunctionTimeout::Default => DEFAULT_FUNCTION_TIMEOUT,
            FunctionTimeout::After(length) => length,
            FunctionTimeout::Unbounded => UNBOUNDED,
        });
        let templates = app
            .functions
            .iter()
            .map(|f| f.is_http().then(|| app.template(f)).transpose())
            .collect::<Result<_, _>>()?;
        Ok(Host {
            app,
            handler,
            log,
            function_timeout,
            given,
            templates,
        })
    }

    /// The mode the host uses for `function` (`mode_of`).
    pub fn mode(&self, function: &FunctionConfig) -> Mode {
        mode_of(&self.app, function)
    }

    /// The HTTP function for `method` and the percent-encoded `path`, with its route values.
    pub fn route(
        &self,
        method: &str,
        path: &str,
    ) -> Option<(&FunctionConfig, Vec<(String, String)>)> {
        self.app
            .functions
            .iter()
            .zip(&self.templates)
            .filter(|(f, _)| allows(f, method))
            .find_map(|(f, template)| {
                let values = template.as_ref()?.matches(template::segments(path))?;
                Some((f, values))
            })
    }

    /// The handler's connection pool, once it is ready.
    pub fn ready(&self) -> Result<&Arc<Client>, String> {
        let handler = self.handler.as_ref().ok_or("no handler is running")?;
        handler.wait_ready(READY_WAIT)?;
        Ok(handler.client())
    }

    /// Calls an HTTP function with a whole request (forwarding or payload mode) and logs one
    /// line for it. Any failure is a 500 with an empty body, as in the host.
    pub fn call_http(
        &self,
        function: &FunctionConfig,
        params: &[(String, String)],
        req: &Request,
    ) -> Response {
        let started = Instant::now();
        let result = self.dispatch_http(function, params, req, &util::guid());
        let what = format!("{} {}", req.method(), target(req));
        let (status, response, outcome) = match result {
            Ok((response, written)) => (response.status, response, Ok(written)),
            Err(why) => (500, Response::new(500), Err(why)),
        };
        self.log_call(function, &what, status, started, outcome);
        response
    }

    /// Streams a request to a proxied function on the connection it came on, and logs one
    /// line for it; whether the connection serves the client's next request.
    pub fn relay(
        &self,
        function: &FunctionConfig,
        head: &http::Request<'_>,
        conn: Takeover<'_>,
    ) -> Handback {
        let started = Instant::now();
        let deadline = Instant::now() + self.function_timeout;
        let client = self.ready().map(|client| &**client);
        let relayed = proxy::relay(client, head, conn, &util::guid(), deadline);
        let what = format!("{} {}", head.method, target(&Request::from_http(head)));
        let outcome = relayed.failure.map_or(Ok(Vec::new()), Err);
        self.log_call(function, &what, relayed.status, started, outcome);
        relayed.handback
    }

    /// The response to a call, and the outputs it wrote.
    fn dispatch_http(
        &self,
        function: &FunctionConfig,
        params: &[(String, String)],
        req: &Request,
        id: &str,
    ) -> Result<(Response, Vec<String>), String> {
        let client = self.ready()?;
        let deadline = Instant::now() + self.function_timeout;
        match self.mode(function) {
            Mode::Forwarding => {
                let target = forward::target(req);
                let authority = format!("127.0.0.1:{}", client.port());
                let request = forward::request(req, &target, &authority, id)?;
                let reply = self.send(function, client, &request, deadline, id)?;
                Ok((forward::response(reply), Vec::new()))
            }
            // The front door streams these (`relay`); nothing else calls them.
            Mode::Proxying => Err("a proxied call needs its connection".into()),
            Mode::Payload => {
                let invocation = invocation::http(function, req, params, &self.given)?;
                let reply = self.post_invocation(function, client, &invocation, deadline, id)?;
                let outcome = reply::read(&reply).map_err(|f| f.to_string())?;
                let written = self.log_outcome(function, &outcome)?;
                let http_output = function.http_output().map(|b| b.name.as_str());
                let response = reply::http_response(&outcome, http_output);
                Ok((response.map_err(|f| f.to_string())?, written))
            }
        }
    }

    /// Invokes a non-HTTP function in payload mode with `invocation` (`invocation::other`): the
    /// handler's reply, and whether the host would record the invocation as a success (a reply
    /// it can use, and outputs it can write); `None` when no reply came.
    pub fn call_trigger(
        &self,
        function: &FunctionConfig,
        invocation: &Value,
    ) -> Option<(Reply, bool)> {
        let started = Instant::now();
        let id = util::guid();
        let what = format!(
            "{} invocation",
            function.trigger().map_or("?", |t| t.kind.as_str())
        );
        let deadline = Instant::now() + self.function_timeout;
        let sent = self
            .ready()
            .and_then(|client| self.post_invocation(function, client, invocation, deadline, &id));
        let reply = match sent {
            Ok(reply) => reply,
            Err(why) => {
                self.log_call(function, &what, 500, started, Err(why));
                return None;
            }
        };
        let outcome = reply::read(&reply).map_err(|f| f.to_string());
        let written = outcome.and_then(|outcome| self.log_outcome(function, &outcome));
        let succeeded = written.is_ok();
        self.log_call(function, &what, reply.head.status, started, written);
        Some((reply, succeeded))
    }

    /// `POST /<FunctionName>` with the invocation as a chunked JSON body.
    fn post_invocation(
        &self,
        function: &FunctionConfig,
        client: &Client,
        invocation: &Value,
        deadline: Instant,
        id: &str,
    ) -> Result<Reply, String> {
        let body = invocation.to_json();
        let target = format!("/{}", function.name);
        let header = |name: &str, value: &str| (name.to_string(), value.to_string());
        let request = client::Request {
            method: "POST",
            target: &target,
            headers: vec![
                header("Host", &format!("127.0.0.1:{}", client.port())),
                header(
                    "User-Agent",
                    &format!("Azure-Functions-Host/{HOST_VERSION}"),
                ),
                header("X-Azure-Functions-HostVersion", HOST_VERSION),
                header("X-Azure-Functions-InvocationId", id),
                header("Content-Type", CONTENT_TYPE),
            ],
            body: Body::Chunked(body.as_bytes()),
        };
        self.send(function, client, &request, deadline, id)
    }

    /// Sends a call; past the function timeout the handler is restarted, as the host does.
    fn send(
        &self,
        function: &FunctionConfig,
        client: &Client,
        request: &client::Request,
        deadline: Instant,
        id: &str,
    ) -> Result<Reply, String> {
        client.send(request, deadline).map_err(|e| match e {
            client::Error::Timeout => {
                let secs = self.function_timeout.as_secs();
                let limit = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
                if let Some(handler) = &self.handler {
                    handler.restart();
                }
                format!(
                    "Timeout value of {limit} was exceeded by function: Functions.{} (Id={id}); \
                     the handler is restarted",
                    function.name
                )
            }
            other => other.to_string(),
        })
    }

    /// Logs the reply's `Logs`, and each output as its binding receives it; the outputs
    /// written, or why the host fails the invocation.
    fn log_outcome(
        &self,
        function: &FunctionConfig,
        outcome: &Outcome,
    ) -> Result<Vec<String>, String> {
        let name = &function.name;
        for line in &outcome.logs {
            self.log.info(&format!("Functions.{name}: {line}"));
        }
        let written = reply::written(function, outcome);
        for (problem, line) in &written.lines {
            let say = if *problem { Log::warn } else { Log::info };
            say(self.log, &format!("Functions.{name}: {line}"));
        }
        if written.failed {
            return Err("an output cannot be written, so the host fails the invocation".into());
        }
        Ok(written.names)
    }

    /// One line per call: function, what was called, status, milliseconds, and the outputs it
    /// wrote or why it failed.
    fn log_call(
        &self,
        function: &FunctionConfig,
        what: &str,
        status: u16,
        started: Instant,
        outcome: Result<Vec<String>, String>,
    ) {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let line = format!(
            "Functions.{}: {what} -> {status} in {ms:.1} ms",
            function.name
        );
        match outcome {
            Ok(written) if written.is_empty() => self.log.info(&line),
            Ok(written) => self
                .log
                .info(&format!("{line} (outputs: {})", written.join(", "))),
            Err(why) => {
                let kind = function.trigger().map_or("", |t| t.kind.as_str());
                let next = reply::after_failure(kind).map_or(String::new(), |n| format!("; {n}"));
                self.log.error(&format!("{line} (failed: {why}{next})"));
            }
        }
    }
}

/// The public path of an HTTP function: `/api/HelloRust`.
pub fn public_path(app: &AppConfig, function: &FunctionConfig) -> String {
    let parts = [app.route_prefix.as_str(), function.route()].map(|p| p.trim_matches('/'));
    let parts: Vec<&str> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    format!("/{}", parts.join("/"))
}

/// Whether a function's `methods` allow `method` (none listed: every method). A method not
/// listed does not match the route, so the host answers 404 (azure-project-files.md §2).
pub fn allows(function: &FunctionConfig, method: &str) -> bool {
    let methods = function.methods();
    methods.is_empty() || methods.iter().any(|m| m.eq_ignore_ascii_case(method))
}
