//! {Name}: an HTTP function, GET or POST at `/api/{Name}` (under host.json's route prefix).
//! Its function.json: an `httpTrigger` `req` with `"authLevel": "function"` (Azure asks for a
//! function key, `?code=` or `x-functions-key`; funchost does not) and an `http` output `res`.

use crate::{Request, Response};

/// Greets the `name` in the query string.
pub fn run(req: &Request) -> Response {
    match req.query_param("name") {
        Some(name) => Response::text(200, format!("Hello, {name}.")),
        None => Response::text(200, "Pass a name in the query string: ?name=..."),
    }
}
