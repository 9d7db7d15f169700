//! Output bindings: the values a function sets (`Output`), and how each is written into the
//! reply's `Outputs` (or `ReturnValue`) so that the binding receives exactly that value.
//!
//! The host does not take values as they come (azure-bindings.md §1.3, §3): it base64-decodes
//! every top-level string that happens to be valid base64 (`"test"` becomes three bytes), it
//! writes a JSON object as indented text into a message, and it fans an array out into one
//! item per element. So the encoding depends on the binding's type (`OutputKind`):
//!
//! | kind | text | bytes | JSON | several |
//! |---|---|---|---|---|
//! | blob | base64 of its UTF-8 | base64 | base64 of its compact text | refused |
//! | blob, `dataType: binary` | as is | as text if UTF-8, else refused | compact text | refused |
//! | queue, Event Hubs | `["text"]` | base64 (the host decodes it) | `["compact text"]` | one element each |
//! | Service Bus | `["text"]` | as text if UTF-8, else refused | `["compact text"]` | one element each |
//! | documents (Cosmos DB, table...) | parsed: objects only | parsed: objects only | objects only | an array |
//! | any other type | `["text"]` | as text if UTF-8, else refused | `[value]` (objects, arrays), `["compact text"]` | one element each |
//!
//! Elements of an array are never base64-decoded, so a message's text arrives as written, and
//! a one-element array is one message. Bytes inside several messages cannot be carried (only a
//! top-level string is decoded), so they must be UTF-8 there. What cannot be written exactly is
//! refused with a reason, which fails the invocation: nothing is ever written differently from
//! what the function set, and nothing is silently dropped.

use crate::azure::appfiles::{Binding, FunctionConfig};
use crate::azure::base64;
use crate::azure::bindings::{output_kind, OutputKind, RETURN};
use crate::azure::host_outputs::reads_as_date;
use crate::azure::json::{self, Value};
use crate::azure::limits::MAX_OUTPUT_ITEMS;

/// A value for an output binding.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Text: a message, or a blob's content as UTF-8.
    Text(String),
    /// Bytes: a blob's content, or a queue or Event Hubs message's body.
    Bytes(Vec<u8>),
    /// A JSON value: a document, an entity, an event; in a message, its compact JSON text.
    Json(Value),
    /// Several messages or documents at once, one item each.
    Many(Vec<Output>),
}

impl From<&str> for Output {
    fn from(text: &str) -> Self {
        Output::Text(text.to_string())
    }
}

impl From<String> for Output {
    fn from(text: String) -> Self {
        Output::Text(text)
    }
}

impl From<&[u8]> for Output {
    fn from(bytes: &[u8]) -> Self {
        Output::Bytes(bytes.to_vec())
    }
}

impl From<Vec<u8>> for Output {
    fn from(bytes: Vec<u8>) -> Self {
        Output::Bytes(bytes)
    }
}

impl From<Value> for Output {
    fn from(value: Value) -> Self {
        Output::Json(value)
    }
}

impl From<Vec<Output>> for Output {
    fn from(items: Vec<Output>) -> Self {
        Output::Many(items)
    }
}

/// One item an output writes: a value that is not `Many`.
enum Item {
    Text(String),
    Bytes(Vec<u8>),
    Json(Value),
}

impl Output {
    /// The items this value writes: the items of `Many` (nested ones flattened), else itself.
    fn items(self) -> Vec<Item> {
        match self {
            Output::Text(text) => vec![Item::Text(text)],
            Output::Bytes(bytes) => vec![Item::Bytes(bytes)],
            Output::Json(value) => vec![Item::Json(value)],
            Output::Many(items) => items.into_iter().flat_map(Output::items).collect(),
        }
    }

    /// The values `Many` holds (nested ones flattened), else itself.
    fn flatten(self) -> Vec<Output> {
        match self {
            Output::Many(items) => items.into_iter().flat_map(Output::flatten).collect(),
            one => vec![one],
        }
    }

    /// The first number in this value's JSON that is not JSON text (`Value::invalid_number`).
    fn invalid_number(&self) -> Option<&str> {
        match self {
            Output::Json(value) => value.invalid_number(),
            Output::Many(items) => items.iter().find_map(Output::invalid_number),
            Output::Text(_) | Output::Bytes(_) => None,
        }
    }

    /// How many items `items` gives, without building them.
    fn count(&self) -> usize {
        match self {
            Output::Many(items) => items.iter().map(Output::count).sum(),
            _ => 1,
        }
    }

    /// Adds `more` after this value: setting an output twice writes both.
    pub(crate) fn append(self, more: Output) -> Output {
        let mut items = self.flatten();
        items.extend(more.flatten());
        Output::Many(items)
    }
}

/// What goes into the reply: `Outputs` members by binding name, and `ReturnValue`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Encoded {
    pub outputs: Vec<(String, Value)>,
    pub return_value: Option<Value>,
}

/// Writes every output `function` set, checked against the bindings its function.json
/// declares (`config`).
///
/// # Errors
/// One line per output that cannot be written as set: not declared (the host would drop it),
/// the HTTP response set as an output, or a value its binding cannot carry exactly; or more
/// than `MAX_OUTPUT_ITEMS` items in all.
pub(crate) fn encode_all(
    config: &FunctionConfig,
    outputs: Vec<(String, Output)>,
) -> Result<Encoded, Vec<String>> {
    let mut encoded = Encoded::default();
    let mut errors = Vec::new();
    let mut items = 0;
    for (name, value) in outputs {
        let Some(binding) = config.output(&name) else {
            errors.push(undeclared(config, &name));
            continue;
        };
        items += value.count();
        match encode(binding, value) {
            Ok(value) if name == RETURN => encoded.return_value = Some(value),
            Ok(value) => encoded.outputs.push((name, value)),
            Err(reason) => errors.push(reason),
        }
    }
    if items > MAX_OUTPUT_ITEMS {
        errors.push(format!(
            "{items} output items in one invocation, more than {MAX_OUTPUT_ITEMS} \
             (MAX_OUTPUT_ITEMS): split the work over several invocations"
        ));
    }
    if errors.is_empty() {
        Ok(encoded)
    } else {
        Err(errors)
    }
}

/// Why `name` cannot be written: `config` declares no output of that exact name.
fn undeclared(config: &FunctionConfig, name: &str) -> String {
    let declared: Vec<&str> = config.outputs().map(|b| b.name.as_str()).collect();
    let list = if declared.is_empty() {
        "none".to_string()
    } else {
        declared.join(", ")
    };
    let what = if name == RETURN {
        "set a return value, but its function.json has no \"$return\" binding".to_string()
    } else {
        format!("set the output {name:?}, which its function.json does not declare")
    };
    let hint = declared
        .iter()
        .find(|d| d.eq_ignore_ascii_case(name))
        .map_or_else(
            || config.direction_hint(name, true),
            |d| format!("; did you mean {d:?}? the host matches output names exactly"),
        );
    format!("{what} (outputs: {list}){hint}")
}

/// The JSON that makes `binding` receive exactly `value`.
///
/// # Errors
/// Why `binding` cannot receive `value` as it is.
pub(crate) fn encode(binding: &Binding, value: Output) -> Result<Value, String> {
    let name = &binding.name;
    let kind = &binding.kind;
    let text = |s: String| Value::String(s);
    // Copied as written, it would make the reply, or the message, something other than JSON:
    // the host would fail the whole invocation without a word of why.
    if let Some(number) = value.invalid_number() {
        let shown: String = number.chars().take(40).collect();
        return Err(format!(
            "the output {name:?} holds the number {shown:?}, which is not JSON (RFC 8259 §6: \
             no NaN, no infinity, digits required): build a Value::Number from an integer, or \
             from a float only when it is finite"
        ));
    }
    match output_kind(binding) {
        OutputKind::Http => Err(format!(
            "{name:?} is the HTTP response: return it as the function's Response, not as an \
             output"
        )),
        OutputKind::Blob => {
            let bytes = match value {
                Output::Many(items) => {
                    return Err(format!(
                        "the blob output {name:?} takes one value, not {} items",
                        items.len()
                    ))
                }
                Output::Text(s) => s.into_bytes(),
                Output::Bytes(b) => b,
                Output::Json(v) => v.to_json().into_bytes(),
            };
            if !binding.is_binary() {
                // The host decodes it back to exactly these bytes.
                return Ok(text(base64::encode(&bytes)));
            }
            // With dataType binary the host does not decode; it writes the string's UTF-8.
            let content = String::from_utf8(bytes).map_err(|e| {
                format!(
                    "the blob output {name:?} has dataType binary, so the host writes a \
                     string as its UTF-8 text and cannot take {} bytes that are not UTF-8 \
                     (remove dataType binary to write bytes)",
                    e.as_bytes().len()
                )
            })?;
            // A string that is all a date reaches the blob as a DateTime, which the host fails
            // to write, after the other outputs were written.
            if reads_as_date(&content) {
                return Err(format!(
                    "the blob output {name:?} has dataType binary, so the host reads its \
                     content {content:?} as JSON, where it is a date, which it cannot write to a \
                     blob (remove dataType binary, or add a newline)"
                ));
            }
            Ok(text(content))
        }
        OutputKind::ByteMessages if !binding.is_binary() => match value {
            // Only a top-level string is base64-decoded by the host: one message of bytes.
            Output::Bytes(bytes) => Ok(text(base64::encode(&bytes))),
            value => messages(binding, value, false),
        },
        OutputKind::ByteMessages | OutputKind::TextMessages => messages(binding, value, false),
        OutputKind::Other => messages(binding, value, true),
        OutputKind::Documents => {
            let mut documents = Vec::new();
            for (i, item) in value.items().into_iter().enumerate() {
                let parsed = match item {
                    Item::Json(v) => Ok(v),
                    Item::Text(s) => json::parse(s.as_bytes()).map_err(|e| e.to_string()),
                    Item::Bytes(b) => json::parse(&b).map_err(|e| e.to_string()),
                };
                let parsed = parsed.map_err(|e| {
                    format!(
                        "the {kind} output {name:?} takes JSON objects; item {i} is not JSON ({e})"
                    )
                })?;
                match parsed {
                    Value::Object(_) => documents.push(parsed),
                    Value::Array(inner) if inner.iter().all(|d| d.as_object().is_some()) => {
                        documents.extend(inner)
                    }
                    _ => {
                        return Err(format!(
                            "the {kind} output {name:?} takes JSON objects; item {i} is not an \
                             object"
                        ))
                    }
                }
            }
            Ok(match <[Value; 1]>::try_from(documents) {
                Ok([one]) => one,
                Err(many) => Value::Array(many),
            })
        }
    }
}

/// Messages as an array, one element each, which the host hands over as they are. `raw_json`:
/// JSON objects and arrays go in as values (for a binding whose collector type is unknown: a
/// collector of JSON objects needs them so, one of strings writes their text) rather than as
/// their compact text. Other JSON goes as its text either way: a collector of strings would
/// write a value as .NET prints it (`true` as `True`, `1.50` as `1.5`, null as nothing), and
/// one of objects takes none.
fn messages(binding: &Binding, value: Output, raw_json: bool) -> Result<Value, String> {
    let name = &binding.name;
    let kind = &binding.kind;
    let mut elements = Vec::new();
    for (i, item) in value.items().into_iter().enumerate() {
        elements.push(match item {
            Item::Text(s) => Value::String(s),
            Item::Json(v @ (Value::Object(_) | Value::Array(_))) if raw_json => v,
            Item::Json(v) => Value::String(v.to_json()),
            Item::Bytes(b) => Value::String(String::from_utf8(b).map_err(|e| {
                format!(
                    "message {i} of the {kind} output {name:?} is {} bytes that are not UTF-8, \
                     which the host cannot carry here (bytes go through only as the single \
                     value of a queue or eventHub output without dataType binary)",
                    e.as_bytes().len()
                )
            })?),
        });
    }
    Ok(Value::Array(elements))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::azure::appfiles::parse_function_json;

    /// A timer function with one output of each kind (also `host_outputs`' fixture).
    pub(crate) fn config() -> FunctionConfig {
        parse_function_json(
            "F",
            br#"{"bindings":[{"type":"httpTrigger","direction":"in","name":"t"},
            {"type":"blob","direction":"out","name":"blob"},
            {"type":"blob","direction":"out","name":"textBlob","dataType":"binary"},
            {"type":"queue","direction":"out","name":"queue"},
            {"type":"queue","direction":"out","name":"literalQueue","dataType":"binary"},
            {"type":"eventHub","direction":"out","name":"hub"},
            {"type":"serviceBus","direction":"out","name":"bus"},
            {"type":"cosmosDB","direction":"out","name":"doc"},
            {"type":"table","direction":"out","name":"row"},
            {"type":"kafka","direction":"out","name":"other"},
            {"type":"http","direction":"out","name":"res"},
            {"type":"queue","direction":"out","name":"$return"}]}"#,
        )
        .unwrap()
    }

    fn j(text: &str) -> Value {
        json::parse(text.as_bytes()).unwrap()
    }

    fn number(text: &str) -> Value {
        Value::Number(text.to_string())
    }

    fn nan() -> Value {
        number(&f64::NAN.to_string())
    }

    #[test]
    fn numbers_that_are_json_pass_and_others_do_not() {
        let valid = [
            "0",
            "-0",
            "1e400",
            "-12.340e+10",
            "1.5E-3",
            "18446744073709551616",
        ];
        for text in valid {
            assert_eq!(
                one("doc", Value::object([("n", number(text))]).into()).map(|_| ()),
                Ok(())
            );
        }
        let invalid = [
            "", "-", "01", "1.", ".5", "1e", "+1", " 1", "1 ", "NaN", "inf", "1,5",
        ];
        for text in invalid {
            let value = Value::Array(vec![Value::Null, Value::object([("n", number(text))])]);
            assert_eq!(value.invalid_number(), Some(text), "{text:?}");
            assert!(one("other", value.into()).is_err(), "{text:?}");
        }
        assert_eq!(j(r#"[1,{"a":-0.5e-7}]"#).invalid_number(), None);
    }

    fn one(name: &str, value: Output) -> Result<String, String> {
        encode(config().output(name).unwrap(), value).map(|v| v.to_json())
    }

    #[test]
    fn each_kind_is_written_so_the_binding_gets_the_value_as_set() {
        let many = || Output::Many(vec!["a".into(), j(r#"{"n":1}"#).into()]);
        let cases: &[(&str, Output, &str)] = &[
            // Blob: bytes as base64, which the host decodes; text and JSON as their bytes.
            ("blob", "hi".into(), r#""aGk=""#),
            ("blob", vec![0u8, 255].into(), r#""AP8=""#),
            ("blob", j(r#"{"a":[1, 2]}"#).into(), r#""eyJhIjpbMSwyXX0=""#),
            // dataType binary: the host writes the string's UTF-8 as it is.
            ("textBlob", "hi".into(), r#""hi""#),
            ("textBlob", b"hi".to_vec().into(), r#""hi""#),
            // A queue message: one element, never decoded; bytes alone, as base64.
            ("queue", "test".into(), r#"["test"]"#),
            (
                "queue",
                j(r#"{"orderId": 7}"#).into(),
                r#"["{\"orderId\":7}"]"#,
            ),
            ("queue", vec![0u8, 1].into(), r#""AAE=""#),
            ("queue", many(), r#"["a","{\"n\":1}"]"#),
            ("literalQueue", b"ok".to_vec().into(), r#"["ok"]"#),
            ("bus", "test".into(), r#"["test"]"#),
            ("bus", b"ok".to_vec().into(), r#"["ok"]"#),
            // Documents: objects as they are, text parsed, several as an array.
            ("doc", j(r#"{"id":"7"}"#).into(), r#"{"id":"7"}"#),
            ("doc", r#"{"id":"7"}"#.into(), r#"{"id":"7"}"#),
            (
                "doc",
                j(r#"[{"id":"1"},{"id":"2"}]"#).into(),
                r#"[{"id":"1"},{"id":"2"}]"#,
            ),
            (
                "doc",
                Output::Many(vec![j(r#"{"id":"1"}"#).into(), r#"{"id":"2"}"#.into()]),
                r#"[{"id":"1"},{"id":"2"}]"#,
            ),
            ("doc", Output::Many(vec![]), "[]"),
            // Unknown types: objects and arrays inside an array, as values; other JSON as text.
            ("other", many(), r#"["a",{"n":1}]"#),
            (
                "other",
                Output::Many(vec![
                    j("true").into(),
                    j("1.50").into(),
                    Value::Null.into(),
                    j(r#""s""#).into(),
                    j("[1]").into(),
                ]),
                r#"["true","1.50","null","\"s\"",[1]]"#,
            ),
            ("$return", "done".into(), r#"["done"]"#),
        ];
        for (name, value, expected) in cases {
            assert_eq!(
                one(name, value.clone()).as_deref(),
                Ok(*expected),
                "{name} {value:?}"
            );
        }
    }

    #[test]
    fn values_a_binding_cannot_carry_exactly_are_refused_with_a_reason() {
        let cases: &[(&str, Output, &str)] = &[
            ("res", "x".into(), "\"res\" is the HTTP response"),
            (
                "blob",
                Output::Many(vec!["a".into()]),
                "the blob output \"blob\" takes one value, not 1 items",
            ),
            (
                "textBlob",
                vec![0xffu8].into(),
                "the blob output \"textBlob\" has dataType binary",
            ),
            (
                "textBlob",
                "2025-01-01T12:00:00Z".into(),
                "the blob output \"textBlob\" has dataType binary, so the host reads its \
                 content \"2025-01-01T12:00:00Z\" as JSON, where it is a date",
            ),
            // Bytes become `System.Byte[]` in Service Bus, and are never decoded in an array.
            (
                "bus",
                vec![0xffu8].into(),
                "message 0 of the serviceBus output \"bus\" is 1 bytes",
            ),
            (
                "queue",
                Output::Many(vec!["a".into(), vec![0xffu8].into()]),
                "message 1 of the queue output \"queue\" is 1 bytes",
            ),
            (
                "doc",
                "not json".into(),
                "the cosmosDB output \"doc\" takes JSON objects; item 0 is not JSON",
            ),
            (
                "doc",
                j("[1]").into(),
                "the cosmosDB output \"doc\" takes JSON objects; item 0 is not an object",
            ),
            (
                "doc",
                Output::Many(vec![j("{}").into(), j("\"x\"").into()]),
                "item 1 is not an object",
            ),
            // A number built by hand that is not JSON: the writer would copy it as it is.
            (
                "doc",
                Value::object([("id", "1".into()), ("n", nan())]).into(),
                "the output \"doc\" holds the number \"NaN\", which is not JSON",
            ),
            (
                "queue",
                Output::Many(vec!["a".into(), Value::Array(vec![number("")]).into()]),
                "the output \"queue\" holds the number \"\", which is not JSON",
            ),
            (
                "other",
                number(&f64::NEG_INFINITY.to_string()).into(),
                "the output \"other\" holds the number \"-inf\", which is not JSON",
            ),
            ("$return", number("1.").into(), "holds the number \"1.\""),
            ("blob", number("0x10").into(), "holds the number \"0x10\""),
        ];
        for (name, value, reason) in cases {
            let error = one(name, value.clone()).unwrap_err();
            assert!(error.contains(reason), "{name}: {error}");
        }
    }

    #[test]
    fn encode_all_checks_names_against_function_json() {
        let set = |outputs: Vec<(&str, Output)>| {
            let outputs = outputs
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect();
            encode_all(&config(), outputs)
        };
        let encoded = set(vec![("queue", "a".into()), (RETURN, "b".into())]).unwrap();
        assert_eq!(encoded.outputs, [("queue".to_string(), j(r#"["a"]"#))]);
        assert_eq!(encoded.return_value, Some(j(r#"["b"]"#)));

        let errors = set(vec![
            ("Queue", "a".into()),
            ("nope", "b".into()),
            ("queue", "fine".into()),
            ("t", "c".into()),
        ])
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "set the output \"Queue\", which its function.json does not declare (outputs: \
                 blob, textBlob, queue, literalQueue, hub, bus, doc, row, other, res, \
                 $return); did you mean \"queue\"? the host matches output names exactly",
                "set the output \"nope\", which its function.json does not declare (outputs: \
                 blob, textBlob, queue, literalQueue, hub, bus, doc, row, other, res, $return)",
                "set the output \"t\", which its function.json does not declare (outputs: \
                 blob, textBlob, queue, literalQueue, hub, bus, doc, row, other, res, $return); \
                 function.json declares \"t\" with \"direction\": \"in\", and an output needs \
                 \"out\"",
            ]
        );
        let timer =
            parse_function_json("T", br#"{"bindings":[{"type":"timerTrigger","name":"t"}]}"#)
                .unwrap();
        assert_eq!(
            encode_all(&timer, vec![(RETURN.to_string(), "x".into())]).unwrap_err(),
            ["set a return value, but its function.json has no \"$return\" binding (outputs: none)"]
        );
    }

    #[test]
    fn too_many_items_fail_the_invocation() {
        // The limit itself is allowed, counted over all the outputs.
        let at_limit = vec![
            (
                "queue".to_string(),
                Output::Many(vec![Output::from("m"); MAX_OUTPUT_ITEMS - 1]),
            ),
            ("hub".to_string(), Output::from("m")),
        ];
        assert!(encode_all(&config(), at_limit).is_ok());
        let items = vec![Output::from("m"); MAX_OUTPUT_ITEMS + 1];
        let errors =
            encode_all(&config(), vec![("queue".to_string(), Output::Many(items))]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("MAX_OUTPUT_ITEMS"), "{}", errors[0]);
    }

    #[test]
    fn setting_an_output_twice_writes_both() {
        let both = Output::from("a").append(Output::Many(vec!["b".into(), "c".into()]));
        assert_eq!(one("queue", both).as_deref(), Ok(r#"["a","b","c"]"#));
    }
}
