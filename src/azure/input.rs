//! One input binding's data as a function reads it: the member of the host's `Data`, with its
//! encoding undone (azure-bindings.md §1.2, §2). The host sends a .NET string as its JSON text
//! inside a string (`"\"hello\""`), a list or number the same way (`"[…]"`, `"4"`), an object
//! as it is, and bytes as base64 (a blob trigger always, any input with `dataType: binary`).

use std::borrow::Cow;

use crate::azure::base64;
use crate::azure::bindings::{host_value, unreadable, BindingError};
use crate::azure::json::{self, Limits, Value};

/// An input binding's data, borrowed from the invocation.
#[derive(Debug, Clone, Copy)]
pub struct Input<'r> {
    name: &'r str,
    value: &'r Value,
    base64: bool,
}

impl<'r> Input<'r> {
    /// The data of the binding `name` as sent (`value`), base64 when `base64`.
    pub(crate) fn new(name: &'r str, value: &'r Value, base64: bool) -> Self {
        Input {
            name,
            value,
            base64,
        }
    }

    /// The binding's name.
    pub fn name(&self) -> &'r str {
        self.name
    }

    /// The member of `Data` as sent, read once as JSON, encoding not undone.
    pub fn value(&self) -> &'r Value {
        self.value
    }

    /// The member of `Data` as sent, as compact JSON text.
    pub fn raw(&self) -> String {
        self.value.to_json()
    }

    /// The data as text: a string binding's string (the double encoding undone), base64 data's
    /// bytes as UTF-8, and other JSON (an object, an array) as its compact JSON text.
    ///
    /// # Errors
    /// Base64 data that is not base64, or whose bytes are not UTF-8.
    pub fn as_str(&self) -> Result<Cow<'r, str>, BindingError> {
        if self.base64 {
            let bytes = self.decoded()?;
            return String::from_utf8(bytes).map(Cow::Owned).map_err(|e| {
                self.error(&format!(
                    "is {} bytes that are not UTF-8 text (read it with as_bytes)",
                    e.as_bytes().len()
                ))
            });
        }
        match self.value {
            // An array's, a number's or null's JSON text in a string is already the compact
            // text the host wrote (and a date's, base64's, the text itself): building a tree
            // only to write it again cost up to 100 MB for a large batch.
            Value::String(text) if !text.starts_with('"') => return Ok(Cow::Borrowed(text)),
            _ => {}
        }
        Ok(match host_value(self.value, Limits::SERVICE) {
            Cow::Borrowed(Value::String(text)) => Cow::Borrowed(text.as_str()),
            Cow::Owned(Value::String(text)) => Cow::Owned(text),
            other => Cow::Owned(other.to_json()),
        })
    }

    /// The data as bytes: base64 data decoded, anything else as the UTF-8 of `as_str`.
    ///
    /// # Errors
    /// Base64 data that is not base64.
    pub fn as_bytes(&self) -> Result<Cow<'r, [u8]>, BindingError> {
        if self.base64 {
            return self.decoded().map(Cow::Owned);
        }
        Ok(match self.as_str()? {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        })
    }

    /// The data as a JSON value: a string binding's string parsed (a queue message, a blob, a
    /// Cosmos DB document), an object or array as it is, base64 data's bytes parsed.
    ///
    /// # Errors
    /// Data that is not JSON, or past `Limits::SERVICE`, naming the binding.
    pub fn json(&self) -> Result<Value, BindingError> {
        let parse = |bytes: &[u8]| {
            json::parse_within(bytes, Limits::SERVICE).map_err(|e| self.error(&unreadable(&e)))
        };
        if self.base64 {
            return parse(&self.decoded()?);
        }
        match host_value(self.value, Limits::SERVICE) {
            Cow::Borrowed(Value::String(text)) => parse(text.as_bytes()),
            Cow::Owned(Value::String(text)) => parse(text.as_bytes()),
            other => Ok(other.into_owned()),
        }
    }

    /// Base64 data's bytes. A base64 string sent double-encoded is read too: its quotes make it
    /// invalid base64, so nothing else could be meant.
    fn decoded(&self) -> Result<Vec<u8>, BindingError> {
        let decoded = match self.value {
            Value::String(text) => base64::decode(text).or_else(|| {
                let inner = host_value(self.value, Limits::SERVICE);
                inner.as_str().and_then(base64::decode)
            }),
            _ => None,
        };
        decoded.ok_or_else(|| self.error("is not valid base64, which its binding sends"))
    }

    /// An error naming the binding: `the input "name" <what>`.
    fn error(&self, what: &str) -> BindingError {
        BindingError::new(format!("the input {:?} {what}", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(json: &str) -> Value {
        json::parse(json.as_bytes()).unwrap()
    }

    /// Each row: the member as the host sends it, whether its binding sends base64, and what
    /// `as_str` and `json` give (`Err` when they must fail).
    #[test]
    fn data_as_the_host_sends_it() {
        type Row = (
            &'static str,
            bool,
            Result<&'static str, ()>,
            Result<&'static str, ()>,
        );
        let rows: &[Row] = &[
            // A queue message `hello` (a .NET string, double-encoded).
            (r#""\"hello\"""#, false, Ok("hello"), Err(())),
            // A JSON queue message: its text, then its value.
            (
                r#""\"{\\\"orderId\\\":7}\"""#,
                false,
                Ok(r#"{"orderId":7}"#),
                Ok(r#"{"orderId":7}"#),
            ),
            // The Cosmos DB trigger's array: JSON text in a string.
            (
                r#""[{\"id\":\"1\"}]""#,
                false,
                Ok(r#"[{"id":"1"}]"#),
                Ok(r#"[{"id":"1"}]"#),
            ),
            // A timer: a raw object.
            (
                r#"{"IsPastDue":false}"#,
                false,
                Ok(r#"{"IsPastDue":false}"#),
                Ok(r#"{"IsPastDue":false}"#),
            ),
            // Not encoded at all (the docs' simplified examples): taken as it is.
            ("\"plain text\"", false, Ok("plain text"), Err(())),
            // A blob trigger: base64, always.
            (r#""aGVsbG8gd29ybGQ=""#, true, Ok("hello world"), Err(())),
            (
                r#""eyJhIjoxfQ==""#,
                true,
                Ok(r#"{"a":1}"#),
                Ok(r#"{"a":1}"#),
            ),
            // Base64 sent double-encoded still reads.
            (r#""\"aGk=\"""#, true, Ok("hi"), Err(())),
            // Not base64; base64 of bytes that are not UTF-8.
            (r#""a-b""#, true, Err(()), Err(())),
            (r#""//8=""#, true, Err(()), Err(())),
            (r#"{"a":1}"#, true, Err(()), Err(())),
        ];
        for (sent, base64, text, parsed) in rows {
            let sent_value = value(sent);
            let input = Input::new("in", &sent_value, *base64);
            assert_eq!(input.raw(), value(sent).to_json(), "{sent}");
            let got = input.as_str().map(|s| s.into_owned()).map_err(|_| ());
            assert_eq!(got, text.map(str::to_string), "as_str {sent}");
            let got = input.json().map(|v| v.to_json()).map_err(|_| ());
            assert_eq!(got, parsed.map(|p| value(p).to_json()), "json {sent}");
        }
    }

    #[test]
    fn bytes_and_reasons() {
        let sent = value(r#""AAEC/w==""#);
        let input = Input::new("blob", &sent, true);
        assert_eq!(input.as_bytes().unwrap().as_ref(), [0, 1, 2, 255]);
        assert_eq!(
            input.as_str().unwrap_err().reason(),
            "the input \"blob\" is 4 bytes that are not UTF-8 text (read it with as_bytes)"
        );
        let text = value(r#""\"hé\"""#);
        assert_eq!(
            Input::new("t", &text, false).as_bytes().unwrap().as_ref(),
            "hé".as_bytes()
        );
        let broken = value(r#""a-b""#);
        assert_eq!(
            Input::new("b", &broken, true)
                .as_bytes()
                .unwrap_err()
                .reason(),
            "the input \"b\" is not valid base64, which its binding sends"
        );
        let not_json = value(r#""\"hello\"""#);
        assert_eq!(
            Input::new("msg", &not_json, false)
                .json()
                .unwrap_err()
                .reason(),
            "the input \"msg\" is not JSON (unexpected byte at offset 0)"
        );
    }

    /// JSON text in a string that is not a string's (an array, a number) is already the text
    /// the host wrote: `as_str` lends it as sent, not rebuilt, which for a large batch cost a
    /// tree and a copy of it.
    #[test]
    fn json_text_in_a_string_is_lent_as_sent() {
        for sent in [r#""[{\"id\":\"1\"}]""#, r#""4""#] {
            let sent = value(sent);
            let Value::String(text) = &sent else {
                unreachable!()
            };
            let got = Input::new("docs", &sent, false).as_str().unwrap();
            assert!(
                matches!(got, Cow::Borrowed(t) if std::ptr::eq(t, text.as_str())),
                "{got}"
            );
        }
    }
}
