//! The host's side of a reply: what each output binding of a function receives from a
//! payload-mode reply `{"Outputs":{...},"ReturnValue":...}`, read the way the Functions host
//! reads it (azure-bindings.md §1.3, §3). For a local host that shows a call's outputs by
//! binding name and checks them against function.json, and for tests that check the handler
//! writes what it means to.
//!
//! The host's rules, in order:
//! 1. Only declared output bindings are read, by exact, case-sensitive name; other keys of
//!    `Outputs` are ignored without a word. `$return` comes from `ReturnValue`, never from
//!    `Outputs`. A missing or `null` value writes nothing.
//! 2. A top-level string is tried with .NET's `Convert.FromBase64String` unless the binding
//!    has `dataType: binary`; if it decodes, the binding gets the bytes.
//! 3. A blob gets one stream: bytes as they are, a string as UTF-8, an object or array as
//!    compact JSON. Collectors (queues, documents...) get one item per element of an array or
//!    of a string holding a JSON array, else one item; a string collector writes an object as
//!    indented JSON and bytes as the text `System.Byte[]` (host#3125); a JSON-object collector
//!    fails on anything that is not an object.
//! 4. Without a `$return` binding, a `ReturnValue` that is an object is spread over `Outputs`
//!    (each member overwrites the output of its name, skipping step 2) *(inference)*.
//!
//! The HTTP output (`res`) is not read here: it is the response, read by the local host as the
//! host's HTTP layer reads it.

use crate::azure::appfiles::{Binding, FunctionConfig};
use crate::azure::base64;
use crate::azure::bindings::{output_kind, OutputKind, RETURN};
use crate::azure::json::{self, Value};

/// What one output binding receives from a reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The binding's name, as function.json spells it.
    pub name: String,
    /// Its `type`.
    pub kind: String,
    /// What it receives: the blob's one stream, or one item per message or document.
    pub items: Vec<Item>,
    /// The host base64-decoded the value (a top-level string), so these are its bytes.
    pub decoded_base64: bool,
    /// What the host does that a function may not expect (indented JSON, `System.Byte[]`...).
    pub notes: Vec<String>,
}

/// One thing a binding receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Bytes: a blob's stream, a queue or Event Hubs message built from bytes.
    Bytes(Vec<u8>),
    /// Text: a message built from a string.
    Text(String),
    /// A JSON object: a document, an entity, an event, a row.
    Json(Value),
}

/// What the host makes of a whole reply's outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The declared output bindings that receive something, in function.json order.
    pub written: Vec<Written>,
    /// `Outputs` keys the host ignores (no declared output of that exact name), each with why.
    pub ignored: Vec<String>,
    /// Outputs the host cannot write: each fails the invocation after the handler answered,
    /// though outputs written before it stay written (azure-bindings.md §1.3, step 6).
    pub errors: Vec<String>,
}

/// Reads the outputs of `reply` (the handler's JSON result) for `function`.
pub fn read_outputs(function: &FunctionConfig, reply: &Value) -> Reading {
    let mut reading = Reading::default();
    let outputs = reply.get_ignore_case("Outputs").and_then(Value::as_object);
    let outputs = outputs.unwrap_or_default();
    let return_value = reply
        .get_ignore_case("ReturnValue")
        .filter(|v| **v != Value::Null);
    let has_return = function.output(RETURN).is_some();
    for (key, _) in outputs {
        let reason = if key == RETURN {
            Some("the host reads $return from ReturnValue, not Outputs".to_string())
        } else if function.output(key).is_none() {
            let near = function
                .outputs()
                .find(|b| b.name.eq_ignore_ascii_case(key));
            Some(match near {
                Some(b) => format!(
                    "no output is named exactly {key:?} (function.json has {:?})",
                    b.name
                ),
                None => format!("function.json declares no output {key:?}"),
            })
        } else {
            None
        };
        if let Some(reason) = reason {
            reading.ignored.push(format!("{key}: {reason}"));
        }
    }
    // Rule 4: a ReturnValue object without a $return binding overwrites outputs by name.
    let spread = return_value
        .filter(|_| !has_return)
        .and_then(Value::as_object)
        .unwrap_or_default();
    for binding in function.outputs() {
        if output_kind(binding) == OutputKind::Http {
            continue;
        }
        let from_spread = spread
            .iter()
            .find(|(n, _)| *n == binding.name)
            .map(|(_, v)| v);
        let value = if binding.name == RETURN {
            return_value
        } else if from_spread.is_some() {
            from_spread
        } else {
            outputs
                .iter()
                .find(|(n, _)| *n == binding.name)
                .map(|(_, v)| v)
        };
        let Some(value) = value.filter(|v| **v != Value::Null) else {
            continue;
        };
        match written(binding, value, from_spread.is_none()) {
            Ok(written) => reading.written.push(written),
            Err(reason) => reading.errors.push(format!("{}: {reason}", binding.name)),
        }
    }
    reading
}

/// A value as the host holds it after its base64 step.
enum Held {
    Bytes(Vec<u8>),
    Json(Value),
}

/// What `binding` receives from `value`; `base64_step`: rule 2 applies.
fn written(binding: &Binding, value: &Value, base64_step: bool) -> Result<Written, String> {
    let held = match value {
        Value::String(text) if base64_step && !binding.is_binary() => {
            match base64::decode_dotnet(text) {
                Some(bytes) => Held::Bytes(bytes),
                None => Held::Json(value.clone()),
            }
        }
        _ => Held::Json(value.clone()),
    };
    let decoded_base64 = matches!(held, Held::Bytes(_));
    let kind = output_kind(binding);
    let mut notes = Vec::new();
    let items = if kind == OutputKind::Blob {
        vec![Item::Bytes(blob_bytes(held, &mut notes)?)]
    } else {
        let mut items = Vec::new();
        for (i, item) in enumerate(held).into_iter().enumerate() {
            items.push(collect(binding, kind, i, item, &mut notes)?);
        }
        items
    };
    if let Some(date) = first_date(value).filter(|_| !decoded_base64) {
        notes.push(format!(
            "the host reads the reply with JSON.NET, which may read {date:?} as a date and \
             rewrite it (README, Bindings): send a Unix time, or a date in another format"
        ));
    }
    Ok(Written {
        name: binding.name.clone(),
        kind: binding.kind.clone(),
        items,
        decoded_base64,
        notes,
    })
}

/// The bytes a blob receives from a value as the host holds it (`FunctionBinding`'s
/// `ConvertValueToStream`): bytes as they are, a string as UTF-8, an object or array as its
/// compact JSON; a number or boolean as its raw binary (a `long` cut to a 4-byte int, a
/// `double`'s 8 bytes, a `bool`'s one byte), noted.
///
/// # Errors
/// A value the conversion has no case for, which fails the invocation: a string JSON.NET read
/// as a date, or an integer past a `long` (a `BigInteger`).
fn blob_bytes(held: Held, notes: &mut Vec<String>) -> Result<Vec<u8>, String> {
    let text = match held {
        Held::Bytes(bytes) => return Ok(bytes),
        Held::Json(v @ (Value::Object(_) | Value::Array(_))) => {
            return Ok(v.to_json().into_bytes())
        }
        Held::Json(Value::String(text)) => text,
        Held::Json(Value::Bool(b)) => {
            notes.push("a boolean is written to a blob as one byte, not as its text".into());
            return Ok(vec![u8::from(b)]);
        }
        Held::Json(Value::Number(n)) => {
            let bytes = if n.contains(['.', 'e', 'E']) {
                n.parse::<f64>().map(|x| x.to_le_bytes().to_vec()).ok()
            } else {
                // Truncated as `unchecked((int)(long)value)` does.
                n.parse::<i64>()
                    .map(|x| (x as i32).to_le_bytes().to_vec())
                    .ok()
            };
            let Some(bytes) = bytes else {
                return Err(format!(
                    "{n} is a BigInteger to the host, which it cannot write to a blob"
                ));
            };
            notes.push(format!(
                "a number is written to a blob as {} bytes of raw binary, not as its text",
                bytes.len()
            ));
            return Ok(bytes);
        }
        // A null writes nothing: `read_outputs` never gets here with one.
        Held::Json(Value::Null) => return Ok(Vec::new()),
    };
    if reads_as_date(&text) {
        return Err(format!(
            "JSON.NET reads {text:?} as a date, which the host cannot write to a blob \
             (ConvertValueToStream has no case for a DateTime)"
        ));
    }
    Ok(text.into_bytes())
}

/// Whether JSON.NET's reader, as the host reads a reply, takes the string `s` for a date.
pub(crate) fn reads_as_date(s: &str) -> bool {
    is_iso_date(s) || is_microsoft_date(s)
}

/// The first string in `value`, at any depth, that JSON.NET's reader takes for a date
/// (`DateParseHandling.DateTime`, its default and the host's): ISO 8601 as
/// `yyyy-MM-ddTHH:mm:ss`, with up to seven digits of fraction and a `Z` or `±HH:mm` zone, or
/// Microsoft's `/Date(ticks)/`.
fn first_date(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) if reads_as_date(s) => Some(s),
        Value::Array(items) => items.iter().find_map(first_date),
        Value::Object(members) => members.iter().find_map(|(_, v)| first_date(v)),
        _ => None,
    }
}

/// Whether JSON.NET reads `s` as an ISO 8601 date (`DateTimeParser.Parse`): the shape, and a
/// date and time that exist (month 13 or 25:00 stay strings).
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    let number = |range: std::ops::Range<usize>| {
        let digits = b.get(range)?;
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
        })
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let (Some(hour), Some(minute), Some(second)) = (number(11..13), number(14..16), number(17..19))
    else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let shape = at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':');
    let exists = year >= 1 && (1..=12).contains(&month) && (1..=days).contains(&day);
    let time = minute < 60 && second < 60 && (hour < 24 || hour == 24 && minute + second == 0);
    if !(shape && exists && time) {
        return false;
    }
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|d| d.is_ascii_digit()).count();
        if !(1..=7).contains(&n) {
            return false;
        }
        rest = &tail[n..];
    }
    // A zone: Z, or an offset as +HH, +HHmm or +HH:mm.
    let all_digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    match rest {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', zone @ ..] => match zone {
            [h1, h2, b':', m1, m2] => all_digits(&[*h1, *h2, *m1, *m2]),
            _ => matches!(zone.len(), 2 | 4) && all_digits(zone),
        },
        _ => false,
    }
}

/// Whether `s` is Microsoft's JSON date, `/Date(1735732800000)/` or with an offset
/// (`/Date(1735732800000+0100)/`), which JSON.NET's reader also takes for a date.
fn is_microsoft_date(s: &str) -> bool {
    let Some(inner) = s.strip_prefix("/Date(").and_then(|s| s.strip_suffix(")/")) else {
        return false;
    };
    let ticks = inner.strip_prefix('-').unwrap_or(inner);
    let digits = ticks.bytes().take_while(u8::is_ascii_digit).count();
    let offset = &ticks.as_bytes()[digits..];
    digits > 0
        && match offset {
            [] => true,
            [b'+' | b'-', zone @ ..] => zone.len() == 4 && zone.iter().all(u8::is_ascii_digit),
            _ => false,
        }
}

/// A JSON string, number or boolean as the host's .NET prints the value JSON.NET read it into
/// (`ToString()`, or `(string)` of a `JValue`): a string as it is, a boolean as `True` or
/// `False`, a number as `dotnet_number` prints it. `None` for null, objects and arrays.
pub fn dotnet_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(dotnet_number(n)),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        _ => None,
    }
}

/// A JSON number as .NET prints the value JSON.NET reads it into: an integer (a `long`, or
/// past one a `BigInteger`) as written; any other a `double`, printed as .NET Core's
/// `double.ToString()` does: its shortest round-trip digits, in `E+XX` notation when the
/// point would fall more than 15 (or the digit count) places left of them or 5 right of the
/// first digit (`1.50` is `1.5`, `1e15` is `1E+15`, `0.00001` is `1E-05`, `2.0` is `2`).
pub fn dotnet_number(n: &str) -> String {
    if !n.contains(['.', 'e', 'E']) {
        // `-0` reads as the long 0.
        return if n == "-0" {
            "0".to_string()
        } else {
            n.to_string()
        };
    }
    let Ok(x) = n.parse::<f64>() else {
        return n.to_string();
    };
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}Infinity");
    }
    if x == 0.0 {
        return format!("{sign}0");
    }
    // Rust's `{:e}` is the shortest round-trip form too: `1.5e0`, `1e15`, `1.25e-7`.
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // Where the point falls after the first `scale` digits (`Number.FormatGeneral`).
    let scale = exponent + 1;
    let zeros = |n: i32| "0".repeat(usize::try_from(n).unwrap_or(0));
    let text = if scale > count.max(15) || scale < -3 {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{fraction}E{exponent_sign}{:02}", exponent.abs())
    } else if scale <= 0 {
        format!("0.{}{digits}", zeros(-scale))
    } else if scale >= count {
        format!("{digits}{}", zeros(scale - count))
    } else {
        let (whole, fraction) = digits.split_at(usize::try_from(scale).unwrap_or(0));
        format!("{whole}.{fraction}")
    };
    format!("{sign}{text}")
}

/// The host's `ReadAsEnumerable`: an array's elements; a string that looks like JSON parsed
/// (an array's elements, or its object); else the value itself.
fn enumerate(held: Held) -> Vec<Held> {
    match held {
        Held::Json(Value::Array(items)) => items.into_iter().map(Held::Json).collect(),
        Held::Json(Value::String(text)) if text.trim_start().starts_with(['{', '[']) => {
            match json::parse(text.as_bytes()) {
                Ok(Value::Array(items)) => items.into_iter().map(Held::Json).collect(),
                Ok(object @ Value::Object(_)) => vec![Held::Json(object)],
                _ => vec![Held::Json(Value::String(text))],
            }
        }
        held => vec![held],
    }
}

/// One item as the collector of `kind` receives it.
fn collect(
    binding: &Binding,
    kind: OutputKind,
    i: usize,
    item: Held,
    notes: &mut Vec<String>,
) -> Result<Item, String> {
    // Collectors of JSON objects; the other document bindings parse a string item.
    let objects_only = ["cosmosDB", "documentDB", "signalR", "sql"]
        .iter()
        .any(|kind| binding.is(kind));
    match (kind, item) {
        (OutputKind::Documents, Held::Json(v @ Value::Object(_))) => Ok(Item::Json(v)),
        (OutputKind::Documents, Held::Json(Value::String(text))) if !objects_only => {
            match json::parse(text.as_bytes()) {
                Ok(v @ Value::Object(_)) => Ok(Item::Json(v)),
                _ => Err(format!("item {i} is text that is not a JSON object")),
            }
        }
        (OutputKind::Documents, _) => Err(format!("item {i} is not a JSON object")),
        (OutputKind::ByteMessages, Held::Bytes(bytes)) => Ok(Item::Bytes(bytes)),
        (_, Held::Bytes(_)) => {
            notes.push(format!(
                "item {i}: bytes become the text System.Byte[] in a {} output (host#3125)",
                binding.kind
            ));
            Ok(Item::Text("System.Byte[]".to_string()))
        }
        (_, Held::Json(value)) => Ok(Item::Text(match value {
            Value::Null => String::new(),
            value @ (Value::Object(_) | Value::Array(_)) => {
                notes.push(format!("item {i}: JSON is written as indented text"));
                value.to_json_indented()
            }
            scalar => dotnet_text(&scalar).unwrap_or_default(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::appfiles::parse_function_json;
    use crate::azure::outputs::tests::config as function;
    use crate::azure::outputs::{encode_all, Output};

    fn j(text: &str) -> Value {
        json::parse(text.as_bytes()).unwrap()
    }

    fn read(reply: &str) -> Reading {
        read_outputs(&function(), &j(reply))
    }

    fn text(t: &str) -> Item {
        Item::Text(t.to_string())
    }

    /// The items the output `name` receives in `reading`.
    fn by_name_in(reading: &Reading, name: &str) -> Vec<Item> {
        let written = reading.written.iter().find(|w| w.name == name);
        written.map(|w| w.items.clone()).unwrap_or_default()
    }

    #[test]
    fn numbers_as_dotnet_prints_them() {
        let cases = [
            ("7", "7"),
            ("-0", "0"),
            ("12345678901234567890", "12345678901234567890"),
            ("1.50", "1.5"),
            ("2.0", "2"),
            ("-0.0", "-0"),
            ("1e2", "100"),
            ("0.1", "0.1"),
            ("0.0001", "0.0001"),
            ("0.00001", "1E-05"),
            ("-1.25e-7", "-1.25E-07"),
            ("1e14", "100000000000000"),
            ("1e15", "1E+15"),
            ("123456789012345678.0", "1.2345678901234568E+17"),
            ("12345678901234567.0", "12345678901234568"),
            ("1.7976931348623157e308", "1.7976931348623157E+308"),
            ("1e999", "Infinity"),
        ];
        for (json, printed) in cases {
            assert_eq!(dotnet_number(json), printed, "{json}");
        }
    }

    #[test]
    fn a_string_json_net_reads_as_a_date_is_noted() {
        for date in [
            "2025-01-01T12:00:00",
            "2025-01-01T12:00:00Z",
            "2025-01-01T12:00:00.1234567Z",
            "2025-01-01T12:00:00.5+01:00",
            "2025-01-01T12:00:00-0130",
            "2025-01-01T12:00:00+01",
            "2024-02-29T00:00:00",
            // A century is a leap year every 400 years.
            "2000-02-29T00:00:00",
        ] {
            assert!(is_iso_date(date), "{date}");
        }
        for date in [
            "/Date(1735732800000)/",
            "/Date(-1)/",
            "/Date(1735732800000+0100)/",
        ] {
            assert!(is_microsoft_date(date), "{date}");
        }
        for not in ["/Date()/", "/Date(12)", "/Date(1+01)/", "Date(1)/"] {
            assert!(!is_microsoft_date(not), "{not}");
        }
        for not in [
            "2025-01-01",
            "2025-01-01 12:00:00",
            "2025-01-01T12:00",
            "2025-01-01T12:00:00.",
            "2025-01-01T12:00:00.12345678",
            "2025-01-01T12:00:00+1",
            "2025-01-01T12:00:00+01:0",
            "2025-01-01T12:00:00Zx",
            "x2025-01-01T12:00:00",
            "2025-13-01T12:00:00",
            "2025-02-29T12:00:00",
            "1900-02-29T12:00:00",
            "2025-04-31T12:00:00",
            "0000-01-01T12:00:00",
            "2025-01-01T25:00:00",
            "2025-01-01T12:60:00",
            "2025-01-01T24:30:00",
            "2025-01-01T24:01:01",
            "2025-01-01T12:00:60",
        ] {
            assert!(!is_iso_date(not), "{not}");
        }
        // At any depth of the value as sent; not inside a string of JSON, which JSON.NET
        // reads as a string.
        let reading = read(
            r#"{"Outputs":{"row":{"PartitionKey":"p","RowKey":"2025-01-01T12:00:00.5Z"},
            "queue":["{\"at\":\"2025-01-01T12:00:00Z\"}"],"bus":["a",["2025-01-01T12:00:00"]]}}"#,
        );
        let notes = |name: &str| {
            let written = reading.written.iter().find(|w| w.name == name).unwrap();
            written.notes.clone()
        };
        assert_eq!(
            notes("row"),
            ["the host reads the reply with JSON.NET, which may read \"2025-01-01T12:00:00.5Z\" \
              as a date and rewrite it (README, Bindings): send a Unix time, or a date in another \
              format"]
        );
        assert!(notes("queue").is_empty());
        assert!(notes("bus")
            .iter()
            .any(|n| n.contains("\"2025-01-01T12:00:00\" as a date")));
    }

    /// azure-bindings.md §3's example, read item by item.
    #[test]
    fn the_research_example_reads_as_documented() {
        let reading = read(
            r#"{"Outputs":{"queue":["first message",{"orderId":7}],"blob":"aGVsbG8=",
            "doc":{"id":"7","status":"done"},"bus":"order 7 done.","Queue":"x"},
            "Logs":["processed 7"],"ReturnValue":null}"#,
        );
        let by_name = |name: &str| reading.written.iter().find(|w| w.name == name).unwrap();
        assert_eq!(
            by_name("queue").items,
            [text("first message"), text("{\n  \"orderId\": 7\n}")]
        );
        assert_eq!(
            by_name("queue").notes,
            ["item 1: JSON is written as indented text"]
        );
        assert_eq!(by_name("blob").items, [Item::Bytes(b"hello".to_vec())]);
        assert!(by_name("blob").decoded_base64);
        assert_eq!(
            by_name("doc").items,
            [Item::Json(j(r#"{"id":"7","status":"done"}"#))]
        );
        assert_eq!(by_name("bus").items, [text("order 7 done.")]);
        assert_eq!(
            reading.ignored,
            ["Queue: no output is named exactly \"Queue\" (function.json has \"queue\")"]
        );
        assert!(reading.errors.is_empty());
    }

    #[test]
    fn the_hosts_surprises() {
        let reading = read(
            r#"{"Outputs":{"queue":"test","bus":"dGVzdA==","doc":["x"],"other":"[1,true]",
            "$return":"ignored","nope":1},"ReturnValue":"abcd"}"#,
        );
        let by_name = |name: &str| reading.written.iter().find(|w| w.name == name).unwrap();
        // "test" is valid base64: three bytes of garbage, not the word.
        assert_eq!(
            by_name("queue").items,
            [Item::Bytes(vec![0xb5, 0xeb, 0x2d])]
        );
        assert_eq!(by_name("bus").items, [text("System.Byte[]")]);
        assert_eq!(by_name("other").items, [text("1"), text("True")]);
        // A number a collector of strings takes is the double JSON.NET read, printed by .NET.
        let numbers = read(r#"{"Outputs":{"queue":[1.50,1e15,7]}}"#);
        assert_eq!(
            numbers.written[0].items,
            [text("1.5"), text("1E+15"), text("7")]
        );
        assert_eq!(by_name(RETURN).items, [Item::Bytes(vec![0x69, 0xb7, 0x1d])]);
        assert_eq!(reading.errors, ["doc: item 0 is not a JSON object"]);
        assert_eq!(
            reading.ignored,
            [
                "$return: the host reads $return from ReturnValue, not Outputs",
                "nope: function.json declares no output \"nope\"",
            ]
        );
        // A blob takes a number or boolean as raw binary (a long as a 4-byte int), and fails
        // on a date and on an integer past a long.
        let raw = |reply: &str| {
            let reading = read(reply);
            assert!(reading.errors.is_empty(), "{reply}: {reading:?}");
            reading.written[0].items.clone()
        };
        assert_eq!(
            raw(r#"{"Outputs":{"blob":4294967303}}"#),
            [Item::Bytes(vec![7, 0, 0, 0])]
        );
        assert_eq!(
            raw(r#"{"Outputs":{"blob":1.5}}"#),
            [Item::Bytes(1.5f64.to_le_bytes().to_vec())]
        );
        assert_eq!(raw(r#"{"Outputs":{"blob":true}}"#), [Item::Bytes(vec![1])]);
        assert_eq!(
            read(r#"{"Outputs":{"textBlob":"2025-01-01T12:00:00Z"}}"#).errors,
            [
                "textBlob: JSON.NET reads \"2025-01-01T12:00:00Z\" as a date, which the host \
              cannot write to a blob (ConvertValueToStream has no case for a DateTime)"
            ]
        );
        assert_eq!(
            read(r#"{"Outputs":{"blob":12345678901234567890}}"#).errors,
            ["blob: 12345678901234567890 is a BigInteger to the host, which it cannot write to a \
              blob"]
        );
        // A string holding a JSON object is parsed to one item: a document, or for a string
        // collector the object's indented text. A table's collector also parses an array item
        // that is such a string (a Cosmos DB one, objects only, refuses it: `doc` above).
        let reading = read(
            r#"{"Outputs":{"literalQueue":"{\"a\":1}","doc":"{\"id\":\"1\"}",
            "row":["{\"PartitionKey\":\"p\",\"RowKey\":\"r\"}"]}}"#,
        );
        assert!(reading.errors.is_empty(), "{reading:?}");
        assert_eq!(
            by_name_in(&reading, "literalQueue"),
            [text("{\n  \"a\": 1\n}")]
        );
        assert_eq!(
            by_name_in(&reading, "doc"),
            [Item::Json(j(r#"{"id":"1"}"#))]
        );
        assert_eq!(
            by_name_in(&reading, "row"),
            [Item::Json(j(r#"{"PartitionKey":"p","RowKey":"r"}"#))]
        );
        // Nothing set, or null: nothing written.
        assert_eq!(
            read(r#"{"Outputs":{"queue":null},"ReturnValue":null}"#),
            Reading::default()
        );
    }

    #[test]
    fn a_return_value_object_without_a_return_binding_is_spread() {
        let function = parse_function_json(
            "F",
            br#"{"bindings":[{"type":"timerTrigger","name":"t"},
            {"type":"queue","direction":"out","name":"q"}]}"#,
        )
        .unwrap();
        let reading = read_outputs(
            &function,
            &j(r#"{"Outputs":{"q":["a"]},"ReturnValue":{"q":"dGVzdA=="}}"#),
        );
        // No base64 step for spread values.
        assert_eq!(reading.written[0].items, [text("dGVzdA==")]);
    }

    /// What the handler writes (`outputs::encode_all`) is what each binding receives: the
    /// encoder checked against the host's rules.
    #[test]
    fn every_value_the_handler_writes_arrives_as_set() {
        let doc = || j(r#"{"id":"7","tags":["a"]}"#);
        let cases: Vec<(&str, Output, Vec<Item>)> = vec![
            ("blob", "test".into(), vec![Item::Bytes(b"test".to_vec())]),
            (
                "blob",
                vec![0u8, 255, 10].into(),
                vec![Item::Bytes(vec![0, 255, 10])],
            ),
            (
                "blob",
                doc().into(),
                vec![Item::Bytes(doc().to_json().into_bytes())],
            ),
            (
                "textBlob",
                "test".into(),
                vec![Item::Bytes(b"test".to_vec())],
            ),
            ("queue", "test".into(), vec![text("test")]),
            (
                "queue",
                "{\"not\": \"parsed\"}".into(),
                vec![text("{\"not\": \"parsed\"}")],
            ),
            ("queue", doc().into(), vec![text(&doc().to_json())]),
            (
                "queue",
                vec![0u8, 255].into(),
                vec![Item::Bytes(vec![0, 255])],
            ),
            (
                "queue",
                Output::Many(vec!["a".into(), "abcd".into()]),
                vec![text("a"), text("abcd")],
            ),
            ("hub", "abcd".into(), vec![text("abcd")]),
            ("bus", "test".into(), vec![text("test")]),
            ("bus", b"bytes ok".to_vec().into(), vec![text("bytes ok")]),
            ("doc", doc().into(), vec![Item::Json(doc())]),
            (
                "doc",
                Output::Many(vec![doc().into(), doc().into()]),
                vec![Item::Json(doc()), Item::Json(doc())],
            ),
            (
                "row",
                r#"{"PartitionKey":"p","RowKey":"r"}"#.into(),
                vec![Item::Json(j(r#"{"PartitionKey":"p","RowKey":"r"}"#))],
            ),
            ("other", "abcd".into(), vec![text("abcd")]),
            ("other", j("true").into(), vec![text("true")]),
            ("other", j("1.50").into(), vec![text("1.50")]),
            ("other", Value::Null.into(), vec![text("null")]),
            ("$return", "test".into(), vec![text("test")]),
        ];
        for (name, value, expected) in cases {
            let encoded = encode_all(&function(), vec![(name.to_string(), value.clone())]).unwrap();
            let mut reply = String::from("{\"Outputs\":{");
            for (n, v) in &encoded.outputs {
                json::write_string(&mut reply, n);
                reply.push(':');
                v.write_to(&mut reply);
            }
            reply.push_str("},\"ReturnValue\":");
            reply.push_str(
                &encoded
                    .return_value
                    .map_or("null".to_string(), |v| v.to_json()),
            );
            reply.push('}');
            let reading = read(&reply);
            assert!(
                reading.errors.is_empty() && reading.ignored.is_empty(),
                "{name} {value:?}: {reading:?}"
            );
            assert_eq!(reading.written.len(), 1, "{name} {value:?}: {reply}");
            assert_eq!(
                reading.written[0].items, expected,
                "{name} {value:?}: {reply}"
            );
        }
    }
}
