//! Which function answers a method and path. Routes are built once at start-up, from the app's
//! files (`from_app`) or, with none, from the function table (`builtin_for`). Paths match
//! `template`s as the host's do: literal segments ignoring case (`/api/hellorust` works), and
//! inline constraints checked (`{id:int}`), so a path the host would not route to a function
//! does not reach it here either.
//!
//! A route either serves requests the host forwards (`/<prefix>/<route>`, the function's
//! response is the answer) or the host's payload-mode invocations (`POST /<FunctionName>`,
//! answered by `payload`). Forwarded routes are matched first, so that a client's request is
//! never read as an invocation; `from_app` refuses an app whose forwarded route could take an
//! invocation (`routePrefix: ""`).

use std::fmt::Write;

use crate::azure::appfiles::{AppConfig, DEFAULT_ROUTE_PREFIX};
use crate::azure::payload::Shape;
use crate::azure::run::{self, Function};
use crate::azure::template::{self, Template};

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
    /// Where it is: `api/products/{id}`, or `<Name>` for payload mode.
    template: Template,
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
    /// Without host.json: every function of `table` at `api/<Name>` for GET and POST, what the
    /// quickstart's function.json (`"methods": ["get", "post"]`, no `route`) declares, and at
    /// `POST /<Name>` for payload mode with the quickstart's `req`/`res` bindings.
    pub fn builtin_for(table: &'static [Function]) -> Router {
        let mut router = Router::default();
        for function in table {
            let path = format!("{DEFAULT_ROUTE_PREFIX}/{}", function.name);
            router.push_forwarded(function, Template::literal(&path), &["get", "post"]);
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
    /// A one-line message naming the function.json at fault: the first that has no function in
    /// `table` (with the registered names), a route the host would refuse, or a forwarded route
    /// that would take another function's invocations (`check_invocations`).
    pub fn from_app(app: &AppConfig, table: &'static [Function]) -> Result<Router, String> {
        let mut router = Router::default();
        let mut payload = Vec::new();
        let mut invoked = Vec::new();
        for config in &app.functions {
            let Some(function) = run::find(table, &config.name) else {
                let registered: Vec<&str> = table.iter().map(|f| f.name).collect();
                return Err(format!(
                    "{}: no Rust function is registered as {:?} (registered: {}); register it \
                     in FUNCTIONS in src/functions/mod.rs (as `funchost new` does for a new \
                     function) and rebuild the handler",
                    app.root.join(&config.name).join("function.json").display(),
                    config.name,
                    if registered.is_empty() {
                        "none".to_string()
                    } else {
                        registered.join(", ")
                    },
                ));
            };
            if app.forwards(config) {
                let methods: Vec<&str> = config.methods().iter().map(String::as_str).collect();
                router.push_forwarded(function, app.template(config)?, &methods);
            } else {
                invoked.push(&config.name);
            }
            payload.push((function, Shape::of(config)));
        }
        for (function, shape) in payload {
            router.add_payload(function, shape);
        }
        let forwards = router.routes.iter().any(|r| r.mode == Mode::Forwarded);
        if forwards && !invoked.is_empty() {
            router.check_invocations(app, &invoked)?;
        }
        Ok(router)
    }

    /// Whether the invocations of the functions `invoked` reach them. The host POSTs them to
    /// `/<Name>` on the port that forwarded requests reach too, and forwarded routes match
    /// first: one that matches that path (`routePrefix: ""` and a route named after the
    /// function, or `{*rest}`) would take them.
    ///
    /// Out of line, and called only for an app that both forwards and invokes: the shipped
    /// app's start-up keeps to fewer pages of code (link/profile.sh).
    #[inline(never)]
    fn check_invocations(&self, app: &AppConfig, invoked: &[&String]) -> Result<(), String> {
        for name in invoked {
            let path = format!("/{name}");
            if let Found::Route(route, _) = self.find("POST", &path) {
                if route.mode == Mode::Forwarded {
                    return Err(takes_invocations(app, route, &path));
                }
            }
        }
        Ok(())
    }

    /// Adds `function` at `template` (e.g. `api/HelloRust`, `api/products/{id}`) for `methods`
    /// (any case; empty for all), for forwarded requests.
    ///
    /// # Errors
    /// Why the host would refuse `template` (`Template::parse`).
    pub fn add(
        &mut self,
        function: &'static Function,
        template: &str,
        methods: &[&str],
    ) -> Result<(), String> {
        self.push_forwarded(function, Template::parse(template)?, methods);
        Ok(())
    }

    fn push_forwarded(
        &mut self,
        function: &'static Function,
        template: Template,
        methods: &[&str],
    ) {
        let methods = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
        self.routes.push(Route {
            function,
            mode: Mode::Forwarded,
            template,
            methods,
        });
    }

    /// Adds `function` for payload-mode invocations at `POST /<Name>`.
    pub(crate) fn add_payload(&mut self, function: &'static Function, shape: Shape) {
        self.routes.push(Route {
            function,
            mode: Mode::Payload(shape),
            template: Template::literal(function.name),
            methods: vec!["POST".to_string()],
        });
    }

    /// The route for `method` and a percent-encoded `path`. HEAD is served wherever GET is.
    /// Another method than POST on a payload path is not found: the host only POSTs there, and
    /// an `Allow` header would advertise a resource clients cannot use.
    pub fn find(&self, method: &str, path: &str) -> Found<'_> {
        let segments = template::segments(path);
        let mut allowed: Vec<&str> = Vec::new();
        for route in &self.routes {
            let Some(params) = route.template.matches(segments.clone()) else {
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

/// Why `route` cannot be: it takes the invocations the host sends to `path`. The host knows no
/// such clash, since its routes and its invocations never meet; a custom handler, on one port,
/// cannot tell them apart.
#[cold]
#[inline(never)]
fn takes_invocations(app: &AppConfig, route: &Route, path: &str) -> String {
    let name = route.function.name;
    let folder = app.function(name).map_or(name, |f| f.name.as_str());
    format!(
        "{}: route {} also matches POST {path}, where the host sends {}'s invocations, and the \
         handler cannot tell the two apart: give {folder} another route, or keep a routePrefix",
        app.root.join(folder).join("function.json").display(),
        route.path(),
        &path[1..],
    )
}

impl Route {
    fn allows(&self, method: &str) -> bool {
        self.methods.is_empty()
            || self.methods.iter().any(|m| m == method)
            || (method == "HEAD" && self.methods.iter().any(|m| m == "GET"))
    }

    /// The route template as a path, e.g. `/api/HelloRust`, `/api/products/{id}`.
    pub(crate) fn path(&self) -> String {
        self.template.path()
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
        let app = forwarding_app(
            "",
            vec![crate::azure::appfiles::FunctionConfig {
                name: "a".to_string(),
                bindings: vec![
                    binding("httpTrigger", "in", "req", &["post"]),
                    binding("http", "out", "res", &[]),
                ],
            }],
        );
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
            "/app/a/function.json: no Rust function is registered as \"a\" (registered: none); \
             register it in FUNCTIONS in src/functions/mod.rs (as `funchost new` does for a new \
             function) and rebuild the handler"
        );
    }

    #[test]
    fn a_forwarded_route_that_takes_another_functions_invocations_is_refused() {
        // The host POSTs Q's invocations to /Q, on the port that forwarded requests reach too.
        static TABLE: [Function; 2] = [
            Function {
                name: "F",
                run: nothing,
            },
            Function {
                name: "Q",
                run: nothing,
            },
        ];
        let app = |prefix: &str, route: &str, methods: &[&str]| {
            let mut trigger = binding("httpTrigger", "in", "req", methods);
            trigger.route = Some(route.to_string());
            forwarding_app(
                prefix,
                vec![
                    crate::azure::appfiles::FunctionConfig {
                        name: "F".to_string(),
                        bindings: vec![trigger, binding("http", "out", "res", &[])],
                    },
                    crate::azure::appfiles::FunctionConfig {
                        name: "Q".to_string(),
                        bindings: vec![binding("queueTrigger", "in", "m", &[])],
                    },
                ],
            )
        };
        let refused = |path: &str| {
            format!(
                "/app/F/function.json: route {path} also matches POST /Q, where the host sends \
                 Q's invocations, and the handler cannot tell the two apart: give F another \
                 route, or keep a routePrefix"
            )
        };
        for (prefix, route, methods, expected) in [
            ("", "q", &[][..], Err(refused("/q"))),
            ("", "{*rest}", &[], Err(refused("/{*rest}"))),
            ("", "q", &["get", "POST"], Err(refused("/q"))),
            ("", "q", &["get"], Ok(())),
            ("", "q/{id}", &[], Ok(())),
            ("api", "q", &[], Ok(())),
        ] {
            let found = Router::from_app(&app(prefix, route, methods), &TABLE).map(drop);
            assert_eq!(found, expected, "{prefix:?} {route} {methods:?}");
        }
    }

    /// An app at `/app` with forwarding on, `prefix` its route prefix.
    fn forwarding_app(
        prefix: &str,
        functions: Vec<crate::azure::appfiles::FunctionConfig>,
    ) -> AppConfig {
        AppConfig {
            root: "/app".into(),
            route_prefix: prefix.to_string(),
            forwarding: true,
            proxying: false,
            executable: String::new(),
            arguments: Vec::new(),
            working_directory: String::new(),
            function_timeout: Default::default(),
            warnings: Vec::new(),
            functions,
        }
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
            path: None,
            auth_level: None,
            data_type: None,
            cardinality: None,
        }
    }

    #[test]
    fn describe_lists_forwarded_routes_or_payload() {
        let mut router = Router::default();
        router.add(&A, "api/A", &["get", "post"]).unwrap();
        router.add(&A, "v2/{x}", &[]).unwrap();
        router.add_payload(&A, Shape::quickstart());
        assert_eq!(router.describe(), "A [GET,POST /api/A; any /v2/{x}]");
        let mut router = Router::default();
        router.add_payload(&A, Shape::quickstart());
        assert_eq!(router.describe(), "A [payload]");
        assert_eq!(Router::default().describe(), "none");
    }
}
