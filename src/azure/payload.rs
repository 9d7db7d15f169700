//! Payload mode: the host's JSON invocation in, its JSON result out (azure-host.md §4).
//!
//! The host invokes a function with `POST /<FunctionName>` (no route prefix, no query) and a
//! chunked `application/json` body `{"Data": {...}, "Metadata": {...}}`, whenever it does not
//! forward the request: forwarding is off in host.json, or the function is not exactly HTTP in
//! and out (a timer, a queue output...). The function itself is the same `fn(&Request) ->
//! Response` as in forwarding mode; this module builds its `Request` from the invocation and
//! wraps its `Response` into the result.
//!
//! **The function's request.** `Metadata` is not read.
//! - HTTP trigger: from `Data.<trigger name>` (`req`). `Method` as sent; `Url` gives the path
//!   (`/api/HelloRust`); the query is `Query` re-encoded (an object, or on older hosts a string
//!   holding that object's JSON or a raw query string), else the query of `Url`; each `Headers`
//!   entry becomes one header, several values joined with `, ` (`; ` for `Cookie`), as the
//!   host's HttpClient joins them when it forwards; `Params` are the route parameters; `Body` is
//!   the body: a string as its UTF-8 bytes (base64-decoded when the `Content-Type` is
//!   `application/octet-stream` or `multipart/*`, as the host encodes those), any other JSON
//!   value as its JSON text, absent as empty. So a function sees the same request in both
//!   modes. `Identities` is not read.
//! - Any other trigger (timer, queue...): `POST /<FunctionName>`, `Content-Type:
//!   application/json`, and as body the JSON text of `Data.<trigger name>` (for a timer,
//!   `{"Schedule":...,"ScheduleStatus":...,"IsPastDue":false}`).
//!
//! **The result.** `{"Outputs":{...},"Logs":[...],"ReturnValue":...}`, `Content-Type:
//! application/json`, never empty and never `null` (the host hangs on those).
//! - The function's response goes to the http output binding: `Outputs.res` =
//!   `{"statusCode":N,"body":"...","headers":{...}}`, or `ReturnValue` when that binding is
//!   named `$return` (the host reads it there, and only as an object with a `body`). Headers
//!   the server owns in forwarding mode (`Content-Length`, `Connection`...) or that are not
//!   valid fields are left out, repeated names are joined with `, ` (the host keeps one value
//!   per name), and a body without a `Content-Type` gets `application/octet-stream`, as in
//!   forwarding mode. A function without an http output answers `Outputs: {}`.
//! - The body travels as a JSON string, so it must be UTF-8: payload mode cannot carry bytes.
//!   A body that is not UTF-8 is answered as a 500 with a `Logs` line saying why, rather than
//!   sent mangled; forwarding mode carries any bytes.
//! - `Logs`: the lines the function logged with `Request::log`, then any notes of the handler
//!   (prefixed `handler: `). The host logs each against the invocation.
//! - Status: always `200` for an HTTP trigger, whatever the function answered (its status is
//!   in `res`; a non-2xx reply would reach the client as a bare 500 and lose the logs). For any
//!   other trigger, `500` when the function answered 5xx or panicked, so that the host records
//!   the invocation as failed and applies its retry policy; the host drops the body of a
//!   non-2xx reply, so the log lines are then also printed on stdout.
//! - An invocation that cannot be read (not JSON, no `Data.<trigger>`, a wrong type) runs no
//!   function: it is answered as if the function had answered `400` with the reason, and the
//!   reason is logged. A request that is not even valid HTTP framing is the server's 400.
//! - An unknown function (`POST /Nope`) is the router's 404: that is the host's
//!   "custom handler endpoint not found" case, not an invocation.

use crate::azure::appfiles::FunctionConfig;
use crate::azure::base64;
use crate::azure::json::{self, Value};
use crate::azure::request::Request;
use crate::azure::run;
use crate::functions::Function;
use crate::http::parse::is_tchar;
use crate::http::request::{find_header, media_type};
use crate::http::response::{self, Response};

/// Where a function's invocation data is and where its answer goes: what payload mode needs
/// from its function.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The trigger binding's name: the member of `Data` holding the trigger's data.
    pub trigger: String,
    /// Whether the trigger is an HTTP trigger, so `Data.<trigger>` is a request.
    pub http: bool,
    /// The http output binding's name: the member of `Outputs` that carries the response, or
    /// `$return` for `ReturnValue`. `None` when the function has no http output.
    pub http_output: Option<String>,
}

/// The name of the binding that stands for the return value.
const RETURN: &str = "$return";

impl Shape {
    /// What `func new` generates for an HTTP trigger: `req` in, `res` out.
    pub fn quickstart() -> Shape {
        Shape {
            trigger: "req".to_string(),
            http: true,
            http_output: Some("res".to_string()),
        }
    }

    /// The shape `function` declares.
    pub fn of(function: &FunctionConfig) -> Shape {
        Shape {
            trigger: function
                .trigger()
                .map_or_else(String::new, |t| t.name.clone()),
            http: function.is_http(),
            http_output: function.http_output().map(|b| b.name.clone()),
        }
    }
}

/// Answers one payload-mode invocation of `function`, whose JSON is `body`.
pub fn respond(function: &Function, shape: &Shape, body: &[u8]) -> Response {
    let (answer, mut logs) = run(function, shape, body);
    let failed = !shape.http && answer.status >= 500;
    let mut http = String::new();
    if shape.http_output.is_some() {
        write_response(answer, &mut logs, &mut http);
    }
    let to_return = shape.http_output.as_deref() == Some(RETURN);
    let mut result = String::with_capacity(64 + http.len());
    result.push_str("{\"Outputs\":{");
    if let Some(binding) = shape.http_output.as_deref().filter(|_| !to_return) {
        json::write_string(&mut result, binding);
        result.push(':');
        result.push_str(&http);
    }
    result.push_str("},\"Logs\":[");
    for (i, line) in logs.iter().enumerate() {
        if i > 0 {
            result.push(',');
        }
        json::write_string(&mut result, line);
    }
    result.push_str("],\"ReturnValue\":");
    result.push_str(if to_return { &http } else { "null" });
    result.push('}');
    if failed {
        run::print_logs(function.name, logs);
        return Response::json(500, result);
    }
    Response::json(200, result)
}

/// Runs `function` on the invocation `body`: its answer and its log lines; for an invocation
/// that cannot be read, a 400 with the reason, which is also logged.
fn run(function: &Function, shape: &Shape, body: &[u8]) -> (Response, Vec<String>) {
    let req = match invocation(function.name, shape, body) {
        Ok(req) => req,
        Err(reason) => {
            let reason = format!("invalid invocation: {reason}");
            let answer = Response::text(400, format!("Bad Request: {reason}"));
            return (answer, vec![format!("handler: {reason}")]);
        }
    };
    let answer = run::run_caught(function.run, &req);
    let mut logs = req.take_logs();
    let answer = answer.unwrap_or_else(|| {
        logs.push(format!(
            "handler: {} panicked (the message is on stderr); answered 500",
            function.name
        ));
        Response::text(500, "Internal Server Error")
    });
    (answer, logs)
}

/// The function's request, from the invocation's JSON.
///
/// # Errors
/// Why the invocation cannot be read, naming the member at fault.
pub fn invocation(name: &str, shape: &Shape, body: &[u8]) -> Result<Request<'static>, String> {
    let value = json::parse(body).map_err(|e| format!("the body is not JSON ({e})"))?;
    let data = value
        .get_ignore_case("Data")
        .filter(|d| d.as_object().is_some())
        .ok_or("no \"Data\" object")?;
    let trigger = &shape.trigger;
    let input = data
        .get_ignore_case(trigger)
        .ok_or_else(|| format!("no \"Data.{trigger}\""))?;
    if !shape.http {
        return Ok(Request::built(
            "POST".to_string(),
            format!("/{name}"),
            String::new(),
            vec![("Content-Type".to_string(), "application/json".to_string())],
            input.to_json().into_bytes(),
        ));
    }
    if input.as_object().is_none() {
        return Err(format!("Data.{trigger} is not an object"));
    }
    http_request(input).map_err(|(key, what)| format!("Data.{trigger}.{key} is not {what}"))
}

/// A request from an HTTP trigger's data, an object. The error is the member at fault and what
/// it should be.
fn http_request(req: &Value) -> Result<Request<'static>, (&'static str, &'static str)> {
    let member = |key| {
        req.get_ignore_case(key)
            .filter(|v| !matches!(v, Value::Null))
    };
    let method = match member("Method").and_then(Value::as_str) {
        Some(m) if !m.is_empty() && m.bytes().all(is_tchar) => m.to_string(),
        _ => return Err(("Method", "a method name")),
    };
    let url = match member("Url") {
        None => "",
        Some(url) => url.as_str().ok_or(("Url", "a string"))?,
    };
    let (path, url_query) = split_url(url);
    let query = match member("Query") {
        None => Some(url_query.to_string()),
        Some(Value::String(text)) => match json::parse(text.as_bytes()) {
            // Older hosts sent the query object as its JSON text.
            Ok(object @ Value::Object(_)) => encode_query(&object),
            _ => Some(text.strip_prefix('?').unwrap_or(text).to_string()),
        },
        Some(object) => encode_query(object),
    };
    let query = query.ok_or(("Query", "an object of strings"))?;
    let mut headers = Vec::new();
    if let Some(fields) = member("Headers") {
        let fields = fields
            .as_object()
            .ok_or(("Headers", "an object of string arrays"))?;
        for (name, values) in fields {
            let joined = match values {
                Value::Array(items) => {
                    let separator = if name.eq_ignore_ascii_case("cookie") {
                        "; "
                    } else {
                        ", "
                    };
                    let texts = items.iter().map(text).collect::<Option<Vec<_>>>();
                    texts.map(|texts| texts.join(separator))
                }
                Value::Null => continue,
                value => text(value),
            };
            let value = joined.ok_or(("Headers", "an object of string arrays"))?;
            headers.push((name.clone(), value));
        }
    }
    let mut params = Vec::new();
    if let Some(values) = member("Params") {
        let values = values
            .as_object()
            .ok_or(("Params", "an object of strings"))?;
        for (name, value) in values {
            if !matches!(value, Value::Null) {
                let value = text(value).ok_or(("Params", "an object of strings"))?;
                params.push((name.clone(), value));
            }
        }
    }
    let binary = find_header(&headers, "content-type")
        .map(media_type)
        .is_some_and(|m| m == "application/octet-stream" || m.starts_with("multipart/"));
    let body = match member("Body") {
        None => Vec::new(),
        Some(Value::String(body)) => match binary.then(|| base64::decode(body)).flatten() {
            Some(bytes) => bytes,
            None => body.clone().into_bytes(),
        },
        Some(value) => value.to_json().into_bytes(),
    };
    let request =
        Request::built(method, path.to_string(), query, headers, body).with_params(params);
    Ok(request)
}

/// The text of a scalar: a string as itself, a number or boolean as its JSON text, `null` as
/// nothing; `None` for an array or object.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A query object (`{"name":"Rust"}`) as a query string, each name and value percent-encoded
/// as the host's `UrlEncoder` does when it forwards: `name=Rust`. `None` if it is not an
/// object of scalars.
fn encode_query(query: &Value) -> Option<String> {
    let mut out = String::new();
    for (name, value) in query.as_object()? {
        if !out.is_empty() {
            out.push('&');
        }
        encode_component(name, &mut out);
        out.push('=');
        encode_component(&text(value)?, &mut out);
    }
    Some(out)
}

/// Percent-encodes every byte but the unreserved ones (RFC 3986 §2.3).
fn encode_component(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// The path (`/` if none) and the query of an absolute or origin-form URL.
fn split_url(url: &str) -> (&str, &str) {
    let rest = match url.find("://") {
        Some(at) => {
            let after = &url[at + 3..];
            after.find(['/', '?']).map_or("", |start| &after[start..])
        }
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = crate::http::query::split_target(rest);
    (if path.is_empty() { "/" } else { path }, query)
}

/// Writes `answer` as the http output binding's object,
/// `{"statusCode":N,"body":"...","headers":{...}}`, adding any note to `logs`.
fn write_response(answer: Response, logs: &mut Vec<String>, out: &mut String) {
    let Response {
        status,
        headers,
        body,
    } = answer;
    let body = match String::from_utf8(body) {
        Ok(body) => body,
        Err(e) => {
            logs.push(format!(
                "handler: the response body ({} bytes) is not UTF-8, which payload mode cannot \
                 carry; answered 500 (return text, or enable forwarding for binary bodies)",
                e.as_bytes().len()
            ));
            return write_response(Response::text(500, "Internal Server Error"), logs, out);
        }
    };
    let body = if response::is_bodiless(status) {
        String::new()
    } else {
        body
    };
    // One value per name, in first-seen order.
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        if !response::passes_through(&name, &value) {
            continue;
        }
        match fields
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => fields.push((name.into_owned(), value.into_owned())),
        }
    }
    let typed = fields
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if !typed && !body.is_empty() {
        fields.push((
            "Content-Type".to_string(),
            "application/octet-stream".to_string(),
        ));
    }
    out.push_str("{\"statusCode\":");
    out.push_str(&status.to_string());
    out.push_str(",\"body\":");
    json::write_string(out, &body);
    out.push_str(",\"headers\":{");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_string(out, name);
        out.push(':');
        json::write_string(out, value);
    }
    out.push_str("}}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xorshift::Rng;

    fn hello(req: &Request) -> Response {
        req.log(format!("{} {}?{}", req.method(), req.path(), req.query()));
        Response::text(200, "hi")
    }

    static HELLO: Function = Function {
        name: "Hello",
        run: hello,
    };

    fn invoke(shape: &Shape, body: &str) -> Result<Request<'static>, String> {
        invocation("Hello", shape, body.as_bytes())
    }

    fn http(req: &str) -> Result<Request<'static>, String> {
        invoke(
            &Shape::quickstart(),
            &format!(r#"{{"Data":{{"req":{req}}}}}"#),
        )
    }

    #[test]
    fn http_request_from_the_hosts_data() {
        let req = http(
            r#"{"Url":"http://localhost:7071/api/Hello?name=Rust","Method":"POST",
            "Query":{"name":"Rust Lang","x":"a&b=c"},
            "Headers":{"Accept":["*/*"],"Content-Type":["application/json"],"X-Two":["a","b"],
                       "Cookie":["a=1","b=2"]},
            "Params":{"id":"7","n":3,"gone":null},"Identities":[],"Body":"{\"name\":\"Azure\"}"}"#,
        )
        .unwrap();
        assert_eq!(req.method(), "POST");
        assert_eq!(req.path(), "/api/Hello");
        assert_eq!(req.query(), "name=Rust%20Lang&x=a%26b%3Dc");
        assert_eq!(req.query_param("x").as_deref(), Some("a&b=c"));
        assert_eq!(
            req.headers()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
            [
                ("Accept", "*/*"),
                ("Content-Type", "application/json"),
                ("X-Two", "a, b"),
                ("Cookie", "a=1; b=2"),
            ]
            .map(|(n, v)| (n.to_string(), v.to_string()))
        );
        assert_eq!(
            req.params()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
            [("id", "7"), ("n", "3")].map(|(n, v)| (n.to_string(), v.to_string()))
        );
        assert_eq!(req.body(), br#"{"name":"Azure"}"#);
    }

    #[test]
    fn query_variants() {
        // (Query member, Url, expected query string). Reasons in order: absent (the Url's),
        // an old host's JSON text, a raw string, an empty object, a number value.
        let cases: &[(&str, &str, &str)] = &[
            ("", "http://h/api/Hello?a=1&a=2", "a=1&a=2"),
            (
                r#","Query":"{\"name\":\"Rust\"}""#,
                "http://h/x?no=1",
                "name=Rust",
            ),
            (r#","Query":"?name=Rust""#, "http://h/x", "name=Rust"),
            (r#","Query":{}"#, "http://h/x?no=1", ""),
            (r#","Query":{"n":1.5}"#, "/x", "n=1.5"),
        ];
        for (query, url, expected) in cases {
            let req = http(&format!(r#"{{"Method":"GET","Url":"{url}"{query}}}"#)).unwrap();
            assert_eq!(req.query(), *expected, "{query}");
        }
    }

    #[test]
    fn url_paths() {
        let cases: &[(&str, &str)] = &[
            ("http://localhost:7071/api/Hello", "/api/Hello"),
            ("https://x.azurewebsites.net", "/"),
            ("https://x.net?a=1", "/"),
            ("/api/a%20b", "/api/a%20b"),
            ("", "/"),
        ];
        for (url, path) in cases {
            assert_eq!(split_url(url).0, *path, "{url}");
        }
    }

    #[test]
    fn body_variants() {
        let cases: &[(&str, &[u8])] = &[
            ("", b""),
            (r#","Body":null"#, b""),
            (r#","Body":"x=1""#, b"x=1"),
            (r#","Body":{"a":[1]}"#, br#"{"a":[1]}"#),
            (
                r#","Body":"AAEC/w==","Headers":{"Content-Type":["application/octet-stream"]}"#,
                &[0, 1, 2, 255],
            ),
            // Not base64 after all: kept as text.
            (
                r#","Body":"a b","Headers":{"Content-Type":["multipart/form-data; boundary=x"]}"#,
                b"a b",
            ),
            // Base64 only for binary media types.
            (
                r#","Body":"AAEC","Headers":{"Content-Type":["text/plain"]}"#,
                b"AAEC",
            ),
        ];
        for (body, expected) in cases {
            let req = http(&format!(r#"{{"Method":"POST"{body}}}"#)).unwrap();
            assert_eq!(req.body(), *expected, "{body}");
        }
    }

    #[test]
    fn unreadable_invocations_name_the_member() {
        let shape = Shape::quickstart();
        let cases: &[(&str, &str)] = &[
            ("", "the body is not JSON (empty document)"),
            ("[]", "no \"Data\" object"),
            (r#"{"Data":[]}"#, "no \"Data\" object"),
            (r#"{"Data":{}}"#, "no \"Data.req\""),
            (r#"{"Data":{"req":"x"}}"#, "Data.req is not an object"),
            (
                r#"{"Data":{"req":{}}}"#,
                "Data.req.Method is not a method name",
            ),
            (
                r#"{"Data":{"req":{"Method":"G T"}}}"#,
                "Data.req.Method is not a method name",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Url":1}}}"#,
                "Data.req.Url is not a string",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Query":[]}}}"#,
                "Data.req.Query is not an object of strings",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Headers":{"A":[["x"]]}}}}"#,
                "Data.req.Headers is not an object of string arrays",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Params":{"a":{}}}}}"#,
                "Data.req.Params is not an object of strings",
            ),
        ];
        for (body, reason) in cases {
            assert_eq!(invoke(&shape, body).unwrap_err(), *reason, "{body}");
        }
    }

    #[test]
    fn non_http_trigger_gets_its_data_as_a_json_body() {
        let shape = Shape {
            trigger: "myTimer".to_string(),
            http: false,
            http_output: None,
        };
        let req = invoke(
            &shape,
            r#"{"Data":{"mytimer":{"IsPastDue":false}},"Metadata":{"sys":{}}}"#,
        )
        .unwrap();
        assert_eq!((req.method(), req.path()), ("POST", "/Hello"));
        assert_eq!(req.media_type().as_deref(), Some("application/json"));
        assert_eq!(req.body(), br#"{"IsPastDue":false}"#);
    }

    fn reply(shape: &Shape, function: &Function, body: &str) -> (u16, String) {
        let response = respond(function, shape, body.as_bytes());
        assert_eq!(
            response.header_value("Content-Type"),
            Some("application/json")
        );
        (response.status, String::from_utf8(response.body).unwrap())
    }

    #[test]
    fn reply_carries_the_response_in_res_and_the_logs() {
        let body = r#"{"Data":{"req":{"Method":"GET","Url":"http://h/api/Hello?a=1"}}}"#;
        assert_eq!(
            reply(&Shape::quickstart(), &HELLO, body),
            (
                200,
                r#"{"Outputs":{"res":{"statusCode":200,"body":"hi","headers":{"Content-Type":"text/plain; charset=utf-8"}}},"Logs":["GET /api/Hello?a=1"],"ReturnValue":null}"#
                    .to_string()
            )
        );
        let to_return = Shape {
            http_output: Some(RETURN.to_string()),
            ..Shape::quickstart()
        };
        assert_eq!(
            reply(&to_return, &HELLO, body).1,
            r#"{"Outputs":{},"Logs":["GET /api/Hello?a=1"],"ReturnValue":{"statusCode":200,"body":"hi","headers":{"Content-Type":"text/plain; charset=utf-8"}}}"#
        );
    }

    #[test]
    fn unreadable_invocation_is_a_200_whose_res_is_a_400() {
        assert_eq!(
            reply(&Shape::quickstart(), &HELLO, "{"),
            (
                200,
                r#"{"Outputs":{"res":{"statusCode":400,"body":"Bad Request: invalid invocation: the body is not JSON (unexpected end of input)","headers":{"Content-Type":"text/plain; charset=utf-8"}}},"Logs":["handler: invalid invocation: the body is not JSON (unexpected end of input)"],"ReturnValue":null}"#
                    .to_string()
            )
        );
    }

    fn answer_with(response: fn(&Request) -> Response) -> String {
        let function = Function {
            name: "F",
            run: response,
        };
        let (status, body) = reply(
            &Shape::quickstart(),
            &function,
            r#"{"Data":{"req":{"Method":"GET"}}}"#,
        );
        assert_eq!(status, 200);
        body
    }

    #[test]
    fn response_headers_are_filtered_joined_and_typed() {
        fn many(_: &Request) -> Response {
            Response::new(201)
                .header("Content-Length", "99")
                .header("Connection", "close")
                .header("X-A", "1")
                .header("x-a", "2")
                .header("Bad Name", "v")
                .header("X-Bad", "a\r\nb")
                .body(b"{}".to_vec())
        }
        assert_eq!(
            answer_with(many),
            r#"{"Outputs":{"res":{"statusCode":201,"body":"{}","headers":{"X-A":"1, 2","Content-Type":"application/octet-stream"}}},"Logs":[],"ReturnValue":null}"#
        );
        fn no_content(_: &Request) -> Response {
            Response::new(204).body(b"dropped".to_vec())
        }
        assert_eq!(
            answer_with(no_content),
            r#"{"Outputs":{"res":{"statusCode":204,"body":"","headers":{}}},"Logs":[],"ReturnValue":null}"#
        );
    }

    #[test]
    fn non_utf8_body_becomes_a_500_with_a_reason() {
        fn binary(_: &Request) -> Response {
            Response::new(200).body(vec![0xff, 0xfe])
        }
        assert_eq!(
            answer_with(binary),
            r#"{"Outputs":{"res":{"statusCode":500,"body":"Internal Server Error","headers":{"Content-Type":"text/plain; charset=utf-8"}}},"Logs":["handler: the response body (2 bytes) is not UTF-8, which payload mode cannot carry; answered 500 (return text, or enable forwarding for binary bodies)"],"ReturnValue":null}"#
        );
    }

    #[test]
    fn non_http_failure_is_a_500_reply_and_success_a_200() {
        fn fails(req: &Request) -> Response {
            req.log("trying");
            Response::text(503, "later")
        }
        fn works(_: &Request) -> Response {
            Response::text(200, "done")
        }
        let timer = Shape {
            trigger: "t".to_string(),
            http: false,
            http_output: None,
        };
        let body = r#"{"Data":{"t":{}}}"#;
        let function = |run| Function { name: "T", run };
        assert_eq!(
            reply(&timer, &function(fails), body),
            (
                500,
                r#"{"Outputs":{},"Logs":["trying"],"ReturnValue":null}"#.to_string()
            )
        );
        assert_eq!(
            reply(&timer, &function(works), body),
            (
                200,
                r#"{"Outputs":{},"Logs":[],"ReturnValue":null}"#.to_string()
            )
        );
        // A missing Data.t runs nothing and is not a failure of the function.
        assert_eq!(reply(&timer, &function(fails), r#"{"Data":{}}"#).0, 200);
    }

    /// Invocations the host could send: three HTTP ones and a timer's.
    const SEEDS: [&str; 4] = [
        r#"{"Data":{"req":{"Url":"http://localhost:7071/api/Hello?name=Rust","Method":"GET","Query":{"name":"Rust"},"Headers":{"Accept":["*/*"],"Host":["localhost:7071"]},"Params":{},"Identities":[{"AuthenticationType":null,"IsAuthenticated":false,"Claims":[]}]}},"Metadata":{"name":"\"Rust\"","sys":{"MethodName":"Hello"}}}"#,
        r#"{"Data":{"req":{"Url":"http://h/api/Hello","Method":"POST","Query":"{}","Headers":{"Content-Type":["application/json"]},"Body":"{\"name\":\"Azure\"}"}},"Metadata":{}}"#,
        r#"{"Data":{"req":{"Method":"POST","Headers":{"Content-Type":["application/octet-stream"]},"Body":"AAEC","Params":{"id":"7"}}}}"#,
        r#"{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},"IsPastDue":false}}}"#,
    ];

    /// A value of any type, some of them odd: what a mutated member becomes.
    fn random_value(rng: &mut Rng) -> Value {
        let s = |t: &str| Value::String(t.to_string());
        match rng.below(10) {
            0 => Value::Null,
            1 => Value::Bool(true),
            2 => Value::Number("-1.5e999".to_string()),
            3 => s(""),
            4 => s("G T\r\n\u{0}\u{fffd}%zz?a=1#f"),
            5 => Value::Array(vec![Value::Null, s("x"), Value::Array(Vec::new())]),
            6 => Value::Object(Vec::new()),
            7 => Value::Object(vec![("name".to_string(), s("x"))]),
            8 => s("{\"name\":[1]}"),
            _ => s("AAEC/w=="),
        }
    }

    /// Replaces, renames or removes one member somewhere in `value`, or `value` itself.
    fn mutate(value: &mut Value, rng: &mut Rng) {
        match value {
            Value::Object(members) if !members.is_empty() && rng.below(5) != 0 => {
                let i = rng.below(members.len());
                match rng.below(8) {
                    0 => {
                        members.remove(i);
                    }
                    1 => members[i].0 = members[i].0.to_ascii_uppercase(),
                    _ => mutate(&mut members[i].1, rng),
                }
            }
            Value::Array(items) if !items.is_empty() && rng.below(5) != 0 => {
                let i = rng.below(items.len());
                mutate(&mut items[i], rng);
            }
            _ => *value = random_value(rng),
        }
    }

    /// Random and mutated invocations never panic the handler and always get a 200 JSON
    /// result with `Outputs` and `Logs` (for an HTTP trigger, whatever `res` says). Most are
    /// mutated member by member, so they stay JSON and reach the reader's type checks; the rest
    /// have bytes broken.
    #[test]
    fn random_invocations_always_get_a_json_result() {
        fn echo(req: &Request) -> Response {
            req.log(String::from_utf8_lossy(req.body()).into_owned());
            Response::new(200)
                .header("X-Query", req.query())
                .header("X-Path", req.path())
                .body(req.body().to_vec())
        }
        let function = Function {
            name: "Hello",
            run: echo,
        };
        let mut rng = Rng::new(0x5eed_1234_abcd_0001);
        let mut refused = 0;
        for round in 0..20_000 {
            let seed = rng.below(SEEDS.len());
            let mut value = json::parse(SEEDS[seed].as_bytes()).unwrap();
            for _ in 0..=rng.below(3) {
                mutate(&mut value, &mut rng);
            }
            let mut body = value.to_json().into_bytes();
            if rng.below(4) == 0 {
                let at = rng.below(body.len());
                match rng.below(3) {
                    0 => body[at] = rng.next_u64() as u8,
                    1 => body.truncate(at),
                    _ => {
                        body.drain(at..(at + rng.below(8)).min(body.len()));
                    }
                }
            }
            // Mostly the shape the seed was made for.
            let shape = if (seed == 3) != (rng.below(10) == 0) {
                Shape {
                    trigger: "myTimer".to_string(),
                    http: false,
                    http_output: Some("res".to_string()),
                }
            } else {
                Shape::quickstart()
            };
            let response = respond(&function, &shape, &body);
            assert_eq!(
                response.status,
                200,
                "round {round}: {:?}",
                String::from_utf8_lossy(&body)
            );
            assert_eq!(
                response.header_value("Content-Type"),
                Some("application/json")
            );
            let result = json::parse(&response.body)
                .unwrap_or_else(|e| panic!("round {round}: the result is not JSON: {e}"));
            let res = result.get("Outputs").and_then(|o| o.get("res"));
            assert!(
                res.and_then(|r| r.get("statusCode")).is_some()
                    && result.get("Logs").and_then(Value::as_array).is_some()
                    && result.get("ReturnValue") == Some(&Value::Null),
                "round {round}: {}",
                String::from_utf8_lossy(&response.body)
            );
            let logs = result
                .get("Logs")
                .and_then(Value::as_array)
                .unwrap_or_default();
            if logs.iter().any(|l| {
                l.as_str()
                    .is_some_and(|l| l.starts_with("handler: invalid"))
            }) {
                refused += 1;
            }
        }
        // Both kinds are common, or the test would test less than it says.
        assert!(
            (2_000..18_000).contains(&refused),
            "{refused} of 20000 refused"
        );
    }
}
