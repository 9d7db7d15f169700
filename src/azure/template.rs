//! Route templates in ASP.NET Core's syntax, which the host routes with: `products/{id}`,
//! `{id:int}`, `{id?}`, `{id=7}`, `{*rest}`. One parser and one matcher, for the handler's
//! router and for funchost, which routes as the host does. Literal segments match ignoring
//! ASCII case, and parameter values are percent-decoded.

use std::fmt::Write;

use crate::http::query::decode_path;

/// A parsed route template, such as `api/products/{id:int}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{id}`: one segment, which must satisfy the inline constraints (`{id:int}`); with
    /// `optional` (`{id?}`, or a default as in `{id=7}`) it may be left out, and then takes
    /// the default if there is one.
    Param {
        name: String,
        constraints: Vec<String>,
        optional: bool,
        default: Option<String>,
    },
    /// `{*rest}` or `{**rest}`: every remaining segment, joined with `/`; maybe none.
    CatchAll(String),
}

impl Template {
    /// Parses `template`; empty segments (a leading, trailing or doubled `/`) are ignored.
    pub fn parse(template: &str) -> Template {
        let segments = template
            .split('/')
            .filter(|s| !s.is_empty())
            .map(segment)
            .collect();
        Template { segments }
    }

    /// The route values if the segments of a percent-encoded path (`segments`) match, in
    /// template order. Only a value is copied: a template without parameters allocates nothing.
    pub fn matches<'p>(
        &self,
        mut rest: impl Iterator<Item = &'p str>,
    ) -> Option<Vec<(String, String)>> {
        let mut values = Vec::new();
        for pattern in &self.segments {
            match pattern {
                Segment::Literal(literal) => {
                    if !decode_path(rest.next()?).eq_ignore_ascii_case(literal) {
                        return None;
                    }
                }
                Segment::Param {
                    name,
                    constraints,
                    optional,
                    default,
                } => {
                    let value = match rest.next() {
                        Some(value) => decode_path(value).into_owned(),
                        None if *optional => match default {
                            Some(default) => default.clone(),
                            None => continue,
                        },
                        None => return None,
                    };
                    if !constraints.iter().all(|c| satisfies(c, &value)) {
                        return None;
                    }
                    values.push((name.clone(), value));
                }
                Segment::CatchAll(name) => {
                    let value: Vec<_> = rest.by_ref().map(decode_path).collect();
                    if !value.is_empty() {
                        values.push((name.clone(), value.join("/")));
                    }
                }
            }
        }
        rest.next().is_none().then_some(values)
    }

    /// The template as a path, e.g. `/api/products/{id}`: parameters by name only.
    pub fn path(&self) -> String {
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            let _ = match segment {
                Segment::Literal(s) => write!(path, "{s}"),
                Segment::Param { name, optional, .. } => {
                    write!(path, "{{{name}{}}}", if *optional { "?" } else { "" })
                }
                Segment::CatchAll(name) => write!(path, "{{*{name}}}"),
            };
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }
}

/// The segments of a percent-encoded path, for `Template::matches`: empty ones are ignored, as
/// they are in templates.
pub fn segments(path: &str) -> impl Iterator<Item = &str> + Clone {
    path.split('/').filter(|s| !s.is_empty())
}

/// One segment of a template: `{name:constraint...?}`, `{name=default}`, `{*name}`, or text.
fn segment(s: &str) -> Segment {
    let Some(inner) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return Segment::Literal(s.to_string());
    };
    if let Some(name) = inner.strip_prefix('*') {
        let name = name.trim_start_matches('*');
        return Segment::CatchAll(
            name.split([':', '?', '='])
                .next()
                .unwrap_or(name)
                .to_string(),
        );
    }
    let (inner, default) = match inner.split_once('=') {
        Some((inner, default)) => (inner, Some(default.to_string())),
        None => (inner, None),
    };
    let optional = inner.ends_with('?') || default.is_some();
    let mut parts = inner.trim_end_matches('?').split(':');
    let name = parts.next().unwrap_or_default().to_string();
    let constraints = parts.map(str::to_ascii_lowercase).collect();
    Segment::Param {
        name,
        constraints,
        optional,
        default,
    }
}

/// The common inline constraints; others (`regex(...)`, `length(...)`, ...) accept anything.
fn satisfies(constraint: &str, value: &str) -> bool {
    match constraint {
        "int" | "long" => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        "alpha" => value.bytes().all(|b| b.is_ascii_alphabetic()),
        "bool" => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        "guid" => {
            let hex: Vec<u8> = value.bytes().filter(|&b| b != b'-').collect();
            hex.len() == 32 && hex.iter().all(u8::is_ascii_hexdigit)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_as_aspnet_routes_do() {
        // (template, path, the route values, or None for no match)
        type Case = (
            &'static str,
            &'static str,
            Option<&'static [(&'static str, &'static str)]>,
        );
        let cases: &[Case] = &[
            ("api/HelloRust", "/API/hellorust/", Some(&[])),
            ("api/HelloRust", "/api/HelloRust/x", None),
            ("api/HelloRust", "/HelloRust", None),
            ("v1/api/x", "/v1/api/x", Some(&[])),
            (
                "api/products/{id}",
                "/api/products/a%20b",
                Some(&[("id", "a b")]),
            ),
            ("api/products/{id}", "/api/products", None),
            ("api/products/{id}", "/api/products/7/x", None),
            ("api/p/{id?}", "/api/p", Some(&[])),
            ("api", "/api/", Some(&[])),
            (
                "api/products/{id:int}",
                "/api/products/-7",
                Some(&[("id", "-7")]),
            ),
            ("api/products/{id:int}", "/api/products/seven", None),
            (
                "api/p/{c:alpha}/{id:int?}",
                "/api/p/books",
                Some(&[("c", "books")]),
            ),
            ("api/p/{c:alpha}/{id:int?}", "/api/p/b00ks/1", None),
            ("api/p/{c:alpha}/{id:int?}", "/api/p/books/x", None),
            ("api/p/{id:int:min(1)}", "/api/p/3", Some(&[("id", "3")])),
            ("api/p/{ok:bool}", "/api/p/TRUE", Some(&[("ok", "TRUE")])),
            (
                "api/p/{g:guid}",
                "/api/p/0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11",
                Some(&[("g", "0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11")]),
            ),
            ("api/p/{g:guid}", "/api/p/0b1e4c6a", None),
            ("api/p/{id=5}", "/api/p", Some(&[("id", "5")])),
            ("api/p/{id:int=5}", "/api/p/6", Some(&[("id", "6")])),
            (
                "api/files/{*rest}",
                "/api/files/a/b%2Fc/d",
                Some(&[("rest", "a/b/c/d")]),
            ),
            ("api/files/{**rest}", "/api/files", Some(&[])),
            ("{a}/{b}", "/x/y", Some(&[("a", "x"), ("b", "y")])),
        ];
        for (template, path, expected) in cases {
            let got = Template::parse(template).matches(segments(path));
            let expected = expected.map(|e| {
                e.iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, expected, "{template} {path}");
        }
    }

    #[test]
    fn a_template_shows_as_a_path_of_parameter_names() {
        for (template, path) in [
            ("api/products/{id:int}", "/api/products/{id}"),
            ("/v2/{x?}/{y=1}/{*rest}", "/v2/{x?}/{y?}/{*rest}"),
            ("", "/"),
        ] {
            assert_eq!(Template::parse(template).path(), path, "{template}");
        }
    }
}
