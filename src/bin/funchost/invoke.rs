//! `funchost invoke NAME`: one call to one function, the reply on stdout. An HTTP function is
//! called through a front door of its own on a free port, as a client would call it, so the
//! call takes the same path as under `funchost start`; any other function gets the host's
//! payload-mode invocation directly.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use handler::azure::appfiles::FunctionConfig;
use handler::azure::json;
use handler::http::query::split_target;
use handler::http::response::{encode_head, BodyFraming, Framing};

use crate::cli::Call;
use crate::client::{Body, Client, Request};
use crate::front::Front;
use crate::host::{allows, Host};

/// Reads `--data`: a file, or stdin for `-`.
///
/// # Errors
/// A one-line message naming the file.
pub fn read_data(source: &str) -> Result<Vec<u8>, String> {
    if source == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(bytes);
    }
    std::fs::read(source).map_err(|e| format!("cannot read {source}: {e}"))
}

/// Sends `call` to `function` (with `data`, the bytes of `--data`) once the handler is ready,
/// and prints the reply; the exit status: success for a 2xx (or, for another trigger, a reply
/// the host can use).
///
/// # Errors
/// A one-line message: a handler that did not start, a path or method that does not reach the
/// function, `--data` that is not JSON for a trigger that takes JSON.
pub fn run(
    host: Arc<Host>,
    function: &FunctionConfig,
    call: &Call,
    data: Option<Vec<u8>>,
) -> Result<ExitCode, String> {
    host.ready()
        .map_err(|why| format!("the handler did not start: {why}"))?;
    let mut out = std::io::stdout().lock();
    if function.is_http() {
        let (status, bytes) = call_http(host, function, call, data.as_deref())?;
        let _ = out.write_all(&bytes);
        let _ = out.flush();
        return Ok(success((200..300).contains(&status)));
    }
    let data = match &data {
        None => json::Value::Null,
        Some(bytes) => json::parse(bytes).map_err(|e| format!("--data is not JSON: {e}"))?,
    };
    let Ok(called) = host.call_trigger(function, data) else {
        return Ok(ExitCode::FAILURE);
    };
    let _ = out.write_all(&called.reply.body);
    if !called.reply.body.ends_with(b"\n") {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
    Ok(success(called.outcome.is_ok()))
}

/// Calls an HTTP function through a front door on a free port: GET, or POST with `--data`, at
/// its URL unless `--path` says otherwise. The status and the response as printed.
fn call_http(
    host: Arc<Host>,
    function: &FunctionConfig,
    call: &Call,
    data: Option<&[u8]>,
) -> Result<(u16, Vec<u8>), String> {
    let default = if data.is_some() { "POST" } else { "GET" };
    let method = call.method.as_deref().unwrap_or(default);
    let target = match &call.path {
        Some(path) => path.clone(),
        None => {
            let path = host.public_path(function);
            if path.contains('{') {
                return Err(format!(
                    "{} has the route {path}: give --path",
                    function.name
                ));
            }
            path
        }
    };
    let path = split_target(&target).0;
    if host.route_values(function, path).is_none() {
        let url = host.public_path(function);
        return Err(format!(
            "{path} does not reach {} (its URL is {url})",
            function.name
        ));
    }
    if !allows(function, method) {
        let methods = function.trigger().map_or(&[][..], |t| &t.methods[..]);
        return Err(format!(
            "{} does not accept {method} (methods: {}); the host would answer 404",
            function.name,
            methods.join(", ")
        ));
    }
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
        headers.insert(0, ("Host".to_string(), "localhost:7071".to_string()));
    }
    let body = match data {
        Some(data) if chunked => Body::Chunked(data),
        Some(data) => Body::Length(data),
        None => Body::None,
    };
    let request = Request {
        method,
        target: &target,
        headers,
        body,
    };
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let deadline = Instant::now() + host.function_timeout;
    thread::spawn(move || handler::http::serve(listener, Arc::new(Front(host))));
    let reply = Client::new(port)
        .send(&request, deadline)
        .map_err(|e| format!("no answer from the local host: {e}"))?;
    let headers: Vec<_> = reply
        .head
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().into(), v.as_str().into()))
        .collect();
    let framing = Framing {
        head_only: method == "HEAD",
        keep_alive: true,
        http10: false,
    };
    let mut bytes = Vec::new();
    let length = BodyFraming::Length(reply.body.len() as u64);
    let date = handler::http::date::now();
    let status = reply.head.status;
    encode_head(
        status,
        &reply.head.reason,
        &headers,
        length,
        framing,
        &date,
        &mut bytes,
    );
    bytes.extend_from_slice(&reply.body);
    Ok((status, bytes))
}

fn success(yes: bool) -> ExitCode {
    if yes {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
