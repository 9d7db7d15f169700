//! `funchost invoke NAME`: one call to one function, the reply on stdout. An HTTP function is
//! called through a front door of its own on a free port, as a client would call it, so the
//! call takes the same path as under `funchost start`; any other function gets the host's
//! payload-mode invocation directly. Input bindings and trigger metadata come from files.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use handler::azure::appfiles::{AppConfig, FunctionConfig};
use handler::azure::host_inputs;
use handler::azure::json::{self, Value};
use handler::azure::template;
use handler::http::query::split_target;
use handler::http::response::{BodyFraming, Framing};

use crate::cli::Call;
use crate::client::{Body, Client, Request};
use crate::front::Front;
use crate::host::{self, allows, Host, Mode};
use crate::invocation::{self, content, Given};
use crate::limits::ANSWER_MARGIN;
use crate::log::Log;
use crate::settings::DEFAULT_PORT;
use crate::util;

/// What a call sends.
#[derive(Debug)]
pub enum Sent {
    /// An HTTP function's request: method, target, body (`--data`).
    Request(String, String, Option<Vec<u8>>),
    /// Any other function's invocation.
    Invocation(Value),
}

/// Refuses the options of `call` that mean nothing for `function`, called in `mode`: an HTTP
/// request's (`--path`, `--method`, `--header`) for a function that gets an invocation, and
/// inputs and metadata for one whose request is forwarded or proxied, which carries neither;
/// and a call without `--data` to a function whose trigger has data (all but a timer's and a
/// manual one's, which run as by hand).
///
/// # Errors
/// One line naming the first such option and why it does not apply.
pub fn check_options(function: &FunctionConfig, mode: Mode, call: &Call) -> Result<(), String> {
    let name = &function.name;
    let given = |option: &str, yes: bool| yes.then(|| option.to_string());
    if !function.is_http() {
        let kind = function.trigger().map_or("non-HTTP", |t| t.kind.as_str());
        let request_only = [
            given("--path", call.path.is_some()),
            given("--method", call.method.is_some()),
            given("--header", !call.headers.is_empty()),
        ];
        if let Some(option) = request_only.into_iter().flatten().next() {
            return Err(format!(
                "{option} does not apply to {name}: a {kind} function gets the host's \
                 invocation, not an HTTP request (its trigger's content is --data)"
            ));
        }
        let by_hand = ["timerTrigger", "manualTrigger"];
        if call.data.is_none() && !by_hand.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            return Err(format!(
                "{name} is a {kind} function: give its trigger's content with --data FILE, \
                 or --data - for stdin"
            ));
        }
        return Ok(());
    }
    let how = match mode {
        Mode::Payload => return Ok(()),
        Mode::Forwarding => "forwards its HTTP request as is (enableForwardingHttpRequest)",
        Mode::Proxying => "passes its HTTP request through (enableProxyingHttpRequest)",
    };
    let invocation_only = [
        given("--input", !call.inputs.is_empty()),
        given("--metadata", !call.metadata.is_empty()),
        given("--metadata-file", call.metadata_file.is_some()),
    ];
    match invocation_only.into_iter().flatten().next() {
        Some(option) => Err(format!(
            "{option} does not apply to {name}: the host {how}, with no input bindings or \
             trigger metadata"
        )),
        None => Ok(()),
    }
}

/// Reads the files of `call` (at most one of them stdin) and checks them against `function`'s
/// bindings: each `--input` names one of its inputs, and every content can be its binding's.
/// What the function is given besides an HTTP request, and what the call sends, ready before
/// the handler starts.
///
/// # Errors
/// A one-line message naming the file, the binding or the value at fault.
pub fn prepare(
    app: &AppConfig,
    function: &FunctionConfig,
    call: &Call,
) -> Result<(Given, Sent), String> {
    let from_stdin = call.data.iter().chain(call.inputs.iter().map(|(_, f)| f));
    if from_stdin.filter(|source| *source == "-").count() > 1 {
        return Err("only one of --data and --input can read stdin (-)".into());
    }
    let mut given = Given::default();
    for (name, source) in &call.inputs {
        let input = function
            .inputs()
            .find(|b| b.name.eq_ignore_ascii_case(name));
        let Some(input) = input else {
            let names = util::names(function.inputs().map(|b| b.name.as_str()));
            return Err(format!(
                "{} has no input binding {name:?} (inputs: {names}; the trigger's data is \
                 --data){}",
                function.name,
                function.direction_hint(name, false)
            ));
        };
        let bytes = content(read(source)?);
        host_inputs::data(input, Some(&bytes))?;
        given.inputs.push((input.name.clone(), bytes));
    }
    // A blob named by its path's last token (`in/{name}`, `in/{name}.txt`) is named after the
    // --data file.
    let pattern = function.trigger().filter(|t| t.is("blobTrigger"));
    let pattern = pattern.and_then(|t| t.path.as_deref());
    let file = call.data.as_deref().filter(|f| *f != "-");
    let file = file.and_then(|f| std::path::Path::new(f).file_name());
    let mut misfit = None;
    if let (Some(pattern), Some(file)) = (pattern, file) {
        match invocation::blob_token(pattern, &file.to_string_lossy()) {
            Some((token, name)) => given.metadata.push((token.to_string(), Value::from(name))),
            None => misfit = Some((pattern, file.to_string_lossy())),
        }
    }
    if let Some(file) = &call.metadata_file {
        let text = read(file)?;
        let value = json::parse(&text).map_err(|e| format!("{file} is not JSON: {e}"))?;
        let Value::Object(members) = value else {
            return Err(format!("{file} is not a JSON object of metadata"));
        };
        given.metadata.extend(members);
    }
    for (key, text) in &call.metadata {
        let value = json::parse(text.as_bytes()).unwrap_or_else(|_| Value::from(text.as_str()));
        given.metadata.push((key.clone(), value));
    }
    if let Some((pattern, file)) = misfit {
        // The host names a blob by its path: a name that does not fit leaves the tokens unset.
        let segment = pattern.rsplit('/').next().unwrap_or(pattern);
        let unset = invocation::blob_tokens(segment).filter(|token| {
            !given
                .metadata
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(token))
        });
        let unset = unset.collect::<Vec<_>>();
        // One token funchost can match in a name; two in a segment (`{name}.{ext}`) it cannot
        // split, where the host's pattern match would.
        let why = match invocation::blob_tokens(segment).count() {
            1 => format!("{file} does not fit the blob path {pattern}"),
            _ => format!("funchost cannot split {file} into the tokens of {pattern}"),
        };
        if !unset.is_empty() {
            Log::Stderr.warn(&format!(
                "{why}: {} gets no {} (give --metadata {}=VALUE)",
                function.name,
                unset.join(", "),
                unset[0],
            ));
        }
    }
    let data = call.data.as_deref().map(read).transpose()?;
    if function.is_http() {
        let (method, target) = http_request(app, function, call, data.is_some())?;
        return Ok((given, Sent::Request(method, target, data)));
    }
    given.trigger = data.map(content);
    let invocation = invocation::other(function, &given)?;
    Ok((given, Sent::Invocation(invocation)))
}

/// The method and target of a call to the HTTP `function`: GET, or POST with a body, at its
/// URL unless `--path` says otherwise.
///
/// # Errors
/// A route with parameters and no `--path`, or a path or method that does not reach the
/// function.
fn http_request(
    app: &AppConfig,
    function: &FunctionConfig,
    call: &Call,
    body: bool,
) -> Result<(String, String), String> {
    let default = if body { "POST" } else { "GET" };
    let method = call.method.as_deref().unwrap_or(default);
    let url = host::public_path(app, function);
    let target = match &call.path {
        Some(path) => path.clone(),
        None if url.contains('{') => {
            return Err(format!(
                "{} has the route {url}: give --path",
                function.name
            ))
        }
        None => url.clone(),
    };
    let path = split_target(&target).0;
    if app
        .template(function)?
        .matches(template::segments(path))
        .is_none()
    {
        return Err(format!(
            "{path} does not reach {} (its URL is {url})",
            function.name
        ));
    }
    if !allows(function, method) {
        return Err(format!(
            "{} does not accept {method} (methods: {}); the host would answer 404",
            function.name,
            function.methods().join(", ")
        ));
    }
    Ok((method.to_string(), target))
}

/// A file's bytes, or stdin's for `-`.
fn read(source: &str) -> Result<Vec<u8>, String> {
    if source == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(bytes);
    }
    std::fs::read(source).map_err(|e| format!("cannot read {source}: {e}"))
}

/// Sends `sent` to `function` once the handler is ready, and prints the reply; the exit
/// status: success for a 2xx (or, for another trigger, a reply and outputs the host can use).
///
/// # Errors
/// A one-line message: a handler that did not start, or a front door that did not answer.
pub fn run(
    host: Arc<Host>,
    function: &FunctionConfig,
    call: &Call,
    sent: Sent,
) -> Result<ExitCode, String> {
    host.ready()
        .map_err(|why| format!("the handler did not start: {why}"))?;
    let mut out = std::io::stdout().lock();
    // A reply ends its line; a response, as printed, not as sent, only in a terminal, where
    // the prompt would follow the body on its line.
    let (bytes, succeeded, end_line) = match sent {
        Sent::Request(method, target, body) => {
            let (status, bytes) = call_http(host, call, &method, &target, body.as_deref())?;
            (bytes, (200..300).contains(&status), out.is_terminal())
        }
        Sent::Invocation(invocation) => match host.call_trigger(function, &invocation) {
            Some((reply, succeeded)) => (reply.body, succeeded, true),
            None => return Ok(ExitCode::FAILURE),
        },
    };
    let _ = out.write_all(&bytes);
    if end_line && !bytes.ends_with(b"\n") {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
    Ok(if succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Calls an HTTP function through a front door on a free port with `method` and `target`
/// (`http_request`). The status and the response as printed.
fn call_http(
    host: Arc<Host>,
    call: &Call,
    method: &str,
    target: &str,
    data: Option<&[u8]>,
) -> Result<(u16, Vec<u8>), String> {
    // The client frames the body: a Content-Length or Transfer-Encoding given is a wish for
    // one or the other, not a header to send twice.
    let chunked = call.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    let mut headers: Vec<(String, String)> = call
        .headers
        .iter()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("content-length")
                && !n.eq_ignore_ascii_case("transfer-encoding")
        })
        .cloned()
        .collect();
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        headers.insert(0, ("Host".to_string(), format!("localhost:{DEFAULT_PORT}")));
    }
    let body = match data {
        Some(data) if chunked => Body::Chunked(data),
        Some(data) => Body::Length(data),
        None => Body::None,
    };
    let request = Request {
        method,
        target,
        headers,
        body,
    };
    let listener =
        handler::http::listen(0).map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    // The front door answers 500 once the function timeout has passed; the margin lets that
    // answer arrive, so a timeout is printed as the response it is.
    let deadline = Instant::now() + host.function_timeout + ANSWER_MARGIN;
    thread::spawn(move || handler::http::serve(listener, Arc::new(Front(host))));
    let reply = Client::new(port)
        .send(&request, deadline)
        .map_err(|e| format!("no answer from the local host: {e}"))?;
    let framing = Framing {
        head_only: method == "HEAD",
        keep_alive: true,
        http10: false,
    };
    let length = BodyFraming::Length(reply.body.len() as u64);
    let mut bytes = reply
        .head
        .encode(reply.head.headers.iter(), length, framing);
    bytes.extend_from_slice(&reply.body);
    Ok((reply.head.status, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::function;

    #[test]
    fn options_apply_by_trigger_and_mode() {
        let http = function(
            "Echo",
            r#"{"type":"httpTrigger","direction":"in","name":"req"},{"type":"http","direction":"out","name":"res"}"#,
        );
        let timer = function(
            "Tick",
            r#"{"type":"timerTrigger","direction":"in","name":"t","schedule":"0 * * * * *"}"#,
        );
        let metadata = Call {
            metadata: vec![("a".into(), "b".into())],
            ..Call::default()
        };
        let path = Call {
            path: Some("/api/x".into()),
            ..Call::default()
        };
        // Payload mode sends metadata with an HTTP function's invocation too.
        assert_eq!(check_options(&http, Mode::Payload, &metadata), Ok(()));
        assert_eq!(check_options(&http, Mode::Forwarding, &path), Ok(()));
        assert_eq!(check_options(&timer, Mode::Payload, &metadata), Ok(()));
        assert_eq!(
            check_options(&http, Mode::Proxying, &metadata),
            Err(
                "--metadata does not apply to Echo: the host passes its HTTP request through \
                 (enableProxyingHttpRequest), with no input bindings or trigger metadata"
                    .into()
            )
        );
    }
}
