//! Payload mode: the host's JSON invocation in, its JSON result out (azure-host.md §4,
//! azure-bindings.md).
//!
//! The host invokes a function with `POST /<FunctionName>` (no route prefix, no query) and a
//! chunked `application/json` body `{"Data": {...}, "Metadata": {...}}`, whenever it does not
//! forward the request: forwarding is off in host.json, or the function is not exactly HTTP in
//! and out (a timer, a queue output, a Cosmos DB input...). The function itself is the same
//! `fn(&Request) -> Response` as in forwarding mode; this module builds its `Request` from the
//! invocation and turns its `Response` into the result.
//!
//! **The function's request.**
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
//! - Every member of `Data` is an input the function reads by name (`Request::input`), and
//!   `Metadata` its trigger metadata (`Request::metadata`). Every input function.json declares
//!   must be in `Data`: the host always sends one, `"null"` when it yielded nothing.
//!
//! **The result.** `{"Outputs":{...},"Logs":[...],"ReturnValue":...}`, `Content-Type:
//! application/json`, never empty and never `null` (the host hangs on those).
//! - The function's HTTP answer goes to the http output binding: `Outputs.res` =
//!   `{"statusCode":N,"body":"...","headers":{...}}`, or `ReturnValue` when that binding is
//!   named `$return` (the host reads it there, and only as an object with a `body`). Headers
//!   the server owns in forwarding mode (`Content-Length`, `Connection`...) or that are not
//!   valid fields are left out, repeated names are joined with `, ` (the host keeps one value
//!   per name), and a body without a `Content-Type` gets `application/octet-stream`, as in
//!   forwarding mode. A function without an http output answers `Outputs: {}`.
//! - The body travels as a JSON string, so it must be UTF-8: payload mode cannot carry bytes,
//!   nor two `Set-Cookie` fields (joined, they would read as one cookie). Such an answer fails
//!   the invocation rather than go out mangled; forwarding mode carries both.
//! - The outputs the function set go to `Outputs.<name>`, and `$return` to `ReturnValue`, each
//!   written so that its binding receives exactly the value set (`outputs`).
//! - `Logs`: the lines the function logged with `Request::log`, then any notes of the handler
//!   (prefixed `handler: `). The host logs each against the invocation.
//!
//! **Success and failure.** The host records an invocation as failed when the reply is not
//! 2xx; it then drops the reply (the `Logs` too), writes no output, and applies the trigger's
//! retry rules (a queue message comes back, then goes to the poison queue). So the reply is a
//! `500` when the invocation failed:
//! - the invocation cannot be read (not JSON, no `Data.<trigger>`, a declared input missing,
//!   a member of the wrong type);
//! - the function failed it (`Response::failed`, or a `BindingError` turned into a `Response`:
//!   binding data of the wrong shape, invalid base64...), read an input its function.json does
//!   not declare, or set an output that cannot be written (undeclared, or a value its binding
//!   cannot carry exactly), or gave an answer the http output cannot carry;
//! - the function panicked, or answered a status that is not final (a 1xx);
//! - the function has no http output (a trigger other than HTTP, or an HTTP function whose
//!   function.json declares none) and answered 5xx.
//!
//! For an HTTP trigger the same failures are a `500` to the host too, which answers the client
//! a bare `500` and records the failure; writing some outputs and dropping others, or a 200
//! that looks like success in the host's records, would be worse. Otherwise an HTTP function's
//! own status, 4xx and 5xx included, is its answer: a 200 to the host with the status in
//! `res`, so the client gets the function's body and the logs are kept. Without an http output
//! the host answers the client an empty 200 whatever the function returned, so an answer that
//! would be lost (a status other than 200, or a body) is said in `Logs`.
//!
//! A failed reply still carries `Outputs: {}` and the `Logs`, for a local host to show; since
//! the real host drops it, the function's log lines are also printed on stdout and each reason
//! on stderr (`handler: <Name>: <reason>`), which the host logs.
//!
//! An unknown function (`POST /Nope`) is the router's 404: that is the host's "custom handler
//! endpoint not found" case, not an invocation.
mod invocation;
mod reply;

use std::io::Write;

use crate::azure::appfiles::{Binding, FunctionConfig};
use crate::azure::bindings::RETURN;
use crate::azure::outputs;
use crate::azure::payload::reply::{json_reply, result, HttpAnswer, Returned};
use crate::azure::response::Response;
use crate::azure::run;
use crate::azure::run::Function;
use crate::http;

pub(crate) use invocation::invocation;

/// What payload mode needs from a function's function.json: where its trigger's data is,
/// which inputs it reads and where its answer and outputs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    config: FunctionConfig,
}

impl Shape {
    /// What `func new` generates for an HTTP trigger: `req` in (GET and POST), `res` out.
    pub fn quickstart() -> Shape {
        let binding = |kind: &str, direction: &str, name: &str| Binding {
            kind: kind.to_string(),
            direction: direction.to_string(),
            name: name.to_string(),
            ..Binding::default()
        };
        let trigger = Binding {
            methods: vec!["get".to_string(), "post".to_string()],
            ..binding("httpTrigger", "in", "req")
        };
        let config = FunctionConfig {
            name: String::new(),
            bindings: vec![trigger, binding("http", "out", "res")],
        };
        Shape { config }
    }

    /// The shape `function` declares.
    pub fn of(function: &FunctionConfig) -> Shape {
        Shape {
            config: function.clone(),
        }
    }

    /// The function.json behind this shape.
    pub fn config(&self) -> &FunctionConfig {
        &self.config
    }

    /// The trigger binding's name: the member of `Data` holding the trigger's data.
    pub fn trigger(&self) -> &str {
        self.config.trigger().map_or("", |t| t.name.as_str())
    }

    /// Whether the trigger is an HTTP trigger, so `Data.<trigger>` is a request.
    pub fn is_http(&self) -> bool {
        self.config.is_http()
    }

    /// The http output binding's name: the member of `Outputs` that carries the response, or
    /// `$return` for `ReturnValue`. `None` when the function has no http output.
    pub fn http_output(&self) -> Option<&str> {
        self.config.http_output().map(|b| b.name.as_str())
    }
}

/// What running a function on an invocation gave: its answer (the HTTP part and the outputs),
/// its log lines, and why the invocation failed, if it did.
struct Run {
    answer: Response,
    logs: Vec<String>,
    failures: Vec<String>,
}

/// Answers one payload-mode invocation of `function`, whose JSON is `body`.
pub(crate) fn respond(function: &Function, shape: &Shape, body: &[u8]) -> http::Response {
    let Run {
        answer,
        mut logs,
        mut failures,
    } = run(function, shape, body);
    let (answer, outputs, failure) = answer.into_parts();
    failures.extend(failure);
    let names: Vec<String> = outputs.iter().map(|(n, _)| n.clone()).collect();
    let encoded = match outputs::encode_all(shape.config(), outputs) {
        Ok(encoded) => encoded,
        Err(reasons) => {
            failures.extend(reasons);
            outputs::Encoded::default()
        }
    };
    // The answer's header list carries the reply's one header in turn: a second list of the
    // same size, alive with the first and freed with it, left musl's allocator an empty page to
    // unmap (and map and fault in again) at every invocation.
    let http::Response {
        status,
        mut headers,
        body,
    } = answer;
    let server_error = status >= 500;
    let body_len = body.len();
    let answer = |binding| (binding, HttpAnswer::of(status, headers.drain(..), body));
    let http_output = shape.http_output();
    let http = match http_output.map(answer) {
        Some((binding, Ok(http))) => Some((binding, http)),
        Some((_, Err(reason))) => {
            failures.push(reason);
            None
        }
        None => None,
    };
    // Without an http output the answer reaches no one: the host answers an HTTP client an
    // empty 200 whatever the function said (FunctionInvocationMiddleware's OkResult), so only
    // a failed run can carry a 5xx, as for any other trigger.
    let unanswered = http_output.is_none();
    if unanswered && shape.is_http() && server_error {
        failures.push(format!(
            "answered {status}, and its function.json declares no http output to carry it: \
             the invocation fails, so the client gets a bare 500"
        ));
    }
    let failed = !failures.is_empty() || (unanswered && server_error);
    if !failed && !shape.is_http() && status >= 400 {
        // Only a 5xx fails a run the host did not start for an HTTP request: say so, rather
        // than let a function that meant "reject" (a bad message) pass without a word.
        logs.push(format!(
            "handler: {}: answered {status}, which the host records as a success for a {}; \
             answer 5xx or Response::failed to fail the run",
            function.name,
            shape
                .config()
                .trigger()
                .map_or("trigger", |t| t.kind.as_str())
        ));
    } else if !failed && unanswered && shape.is_http() && (status != 200 || body_len > 0) {
        // An HTTP function's answer with nowhere to go: say so, rather than drop it unseen.
        logs.push(format!(
            "handler: {}: answered {status} with {body_len} bytes of body, but its \
             function.json declares no http output, so the host answers the client 200 with \
             no body; declare {{\"type\": \"http\", \"direction\": \"out\", \"name\": \"res\"}} \
             to send the answer",
            function.name
        ));
    }
    if failed {
        let name = function.name;
        run::print_logs(name, logs.clone());
        for reason in &failures {
            // Not `eprintln!`, which panics when stderr's reader has gone.
            let _ = writeln!(std::io::stderr(), "handler: {name}: {reason}");
            logs.push(format!("handler: {name}: {reason}"));
        }
        if !names.is_empty() {
            logs.push(format!(
                "handler: {name}: the invocation failed, so the host writes none of its outputs \
                 ({})",
                names.join(", ")
            ));
        }
        return json_reply(500, headers, result(None, &logs, &[], Returned::Null));
    }
    let (res, returned) = match &http {
        Some((RETURN, http)) => (None, Returned::Answer(http)),
        Some((binding, http)) => (Some((*binding, http)), Returned::Null),
        None => (None, Returned::Null),
    };
    let returned = match (returned, &encoded.return_value) {
        (Returned::Null, Some(value)) => Returned::Value(value),
        (returned, _) => returned,
    };
    let reply = result(res, &logs, &encoded.outputs, returned);
    json_reply(200, headers, reply)
}

/// Runs `function` on the invocation `body`. An invocation that cannot be read runs nothing
/// and fails with the reason.
fn run(function: &Function, shape: &Shape, body: &[u8]) -> Run {
    let req = match invocation(function.name, shape, body) {
        Ok(req) => req,
        Err(reason) => {
            return Run {
                answer: Response::new(500),
                logs: Vec::new(),
                failures: vec![format!("invalid invocation: {reason}")],
            }
        }
    };
    let answer = run::run_caught(function.run, &req);
    let logs = req.take_logs();
    let mut failures = req.take_undeclared();
    let answer = answer.unwrap_or_else(|fault| {
        failures.push(fault.to_string());
        Response::new(500)
    });
    Run {
        answer,
        logs,
        failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::json::{self, Value};
    use crate::azure::request::Request;
    use crate::xorshift::Rng;

    fn hello(req: &Request) -> Response {
        req.log(format!("{} {}?{}", req.method(), req.path(), req.query()));
        Response::text(200, "hi")
    }

    static HELLO: Function = Function {
        name: "Hello",
        run: hello,
    };

    /// The shape of a function.json whose `bindings` are `bindings`.
    pub(super) fn shape(bindings: &str) -> Shape {
        let text = format!(r#"{{"bindings":[{bindings}]}}"#);
        Shape::of(&crate::azure::appfiles::parse_function_json("Hello", text.as_bytes()).unwrap())
    }

    pub(super) fn timer(name: &str) -> Shape {
        shape(&format!(r#"{{"type":"timerTrigger","name":"{name}"}}"#))
    }

    pub(super) static QUICKSTART: std::sync::LazyLock<Shape> =
        std::sync::LazyLock::new(Shape::quickstart);

    #[test]
    fn the_quickstart_shape_is_http_in_and_out() {
        let shape = Shape::quickstart();
        assert_eq!((shape.trigger(), shape.is_http()), ("req", true));
        assert_eq!(shape.http_output(), Some("res"));
        assert!(shape.config().is_http_in_out());
        assert_eq!(shape.config().trigger().unwrap().methods, ["get", "post"]);
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
        let to_return = shape(
            r#"{"type":"httpTrigger","name":"req"},{"type":"http","direction":"out","name":"$return"}"#,
        );
        assert_eq!(
            reply(&to_return, &HELLO, body).1,
            r#"{"Outputs":{},"Logs":["GET /api/Hello?a=1"],"ReturnValue":{"statusCode":200,"body":"hi","headers":{"Content-Type":"text/plain; charset=utf-8"}}}"#
        );
    }

    #[test]
    fn unreadable_invocation_fails_with_the_reason_logged() {
        // For an HTTP trigger too: the host fails the invocation and answers the client 500.
        assert_eq!(
            reply(&Shape::quickstart(), &HELLO, "{"),
            (
                500,
                r#"{"Outputs":{},"Logs":["handler: Hello: invalid invocation: the body is not JSON (unexpected end of input)"],"ReturnValue":null}"#
                    .to_string()
            )
        );
    }

    /// The status and reply of the quickstart's invocation of `GET` run by `F`, `response`.
    fn invoked(response: fn(&Request) -> Response) -> (u16, String) {
        let function = Function {
            name: "F",
            run: response,
        };
        let invocation = r#"{"Data":{"req":{"Method":"GET"}}}"#;
        reply(&Shape::quickstart(), &function, invocation)
    }

    pub(super) fn answer_with(response: fn(&Request) -> Response) -> String {
        let (status, body) = invoked(response);
        assert_eq!(status, 200);
        body
    }

    /// The host copies a JSON body's members into `Metadata`: an invocation carries any body a
    /// function may read, and one past its own limits fails saying so, not "not JSON".
    #[test]
    fn an_invocation_carries_a_json_body_twice() {
        use crate::azure::limits::{INVOCATION_MAX_VALUES, JSON_MAX_VALUES};
        fn size(req: &Request) -> Response {
            Response::text(200, req.body().len().to_string())
        }
        let function = Function {
            name: "F",
            run: size,
        };
        let invocation = |n: usize| {
            let object = format!("{{\"v\":[{}]}}", vec!["0"; n].join(","));
            let body = format!("{{\"x\":{object}}}");
            let mut text = String::new();
            json::write_string(&mut text, &body);
            format!(
                r#"{{"Data":{{"req":{{"Method":"POST","Body":{text}}}}},"Metadata":{{"x":{object}}}}}"#
            )
        };
        let (status, answer) = reply(&QUICKSTART, &function, &invocation(JSON_MAX_VALUES - 3));
        assert_eq!(status, 200, "{}", &answer[..200.min(answer.len())]);
        assert_eq!(
            reply(&QUICKSTART, &function, &invocation(INVOCATION_MAX_VALUES)),
            (
                500,
                format!(
                    r#"{{"Outputs":{{}},"Logs":["handler: F: invalid invocation: not read: more values than the limit of {INVOCATION_MAX_VALUES}"],"ReturnValue":null}}"#
                )
            )
        );
    }

    #[test]
    fn answers_the_http_binding_cannot_carry_fail_the_invocation() {
        fn binary(_: &Request) -> Response {
            Response::new(200).body(vec![0xff, 0xfe])
        }
        fn cookies(_: &Request) -> Response {
            Response::text(200, "hi")
                .header("Set-Cookie", "a=1; Path=/")
                .header("set-cookie", "b=2; Path=/")
        }
        fn not_final(_: &Request) -> Response {
            Response::new(103)
        }
        fn panics(_: &Request) -> Response {
            panic!("deliberately")
        }
        type Answer = fn(&Request) -> Response;
        let cases: [(Answer, &str); 4] = [
            (binary, "the response body (2 bytes) is not UTF-8, which payload mode cannot carry (return text, or let the host forward the request for binary bodies)"),
            (cookies, "the response sets 2 cookies; payload mode carries one value per header name and cookies cannot be joined (set one, or let the host forward the request)"),
            (not_final, "answered status 103, which is not a final status (200-599)"),
            (panics, "panicked (the message is on stderr)"),
        ];
        for (function, reason) in cases {
            assert_eq!(
                invoked(function),
                (
                    500,
                    format!(
                        r#"{{"Outputs":{{}},"Logs":["handler: F: {reason}"],"ReturnValue":null}}"#
                    )
                ),
            );
        }
        // An output set beside such an answer is not written either, and the logs say so.
        fn cookies_and_a_message(_: &Request) -> Response {
            cookies(&Request::new("GET", "/")).output("msg", "order placed")
        }
        let function = Function {
            name: "F",
            run: cookies_and_a_message,
        };
        let shape = shape(
            r#"{"type":"httpTrigger","name":"req"},{"type":"http","direction":"out","name":"res"},
            {"type":"queue","direction":"out","name":"msg"}"#,
        );
        let (status, body) = reply(&shape, &function, r#"{"Data":{"req":{"Method":"GET"}}}"#);
        assert_eq!(status, 500);
        assert!(
            body.contains(r#""handler: F: the invocation failed, so the host writes none of its outputs (msg)""#),
            "{body}"
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
        let timer = timer("t");
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
        // A 4xx is a success to the host: said in Logs, so that "reject" is not silent.
        fn rejects(_: &Request) -> Response {
            Response::text(400, "bad message")
        }
        assert_eq!(
            reply(&timer, &function(rejects), body),
            (
                200,
                r#"{"Outputs":{},"Logs":["handler: T: answered 400, which the host records as a success for a timerTrigger; answer 5xx or Response::failed to fail the run"],"ReturnValue":null}"#.to_string()
            )
        );
        // A missing Data.t runs nothing and fails the invocation, so the host's retry rules
        // keep the message rather than count it done.
        assert_eq!(
            reply(&timer, &function(works), r#"{"Data":{}}"#),
            (
                500,
                r#"{"Outputs":{},"Logs":["handler: T: invalid invocation: no \"Data.t\""],"ReturnValue":null}"#
                    .to_string()
            )
        );
    }

    /// An HTTP function whose function.json has no http output: the host answers its client
    /// an empty 200 whatever it returns, so a 5xx fails the run (and its outputs) and any other
    /// answer that would be lost is said in Logs.
    #[test]
    fn an_http_function_without_an_http_output_loses_no_answer_unseen() {
        let shape = shape(
            r#"{"type":"httpTrigger","name":"req"},
            {"type":"queue","direction":"out","name":"msg"}"#,
        );
        fn fails(_: &Request) -> Response {
            Response::text(503, "later").output("msg", "order placed")
        }
        fn not_found(_: &Request) -> Response {
            Response::text(404, "no such order")
        }
        fn enqueues(_: &Request) -> Response {
            Response::new(200).output("msg", "order placed")
        }
        let f = |run| Function { name: "F", run };
        let body = r#"{"Data":{"req":{"Method":"GET"}}}"#;
        assert_eq!(
            reply(&shape, &f(fails), body),
            (
                500,
                r#"{"Outputs":{},"Logs":["handler: F: answered 503, and its function.json declares no http output to carry it: the invocation fails, so the client gets a bare 500","handler: F: the invocation failed, so the host writes none of its outputs (msg)"],"ReturnValue":null}"#
                    .to_string()
            )
        );
        assert_eq!(
            reply(&shape, &f(not_found), body),
            (
                200,
                r#"{"Outputs":{},"Logs":["handler: F: answered 404 with 13 bytes of body, but its function.json declares no http output, so the host answers the client 200 with no body; declare {\"type\": \"http\", \"direction\": \"out\", \"name\": \"res\"} to send the answer"],"ReturnValue":null}"#
                    .to_string()
            )
        );
        assert_eq!(
            reply(&shape, &f(enqueues), body),
            (
                200,
                r#"{"Outputs":{"msg":["order placed"]},"Logs":[],"ReturnValue":null}"#.to_string()
            )
        );
    }

    /// A queue-triggered function with a blob input, a queue output and a `$return` blob,
    /// as azure-bindings.md §2.2 shows its invocation.
    pub(super) fn queue_shape() -> Shape {
        shape(
            r#"{"type":"queueTrigger","name":"msg","queueName":"orders"},
            {"type":"blob","direction":"in","name":"cfg","path":"cfg/x.json"},
            {"type":"queue","direction":"out","name":"done","queueName":"done"},
            {"type":"blob","direction":"out","name":"$return","path":"out/x"}"#,
        )
    }

    pub(super) const QUEUE: &str = r#"{"Data":{"msg":"\"{\\\"orderId\\\":7}\"","cfg":"\"{\\\"tax\\\":0.2}\""},"Metadata":{"DequeueCount":"1","Id":"\"8f0c\"","InsertionTime":"2025-01-01T12:00:00+00:00","orderId":"\"7\"","sys":{"MethodName":"Q","UtcNow":"2025-01-01T12:05:00Z","RandGuid":"r"}}}"#;

    #[test]
    fn outputs_go_to_outputs_and_return_value() {
        fn writes(req: &Request) -> Response {
            req.log("writing");
            Response::new(200)
                .output("done", "order 7 done")
                .output(
                    "done",
                    Value::Object(vec![("orderId".into(), Value::Number("7".into()))]),
                )
                .return_value(b"bytes".to_vec())
        }
        let function = Function {
            name: "Q",
            run: writes,
        };
        assert_eq!(
            reply(&queue_shape(), &function, QUEUE),
            (
                200,
                r#"{"Outputs":{"done":["order 7 done","{\"orderId\":7}"]},"Logs":["writing"],"ReturnValue":"Ynl0ZXM="}"#
                    .to_string()
            )
        );
    }

    #[test]
    fn binding_errors_fail_the_invocation_for_every_trigger() {
        fn undeclared(_: &Request) -> Response {
            Response::new(200)
                .output("done", "fine")
                .output("Done", "typo")
        }
        fn reads_undeclared(req: &Request) -> Response {
            req.log("looking");
            let _ = req.input("nope");
            Response::new(200)
        }
        fn fails(req: &Request) -> Response {
            match req.trigger().unwrap().json() {
                Ok(_) => Response::new(200),
                Err(e) => e.into(),
            }
        }
        let f = |run| Function { name: "Q", run };
        let cases: &[(Function, &str, &str)] = &[
            (
                f(undeclared),
                QUEUE,
                r#"["handler: Q: set the output \"Done\", which its function.json does not declare (outputs: done, $return); did you mean \"done\"? the host matches output names exactly","handler: Q: the invocation failed, so the host writes none of its outputs (done, Done)"]"#,
            ),
            (
                f(reads_undeclared),
                QUEUE,
                r#"["looking","handler: Q: read the input \"nope\", which its function.json does not declare (inputs: msg, cfg)"]"#,
            ),
            (
                f(fails),
                &QUEUE.replace(r#"\"{\\\"orderId\\\":7}\""#, r#"\"seven\""#),
                r#"["handler: Q: the input \"msg\" is not JSON (unexpected byte at offset 0)"]"#,
            ),
        ];
        for (function, body, logs) in cases {
            assert_eq!(
                reply(&queue_shape(), function, body),
                (
                    500,
                    format!(r#"{{"Outputs":{{}},"Logs":{logs},"ReturnValue":null}}"#)
                ),
            );
        }
        // An HTTP trigger too: a 500 to the host, not a 200 with a `res`.
        fn bad_output(_: &Request) -> Response {
            Response::text(200, "ok").output("msg", "x")
        }
        assert_eq!(
            reply(&Shape::quickstart(), &f(bad_output), r#"{"Data":{"req":{"Method":"GET"}}}"#),
            (
                500,
                r#"{"Outputs":{},"Logs":["handler: Q: set the output \"msg\", which its function.json does not declare (outputs: res)","handler: Q: the invocation failed, so the host writes none of its outputs (msg)"]}"#
                    .replace("]}", r#"],"ReturnValue":null}"#)
            )
        );
    }

    /// A number built by hand that is not JSON fails the invocation, saying which, rather than
    /// go out in a reply the host cannot read (it would fail the run without a word of why).
    #[test]
    fn a_number_that_is_not_json_fails_the_invocation_and_the_reply_stays_json() {
        fn average(_: &Request) -> Response {
            // The mean of no values: NaN, which `to_string` writes as `NaN`.
            let values: Vec<f64> = Vec::new();
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let document = Value::object([
                ("id", "1".into()),
                ("mean", Value::Number(mean.to_string())),
            ]);
            Response::new(200).output("doc", document)
        }
        let shape = shape(
            r#"{"type":"timerTrigger","name":"t"},
            {"type":"cosmosDB","direction":"out","name":"doc"}"#,
        );
        let function = Function {
            name: "F",
            run: average,
        };
        let (status, body) = reply(&shape, &function, r#"{"Data":{"t":{}}}"#);
        assert_eq!(status, 500, "{body}");
        let reply = json::parse(body.as_bytes()).expect("a JSON reply");
        let logs = reply.get("Logs").and_then(Value::as_array).unwrap();
        assert!(
            logs[0].as_str().unwrap().starts_with(
                r#"handler: F: the output "doc" holds the number "NaN", which is not JSON"#
            ),
            "{body}"
        );
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

    /// Random and mutated invocations never panic the handler and always get a JSON result
    /// with `Outputs` and `Logs`: a 200 with the function's `res` when the invocation could be
    /// read, else a 500 with the reason. Most are
    /// mutated member by member, so they stay JSON and reach the reader's type checks; the rest
    /// have bytes broken.
    #[test]
    fn random_invocations_always_get_a_json_result() {
        fn echo(req: &Request) -> Response {
            req.log(format!("{} bytes", req.body().len()));
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
                shape(r#"{"type":"timerTrigger","name":"myTimer"}"#)
            } else {
                Shape::quickstart()
            };
            let response = respond(&function, &shape, &body);
            assert_eq!(
                response.header_value("Content-Type"),
                Some("application/json")
            );
            let result = json::parse(&response.body)
                .unwrap_or_else(|e| panic!("round {round}: the result is not JSON: {e}"));
            let logs = result
                .get("Logs")
                .and_then(Value::as_array)
                .unwrap_or_default();
            let logged = |start: &str| {
                logs.iter()
                    .any(|l| l.as_str().is_some_and(|l| l.starts_with(start)))
            };
            let invalid = logged("handler: Hello: invalid invocation: ");
            // Unreadable, or an echoed body that is not UTF-8 or path the host cannot send in
            // a header: a failed invocation, nothing written. Otherwise the answer in `res`.
            let failed = invalid
                || logged("handler: Hello: the response body ")
                || logged("handler: Hello: the header ");
            let (status, res) = if failed {
                (500, None)
            } else {
                (200, shape.http_output().map(|_| ()))
            };
            let got_res = result
                .get("Outputs")
                .and_then(|o| o.get("res"))
                .and_then(|r| r.get("statusCode"))
                .map(|_| ());
            assert!(
                response.status == status
                    && got_res == res
                    && result.get("Logs").and_then(Value::as_array).is_some()
                    && result.get("ReturnValue") == Some(&Value::Null),
                "round {round}: {:?} -> {} {}",
                String::from_utf8_lossy(&body),
                response.status,
                String::from_utf8_lossy(&response.body)
            );
            refused += usize::from(invalid);
        }
        // Both kinds are common, or the test would test less than it says.
        assert!(
            (2_000..18_000).contains(&refused),
            "{refused} of 20000 refused"
        );
    }
}
