//! The host's side of an invocation: what it puts in `Data` for a binding's data, and in
//! `Metadata` for a value (azure-bindings.md §1.2, §2). For a local host that sends invocations
//! as the host would, from data a user gives (a file, stdin); `input` and `triggers` read them
//! back on the function's side.
//!
//! The host converts each .NET value with `GetHttpScriptInvocationContextValue`: bytes become
//! base64, an object stays an object, anything else (a string, a number, an array, null) is
//! serialized to JSON text and sent as a string, so a string arrives double-encoded
//! (`"hello"` as `"\"hello\""`). Which .NET value a binding produces depends on its type and
//! `dataType`, per §2.

use crate::azure::appfiles::Binding;
use crate::azure::base64;
use crate::azure::bindings::sends_base64;
use crate::azure::host_outputs::dotnet_text;
use crate::azure::json::{self, JsonError, Limits, Value};

/// The member of `Data` the host sends for `binding` when its data is `content` (a blob's or a
/// message's bytes, a timer's or an event's JSON, a document's JSON); `None` is a binding that
/// yielded nothing (a blob or document not found), which the host sends as `"null"`.
///
/// # Errors
/// `content` cannot be this binding's data: a timer or Event Grid event that is not a JSON
/// object, a Cosmos DB batch or an Event Hubs batch that is not a JSON array, a Cosmos DB input
/// that is neither, or text where the binding sends text and `content` is not UTF-8.
pub fn data(binding: &Binding, content: Option<&[u8]>) -> Result<Value, String> {
    let Some(content) = content else {
        return Ok(encode(&Value::Null));
    };
    let what = format!("the {} {:?}", binding.kind, binding.name);
    let parse = |expected: &str| {
        json::parse(content).map_err(|e| format!("{what} takes {expected}: not JSON ({e})"))
    };
    if binding.is("timerTrigger") || binding.is("eventGridTrigger") {
        // TimerInfo, and the event (a JToken), are objects: sent as they are.
        return match parse("a JSON object")? {
            object @ Value::Object(_) => Ok(object),
            _ => Err(format!("{what} takes a JSON object")),
        };
    }
    if binding.is_many() || binding.is("cosmosDBTrigger") {
        // A .NET array (of bodies, of documents): sent as its JSON text.
        let Value::Array(items) = parse("a JSON array")? else {
            return Err(format!("{what} takes a JSON array"));
        };
        let items = if binding.is_many() {
            items.into_iter().map(|item| body(binding, item)).collect()
        } else {
            items
        };
        return Ok(Value::String(Value::Array(items).to_json()));
    }
    if sends_base64(binding) {
        return Ok(Value::String(base64::encode(content)));
    }
    debug_assert!(sends_text(binding));
    // A Cosmos DB input is a document the item binder gives as its compact JSON text (a .NET
    // string), or a query's documents (a JArray); a table input's entities are a JArray too
    // (azure-bindings.md §2.4, §2.8). A JArray is sent as its JSON text, once.
    let cosmos = binding.is("cosmosDB");
    if cosmos || binding.is("table") {
        match parse("a JSON document")? {
            array @ Value::Array(_) => return Ok(Value::String(array.to_json())),
            document @ Value::Object(_) if cosmos => {
                return Ok(encode(&Value::String(document.to_json())))
            }
            _ if cosmos => {
                return Err(format!(
                    "{what} takes a JSON document (an object) or a query's array"
                ))
            }
            _ => {}
        }
    }
    // A .NET string: a message's or blob's text, a document's compact JSON.
    let text = std::str::from_utf8(content)
        .map_err(|_| format!("{what} sends text, and the data is not UTF-8"))?;
    Ok(encode(&Value::String(text.to_string())))
}

/// One body of a batch (`cardinality: many`) as the host holds it: base64 with `dataType:
/// binary`, the text with `dataType: string`, else the body parsed as JSON (a string stays the
/// string).
fn body(binding: &Binding, item: Value) -> Value {
    let text = match item {
        Value::String(text) => text,
        other if binding.data_type.is_none() => return other,
        other => other.to_json(),
    };
    if binding.is_binary() {
        Value::String(base64::encode(text.as_bytes()))
    } else {
        Value::String(text)
    }
}

/// Whether the host holds `binding`'s data as a .NET string (a message's text, a document's
/// JSON), the shape it looks into for binding data (`json_members`).
pub fn sends_text(binding: &Binding) -> bool {
    !(binding.is("timerTrigger")
        || binding.is("eventGridTrigger")
        || binding.is_many()
        || binding.is("cosmosDBTrigger")
        || sends_base64(binding))
}

/// What the host adds to the binding data (and so to `Metadata`) from a string that holds a
/// JSON object, an HTTP body or a trigger's message (`Utility.ApplyBindingData`): each
/// top-level member but arrays and nulls, objects as they are and the rest as strings, as .NET
/// prints them (`host_outputs::dotnet_text`: `true` as `True`, `1.50` as `1.5`), each then sent
/// through `encode`. Empty for other text.
///
/// # Errors
/// A JSON object past what an invocation may hold (`limits`: `Limits::INVOCATION` for an HTTP
/// body, `Limits::SERVICE` for a message): the host would copy it all, and the handler refuse
/// the invocation.
pub fn json_members(text: &str, limits: Limits) -> Result<Vec<(String, Value)>, JsonError> {
    let text = text.trim();
    if !(text.starts_with('{') && text.ends_with('}')) {
        return Ok(Vec::new());
    }
    let members = match json::parse_within(text.as_bytes(), limits) {
        Ok(Value::Object(members)) => members,
        Err(e) if e.is_limit() => return Err(e),
        _ => return Ok(Vec::new()),
    };
    let members = members.into_iter().filter_map(|(name, value)| {
        let value = match value {
            Value::Object(_) => value,
            Value::Null | Value::Array(_) => return None,
            scalar => Value::from(dotnet_text(&scalar)?),
        };
        Some((name, value))
    });
    Ok(members.collect())
}

/// A value as the host puts it in `Data` or `Metadata`: an object as it is, anything else as
/// its JSON text in a string (`"report.csv"` → `"\"report.csv\""`, `1` → `"1"`). Dates the host
/// sends as they are; sent this way they read back the same.
pub fn encode(value: &Value) -> Value {
    match value {
        Value::Object(_) => value.clone(),
        other => Value::String(other.to_json()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::appfiles::parse_function_json;
    use crate::azure::bindings::host_value;
    use crate::azure::input::Input;

    /// The binding `json` (one function.json member), with a trigger beside it if it is not one.
    fn binding(json: &str) -> Binding {
        let text = format!(r#"{{"bindings":[{json},{{"type":"manualTrigger","name":"m"}}]}}"#);
        let function = parse_function_json("F", text.as_bytes());
        let text = format!(r#"{{"bindings":[{json}]}}"#);
        let function = function.or_else(|_| parse_function_json("F", text.as_bytes()));
        function.unwrap().bindings[0].clone()
    }

    /// Each row: a binding, the data a user gives, and the member of `Data` (compact JSON) the
    /// host sends for it, as azure-bindings.md §2 shows.
    #[test]
    fn json_members_are_what_apply_binding_data_adds() {
        let members = |text: &str| {
            json_members(text, Limits::INVOCATION)
                .unwrap()
                .into_iter()
                .map(|(k, v)| format!("{k}={}", v.to_json()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            members(r#"{"a":"x","n":1.50,"b":false,"o":{"p":[1]},"l":[1],"z":null}"#),
            [r#"a="x""#, r#"n="1.5""#, r#"b="False""#, r#"o={"p":[1]}"#]
        );
        for other in ["", "hello", "[1]", "{not json}", "\"{}\""] {
            assert!(members(other).is_empty(), "{other}");
        }
        let huge = format!(r#"{{"v":{{"a":[{}]}}}}"#, vec!["0"; 200_000].join(","));
        assert!(json_members(&huge, Limits::INVOCATION)
            .unwrap_err()
            .is_limit());
        // Text that only starts like an object is not looked into (the host's `IsJson`), so
        // its size breaks no limit.
        assert_eq!(
            json_members(&format!("{huge} x"), Limits::INVOCATION),
            Ok(Vec::new())
        );
        assert!(sends_text(&binding(
            r#"{"type":"queueTrigger","name":"m"}"#
        )));
        assert!(!sends_text(&binding(
            r#"{"type":"queueTrigger","name":"m","dataType":"binary"}"#
        )));
        assert!(!sends_text(&binding(
            r#"{"type":"timerTrigger","name":"t"}"#
        )));
        // A batch and a change feed are .NET arrays, not strings.
        assert!(!sends_text(&binding(
            r#"{"type":"eventHubTrigger","name":"e","cardinality":"many","dataType":"string"}"#
        )));
        assert!(!sends_text(&binding(
            r#"{"type":"cosmosDBTrigger","name":"d"}"#
        )));
    }

    #[test]
    fn data_as_the_host_sends_it() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                r#"{"type":"queueTrigger","name":"q"}"#,
                Some("hello"),
                r#""\"hello\"""#,
            ),
            (
                r#"{"type":"queueTrigger","name":"q"}"#,
                Some(r#"{"orderId":7}"#),
                r#""\"{\\\"orderId\\\":7}\"""#,
            ),
            (
                r#"{"type":"queueTrigger","name":"q","dataType":"binary"}"#,
                Some("hi"),
                r#""aGk=""#,
            ),
            // A blob trigger is base64 whatever dataType says.
            (
                r#"{"type":"blobTrigger","name":"b","dataType":"string"}"#,
                Some("hello world"),
                r#""aGVsbG8gd29ybGQ=""#,
            ),
            (
                r#"{"type":"blob","name":"cfg","direction":"in"}"#,
                Some("a=1"),
                r#""\"a=1\"""#,
            ),
            (
                r#"{"type":"blob","name":"cfg","direction":"in"}"#,
                None,
                r#""null""#,
            ),
            (
                r#"{"type":"timerTrigger","name":"t"}"#,
                Some(r#"{"IsPastDue":false}"#),
                r#"{"IsPastDue":false}"#,
            ),
            (
                r#"{"type":"cosmosDBTrigger","name":"docs"}"#,
                Some(r#"[{"id":"1"}]"#),
                r#""[{\"id\":\"1\"}]""#,
            ),
            (
                r#"{"type":"cosmosDB","name":"doc","direction":"in"}"#,
                Some(r#"{"id":"1"}"#),
                r#""\"{\\\"id\\\":\\\"1\\\"}\"""#,
            ),
            // As Cosmos DB gives it: compact.
            (
                r#"{"type":"cosmosDB","name":"doc","direction":"in"}"#,
                Some("{ \"id\": \"1\" }\n"),
                r#""\"{\\\"id\\\":\\\"1\\\"}\"""#,
            ),
            // A query's documents and a table's entities: a JArray, its JSON text once.
            (
                r#"{"type":"cosmosDB","name":"docs","direction":"in","sqlQuery":"SELECT * FROM c"}"#,
                Some(r#"[{"id":"1"}, {"id":"2"}]"#),
                r#""[{\"id\":\"1\"},{\"id\":\"2\"}]""#,
            ),
            (
                r#"{"type":"table","name":"rows","direction":"in","tableName":"t"}"#,
                Some(r#"[{"PartitionKey":"p","RowKey":"r"}]"#),
                r#""[{\"PartitionKey\":\"p\",\"RowKey\":\"r\"}]""#,
            ),
            (
                r#"{"type":"eventHubTrigger","name":"e","cardinality":"many","dataType":"string"}"#,
                Some(r#"["a",{"x":1}]"#),
                r#""[\"a\",\"{\\\"x\\\":1}\"]""#,
            ),
            (
                r#"{"type":"eventHubTrigger","name":"e","cardinality":"many"}"#,
                Some(r#"["a",{"x":1}]"#),
                r#""[\"a\",{\"x\":1}]""#,
            ),
            (
                r#"{"type":"eventHubTrigger","name":"e","cardinality":"many","dataType":"binary"}"#,
                Some(r#"["hi"]"#),
                r#""[\"aGk=\"]""#,
            ),
            (
                r#"{"type":"eventGridTrigger","name":"ev"}"#,
                Some(r#"{"id":"1","eventType":"t"}"#),
                r#"{"id":"1","eventType":"t"}"#,
            ),
        ];
        for (json, content, sent) in cases {
            let got = data(&binding(json), content.map(str::as_bytes));
            assert_eq!(got.map(|v| v.to_json()).as_deref(), Ok(*sent), "{json}");
        }
    }

    #[test]
    fn data_that_cannot_be_the_bindings_is_refused_with_a_reason() {
        let cases: &[(&str, &[u8], &str)] = &[
            (
                r#"{"type":"timerTrigger","name":"t"}"#,
                b"[]",
                "the timerTrigger \"t\" takes a JSON object",
            ),
            (
                r#"{"type":"timerTrigger","name":"t"}"#,
                b"x",
                "the timerTrigger \"t\" takes a JSON object: not JSON",
            ),
            (
                r#"{"type":"cosmosDBTrigger","name":"d"}"#,
                b"{}",
                "the cosmosDBTrigger \"d\" takes a JSON array",
            ),
            (
                r#"{"type":"queueTrigger","name":"q"}"#,
                &[0xff],
                "the queueTrigger \"q\" sends text, and the data is not UTF-8",
            ),
            (
                r#"{"type":"cosmosDB","name":"doc","direction":"in"}"#,
                b"not json",
                "the cosmosDB \"doc\" takes a JSON document: not JSON",
            ),
            (
                r#"{"type":"cosmosDB","name":"doc","direction":"in"}"#,
                b"7",
                "the cosmosDB \"doc\" takes a JSON document (an object) or a query's array",
            ),
        ];
        for (json, content, reason) in cases {
            let error = data(&binding(json), Some(content)).unwrap_err();
            assert!(error.starts_with(reason), "{json}: {error}");
        }
    }

    /// Whatever the host sends for some data, a function reads that data back.
    #[test]
    fn the_function_reads_back_what_was_sent() {
        let cases: &[(&str, &[u8])] = &[
            (r#"{"type":"queueTrigger","name":"q"}"#, b"hello"),
            (r#"{"type":"queueTrigger","name":"q"}"#, br#"{"orderId":7}"#),
            (
                r#"{"type":"queueTrigger","name":"q","dataType":"binary"}"#,
                &[0, 255, 1],
            ),
            (
                r#"{"type":"blobTrigger","name":"b"}"#,
                &[0x89, b'P', b'N', b'G'],
            ),
            (
                r#"{"type":"blob","name":"cfg","direction":"in"}"#,
                b"tax = 0.2",
            ),
            (r#"{"type":"serviceBusTrigger","name":"s"}"#, b"\"quoted\""),
            (
                r#"{"type":"cosmosDB","name":"doc","direction":"in"}"#,
                br#"{"id":"1","n":[1,2]}"#,
            ),
        ];
        for (json, content) in cases {
            let binding = binding(json);
            let sent = data(&binding, Some(content)).unwrap();
            let input = Input::new("x", &sent, sends_base64(&binding));
            assert_eq!(input.as_bytes().unwrap().as_ref(), *content, "{json}");
        }
        let sent = data(
            &binding(r#"{"type":"cosmosDBTrigger","name":"d"}"#),
            Some(br#"[{"id":"1"}]"#),
        );
        let sent = sent.unwrap();
        assert_eq!(
            Input::new("d", &sent, false).json().unwrap().to_json(),
            r#"[{"id":"1"}]"#
        );
    }

    #[test]
    fn metadata_values_round_trip() {
        let values = [
            r#""report.csv""#,
            "1",
            "[1,2]",
            "null",
            r#"{"MethodName":"F"}"#,
            "true",
        ];
        for value in values {
            let value = json::parse(value.as_bytes()).unwrap();
            assert_eq!(
                host_value(&encode(&value), Limits::SERVICE).as_ref(),
                &value
            );
        }
    }
}
