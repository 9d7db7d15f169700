//! Payload mode through the real binary: the host's `POST /<FunctionName>` with a chunked JSON
//! invocation, byte for byte (azure-host.md §4), against the app folders in tests/fixtures/.
//! HelloRust runs in the shipped handler; a timer trigger and a route template run in
//! examples/app.rs, the same library with a bigger function table.
#![forbid(unsafe_code)]
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use support::xorshift::Rng;
use support::{chunked, example, greeting, invocation, read_reply, Reply, Server, TempDir};

/// An app folder under tests/fixtures/.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The shipped handler serving the app in `tests/fixtures/<name>`.
fn handler_in(name: &str) -> Server {
    let root = fixture(name);
    Server::start_with(&[("FUNCTIONS_APP_ROOT_PATH", root.to_str().unwrap())], None)
}

/// examples/app.rs serving `tests/fixtures/app`, found as the host finds it: the working
/// directory is the app root and so is `FUNCTIONS_APP_ROOT_PATH`.
fn example_app() -> Server {
    let root = fixture("app");
    Server::start_program(
        &example("app"),
        &[("FUNCTIONS_APP_ROOT_PATH", root.to_str().unwrap())],
        Some(&root),
    )
}

/// The next stderr line that is not a start-up warning about a function the crate registers
/// and the fixture has no function.json for: the user's own functions, added to the table
/// with `funchost new`, must not change what these tests see.
fn next_error(server: &Server) -> String {
    loop {
        let line = server
            .stderr
            .recv_timeout(support::WAIT)
            .expect("a stderr line");
        if !(line.starts_with("handler: warning: ") && line.contains(" is registered but ")) {
            return line;
        }
    }
}

/// Sends one host invocation of `function` on a new connection.
fn invoke(server: &Server, function: &str, json: &str) -> Reply {
    server.exchange(&invocation(server.port, function, json))
}

/// The host's `Data.req` for `GET /api/HelloRust<query>` from curl, with the extra members
/// `more` (e.g. `,"Body":"..."`).
fn http_data(url_path: &str, query: &str, more: &str) -> String {
    format!(
        r#"{{"Data":{{"req":{{"Url":"http://localhost:7071{url_path}","Method":"GET","Query":{query},"Headers":{{"Accept":["*/*"],"Host":["localhost:7071"],"User-Agent":["curl/8.5.0"]}},"Params":{{}},"Identities":[{{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}}]{more}}}}},"Metadata":{{"name":"\"Rust\"","Query":{{"name":"Rust"}},"Headers":{{"Accept":"*/*","Host":"localhost:7071","User-Agent":"curl/8.5.0"}},"sys":{{"MethodName":"HelloRust","UtcNow":"2025-01-01T12:00:00.0000000Z","RandGuid":"5d2f0a4e-1111-4222-8333-944455556666"}}}}}}"#
    )
}

/// The JSON result for an HTTP function that answered `status` with a plain-text `body`.
fn text_result(status: u16, body: &str, logs: &str) -> String {
    format!(
        r#"{{"Outputs":{{"res":{{"statusCode":{status},"body":"{body}","headers":{{"Content-Type":"text/plain; charset=utf-8"}}}}}},"Logs":[{logs}],"ReturnValue":null}}"#
    )
}

fn assert_json_200(reply: &Reply, expected: &str) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    assert_eq!(reply.text(), expected);
}

// ---- HelloRust in the shipped handler, forwarding off -------------------------------------------

#[test]
fn hellorust_invocation_greets_the_query_name() {
    let server = handler_in("payload");
    assert!(
        server
            .listening
            .ends_with("(functions: HelloRust [payload])"),
        "{}",
        server.listening
    );
    let json = http_data("/api/HelloRust?name=Rust", r#"{"name":"Rust"}"#, "");
    // In chunks of 7 bytes as well as in one: the chunk boundaries must not matter.
    for size in [4096, 7] {
        let mut request = invocation(server.port, "HelloRust", "");
        request.truncate(request.len() - b"0\r\n\r\n".len());
        request.extend(chunked(json.as_bytes(), size));
        let reply = server.exchange(&request);
        assert_json_200(&reply, &text_result(200, &greeting(Some("Rust")), ""));
    }
}

#[test]
fn hellorust_invocation_takes_the_name_from_a_json_or_form_body() {
    let server = handler_in("payload");
    let cases: &[(&str, &str, &str)] = &[
        ("application/json", r#"{\"name\":\"Azure\"}"#, "Azure"),
        (
            "application/x-www-form-urlencoded",
            "x=1&name=Form+Body",
            "Form Body",
        ),
    ];
    for (media, body, name) in cases {
        let json = http_data("/api/HelloRust", "{}", &format!(r#","Body":"{body}""#)).replace(
            r#""Accept":["*/*"]"#,
            &format!(r#""Accept":["*/*"],"Content-Type":["{media}"]"#),
        );
        let reply = invoke(&server, "HelloRust", &json);
        assert_json_200(&reply, &text_result(200, &greeting(Some(name)), ""));
    }
}

#[test]
fn hellorust_invocation_without_a_name_and_from_an_older_host() {
    let server = handler_in("payload");
    let none = http_data("/api/HelloRust", "{}", "");
    assert_json_200(
        &invoke(&server, "HelloRust", &none),
        &text_result(200, &greeting(None), ""),
    );
    // Hosts before 2020 sent `Query` as the JSON text of the object (host#6606).
    let old = http_data("/api/HelloRust?name=Old", r#""{\"name\":\"Old\"}""#, "");
    assert_json_200(
        &invoke(&server, "HelloRust", &old),
        &text_result(200, &greeting(Some("Old")), ""),
    );
    // The name as folder and host spell it, and any other case: the host's names ignore case.
    assert_eq!(invoke(&server, "hellorust", &none).status, 200);
}

#[test]
fn hellorust_400_stays_inside_a_200_result() {
    let server = handler_in("payload");
    let json = http_data("/api/HelloRust", "{}", r#","Body":"{\"name\":""#).replace(
        r#""Accept":["*/*"]"#,
        r#""Accept":["*/*"],"Content-Type":["application/json"]"#,
    );
    assert_json_200(
        &invoke(&server, "HelloRust", &json),
        &text_result(400, "Invalid JSON body: unexpected end of input.", ""),
    );
}

/// An invocation the handler cannot read fails: the host answers the client a bare 500 and
/// records the failure. The reason is in `Logs`, which the host drops, and on stderr, which it
/// logs.
#[test]
fn unreadable_invocation_fails_with_the_reason_on_stderr() {
    let server = handler_in("payload");
    let cases: &[(&str, &str)] = &[
        (
            "not json",
            "the body is not JSON (unexpected byte at offset 1)",
        ),
        (r#"{"Data":{}}"#, "no \\\"Data.req\\\""),
        (
            r#"{"Data":{"req":{"Url":"http://h/api/HelloRust"}}}"#,
            "Data.req.Method is not a method name",
        ),
    ];
    for (json, reason) in cases {
        let reply = invoke(&server, "HelloRust", json);
        let line = format!("handler: HelloRust: invalid invocation: {reason}");
        assert_eq!(reply.status, 500, "{}", reply.text());
        assert_eq!(reply.header("Content-Type"), Some("application/json"));
        assert_eq!(
            reply.text(),
            format!(r#"{{"Outputs":{{}},"Logs":["{line}"],"ReturnValue":null}}"#)
        );
        assert_eq!(next_error(&server), line.replace("\\\"", "\""));
    }
}

#[test]
fn payload_paths_and_unknown_functions() {
    let server = handler_in("payload");
    let json = http_data("/api/HelloRust", "{}", "");
    // No such function: the host's "endpoint not found" case, a plain 404.
    let reply = invoke(&server, "Nope", &json);
    assert_eq!((reply.status, reply.text().as_str()), (404, "Not Found"));
    // With forwarding off, nothing is served at the public route, and the payload path takes
    // POST only.
    for request in [
        support::get("/api/HelloRust?name=x"),
        support::get("/HelloRust"),
        support::get("/"),
    ] {
        assert_eq!(server.exchange(&request).status, 404);
    }
}

#[test]
fn invocations_reuse_one_keep_alive_connection() {
    let server = handler_in("payload");
    let mut stream = server.connect();
    for name in ["One", "Two", "Three"] {
        let json = http_data(
            &format!("/api/HelloRust?name={name}"),
            &format!(r#"{{"name":"{name}"}}"#),
            "",
        );
        stream
            .write_all(&invocation(server.port, "HelloRust", &json))
            .unwrap();
        let reply = read_reply(&mut stream, false).expect("a reply on the same connection");
        assert_json_200(&reply, &text_result(200, &greeting(Some(name)), ""));
    }
}

// ---- Forwarding on: both modes -----------------------------------------------------------------

#[test]
fn forwarding_serves_the_route_and_still_answers_invocations() {
    let server = handler_in("forwarding");
    assert!(
        server
            .listening
            .ends_with("(functions: HelloRust [GET,POST /api/HelloRust])"),
        "{}",
        server.listening
    );
    let reply = server.exchange(&support::get("/api/HelloRust?name=Fwd"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), greeting(Some("Fwd")));
    let json = http_data("/api/HelloRust?name=Rust", r#"{"name":"Rust"}"#, "");
    assert_json_200(
        &invoke(&server, "HelloRust", &json),
        &text_result(200, &greeting(Some("Rust")), ""),
    );
}

#[test]
fn without_host_json_the_builtin_table_serves_both_modes() {
    let empty = TempDir::new("no-host-json");
    let root = empty.path().to_str().unwrap();
    let server = Server::start_with(&[("FUNCTIONS_APP_ROOT_PATH", root)], None);
    // Every function of the crate's table is listed; HelloRust is one, whatever else the user
    // has registered.
    let listed = server
        .listening
        .split_once(&format!("(no host.json in {root}, built-in functions: "))
        .and_then(|(_, list)| list.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{}", server.listening));
    assert!(
        listed
            .split(", ")
            .any(|item| item == "HelloRust [GET,POST /api/HelloRust]"),
        "{}",
        server.listening
    );
    let reply = server.exchange(&support::get("/api/HelloRust?name=Alone"));
    assert_eq!(reply.text(), greeting(Some("Alone")));
    let json = http_data("/api/HelloRust?name=Rust", r#"{"name":"Rust"}"#, "");
    assert_json_200(
        &invoke(&server, "HelloRust", &json),
        &text_result(200, &greeting(Some("Rust")), ""),
    );
}

// ---- A timer and a route template: examples/app.rs ---------------------------------------------

/// The timer's data as the host serializes its `TimerInfo`.
const TIMER: &str = r#"{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2025-01-01T11:55:00+00:00","Next":"2025-01-01T12:05:00+00:00","LastUpdated":"2025-01-01T11:55:00+00:00"},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"Tick","UtcNow":"2025-01-01T12:00:00.0170000Z","RandGuid":"0c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5"}}}"#;

#[test]
fn timer_invocation_answers_outputs_and_logs() {
    let server = example_app();
    assert!(
        server.listening.ends_with(
            "(functions: Boom [GET /v1/Boom], HelloRust [GET,POST /v1/HelloRust], \
             Product [GET /v1/products/{id}], Tick [payload])"
        ),
        "{}",
        server.listening
    );
    assert_json_200(
        &invoke(&server, "Tick", TIMER),
        r#"{"Outputs":{},"Logs":["Tick on time; next run at 2025-01-01T12:05:00+00:00"],"ReturnValue":null}"#,
    );
    let late = TIMER.replace(r#""IsPastDue":false"#, r#""IsPastDue":true"#);
    assert_json_200(
        &invoke(&server, "Tick", &late),
        r#"{"Outputs":{},"Logs":["Tick ran late; next run at 2025-01-01T12:05:00+00:00"],"ReturnValue":null}"#,
    );
    // A timer is never forwarded: nothing at /v1/Tick.
    assert_eq!(server.exchange(&support::get("/v1/Tick")).status, 404);
}

#[test]
fn failing_timer_is_a_500_reply_and_its_logs_go_to_stdout_too() {
    let server = example_app();
    // Tick answers 500 to data that is not a timer's: the host must record a failed
    // invocation. It drops the body of a non-2xx reply, so the log line is on stdout as well.
    let reply = invoke(&server, "Tick", r#"{"Data":{"myTimer":"x"}}"#);
    assert_eq!(reply.status, 500);
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    assert_eq!(
        reply.text(),
        r#"{"Outputs":{},"Logs":["not a timer's data: no IsPastDue"],"ReturnValue":null}"#
    );
    let line = server.stdout.recv_timeout(support::WAIT).unwrap();
    assert_eq!(line, "Tick: not a timer's data: no IsPastDue");
    // Without its data, nothing runs and the invocation fails, so the host's retry rules
    // apply; the reason is on stderr.
    let reply = invoke(&server, "Tick", r#"{"Data":{},"Metadata":{}}"#);
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.text(),
        r#"{"Outputs":{},"Logs":["handler: Tick: invalid invocation: no \"Data.myTimer\""],"ReturnValue":null}"#,
    );
    let line = server.stderr.recv_timeout(support::WAIT).unwrap();
    assert_eq!(
        line,
        r#"handler: Tick: invalid invocation: no "Data.myTimer""#
    );
    // A schedule status the host could not read (no storage yet) is still a timer.
    assert_json_200(
        &invoke(
            &server,
            "Tick",
            r#"{"Data":{"myTimer":{"ScheduleStatus":null,"IsPastDue":false}}}"#,
        ),
        r#"{"Outputs":{},"Logs":["Tick on time; next run at unknown"],"ReturnValue":null}"#,
    );
}

#[test]
fn route_parameters_reach_the_function_in_both_modes() {
    let server = example_app();
    // Forwarded: the router matches `v1/products/{id}` and logs go to stdout.
    let reply = server.exchange(&support::get("/v1/Products/42"));
    assert_eq!((reply.status, reply.text().as_str()), (200, "Product 42"));
    let line = server.stdout.recv_timeout(support::WAIT).unwrap();
    assert_eq!(line, "Product: looked up product 42");
    assert_eq!(server.exchange(&support::get("/v1/products")).status, 404);
    let reply =
        server.exchange(b"POST /v1/products/42 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        (reply.status, reply.header("Allow")),
        (405, Some("GET, HEAD"))
    );
    // Payload mode: the host has matched the route; the values come in `Params`, the logs go
    // to `Logs`.
    let json = r#"{"Data":{"req":{"Url":"http://localhost:7071/v1/products/42","Method":"GET","Query":{},"Headers":{},"Params":{"id":"42"},"Identities":[]}},"Metadata":{"id":"42"}}"#;
    assert_json_200(
        &invoke(&server, "Product", json),
        &text_result(200, "Product 42", r#""looked up product 42""#),
    );
    // HelloRust under the custom prefix; the default prefix is not served.
    let reply = server.exchange(&support::get("/v1/HelloRust?name=V1"));
    assert_eq!(reply.text(), greeting(Some("V1")));
    assert_eq!(server.exchange(&support::get("/api/HelloRust")).status, 404);
}

// ---- Never a panic, never a non-JSON answer ----------------------------------------------------

/// Mutated invocations, framing included, sent to the real binary: each gets a 200 JSON result
/// (for HelloRust, whatever its `res` says), a 500 JSON result when it is no longer the host's
/// JSON, or, when the chunked framing itself is broken, the server's 400; the server keeps
/// serving.
#[test]
fn mutated_invocations_get_a_json_result_or_a_framing_400() {
    let server = handler_in("payload");
    let good = http_data("/api/HelloRust?name=Rust", r#"{"name":"Rust"}"#, "");
    let mut rng = Rng::new(0x0dd_ba11_cafe_f00d);
    let mut framing_errors = 0;
    for round in 0..300 {
        let mut json = good.clone().into_bytes();
        for _ in 0..=rng.below(3) {
            let at = rng.below(json.len());
            match rng.below(3) {
                0 => json[at] = rng.next_u64() as u8,
                1 => {
                    json.drain(at..(at + rng.below(16)).min(json.len()));
                }
                _ => json.truncate(at),
            }
        }
        let mut request = invocation(server.port, "HelloRust", "");
        request.truncate(request.len() - b"0\r\n\r\n".len());
        let mut body = chunked(&json, 1 + rng.below(64));
        // One round in four also breaks the framing: a chunk size byte.
        if rng.below(4) == 0 {
            let at = rng.below(body.len());
            body[at] = b"zZ;\r\n-"[rng.below(6)];
        }
        request.extend(body);
        let mut stream = server.connect();
        stream.write_all(&request).unwrap();
        // A corrupted size can make the server wait for more body: end the request.
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let Some(reply) = read_reply(&mut stream, false) else {
            // The body ended early (the size said more): the server closes without an answer.
            continue;
        };
        match reply.status {
            200 => {
                assert_eq!(
                    reply.header("Content-Type"),
                    Some("application/json"),
                    "round {round}"
                );
                let text = reply.text();
                assert!(
                    text.starts_with(r#"{"Outputs":{"res":{"statusCode":"#)
                        && text.ends_with(r#"],"ReturnValue":null}"#),
                    "round {round}: {text}"
                );
            }
            // An invocation the framing let through but that is not the host's JSON.
            500 => assert!(
                reply.text().starts_with(
                    r#"{"Outputs":{},"Logs":["handler: HelloRust: invalid invocation: "#
                ),
                "round {round}: {}",
                reply.text()
            ),
            400 => framing_errors += 1,
            status => panic!("round {round}: status {status}: {}", reply.text()),
        }
    }
    assert!(
        framing_errors > 0,
        "the framing was never broken: the test tests less than it says"
    );
    let reply = invoke(&server, "HelloRust", &good);
    assert_json_200(&reply, &text_result(200, &greeting(Some("Rust")), ""));
}

/// A panic in a function answers that request 500, in both modes, and the server goes on: the
/// same connection and new ones are served, and stderr has lines about the panic.
#[test]
fn a_panicking_function_answers_500_and_the_server_goes_on() {
    let mut server = example_app();
    let mut stream = server.connect();
    for _ in 0..3 {
        stream.write_all(&support::get("/v1/Boom")).unwrap();
        let reply = read_reply(&mut stream, false).expect("a 500");
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (500, "Internal Server Error")
        );
    }
    // The same connection, then a new one, still get their answers.
    stream
        .write_all(&support::get("/v1/HelloRust?name=After"))
        .unwrap();
    let reply = read_reply(&mut stream, false).expect("a greeting");
    assert_eq!(reply.text(), greeting(Some("After")));
    assert_eq!(server.exchange(&support::get("/v1/HelloRust")).status, 200);
    // Payload mode: the invocation failed, which the host records, answering its client 500.
    let json = r#"{"Data":{"req":{"Url":"http://localhost:7071/v1/Boom","Method":"GET","Query":{},"Headers":{},"Params":{},"Identities":[]}},"Metadata":{}}"#;
    let reply = invoke(&server, "Boom", json);
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (
            500,
            r#"{"Outputs":{},"Logs":["handler: Boom: panicked (the message is on stderr)"],"ReturnValue":null}"#
        )
    );
    assert!(server.is_running());
    // The handler wrote its lines before its answers, but they reach this test through a reader
    // thread: wait for the first.
    let first = server
        .stderr
        .recv_timeout(support::WAIT)
        .expect("the panic reported on stderr");
    let errors: Vec<String> = std::iter::once(first)
        .chain(server.stderr.try_iter())
        .collect();
    for line in &errors {
        assert!(
            line.starts_with("handler: ") && line.contains("panicked"),
            "{line}"
        );
    }
}
