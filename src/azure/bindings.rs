//! What each binding type means to a custom handler, from the host's source
//! (azure-bindings.md): how an input's data arrives in `Data`, how a value in `Metadata` is
//! encoded, and what an output binding takes from `Outputs`. Shared by the function's side
//! (`input`, `outputs`) and by a local host checking a reply (`host_outputs`).

use std::borrow::Cow;
use std::fmt;

use crate::azure::appfiles::Binding;
use crate::azure::json::{self, JsonError, Limits, Value};

pub use crate::azure::appfiles::RETURN;

/// Why binding data could not be read, or an output could not be written: one line, naming
/// the binding. A function that returns it (`Response::from(error)`) fails the invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingError(String);

impl BindingError {
    /// An error with this one-line reason.
    pub fn new(reason: impl Into<String>) -> BindingError {
        BindingError(reason.into())
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BindingError {}

/// What an output binding's type takes, after the host's own base64 step (azure-bindings.md
/// §1.3, §3). It decides how a function's value is written into `Outputs` so that the binding
/// receives exactly that value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// `http`: the HTTP response, which is the function's `Response` itself.
    Http,
    /// `blob`: one stream of bytes.
    Blob,
    /// `queue`, `eventHub`: messages made of bytes (`IAsyncCollector<byte[]>`): a top-level
    /// base64 string arrives as its bytes.
    ByteMessages,
    /// `serviceBus`: messages made of text (`IAsyncCollector<string>`): bytes arrive as the
    /// text `System.Byte[]` (host#3125), so only text can be sent.
    TextMessages,
    /// `cosmosDB`, `table`, `sql`, `signalR`, `sendGrid`, `eventGrid`: JSON objects, one per
    /// document, entity, row, message or event.
    Documents,
    /// Any other type (`kafka`, `rabbitMQ`, ...): the host's fallback, a collector of strings
    /// or of JSON values, so each item is sent inside an array, which the host never
    /// base64-decodes and hands over one item per element: an object or array as a JSON value,
    /// anything else as text.
    Other,
}

/// What `binding` (an output) takes.
pub fn output_kind(binding: &Binding) -> OutputKind {
    let kind = binding.kind.to_ascii_lowercase();
    match kind.as_str() {
        "http" => OutputKind::Http,
        "blob" => OutputKind::Blob,
        "queue" | "eventhub" => OutputKind::ByteMessages,
        "servicebus" => OutputKind::TextMessages,
        "cosmosdb" | "documentdb" | "table" | "sql" | "signalr" | "sendgrid" | "eventgrid" => {
            OutputKind::Documents
        }
        _ => OutputKind::Other,
    }
}

/// Whether the host sends `binding`'s data (an input or the trigger) as base64 of its bytes:
/// with `dataType: binary`, and always for a blob trigger, whose value is bytes whatever
/// `dataType` says (azure-bindings.md §2.3).
pub(crate) fn sends_base64(binding: &Binding) -> bool {
    binding.is_binary() || binding.is("blobTrigger")
}

/// The host's value behind a member of `Data` or `Metadata`, undoing its encoding once
/// (azure-bindings.md §1.2): a .NET string, number, array or null is sent as a JSON string
/// holding its JSON text (`"\"report.csv\""`, `"1"`, `"[…]"`, `"null"`), so a string whose
/// text is JSON is that JSON; objects and dates are sent as they are, and a string that is not
/// JSON (a date, base64) is itself. Text past `limits` stays text too: JSON chosen by a
/// client, read within `Limits::DOCUMENT`, that no function could read anyway.
pub(crate) fn host_value(value: &Value, limits: Limits) -> Cow<'_, Value> {
    match value {
        Value::String(text) => match json::parse_within(text.as_bytes(), limits) {
            Ok(inner) => Cow::Owned(inner),
            Err(_) => Cow::Borrowed(value),
        },
        _ => Cow::Borrowed(value),
    }
}

/// What is wrong with binding data that did not read as JSON: a limit it broke (it may be
/// valid JSON), or its grammar.
pub(crate) fn unreadable(e: &JsonError) -> String {
    match e.is_limit() {
        true => format!("cannot be read whole ({e})"),
        false => format!("is not JSON ({e})"),
    }
}

/// Whether a member of `Data` says the binding yielded nothing: the host sends a null input
/// (a blob or document not found) as `"null"`.
pub(crate) fn is_nothing(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim() == "null",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::appfiles::parse_function_json;

    #[test]
    fn output_kinds_by_type_ignoring_case() {
        let cases: &[(&str, OutputKind)] = &[
            ("http", OutputKind::Http),
            ("blob", OutputKind::Blob),
            ("queue", OutputKind::ByteMessages),
            ("eventHub", OutputKind::ByteMessages),
            ("serviceBus", OutputKind::TextMessages),
            ("cosmosDB", OutputKind::Documents),
            ("CosmosDB", OutputKind::Documents),
            ("documentDB", OutputKind::Documents),
            ("table", OutputKind::Documents),
            ("eventGrid", OutputKind::Documents),
            ("kafka", OutputKind::Other),
        ];
        for (kind, expected) in cases {
            let text = format!(
                r#"{{"bindings":[{{"type":"httpTrigger","name":"t"}},
                {{"type":"{kind}","direction":"out","name":"o"}}]}}"#
            );
            let function = parse_function_json("F", text.as_bytes()).unwrap();
            assert_eq!(
                output_kind(function.output("o").unwrap()),
                *expected,
                "{kind}"
            );
        }
    }

    #[test]
    fn host_value_undoes_one_encoding() {
        let s = |t: &str| Value::String(t.to_string());
        let cases: &[(Value, Value)] = &[
            // A .NET string, number, array, null: JSON text in a string.
            (s("\"report.csv\""), s("report.csv")),
            (s("1"), Value::Number("1".to_string())),
            (s("[1,2]"), json::parse(b"[1,2]").unwrap()),
            (s("null"), Value::Null),
            // A date and base64 are sent as they are: not JSON, so kept.
            (
                s("2025-01-01T12:00:00+00:00"),
                s("2025-01-01T12:00:00+00:00"),
            ),
            (s("aGVsbG8="), s("aGVsbG8=")),
            // Objects (sys, Properties) are sent raw.
            (
                json::parse(br#"{"MethodName":"Tick"}"#).unwrap(),
                json::parse(br#"{"MethodName":"Tick"}"#).unwrap(),
            ),
        ];
        for (sent, value) in cases {
            assert_eq!(
                host_value(sent, Limits::SERVICE).as_ref(),
                value,
                "{sent:?}"
            );
        }
    }
}
