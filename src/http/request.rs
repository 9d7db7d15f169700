//! What a `Handler` is given: a request whose head has parsed and whose body has arrived,
//! borrowed from the connection's buffers. Nothing is copied to build it.

use crate::http::parse::{Field, Head, Version};

/// One request, borrowed from the buffers it arrived in; it lives as long as the `handle` call.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method as sent, e.g. `GET`.
    pub method: &'a str,
    /// The path, still percent-encoded, e.g. `/api/HelloRust`; `*` for `OPTIONS *`.
    pub path: &'a str,
    /// The query string without the `?`, still encoded; empty when there is none.
    pub query: &'a str,
    /// The protocol version of the request line.
    pub version: Version,
    /// The header fields, in the order received.
    pub headers: Headers<'a>,
    /// The whole body, decoded from its transfer coding.
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// The request whose `head` was parsed from `buf` (with its `fields`), and its `body`.
    pub fn new(buf: &'a [u8], head: &Head, fields: &'a [Field], body: &'a [u8]) -> Self {
        let path = head.path.str_of(buf);
        Request {
            method: head.method.str_of(buf),
            // An absolute-form target without a path (`http://host?q`) means `/`.
            path: if path.is_empty() { "/" } else { path },
            query: head.query.str_of(buf),
            version: head.version,
            headers: Headers {
                buf,
                fields,
                utf8: head.values_utf8,
            },
            body,
        }
    }

    /// The first value of the header `name`, compared ignoring ASCII case; `None` also when
    /// that value is not UTF-8 (see `Headers::get`).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name)
    }
}

/// The header fields of a request, in the order received, names as sent and values trimmed.
#[derive(Clone, Copy)]
pub struct Headers<'a> {
    buf: &'a [u8],
    fields: &'a [Field],
    utf8: bool,
}

impl<'a> Headers<'a> {
    /// The first value of `name`, compared ignoring ASCII case. A value holding bytes that are
    /// not UTF-8 (obs-text, RFC 9110 §5.5) is `None` here; `get_bytes` has it.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let value = self.get_bytes(name)?;
        std::str::from_utf8(value).ok()
    }

    /// The first value of `name` as bytes, compared ignoring ASCII case.
    pub fn get_bytes(&self, name: &str) -> Option<&'a [u8]> {
        self.fields
            .iter()
            .find(|f| f.name.of(self.buf).eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| f.value.of(self.buf))
    }

    /// Every field as a name and the value's bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let buf = self.buf;
        self.fields
            .iter()
            .map(move |f| (f.name.str_of(buf), f.value.of(buf)))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether every value is UTF-8, so `get` finds each of them.
    pub fn all_utf8(&self) -> bool {
        self.utf8
    }
}

impl std::fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|(name, value)| (name, String::from_utf8_lossy(value))),
            )
            .finish()
    }
}

/// The first value of `name` among name-value pairs, names compared ignoring ASCII case, as
/// header names are.
pub fn find_header<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Name-value pairs grouped by name, names compared ignoring ASCII case as header names are
/// (the first spelling kept), every value in order.
pub fn group_by_name(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, Vec<String>)> {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in pairs {
        match grouped
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((_, values)) => values.push(value),
            None => grouped.push((name, vec![value])),
        }
    }
    grouped
}

/// What the values of a header field given more than once are joined with into one line:
/// `; ` for `Cookie` (RFC 6265 §5.4), `, ` for any other (RFC 9110 §5.3).
pub fn field_separator(name: &str) -> &'static str {
    if name.eq_ignore_ascii_case("cookie") {
        "; "
    } else {
        ", "
    }
}

/// The media type of a `Content-Type` value: lower-cased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
