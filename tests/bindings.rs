//! The worked examples of README "Bindings" (examples/bindings/, tests/fixtures/bindings/) with
//! the host's invocations in the shapes azure-bindings.md documents: through the library
//! (`app::respond`, no sockets), then through the example binary over real sockets. What each
//! output binding would receive is read back with `host_outputs`, the host's rules.
#![forbid(unsafe_code)]
mod support;

#[path = "../examples/bindings/functions.rs"]
mod functions;

use std::path::{Path, PathBuf};

use handler::azure::app::respond;
use handler::azure::appfiles::{self, AppConfig};
use handler::azure::bindings::{output_kind, OutputKind};
use handler::azure::host_outputs::{read_outputs, Item, Reading};
use handler::azure::json::{self, Value};
use handler::azure::router::Router;
use handler::functions::Function;
use handler::Request;
use support::{example, invocation, Reply, Server};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bindings")
}

fn app() -> AppConfig {
    appfiles::load(&root())
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a host.json")
}

fn router() -> Router {
    Router::from_app(&app(), functions::FUNCTIONS).unwrap()
}

/// The handler's reply to the host's invocation of `function`: status and JSON.
fn call(function: &str, json: &str) -> (u16, Value) {
    let req = Request::new("POST", &format!("/{function}"))
        .with_header("Content-Type", "application/json; charset=utf-8")
        .with_body(json.as_bytes().to_vec());
    let response = respond(&router(), req);
    assert_eq!(
        response.header_value("Content-Type"),
        Some("application/json")
    );
    let reply = json::parse(&response.body).expect("a JSON reply");
    (response.status, reply)
}

/// What the host writes to each output binding of `function` from `reply`.
fn written(function: &str, reply: &Value) -> Reading {
    read_outputs(app().function(function).unwrap(), reply)
}

fn j(text: &str) -> Value {
    json::parse(text.as_bytes()).unwrap()
}

const SYS: &str = r#""sys":{"MethodName":"F","UtcNow":"2025-01-01T12:05:00.0125Z","RandGuid":"5d2f0a4e-1111-4222-8333-944455556666"}"#;

/// The host's anonymous caller, as every HTTP invocation carries it.
const IDENTITY: &str = r#"{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}"#;

/// `GET /api/items/{id}` from curl, with the Cosmos DB input `item` as `item` (its JSON as the
/// host puts it in `Data`).
fn get_item(id: &str, item: &str) -> String {
    format!(
        r#"{{"Data":{{"req":{{"Url":"http://localhost:7071/api/items/{id}","Method":"GET","Query":{{}},"Headers":{{"Accept":["*/*"],"Host":["localhost:7071"],"User-Agent":["curl/8.5.0"]}},"Params":{{"id":"{id}"}},"Identities":[{IDENTITY}]}},"item":{item}}},"Metadata":{{"id":"\"{id}\"","Query":{{}},"Headers":{{"Accept":"*/*","Host":"localhost:7071","User-Agent":"curl/8.5.0"}},{SYS}}}}}"#
    )
}

/// The document `{"id":"7","name":"Widget","_ts":1735732800}` as the Cosmos DB input sends it:
/// compact JSON text, a .NET string, so serialized once more into `Data` (azure-bindings.md
/// §1.2, §2.4).
const DOCUMENT: &str =
    r#""\"{\\\"id\\\":\\\"7\\\",\\\"name\\\":\\\"Widget\\\",\\\"_ts\\\":1735732800}\"""#;

/// `POST /api/items` from curl with a JSON body.
fn create_item(body: &str) -> String {
    let mut body_json = String::new();
    json::write_string(&mut body_json, body);
    format!(
        r#"{{"Data":{{"req":{{"Url":"http://localhost:7071/api/items","Method":"POST","Query":{{}},"Headers":{{"Accept":["*/*"],"Content-Length":["{len}"],"Content-Type":["application/json"],"Host":["localhost:7071"],"User-Agent":["curl/8.5.0"]}},"Params":{{}},"Identities":[{IDENTITY}],"Body":{body_json}}}}},"Metadata":{{"Query":{{}},"Headers":{{"Accept":"*/*","Content-Length":"{len}","Content-Type":"application/json","Host":"localhost:7071","User-Agent":"curl/8.5.0"}},{SYS}}}}}"#,
        len = body.len()
    )
}

/// A blob `in/<name>` holding `base64`, with the metadata of §2.3.
fn blob(name: &str, base64: &str) -> String {
    format!(
        r#"{{"Data":{{"input":"{base64}"}},"Metadata":{{"Uri":"\"https://acct.blob.core.windows.net/in/{name}\"","name":"\"{name}\"","Properties":{{"ContentLength":11,"ContentType":"text/plain","LastModified":"2025-01-01T12:00:00+00:00"}},"Metadata":{{}},{SYS}}}}}"#
    )
}

/// The timer of §2.1, `late` or not.
fn timer(late: bool) -> String {
    format!(
        r#"{{"Data":{{"myTimer":{{"Schedule":{{"AdjustForDST":true}},"ScheduleStatus":{{"Last":"2025-01-01T12:00:00+00:00","Next":"2025-01-01T12:10:00+00:00","LastUpdated":"2025-01-01T12:00:00+00:00"}},"IsPastDue":{late}}}}},"Metadata":{{{SYS}}}}}"#
    )
}

/// A reply's `Outputs.res` as (status, body).
fn res(reply: &Value) -> (u16, String) {
    let res = reply
        .get("Outputs")
        .and_then(|o| o.get("res"))
        .expect("res");
    let status = match res.get("statusCode") {
        Some(Value::Number(n)) => n.parse().unwrap(),
        other => panic!("statusCode {other:?}"),
    };
    let body = res.get("body").and_then(Value::as_str).unwrap().to_string();
    (status, body)
}

fn logs(reply: &Value) -> Vec<String> {
    let lines = reply.get("Logs").and_then(Value::as_array).unwrap();
    lines
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

// ---- The app's files: what a local host reads to check outputs ---------------------------------

#[test]
fn the_example_app_declares_its_bindings() {
    let app = app();
    let names: Vec<&str> = app.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["CreateItem", "Enqueue", "GetItem", "UppercaseBlob"]);
    let outputs = |name: &str| {
        let function = app.function(name).unwrap();
        let outputs = function.outputs().map(|b| (b.name.clone(), output_kind(b)));
        outputs.collect::<Vec<_>>()
    };
    let pair = |n: &str, k| (n.to_string(), k);
    assert_eq!(
        outputs("CreateItem"),
        [
            pair("newItem", OutputKind::Documents),
            pair("res", OutputKind::Http)
        ]
    );
    assert_eq!(outputs("Enqueue"), [pair("msg", OutputKind::ByteMessages)]);
    assert_eq!(outputs("UppercaseBlob"), [pair("output", OutputKind::Blob)]);
    let get = app.function("GetItem").unwrap();
    let inputs: Vec<&str> = get.inputs().map(|b| b.kind.as_str()).collect();
    assert_eq!(inputs, ["cosmosDB"]);
    // Not HTTP in and out, so never forwarded, whatever host.json says.
    assert!(app.forwarding && !app.forwards(get));
    assert_eq!(
        router().describe(),
        "CreateItem [payload], Enqueue [payload], GetItem [payload], UppercaseBlob [payload]"
    );
}

// ---- (a) an HTTP API backed by Cosmos DB ---------------------------------------------------------

#[test]
fn get_item_answers_the_document_the_input_binding_found() {
    let document = r#"{"id":"7","name":"Widget","_ts":1735732800}"#;
    let mut one_level = String::new();
    json::write_string(&mut one_level, document);
    // As the host sends a .NET string (azure-bindings.md §1.2), as the JSON text of it, and as
    // a raw object: all read the same.
    for item in [DOCUMENT, &one_level, document] {
        let (status, reply) = call("GetItem", &get_item("7", item));
        assert_eq!(status, 200, "{item}: {}", reply.to_json());
        assert_eq!(res(&reply), (200, document.to_string()), "{item}");
        assert_eq!(written("GetItem", &reply), Reading::default());
    }
}

#[test]
fn get_item_answers_404_when_the_input_binding_yields_nothing() {
    // A document that does not exist reaches the handler as null, serialized: "null".
    for item in [r#""null""#, "null"] {
        let (status, reply) = call("GetItem", &get_item("8", item));
        assert_eq!(
            (status, res(&reply)),
            (200, (404, "No item 8.".to_string()))
        );
    }
}

#[test]
fn get_item_fails_the_invocation_on_data_it_cannot_read() {
    // Reasons: the document is not JSON; the input is missing from Data altogether.
    let not_json = get_item("7", r#""\"{oops\"""#);
    let (status, reply) = call("GetItem", &not_json);
    assert_eq!(status, 500);
    assert_eq!(
        logs(&reply),
        ["handler: GetItem: the input \"item\" is not JSON (unexpected byte at offset 1)"]
    );
    let missing = get_item("7", "null").replace(r#","item":null"#, "");
    let (status, reply) = call("GetItem", &missing);
    assert_eq!(status, 500);
    assert_eq!(
        logs(&reply),
        ["handler: GetItem: invalid invocation: no \"Data.item\" (the cosmosDB input)"]
    );
}

#[test]
fn create_item_writes_the_body_through_the_cosmos_output_and_answers_201() {
    let body = r#"{"id":"7","name":"Widget","price":9.5}"#;
    let (status, reply) = call("CreateItem", &create_item(body));
    assert_eq!(status, 200, "{}", reply.to_json());
    assert_eq!(
        reply.to_json(),
        format!(
            r#"{{"Outputs":{{"res":{{"statusCode":201,"body":{body_text},"headers":{{"Content-Type":"application/json","Location":"/api/items/7"}}}},"newItem":{body}}},"Logs":["created item 7"],"ReturnValue":null}}"#,
            body_text = Value::from(body).to_json()
        )
    );
    let reading = written("CreateItem", &reply);
    assert_eq!(reading.written.len(), 1);
    assert_eq!(reading.written[0].name, "newItem");
    assert_eq!(reading.written[0].items, [Item::Json(j(body))]);
    assert!(reading.errors.is_empty() && reading.ignored.is_empty());
    // An id beyond ASCII goes into Location percent-encoded: a header carries ASCII only.
    let (status, reply) = call("CreateItem", &create_item(r#"{"id":"café 1"}"#));
    assert_eq!(status, 200, "{}", reply.to_json());
    let res = reply.get("Outputs").and_then(|o| o.get("res")).unwrap();
    let location = res.get("headers").and_then(|h| h.get("Location"));
    assert_eq!(location, Some(&Value::from("/api/items/caf%C3%A9%201")));
}

#[test]
fn create_item_refuses_what_cosmos_db_would_with_a_400_and_writes_nothing() {
    let cases: &[(&str, &str)] = &[
        ("[1]", "Send a JSON object with a string \"id\"."),
        ("{\"id\":", "Send a JSON object with a string \"id\"."),
        (
            "{\"name\":\"x\"}",
            "The item needs an \"id\": a non-empty string without / \\ ? or #.",
        ),
        (
            "{\"id\":\"a/b\"}",
            "The item needs an \"id\": a non-empty string without / \\ ? or #.",
        ),
        // Of two ids the host writes the last (Json.NET keeps the last of duplicate names):
        // the one the function checks.
        (
            "{\"id\":\"ok\",\"id\":\"a/b\"}",
            "The item needs an \"id\": a non-empty string without / \\ ? or #.",
        ),
    ];
    for (body, answer) in cases {
        let (status, reply) = call("CreateItem", &create_item(body));
        assert_eq!(
            (status, res(&reply)),
            (200, (400, answer.to_string())),
            "{body}"
        );
        assert_eq!(written("CreateItem", &reply), Reading::default(), "{body}");
    }
}

// ---- (b) a blob trigger writing a transformed copy -----------------------------------------------

#[test]
fn uppercase_blob_writes_a_transformed_copy_through_the_blob_output() {
    let (status, reply) = call("UppercaseBlob", &blob("hello.txt", "aGVsbG8gd29ybGQ="));
    assert_eq!(status, 200, "{}", reply.to_json());
    assert_eq!(
        reply.to_json(),
        r#"{"Outputs":{"output":"SEVMTE8gV09STEQ="},"Logs":["copied hello.txt (11 bytes)"],"ReturnValue":null}"#
    );
    let reading = written("UppercaseBlob", &reply);
    assert_eq!(
        reading.written[0].items,
        [Item::Bytes(b"HELLO WORLD".to_vec())]
    );
    // Bytes that are not text are copied as they are.
    let (status, reply) = call("UppercaseBlob", &blob("logo.png", "iVBORw0KGgr/AA=="));
    assert_eq!(status, 200);
    let reading = written("UppercaseBlob", &reply);
    assert_eq!(
        reading.written[0].items,
        [Item::Bytes(vec![
            0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0xff, 0
        ])]
    );
}

#[test]
fn uppercase_blob_fails_the_invocation_on_invalid_base64() {
    let (status, reply) = call("UppercaseBlob", &blob("x.txt", "not base64!"));
    assert_eq!(status, 500);
    assert_eq!(
        logs(&reply),
        ["handler: UppercaseBlob: the input \"input\" is not valid base64, which its binding sends"]
    );
}

// ---- (c) a timer dropping a message on a queue ---------------------------------------------------

#[test]
fn enqueue_drops_one_message_on_the_queue() {
    for late in [false, true] {
        let (status, reply) = call("Enqueue", &timer(late));
        assert_eq!(status, 200, "{}", reply.to_json());
        let message = format!(
            r#"{{"kind":"tick","at":"2025-01-01T12:05:00.0125Z","late":{late},"next":"2025-01-01T12:10:00+00:00"}}"#
        );
        let reading = written("Enqueue", &reply);
        assert_eq!(reading.written[0].name, "msg");
        // The message's text is the compact JSON, exactly: not base64-decoded, not indented.
        assert_eq!(reading.written[0].items, [Item::Text(message)]);
        assert!(reading.written[0].notes.is_empty());
    }
    let (status, reply) = call("Enqueue", r#"{"Data":{"myTimer":{"Schedule":{}}}}"#);
    assert_eq!(status, 500);
    assert_eq!(
        logs(&reply),
        ["handler: Enqueue: the timer has no IsPastDue (a boolean)"]
    );
}

// ---- Outputs where there are none: a forwarded request ---------------------------------------

#[test]
fn a_forwarded_function_that_sets_an_output_fails_with_500() {
    fn sets_output(_: &Request) -> handler::Response {
        handler::Response::text(200, "ok").output("msg", "lost")
    }
    static SETS_OUTPUT: Function = Function {
        name: "SetsOutput",
        run: sets_output,
    };
    let mut router = Router::default();
    router.add(&SETS_OUTPUT, "api/x", &["get"]).unwrap();
    let response = respond(&router, Request::new("GET", "/api/x"));
    assert_eq!(
        (response.status, response.body.as_slice()),
        (500, &b"Internal Server Error"[..])
    );
}

// ---- The example binary over real sockets --------------------------------------------------------

fn example_server() -> Server {
    let root = root();
    Server::start_program(
        &example("bindings"),
        &[("FUNCTIONS_APP_ROOT_PATH", root.to_str().unwrap())],
        Some(&root),
    )
}

fn invoke(server: &Server, function: &str, json: &str) -> Reply {
    server.exchange(&invocation(server.port, function, json))
}

#[test]
fn the_examples_answer_the_hosts_invocations_over_sockets() {
    let server = example_server();
    assert!(
        server.listening.ends_with(
            "(functions: CreateItem [payload], Enqueue [payload], GetItem [payload], \
             UppercaseBlob [payload])"
        ),
        "{}",
        server.listening
    );
    let cases: Vec<(&str, String, String)> = vec![
        (
            "GetItem",
            get_item("7", DOCUMENT),
            r#"{"Outputs":{"res":{"statusCode":200,"body":"{\"id\":\"7\",\"name\":\"Widget\",\"_ts\":1735732800}","headers":{"Content-Type":"application/json"}}},"Logs":[],"ReturnValue":null}"#.to_string(),
        ),
        (
            "GetItem",
            get_item("8", r#""null""#),
            r#"{"Outputs":{"res":{"statusCode":404,"body":"No item 8.","headers":{"Content-Type":"text/plain; charset=utf-8"}}},"Logs":[],"ReturnValue":null}"#.to_string(),
        ),
        (
            "CreateItem",
            create_item(r#"{"id":"9"}"#),
            r#"{"Outputs":{"res":{"statusCode":201,"body":"{\"id\":\"9\"}","headers":{"Content-Type":"application/json","Location":"/api/items/9"}},"newItem":{"id":"9"}},"Logs":["created item 9"],"ReturnValue":null}"#.to_string(),
        ),
        (
            "UppercaseBlob",
            blob("hello.txt", "aGVsbG8gd29ybGQ="),
            r#"{"Outputs":{"output":"SEVMTE8gV09STEQ="},"Logs":["copied hello.txt (11 bytes)"],"ReturnValue":null}"#.to_string(),
        ),
        // A trigger always fires with data: a blob whose base64 reads `null` is its bytes.
        (
            "UppercaseBlob",
            blob("x.bin", "null"),
            r#"{"Outputs":{"output":"null"},"Logs":["copied x.bin (3 bytes)"],"ReturnValue":null}"#.to_string(),
        ),
        (
            "Enqueue",
            timer(false),
            r#"{"Outputs":{"msg":["{\"kind\":\"tick\",\"at\":\"2025-01-01T12:05:00.0125Z\",\"late\":false,\"next\":\"2025-01-01T12:10:00+00:00\"}"]},"Logs":[],"ReturnValue":null}"#.to_string(),
        ),
    ];
    for (function, json, expected) in cases {
        let reply = invoke(&server, function, &json);
        assert_eq!(reply.status, 200, "{function}: {}", reply.text());
        assert_eq!(reply.header("Content-Type"), Some("application/json"));
        assert_eq!(reply.text(), expected, "{function}");
    }
    // With forwarding on, an HTTP function with bindings is still only invoked by payload:
    // the public route is not served.
    let reply = server.exchange(&support::get("/api/items/7"));
    assert_eq!(reply.status, 404);
}

#[test]
fn binding_errors_over_sockets_are_a_500_with_the_reason_on_stderr() {
    let server = example_server();
    let cases: &[(&str, String, &str)] = &[
        (
            "UppercaseBlob",
            blob("x.txt", "%%%"),
            r#"handler: UppercaseBlob: the input "input" is not valid base64, which its binding sends"#,
        ),
        (
            "GetItem",
            get_item("7", "null").replace(r#","item":null"#, ""),
            r#"handler: GetItem: invalid invocation: no "Data.item" (the cosmosDB input)"#,
        ),
        (
            "Enqueue",
            r#"{"Data":{"myTimer":"\"not a timer\""}}"#.to_string(),
            r#"handler: Enqueue: the input "myTimer" is not JSON (unexpected byte at offset 1)"#,
        ),
    ];
    for (function, json, line) in cases {
        let reply = invoke(&server, function, json);
        assert_eq!(reply.status, 500, "{function}: {}", reply.text());
        let stderr = server.stderr.recv_timeout(support::WAIT).unwrap();
        assert_eq!(stderr, *line);
        let reply = json::parse(&reply.body).unwrap();
        assert_eq!(reply.get("Outputs").unwrap().to_json(), "{}");
        assert_eq!(logs(&reply), [line.to_string()]);
    }
    // The server goes on.
    let reply = invoke(&server, "Enqueue", &timer(true));
    assert_eq!(reply.status, 200);
}

// ---- The examples through funchost, as README "Bindings" runs them ------------------------------

/// `funchost invoke FUNCTION ARGS` for the example app, with the example binary behind it and
/// `stdin` as input: whether the call succeeded, stdout, and the log (stderr).
fn funchost_invoke(function: &str, args: &[&str], stdin: &[u8]) -> (bool, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_funchost"))
        .args(["invoke", function, "--app"])
        .arg(root())
        .arg("--handler")
        .arg(example("bindings"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run funchost");
    let mut input = child.stdin.take().unwrap();
    // A call refused before it reads stdin closes the pipe early.
    let _ = std::io::Write::write_all(&mut input, stdin);
    drop(input);
    let exited = support::wait_for_exit(child, support::WAIT * 2);
    (exited.status.success(), exited.stdout, exited.stderr)
}

/// The log line of `function` that contains `needle`.
fn logged<'l>(log: &'l str, function: &str, needle: &str) -> &'l str {
    let prefix = format!("] Functions.{function}: ");
    log.lines()
        .find(|l| l.contains(&prefix) && l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} for {function} in\n{log}"))
}

#[test]
fn get_item_through_funchost_reads_the_document_given_to_its_input() {
    let document = r#"{"id":"7","name":"Widget"}"#;
    let args = ["--path", "/api/items/7", "--input", "item=-"];
    let (ok, out, log) = funchost_invoke("GetItem", &args, document.as_bytes());
    assert!(ok, "{log}");
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with(&format!("\r\n\r\n{document}")), "{out}");
    logged(&log, "GetItem", "GET /api/items/7 -> 200 in ");
    // No content given: the input is null, as for a document that does not exist.
    let (ok, out, log) = funchost_invoke("GetItem", &["--path", "/api/items/8"], b"");
    assert!(!ok);
    assert!(out.starts_with("HTTP/1.1 404 Not Found\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nNo item 8."), "{out}");
    logged(&log, "GetItem", "GET /api/items/8 -> 404 in ");
    // Content that cannot be a document fails before the handler starts.
    let (ok, _, log) = funchost_invoke("GetItem", &["--input", "nope=-"], b"{}");
    assert!(!ok);
    assert_eq!(
        log,
        "funchost: GetItem has no input binding \"nope\" (inputs: item; the trigger's data is \
         --data)\n"
    );
    // An output given as an input: the message says which way function.json declares it.
    let args = ["--path", "/api/items", "--input", "newItem=-"];
    let (ok, _, log) = funchost_invoke("CreateItem", &args, b"{}");
    assert!(!ok);
    assert_eq!(
        log,
        "funchost: CreateItem has no input binding \"newItem\" (inputs: none; the trigger's data \
         is --data); function.json declares \"newItem\" with \"direction\": \"out\", and an \
         input needs \"in\" (an output is set with Response::output, not read)\n"
    );
}

#[test]
fn create_item_through_funchost_shows_the_document_its_output_receives() {
    let document = r#"{"id":"7","name":"Widget"}"#;
    let args = [
        "--path",
        "/api/items",
        "--header",
        "Content-Type: application/json",
        "--data",
        "-",
    ];
    let (ok, out, log) = funchost_invoke("CreateItem", &args, document.as_bytes());
    assert!(ok, "{log}");
    assert!(out.starts_with("HTTP/1.1 201 Created\r\n"), "{out}");
    assert!(out.contains("\r\nLocation: /api/items/7\r\n"), "{out}");
    logged(&log, "CreateItem", "created item 7");
    let output = format!("output 'newItem' = {document}: cosmosDB receives {document}");
    logged(&log, "CreateItem", &output);
    logged(&log, "CreateItem", "POST /api/items -> 201 in ");
    assert!(logged(&log, "CreateItem", " -> 201 in ").ends_with(" ms (outputs: newItem)"));
}

#[test]
fn uppercase_blob_through_funchost_writes_the_copy_to_its_output() {
    let args = ["--data", "-", "--metadata", "name=hello.txt"];
    let (ok, out, log) = funchost_invoke("UppercaseBlob", &args, b"hello world");
    assert!(ok, "{log}");
    assert_eq!(
        out,
        "{\"Outputs\":{\"output\":\"SEVMTE8gV09STEQ=\"},\"Logs\":[\"copied hello.txt (11 \
         bytes)\"],\"ReturnValue\":null}\n"
    );
    let output = r#"output 'output' = "SEVMTE8gV09STEQ=": blob receives 11 bytes "HELLO WORLD""#;
    logged(&log, "UppercaseBlob", output);
    let called = logged(&log, "UppercaseBlob", "blobTrigger invocation -> 200 in ");
    assert!(called.ends_with(" ms (outputs: output)"), "{called}");
    // Bytes that are not text, given as a file, are copied as they are.
    let png = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0xff, 0];
    let file = support::TempDir::new("bindings-png");
    let path = file.path().join("logo.png");
    std::fs::write(&path, png).unwrap();
    let (ok, _, log) = funchost_invoke("UppercaseBlob", &["--data", path.to_str().unwrap()], b"");
    assert!(ok, "{log}");
    logged(&log, "UppercaseBlob", ": blob receives 10 bytes (the host");
}

#[test]
fn enqueue_through_funchost_drops_a_message_on_its_queue() {
    // No data: a timer run by hand.
    let (ok, out, log) = funchost_invoke("Enqueue", &[], b"");
    assert!(ok, "{log}");
    let reply = j(out.trim_end());
    let messages = reply.get("Outputs").and_then(|o| o.get("msg")).unwrap();
    let message = j(messages.as_array().unwrap()[0].as_str().unwrap());
    assert_eq!(message.get("late"), Some(&Value::Bool(false)));
    let received = logged(&log, "Enqueue", "output 'msg' = ");
    assert!(
        received.contains(r#": queue receives "{\"kind\":\"tick\",\"at\":"#),
        "{received}"
    );
    logged(&log, "Enqueue", "timerTrigger invocation -> 200 in ");
    // A late run, its data from stdin.
    let late = r#"{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}"#;
    let (ok, out, log) = funchost_invoke("Enqueue", &["--data", "-"], late.as_bytes());
    assert!(ok, "{log}");
    assert!(out.contains(r#"\"late\":true"#), "{out}");
}
