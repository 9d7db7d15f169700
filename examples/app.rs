//! An app with more functions than the shipped one, served by the same library: HelloRust, a
//! timer trigger (`Tick`), an HTTP trigger with a route template (`Product`) and one that
//! panics (`Boom`), to show a panic costs one 500 and nothing else. The tests run
//! it against the app folders in tests/fixtures/ (`cargo test` builds examples); the shipped
//! handler leaves these out because a timer trigger needs a storage account to run under
//! `func start`, and a registered function with no function.json in the app would be warned
//! about at every start.
//!
//! Adding a function to the real app is the same three steps: a `fn(&Request) -> Response`, a
//! line in the table, a folder with a function.json (README, "Adding a function").
#![forbid(unsafe_code)]

use std::process::ExitCode;

use handler::functions::{hello_rust, Function};
use handler::json::{self, Value};
use handler::{Request, Response};

static FUNCTIONS: &[Function] = &[
    Function {
        name: "Boom",
        run: boom,
    },
    Function {
        name: "HelloRust",
        run: hello_rust::run,
    },
    Function {
        name: "Product",
        run: product,
    },
    Function {
        name: "Tick",
        run: tick,
    },
];

fn main() -> ExitCode {
    handler::run(FUNCTIONS)
}

/// A timer trigger (`Tick/function.json`: `timerTrigger`, `"schedule": "0 */5 * * * *"`). In
/// payload mode its body is the timer's data, `{"Schedule":...,"ScheduleStatus":...,
/// "IsPastDue":false}`; it logs when it runs next and answers 200, or 500 for data that is not a
/// timer's, which tells the host the invocation failed.
fn tick(req: &Request) -> Response {
    let timer = json::parse(req.body()).unwrap_or(Value::Null);
    let Some(Value::Bool(late)) = timer.get("IsPastDue") else {
        req.log("not a timer's data: no IsPastDue");
        return Response::new(500);
    };
    let next = timer
        .get("ScheduleStatus")
        .and_then(|s| s.get("Next"))
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let when = if *late { "ran late" } else { "on time" };
    req.log(format!("Tick {when}; next run at {next}"));
    Response::new(200)
}

/// A function with a bug: the server answers its request 500 and goes on.
fn boom(req: &Request) -> Response {
    let items: Vec<u32> = Vec::new();
    let index = req.query_param("item").map_or(0, |s| s.len());
    Response::text(200, items[index].to_string())
}

/// An HTTP trigger at `products/{id}`: the id comes from the path when the request is
/// forwarded, and from the invocation's `Params` in payload mode.
fn product(req: &Request) -> Response {
    let Some(id) = req.param("id") else {
        return Response::text(400, "Bad Request: no product id");
    };
    req.log(format!("looked up product {id}"));
    Response::text(200, format!("Product {id}"))
}
