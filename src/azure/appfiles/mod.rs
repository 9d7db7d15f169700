//! The app's own files, read at start-up: host.json and every */function.json.
//!
//! They say which functions the host will call and how (azure-project-files.md §1-2,
//! azure-host.md §3.1): the route prefix, whether HTTP requests are forwarded, and for each
//! function (a folder holding a `function.json`) its trigger, methods, route and output
//! bindings. `router::Router::from_app` turns them into routes.
//!
//! The files are read as the host reads them, with JSON.NET: `//` and `/* */` comments, trailing
//! commas and a UTF-8 byte order mark are accepted, and member names match ignoring ASCII case.
//! Anything else that is not JSON is an error naming the file and the line, so a typo stops the
//! handler at start-up instead of surfacing as a 404 at the first request.
//!
//! Reading costs one directory listing of the app root and one small file per function.
//!
//! `load` reads the files and refuses what the host refuses, in the JSON.NET dialect of
//! `relaxed`; `check` words what is most likely a mistake; `timespan` reads .NET TimeSpans.

mod check;
mod load;
mod relaxed;
mod timespan;

use std::path::PathBuf;
use std::time::Duration;

use crate::azure::template::Template;

pub use load::{load, parse_function_json};
pub use relaxed::parse_relaxed;

/// The host settings file at the app root.
pub(crate) const HOST_JSON: &str = "host.json";

/// The bindings file in each function's folder.
pub(crate) const FUNCTION_JSON: &str = "function.json";

/// `extensions.http.routePrefix` when host.json does not set it.
pub(crate) const DEFAULT_ROUTE_PREFIX: &str = "api";

/// The binding name that stands for the function's return value: the host reads it from the
/// reply's `ReturnValue`, never from `Outputs`.
pub const RETURN: &str = "$return";

/// What host.json and the functions' files say, for the handler and for a local host emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// The app root: the folder holding host.json.
    pub root: PathBuf,
    /// `extensions.http.routePrefix` without surrounding slashes; default `api`; `""` = none.
    pub route_prefix: String,
    /// `customHandler.enableForwardingHttpRequest` (default false).
    pub forwarding: bool,
    /// `customHandler.enableProxyingHttpRequest` (default false; newer hosts only).
    pub proxying: bool,
    /// `customHandler.description.defaultExecutablePath`.
    pub executable: String,
    /// `customHandler.description.arguments`.
    pub arguments: Vec<String>,
    /// `customHandler.description.workingDirectory` (`""` = the app root).
    pub working_directory: String,
    /// `functionTimeout`.
    pub function_timeout: FunctionTimeout,
    /// Every function, sorted by name.
    pub functions: Vec<FunctionConfig>,
    /// What the host accepts but is most likely a mistake, one line each, naming its file.
    pub warnings: Vec<String>,
}

/// host.json's `functionTimeout`: how long the host lets an invocation run before it fails it
/// and restarts the handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FunctionTimeout {
    /// Not set: 30 minutes, or 5 on the Consumption plan.
    #[default]
    Default,
    /// A TimeSpan of at least one second.
    After(Duration),
    /// `-1`: no limit, on plans other than Consumption.
    Unbounded,
}

/// One function: its folder name and the bindings of its function.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    /// The folder name, as spelled on disk: the host's name for the function.
    pub name: String,
    pub bindings: Vec<Binding>,
}

/// One entry of a function.json `bindings` array. `Default` is for building one in code with
/// `..Binding::default()`, so that doing so keeps compiling when fields are added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Binding {
    /// `type`, as written: `httpTrigger`, `http`, `timerTrigger`, `queue`...
    pub kind: String,
    /// `direction`, lower-cased: `in` (the default), `out` or `inout`.
    pub direction: String,
    /// `name`: the key of this binding in the host's `Data` or `Outputs`; `$return` for the
    /// return value.
    pub name: String,
    /// `methods`, as written (a request's method matches ignoring case); empty means every
    /// method.
    pub methods: Vec<String>,
    /// `route`, the route template of an HTTP trigger.
    pub route: Option<String>,
    /// `path`, a blob's: `container/{name}`.
    pub path: Option<String>,
    /// `authLevel`, as written.
    pub auth_level: Option<String>,
    /// `dataType`, lower-cased: `string`, `binary` or `stream`. On an input, `binary` makes the
    /// host send bytes as base64; on an output, it stops the host from base64-decoding a string
    /// (azure-bindings.md §1).
    pub data_type: Option<String>,
    /// `cardinality`, lower-cased: `one` or `many` (a batch, for Event Hubs and Service Bus
    /// triggers).
    pub cardinality: Option<String>,
}

impl AppConfig {
    /// The route template of an HTTP `function`: the route prefix, then its route.
    ///
    /// # Errors
    /// Why the host would refuse the template, naming the function's file. `load` has checked
    /// every function's, so only a configuration built otherwise can fail here.
    pub fn template(&self, function: &FunctionConfig) -> Result<Template, String> {
        let text = match self.route_prefix.as_str() {
            "" => function.route().to_string(),
            prefix => format!("{prefix}/{}", function.route()),
        };
        Template::parse(&text).map_err(|e| {
            let file = self.root.join(&function.name).join(FUNCTION_JSON);
            format!("{}: route {text:?}: {e}", file.display())
        })
    }

    /// The function named `name`, ignoring ASCII case as the host does.
    pub fn function(&self, name: &str) -> Option<&FunctionConfig> {
        self.functions
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Whether the host forwards HTTP requests to `function` rather than invoking it with a
    /// JSON payload: forwarding or proxying is on and the function is HTTP in and out
    /// (azure-host.md §3.1).
    pub fn forwards(&self, function: &FunctionConfig) -> bool {
        (self.forwarding || self.proxying) && function.is_http_in_out()
    }
}

impl FunctionConfig {
    /// The trigger: the input binding whose type ends in `Trigger`. `load` checks there is
    /// exactly one.
    pub fn trigger(&self) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.is_trigger())
    }

    /// Whether the trigger is `httpTrigger` (any case).
    pub fn is_http(&self) -> bool {
        self.trigger()
            .is_some_and(|t| t.kind.eq_ignore_ascii_case("httpTrigger"))
    }

    /// Exactly one input binding, an `httpTrigger`, and exactly one output binding, `http`
    /// (any name, `$return` included): the only functions forwarding and proxying apply to
    /// (the host's `IsHttpInAndOutFunction`).
    pub fn is_http_in_out(&self) -> bool {
        let inputs: Vec<&Binding> = self.bindings.iter().filter(|b| b.is_input()).collect();
        let outputs: Vec<&Binding> = self.outputs().collect();
        matches!(inputs[..], [input] if input.kind.eq_ignore_ascii_case("httpTrigger"))
            && matches!(outputs[..], [output] if output.kind.eq_ignore_ascii_case("http"))
    }

    /// The trigger's `route`, else (as well when blank) the function name: the public path
    /// after the route prefix.
    pub fn route(&self) -> &str {
        self.trigger()
            .and_then(|t| t.route.as_deref())
            .filter(|route| !route.trim().is_empty())
            .unwrap_or(&self.name)
    }

    /// The trigger's methods; empty means every method.
    pub fn methods(&self) -> &[String] {
        self.trigger().map_or(&[], |t| &t.methods)
    }

    /// The output bindings, in file order.
    pub fn outputs(&self) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(|b| b.direction != "in")
    }

    /// The `http` output binding, whose value in `Outputs` is the HTTP response.
    pub fn http_output(&self) -> Option<&Binding> {
        self.outputs().find(|b| b.kind.eq_ignore_ascii_case("http"))
    }

    /// The input bindings other than the trigger (a blob, a Cosmos DB document...), in file
    /// order: the other members of the host's `Data`.
    pub fn inputs(&self) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(|b| b.is_input() && !b.is_trigger())
    }

    /// Why `name` is not the input (or, with `output`, the output) a function took it for,
    /// when function.json declares it the other way round: a wrong `direction` is a likelier
    /// mistake than a missing binding, and the list of names alone does not show it. Empty
    /// when no binding of that name has the other direction.
    pub fn direction_hint(&self, name: &str, output: bool) -> String {
        let other = self.bindings.iter().find(|b| {
            b.name.eq_ignore_ascii_case(name)
                && if output {
                    !b.is_output()
                } else {
                    !b.is_input()
                }
        });
        match other {
            Some(b) if output => format!(
                "; function.json declares {:?} with \"direction\": {:?}, and an output needs \
                 \"out\"",
                b.name, b.direction
            ),
            Some(b) => format!(
                "; function.json declares {:?} with \"direction\": {:?}, and an input needs \
                 \"in\" (an output is set with Response::output, not read)",
                b.name, b.direction
            ),
            None => String::new(),
        }
    }

    /// The output binding called exactly `name`: the host looks `Outputs` keys up by exact,
    /// case-sensitive name and ignores the others (azure-bindings.md §1.3).
    pub fn output(&self, name: &str) -> Option<&Binding> {
        self.outputs().find(|b| b.name == name)
    }
}

impl Binding {
    /// Whether the host passes this binding's value in (`in` or `inout`).
    pub fn is_input(&self) -> bool {
        self.direction != "out"
    }

    /// Whether the function reads it back out (`out` or `inout`).
    pub fn is_output(&self) -> bool {
        self.direction != "in"
    }

    /// Whether the type is `kind`, ignoring ASCII case as the host does.
    pub fn is(&self, kind: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind)
    }

    /// `dataType: binary`.
    pub fn is_binary(&self) -> bool {
        self.data_type.as_deref() == Some("binary")
    }

    /// `cardinality: many`.
    pub fn is_many(&self) -> bool {
        self.cardinality.as_deref() == Some("many")
    }

    /// Whether this is the function's trigger: an input whose type ends in `Trigger`.
    pub fn is_trigger(&self) -> bool {
        let kind = self.kind.as_bytes();
        self.is_input()
            && kind.len() >= 7
            && kind[kind.len() - 7..].eq_ignore_ascii_case(b"trigger")
    }
}

/// The longest function or binding name the host takes, in characters (all ASCII).
pub(crate) const MAX_NAME_CHARS: usize = 128;

/// Whether the host takes `name` for a function (its `Utility.IsValidFunctionName`): a letter,
/// then letters, digits, `_` or `-`, `MAX_NAME_CHARS` in all, and not `host`.
pub fn is_function_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.len() <= MAX_NAME_CHARS
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        && !name.eq_ignore_ascii_case("host")
}

/// Whether the host takes `name` as a binding's name: a letter, then letters and digits
/// (`MAX_NAME_CHARS` at most), or `$return`. The host refuses any other ("The binding name ... is invalid",
/// `FunctionDescriptorProvider.ValidateBinding`), so `my-queue` or `out_msg` stops the app.
fn is_binding_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    name == RETURN
        || bytes.first().is_some_and(u8::is_ascii_alphabetic)
            && bytes.len() <= MAX_NAME_CHARS
            && bytes.iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::json::{JsonError, Value};

    pub(super) fn parse(text: &str) -> Result<Value, JsonError> {
        parse_relaxed(text.as_bytes())
    }

    pub(super) fn function(json: &str) -> Result<FunctionConfig, String> {
        parse_function_json("F", json.as_bytes())
    }

    /// An HTTP function `name` with `route` and `methods` (JSON members, or empty).
    pub(super) fn http_function(name: &str, members: &str) -> FunctionConfig {
        let json = format!(r#"{{"bindings":[{{"type":"httpTrigger","name":"r"{members}}}]}}"#);
        parse_function_json(name, json.as_bytes()).unwrap()
    }

    #[test]
    fn function_names_follow_the_hosts_rule() {
        let longest = format!("a{}", "b".repeat(127));
        for good in ["HelloRust", "a", "x-1_y", "hosts", longest.as_str()] {
            assert!(is_function_name(good), "{good}");
        }
        let too_long = format!("{longest}c");
        for bad in [
            "",
            "1up",
            "_x",
            "-x",
            "has space",
            "host",
            "HOST",
            "Dot.ted",
            "Ünï",
            &too_long,
        ] {
            assert!(!is_function_name(bad), "{bad}");
        }
    }

    #[test]
    fn binding_names_follow_the_hosts_rule() {
        let longest = format!("a{}", "B9".repeat(63)) + "c";
        for good in ["req", "outQueue", "myTimer2", "$return", longest.as_str()] {
            assert!(is_binding_name(good), "{good}");
        }
        let too_long = format!("{longest}d");
        for bad in [
            "",
            "out-queue",
            "my_timer",
            "2nd",
            "$Return",
            "$ret",
            "Ünï",
            &too_long,
        ] {
            assert!(!is_binding_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_blank_route_is_the_function_name() {
        for members in ["", r#","route":"""#, r#","route":"  ""#, r#","route":null"#] {
            assert_eq!(
                http_function("Hello", members).route(),
                "Hello",
                "{members}"
            );
        }
        assert_eq!(http_function("Hello", r#","route":"hi""#).route(), "hi");
    }

    #[test]
    fn in_out_needs_exactly_one_http_trigger_and_one_http_output() {
        let http_in = r#"{"type":"httpTrigger","direction":"in","name":"req","route":"p/{id}"}"#;
        let cases: &[(&str, bool)] = &[
            (
                r#"{"type":"http","direction":"out","name":"$return"}"#,
                true,
            ),
            // A queue output as well: payload mode whatever host.json says.
            (
                r#"{"type":"http","direction":"out","name":"res"},
                   {"type":"queue","direction":"out","name":"msg"}"#,
                false,
            ),
            // No http output.
            (r#"{"type":"queue","direction":"out","name":"msg"}"#, false),
            // An extra input.
            (
                r#"{"type":"http","direction":"out","name":"res"},
                   {"type":"blob","direction":"in","name":"b"}"#,
                false,
            ),
        ];
        for (more, in_out) in cases {
            let f = function(&format!(r#"{{"bindings":[{http_in},{more}]}}"#)).unwrap();
            assert_eq!(f.is_http_in_out(), *in_out, "{more}");
            assert_eq!(f.route(), "p/{id}");
        }
    }

    #[test]
    fn timer_function_is_not_http() {
        let f = function(
            r#"{"bindings":[{"name":"myTimer","type":"timerTrigger","direction":"in",
            "schedule":"0 */5 * * * *"}]}"#,
        )
        .unwrap();
        assert!(!f.is_http() && !f.is_http_in_out());
        assert_eq!(f.trigger().unwrap().name, "myTimer");
        assert_eq!(f.outputs().count(), 0);
        assert_eq!(f.route(), "F");
    }
}
