//! Which function answers a method and path. Routes are built once at start-up, from the app's
//! files (`from_app`) or, with none, from the function table (`builtin_for`); matching is
//! case-insensitive on literal segments, as Azure's routing is (`/api/hellorust` works).
//!
//! A route either serves requests the host forwards (`/<prefix>/<route>`, the function's
//! response is the answer) or the host's payload-mode invocations (`POST /<FunctionName>`,
//! answered by `payload`). Forwarded routes are matched first: with `routePrefix: ""` a
//! forwarded route can have the same path as an invocation, and a client's request must never be
//! read as an invocation.

use std::fmt::Write;

use crate::azure::appfiles::{AppConfig, DEFAULT_ROUTE_PREFIX};
use crate::azure::payload::Shape;
use crate::functions::{self, Function};
use crate::http::query::decode_path;

/// One piece of a route template such as `products/{id}`. The template syntax is ASP.NET
/// Core's, which the host uses; constraints (`{id:int}`) are accepted and not checked, since
/// the host has already matched them before it forwards a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{id}`: exactly one segment.
    Param(String),
    /// `{id?}` or `{id=7}`: one segment or none, then the default if there is one.
    Optional(String, Option<String>),
    /// `{*rest}` or `{**rest}`: every remaining segment, joined with `/`; maybe none.
    CatchAll(String),
}

/// How requests reach a route's function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The host forwards the client's request as it came; the function's response goes back
    /// as it is.
    Forwarded,
    /// The host's JSON invocation, `POST /<FunctionName>`: see `payload`.
    Payload(Shape),
}

/// A function reachable at a path, for some methods.
#[derive(Debug, Clone)]
pub struct Route {
    pub function: &'static Function,
    pub mode: Mode,
    segments: Vec<Segment>,
    /// Upper-case method names; empty means every method, as a function.json without
    /// `methods` allows.
    methods: Vec<String>,
}

/// What the router found for a request.
#[derive(Debug)]
pub enum Found<'a> {
    /// The route, and the values of its `{parameters}`.
    Route(&'a Route, Vec<(String, String)>),
    /// A route has the path but not the method: the `Allow` header's value.
    MethodNotAllowed(String),
    NotFound,
}

/// The routing table.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// The route prefix of HTTP functions when host.json does not set one.
    pub const DEFAULT_PREFIX: &'static str = DEFAULT_ROUTE_PREFIX;

    /// `builtin_for` the shipped function table.
    pub fn builtin() -> Router {
        Router::builtin_for(functions::FUNCTIONS)
    }

    /// Without host.json: every function of `table` at `api/<Name>` for GET and POST, what the
    /// quickstart's function.json (`"methods": ["get", "post"]`, no `route`) declares, and at
    /// `POST /<Name>` for payload mode with the quickstart's `req`/`res` bindings.
    pub fn builtin_for(table: &'static [Function]) -> Router {
        let mut router = Router::default();
        for function in table {
            router.add(
                function,
                &format!("{}/{}", Self::DEFAULT_PREFIX, function.name),
                &["get", "post"],
            );
        }
        for function in table {
            router.add_payload(function, Shape::quickstart());
        }
        router
    }

    /// The routes `app` declares, served by the functions of `table` with the same names
    /// (ignoring ASCII case). Every function answers payload-mode invocations at
    /// `POST /<Name>`; those the host forwards (`AppConfig::forwards`) also answer at
    /// `/<prefix>/<route>` for their `methods`.
    ///
    /// # Errors
    /// A one-line message naming the first function.json that has no function in `table`, and
    /// the registered names.
    pub fn from_app(app: &AppConfig, table: &'static [Function]) -> Result<Router, String> {
        let mut router = Router::default();
        let mut payload = Vec::new();
        for config in &app.functions {
            let Some(function) = functions::find(table, &config.name) else {
                let registered: Vec<&str> = table.iter().map(|f| f.name).collect();
                return Err(format!(
                    "{}: no Rust function is registered as {:?} (registered: {})",
                    app.root.join(&config.name).join("function.json").display(),
                    config.name,
                    if registered.is_empty() {
                        "none".to_string()
                    } else {
                        registered.join(", ")
                    }
                ));
            };
            if app.forwards(config) {
                let template = match app.route_prefix.as_str() {
                    "" => config.route().to_string(),
                    prefix => format!("{prefix}/{}", config.route()),
                };
                let methods = config.trigger().map_or(&[][..], |t| &t.methods[..]);
                let methods: Vec<&str> = methods.iter().map(String::as_str).collect();
                router.add(function, &template, &methods);
            }
            payload.push((function, Shape::of(config)));
        }
        for (function, shape) in payload {
            router.add_payload(function, shape);
        }
        Ok(router)
    }

    /// Adds `function` at `template` (e.g. `api/HelloRust`, `api/products/{id}`) for `methods`
    /// (any case; empty for all), for forwarded requests.
    pub fn add(&mut self, function: &'static Function, template: &str, methods: &[&str]) {
        let segments = template
            .split('/')
            .filter(|s| !s.is_empty())
            .map(segment)
            .collect();
        let methods = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
        self.routes.push(Route {
            function,
            mode: Mode::Forwarded,
            segments,
            methods,
        });
    }

    /// Adds `function` for payload-mode invocations at `POST /<Name>`.
    pub fn add_payload(&mut self, function: &'static Function, shape: Shape) {
        self.routes.push(Route {
            function,
            mode: Mode::Payload(shape),
            segments: vec![Segment::Literal(function.name.to_string())],
            methods: vec!["POST".to_string()],
        });
    }

    /// The route for `method` and a percent-encoded `path`. HEAD is served wherever GET is.
    /// Another method than POST on a payload path is not found: the host only POSTs there, and
    /// an `Allow` header would advertise a resource clients cannot use.
    pub fn find(&self, method: &str, path: &str) -> Found<'_> {
        let segments = path.split('/').filter(|s| !s.is_empty());
        let mut allowed: Vec<&str> = Vec::new();
        for route in &self.routes {
            let Some(params) = route.matches(segments.clone()) else {
                continue;
            };
            if route.allows(method) {
                return Found::Route(route, params);
            }
            if route.mode == Mode::Forwarded {
                allowed.extend(route.methods.iter().map(String::as_str));
            }
        }
        if allowed.is_empty() {
            return Found::NotFound;
        }
        if allowed.contains(&"GET") {
            allowed.push("HEAD");
        }
        allowed.sort_unstable();
        allowed.dedup();
        Found::MethodNotAllowed(allowed.join(", "))
    }

    /// Every route, in the order added.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The functions served and how, for the start-up line:
    /// `HelloRust [GET,POST /api/HelloRust], Tick [payload]`. A function lists its forwarded
    /// routes, or `payload` when the host only invokes it; every function also answers
    /// payload-mode invocations.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let mut seen: Vec<&str> = Vec::new();
        for route in &self.routes {
            let name = route.function.name;
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let forwarded: Vec<String> = self
                .routes
                .iter()
                .filter(|r| r.function.name == name && r.mode == Mode::Forwarded)
                .map(|r| {
                    let methods = match r.methods.join(",") {
                        m if m.is_empty() => "any".to_string(),
                        m => m,
                    };
                    format!("{methods} {}", r.path())
                })
                .collect();
            if !out.is_empty() {
                out.push_str(", ");
            }
            let how = match forwarded.join("; ") {
                f if f.is_empty() => "payload".to_string(),
                f => f,
            };
            let _ = write!(out, "{name} [{how}]");
        }
        if out.is_empty() {
            out.push_str("none");
        }
        out
    }
}

/// One segment of a template.
fn segment(s: &str) -> Segment {
    let Some(inner) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return Segment::Literal(s.to_string());
    };
    let name = |p: &str| {
        p.split([':', '?', '='])
            .next()
            .unwrap_or(p)
            .trim_start_matches('*')
            .to_string()
    };
    if inner.starts_with('*') {
        return Segment::CatchAll(name(inner));
    }
    if let Some((_, default)) = inner.split_once('=') {
        return Segment::Optional(name(inner), Some(default.to_string()));
    }
    if inner.ends_with('?') {
        return Segment::Optional(name(inner), None);
    }
    Segment::Param(name(inner))
}

impl Route {
    /// The route's parameters if it matches the path's segments (still percent-encoded). Only
    /// a parameter's value is copied: matching a route without parameters allocates nothing.
    fn matches<'p>(
        &self,
        mut rest: impl Iterator<Item = &'p str>,
    ) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        for pattern in &self.segments {
            match pattern {
                Segment::Literal(lit) => {
                    if !decode_path(rest.next()?).eq_ignore_ascii_case(lit) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = decode_path(rest.next()?).into_owned();
                    params.push((name.clone(), value));
                }
                Segment::Optional(name, default) => {
                    let value = match rest.next() {
                        Some(value) => decode_path(value).into_owned(),
                        None => match default {
                            Some(default) => default.clone(),
                            None => continue,
                        },
                    };
                    params.push((name.clone(), value));
                }
                Segment::CatchAll(name) => {
                    let value: Vec<_> = rest.by_ref().map(decode_path).collect();
                    if !value.is_empty() {
                        params.push((name.clone(), value.join("/")));
                    }
                }
            }
        }
        rest.next().is_none().then_some(params)
    }

    fn allows(&self, method: &str) -> bool {
        self.methods.is_empty()
            || self.methods.iter().any(|m| m == method)
            || (method == "HEAD" && self.methods.iter().any(|m| m == "GET"))
    }

    /// Upper-case method names; empty means every method.
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// The route template as a path, e.g. `/api/HelloRust`, `/api/products/{id}`.
    pub fn path(&self) -> String {
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(s) => path.push_str(s),
                Segment::Param(p) => {
                    let _ = write!(path, "{{{p}}}");
                }
                Segment::Optional(p, _) => {
                    let _ = write!(path, "{{{p}?}}");
                }
                Segment::CatchAll(p) => {
                    let _ = write!(path, "{{*{p}}}");
                }
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::request::Request;
    use crate::azure::response::Response;

    fn nothing(_: &Request) -> Response {
        Response::new(204)
    }

    static A: Function = Function {
        name: "A",
        run: nothing,
    };

    fn params(found: Found<'_>) -> Option<Vec<(String, String)>> {
        match found {
            Found::Route(_, params) => Some(params),
            _ => None,
        }
    }

    #[test]
    fn templates_match_as_aspnet_routes_do() {
        // (template, path, the parameters, or None for no match)
        type Case = (
            &'static str,
            &'static str,
            Option<&'static [(&'static str, &'static str)]>,
        );
        let cases: &[Case] = &[
            ("api/products/{id}", "/api/products/7", Some(&[("id", "7")])),
            (
                "api/products/{id}",
                "/API/Products/a%20b",
                Some(&[("id", "a b")]),
            ),
            ("api/products/{id}", "/api/products", None),
            ("api/products/{id}", "/api/products/7/x", None),
            (
                "api/products/{id:int}",
                "/api/products/7",
                Some(&[("id", "7")]),
            ),
            ("api/p/{id?}", "/api/p", Some(&[])),
            ("api/p/{id:int?}", "/api/p/3", Some(&[("id", "3")])),
            ("api/p/{id=5}", "/api/p", Some(&[("id", "5")])),
            ("api/p/{id=5}", "/api/p/6", Some(&[("id", "6")])),
            (
                "api/files/{*rest}",
                "/api/files/a/b%2Fc/d",
                Some(&[("rest", "a/b/c/d")]),
            ),
            ("api/files/{**rest}", "/api/files", Some(&[])),
            ("{a}/{b}", "/x/y", Some(&[("a", "x"), ("b", "y")])),
            ("api", "/api/", Some(&[])),
        ];
        for (template, path, expected) in cases {
            let mut router = Router::default();
            router.add(&A, template, &[]);
            let got = params(router.find("GET", path));
            let expected = expected.map(|e| {
                e.iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, expected, "{template} {path}");
        }
    }

    #[test]
    fn payload_paths_take_post_only_and_never_405() {
        let mut router = Router::default();
        router.add_payload(&A, Shape::quickstart());
        assert!(
            matches!(router.find("POST", "/a"), Found::Route(r, _) if matches!(r.mode, Mode::Payload(_)))
        );
        assert!(matches!(router.find("GET", "/A"), Found::NotFound));
        assert!(matches!(router.find("POST", "/A/x"), Found::NotFound));
    }

    #[test]
    fn from_app_matches_forwarded_routes_before_payload_paths() {
        static TABLE: [Function; 1] = [Function {
            name: "A",
            run: nothing,
        }];
        let app = AppConfig {
            root: "/app".into(),
            route_prefix: String::new(),
            forwarding: true,
            proxying: false,
            executable: String::new(),
            arguments: Vec::new(),
            working_directory: String::new(),
            functions: vec![crate::azure::appfiles::FunctionConfig {
                name: "a".to_string(),
                bindings: vec![
                    binding("httpTrigger", "in", "req", &["post"]),
                    binding("http", "out", "res", &[]),
                ],
            }],
        };
        let router = Router::from_app(&app, &TABLE).unwrap();
        // With no prefix the forwarded route is `/a` too: a client's POST is forwarded.
        assert!(
            matches!(router.find("POST", "/A"), Found::Route(r, _) if r.mode == Mode::Forwarded)
        );
        assert!(
            matches!(router.find("GET", "/a"), Found::MethodNotAllowed(allow) if allow == "POST")
        );
        assert_eq!(router.describe(), "A [POST /a]");

        let error = Router::from_app(&app, &[]).unwrap_err();
        assert_eq!(
            error,
            "/app/a/function.json: no Rust function is registered as \"a\" (registered: none)"
        );
    }

    fn binding(
        kind: &str,
        direction: &str,
        name: &str,
        methods: &[&str],
    ) -> crate::azure::appfiles::Binding {
        crate::azure::appfiles::Binding {
            kind: kind.to_string(),
            direction: direction.to_string(),
            name: name.to_string(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            route: None,
            auth_level: None,
            data_type: None,
            cardinality: None,
        }
    }

    #[test]
    fn describe_lists_forwarded_routes_or_payload() {
        let mut router = Router::default();
        router.add(&A, "api/A", &["get", "post"]);
        router.add(&A, "v2/{x}", &[]);
        router.add_payload(&A, Shape::quickstart());
        assert_eq!(router.describe(), "A [GET,POST /api/A; any /v2/{x}]");
        let mut router = Router::default();
        router.add_payload(&A, Shape::quickstart());
        assert_eq!(router.describe(), "A [payload]");
        assert_eq!(Router::default().describe(), "none");
    }
}
