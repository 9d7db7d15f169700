//! Strict JSON (RFC 8259) reader and writer, for host payloads and function bodies.
//!
//! The reader rejects everything the RFC does not allow (comments, trailing commas, leading
//! zeros, lone surrogates, invalid UTF-8, a byte order mark...) so that a malformed body is a
//! clear 400 rather than a guess. Numbers stay as their source text: the handler only passes
//! them along, and converting would lose precision (`2^53 + 1`, long decimals) for nothing.
//! Nesting, size and the number of values are capped (`JSON_MAX_*`, or a caller's `Limits`),
//! so no input can overflow the stack of a worker or cost many times its size in memory.

use crate::azure::limits::{
    INVOCATION_MAX_DEPTH, INVOCATION_MAX_VALUES, JSON_MAX_BYTES, JSON_MAX_DEPTH, JSON_MAX_VALUES,
    SERVICE_DATA_MAX_VALUES,
};
use std::fmt;

mod read;
mod write;

pub(crate) use read::Raw;
use read::Reader;
pub use write::write_string;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number exactly as written (validated against the RFC 8259 grammar), never converted.
    /// A value built by hand must hold valid number text: the writer copies it as-is (an
    /// output holding one that is not, `NaN` say, fails the invocation saying so).
    Number(String),
    /// A string, escapes decoded.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// Members in document order; a duplicate name keeps both entries, `get` returns the last.
    Object(Vec<(String, Value)>),
}

/// Why a document was rejected. Offsets count bytes from the start of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// The input holds no value (empty or whitespace only).
    Empty,
    /// The input ends inside a value.
    UnexpectedEnd,
    /// A byte that cannot start or continue a value here.
    UnexpectedByte {
        /// Where the byte is, from the start of the input.
        offset: usize,
    },
    /// A number outside the grammar; `offset` is where a digit was required.
    InvalidNumber {
        /// Where the digit was required.
        offset: usize,
    },
    /// An unknown escape or a `\u` without four hex digits; `offset` is the backslash.
    InvalidEscape {
        /// Where the backslash is.
        offset: usize,
    },
    /// A lone or mismatched surrogate escape, or invalid UTF-8 inside a string.
    InvalidUnicode {
        /// Where the escape or the byte is.
        offset: usize,
    },
    /// A raw control character (below U+0020) inside a string.
    ControlCharacter {
        /// Where the character is.
        offset: usize,
    },
    /// Something other than whitespace after the document.
    TrailingData {
        /// Where it starts.
        offset: usize,
    },
    /// Arrays and objects nested deeper than the limit.
    TooDeep {
        /// The most levels allowed (`Limits::depth`).
        limit: usize,
    },
    /// Input longer than the limit.
    TooLarge {
        /// The most bytes allowed (`Limits::bytes`).
        limit: usize,
    },
    /// More values than the limit (each costs far more memory than its text).
    TooManyValues {
        /// The most values allowed (`Limits::values`).
        limit: usize,
    },
}

/// How long, how deep and how many values a document may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of JSON text.
    pub bytes: usize,
    /// Deepest nesting of arrays and objects.
    pub depth: usize,
    /// Most values: numbers, strings, literals, arrays and objects, each counted once.
    pub values: usize,
}

impl Limits {
    /// For any document but the host's invocations: the `JSON_MAX_*` limits.
    pub const DOCUMENT: Limits = Limits {
        bytes: JSON_MAX_BYTES,
        depth: JSON_MAX_DEPTH,
        values: JSON_MAX_VALUES,
    };

    /// For reading again what was checked whole already (`Raw`): no limit.
    const CHECKED: Limits = Limits {
        bytes: usize::MAX,
        depth: usize::MAX,
        values: usize::MAX,
    };

    /// For a host's invocation, which carries a document's values up to twice and nests it
    /// deeper: `INVOCATION_MAX_DEPTH` and `INVOCATION_MAX_VALUES`. Its bytes are capped as any
    /// request body's, so a JSON body of more than half of `MAX_BODY_BYTES` cannot travel in
    /// one.
    pub const INVOCATION: Limits = Limits {
        bytes: JSON_MAX_BYTES,
        depth: INVOCATION_MAX_DEPTH,
        values: INVOCATION_MAX_VALUES,
    };

    /// For data from the app's own services, not a client (`SERVICE_DATA_MAX_VALUES`): a
    /// trigger's other than HTTP, an input binding's, and the invocation carrying them.
    pub const SERVICE: Limits = Limits {
        bytes: JSON_MAX_BYTES,
        depth: INVOCATION_MAX_DEPTH,
        values: SERVICE_DATA_MAX_VALUES,
    };
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use JsonError::*;
        match self {
            Empty => write!(f, "empty document"),
            UnexpectedEnd => write!(f, "unexpected end of input"),
            UnexpectedByte { offset } => write!(f, "unexpected byte at offset {offset}"),
            InvalidNumber { offset } => write!(f, "invalid number at offset {offset}"),
            InvalidEscape { offset } => write!(f, "invalid escape at offset {offset}"),
            InvalidUnicode { offset } => write!(f, "invalid unicode at offset {offset}"),
            ControlCharacter { offset } => write!(f, "control character at offset {offset}"),
            TrailingData { offset } => write!(f, "trailing data at offset {offset}"),
            TooDeep { limit } => write!(f, "nested deeper than the limit of {limit}"),
            TooLarge { limit } => write!(f, "larger than the limit of {limit} bytes"),
            TooManyValues { limit } => write!(f, "more values than the limit of {limit}"),
        }
    }
}

impl JsonError {
    /// Whether the document broke a limit (`JSON_MAX_*`) rather than the grammar: it may be
    /// valid JSON.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::TooDeep { .. } | Self::TooLarge { .. } | Self::TooManyValues { .. }
        )
    }
}

impl std::error::Error for JsonError {}

/// Parse one whole JSON document (leading/trailing whitespace allowed, nothing else after it).
///
/// # Errors
/// The first violation of RFC 8259 found, or the first limit (`Limits::DOCUMENT`) broken.
pub fn parse(input: &[u8]) -> Result<Value, JsonError> {
    parse_within(input, Limits::DOCUMENT)
}

/// `parse`, within `limits`.
///
/// # Errors
/// As `parse`.
pub fn parse_within(input: &[u8], limits: Limits) -> Result<Value, JsonError> {
    let mut reader = Reader::document(input, limits)?;
    let value = reader.value()?;
    reader.end()?;
    Ok(value)
}

impl Value {
    /// An object of `members`, in order: what a function builds for a document, a message or
    /// a table row, without spelling out `Value::Object(vec![("id".to_string(), ...)])`.
    ///
    /// ```
    /// use handler::json::Value;
    /// let row = Value::object([
    ///     ("RowKey", "7".into()),
    ///     ("Late", true.into()),
    ///     ("Tries", 3u64.into()),
    ///     ("Next", Option::<String>::None.into()),
    /// ]);
    /// assert_eq!(row.to_json(), r#"{"RowKey":"7","Late":true,"Tries":3,"Next":null}"#);
    /// ```
    pub fn object<K: Into<String>>(members: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Member lookup on an object, exact (case-sensitive) name; None for non-objects. Of
    /// duplicate names the last wins, as in the host's Json.NET (`JObject`, and `JTokenWriter`
    /// when it reads a reply's outputs): a function that checks a document's `id` checks the
    /// one the host writes (RFC 8259 §4 leaves duplicates to the reader).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let members = self.as_object()?;
        members.iter().rfind(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Member lookup ignoring ASCII case (the Functions host reads payload names
    /// case-insensitively); as in `get`, the last match in document order wins.
    pub fn get_ignore_case(&self, name: &str) -> Option<&Value> {
        let members = self.as_object()?;
        let found = members.iter().rfind(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v)
    }

    /// The first number, depth first, whose text is not a JSON number (a `Number` built by
    /// hand: `f64::NAN.to_string()`, an empty string), which the writer would copy into text
    /// that is not JSON; `None` if every number is one.
    pub(crate) fn invalid_number(&self) -> Option<&str> {
        match self {
            Value::Number(text) if !read::is_number(text) => Some(text),
            Value::Array(items) => items.iter().find_map(Value::invalid_number),
            Value::Object(members) => members.iter().find_map(|(_, v)| v.invalid_number()),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members of an object, in document order.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// Integers, as their decimal text (always a valid JSON number).
macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Value::Number(n.to_string())
            }
        }
    )*};
}
from_integer!(i32, i64, u32, u64, usize);

/// `None` is `null`: an optional member written as such.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::Array(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xorshift::{seed_from_env, Rng};
    use std::borrow::Cow;

    #[test]
    fn values_are_built_from_rust_values() {
        let built = Value::object([
            ("id", "7".into()),
            ("late", true.into()),
            ("tries", 3u64.into()),
            ("delta", (-2i64).into()),
            ("next", Option::<String>::None.into()),
            ("tags", vec![Value::from("a"), usize::MAX.into()].into()),
            ("owner", Some("ada").into()),
        ]);
        assert_eq!(
            built.to_json(),
            r#"{"id":"7","late":true,"tries":3,"delta":-2,"next":null,"tags":["a",18446744073709551615],"owner":"ada"}"#
        );
        // Numbers built so are valid JSON: the text parses back to the same value.
        assert_eq!(parse(built.to_json().as_bytes()), Ok(built));
        let keys = Value::object([(String::from("k"), Value::from(1i32))]);
        assert_eq!(keys.to_json(), r#"{"k":1}"#);
    }

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    fn n(text: &str) -> Value {
        Value::Number(text.to_string())
    }

    fn obj(members: &[(&str, Value)]) -> Value {
        let members = members.iter().map(|(k, v)| (k.to_string(), v.clone()));
        Value::Object(members.collect())
    }

    fn nested(depth: usize) -> String {
        "[".repeat(depth) + &"]".repeat(depth)
    }

    const AZURE_PAYLOAD: &str = r#"{"Data":{"req":{"Url":"http://localhost:7071/api/HelloRust?name=Rust","Method":"GET","Query":{"name":"Rust"},"Headers":{"Accept":["*/*"],"Host":["localhost:7071"],"User-Agent":["curl/8.5.0"]},"Params":{},"Identities":[{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}]}},"Metadata":{"name":"\"Rust\"","Query":{"name":"Rust"},"Headers":{"Accept":"*/*","Host":"localhost:7071","User-Agent":"curl/8.5.0"},"sys":{"MethodName":"HelloRust","UtcNow":"2025-01-01T12:00:00.0000000Z","RandGuid":"5d2f0000-0000-0000-0000-000000000000"}}}"#;

    fn accept_cases() -> Vec<(String, Value)> {
        let mut deep = Value::Array(vec![]);
        for _ in 1..JSON_MAX_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        let cases = vec![
            (r#"{"name": "Azure"}"#, obj(&[("name", s("Azure"))])),
            (r#"{"name":"\u00fc"}"#, obj(&[("name", s("ü"))])),
            (r#""\ud83d\ude00""#, s("😀")),
            (r#""\uD83D\uDE00""#, s("😀")),
            (r#""\"\\\/\b\f\n\r\t\u0000""#, s("\"\\/\u{8}\u{c}\n\r\t\0")),
            ("\"ü😀\u{7f}\u{2028}\"", s("ü😀\u{7f}\u{2028}")),
            (r#""""#, s("")),
            (r#""\uffff""#, s("\u{ffff}")),
            ("-0", n("-0")),
            ("1e5", n("1e5")),
            ("1.5E-3", n("1.5E-3")),
            ("0.0", n("0.0")),
            ("-12.340e+10", n("-12.340e+10")),
            ("98765432109876543210.5", n("98765432109876543210.5")),
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            (" \t\r\n null \n", Value::Null),
            ("[ ]", Value::Array(vec![])),
            ("{ }", obj(&[])),
            (
                r#"[1, [2, {"a": []}], "x"]"#,
                Value::Array(vec![
                    n("1"),
                    Value::Array(vec![n("2"), obj(&[("a", Value::Array(vec![]))])]),
                    s("x"),
                ]),
            ),
            (r#"{"a":1,"a":2}"#, obj(&[("a", n("1")), ("a", n("2"))])),
        ];
        let mut cases: Vec<(String, Value)> =
            cases.into_iter().map(|(t, v)| (t.to_string(), v)).collect();
        cases.push((nested(JSON_MAX_DEPTH), deep));
        cases
    }

    #[test]
    fn indented_text_is_json_nets() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"a":[1,{}],"b":{},"c":[]}"#,
                "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {},\n  \"c\": []\n}",
            ),
            (r#"[["x"]]"#, "[\n  [\n    \"x\"\n  ]\n]"),
            (
                r#"{"a":[1,{"b":null}]}"#,
                "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ]\n}",
            ),
            ("7", "7"),
        ];
        for (compact, indented) in cases {
            let value = parse(compact.as_bytes()).unwrap();
            assert_eq!(value.to_json_indented(), *indented, "{compact}");
            assert_eq!(value.to_json(), *compact, "{compact}");
        }
    }

    #[test]
    fn accepts() {
        for (input, expected) in accept_cases() {
            assert_eq!(parse(input.as_bytes()), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn rejects() {
        use JsonError::{Empty, UnexpectedEnd};
        let byte = |offset| JsonError::UnexpectedByte { offset };
        let num = |offset| JsonError::InvalidNumber { offset };
        let esc = |offset| JsonError::InvalidEscape { offset };
        let uni = |offset| JsonError::InvalidUnicode { offset };
        let ctl = |offset| JsonError::ControlCharacter { offset };
        let trail = |offset| JsonError::TrailingData { offset };
        let cases: &[(&[u8], JsonError, &str)] = &[
            (b"", Empty, "empty input"),
            (b" \t\r\n", Empty, "whitespace only"),
            (b"[1,]", byte(3), "trailing comma in array"),
            (b"{\"a\":1,}", byte(7), "trailing comma in object"),
            (b"// c\n1", byte(0), "line comment"),
            (b"[1 /* c */]", byte(3), "block comment"),
            (b"'a'", byte(0), "single-quoted string"),
            (b"{'a':1}", byte(1), "single-quoted name"),
            (b"01", num(1), "leading zero"),
            (b"-01", num(2), "leading zero after minus"),
            (b"+1", byte(0), "plus sign"),
            (b".5", byte(0), "no integer part"),
            (b"1.", num(2), "no fraction digits"),
            (b"1.e5", num(2), "no fraction digits before exponent"),
            (b"1e", num(2), "no exponent digits"),
            (b"1e+", num(3), "no exponent digits after sign"),
            (b"-", num(1), "minus alone"),
            (b"NaN", byte(0), "NaN"),
            (b"Infinity", byte(0), "Infinity"),
            (b"-Infinity", num(1), "-Infinity"),
            (b"0x10", trail(1), "hex number"),
            (b"True", byte(0), "literal case"),
            (b"nulL", byte(3), "literal case inside"),
            (b"nul", UnexpectedEnd, "truncated literal"),
            (b"truex", trail(4), "literal with extra letters"),
            (b"\x0c1", byte(0), "form feed is not whitespace"),
            (b"\xc2\xa01", byte(0), "no-break space is not whitespace"),
            (b"\"a\tb\"", ctl(2), "raw tab in string"),
            (b"\"\x00\"", ctl(1), "raw NUL in string"),
            (b"\"\\a\"", esc(1), "unknown escape"),
            (b"\"\\'\"", esc(1), "escaped single quote"),
            (b"\"\\x41\"", esc(1), "hex escape"),
            (b"\"\\U0041\"", esc(1), "upper-case u escape"),
            (b"\"\\u12\"", esc(1), "short unicode escape"),
            (b"\"\\u00G0\"", esc(1), "non-hex digit"),
            (b"\"\\ud83d\"", uni(1), "lone high surrogate"),
            (b"\"\\ude00\"", uni(1), "lone low surrogate"),
            (b"\"\\ud83dx\"", uni(1), "high surrogate then text"),
            (b"\"\\ud83d\\u0041\"", uni(1), "high then non-surrogate"),
            (b"\"\\ud83d\\ud83d\"", uni(1), "high then high"),
            (b"\"a\xff\"", uni(2), "invalid UTF-8 byte"),
            (b"\"\xc3\"", uni(1), "truncated UTF-8 sequence"),
            (b"\"\xc0\xaf\"", uni(1), "overlong UTF-8"),
            (b"\"\xed\xa0\x80\"", uni(1), "UTF-8 encoded surrogate"),
            (b"\xef\xbb\xbf{}", byte(0), "byte order mark"),
            (b"\xff", byte(0), "non-UTF-8 outside strings"),
            (b"{} x", trail(3), "trailing data"),
            (b"1 2", trail(2), "two documents"),
            (b"\"abc", UnexpectedEnd, "unterminated string"),
            (b"\"\\", UnexpectedEnd, "unterminated escape"),
            (b"[1", UnexpectedEnd, "unterminated array"),
            (b"{\"a\"", UnexpectedEnd, "object ends after name"),
            (b"{\"a\":", UnexpectedEnd, "object ends after colon"),
            (b"{1:2}", byte(1), "number as name"),
            (b"{\"a\" 1}", byte(5), "missing colon"),
            (b"{\"a\":1 \"b\":2}", byte(7), "missing comma in object"),
            (b"[1 2]", byte(3), "missing comma in array"),
            (b"[,1]", byte(1), "leading comma"),
            (b"[1}", byte(2), "mismatched bracket"),
        ];
        for (input, expected, reason) in cases {
            let text = String::from_utf8_lossy(input);
            assert_eq!(parse(input), Err(*expected), "{reason}: {text:?}");
            let raw = Raw::document(input, Limits::DOCUMENT);
            assert_eq!(raw.err(), Some(*expected), "raw, {reason}: {text:?}");
        }
    }

    #[test]
    fn raw_parts_read_what_parse_reads() {
        let mut cases: Vec<String> = accept_cases().into_iter().map(|(t, _)| t).collect();
        cases.push(AZURE_PAYLOAD.to_string());
        cases.push(" { \"a\" : [ 1 , { \"b\\u0041\" : \"x\\ny\" } ] , \"A\" : 2 } ".to_string());
        for text in cases {
            let parsed = parse(text.as_bytes()).unwrap();
            let raw = Raw::document(text.as_bytes(), Limits::DOCUMENT).unwrap();
            assert_eq!(raw.to_value(), parsed, "{text:?}");
            assert_eq!(rebuilt(raw), parsed, "{text:?}");
        }
        let raw = Raw::document(
            br#"{"Data":{"a":1},"data":2,"Metadata":null}"#,
            Limits::DOCUMENT,
        );
        let raw = raw.unwrap();
        let [data, metadata, absent] = raw.members_named(["DATA", "metadata", "absent"]);
        assert_eq!(data.map(Raw::to_value), parse(br#"{"a":1}"#).ok());
        assert!(metadata.is_some_and(Raw::is_null) && absent.is_none());
        // A string is borrowed from the input unless an escape had to be decoded.
        let escaped = Raw::document(br#"["plain","a\"b"]"#, Limits::DOCUMENT).unwrap();
        let texts: Vec<_> = escaped.items().map(|i| i.as_str().unwrap()).collect();
        assert!(matches!(&texts[0], Cow::Borrowed("plain")));
        assert!(matches!(&texts[1], Cow::Owned(s) if s == "a\"b"));
        // Members of what is not an object, items of what is not an array: none.
        assert_eq!(escaped.members().count(), 0);
        assert_eq!(raw.items().count(), 0);
        assert_eq!(
            Raw::document(b"\"s\"", Limits::DOCUMENT)
                .unwrap()
                .items()
                .count(),
            0
        );
    }

    #[test]
    fn value_count_limit() {
        // The array itself is one value, so it may hold JSON_MAX_VALUES - 1 elements.
        let array = |n: usize| format!("[{}]", vec!["1"; n].join(","));
        assert!(parse(array(JSON_MAX_VALUES - 1).as_bytes()).is_ok());
        assert_eq!(
            parse(array(JSON_MAX_VALUES).as_bytes()),
            Err(JsonError::TooManyValues {
                limit: JSON_MAX_VALUES
            })
        );
    }

    #[test]
    fn an_invocation_has_limits_of_its_own() {
        let array = |n: usize| format!("[{}]", vec!["1"; n].join(","));
        let twice = array(2 * JSON_MAX_VALUES);
        assert!(parse_within(twice.as_bytes(), Limits::INVOCATION).is_ok());
        let error = parse(twice.as_bytes()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("more values than the limit of {JSON_MAX_VALUES}")
        );
        let past = parse_within(array(INVOCATION_MAX_VALUES).as_bytes(), Limits::INVOCATION);
        assert_eq!(
            past.unwrap_err().to_string(),
            format!("more values than the limit of {INVOCATION_MAX_VALUES}")
        );
        let deep = nested(JSON_MAX_DEPTH + 3);
        assert!(parse_within(deep.as_bytes(), Limits::INVOCATION).is_ok());
        assert!(parse(deep.as_bytes()).is_err());
        assert_eq!(
            parse_within(
                nested(INVOCATION_MAX_DEPTH + 1).as_bytes(),
                Limits::INVOCATION
            ),
            Err(JsonError::TooDeep {
                limit: INVOCATION_MAX_DEPTH
            })
        );
    }

    #[test]
    fn depth_and_size_limits() {
        let too_deep = nested(JSON_MAX_DEPTH + 1);
        assert_eq!(
            parse(too_deep.as_bytes()),
            Err(JsonError::TooDeep {
                limit: JSON_MAX_DEPTH
            })
        );
        let objects = "{\"a\":".repeat(JSON_MAX_DEPTH + 1) + "1" + &"}".repeat(JSON_MAX_DEPTH + 1);
        assert_eq!(
            parse(objects.as_bytes()),
            Err(JsonError::TooDeep {
                limit: JSON_MAX_DEPTH
            })
        );
        // Far deeper than any stack could recurse: must stop at the limit, not overflow.
        assert_eq!(
            parse(&vec![b'['; 1 << 20]),
            Err(JsonError::TooDeep {
                limit: JSON_MAX_DEPTH
            })
        );

        let mut big = vec![b' '; JSON_MAX_BYTES];
        big[JSON_MAX_BYTES - 1] = b'0';
        assert_eq!(parse(&big), Ok(n("0")));
        big.push(b' ');
        assert_eq!(
            parse(&big),
            Err(JsonError::TooLarge {
                limit: JSON_MAX_BYTES
            })
        );
    }

    #[test]
    fn round_trips_and_writes_compact() {
        for (_, value) in accept_cases() {
            assert_eq!(parse(value.to_json().as_bytes()), Ok(value.clone()));
        }
        let value = parse(br#" { "a" : [ 1 , true , null ] , "b" : "x/y" } "#).unwrap();
        assert_eq!(value.to_json(), r#"{"a":[1,true,null],"b":"x/y"}"#);
    }

    #[test]
    fn write_string_escapes() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é😀/");
        let expected = concat!(r#""a\"b\\c\n\r\t\b\f\u0001\u001f"#, "\u{7f}é😀/\"");
        assert_eq!(out, expected);
        // Text with nothing to escape is written in the room reserved for it and its closing
        // quote, not grown again (to twice its size) for that quote.
        let mut out = String::new();
        write_string(&mut out, &"x".repeat(1000));
        assert_eq!(out.len(), 1002);
        assert!(out.capacity() < 1002 + 64, "{} bytes held", out.capacity());
    }

    #[test]
    fn lookups() {
        // Of duplicate names the last wins, as the host's Json.NET reads them.
        let value = parse(br#"{"name":"first","name":"second","Name":"third","n":[1]}"#).unwrap();
        assert_eq!(value.get("name").and_then(Value::as_str), Some("second"));
        assert_eq!(value.get("NAME"), None);
        assert_eq!(value.get_ignore_case("NAME"), Some(&s("third")));
        assert_eq!(
            value.get("n").and_then(Value::as_array),
            Some(&[n("1")][..])
        );
        assert_eq!(value.as_object().map(<[_]>::len), Some(4));
        assert_eq!(s("x").get("x"), None);
        assert_eq!(Value::Null.as_str(), None);
        let error = JsonError::UnexpectedByte { offset: 7 };
        assert_eq!(error.to_string(), "unexpected byte at offset 7");
    }

    #[test]
    fn azure_payload() {
        let payload = parse(AZURE_PAYLOAD.as_bytes()).unwrap();
        let name = payload.get("Data").and_then(|d| d.get("req"));
        let name = name
            .and_then(|r| r.get("Query"))
            .and_then(|q| q.get("name"));
        assert_eq!(name.and_then(Value::as_str), Some("Rust"));
        let metadata = payload.get_ignore_case("metadata").unwrap();
        assert_eq!(
            metadata.get("name").and_then(Value::as_str),
            Some("\"Rust\"")
        );
        assert_eq!(parse(payload.to_json().as_bytes()), Ok(payload));
    }

    fn fuzz_seed() -> u64 {
        seed_from_env("JSON_FUZZ_SEED", 0x9e37_79b9_7f4a_7c15)
    }

    fn random_number(rng: &mut Rng) -> String {
        let mut text = String::new();
        let digit = |rng: &mut Rng| char::from(b'0' + rng.below(10) as u8);
        if rng.below(2) == 0 {
            text.push('-');
        }
        match rng.below(3) {
            0 => text.push('0'),
            _ => {
                text.push(char::from(b'1' + rng.below(9) as u8));
                (0..rng.below(6)).for_each(|_| text.push(digit(rng)));
            }
        }
        if rng.below(2) == 0 {
            text.push('.');
            (0..=rng.below(4)).for_each(|_| text.push(digit(rng)));
        }
        if rng.below(3) == 0 {
            text.push(*rng.pick(&['e', 'E']));
            text.push_str(rng.pick::<&str>(&["", "+", "-"]));
            (0..=rng.below(3)).for_each(|_| text.push(digit(rng)));
        }
        text
    }

    fn random_string(rng: &mut Rng) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\0', '\u{1f}', '\u{7f}', 'ü', '€', '😀',
            '\u{2028}', '\u{ffff}',
        ];
        (0..rng.below(8)).map(|_| *rng.pick(CHARS)).collect()
    }

    fn random_value(rng: &mut Rng, depth: usize) -> Value {
        let kinds = if depth == 0 { 5 } else { 7 };
        match rng.below(kinds) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => Value::Number(random_number(rng)),
            3 | 4 => Value::String(random_string(rng)),
            5 => Value::Array(
                (0..rng.below(4))
                    .map(|_| random_value(rng, depth - 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..rng.below(4))
                    .map(|_| (random_string(rng), random_value(rng, depth - 1)))
                    .collect(),
            ),
        }
    }

    fn mutate(rng: &mut Rng, doc: &mut Vec<u8>) {
        const BYTES: &[u8] = b"\"\\[]{},:0-.eu \x00\x1f\x7f\xc3\xed\xff";
        for _ in 0..=rng.below(3) {
            let at = rng.below(doc.len() + 1);
            match rng.below(5) {
                0 if at < doc.len() => doc[at] ^= 1 << rng.below(8),
                1 if at < doc.len() => {
                    doc.remove(at);
                }
                2 => doc.truncate(at),
                3 => doc.insert(at, rng.next_u64() as u8),
                _ => doc.insert(at, *rng.pick(BYTES)),
            }
        }
    }

    #[test]
    fn random_values_round_trip() {
        let seed = fuzz_seed();
        let mut rng = Rng::new(seed);
        for i in 0..2000 {
            let value = random_value(&mut rng, 4);
            let text = value.to_json();
            let back = parse(text.as_bytes());
            assert!(
                back.as_ref() == Ok(&value),
                "seed {seed:#x} case {i}: {text} -> {back:?}"
            );
        }
    }

    #[test]
    fn mutated_input_never_panics() {
        let seed = fuzz_seed();
        let mut rng = Rng::new(seed);
        let mut bases: Vec<Vec<u8>> = accept_cases().into_iter().map(|(t, _)| t.into()).collect();
        bases.push(AZURE_PAYLOAD.into());
        for i in 0..5000 {
            let doc: Vec<u8> = if i % 5 == 4 {
                (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect()
            } else {
                let mut doc = match rng.below(2) {
                    0 => bases[rng.below(bases.len())].clone(),
                    _ => random_value(&mut rng, 3).to_json().into_bytes(),
                };
                mutate(&mut rng, &mut doc);
                doc
            };
            let result = std::panic::catch_unwind(|| parse(&doc));
            let text = String::from_utf8_lossy(&doc);
            assert!(
                result.is_ok(),
                "seed {seed:#x} case {i}: parse panicked on {text:?}"
            );
            // Whatever is accepted must also survive its own serialization unchanged.
            let raw = std::panic::catch_unwind(|| {
                let raw = Raw::document(&doc, Limits::DOCUMENT);
                raw.map(|raw| (raw.to_value(), rebuilt(raw)))
            });
            let raw =
                raw.unwrap_or_else(|_| panic!("seed {seed:#x} case {i}: raw panicked on {text:?}"));
            match (&result, raw) {
                (Ok(Ok(value)), Ok((built, rebuilt))) => {
                    assert!(
                        built == *value && rebuilt == *value,
                        "seed {seed:#x} case {i}: raw reads {text:?} otherwise"
                    );
                }
                (Ok(Err(e)), Err(raw)) => assert_eq!(*e, raw, "seed {seed:#x} case {i}: {text:?}"),
                _ => panic!("seed {seed:#x} case {i}: raw and parse disagree on {text:?}"),
            }
            if let Ok(Ok(value)) = result {
                let again = parse(value.to_json().as_bytes());
                assert!(
                    again == Ok(value),
                    "seed {seed:#x} case {i}: unstable {text:?}"
                );
            }
        }
    }

    /// A value rebuilt from `Raw`'s parts alone: members, items and scalars.
    fn rebuilt(raw: Raw) -> Value {
        if raw.is_object() {
            Value::Object(
                raw.members()
                    .map(|(n, v)| (n.into_owned(), rebuilt(v)))
                    .collect(),
            )
        } else if raw.is_array() {
            Value::Array(raw.items().map(rebuilt).collect())
        } else if raw.is_null() {
            assert_eq!(raw.text().as_deref(), Some(""));
            Value::Null
        } else if let Some(text) = raw.as_str() {
            assert_eq!(raw.text(), Some(text.clone()));
            Value::String(text.into_owned())
        } else {
            match raw.text().expect("a scalar").as_ref() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                number => Value::Number(number.to_string()),
            }
        }
    }
}
