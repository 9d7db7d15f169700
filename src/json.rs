//! Strict JSON (RFC 8259) reader and writer, for host payloads and function bodies.
//!
//! The reader rejects everything the RFC does not allow (comments, trailing commas, leading
//! zeros, lone surrogates, invalid UTF-8, a byte order mark...) so that a malformed body is a
//! clear 400 rather than a guess. Numbers stay as their source text: the handler only passes
//! them along, and converting would lose precision (`2^53 + 1`, long decimals) for nothing.
//! Nesting and size are capped by `JSON_MAX_DEPTH` and `JSON_MAX_BYTES`, so no input can
//! overflow the stack of a worker.

use crate::limits::{JSON_MAX_BYTES, JSON_MAX_DEPTH};
use std::fmt;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number exactly as written (validated against the RFC 8259 grammar), never converted.
    /// A value built by hand must hold valid number text: the writer copies it as-is.
    Number(String),
    /// A string, escapes decoded.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// Members in document order; a duplicate name keeps both entries, `get` returns the first.
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
    UnexpectedByte { offset: usize },
    /// A number outside the grammar; `offset` is where a digit was required.
    InvalidNumber { offset: usize },
    /// An unknown escape or a `\u` without four hex digits; `offset` is the backslash.
    InvalidEscape { offset: usize },
    /// A lone or mismatched surrogate escape, or invalid UTF-8 inside a string.
    InvalidUnicode { offset: usize },
    /// A raw control character (below U+0020) inside a string.
    ControlCharacter { offset: usize },
    /// Something other than whitespace after the document.
    TrailingData { offset: usize },
    /// Arrays and objects nested deeper than `JSON_MAX_DEPTH`.
    TooDeep,
    /// Input longer than `JSON_MAX_BYTES`.
    TooLarge,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Empty => write!(f, "empty document"),
            JsonError::UnexpectedEnd => write!(f, "unexpected end of input"),
            JsonError::UnexpectedByte { offset } => write!(f, "unexpected byte at offset {offset}"),
            JsonError::InvalidNumber { offset } => write!(f, "invalid number at offset {offset}"),
            JsonError::InvalidEscape { offset } => write!(f, "invalid escape at offset {offset}"),
            JsonError::InvalidUnicode { offset } => write!(f, "invalid unicode at offset {offset}"),
            JsonError::ControlCharacter { offset } => {
                write!(f, "control character in string at offset {offset}")
            }
            JsonError::TrailingData { offset } => write!(f, "trailing data at offset {offset}"),
            JsonError::TooDeep => write!(f, "nesting deeper than {JSON_MAX_DEPTH}"),
            JsonError::TooLarge => write!(f, "document larger than {JSON_MAX_BYTES} bytes"),
        }
    }
}

impl std::error::Error for JsonError {}

/// Parse one whole JSON document (leading/trailing whitespace allowed, nothing else after it).
///
/// # Errors
/// The first violation of RFC 8259 found, or `TooDeep`/`TooLarge` past the limits.
pub fn parse(input: &[u8]) -> Result<Value, JsonError> {
    if input.len() > JSON_MAX_BYTES {
        return Err(JsonError::TooLarge);
    }
    let mut reader = Reader {
        bytes: input,
        pos: 0,
        depth: 0,
    };
    reader.skip_whitespace();
    if reader.pos == input.len() {
        return Err(JsonError::Empty);
    }
    let value = reader.value()?;
    reader.skip_whitespace();
    if reader.pos < input.len() {
        return Err(JsonError::TrailingData { offset: reader.pos });
    }
    Ok(value)
}

/// A byte cursor. Invariant: `pos <= bytes.len()`, so `bytes[start..pos]` never panics.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next_byte(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    /// The error for the byte under the cursor, which the caller did not expect.
    fn unexpected(&self) -> JsonError {
        match self.peek() {
            Some(_) => JsonError::UnexpectedByte { offset: self.pos },
            None => JsonError::UnexpectedEnd,
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.peek() != Some(byte) {
            return Err(self.unexpected());
        }
        self.pos += 1;
        Ok(())
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected()),
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, JsonError> {
        for &byte in word {
            self.expect(byte)?;
        }
        Ok(value)
    }

    /// Enters an array or object; the check comes before recursing, so the stack stays bounded.
    fn enter(&mut self) -> Result<(), JsonError> {
        if self.depth >= JSON_MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.depth += 1;
        self.pos += 1;
        self.skip_whitespace();
        Ok(())
    }

    /// After an item: `true` for a comma (another item follows), `false` for `close`.
    fn separator(&mut self, close: u8) -> Result<bool, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_whitespace();
                Ok(true)
            }
            Some(byte) if byte == close => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            if !self.separator(b']')? {
                return Ok(Value::Array(items));
            }
        }
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        let mut members = Vec::new();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Object(members));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.unexpected());
            }
            let name = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            members.push((name, self.value()?));
            if !self.separator(b'}')? {
                return Ok(Value::Object(members));
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
            // A digit after a leading zero would otherwise surface as a confusing trailing byte.
            if let Some(b'0'..=b'9') = self.peek() {
                return Err(JsonError::InvalidNumber { offset: self.pos });
            }
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        let text = self.bytes[start..self.pos].iter().map(|&b| char::from(b));
        Ok(Value::Number(text.collect()))
    }

    /// One or more ASCII digits.
    fn digits(&mut self) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(JsonError::InvalidNumber { offset: self.pos });
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    /// A string literal, the cursor on its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            match self.peek() {
                None => return Err(JsonError::UnexpectedEnd),
                Some(b'"') => {
                    self.flush(run, &mut out)?;
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.flush(run, &mut out)?;
                    let c = self.escape()?;
                    out.push(c);
                    run = self.pos;
                }
                Some(0x00..=0x1f) => return Err(JsonError::ControlCharacter { offset: self.pos }),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Appends the raw bytes `start..pos` to `out`. Runs end only at ASCII `"` or `\`, which
    /// never sit inside a multi-byte sequence, so validating run by run is exact.
    fn flush(&self, start: usize, out: &mut String) -> Result<(), JsonError> {
        match std::str::from_utf8(&self.bytes[start..self.pos]) {
            Ok(text) => {
                out.push_str(text);
                Ok(())
            }
            Err(e) => Err(JsonError::InvalidUnicode {
                offset: start + e.valid_up_to(),
            }),
        }
    }

    /// One escape, the cursor on its backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos;
        self.pos += 1;
        match self.next_byte() {
            None => Err(JsonError::UnexpectedEnd),
            Some(b'"') => Ok('"'),
            Some(b'\\') => Ok('\\'),
            Some(b'/') => Ok('/'),
            Some(b'b') => Ok('\u{8}'),
            Some(b'f') => Ok('\u{c}'),
            Some(b'n') => Ok('\n'),
            Some(b'r') => Ok('\r'),
            Some(b't') => Ok('\t'),
            Some(b'u') => self.unicode_escape(at),
            Some(_) => Err(JsonError::InvalidEscape { offset: at }),
        }
    }

    /// The rest of `\uXXXX` starting at `at`, with its low surrogate escape if it is a high one.
    fn unicode_escape(&mut self, at: usize) -> Result<char, JsonError> {
        let lone = JsonError::InvalidUnicode { offset: at };
        let first = self.hex4(at)?;
        let code = if (0xD800..=0xDBFF).contains(&first) {
            if !self.bytes[self.pos..].starts_with(b"\\u") {
                return Err(lone);
            }
            let second_at = self.pos;
            self.pos += 2;
            let second = self.hex4(second_at)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(lone);
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        // `from_u32` refuses the lone low surrogates that get here.
        char::from_u32(code).ok_or(lone)
    }

    fn hex4(&mut self, at: usize) -> Result<u32, JsonError> {
        let mut code = 0;
        for _ in 0..4 {
            let byte = self.next_byte().ok_or(JsonError::UnexpectedEnd)?;
            let digit = char::from(byte)
                .to_digit(16)
                .ok_or(JsonError::InvalidEscape { offset: at })?;
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

impl Value {
    /// Member lookup on an object, exact (case-sensitive) name; None for non-objects.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let members = self.as_object()?;
        members.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Member lookup ignoring ASCII case (the Functions host reads payload names
    /// case-insensitively); the first match in document order wins.
    pub fn get_ignore_case(&self, name: &str) -> Option<&Value> {
        let members = self.as_object()?;
        let mut found = members.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        found.next().map(|(_, v)| v)
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

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    /// Append compact JSON text to `out`. Recurses once per nesting level, as parsed values
    /// are at most `JSON_MAX_DEPTH` deep.
    pub fn write_to(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(text) => out.push_str(text),
            Value::String(s) => write_string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_to(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, name);
                    out.push(':');
                    value.write_to(out);
                }
                out.push('}');
            }
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

/// Append `s` as a JSON string literal (with quotes) to `out`: escape `"` `\\` and control chars
/// (\b \f \n \r \t short forms, others \u00XX); everything else, including non-ASCII, written
/// as-is (UTF-8).
pub fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut run = 0;
    for (i, byte) in s.bytes().enumerate() {
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, hence on a char boundary.
        out.push_str(&s[run..i]);
        run = i + 1;
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(short);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}
