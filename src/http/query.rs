//! Query strings and form bodies (`application/x-www-form-urlencoded`), decoded the way
//! browsers encode them. (How the host's query collection reads keys is `azure::query`.)
//!
//! Decoding is lossy, never an error, as the WHATWG URL standard and ASP.NET (the host) both
//! do it: `+` is a space, `%XX` is a byte, a `%` not followed by two hex digits stays a literal
//! `%`, and bytes that are not UTF-8 become U+FFFD. A client that sends a broken escape gets the
//! text it sent, not a 400.

use std::borrow::Cow;

/// Splits a request target into its path and its query (without the `?`).
pub fn split_target(target: &str) -> (&str, &str) {
    match target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (target, ""),
    }
}

/// Every `name=value` pair of a query string or form body, decoded, in order. Empty pieces
/// (`a=1&&b=2`) are skipped.
pub fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    raw_pairs(query).map(|(name, value)| {
        (
            decode_form(name).into_owned(),
            decode_form(value).into_owned(),
        )
    })
}

/// The pieces of a query string, split at `&` and the first `=`, not decoded.
pub fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| piece.split_once('=').unwrap_or((piece, "")))
}

/// Decodes one form-encoded component: `+` is a space, then percent-decoding.
pub fn decode_form(s: &str) -> Cow<'_, str> {
    decode(s, true)
}

/// Percent-decodes a path segment: `+` stays a `+` there.
pub fn decode_path(s: &str) -> Cow<'_, str> {
    decode(s, false)
}

fn decode(s: &str, plus_is_space: bool) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'))
    {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    // Text in place when the bytes are UTF-8: a copy would hold the value twice, and a form
    // value can be as long as a body.
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}
