//! Which HTTP function a request reaches: `/{routePrefix}/{route}` with ASP.NET-style route
//! templates (`products/{id:int}`, `{name?}`, `{*rest}`), literal segments compared ignoring
//! case, and the function's `methods` as a constraint (a method not listed gets 404, as a route
//! constraint that does not match does in the host).

use handler::http::query::decode_path;

/// One piece of a route template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param {
        name: String,
        constraint: Option<String>,
        optional: bool,
        catch_all: bool,
    },
}

/// A parsed route template: the prefix segments and then the function's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// `prefix` (`api`, `""`, `v1/api`) and the function's `route` (or its name).
    pub fn new(prefix: &str, route: &str) -> Template {
        let parts = prefix.split('/').chain(route.split('/'));
        let segments = parts
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(inner) => {
                        let catch_all = inner.starts_with('*');
                        let inner = inner.trim_start_matches('*');
                        let optional = inner.ends_with('?');
                        let inner = inner.trim_end_matches('?');
                        // `{id=5}` has a default value: it may be left out like `{id?}`.
                        let (inner, has_default) = match inner.split_once('=') {
                            Some((name, _)) => (name, true),
                            None => (inner, false),
                        };
                        let (name, constraint) = match inner.split_once(':') {
                            Some((name, c)) => (name, Some(c.to_ascii_lowercase())),
                            None => (inner, None),
                        };
                        Segment::Param {
                            name: name.to_string(),
                            constraint,
                            optional: optional || has_default || catch_all,
                            catch_all,
                        }
                    }
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        Template { segments }
    }

    /// The route values if the percent-encoded `path` matches, in template order.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let actual: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut values = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(literal) => {
                    let got = actual.get(i)?;
                    if !decode_path(got).eq_ignore_ascii_case(literal) {
                        return None;
                    }
                }
                Segment::Param {
                    name,
                    constraint,
                    optional,
                    catch_all,
                } => {
                    let value = if *catch_all {
                        let rest: Vec<String> = actual
                            .iter()
                            .skip(i)
                            .map(|s| decode_path(s).into_owned())
                            .collect();
                        Some(rest.join("/")).filter(|v| !v.is_empty())
                    } else {
                        actual.get(i).map(|s| decode_path(s).into_owned())
                    };
                    match value {
                        Some(value) if satisfies(constraint.as_deref(), &value) => {
                            values.push((name.clone(), value));
                        }
                        Some(_) => return None,
                        None if *optional => {}
                        None => return None,
                    }
                    if *catch_all {
                        return Some(values);
                    }
                }
            }
        }
        (actual.len() <= self.segments.len()).then_some(values)
    }
}

/// The common inline constraints; others (`regex(...)`, `length(...)`, ...) accept anything.
fn satisfies(constraint: Option<&str>, value: &str) -> bool {
    match constraint {
        Some("int" | "long") => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        Some("alpha") => value.chars().all(|c| c.is_ascii_alphabetic()),
        Some("bool") => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        Some("guid") => {
            let hex: String = value.chars().filter(|c| *c != '-').collect();
            hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        _ => true,
    }
}

/// Whether `method` is allowed by a function's `methods` (lower-case; empty allows all).
pub fn allows(methods: &[String], method: &str) -> bool {
    methods.is_empty() || methods.iter().any(|m| m.eq_ignore_ascii_case(method))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn literal_routes_ignore_case() {
        let t = Template::new("api", "HelloRust");
        assert_eq!(t.matches("/api/HelloRust"), values(&[]));
        assert_eq!(t.matches("/API/hellorust/"), values(&[]));
        assert_eq!(t.matches("/api/HelloRust/x"), None);
        assert_eq!(t.matches("/HelloRust"), None);
        assert_eq!(
            Template::new("", "HelloRust").matches("/HelloRust"),
            values(&[])
        );
        assert_eq!(
            Template::new("v1/api", "x").matches("/v1/api/x"),
            values(&[])
        );
    }

    #[test]
    fn parameters_constraints_and_catch_all() {
        let t = Template::new("api", "products/{category:alpha}/{id:int?}");
        assert_eq!(
            t.matches("/api/products/books/42"),
            values(&[("category", "books"), ("id", "42")])
        );
        assert_eq!(
            t.matches("/api/products/books"),
            values(&[("category", "books")])
        );
        assert_eq!(t.matches("/api/products/books/x"), None);
        assert_eq!(t.matches("/api/products/b00ks/1"), None);
        let t = Template::new("api", "files/{*path}");
        assert_eq!(
            t.matches("/api/files/a/b%20c"),
            values(&[("path", "a/b c")])
        );
        assert_eq!(t.matches("/api/files"), values(&[]));
        let t = Template::new("api", "items/{id=7}");
        assert_eq!(t.matches("/api/items"), values(&[]));
    }

    #[test]
    fn methods() {
        let get_post = vec!["get".to_string(), "post".to_string()];
        assert!(allows(&get_post, "GET"));
        assert!(!allows(&get_post, "HEAD"));
        assert!(allows(&[], "DELETE"));
    }
}
