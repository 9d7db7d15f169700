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
        Ok(Some(name)) => Response::text(200, greeting(name)),
        Ok(None) => Response::text(200, NO_NAME),
        Err(reason) => Response::text(400, reason),
    }
}

/// `Hello, <name>. ...`, written in the name's own buffer when it has one: a name can be as
/// long as a body (three times, from a form of bytes that are not UTF-8), and a second copy of
/// it, alive with the first, doubled what the answer cost.
fn greeting(name: Cow<'_, str>) -> String {
    const BEFORE: &str = "Hello, ";
    const AFTER: &str = ". This HTTP triggered function executed successfully.";
    match name {
        Cow::Owned(mut text) => {
            text.reserve_exact(BEFORE.len() + AFTER.len());
            text.insert_str(0, BEFORE);
            text.push_str(AFTER);
            text
        }
        Cow::Borrowed(text) => [BEFORE, text, AFTER].concat(),
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
        // The first `name`, as `Value::get` finds it, taken out of the value, not copied.
        let json::Value::Object(members) = value else {
            return Ok(None);
        };
        let name = members.into_iter().find(|(n, _)| n == "name");
        return Ok(match name {
            Some((_, json::Value::String(name))) => non_empty(Some(Cow::Owned(name))),
            _ => None,
        });
    }
    let is_form = matches!(
        media.as_deref(),
        None | Some("application/x-www-form-urlencoded")
    );
    if is_form {
        return Ok(non_empty(query::lookup_form(body, "name")));
    }
    Ok(None)
}
