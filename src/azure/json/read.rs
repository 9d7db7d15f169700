//! Reading: `Reader`, a cursor that checks RFC 8259 and the limits as it goes, and `Raw`, a
//! value inside a document already checked, read a part at a time.

use std::borrow::Cow;
use std::fmt;

use super::{JsonError, Limits, Value};

/// A value's text inside a document already read whole and found valid, to be read a part at a
/// time without building a tree: what payload mode needs of an invocation is a few members,
/// and a tree cost an allocation for each of its dozens of names and strings.
#[derive(Clone, Copy)]
pub(crate) struct Raw<'a>(&'a [u8]);

impl fmt::Debug for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Raw({})", String::from_utf8_lossy(self.0))
    }
}

impl<'a> Raw<'a> {
    /// The whole of `input`, once it has been read as one valid JSON document within `limits`.
    ///
    /// # Errors
    /// As `parse_within`.
    pub fn document(input: &'a [u8], limits: Limits) -> Result<Raw<'a>, JsonError> {
        let mut reader = Reader::document(input, limits)?;
        let raw = reader.skipped()?;
        reader.end()?;
        Ok(raw)
    }

    /// A reader over this value, which was checked whole already.
    fn reader(self) -> Reader<'a> {
        Reader {
            bytes: self.0,
            pos: 0,
            depth: 0,
            values: 0,
            limits: Limits::CHECKED,
        }
    }

    /// The entries of an array (`open` `[`) or object (`{`, each with its name) in order; none
    /// for another value. The document was checked: errors cannot happen, and would end them.
    fn entries(self, open: u8) -> impl Iterator<Item = (Option<Cow<'a, str>>, Raw<'a>)> {
        let close = if open == b'{' { b'}' } else { b']' };
        let mut reader = self.reader();
        // Whether the next entry is the first; `None` once the value has ended.
        let mut first = (reader.peek() == Some(open) && reader.enter().is_ok()).then_some(true);
        std::iter::from_fn(move || {
            if !reader.more(close, first.take()?).ok()? {
                return None;
            }
            let name = match open {
                b'{' => Some(reader.name().ok()?),
                _ => None,
            };
            let value = reader.checked_span();
            first = Some(false);
            Some((name, value))
        })
    }

    /// The members of an object, in document order, with names decoded; none for another value.
    pub fn members(self) -> impl Iterator<Item = (Cow<'a, str>, Raw<'a>)> {
        self.entries(b'{')
            .map(|(name, value)| (name.unwrap_or_default(), value))
    }

    /// The first member called each of `names`, ignoring ASCII case as the host's JSON reader
    /// matches names, in one pass.
    pub fn members_named<const N: usize>(self, names: [&str; N]) -> [Option<Raw<'a>>; N] {
        let mut found = [None; N];
        for (name, value) in self.members() {
            if let Some(at) = names.iter().position(|n| name.eq_ignore_ascii_case(n)) {
                found[at].get_or_insert(value);
            }
        }
        found
    }

    /// The items of an array, in order; none for another value.
    pub fn items(self) -> impl Iterator<Item = Raw<'a>> {
        self.entries(b'[').map(|(_, item)| item)
    }

    pub fn is_object(self) -> bool {
        self.0.first() == Some(&b'{')
    }

    pub fn is_array(self) -> bool {
        self.0.first() == Some(&b'[')
    }

    pub fn is_null(self) -> bool {
        self.0 == b"null"
    }

    /// A string's text, decoded; `None` for another value.
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        if self.0.first() != Some(&b'"') {
            return None;
        }
        self.reader().string().ok()
    }

    /// The text of a scalar: a string as itself, a number or boolean as its JSON text, `null` as
    /// nothing; `None` for an array or object.
    pub fn text(self) -> Option<Cow<'a, str>> {
        match self.0.first()? {
            b'"' => self.as_str(),
            b'{' | b'[' => None,
            b'n' => Some(Cow::Borrowed("")),
            // A number, `true` or `false`: ASCII, as written.
            _ => std::str::from_utf8(self.0).ok().map(Cow::Borrowed),
        }
    }

    /// The value's JSON text, exactly as written in the document.
    pub fn as_bytes(self) -> &'a [u8] {
        self.0
    }

    /// The value, built.
    pub fn to_value(self) -> Value {
        // A valid document: the error cannot happen.
        self.reader().value().unwrap_or(Value::Null)
    }
}

/// A byte cursor. Invariant: `pos <= bytes.len()`, so `bytes[start..pos]` never panics.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// Values read so far, against `limits.values`.
    values: usize,
    limits: Limits,
}

impl<'a> Reader<'a> {
    /// A reader at the start of the document `input`, which must fit `limits.bytes` and hold
    /// something.
    pub(super) fn document(input: &'a [u8], limits: Limits) -> Result<Reader<'a>, JsonError> {
        if input.len() > limits.bytes {
            return Err(JsonError::TooLarge {
                limit: limits.bytes,
            });
        }
        let mut reader = Reader {
            bytes: input,
            pos: 0,
            depth: 0,
            values: 0,
            limits,
        };
        reader.skip_whitespace();
        if reader.pos == input.len() {
            return Err(JsonError::Empty);
        }
        Ok(reader)
    }

    /// Nothing but whitespace may follow the document.
    pub(super) fn end(&mut self) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.pos < self.bytes.len() {
            return Err(JsonError::TrailingData { offset: self.pos });
        }
        Ok(())
    }

    #[inline]
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

    /// Counts one more value against the limit.
    fn count(&mut self) -> Result<(), JsonError> {
        self.values += 1;
        if self.values > self.limits.values {
            return Err(JsonError::TooManyValues {
                limit: self.limits.values,
            });
        }
        Ok(())
    }

    pub(super) fn value(&mut self) -> Result<Value, JsonError> {
        self.count()?;
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Value::String(self.string()?.into_owned())),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => {
                let text = self.number()?.iter().map(|&b| char::from(b));
                Ok(Value::Number(text.collect()))
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Reads a value as `value` does, checking all the same, and builds nothing.
    fn skip(&mut self) -> Result<(), JsonError> {
        self.count()?;
        match self.peek() {
            Some(b'{') => {
                self.enter()?;
                let mut first = true;
                while self.more(b'}', std::mem::take(&mut first))? {
                    self.name()?;
                    self.skip()?;
                }
                Ok(())
            }
            Some(b'[') => {
                self.enter()?;
                let mut first = true;
                while self.more(b']', std::mem::take(&mut first))? {
                    self.skip()?;
                }
                Ok(())
            }
            Some(b'"') => self.string().map(drop),
            Some(b't') => self.literal(b"true", ()),
            Some(b'f') => self.literal(b"false", ()),
            Some(b'n') => self.literal(b"null", ()),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.unexpected()),
        }
    }

    /// `skip`, and the text of the value skipped.
    fn skipped(&mut self) -> Result<Raw<'a>, JsonError> {
        let start = self.pos;
        self.skip()?;
        Ok(Raw(&self.bytes[start..self.pos]))
    }

    /// The text of the value at the cursor, in a document checked whole already (a `Raw`'s):
    /// unlike `skipped`, it checks nothing and only steps over strings and brackets.
    fn checked_span(&mut self) -> Raw<'a> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(&byte) = self.bytes.get(self.pos) {
            match byte {
                b'"' => {
                    self.pos += 1;
                    loop {
                        // A checked string holds no control byte: the run ends at `"` or `\`.
                        let rest = &self.bytes[self.pos..];
                        let at = plain_run(rest);
                        match rest.get(at) {
                            Some(b'"') => {
                                self.pos += at + 1;
                                break;
                            }
                            // An escape: the byte after the backslash is not an end.
                            Some(_) => self.pos += (at + 2).min(rest.len()),
                            None => {
                                self.pos = self.bytes.len();
                                break;
                            }
                        }
                    }
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => break,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        break;
                    }
                }
                // The end of a number or literal.
                b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        Raw(&self.bytes[start..self.pos])
    }

    fn literal<T>(&mut self, word: &[u8], value: T) -> Result<T, JsonError> {
        for &byte in word {
            self.expect(byte)?;
        }
        Ok(value)
    }

    /// Steps into an array or object. Checked before recursing, so the stack stays bounded.
    fn enter(&mut self) -> Result<(), JsonError> {
        if self.depth >= self.limits.depth {
            return Err(JsonError::TooDeep {
                limit: self.limits.depth,
            });
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// Whether another item follows in an array or object: the first needs no comma before it
    /// (and may be absent, as in `[]`); each later one does.
    fn more(&mut self, close: u8, first: bool) -> Result<bool, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(byte) if byte == close => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ if first => Ok(true),
            Some(b',') => {
                self.pos += 1;
                self.skip_whitespace();
                Ok(true)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        let mut items = Vec::new();
        while self.more(b']', items.is_empty())? {
            items.push(self.value()?);
        }
        Ok(Value::Array(items))
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        let mut members = Vec::new();
        while self.more(b'}', members.is_empty())? {
            let name = self.name()?.into_owned();
            members.push((name, self.value()?));
        }
        Ok(Value::Object(members))
    }

    /// A member's name and the `:` after it, the cursor on the name's opening quote.
    fn name(&mut self) -> Result<Cow<'a, str>, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected());
        }
        let name = self.string()?;
        self.skip_whitespace();
        self.expect(b':')?;
        self.skip_whitespace();
        Ok(name)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as written.
    fn number(&mut self) -> Result<&'a [u8], JsonError> {
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
        Ok(&self.bytes[start..self.pos])
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

    /// A string literal, the cursor on its opening quote: borrowed from the input unless it
    /// has escapes to decode.
    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.pos += 1;
        let mut decoded: Option<String> = None;
        let mut run = self.pos;
        loop {
            self.pos += plain_run(&self.bytes[self.pos..]);
            match self.peek() {
                None => return Err(JsonError::UnexpectedEnd),
                Some(b'"') => {
                    let text = self.run(run)?;
                    self.pos += 1;
                    return Ok(match decoded {
                        None => Cow::Borrowed(text),
                        Some(mut out) => {
                            out.push_str(text);
                            Cow::Owned(out)
                        }
                    });
                }
                Some(b'\\') => {
                    let text = self.run(run)?;
                    let out = decoded.get_or_insert_with(String::new);
                    out.push_str(text);
                    let c = self.escape()?;
                    out.push(c);
                    run = self.pos;
                }
                // What else stops the search: a raw control character.
                Some(_) => return Err(JsonError::ControlCharacter { offset: self.pos }),
            }
        }
    }

    /// The raw bytes `start..pos` as text. Runs end only at ASCII `"` or `\`, which never sit
    /// inside a multi-byte sequence, so validating run by run is exact.
    fn run(&self, start: usize) -> Result<&'a str, JsonError> {
        std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|e| JsonError::InvalidUnicode {
            offset: start + e.valid_up_to(),
        })
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

/// Whether `text` is one JSON number (RFC 8259 §6) and nothing else: what a `Value::Number`
/// must hold for the writer, which copies it, to write JSON.
pub(super) fn is_number(text: &str) -> bool {
    // A number's grammar needs no limits: the reader of a checked value serves.
    let mut reader = Raw(text.as_bytes()).reader();
    matches!(reader.peek(), Some(b'-' | b'0'..=b'9'))
        && reader.number().is_ok()
        && reader.pos == text.len()
}

/// The length of the plain text at the start of a string's contents: up to the first `"`, `\`
/// or control byte (below U+0020), or all of `bytes`. Eight bytes at a time, with the usual
/// word tricks: a byte at a time was most of what payload mode spent reading an invocation,
/// once for each level a large body sits below the top. The tricks can flag a byte past a real
/// match, never miss one (for "below n", as long as n <= 128), so a flagged word is searched a
/// byte at a time.
pub(super) fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH;
    let has = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        if has(word, b'"') | has(word, b'\\') | below(word, 0x20) != 0 {
            break;
        }
        at += 8;
    }
    let rest = bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
    at + rest.unwrap_or(bytes.len() - at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_value_debugs_as_its_json_text() {
        // What a `Request`'s Debug shows of its data and metadata.
        let raw = Raw::document(br#" {"a": [1, "\u00e9"]} "#, Limits::DOCUMENT).unwrap();
        assert_eq!(format!("{raw:?}"), r#"Raw({"a": [1, "\u00e9"]})"#);
    }

    #[test]
    fn a_plain_run_ends_at_the_first_quote_backslash_or_control_byte() {
        assert_eq!(plain_run(b""), 0);
        assert_eq!(plain_run(b"abc"), 3);
        // Every length and position across the eight-byte words, every stopping byte, and
        // bytes that stop nothing around it (high bytes of UTF-8, space, DEL).
        for len in 0..40 {
            for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                for at in 0..len {
                    let mut text = vec![b'a'; len];
                    for (i, byte) in text.iter_mut().enumerate() {
                        *byte = [b'a', 0xc3, 0xa9, b' ', 0x7f, 0x80, 0xff][i % 7];
                    }
                    text[at] = stop;
                    assert_eq!(plain_run(&text), at, "{text:?}");
                }
                let plain: Vec<u8> = (0..len)
                    .map(|i| [0x20, 0x21, 0x5b, 0x5d, 0xfe][i % 5])
                    .collect();
                assert_eq!(plain_run(&plain), len, "{plain:?}");
            }
        }
        // Every background byte with every byte placed at every position of two words and one:
        // the run ends where a byte-wise search says.
        let slow = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        };
        for background in 0..=255u8 {
            for placed in 0..=255u8 {
                for at in 0..17 {
                    let mut text = [background; 17];
                    text[at] = placed;
                    let expected = slow(&text).unwrap_or(text.len());
                    assert_eq!(plain_run(&text), expected, "{text:?}");
                }
            }
        }
    }
}
