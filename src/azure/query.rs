//! The host's query collection (ASP.NET's `IQueryCollection`): keys compared ignoring ASCII
//! case, and a key given more than once read as its values joined with `,`. How a function
//! finds a query or form parameter, and how the host sends and forwards a query.

use std::borrow::Cow;

use crate::http::query::{decode_form, pairs, raw_pairs};
use crate::http::request::group_by_name;

/// The value of `key` in a query string or form body, keys compared ignoring ASCII case as the
/// host's query collection does. A key given more than once has its values joined with `,`,
/// which is also how the host forwards repeats (`a=1&a=2` arrives as `a=1,2`). `None` when the
/// key is absent; `Some("")` for `key=` or a bare `key`. Borrowed from `query` when the value
/// needs no decoding and the key is there once.
pub fn lookup<'a>(query: &'a str, key: &str) -> Option<Cow<'a, str>> {
    let mut found: Option<Cow<'a, str>> = None;
    for (name, value) in raw_pairs(query) {
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
}
