//! HelloRust: the HTTP trigger of the Azure quickstart, answering GET and POST.

use std::borrow::Cow;

use crate::{json, query, Request, Response};

/// The answer without a name, byte for byte the quickstart's.
pub const NO_NAME: &str = "This HTTP triggered function executed successfully. \
                           Pass a name in the query string for a personalized response.";

/// Greets `name` from the query string, else from a JSON or form body (what VS Code's
/// "Execute Function Now" sends: `POST` with `{"name":"Azure"}`).
pub fn run(req: &Request) -> Response {
    match name(req) {
        Ok(Some(name)) => Response::text(
            200,
            format!("Hello, {name}. This HTTP triggered function executed successfully."),
        ),
        Ok(None) => Response::text(200, NO_NAME),
        Err(reason) => Response::text(400, reason),
    }
}

/// The non-empty `name` from the query, then the body.
///
/// The body is read by its media type: `application/json` (or `+json`) takes the string member
/// `name` of an object; `application/x-www-form-urlencoded` takes the `name` field; with no
/// `Content-Type`, a body starting with `{` is read as JSON and anything else as a form, as curl
/// `-d` sends it. Other media types carry no name.
///
/// # Errors
/// A short reason when a body that should be JSON is not.
fn name<'r>(req: &'r Request) -> Result<Option<Cow<'r, str>>, String> {
    fn non_empty(s: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
        s.filter(|s| !s.is_empty())
    }
    if let Some(name) = non_empty(req.query_param("name")) {
        return Ok(Some(name));
    }
    let body = req.body();
    if body.is_empty() {
        return Ok(None);
    }
    let media = req.media_type();
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let is_json = match media.as_deref() {
        Some(m) => m == "application/json" || m.ends_with("+json"),
        None => looks_json,
    };
    if is_json {
        let value = json::parse(body).map_err(|e| match e.is_limit() {
            true => format!("JSON body not read: {e}."),
            false => format!("Invalid JSON body: {e}."),
        })?;
        let name = value.get("name").and_then(json::Value::as_str);
        return Ok(non_empty(name.map(|n| Cow::Owned(n.to_string()))));
    }
    let is_form = matches!(
        media.as_deref(),
        None | Some("application/x-www-form-urlencoded")
    );
    if is_form {
        let form = String::from_utf8_lossy(body);
        let name = query::lookup(&form, "name").map(|n| Cow::Owned(n.into_owned()));
        return Ok(non_empty(name));
    }
    Ok(None)
}
