//! `funchost invoke NAME`: one call to one function, the reply on stdout.

use std::io::{Read, Write};
use std::process::ExitCode;

use handler::azure::appfiles::FunctionConfig;
use handler::azure::json;
use handler::http::response::{self, Framing};

use crate::host::{Host, Incoming};
use crate::routes::{self, Template};

/// What to send.
#[derive(Debug, Clone)]
pub struct Call {
    pub name: String,
    /// The bytes of `--data`, if given.
    pub data: Option<Vec<u8>>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: Vec<(String, String)>,
}

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

/// The HTTP request for an HTTP function, and its route values.
///
/// # Errors
/// The path does not reach the function, or the method is not one of its `methods`.
pub fn http_request(
    host: &Host,
    function: &FunctionConfig,
    call: &Call,
) -> Result<(Incoming, Vec<(String, String)>), String> {
    let method = call
        .method
        .clone()
        .unwrap_or_else(|| if call.data.is_some() { "POST" } else { "GET" }.to_string());
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
    let template = Template::new(&host.app.route_prefix, function.route());
    let path = handler::http::query::split_target(&target).0;
    let params = template.matches(path).ok_or_else(|| {
        format!(
            "{path} does not reach {} (its URL is {})",
            function.name,
            host.public_path(function)
        )
    })?;
    let methods = function.trigger().map_or(&[][..], |t| &t.methods);
    if !routes::allows(methods, &method) {
        return Err(format!(
            "{} does not accept {method} (methods: {}); the host would answer 404",
            function.name,
            methods.join(", ")
        ));
    }
    let mut headers = Vec::new();
    if !call
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"))
    {
        headers.push(("Host".to_string(), "localhost:7071".to_string()));
    }
    headers.extend(call.headers.iter().cloned());
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    let body = call.data.clone().unwrap_or_default();
    let has_length = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    if call.data.is_some() && !chunked && !has_length {
        headers.push(("Content-Length".to_string(), body.len().to_string()));
    }
    let incoming = Incoming {
        method,
        target,
        headers,
        body,
        chunked,
    };
    Ok((incoming, params))
}

/// Sends the call and prints the reply; the exit status.
pub fn run(host: &Host, call: &Call) -> ExitCode {
    let Some(function) = host.app.function(&call.name).cloned() else {
        let names: Vec<&str> = host.app.functions.iter().map(|f| f.name.as_str()).collect();
        let list = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        return fail(&format!(
            "no function named {} in {} (functions: {list})",
            call.name,
            host.app.root.display()
        ));
    };
    if let Err(why) = host.ready() {
        return fail(&format!("the handler did not start: {why}"));
    }
    let mut out = std::io::stdout().lock();
    if function.is_http() {
        let (incoming, params) = match http_request(host, &function, call) {
            Ok(request) => request,
            Err(why) => return fail(&why),
        };
        let response = host.call_http(&function, &params, &incoming);
        let framing = Framing {
            head_only: incoming.method == "HEAD",
            keep_alive: true,
            http10: false,
        };
        let mut bytes = Vec::new();
        response::encode(&response, framing, &handler::http::date::now(), &mut bytes);
        let _ = out.write_all(&bytes);
        let _ = out.flush();
        return status((200..300).contains(&response.status));
    }
    let data = match &call.data {
        None => json::Value::Null,
        Some(bytes) => match json::parse(bytes) {
            Ok(value) => value,
            Err(e) => return fail(&format!("--data is not JSON: {e}")),
        },
    };
    match host.call_trigger(&function, data) {
        Ok(call) => {
            let _ = out.write_all(&call.reply.body);
            if !call.reply.body.ends_with(b"\n") {
                let _ = out.write_all(b"\n");
            }
            let _ = out.flush();
            status(call.outcome.is_ok())
        }
        Err(_) => ExitCode::FAILURE,
    }
}

fn status(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("funchost: {message}");
    ExitCode::FAILURE
}
