//! Writing: a `Value` as compact or indented JSON text, and a string as a JSON literal.

use super::read::plain_run;
use super::Value;

impl Value {
    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    /// Append compact JSON text to `out`. Recurses once per nesting level, as parsed values
    /// are at most `JSON_MAX_DEPTH` deep.
    pub fn write_to(&self, out: &mut String) {
        self.write(out, None);
    }

    /// JSON text as Json.NET's `Formatting.Indented` writes it (the host, for an object body):
    /// two spaces per level, `"name": value`, and `[]`, `{}` when empty.
    pub fn to_json_indented(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(0));
        out
    }

    /// Writes compact text, or indented text at nesting level `depth`.
    fn write(&self, out: &mut String, depth: Option<usize>) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(text) => out.push_str(text),
            Value::String(s) => write_string(out, s),
            Value::Array(items) => {
                write_container(out, "[]", items.iter().map(|v| (None, v)), depth)
            }
            Value::Object(members) => {
                let members = members.iter().map(|(n, v)| (Some(n.as_str()), v));
                write_container(out, "{}", members, depth);
            }
        }
    }
}

/// An array or object between the two characters of `brackets`: its items, each with its
/// name for an object, compact or indented at nesting level `depth`.
fn write_container<'a>(
    out: &mut String,
    brackets: &str,
    items: impl ExactSizeIterator<Item = (Option<&'a str>, &'a Value)>,
    depth: Option<usize>,
) {
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let empty = items.len() == 0;
    out.push_str(&brackets[..1]);
    for (i, (name, value)) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(depth) = depth {
            newline(out, depth + 1);
        }
        if let Some(name) = name {
            write_string(out, name);
            out.push_str(if depth.is_some() { ": " } else { ":" });
        }
        value.write(out, depth.map(|d| d + 1));
    }
    if let (Some(depth), false) = (depth, empty) {
        newline(out, depth);
    }
    out.push_str(&brackets[1..]);
}

/// Append `s` as a JSON string literal (with quotes) to `out`: escape `"` `\\` and control chars
/// (\b \f \n \r \t short forms, others \u00XX); everything else, including non-ASCII, written
/// as-is (UTF-8).
pub fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    out.reserve(s.len() + 1);
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        // A plain run ends at an ASCII byte or the end, hence on a char boundary.
        let run = plain_run(&bytes[i..]);
        out.push_str(&s[i..i + run]);
        i += run;
        let Some(&byte) = bytes.get(i) else {
            break;
        };
        i += 1;
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => "",
        };
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(short);
        }
    }
    out.push('"');
}
