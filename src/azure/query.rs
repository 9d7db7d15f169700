//! The host's query collection (ASP.NET's `IQueryCollection`): keys compared ignoring ASCII
//! case, and a key given more than once read as its values joined with `,`. How a function
//! finds a query or form parameter, and how the host sends and forwards a query.

use std::borrow::Cow;

use crate::http::query::{decode_form, pairs};
use crate::http::request::group_by_name;

/// The value of `key` in a query string or form body, keys compared ignoring ASCII case as the
/// host's query collection does. A key given more than once has its values joined with `,`,
/// which is also how the host forwards repeats (`a=1&a=2` arrives as `a=1,2`). `None` when the
/// key is absent; `Some("")` for `key=` or a bare `key`. Borrowed from `query` when the value
/// needs no decoding and the key is there once.
pub fn lookup<'a>(query: &'a str, key: &str) -> Option<Cow<'a, str>> {
    lookup_form(query.as_bytes(), key)
}

/// `lookup` in a form body as it arrived, bytes that need not be UTF-8: the same as `lookup`
/// in its lossy text (bytes that are not UTF-8 read as U+FFFD), but only the pairs named `key`
/// are made text. The lossy text of the whole body is up to three times its size (each stray
/// byte a 3-byte U+FFFD), which an 8 MiB form with a one-word `name` cost for nothing.
pub fn lookup_form<'a>(form: &'a [u8], key: &str) -> Option<Cow<'a, str>> {
    let mut found: Option<Cow<'a, str>> = None;
    for piece in form.split(|&b| b == b'&').filter(|piece| !piece.is_empty()) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &[][..]),
        };
        // Each byte of a decoded name takes at most three (`%XX`): a longer one is not `key`,
        // and is not decoded.
        if name.len() > 3 * key.len()
            || !decode_form(&String::from_utf8_lossy(name)).eq_ignore_ascii_case(key)
        {
            continue;
        }
        // `&` and `=` are ASCII, never inside a UTF-8 sequence: a piece's lossy text is the
        // same cut from the whole body's.
        let value = match String::from_utf8_lossy(value) {
            Cow::Borrowed(text) => decode_form(text),
            Cow::Owned(text) => match decode_form(&text) {
                Cow::Owned(decoded) => Cow::Owned(decoded),
                Cow::Borrowed(_) => Cow::Owned(text),
            },
        };
        match &mut found {
            Some(joined) => {
                let joined = joined.to_mut();
                joined.push(',');
                joined.push_str(&value);
            }
            None => found = Some(value),
        }
    }
    found
}

/// Every key of a query string with its value, as the host's query collection holds them and
/// `lookup` finds them: decoded, grouped by key ignoring case (`request::group_by_name`), a
/// repeated key's values joined with `,`.
pub fn collection(query: &str) -> Vec<(String, String)> {
    group_by_name(pairs(query))
        .into_iter()
        .map(|(name, values)| (name, values.join(",")))
        .collect()
}

/// The query string the host sends for these parameters when it forwards a request
/// (`QueryHelpers.AddQueryString`): `name=value` pairs joined by `&`, each name and value
/// percent-encoded as .NET's `UrlEncoder.Default` does: UTF-8, upper-case hex, everything but
/// `A-Z a-z 0-9 - . _ ~ ! $ ( ) * , ; @`. Payload mode rebuilds a function's query with it, so a
/// function reads the same query text in both modes.
pub fn host_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        push_pair(&mut out, name, value);
    }
    out
}

/// Appends one `name=value` pair of `host_query` to `out`.
pub(super) fn push_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    url_encode(name, out);
    out.push('=');
    url_encode(value, out);
}

/// `text` percent-encoded for a path segment or a query value (as the host's `UrlEncoder.Default`
/// encodes), so that a header such as `Location` carries it in ASCII: letters, digits and
/// `-._~!$()*,;@` as they are, every other byte as `%XX`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    url_encode(text, &mut out);
    out
}

/// Appends `text` percent-encoded as `UrlEncoder.Default` does (see `host_query`), a run of
/// characters it keeps at a time.
fn url_encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let kept = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$()*,;@".contains(&b);
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let run = bytes[at..].iter().take_while(|&&b| kept(b)).count();
        if run > 0 {
            // A kept byte is ASCII, so the run starts and ends on character boundaries.
            out.push_str(&text[at..at + run]);
            at += run;
        }
        if let Some(&byte) = bytes.get(at) {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
            at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_query_keeps_only_url_encoder_defaults_characters() {
        let kept = "-._~!$()*,;@";
        let escaped = " '\"<>#%/:=?[\\]^`{|}+&";
        assert_eq!(
            host_query([(kept, escaped), ("", "")]),
            "-._~!$()*,;@=%20%27%22%3C%3E%23%25%2F%3A%3D%3F%5B%5C%5D%5E%60%7B%7C%7D%2B%26&="
        );
        assert_eq!(host_query([]), "");
        // Non-ASCII text is its UTF-8 bytes, each escaped, between runs of kept characters.
        assert_eq!(
            host_query([("é", "aé😀b"), ("x", "日本")]),
            "%C3%A9=a%C3%A9%F0%9F%98%80b&x=%E6%97%A5%E6%9C%AC"
        );
        // A path segment for a header: ASCII out, a slash escaped.
        assert_eq!(percent_encode("café 1/x-y"), "caf%C3%A9%201%2Fx-y");
    }

    /// `lookup_form` reads a form as `lookup` reads its lossy text, without making that text.
    #[test]
    fn a_form_of_any_bytes_reads_as_its_lossy_text() {
        let forms: [&[u8]; 12] = [
            b"name=Azure",
            b"NAME=a+b%20c&name=d&x=1",
            b"n%61me=%C3%A9&%6E%41%6D%45=2",
            b"name",
            b"name=&&name=x&",
            b"x=\xff\xfe&name=\xc3&name=\xa9",
            b"name=\xc3%A9&name=%C3\xa9",
            b"name=\xff\xff+%41\xe2\x82",
            b"\xff=1&name\xff=2&name=3",
            b"%6E%61%6D%65=long&%6E%61%6D%65%20=no",
            b"name=a=b&=name&name==",
            b"",
        ];
        for form in forms {
            let text = String::from_utf8_lossy(form);
            for key in ["name", "x", "\u{fffd}", ""] {
                assert_eq!(
                    lookup_form(form, key),
                    lookup_reference(&text, key),
                    "{form:?} {key:?}"
                );
            }
        }
        // Text that needs no decoding is borrowed from the form, as from a query.
        assert!(matches!(
            lookup_form(b"x=\xff&name=Azure", "name"),
            Some(Cow::Borrowed("Azure"))
        ));
    }

    /// How `lookup` read its text before `lookup_form`: every pair's name decoded.
    fn lookup_reference<'a>(query: &'a str, key: &str) -> Option<Cow<'a, str>> {
        let mut found: Option<Cow<'a, str>> = None;
        for (name, value) in crate::http::query::raw_pairs(query) {
            if decode_form(name).eq_ignore_ascii_case(key) {
                let value = decode_form(value);
                match &mut found {
                    Some(joined) => {
                        let joined = joined.to_mut();
                        joined.push(',');
                        joined.push_str(&value);
                    }
                    None => found = Some(value),
                }
            }
        }
        found
    }
}
