//! The function table from the app's own files: `appfiles::load` on the fixture apps and on
//! broken ones, and the real binary's start-up against them: routes from host.json and
//! function.json, mismatches caught before serving, the app root from `FUNCTIONS_APP_ROOT_PATH`
//! or the working directory.
#![forbid(unsafe_code)]
mod support;

use std::path::{Path, PathBuf};

use handler::azure::appfiles::{self, AppConfig, Binding, FunctionConfig};
use handler::functions::FUNCTIONS;
use support::{example, greeting, run_to_exit, Server, TempDir};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn handler() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_handler"))
}

fn load(root: &Path) -> AppConfig {
    appfiles::load(root)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a host.json")
}

fn binding(kind: &str, direction: &str, name: &str) -> Binding {
    Binding {
        kind: kind.to_string(),
        direction: direction.to_string(),
        name: name.to_string(),
        methods: Vec::new(),
        route: None,
        path: None,
        auth_level: None,
        data_type: None,
        cardinality: None,
    }
}

/// HelloRust's function.json, as `func new` writes it with `authLevel: anonymous`.
fn hello_rust() -> FunctionConfig {
    let mut trigger = binding("httpTrigger", "in", "req");
    trigger.methods = vec!["get".to_string(), "post".to_string()];
    trigger.auth_level = Some("anonymous".to_string());
    FunctionConfig {
        name: "HelloRust".to_string(),
        bindings: vec![trigger, binding("http", "out", "res")],
    }
}

// ---- appfiles::load ------------------------------------------------------------------------------

/// The handler serving the app at `root`, and the first line it prints on stderr.
fn start_warned(root: &Path) -> (Server, String) {
    let server = Server::start_with(&[], Some(root));
    let warning = server
        .stderr
        .recv_timeout(support::WAIT)
        .expect("a warning");
    (server, warning)
}

#[test]
fn loads_the_fixture_apps() {
    let root = fixture("app");
    let app = load(&root);
    let mut product = hello_rust();
    product.name = "Product".to_string();
    product.bindings[0].methods = vec!["get".to_string()];
    product.bindings[0].route = Some("products/{id}".to_string());
    let tick = FunctionConfig {
        name: "Tick".to_string(),
        bindings: vec![binding("timerTrigger", "in", "myTimer")],
    };
    let mut boom = hello_rust();
    boom.name = "Boom".to_string();
    boom.bindings[0].methods = vec!["get".to_string()];
    assert_eq!(
        app,
        AppConfig {
            root: root.clone(),
            route_prefix: "v1".to_string(),
            forwarding: true,
            proxying: false,
            executable: "app".to_string(),
            arguments: Vec::new(),
            working_directory: String::new(),
            function_timeout: Default::default(),
            functions: vec![boom, hello_rust(), product, tick],
            warnings: Vec::new(),
        }
    );
    let forwards: Vec<bool> = app.functions.iter().map(|f| app.forwards(f)).collect();
    assert_eq!(forwards, [true, true, true, false]);

    let payload = load(&fixture("payload"));
    assert_eq!(
        (payload.route_prefix.as_str(), payload.forwarding),
        ("api", false)
    );
    assert_eq!(payload.functions, [hello_rust()]);
    assert!(!payload.forwards(&payload.functions[0]));
}

#[test]
fn no_host_json_is_none_and_other_folders_are_skipped() {
    let dir = TempDir::new("appfiles-none").with("HelloRust/function.json", "{}");
    assert_eq!(appfiles::load(dir.path()), Ok(None));
    // A folder without function.json (target/, .vscode/) and a file at the root are not
    // functions; a function.json at the root is not one either.
    let dir = dir
        .with("host.json", "{}")
        .with(
            "HelloRust/function.json",
            r#"{"bindings":[{"type":"timerTrigger","name":"t"}]}"#,
        )
        .with("target/debug/x", "")
        .with("function.json", "not read")
        .with("notes.txt", "")
        // A hidden folder (.git, .vscode) is no function, and is not read, whatever it holds.
        .with(".vscode/function.json", "not read");
    let app = load(dir.path());
    let names: Vec<&str> = app.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["HelloRust"]);

    // A folder with a function.json is a function: the host refuses a name it cannot take.
    let timer = r#"{"bindings":[{"type":"timerTrigger","name":"t"}]}"#;
    for bad in ["1up", "my fn", "Host", "v1.2"] {
        let dir = TempDir::new("appfiles-name")
            .with("host.json", "{}")
            .with(&format!("{bad}/function.json"), timer);
        let error = appfiles::load(dir.path()).unwrap_err();
        assert_eq!(
            error,
            format!(
                "{}/{bad}/function.json: the host takes no function named {bad:?}: a function's \
                 folder is named with a letter, then letters, digits, _ or - (at most 128), and \
                 not \"host\"",
                dir.path().display()
            )
        );
    }
}

#[test]
fn host_json_functions_list_limits_what_is_loaded() {
    let timer = r#"{"bindings":[{"type":"timerTrigger","name":"t"}]}"#;
    let dir = TempDir::new("appfiles-listed")
        .with("host.json", r#"{"version":"2.0","functions":["b"]}"#)
        .with("A/function.json", timer)
        .with("B/function.json", timer);
    let names: Vec<String> = load(dir.path())
        .functions
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["B"]);
}

#[test]
fn broken_files_are_one_line_naming_the_file() {
    let timer = r#"{"bindings":[{"type":"timerTrigger","name":"t"}]}"#;
    // (host.json, a function's file, the error after the app root)
    let cases: &[(&str, &str, &str)] = &[
        (
            "{\n\"version\": \"2.0\"\n\"x\": 1}",
            timer,
            "host.json: not valid JSON: unexpected byte at offset 19 (line 3)",
        ),
        ("", timer, "host.json: not valid JSON: empty document"),
        (
            "{\"version\": \"2.0\", \"customHandler\": {\"enableForwardingHttpRequest\": 1}}",
            timer,
            "host.json: customHandler.enableForwardingHttpRequest is not true or false",
        ),
        (
            "{\"functions\": [\"F\"]}",
            timer,
            "host.json: missing the required \"version\": \"2.0\", which the host needs to start",
        ),
        (
            "{}",
            "{\"bindings\": [}",
            "F/function.json: not valid JSON: unexpected byte at offset 14 (line 1)",
        ),
        (
            "{}",
            "{\"bindings\": []}",
            "F/function.json: no trigger binding (an input whose type ends in \"Trigger\")",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"httpTriger","name":"req"},{"type":"http","direction":"out","name":"res"}]}"#,
            "F/function.json: no trigger binding (an input whose type ends in \"Trigger\"): \
             bindings[0] has type \"httpTriger\" (did you mean \"httpTrigger\"?)",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"httpTrigger","direction":"out","name":"req"}]}"#,
            "F/function.json: no trigger binding (an input whose type ends in \"Trigger\"): \
             bindings[0] (\"httpTrigger\") has direction \"out\"; a trigger's is in",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"httpTrigger","name":"req"},{"type":"http","direction":"out","name":"REQ"}]}"#,
            "F/function.json: bindings[1]: the name \"REQ\" is bindings[0]'s too; binding names \
             must be unique",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"queueTrigger","name":"order"},{"type":"blob","direction":"out","name":"out-blob"}]}"#,
            "F/function.json: bindings[1]: the host takes no binding named \"out-blob\": a \
             binding's name is a letter, then letters or digits (at most 128), or $return",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"queueTrigger","name":"my_order"}]}"#,
            "F/function.json: bindings[0]: the host takes no binding named \"my_order\": a \
             binding's name is a letter, then letters or digits (at most 128), or $return",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"queueTrigger","name":"order"},{"type":"blob","name":"$return"}]}"#,
            "F/function.json: bindings[1]: a $return binding must have \"direction\": \"out\", \
             not \"in\"",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"httpTrigger","name":"req","route":"/items"}]}"#,
            "F/function.json: route \"api//items\": '/' cannot appear twice in a row",
        ),
        (
            "{}",
            r#"{"bindings": [{"type":"httpTrigger","name":"req","route":"admin/x"}]}"#,
            "F/function.json: route \"admin/x\": the host keeps routes starting with \"admin\" \
             or \"runtime\" for itself",
        ),
    ];
    for (host, function, error) in cases {
        let dir = TempDir::new("appfiles-broken")
            .with("host.json", host)
            .with("F/function.json", function);
        let got = appfiles::load(dir.path()).unwrap_err();
        assert_eq!(
            got,
            format!("{}/{error}", dir.path().display()),
            "{host} {function}"
        );
        assert!(!got.contains('\n'));
    }
}

// ---- The binary's start-up ---------------------------------------------------------------------

#[test]
fn a_function_json_without_a_rust_function_stops_the_start() {
    let root = fixture("missing-function");
    let exited = run_to_exit(
        handler(),
        &[("FUNCTIONS_APP_ROOT_PATH", root.to_str().unwrap())],
        None,
    );
    assert_eq!(exited.status.code(), Some(1), "{}", exited.stderr);
    assert_eq!(exited.stdout, "", "nothing served, nothing on stdout");
    // The registered names are the crate's table, whatever the user has added to it.
    let registered: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
    assert!(registered.contains(&"HelloRust"), "{registered:?}");
    assert_eq!(
        exited.stderr,
        format!(
            "handler: {}: no Rust function is registered as \"Goodbye\" (registered: {}); \
             register it in FUNCTIONS in src/functions/mod.rs (as `funchost new` does for a new \
             function) and rebuild the handler\n",
            root.join("Goodbye/function.json").display(),
            registered.join(", ")
        )
    );
}

#[test]
fn a_broken_host_json_stops_the_start() {
    let dir = TempDir::new("broken-host").with("host.json", "{\"version\": \"2.0\",}x");
    let exited = run_to_exit(handler(), &[], Some(dir.path()));
    assert_eq!(exited.status.code(), Some(1));
    assert_eq!(exited.stdout, "");
    assert_eq!(
        exited.stderr,
        format!(
            "handler: {}: not valid JSON: trailing data at offset 19 (line 1)\n",
            dir.path().join("host.json").display()
        )
    );
}

#[test]
fn a_route_the_host_cannot_parse_stops_the_start() {
    let forwarding = r#"{"version":"2.0","customHandler":{"enableForwardingHttpRequest":true}}"#;
    let dir = TempDir::new("appfiles-route")
        .with("host.json", forwarding)
        .with(
            "HelloRust/function.json",
            r#"{"bindings":[{"type":"httpTrigger","name":"req","route":"items/{id"},{"type":"http","direction":"out","name":"res"}]}"#,
        );
    let exited = run_to_exit(handler(), &[], Some(dir.path()));
    assert_eq!(exited.status.code(), Some(1));
    assert_eq!(
        exited.stderr,
        format!(
            "handler: {}: route \"api/items/{{id\": \"{{id\" has a '{{' with no matching '}}'\n",
            dir.path().join("HelloRust/function.json").display()
        )
    );
}

#[test]
fn an_unknown_method_stops_the_start_and_a_method_member_is_a_warning() {
    let function = |methods: &str| {
        format!(
            r#"{{"bindings":[{{"type":"httpTrigger","name":"req",{methods}}},{{"type":"http","direction":"out","name":"res"}}]}}"#
        )
    };
    let forwarding = r#"{"version":"2.0","customHandler":{"enableForwardingHttpRequest":true}}"#;
    let dir = TempDir::new("appfiles-pots")
        .with("host.json", forwarding)
        .with(
            "HelloRust/function.json",
            &function(r#""methods":["get","pots"]"#),
        );
    let exited = run_to_exit(handler(), &[], Some(dir.path()));
    assert_eq!(exited.status.code(), Some(1));
    assert_eq!(
        exited.stderr,
        format!(
            "handler: {}: bindings[0]: methods: \"pots\" is not an HTTP method (get, post, put, \
             delete, head, patch, options, trace)\n",
            dir.path().join("HelloRust/function.json").display()
        )
    );
    // `method` is not a member the host reads: every method reaches the function, and the
    // handler says so.
    let dir = dir.with("HelloRust/function.json", &function(r#""method":["get"]"#));
    let (server, warning) = start_warned(dir.path());
    assert_eq!(
        warning,
        format!(
            "handler: warning: {}: bindings[0]: \"method\" is not a binding property, so the \
             host ignores it; \"methods\" limits the methods a function accepts",
            dir.path().join("HelloRust/function.json").display()
        )
    );
    assert!(
        server.listening.ends_with("[any /api/HelloRust])"),
        "{}",
        server.listening
    );
}

/// The host refuses a function whose binding type is not registered. A typo of a known type
/// stops the start, naming the file, the type and what was meant; a type far from every known
/// one may be an extension's the handler does not list, so it starts (its functions do not
/// depend on the type) and warns.
#[test]
fn a_typo_of_a_binding_type_stops_the_start_and_an_unknown_type_is_a_warning() {
    let hello = |output: &str| {
        format!(
            r#"{{"bindings":[{{"type":"httpTrigger","direction":"in","name":"req"}},{{"type":"{output}","direction":"out","name":"res"}}]}}"#
        )
    };
    let dir = TempDir::new("appfiles-htp")
        .with("host.json", "{}")
        .with("HelloRust/function.json", &hello("htp"));
    let file = dir.path().join("HelloRust/function.json");
    let exited = run_to_exit(handler(), &[], Some(dir.path()));
    assert_eq!(exited.status.code(), Some(1));
    assert_eq!(
        exited.stderr,
        format!(
            "handler: {}: bindings[1]: type \"htp\" is not a known binding type (did you mean \
             \"http\"?); the host refuses a function whose binding type is not registered\n",
            file.display()
        )
    );
    let dir = dir.with("HelloRust/function.json", &hello("frobnicator"));
    let (_server, warning) = start_warned(dir.path());
    assert_eq!(
        warning,
        format!(
            "handler: warning: {}: bindings[1]: type \"frobnicator\" is not a known binding \
             type; the host refuses a function whose binding type is not registered",
            file.display()
        )
    );
}

/// The host ignores a customHandler setting it does not know: a misspelt one is a warning
/// naming the setting meant, for `enableForwardingHttpRequests` would put every HTTP function
/// in payload mode unsaid.
#[test]
fn an_unknown_custom_handler_setting_is_a_warning() {
    // Settings the host binds are no warning, whatever their case: the handler reads only some.
    let host = r#"{"version":"2.0","customHandler":{"enableForwardingHttpRequests":true,
        "initializationTimeout":"00:01:00","Type":"http",
        "description":{"defaultExecutablePath":"handler","Arguments":[],"workDir":"x",
        "workerArguments":[],"defaultWorkerPath":"w"}}}"#;
    let hello = r#"{"bindings":[{"type":"httpTrigger","direction":"in","name":"req"},{"type":"http","direction":"out","name":"res"}]}"#;
    let dir = TempDir::new("appfiles-setting")
        .with("host.json", host)
        .with("HelloRust/function.json", hello);
    let (server, first) = start_warned(dir.path());
    let file = dir.path().join("host.json");
    let second = server
        .stderr
        .recv_timeout(support::WAIT)
        .expect("a second warning");
    assert_eq!(
        [first, second],
        [
            format!(
                "handler: warning: {}: customHandler.enableForwardingHttpRequests is not a setting \
                 the host knows (did you mean \"enableForwardingHttpRequest\"?), so it ignores it",
                file.display()
            ),
            format!(
                "handler: warning: {}: customHandler.description.workDir is not a setting the \
                 host knows, so it ignores it",
                file.display()
            ),
        ]
    );
    // A function added to the table (`funchost new`) has no folder in this app: its warning
    // may follow, and is not about host.json.
    let quiet = std::time::Duration::from_millis(300);
    while let Ok(more) = server.stderr.recv_timeout(quiet) {
        assert!(
            more.contains(" is registered but "),
            "a third warning: {more:?}"
        );
    }
}

#[test]
fn a_registered_function_without_function_json_is_a_warning() {
    let root = fixture("forwarding");
    let server = Server::start_program(
        &example("app"),
        &[("FUNCTIONS_APP_ROOT_PATH", root.to_str().unwrap())],
        None,
    );
    let mut warnings: Vec<String> = Vec::new();
    while warnings.len() < 3 {
        warnings.push(
            server
                .stderr
                .recv_timeout(support::WAIT)
                .expect("a warning"),
        );
    }
    let expected: Vec<String> = ["Boom", "Product", "Tick"]
        .iter()
        .map(|name| {
            format!(
                "handler: warning: {name} is registered but {} has no {name}/function.json, so \
                 the host never calls it",
                root.display()
            )
        })
        .collect();
    assert_eq!(warnings, expected);
    assert!(server
        .listening
        .ends_with("(functions: HelloRust [GET,POST /api/HelloRust])"));
    let reply = server.exchange(&support::get("/api/HelloRust?name=Warned"));
    assert_eq!(reply.text(), greeting(Some("Warned")));
}

#[test]
fn the_working_directory_is_the_app_root_without_the_variable() {
    // As the host starts it: the app root is the working directory (and the variable, which
    // an empty value stands in for here).
    let server = Server::start_with(
        &[("FUNCTIONS_APP_ROOT_PATH", "")],
        Some(&fixture("payload")),
    );
    assert!(server
        .listening
        .ends_with("(functions: HelloRust [payload])"));
    // The variable wins over the working directory.
    let forwarding = fixture("forwarding");
    let server = Server::start_with(
        &[("FUNCTIONS_APP_ROOT_PATH", forwarding.to_str().unwrap())],
        Some(&fixture("payload")),
    );
    assert!(server
        .listening
        .ends_with("(functions: HelloRust [GET,POST /api/HelloRust])"));
}

#[test]
fn route_prefix_methods_and_templates_come_from_the_files() {
    let dir = TempDir::new("no-prefix")
        .with(
            "host.json",
            r#"{"version":"2.0","extensions":{"http":{"routePrefix":""}},
                "customHandler":{"enableForwardingHttpRequest":true}}"#,
        )
        .with(
            "HelloRust/function.json",
            r#"{"bindings":[{"type":"httpTrigger","direction":"in","name":"req",
                "route":"hello/{who?}","methods":["put"]},
                {"type":"http","direction":"out","name":"$return"}]}"#,
        );
    let server = Server::start_with(
        &[("FUNCTIONS_APP_ROOT_PATH", dir.path().to_str().unwrap())],
        None,
    );
    assert!(
        server
            .listening
            .ends_with("(functions: HelloRust [PUT /hello/{who?}])"),
        "{}",
        server.listening
    );
    let put = |target: &str| {
        server.exchange(
            format!("PUT {target} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        )
    };
    assert_eq!(put("/hello?name=P").text(), greeting(Some("P")));
    assert_eq!(put("/Hello/anyone?name=Q").text(), greeting(Some("Q")));
    assert_eq!(put("/api/hello").status, 404);
    let reply = server.exchange(&support::get("/hello"));
    assert_eq!((reply.status, reply.header("Allow")), (405, Some("PUT")));
    // The http output is `$return`: in payload mode the response is the ReturnValue.
    let json = r#"{"Data":{"req":{"Url":"http://h/hello","Method":"PUT","Query":{"name":"R"}}}}"#;
    let reply = server.exchange(&support::invocation(server.port, "HelloRust", json));
    assert_eq!(
        reply.text(),
        format!(
            r#"{{"Outputs":{{}},"Logs":[],"ReturnValue":{{"statusCode":200,"body":"{}","headers":{{"Content-Type":"text/plain; charset=utf-8"}}}}}}"#,
            greeting(Some("R"))
        )
    );
}
