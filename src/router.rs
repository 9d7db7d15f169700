//! Which function answers a method and path. Routes are built once at start-up; matching is
//! case-insensitive on literal segments, as Azure's routing is (`/api/hellorust` works).

use crate::functions::Function;
use crate::query::decode_path;

/// One piece of a route template such as `products/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A function reachable at a path, for some methods.
#[derive(Debug, Clone)]
pub struct Route {
    pub function: &'static Function,
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
    pub const DEFAULT_PREFIX: &'static str = "api";

    /// Every registered function at `api/<Name>`, for GET and POST: what a function.json with
    /// `"methods": ["get", "post"]` and no `route` declares.
    pub fn builtin() -> Router {
        let mut router = Router::default();
        for function in crate::functions::FUNCTIONS {
            router.add(
                function,
                &format!("{}/{}", Self::DEFAULT_PREFIX, function.name),
                &["get", "post"],
            );
        }
        router
    }

    /// Adds `function` at `template` (e.g. `api/HelloRust`, `api/products/{id}`) for `methods`
    /// (any case; empty for all).
    pub fn add(&mut self, function: &'static Function, template: &str, methods: &[&str]) {
        let segments = template
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    // `{id?}` and `{id:int}` constraints are accepted as plain parameters.
                    Some(p) => {
                        Segment::Param(p.split([':', '?', '=']).next().unwrap_or(p).to_string())
                    }
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        let methods = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
        self.routes.push(Route {
            function,
            segments,
            methods,
        });
    }

    /// The route for `method` and a percent-encoded `path`. HEAD is served wherever GET is.
    pub fn find(&self, method: &str, path: &str) -> Found<'_> {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode_path)
            .collect();
        let mut allowed: Vec<&str> = Vec::new();
        for route in &self.routes {
            let Some(params) = route.matches(&segments) else {
                continue;
            };
            if route.allows(method) {
                return Found::Route(route, params);
            }
            allowed.extend(route.methods.iter().map(String::as_str));
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
}

impl Route {
    fn matches(&self, segments: &[String]) -> Option<Vec<(String, String)>> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (pattern, actual) in self.segments.iter().zip(segments) {
            match pattern {
                Segment::Literal(lit) if lit.eq_ignore_ascii_case(actual) => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), actual.clone())),
            }
        }
        Some(params)
    }

    fn allows(&self, method: &str) -> bool {
        self.methods.is_empty()
            || self.methods.iter().any(|m| m == method)
            || (method == "HEAD" && self.methods.iter().any(|m| m == "GET"))
    }

    /// The route template as a path, e.g. `/api/HelloRust`.
    pub fn path(&self) -> String {
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(s) => path.push_str(s),
                Segment::Param(p) => {
                    path.push('{');
                    path.push_str(p);
                    path.push('}');
                }
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }
}
