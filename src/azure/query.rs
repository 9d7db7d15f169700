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
