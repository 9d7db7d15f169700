//! The JSON.NET dialect the host reads its files in: RFC 8259 JSON plus a UTF-8 byte order
//! mark, `//` and `/* */` comments and trailing commas, which are blanked out before parsing.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use crate::azure::json::{self, JsonError, Value};

/// A settings file's JSON as JSON.NET reads it, a byte order mark, comments and trailing
/// commas allowed: for a local host reading local.settings.json.
///
/// # Errors
/// Why the text is not JSON even so.
pub fn parse_relaxed(text: &[u8]) -> Result<Value, JsonError> {
    json::parse(&relax(text.to_vec()))
}

/// The JSON in `file`, read as JSON.NET reads it; `None` when there is no such file.
pub(super) fn read_json(file: &Path) -> Result<Option<Value>, String> {
    let bytes = match fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(None)
        }
        Err(e) => return Err(format!("{}: cannot read: {e}", file.display())),
    };
    let text = relax(bytes);
    json::parse(&text).map(Some).map_err(|e| {
        let line = offset(e).map_or(String::new(), |at| {
            let line = 1 + text[..at.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            format!(" (line {line})")
        });
        format!("{}: not valid JSON: {e}{line}", file.display())
    })
}

fn offset(error: JsonError) -> Option<usize> {
    use JsonError::*;
    match error {
        UnexpectedByte { offset }
        | InvalidNumber { offset }
        | InvalidEscape { offset }
        | InvalidUnicode { offset }
        | ControlCharacter { offset }
        | TrailingData { offset } => Some(offset),
        Empty | UnexpectedEnd | TooDeep { .. } | TooLarge { .. } | TooManyValues { .. } => None,
    }
}

/// Blanks out what JSON.NET accepts and RFC 8259 does not: a UTF-8 byte order mark, `//` and
/// `/* */` comments, and a comma before `]` or `}`. Every byte keeps its offset and newlines
/// stay, so errors point at the right line.
fn relax(mut text: Vec<u8>) -> Vec<u8> {
    if text.starts_with(b"\xEF\xBB\xBF") {
        text[..3].fill(b' ');
    }
    // First the comments (a comma may be followed by one), then the trailing commas.
    let mut i = 0;
    while i < text.len() {
        match (text[i], text.get(i + 1)) {
            (b'"', _) => i = string_end(&text, i),
            (b'/', Some(b'/')) => {
                while i < text.len() && text[i] != b'\n' {
                    text[i] = b' ';
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                let Some(len) = text[i + 2..].windows(2).position(|w| w == b"*/") else {
                    // Unterminated: left for the parser to report.
                    return text;
                };
                for byte in &mut text[i..i + 2 + len + 2] {
                    if *byte != b'\n' {
                        *byte = b' ';
                    }
                }
                i += 2 + len + 2;
            }
            _ => i += 1,
        }
    }
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => i = string_end(&text, i),
            b',' => {
                let next = text[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
                if matches!(next, Some(b']' | b'}')) {
                    text[i] = b' ';
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    text
}

/// The index just past the string literal opening at `start` (or the end of `text`).
fn string_end(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Value, JsonError> {
        json::parse(&relax(text.as_bytes().to_vec()))
    }

    #[test]
    fn relax_blanks_what_json_net_accepts() {
        let cases: &[(&str, &str)] = &[
            ("\u{feff}{}", "{}"),
            ("{\"a\": 1, // note\n}", r#"{"a":1}"#),
            ("{/* x */\"a\": [1, 2, ], }", r#"{"a":[1,2]}"#),
            ("[1,\n /* a, b */ ]", "[1]"),
            // Inside strings nothing changes: slashes, commas and escaped quotes stay.
            (
                r#"{"u": "http://x/*y*/", "c": ",]"}"#,
                r#"{"u":"http://x/*y*/","c":",]"}"#,
            ),
            (r#"["a\"//", "b"]"#, r#"["a\"//","b"]"#),
            // An escaped backslash ends no string: the quote after it does.
            ("[\"a\\\\\", // c\n 1]", r#"["a\\",1]"#),
            // A line comment may end the file, with no newline after it.
            ("[1] // the end", "[1]"),
            // Scanning goes on just past a block comment: a string, then more comments.
            ("{/*abc*/\"a\": \"x\", // z\n}", r#"{"a":"x"}"#),
            (
                "  {/* abcd */\"a\": \"x\", /* efgh */ \"b\": \"//\", // z\n}",
                r#"{"a":"x","b":"//"}"#,
            ),
        ];
        for (input, compact) in cases {
            let value = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(value.to_json(), *compact, "{input:?}");
        }
    }

    #[test]
    fn a_file_that_cannot_be_read_is_an_error_and_a_missing_one_none() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(read_json(&root.join("no such file.json")), Ok(None));
        // A folder where the file should be: the host cannot read it either.
        let error = read_json(root).unwrap_err();
        assert!(error.contains(": cannot read: "), "{error}");
    }

    #[test]
    fn relax_leaves_real_errors_to_the_parser() {
        // Reasons: unterminated comment; two commas; a comment is not a value; an unterminated
        // string.
        for input in ["{} /* open", "[1,,]", "{\"a\": // x\n}", "{\"a\": \"open"] {
            assert!(parse(input).is_err(), "{input:?}");
        }
    }
}
