//! Payload mode, how the host reads the handler's reply (azure-host.md §4.2, azure-bindings.md
//! §1.3): `{"Outputs":…,"Logs":…,"ReturnValue":…}`, with a 2xx status, as JSON. The http
//! output becomes the client's response (`HttpBinding`); every other output is read by the
//! library's `host_outputs`, which says what its binding receives.

use std::fmt;

use handler::azure::appfiles::FunctionConfig;
use handler::azure::bindings::RETURN;
use handler::azure::host_outputs::{dotnet_text, read_outputs, Item};
use handler::azure::json::{self, Value};
use handler::http::response::Response;

use crate::client::Reply;
use crate::limits::{PREVIEW_CHARS, REPLY_LIMITS};

/// A reply the host can use.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The whole reply, an object.
    pub reply: Value,
    pub logs: Vec<String>,
}

impl Outcome {
    /// `Outputs.<binding>` (exact name), or `ReturnValue` for `$return`.
    fn output(&self, binding: &str) -> Option<&Value> {
        if binding == RETURN {
            return self.reply.get_ignore_case("ReturnValue");
        }
        self.reply.get_ignore_case("Outputs")?.get(binding)
    }
}

/// Why a reply was refused; the client gets 500 for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not 2xx (`EnsureSuccessStatusCode`).
    Status(u16, String),
    /// Not `application/json` or `text/json`.
    MediaType(Option<String>),
    /// Not valid JSON.
    Json(String),
    /// Past what funchost reads (`REPLY_LIMITS`), though the host would read it.
    TooLarge(String),
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
                "the handler answered {status} {reason}, so the host fails the invocation and \
                 writes no output (it reads a reply only with a 2xx status)"
            ),
            Failure::MediaType(media) => write!(
                f,
                "the reply's Content-Type is {}; payload mode needs application/json",
                media.as_deref().unwrap_or("missing")
            ),
            Failure::Json(e) => write!(f, "the reply is not valid JSON: {e}"),
            Failure::TooLarge(e) => write!(
                f,
                "the reply is {e}: funchost reads no more, though the host reads any"
            ),
            Failure::Empty(what) => write!(
                f,
                "the reply is {what}; the real host would wait for functionTimeout and then \
                 restart the handler (funchost answers 500 at once)"
            ),
            Failure::Shape(what) => write!(f, "{what}"),
        }
    }
}

/// What the host does in Azure after an invocation of a function with trigger `kind` fails,
/// which funchost does not do (azure-bindings.md §4): a function that fails on purpose, or a
/// message it reads as DequeueCount, means this. None for HTTP, whose client gets the 500.
pub fn after_failure(kind: &str) -> Option<&'static str> {
    let is = |k: &str| kind.eq_ignore_ascii_case(k);
    Some(if is("queueTrigger") {
        "in Azure the message comes back on its queue, DequeueCount one higher, and after \
         host.json's maxDequeueCount tries (5 by default) moves to <queue>-poison"
    } else if is("serviceBusTrigger") {
        "in Azure the message is redelivered, DeliveryCount one higher, until the entity's \
         MaxDeliveryCount, then dead-lettered"
    } else if is("blobTrigger") {
        "in Azure the blob is tried again, up to 5 times, then named on the \
         webjobs-blobtrigger-poison queue"
    } else if is("timerTrigger") {
        "in Azure a timer is not retried: the next occurrence runs"
    } else if is("eventHubTrigger") || is("cosmosDBTrigger") {
        "in Azure the checkpoint moves on: these are not delivered again unless function.json \
         sets a retry policy"
    } else if is("eventGridTrigger") {
        "in Azure Event Grid sends the event again, as its subscription's retry policy says"
    } else {
        return None;
    })
}

/// Reads a payload-mode reply (`HttpScriptInvocationResult`).
pub fn read(reply: &Reply) -> Result<Outcome, Failure> {
    let status = reply.head.status;
    if !(200..300).contains(&status) {
        return Err(Failure::Status(status, reply.head.reason.clone()));
    }
    if reply.body.is_empty() {
        return Err(Failure::Empty("an empty body"));
    }
    let media = reply.head.media_type();
    if !matches!(media.as_deref(), Some("application/json" | "text/json")) {
        let given = reply.head.header("content-type").map(str::to_string);
        return Err(Failure::MediaType(given));
    }
    let value = json::parse_within(&reply.body, REPLY_LIMITS).map_err(|e| match e.is_limit() {
        true => Failure::TooLarge(e.to_string()),
        false => Failure::Json(e.to_string()),
    })?;
    if value == Value::Null {
        return Err(Failure::Empty("null"));
    }
    if value.as_object().is_none() {
        let what = "the reply must be a JSON object with Outputs, Logs and ReturnValue";
        return Err(not(what, &value));
    }
    match value.get_ignore_case("Outputs") {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(other) => return Err(not("Outputs must be an object", other)),
    }
    let logs = match value.get_ignore_case("Logs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(String::new()),
                other => log_text(other).ok_or_else(|| not("Logs must hold strings", other)),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(not("Logs must be an array of strings", other)),
    };
    Ok(Outcome { reply: value, logs })
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

/// An item of `Logs`, a `List<string>`, as JSON.NET's `ReadAsString` reads it: a string as it
/// is, a number or boolean as its JSON text (`1.50`, `true`).
fn log_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The HTTP response for the http output binding `binding` (`res`, or `$return` for the return
/// value), as `HttpBinding` builds it (azure-host.md §4.2).
pub fn http_response(outcome: &Outcome, binding: Option<&str>) -> Result<Response, Failure> {
    // No http output: the middleware's `OkResult`.
    let Some(binding) = binding else {
        return Ok(Response::new(200));
    };
    let returned = binding == RETURN;
    let deserialize_failed = |value: &Value| {
        let what = format!(
            "Outputs.{binding} must be an object with statusCode, headers and body (Failed \
             while trying to Deserialize to httpOutputBindingResponse)"
        );
        not(&what, value)
    };
    let res = match (outcome.output(binding), returned) {
        // With a `$return` http output, a string holding a JSON object with `body` is one.
        (Some(Value::String(s)), true) => match json::parse(s.as_bytes()) {
            Ok(parsed) if parsed.get_ignore_case("body").is_some() => parsed,
            _ => Value::String(s.clone()),
        },
        // `res` is read from its text (`ToString()`): a string holding the object is one, and
        // null has none.
        (Some(Value::String(s)), false) => match json::parse(s.as_bytes()) {
            Ok(parsed @ Value::Object(_)) => parsed,
            _ => return Err(deserialize_failed(&Value::String(s.clone()))),
        },
        (Some(Value::Null), false) => return Err(deserialize_failed(&Value::Null)),
        // No response was set: an empty ExpandoObject, serialized as text.
        (None | Some(Value::Null), _) => {
            return Ok(Response::new(200)
                .header("Content-Type", "text/plain; charset=utf-8")
                .body(b"{}".to_vec()))
        }
        (Some(other), _) => other.clone(),
    };
    if res.as_object().is_none() {
        return Err(deserialize_failed(&res));
    }
    let status = status_code(res.get_ignore_case("statusCode"))?;
    let mut response = Response::new(status);
    let mut content_type = None;
    match res.get_ignore_case("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                if *value == Value::Null {
                    return Err(Failure::Shape(format!(
                        "header {name:?} is null (the host throws NullReferenceException)"
                    )));
                }
                let text = dotnet_text(value).unwrap_or_else(|| value.to_json());
                if name.eq_ignore_ascii_case("content-type") {
                    // Each sets the response's type: the last one stays.
                    content_type = Some(text);
                } else if response.header_value(name).is_none() {
                    // The host keeps the first of names that differ only in case.
                    response = response.header(name, &text);
                }
            }
        }
        Some(other) => return Err(not("headers must be an object", other)),
    }
    let body = match res.get_ignore_case("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.clone().into_bytes(),
        // A `$return` object is read as an ExpandoObject, serialized compact; `res`'s body
        // is a JObject, whose text is indented.
        Some(value @ Value::Object(_)) if returned => value.to_json().into_bytes(),
        Some(value @ (Value::Object(_) | Value::Array(_))) => value.to_json_indented().into_bytes(),
        Some(other) => dotnet_text(other).unwrap_or_default().into_bytes(),
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

/// The status of `statusCode` as `HttpBinding.TryParseStatusCode` reads it: an integer, or a
/// string holding one; anything else leaves the response at 200. One the response cannot
/// have (outside 100-999) fails it.
fn status_code(value: Option<&Value>) -> Result<u16, Failure> {
    let text = match value {
        Some(Value::Number(n)) => n.as_str(),
        Some(Value::String(s)) => s.trim(),
        Some(Value::Object(_) | Value::Array(_)) => {
            let what = "statusCode must be a number (Failed while trying to Deserialize to \
                        httpOutputBindingResponse)";
            return Err(not(what, value.unwrap_or(&Value::Null)));
        }
        _ => return Ok(200),
    };
    let Ok(code) = text.strip_prefix('+').unwrap_or(text).parse::<i64>() else {
        return Ok(200);
    };
    match u16::try_from(code) {
        Ok(code) if (100..=999).contains(&code) => Ok(code),
        _ => Err(Failure::Shape(format!(
            "statusCode {text:?} is not an HTTP status code"
        ))),
    }
}

/// What a reply's outputs come to, the http output aside (it is the response): what the host
/// writes to each binding (`host_outputs::read_outputs`), as log lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// `(problem, line)`: for each output set, what its binding receives, or why the host
    /// ignores the value or cannot write it.
    pub lines: Vec<(bool, String)>,
    /// The bindings that receive something, in function.json order.
    pub names: Vec<String>,
    /// An output cannot be written, so the host fails the invocation (outputs written before
    /// it stay written).
    pub failed: bool,
}

/// The outputs of `outcome`, checked against `function`'s bindings as the host checks them.
pub fn written(function: &FunctionConfig, outcome: &Outcome) -> Written {
    let reading = read_outputs(function, &outcome.reply);
    let shown = |value: Option<&Value>| preview(value.map_or("null".to_string(), Value::to_json));
    let mut written = Written::default();
    for output in &reading.written {
        let name = &output.name;
        // Without a `$return` binding, a member of a `ReturnValue` object wins (rule 4).
        let spread = outcome.output(RETURN).and_then(|v| v.get(name));
        let spread = spread.filter(|_| function.output(RETURN).is_none());
        let value = spread.or_else(|| outcome.output(name));
        let (value, kind) = (shown(value), &output.kind);
        let mut line = format!(
            "output '{name}' = {value}: {kind} receives {}",
            items(&output.items)
        );
        if output.decoded_base64 {
            line.push_str(" (the host base64-decoded the string)");
        }
        for note in &output.notes {
            line += &format!("; {note}");
        }
        written.lines.push((false, line));
        written.names.push(output.name.clone());
    }
    // Each is "<name>: <reason>".
    let cannot = "the host cannot write it";
    let ignored = reading.ignored.iter().map(|why| (why, false, "ignored"));
    let failed = reading.errors.iter().map(|why| (why, true, cannot));
    for (why, fails, what) in ignored.chain(failed) {
        let (name, reason) = why.split_once(": ").unwrap_or((why, ""));
        let outputs = outcome.reply.get_ignore_case("Outputs");
        let value = outputs
            .and_then(|o| o.get(name))
            .or_else(|| outcome.output(name));
        let line = format!("output '{name}' = {}: {what}: {reason}", shown(value));
        written.lines.push((true, line));
        written.failed |= fails;
    }
    let returned = outcome.output(RETURN).filter(|v| **v != Value::Null);
    if let Some(value) = returned.filter(|_| function.output(RETURN).is_none()) {
        if value.as_object().is_none() {
            let line = format!(
                "return value = {}: ignored, function.json declares no $return output",
                preview(value.to_json())
            );
            written.lines.push((true, line));
        }
    }
    written
}

/// `text`, cut after `PREVIEW_CHARS` characters with how much was left out.
fn preview(mut text: String) -> String {
    if let Some((at, _)) = text.char_indices().nth(PREVIEW_CHARS) {
        let left = text.len() - at;
        text.truncate(at);
        text.push_str(&format!("... ({left} more bytes)"));
    }
    text
}

/// What a binding receives, shown on one line: text and documents as JSON, bytes counted (and
/// shown as text when they are UTF-8).
fn items(items: &[Item]) -> String {
    let shown: Vec<String> = items
        .iter()
        .map(|item| match item {
            Item::Json(value) => preview(value.to_json()),
            Item::Text(text) => preview(Value::from(text.as_str()).to_json()),
            Item::Bytes(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => format!(
                    "{} bytes {}",
                    bytes.len(),
                    preview(Value::from(text).to_json())
                ),
                Err(_) => format!("{} bytes", bytes.len()),
            },
        })
        .collect();
    match &shown[..] {
        [one] => one.clone(),
        many => format!("{} items: {}", many.len(), many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Framing, Head};
    use crate::util::function;

    #[test]
    fn a_long_value_is_shown_cut() {
        assert_eq!(preview("short".into()), "short");
        let long = "é".repeat(PREVIEW_CHARS + 10);
        let shown = preview(long);
        assert_eq!(
            shown,
            format!("{}... (20 more bytes)", "é".repeat(PREVIEW_CHARS))
        );
    }

    fn reply(status: u16, content_type: Option<&str>, body: &str) -> Reply {
        let headers = content_type.map(|ct| ("Content-Type".to_string(), ct.to_string()));
        Reply {
            head: Head {
                status,
                reason: "R".into(),
                headers: headers.into_iter().collect(),
                framing: Framing::Length(body.len()),
                keep_alive: true,
            },
            body: body.as_bytes().to_vec(),
        }
    }

    fn outcome(body: &str) -> Outcome {
        read(&reply(200, Some("application/json"), body)).unwrap()
    }

    fn respond(body: &str) -> Result<Response, Failure> {
        http_response(&outcome(body), Some("res"))
    }

    #[test]
    fn responses_from_res() {
        let r = respond(r#"{"Outputs":{"res":{"statusCode":201,"body":"made","headers":{"X-A":"1","n":2,"b":true,"f":1.50}}},"Logs":["a"],"ReturnValue":null}"#).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"made"[..]));
        // Each value is the object JSON.NET read, printed by .NET: a double its own way.
        let headers = [
            ("X-A", "1"),
            ("n", "2"),
            ("b", "True"),
            ("f", "1.5"),
            ("Content-Type", "text/plain; charset=utf-8"),
        ];
        assert_eq!(
            r.headers,
            headers.map(|(a, b)| (a.into(), b.into())).to_vec()
        );
        // statusCode as a string (the Go sample), names in any case, `status` ignored.
        let r =
            respond(r#"{"outputs":{"res":{"StatusCode":"201","status":404,"Body":"my world"}}}"#)
                .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"my world"[..]));
        let r = respond(r#"{"Outputs":{"res":{"status":404}}}"#).unwrap();
        let content_type = r.header_value("content-type");
        assert_eq!((r.status, r.body.len(), content_type), (200, 0, None));
        // A given content type gets the charset; an object body is indented JSON.
        let r = respond(r#"{"Outputs":{"res":{"body":{"a":[1,{}],"b":{}},"headers":{"content-type":"application/json"}}}}"#).unwrap();
        assert_eq!(
            r.header_value("Content-Type"),
            Some("application/json; charset=utf-8")
        );
        let indented = "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {}\n}";
        assert_eq!(String::from_utf8(r.body).unwrap(), indented);
    }

    /// `GetHttpOutputBindingResponse`: no `res` is an empty ExpandoObject, written as text; a
    /// `res` of null has no text to deserialize; with no http output at all the middleware
    /// answers `OkResult`.
    #[test]
    fn missing_res_is_an_empty_object() {
        for body in [
            r#"{"Outputs":{}}"#,
            r#"{}"#,
            r#"{"Outputs":{"Res":{"body":"x"}}}"#,
        ] {
            let r = respond(body).unwrap();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]), "{body}");
            let content_type = r.header_value("Content-Type");
            assert_eq!(content_type, Some("text/plain; charset=utf-8"));
        }
        let null = respond(r#"{"Outputs":{"res":null}}"#).unwrap_err();
        assert!(
            null.to_string()
                .contains("Failed while trying to Deserialize"),
            "{null}"
        );
        let none = http_response(&outcome(r#"{"Outputs":{}}"#), None).unwrap();
        assert_eq!((none.status, none.body.len()), (200, 0));
        assert_eq!(none.header_value("Content-Type"), None);
    }

    /// `HttpBinding`: a `statusCode` that is no integer leaves 200; `res` is read from its
    /// text, so a string holding the object is one; of header names that differ only in case
    /// the first stays; a `$return` object's body is written compact, `res`'s indented.
    #[test]
    fn res_is_read_as_the_host_reads_it() {
        for (status, expected) in [
            (r#""abc""#, 200),
            ("201.0", 200),
            ("true", 200),
            ("null", 200),
            (r#"" 202 ""#, 202),
            ("203", 203),
        ] {
            let body = format!(r#"{{"Outputs":{{"res":{{"statusCode":{status},"body":"x"}}}}}}"#);
            assert_eq!(respond(&body).unwrap().status, expected, "{status}");
        }
        let text = respond(r#"{"Outputs":{"res":"{\"statusCode\":201,\"body\":\"t\"}"}}"#);
        assert_eq!(text.map(|r| (r.status, r.body)), Ok((201, b"t".to_vec())));
        let twice = respond(r#"{"Outputs":{"res":{"headers":{"X-A":"1","x-a":"2"},"body":""}}}"#);
        assert_eq!(twice.unwrap().headers.len(), 1);
        let object = r#"{"body":{"a":[1]}}"#;
        let returned = outcome(&format!(r#"{{"ReturnValue":{object}}}"#));
        let compact = http_response(&returned, Some(RETURN)).unwrap();
        assert_eq!(compact.body, br#"{"a":[1]}"#);
        let res = respond(&format!(r#"{{"Outputs":{{"res":{object}}}}}"#)).unwrap();
        assert_eq!(
            String::from_utf8(res.body).unwrap(),
            "{\n  \"a\": [\n    1\n  ]\n}"
        );
    }

    #[test]
    fn a_failure_says_what_azure_does_next_by_trigger() {
        let next = |kind| after_failure(kind).unwrap_or("none");
        assert!(next("queueTrigger").ends_with("moves to <queue>-poison"));
        assert!(next("QUEUETRIGGER").contains("DequeueCount one higher"));
        assert!(next("serviceBusTrigger").ends_with("then dead-lettered"));
        assert!(next("blobTrigger").contains("webjobs-blobtrigger-poison"));
        assert!(next("timerTrigger").contains("not retried"));
        assert!(next("eventHubTrigger").contains("retry policy"));
        assert!(next("cosmosDBTrigger").contains("retry policy"));
        assert!(next("eventGridTrigger").contains("sends the event again"));
        assert_eq!(next("httpTrigger"), "none");
        assert_eq!(next("kafkaTrigger"), "none");
    }

    #[test]
    fn logs_are_read_as_strings() {
        // `List<string>`: JSON.NET reads a number or boolean item as its JSON text.
        let logs = outcome(r#"{"Logs":["a",1.50,true,null]}"#).logs;
        assert_eq!(logs, ["a", "1.50", "true", ""]);
    }

    #[test]
    fn failures() {
        let outcome = |status, ct, body| read(&reply(status, ct, body));
        let json = Some("application/json");
        let status = Failure::Status(500, "R".into());
        assert_eq!(outcome(500, json, "{}"), Err(status));
        let media = Failure::MediaType(Some("text/plain".into()));
        assert_eq!(outcome(200, Some("text/plain"), "{}"), Err(media));
        assert_eq!(outcome(200, None, "{}"), Err(Failure::MediaType(None)));
        assert!(matches!(outcome(200, json, "{"), Err(Failure::Json(_))));
        // Large replies the host would read are read, up to funchost's own bounds.
        let documents = |n: usize| {
            let fields: Vec<String> = (0..60).map(|i| format!("\"f{i}\":{i}")).collect();
            let doc = format!("{{{}}}", fields.join(","));
            let body = format!(r#"{{"Outputs":{{"doc":[{}]}}}}"#, vec![doc; n].join(","));
            read(&reply(200, json, &body))
        };
        assert!(documents(1_000).is_ok());
        let blob = format!(r#"{{"Outputs":{{"blob":"{}"}}}}"#, "A".repeat(9 << 20));
        assert!(read(&reply(200, json, &blob)).is_ok());
        assert_eq!(
            documents(20_000).unwrap_err().to_string(),
            "the reply is more values than the limit of 1000000: funchost reads no more, though \
             the host reads any"
        );
        let empty = Failure::Empty("an empty body");
        assert_eq!(outcome(200, json, ""), Err(empty.clone()));
        assert_eq!(outcome(200, None, ""), Err(empty));
        assert_eq!(outcome(200, json, "null"), Err(Failure::Empty("null")));
        assert!(outcome(200, Some("text/json; charset=utf-8"), "{}").is_ok());
        for bad in ["[]", r#"{"Logs":[{}]}"#, r#"{"Outputs":[]}"#] {
            assert!(
                matches!(outcome(200, json, bad), Err(Failure::Shape(_))),
                "{bad}"
            );
        }
        for bad in [
            r#"{"Outputs":{"res":"text"}}"#,
            r#"{"Outputs":{"res":{"statusCode":"1000"}}}"#,
            r#"{"Outputs":{"res":{"statusCode":{}}}}"#,
            r#"{"Outputs":{"res":{"headers":{"X":null}}}}"#,
        ] {
            assert!(matches!(respond(bad), Err(Failure::Shape(_))), "{bad}");
        }
    }

    #[test]
    fn return_value_binding() {
        let returned = outcome(r#"{"ReturnValue":"{\"body\":\"hi\",\"statusCode\":202}"}"#);
        let r = http_response(&returned, Some(RETURN)).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (202, &b"hi"[..]));
        let returned = outcome(r#"{"ReturnValue":{"body":"o"}}"#);
        assert_eq!(http_response(&returned, Some(RETURN)).unwrap().body, b"o");
        // A string holding an object without `body` is no response: a string, which fails.
        let no_body = outcome(r#"{"ReturnValue":"{\"statusCode\":202}"}"#);
        let failed = http_response(&no_body, Some(RETURN)).unwrap_err();
        assert!(failed.to_string().contains("Deserialize"), "{failed}");
        assert_eq!(returned.logs, Vec::<String>::new());
    }

    /// One line per output: what its binding receives, or why the host ignores it or cannot
    /// write it, which fails the invocation.
    #[test]
    fn outputs_are_read_as_the_host_writes_them() {
        let out = |kind: &str, name: &str| {
            format!(r#"{{"type":"{kind}","direction":"out","name":"{name}"}}"#)
        };
        let bindings = [
            out("queue", "msg"),
            out("blob", "copy"),
            out("cosmosDB", "doc"),
        ];
        let trigger = r#"{"type":"queueTrigger","name":"q"},"#;
        let copy = function("F", &format!("{trigger}{}", bindings.join(",")));
        let reply = r#"{"Outputs":{"msg":["a",{"q":1}],"copy":"aGk=","extra":1},"ReturnValue":7}"#;
        let expected = Written {
            lines: vec![
                (false, r#"output 'msg' = ["a",{"q":1}]: queue receives 2 items: "a", "{\n  \"q\": 1\n}"; item 1: JSON is written as indented text"#.into()),
                (false, r#"output 'copy' = "aGk=": blob receives 2 bytes "hi" (the host base64-decoded the string)"#.into()),
                (true, r#"output 'extra' = 1: ignored: function.json declares no output "extra""#.into()),
                (true, "return value = 7: ignored, function.json declares no $return output".into()),
            ],
            names: vec!["msg".into(), "copy".into()],
            failed: false,
        };
        assert_eq!(written(&copy, &outcome(reply)), expected);
        // A ReturnValue object without a $return binding writes its members over the outputs.
        let spread = written(
            &copy,
            &outcome(r#"{"Outputs":{"msg":["a"]},"ReturnValue":{"msg":"b"}}"#),
        );
        let line = r#"output 'msg' = "b": queue receives "b""#.to_string();
        assert_eq!(spread.lines, [(false, line)]);
        let bad = written(&copy, &outcome(r#"{"Outputs":{"doc":"x"}}"#));
        let line = r#"output 'doc' = "x": the host cannot write it: item 0 is not a JSON object"#;
        assert_eq!(
            (bad.lines, bad.failed),
            (vec![(true, line.to_string())], true)
        );
    }
}
