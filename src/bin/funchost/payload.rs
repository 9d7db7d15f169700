//! Payload mode, host side (azure-host.md §4): the JSON invocation the host POSTs to
//! `/<FunctionName>`, and how it reads the handler's `{"Outputs":…,"Logs":…,"ReturnValue":…}`.

use std::fmt;
use std::time::SystemTime;

use handler::azure::appfiles::FunctionConfig;
use handler::azure::json::{self, Value};
use handler::http::query;
use handler::http::request::group_by_name;
use handler::http::response::Response;

use crate::client::Reply;
use crate::incoming::Incoming;
use crate::util;

/// The `Content-Type` of the invocation (.NET `JsonMediaTypeFormatter`'s default).
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

fn object(members: Vec<(&str, Value)>) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// How the host turns a plain value into invocation JSON (`GetHttpScriptInvocationContextValue`):
/// an object stays an object (`JObject.FromObject`); anything else is serialized to JSON text and
/// sent as a string, so a string arrives double-encoded (`"Rust"` → `"\"Rust\""`).
pub fn host_value(value: Value) -> Value {
    match value {
        Value::Object(_) => value,
        other => Value::String(other.to_json()),
    }
}

fn pairs_object(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), string(v.as_str())))
            .collect(),
    )
}

/// `Data.req` for an HTTP trigger (`GetRequestAsJObject`).
pub fn request_object(req: &Incoming, params: &[(String, String)]) -> Value {
    let host = req.header("host").unwrap_or_default();
    let mut url = format!("http://{host}{}", req.path());
    if !req.query().is_empty() {
        url.push('?');
        url.push_str(req.query());
    }
    let headers = group_by_name(req.headers.iter().cloned())
        .into_iter()
        .map(|(name, values)| {
            (
                name,
                Value::Array(values.into_iter().map(Value::String).collect()),
            )
        })
        .collect();
    let mut members = vec![
        ("Url", string(url)),
        ("Method", string(req.method.as_str())),
        ("Query", pairs_object(&query::collection(req.query()))),
        ("Headers", Value::Object(headers)),
        ("Params", pairs_object(params)),
        ("Identities", Value::Array(vec![anonymous_identity()])),
    ];
    // Only a body announced by a non-zero Content-Length; a chunked body is lost (#7930).
    if req.content_length().is_some_and(|n| n > 0) {
        let media = req.media_type().unwrap_or_default();
        let body = if media == "application/octet-stream" || media.starts_with("multipart/") {
            util::base64(&req.body)
        } else {
            String::from_utf8_lossy(&req.body).into_owned()
        };
        members.push(("Body", string(body)));
    }
    object(members)
}

/// The serialized `ClaimsIdentity` of an anonymous caller (shape inferred, azure-host.md §4.1).
fn anonymous_identity() -> Value {
    object(vec![
        ("AuthenticationType", Value::Null),
        ("IsAuthenticated", Value::Bool(false)),
        ("Actor", Value::Null),
        ("BootstrapContext", Value::Null),
        ("Claims", Value::Array(Vec::new())),
        ("Label", Value::Null),
        ("Name", Value::Null),
        (
            "NameClaimType",
            string("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"),
        ),
        (
            "RoleClaimType",
            string("http://schemas.microsoft.com/ws/2008/06/identity/claims/role"),
        ),
    ])
}

/// Binding data, a dictionary whose keys compare ignoring case: a later value for a key
/// replaces the earlier one in place.
#[derive(Debug, Default)]
struct BindingData(Vec<(String, Value)>);

impl BindingData {
    fn set(&mut self, key: &str, value: Value) {
        match self.0.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k.eq_ignore_ascii_case(key))
    }
}

/// `sys`: the system binding data of every invocation.
fn sys(function: &str, utc_now: &str, rand_guid: &str) -> Value {
    object(vec![
        ("MethodName", string(function)),
        ("UtcNow", string(utc_now)),
        ("RandGuid", string(rand_guid)),
    ])
}

/// `Metadata` for an HTTP trigger (`GetRequestBindingData`, then the host's conversion): the top
/// level non-array members of a JSON body, the query parameters but `code`, the route values,
/// `Query`, `Headers`, then `sys`; strings double-encoded by [`host_value`].
pub fn http_metadata(req: &Incoming, params: &[(String, String)], sys: Value) -> Value {
    let mut data = BindingData::default();
    if req.content_length().is_some_and(|n| n > 0) {
        let body = String::from_utf8_lossy(&req.body);
        let trimmed = body.trim();
        if trimmed.starts_with('{') && trimmed.ends_with('}') {
            if let Ok(Value::Object(members)) = json::parse(trimmed.as_bytes()) {
                for (name, value) in members {
                    // `(string)JValue`: numbers and booleans as .NET prints them; null skipped.
                    let value = match value {
                        Value::Object(_) => value,
                        other => match dotnet_text(&other) {
                            Some(text) => Value::String(text),
                            None => continue,
                        },
                    };
                    data.set(&name, host_value(value));
                }
            }
        }
    }
    let query = query::collection(req.query());
    for (name, value) in &query {
        if !name.eq_ignore_ascii_case("code") {
            data.set(name, host_value(string(value.as_str())));
        }
    }
    for (name, value) in params {
        data.set(name, host_value(string(value.as_str())));
    }
    if !data.contains("Query") {
        data.set("Query", pairs_object(&query));
    }
    if !data.contains("Headers") {
        let headers: Vec<(String, String)> = group_by_name(req.headers.iter().cloned())
            .into_iter()
            .map(|(name, values)| (name, values.join(",")))
            .collect();
        data.set("Headers", pairs_object(&headers));
    }
    data.set("sys", sys);
    Value::Object(data.0)
}

/// `{"Data":{…},"Metadata":{…}}` for an HTTP function: its trigger's data is the client's
/// request (`request_object`), its metadata the request's binding data (`http_metadata`).
pub fn http_invocation(
    function: &FunctionConfig,
    req: &Incoming,
    params: &[(String, String)],
) -> Value {
    let data = (trigger(function), request_object(req, params));
    invocation(data, http_metadata(req, params, sys_now(function)))
}

/// The invocation of a function that is not HTTP, with `data` as its trigger's value: encoded
/// as the host encodes a plain value (`host_value`), but JSON null as it is.
pub fn trigger_invocation(function: &FunctionConfig, data: Value) -> Value {
    let value = if data == Value::Null {
        data
    } else {
        host_value(data)
    };
    invocation(
        (trigger(function), value),
        object(vec![("sys", sys_now(function))]),
    )
}

fn invocation(data: (String, Value), metadata: Value) -> Value {
    object(vec![
        ("Data", Value::Object(vec![data])),
        ("Metadata", metadata),
    ])
}

/// The name of a function's trigger binding: its key in `Data`.
fn trigger(function: &FunctionConfig) -> String {
    function
        .trigger()
        .map_or("req", |t| t.name.as_str())
        .to_string()
}

/// `sys` for an invocation starting now.
fn sys_now(function: &FunctionConfig) -> Value {
    let now = util::json_time(SystemTime::now());
    sys(&function.name, &now, &util::guid())
}

/// What the handler answered, read as the host reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `Outputs`, by binding name (case-sensitive).
    pub outputs: Vec<(String, Value)>,
    pub logs: Vec<String>,
    pub return_value: Value,
}

impl Outcome {
    pub fn output(&self, binding: &str) -> Option<&Value> {
        self.outputs
            .iter()
            .find(|(n, _)| n == binding)
            .map(|(_, v)| v)
    }
}

/// Why a payload-mode reply was refused; the client gets 500 for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not 2xx (`EnsureSuccessStatusCode`).
    Status(u16, String),
    /// Not `application/json` or `text/json`.
    MediaType(Option<String>),
    /// Not valid JSON.
    Json(String),
    /// Empty or `null`: the real host never completes such an invocation.
    Empty(&'static str),
    /// Valid JSON of the wrong shape.
    Shape(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(status, reason) => write!(
                f,
                "the handler answered {status} {reason}; payload mode needs a 2xx status"
            ),
            Failure::MediaType(media) => write!(
                f,
                "the reply's Content-Type is {}; payload mode needs application/json",
                media.as_deref().unwrap_or("missing")
            ),
            Failure::Json(e) => write!(f, "the reply is not valid JSON: {e}"),
            Failure::Empty(what) => write!(
                f,
                "the reply is {what}; the real host would wait for functionTimeout and then \
                 restart the handler (funchost answers 500 at once)"
            ),
            Failure::Shape(what) => write!(f, "{what}"),
        }
    }
}

/// Reads a payload-mode reply (`HttpScriptInvocationResult`).
pub fn read_reply(reply: &Reply) -> Result<Outcome, Failure> {
    let status = reply.head.status;
    if !(200..300).contains(&status) {
        return Err(Failure::Status(status, reply.head.reason.clone()));
    }
    if reply.body.is_empty() {
        return Err(Failure::Empty("an empty body"));
    }
    let media = reply.head.media_type();
    if !matches!(media.as_deref(), Some("application/json" | "text/json")) {
        return Err(Failure::MediaType(
            reply.head.header("content-type").map(str::to_string),
        ));
    }
    let value = json::parse(&reply.body).map_err(|e| Failure::Json(e.to_string()))?;
    read_result(&value)
}

/// The `HttpScriptInvocationResult` in a parsed reply.
pub fn read_result(value: &Value) -> Result<Outcome, Failure> {
    if *value == Value::Null {
        return Err(Failure::Empty("null"));
    }
    if value.as_object().is_none() {
        return Err(not(
            "the reply must be a JSON object with Outputs, Logs and ReturnValue",
            value,
        ));
    }
    let outputs = match value.get_ignore_case("Outputs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(members)) => members.clone(),
        Some(other) => return Err(not("Outputs must be an object", other)),
    };
    let logs = match value.get_ignore_case("Logs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(String::new()),
                other => dotnet_text(other).ok_or_else(|| not("Logs must hold strings", other)),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(not("Logs must be an array of strings", other)),
    };
    let return_value = value
        .get_ignore_case("ReturnValue")
        .cloned()
        .unwrap_or(Value::Null);
    Ok(Outcome {
        outputs,
        logs,
        return_value,
    })
}

/// A reply of the wrong shape: `what` it must be, and what `value` is instead.
fn not(what: &str, value: &Value) -> Failure {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Failure::Shape(format!("{what}, not {kind}"))
}

/// A string, number or boolean as .NET's `ToString` writes it (`True`, `False`).
fn dotnet_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        _ => None,
    }
}

/// The HTTP response for the http output binding `binding` (`res`, or `$return` for the return
/// value), as `HttpBinding` builds it (azure-host.md §4.2).
pub fn http_response(outcome: &Outcome, binding: Option<&str>) -> Result<Response, Failure> {
    let value = match binding {
        Some("$return") => return_response(&outcome.return_value),
        Some(name) => outcome.output(name).cloned(),
        None => None,
    };
    let members = match value {
        None | Some(Value::Null) => {
            // No response was set: an empty ExpandoObject, serialized.
            return Ok(Response::new(200)
                .header("Content-Type", "application/json; charset=utf-8")
                .body(b"{}".to_vec()));
        }
        Some(Value::Object(members)) => members,
        Some(other) => {
            let what = format!(
                "Outputs.{} must be an object with statusCode, headers and body (Failed while \
                 trying to Deserialize to httpOutputBindingResponse)",
                binding.unwrap_or("res")
            );
            return Err(not(&what, &other));
        }
    };
    let res = Value::Object(members);
    let status = match res.get_ignore_case("statusCode") {
        None | Some(Value::Null) => 200,
        Some(Value::Number(n)) => status_code(n)?,
        Some(Value::String(s)) => status_code(s.trim())?,
        Some(other) => return Err(not("statusCode must be a number", other)),
    };
    let mut response = Response::new(status);
    let mut content_type = None;
    match res.get_ignore_case("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                let text = match value {
                    Value::Null => {
                        return Err(Failure::Shape(format!(
                            "header {name:?} is null (the host throws NullReferenceException)"
                        )))
                    }
                    other => dotnet_text(other).unwrap_or_else(|| other.to_json()),
                };
                if name.eq_ignore_ascii_case("content-type") {
                    content_type = Some(text);
                } else {
                    response = response.header(name, &text);
                }
            }
        }
        Some(other) => return Err(not("headers must be an object", other)),
    }
    let body = match res.get_ignore_case("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(value @ (Value::Object(_) | Value::Array(_))) => value.to_json_indented().into_bytes(),
        Some(other) => other.to_json().into_bytes(),
    };
    // Text output: `; charset=utf-8` added to a given type, text/plain when none was given.
    let content_type = match content_type {
        Some(ct) if body.is_empty() || ct.to_ascii_lowercase().contains("charset=") => Some(ct),
        Some(ct) => Some(format!("{ct}; charset=utf-8")),
        None if body.is_empty() => None,
        None => Some("text/plain; charset=utf-8".to_string()),
    };
    if let Some(ct) = content_type {
        response = response.header("Content-Type", &ct);
    }
    Ok(response.body(body))
}

/// With a `$return` http output, a string holding a JSON object with `body` is a response
/// object too.
fn return_response(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => match json::parse(s.as_bytes()) {
            Ok(parsed @ Value::Object(_)) if parsed.get_ignore_case("body").is_some() => {
                Some(parsed)
            }
            _ => Some(value.clone()),
        },
        other => Some(other.clone()),
    }
}

fn status_code(text: &str) -> Result<u16, Failure> {
    match text.parse::<u16>() {
        Ok(code) if (100..=999).contains(&code) => Ok(code),
        _ => Err(Failure::Shape(format!(
            "statusCode {text:?} is not an HTTP status code"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Framing, Head};

    fn parse(text: &str) -> Value {
        json::parse(text.as_bytes()).unwrap()
    }

    fn reply(status: u16, content_type: Option<&str>, body: &str) -> Reply {
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_string(), ct.to_string()));
        }
        Reply {
            head: Head {
                status,
                reason: "R".into(),
                headers,
                framing: Framing::Length(body.len()),
                keep_alive: true,
            },
            body: body.as_bytes().to_vec(),
        }
    }

    fn respond(body: &str) -> Result<Response, Failure> {
        let outcome = read_reply(&reply(200, Some("application/json"), body))?;
        http_response(&outcome, Some("res"))
    }

    #[test]
    fn the_documented_get_request() {
        let req = Incoming::for_test(
            "GET",
            "/api/HelloRust?name=Rust",
            &[
                ("Host", "localhost:7071"),
                ("User-Agent", "curl/8.5.0"),
                ("Accept", "*/*"),
            ],
            "",
        );
        let data = request_object(&req, &[]);
        let expected = r#"{"Url":"http://localhost:7071/api/HelloRust?name=Rust","Method":"GET","Query":{"name":"Rust"},"Headers":{"Host":["localhost:7071"],"User-Agent":["curl/8.5.0"],"Accept":["*/*"]},"Params":{},"Identities":[{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}]}"#;
        assert_eq!(data.to_json(), expected);
        let metadata = http_metadata(&req, &[], sys("HelloRust", "T", "G"));
        let expected = r#"{"name":"\"Rust\"","Query":{"name":"Rust"},"Headers":{"Host":"localhost:7071","User-Agent":"curl/8.5.0","Accept":"*/*"},"sys":{"MethodName":"HelloRust","UtcNow":"T","RandGuid":"G"}}"#;
        assert_eq!(metadata.to_json(), expected);
    }

    #[test]
    fn query_repeats_code_body_and_route_values() {
        let req = Incoming::for_test(
            "POST",
            "/api/items/7?A=1&a=2&code=k&flag&sp=a+b%20c",
            &[
                ("Host", "h"),
                ("Content-Type", "application/json"),
                ("Content-Length", "40"),
                ("X-M", "1"),
                ("x-m", "2"),
            ],
            r#"{"name":"Azure","n":1.5,"ok":true,"o":{"p":1},"arr":[1],"z":null}"#,
        );
        let params = [("id".to_string(), "7".to_string())];
        let data = request_object(&req, &params);
        assert_eq!(
            data.get("Query").unwrap().to_json(),
            r#"{"A":"1,2","code":"k","flag":"","sp":"a b c"}"#
        );
        assert_eq!(data.get("Params").unwrap().to_json(), r#"{"id":"7"}"#);
        assert_eq!(
            data.get("Headers").unwrap().get("X-M").unwrap().to_json(),
            r#"["1","2"]"#
        );
        assert_eq!(
            data.get("Body").and_then(Value::as_str),
            Some(r#"{"name":"Azure","n":1.5,"ok":true,"o":{"p":1},"arr":[1],"z":null}"#)
        );
        let metadata = http_metadata(&req, &params, Value::Null);
        let keys: Vec<&str> = metadata
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(
            keys,
            ["name", "n", "ok", "o", "A", "flag", "sp", "id", "Query", "Headers", "sys"]
        );
        assert_eq!(metadata.get("n").unwrap().to_json(), r#""\"1.5\"""#);
        assert_eq!(metadata.get("ok").unwrap().to_json(), r#""\"True\"""#);
        assert_eq!(metadata.get("o").unwrap().to_json(), r#"{"p":1}"#);
        assert_eq!(metadata.get("A").unwrap().to_json(), r#""\"1,2\"""#);
        assert_eq!(
            metadata
                .get("Headers")
                .unwrap()
                .get("X-M")
                .unwrap()
                .to_json(),
            r#""1,2""#
        );
    }

    #[test]
    fn body_is_left_out_without_content_length_and_base64_for_binary() {
        let req = Incoming::for_test(
            "POST",
            "/api/f",
            &[("Host", "h"), ("Transfer-Encoding", "chunked")],
            "abc",
        );
        assert_eq!(request_object(&req, &[]).get("Body"), None);
        let req = Incoming::for_test(
            "POST",
            "/api/f",
            &[
                ("Host", "h"),
                ("Content-Length", "3"),
                ("Content-Type", "application/octet-stream"),
            ],
            "abc",
        );
        assert_eq!(
            request_object(&req, &[])
                .get("Body")
                .and_then(Value::as_str),
            Some("YWJj")
        );
    }

    #[test]
    fn host_values() {
        assert_eq!(
            host_value(string("HelloWorld")).to_json(),
            r#""\"HelloWorld\"""#
        );
        assert_eq!(host_value(parse("[1,2]")).to_json(), r#""[1,2]""#);
        assert_eq!(host_value(parse("42")).to_json(), r#""42""#);
        assert_eq!(host_value(parse(r#"{"a":1}"#)).to_json(), r#"{"a":1}"#);
    }

    #[test]
    fn responses_from_res() {
        let r = respond(r#"{"Outputs":{"res":{"statusCode":201,"body":"made","headers":{"X-A":"1","n":2,"b":true}}},"Logs":["a"],"ReturnValue":null}"#).unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.body, b"made");
        assert_eq!(
            r.headers,
            [
                ("X-A", "1"),
                ("n", "2"),
                ("b", "True"),
                ("Content-Type", "text/plain; charset=utf-8")
            ]
            .map(|(a, b)| (a.into(), b.into()))
            .to_vec()
        );
        // statusCode as a string (the Go sample), names in any case, `status` ignored.
        let r =
            respond(r#"{"outputs":{"res":{"StatusCode":"201","status":404,"Body":"my world"}}}"#)
                .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"my world"[..]));
        let r = respond(r#"{"Outputs":{"res":{"status":404}}}"#).unwrap();
        assert_eq!(
            (r.status, r.body.len(), r.header_value("content-type")),
            (200, 0, None)
        );
        // A given content type gets the charset; an object body is indented JSON.
        let r = respond(r#"{"Outputs":{"res":{"body":{"a":[1,{}],"b":{}},"headers":{"content-type":"application/json"}}}}"#).unwrap();
        assert_eq!(
            r.header_value("Content-Type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {}\n}"
        );
    }

    #[test]
    fn missing_res_is_an_empty_object() {
        for body in [
            r#"{"Outputs":{}}"#,
            r#"{}"#,
            r#"{"Outputs":{"Res":{"body":"x"}}}"#,
            r#"{"Outputs":{"res":null}}"#,
        ] {
            let r = respond(body).unwrap();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]), "{body}");
            assert_eq!(
                r.header_value("Content-Type"),
                Some("application/json; charset=utf-8")
            );
        }
    }

    #[test]
    fn failures() {
        let outcome = |status, ct, body| read_reply(&reply(status, ct, body));
        assert_eq!(
            outcome(500, Some("application/json"), "{}"),
            Err(Failure::Status(500, "R".into()))
        );
        assert_eq!(
            outcome(200, Some("text/plain"), "{}"),
            Err(Failure::MediaType(Some("text/plain".into())))
        );
        assert_eq!(outcome(200, None, "{}"), Err(Failure::MediaType(None)));
        assert!(matches!(
            outcome(200, Some("application/json"), "{"),
            Err(Failure::Json(_))
        ));
        assert_eq!(
            outcome(200, Some("application/json"), ""),
            Err(Failure::Empty("an empty body"))
        );
        assert_eq!(outcome(200, None, ""), Err(Failure::Empty("an empty body")));
        assert_eq!(
            outcome(200, Some("application/json"), "null"),
            Err(Failure::Empty("null"))
        );
        assert!(outcome(200, Some("text/json; charset=utf-8"), "{}").is_ok());
        assert!(matches!(
            outcome(200, Some("application/json"), "[]"),
            Err(Failure::Shape(_))
        ));
        assert!(matches!(
            outcome(200, Some("application/json"), r#"{"Logs":[{}]}"#),
            Err(Failure::Shape(_))
        ));
        for bad in [
            r#"{"Outputs":{"res":"text"}}"#,
            r#"{"Outputs":{"res":{"statusCode":"abc"}}}"#,
            r#"{"Outputs":{"res":{"headers":{"X":null}}}}"#,
        ] {
            assert!(matches!(respond(bad), Err(Failure::Shape(_))), "{bad}");
        }
    }

    #[test]
    fn return_value_binding() {
        let outcome = read_result(&parse(
            r#"{"ReturnValue":"{\"body\":\"hi\",\"statusCode\":202}"}"#,
        ))
        .unwrap();
        let r = http_response(&outcome, Some("$return")).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (202, &b"hi"[..]));
        let outcome = read_result(&parse(r#"{"ReturnValue":{"body":"o"}}"#)).unwrap();
        assert_eq!(http_response(&outcome, Some("$return")).unwrap().body, b"o");
        assert_eq!(outcome.logs, Vec::<String>::new());
    }
}
