//! The example functions, one per binding pattern. Each is a plain `fn(&Request) -> Response`
//! registered by one line in `FUNCTIONS`; what its function.json declares is beside it.

use handler::json::{self, Value};
use handler::query;
use handler::triggers::{Blob, Timer};
use handler::{Function, Output, Request, Response};

pub static FUNCTIONS: &[Function] = &[
    Function {
        name: "CreateItem",
        run: create_item,
    },
    Function {
        name: "Enqueue",
        run: enqueue,
    },
    Function {
        name: "GetItem",
        run: get_item,
    },
    Function {
        name: "UppercaseBlob",
        run: uppercase_blob,
    },
];

/// `GET /api/items/{id}`. GetItem/function.json: an `httpTrigger` with `"route":
/// "items/{id}"`, a `cosmosDB` input `item` with `"id": "{id}"` (the host looks the document up
/// by the route's id before calling), and an `http` output. The host sends a document that does
/// not exist as null: 404.
pub fn get_item(req: &Request) -> Response {
    let id = req.param("id").unwrap_or_default();
    let Some(item) = req.input("item") else {
        return Response::text(404, format!("No item {id}."));
    };
    match item.json() {
        Ok(document) => Response::json(200, document.to_json()),
        // Not a document: the invocation fails with the reason, the client gets a 500.
        Err(error) => error.into(),
    }
}

/// `POST /api/items` with a JSON object with a string `id`. CreateItem/function.json: an
/// `httpTrigger` with `"route": "items"`, a `cosmosDB` output `newItem` and an `http` output.
/// The document is written when the function returns (an upsert: the same id replaces it),
/// and the answer is 201 with its location.
pub fn create_item(req: &Request) -> Response {
    let document = match json::parse(req.body()) {
        Ok(document @ Value::Object(_)) => document,
        _ => return Response::text(400, "Send a JSON object with a string \"id\"."),
    };
    let id = match document.get("id").and_then(Value::as_str) {
        // Cosmos DB refuses these in an id; refusing here gives the client a 400, not a 500.
        Some(id) if !id.is_empty() && !id.contains(['/', '\\', '?', '#']) => id.to_string(),
        _ => {
            return Response::text(
                400,
                "The item needs an \"id\": a non-empty string without / \\ ? or #.",
            )
        }
    };
    req.log(format!("created item {id}"));
    // A header carries ASCII only (the host's web server refuses other bytes).
    let path = req.path().trim_end_matches('/');
    let location = format!("{path}/{}", query::percent_encode(&id));
    Response::json(201, document.to_json())
        .header("Location", &location)
        .output("newItem", document)
}

/// A blob lands in `in/{name}`. UppercaseBlob/function.json: a `blobTrigger` with `"path":
/// "in/{name}"` and a `blob` output `output` with `"path": "out/{name}"`. Text is copied
/// upper-cased; anything else (an image) is copied unchanged, bytes for bytes.
pub fn uppercase_blob(req: &Request) -> Response {
    let blob = match Blob::try_from(req) {
        Ok(blob) => blob,
        Err(error) => return error.into(),
    };
    let copy = match blob.text() {
        Ok(text) => Output::Text(text.to_uppercase()),
        Err(_) => Output::Bytes(blob.content.clone()),
    };
    let name = blob.name.as_deref().unwrap_or("a blob");
    req.log(format!("copied {name} ({} bytes)", blob.content.len()));
    Response::new(200).output("output", copy)
}

/// Every five minutes. Enqueue/function.json: a `timerTrigger` with `"schedule": "0 */5 * * *
/// *"` and a `queue` output `msg`. The message is JSON: when the run was due, whether it ran
/// late, and when the next one is.
pub fn enqueue(req: &Request) -> Response {
    let timer = match Timer::try_from(req) {
        Ok(timer) => timer,
        Err(error) => return error.into(),
    };
    let now = req
        .metadata("sys")
        .and_then(|sys| sys.get("UtcNow"))
        .cloned();
    let message = Value::object([
        ("kind", "tick".into()),
        ("at", now.into()),
        ("late", timer.is_past_due.into()),
        ("next", timer.schedule_status.map(|s| s.next).into()),
    ]);
    Response::new(200).output("msg", message)
}
