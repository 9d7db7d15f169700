//! `funchost new`: functions scaffolded from the trigger templates, by the real binary into
//! temporary apps. The templates' sources are also compiled here, as modules of this test
//! (its root re-exports the function API so that their `crate::…` paths mean what they mean
//! in the handler crate, where a scaffolded function lives), and run with the host's
//! invocations: a template that stops compiling or working fails the tests.
#![forbid(unsafe_code)]
mod support;

#[path = "../src/bin/funchost/templates/blob.rs"]
mod blob;
#[path = "../src/bin/funchost/templates/cosmosdb.rs"]
mod cosmosdb;
#[path = "../src/bin/funchost/templates/http.rs"]
mod http;
#[path = "../src/bin/funchost/templates/queue.rs"]
mod queue;
#[path = "../src/bin/funchost/templates/timer.rs"]
mod timer;

use std::path::{Path, PathBuf};
use std::process::Command;

use handler::azure::app::respond;
use handler::azure::appfiles;
use handler::azure::router::Router;
use handler::json::Value;
pub use handler::{json, triggers, Function, Request, Response};
use support::TempDir;

const FUNCHOST: &str = env!("CARGO_BIN_EXE_funchost");

/// The name each template is scaffolded under, its template, and the function compiled from
/// it.
static SCAFFOLDED: [Function; 5] = [
    Function {
        name: "Greet",
        run: http::run,
    },
    Function {
        name: "Tick",
        run: timer::run,
    },
    Function {
        name: "OnOrder",
        run: queue::run,
    },
    Function {
        name: "OnBlob",
        run: blob::run,
    },
    Function {
        name: "OnChange",
        run: cosmosdb::run,
    },
];
const TEMPLATES: [&str; 5] = ["http", "timer", "queue", "blob", "cosmosdb"];
const MODULES: [&str; 5] = ["greet", "tick", "on_order", "on_blob", "on_change"];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// The function table as the crate ships it (src/functions/mod.rs), in the layout rustfmt
/// gives a table of one. Not the crate's file itself: the user's own functions, added with
/// `funchost new`, must not change what these tests see (their modules would be missing here,
/// and their names could be the ones scaffolded below).
const SHIPPED_TABLE: &str = r#"//! The functions this handler serves, registered by name in one table.

pub use crate::azure::Function;

pub mod hello_rust;

/// Every function, by name.
pub static FUNCTIONS: &[Function] = &[Function {
    name: "HelloRust",
    run: hello_rust::run,
}];
"#;

/// An app with a host.json (payload mode) and a copy of the shipped function table.
fn app(name: &str) -> TempDir {
    let host =
        r#"{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"}}}"#;
    TempDir::new(name)
        .with("host.json", host)
        .with("src/functions/mod.rs", SHIPPED_TABLE)
        .with(
            "src/functions/hello_rust.rs",
            &read(repo("src/functions/hello_rust.rs")),
        )
}

/// `funchost new NAME --template T` for the app `dir`: exit code, stdout, stderr.
fn new(dir: &Path, name: &str, template: &str) -> (Option<i32>, String, String) {
    let src = dir.join("src/functions");
    let output = Command::new(FUNCHOST)
        .args(["new", name, "--template", template, "--app"])
        .arg(dir)
        .arg("--src")
        .arg(&src)
        .output()
        .expect("run funchost");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.code(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// The host's invocation of each scaffolded function (azure-bindings.md §2), and the line it
/// logs.
fn invocation(function: &str) -> (&'static str, &'static str) {
    match function {
        "Greet" => (
            r#"{"Data":{"req":{"Url":"http://localhost:7071/api/Greet?name=Rust","Method":"GET","Query":{"name":"Rust"},"Headers":{},"Params":{}}},"Metadata":{}}"#,
            "",
        ),
        "Tick" => (
            r#"{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}},"Metadata":{}}"#,
            r#"["The timer is late.","The timer ran."]"#,
        ),
        "OnOrder" => (
            r#"{"Data":{"myQueueItem":"\"order 7\""},"Metadata":{"DequeueCount":"1"}}"#,
            r#"["Queue message: order 7"]"#,
        ),
        "OnBlob" => (
            r#"{"Data":{"myBlob":"aGk="},"Metadata":{"name":"\"a.txt\""}}"#,
            r#"["Blob a.txt: 2 bytes"]"#,
        ),
        _ => (
            r#"{"Data":{"documents":"[{\"id\":\"1\"},{\"id\":\"2\"}]"},"Metadata":{}}"#,
            r#"["Changed: 1","Changed: 2"]"#,
        ),
    }
}

#[test]
fn every_template_scaffolds_a_function_that_runs() {
    let app = app("scaffold-all");
    let dir = app.path();
    let src = dir.join("src/functions");
    for ((function, template), module) in SCAFFOLDED.iter().zip(TEMPLATES).zip(MODULES) {
        let name = function.name;
        let (code, out, err) = new(dir, name, template);
        assert_eq!(code, Some(0), "{name}: {err}");
        let rust = src.join(format!("{module}.rs"));
        assert!(
            out.starts_with(&format!(
                "Created {}\nCreated {}\nAdded {name} to FUNCTIONS in {}\n",
                dir.join(name).join("function.json").display(),
                rust.display(),
                src.join("mod.rs").display()
            )),
            "{out}"
        );
        // This host.json has no extension bundle, which every trigger but HTTP and timer needs.
        let note = format!("Note: a {template} trigger needs the extension bundle in host.json");
        let needs_none = matches!(template, "http" | "timer");
        assert_eq!(out.contains(&note), !needs_none, "{out}");
        // What the templates say, the name put in.
        let templates = repo("src/bin/funchost/templates");
        let function_json = read(dir.join(name).join("function.json"));
        assert_eq!(
            function_json,
            read(templates.join(format!("{template}.json")))
        );
        let source = read(templates.join(format!("{template}.rs"))).replace("{Name}", name);
        assert_eq!(read(&rust), source);
        assert!(source.starts_with(&format!("//! {name}: ")), "{source}");
    }
    // The table, laid out as rustfmt lays it out.
    let table = read(src.join("mod.rs"));
    for (function, module) in SCAFFOLDED.iter().zip(MODULES) {
        assert!(table.contains(&format!("pub mod {module};\n")), "{table}");
        let entry = format!(
            "    Function {{\n        name: \"{}\",\n        run: {module}::run,\n    }},\n",
            function.name
        );
        assert!(table.contains(&entry), "{table}");
    }
    let rustfmt = Command::new("rustfmt")
        .args(["--edition", "2021", "--check"])
        .arg(src.join("mod.rs"))
        .output()
        .expect("run rustfmt");
    let diff = String::from_utf8_lossy(&rustfmt.stdout);
    assert!(
        rustfmt.status.success(),
        "not as rustfmt lays it out:\n{diff}"
    );

    // The app reads as the host reads it, and each function answers its trigger's invocation.
    let config = appfiles::load(dir).unwrap().expect("a host.json");
    let triggers: Vec<&str> = config
        .functions
        .iter()
        .map(|f| f.trigger().unwrap().kind.as_str())
        .collect();
    assert_eq!(
        triggers,
        [
            "httpTrigger",
            "blobTrigger",
            "cosmosDBTrigger",
            "queueTrigger",
            "timerTrigger"
        ]
    );
    let router = Router::from_app(&config, &SCAFFOLDED).unwrap();
    for function in &SCAFFOLDED {
        let (json, logs) = invocation(function.name);
        let req = Request::new("POST", &format!("/{}", function.name))
            .with_header("Content-Type", "application/json")
            .with_body(json.as_bytes().to_vec());
        let response = respond(&router, req);
        let reply = json::parse(&response.body).unwrap();
        assert_eq!(
            response.status,
            200,
            "{}: {}",
            function.name,
            reply.to_json()
        );
        if function.name == "Greet" {
            let res = reply.get("Outputs").and_then(|o| o.get("res")).unwrap();
            assert_eq!(
                res.get("body").and_then(Value::as_str),
                Some("Hello, Rust.")
            );
        } else {
            assert_eq!(
                reply.get("Logs").unwrap().to_json(),
                logs,
                "{}",
                function.name
            );
        }
    }
}

#[test]
fn new_refuses_to_overwrite_anything() {
    let app = app("scaffold-refusals");
    let dir = app.path();
    let src = dir.join("src/functions");
    assert_eq!(new(dir, "Orders", "queue").0, Some(0));
    // HelloRust stays in the table without its source, to see the table refuse it.
    std::fs::remove_file(src.join("hello_rust.rs")).unwrap();
    let snapshot = || {
        let rust = std::fs::read_dir(&src).unwrap().count();
        let folders = std::fs::read_dir(dir).unwrap().count();
        (
            read(src.join("mod.rs")),
            read(src.join("orders.rs")),
            rust,
            folders,
        )
    };
    let before = snapshot();
    let canonical = |path: PathBuf| path.display().to_string();
    std::fs::write(src.join("audit.rs"), "// mine\n").unwrap();
    let before_audit = snapshot();
    let cases = [
        // Reasons: the function exists; it exists in another case (the host's names ignore
        // case); its source file exists; the table has it already.
        (
            "Orders",
            format!("{} exists", canonical(dir.join("Orders"))),
        ),
        (
            "ORDERS",
            format!("{} exists", canonical(dir.join("Orders"))),
        ),
        (
            "Audit",
            format!(
                "Audit would be the module `audit`, and {} exists (a function's file is its \
                 name in snake_case): choose another name",
                canonical(src.join("audit.rs"))
            ),
        ),
        (
            "HelloRust",
            format!(
                "{}: FUNCTIONS has HelloRust already",
                canonical(src.join("mod.rs"))
            ),
        ),
    ];
    for (name, reason) in cases {
        let (code, out, err) = new(dir, name, "timer");
        assert_eq!((code, out.as_str()), (Some(1), ""), "{name}");
        assert_eq!(err, format!("funchost: {reason}\n"), "{name}");
        assert_eq!(snapshot(), before_audit, "{name}: nothing written");
    }
    std::fs::remove_file(src.join("audit.rs")).unwrap();
    assert_eq!(snapshot(), before);
    let (code, _, err) = new(dir, "1st", "http");
    assert_eq!(code, Some(1));
    assert!(err.contains("\"1st\" cannot name a function"), "{err}");
}
