//! Reading the app's files, and refusing what the host refuses: host.json's settings, each
//! function.json's bindings, and the routes of the HTTP functions.

use std::fs;
use std::path::Path;

use crate::azure::appfiles::check::{
    closest_type, is_binding_type, mistyped, no_trigger, typos, unknown_settings,
};
use crate::azure::appfiles::relaxed::{parse_relaxed, read_json};
use crate::azure::appfiles::timespan::function_timeout;
use crate::azure::appfiles::{
    is_binding_name, is_function_name, AppConfig, Binding, FunctionConfig, DEFAULT_ROUTE_PREFIX,
    FUNCTION_JSON, HOST_JSON, MAX_NAME_CHARS, RETURN,
};
use crate::azure::json::Value;

/// Reads the app at `root`.
///
/// # Errors
/// A one-line message naming the file, when host.json or a function.json cannot be read, is
/// not JSON, or lacks what the host requires (a `bindings` array with exactly one trigger,
/// each binding with a `type` and a `name`). `Ok(None)` when `root` has no host.json.
pub fn load(root: &Path) -> Result<Option<AppConfig>, String> {
    let host_path = root.join(HOST_JSON);
    let Some(host) = read_json(&host_path)? else {
        return Ok(None);
    };
    let in_host = |e: String| format!("{}: {e}", host_path.display());
    schema_version(&host).map_err(in_host)?;
    let mut config = host_config(root, &host).map_err(in_host)?;
    let listed = listed_functions(&host).map_err(in_host)?;
    config.functions = load_functions(root, listed.as_deref(), &mut config.warnings)?;
    // The host refuses to start a function whose route it cannot parse, and leaves out one
    // whose route it keeps for itself or another function has.
    let http: Vec<&FunctionConfig> = config.functions.iter().filter(|f| f.is_http()).collect();
    for (i, function) in http.iter().enumerate() {
        config.template(function)?;
        let in_file = |e: String| {
            let file = root.join(&function.name).join(FUNCTION_JSON);
            format!("{}: route {:?}: {e}", file.display(), function.route())
        };
        route_is_free(function, &http[..i]).map_err(in_file)?;
    }
    Ok(Some(config))
}

/// Whether the host takes `function`'s route (the `ValidateHttpFunction` and
/// `HttpRoutesConflict` checks of its `ScriptHost`): not one of its own, under `admin` or
/// `runtime`, and not one of `earlier` with a method in common.
fn route_is_free(function: &FunctionConfig, earlier: &[&FunctionConfig]) -> Result<(), String> {
    let route = function.route().trim_matches('/');
    let reserved = |word: &str| {
        route
            .get(..word.len())
            .is_some_and(|r| r.eq_ignore_ascii_case(word))
    };
    if reserved("admin") || reserved("runtime") {
        return Err(
            "the host keeps routes starting with \"admin\" or \"runtime\" for itself".into(),
        );
    }
    // Methods as written: the host intersects its two lists ordinally, so `get` and `GET`
    // do not clash there (and the first function then takes every such request).
    let methods = function.methods();
    let clash = earlier.iter().find(|other| {
        let theirs = other.methods();
        other.route().trim_matches('/').eq_ignore_ascii_case(route)
            && (methods.is_empty()
                || theirs.is_empty()
                || methods.iter().any(|m| theirs.contains(m)))
    });
    match clash {
        Some(other) => Err(format!(
            "function {} has this route too, with a method in common",
            other.name
        )),
        None => Ok(()),
    }
}

/// One function from the text of its function.json, read as `load` reads it: for a local host
/// checking a file, or a scaffold checking what it wrote.
///
/// # Errors
/// A one-line reason, as `load` gives it, without the file name.
pub fn parse_function_json(name: &str, text: &[u8]) -> Result<FunctionConfig, String> {
    let value = parse_relaxed(text).map_err(|e| format!("not valid JSON: {e}"))?;
    function_config(name.to_string(), &value)
}

/// The host refuses to start unless host.json says `"version": "2.0"`, the file's schema (not the
/// runtime's) version. It reads the key case-sensitively; an empty `{}` it fills in itself.
fn schema_version(host: &Value) -> Result<(), String> {
    if host.as_object().is_some_and(<[_]>::is_empty) {
        return Ok(());
    }
    let missing = || r#"missing the required "version": "2.0", which the host needs to start"#;
    // JSON.NET keeps the last of repeated names.
    let members = host.as_object().unwrap_or_default();
    let version = members.iter().rev().find(|(name, _)| name == "version");
    match version.map(|(_, value)| value) {
        None | Some(Value::Null) => Err(missing().to_string()),
        Some(Value::String(v)) if v.is_empty() => Err(missing().to_string()),
        Some(Value::String(v)) if v == "2.0" => Ok(()),
        Some(Value::String(v)) => Err(format!(
            r#""version" is "{v}"; the host starts only with "2.0", the file's schema version (not the runtime's)"#
        )),
        Some(other) => Err(format!(
            r#""version" is {}; the host starts only with the string "2.0""#,
            other.to_json()
        )),
    }
}

/// Everything but the functions, from host.json's value.
fn host_config(root: &Path, host: &Value) -> Result<AppConfig, String> {
    if host.as_object().is_none() {
        return Err("not a JSON object".to_string());
    }
    let http = path(host, &["extensions", "http"]);
    let route_prefix = match http.and_then(|h| h.get_ignore_case("routePrefix")) {
        None | Some(Value::Null) => DEFAULT_ROUTE_PREFIX.to_string(),
        Some(value) => string(value, "extensions.http.routePrefix")?
            .trim_matches('/')
            .to_string(),
    };
    let handler = host.get_ignore_case("customHandler");
    let description = handler.and_then(|h| h.get_ignore_case("description"));
    let text = |key: &str| -> Result<String, String> {
        match description.and_then(|d| d.get_ignore_case(key)) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(value) => string(value, &format!("customHandler.description.{key}")),
        }
    };
    let arguments = match description.and_then(|d| d.get_ignore_case("arguments")) {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => strings(value, "customHandler.description.arguments")?,
    };
    Ok(AppConfig {
        root: root.to_path_buf(),
        route_prefix,
        forwarding: flag(handler, "enableForwardingHttpRequest")?,
        proxying: flag(handler, "enableProxyingHttpRequest")?,
        executable: text("defaultExecutablePath")?,
        arguments,
        working_directory: text("workingDirectory")?,
        function_timeout: function_timeout(host.get_ignore_case("functionTimeout"))?,
        functions: Vec::new(),
        warnings: unknown_settings(root, handler),
    })
}

/// host.json's optional `functions` list: the only functions the host loads when present.
fn listed_functions(host: &Value) -> Result<Option<Vec<String>>, String> {
    match host.get_ignore_case("functions") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => strings(value, "functions").map(Some),
    }
}

/// A boolean of `customHandler`; the host's configuration binder also takes `"true"`/`"false"`.
fn flag(handler: Option<&Value>, key: &str) -> Result<bool, String> {
    match handler.and_then(|h| h.get_ignore_case(key)) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(format!("customHandler.{key} is not true or false")),
    }
}

/// Every folder of `root` with a function.json, sorted by name; only those in `listed` when
/// host.json lists some. Adds what looks like a typo to `warnings`.
fn load_functions(
    root: &Path,
    listed: Option<&[String]>,
    warnings: &mut Vec<String>,
) -> Result<Vec<FunctionConfig>, String> {
    let entries =
        fs::read_dir(root).map_err(|e| format!("{}: cannot list: {e}", root.display()))?;
    let mut functions = Vec::new();
    for entry in entries.flatten() {
        // The type comes with the directory listing: no extra system call for plain files,
        // nor for `.git`, `.vscode` and the like, which no function is named after.
        let hidden = entry.file_name().as_encoded_bytes().first() == Some(&b'.');
        if hidden || entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let file = entry.path().join(FUNCTION_JSON);
        let Some(value) = read_json(&file)? else {
            continue;
        };
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            return Err(format!("{}: the folder name is not UTF-8", file.display()));
        };
        if listed.is_some_and(|names| !names.iter().any(|n| n.eq_ignore_ascii_case(&name))) {
            continue;
        }
        if !is_function_name(&name) {
            return Err(format!(
                "{}: the host takes no function named {name:?}: a function's folder is named with \
                 a letter, then letters, digits, _ or - (at most {MAX_NAME_CHARS}), and not \"host\"",
                file.display()
            ));
        }
        let function =
            function_config(name, &value).map_err(|e| format!("{}: {e}", file.display()))?;
        warnings.extend(typos(&value).map(|typo| format!("{}: {typo}", file.display())));
        functions.push(function);
    }
    functions.sort_by(|a, b| {
        let key = |f: &FunctionConfig| f.name.to_ascii_lowercase();
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
    Ok(functions)
}

/// One function from its function.json's value.
fn function_config(name: String, value: &Value) -> Result<FunctionConfig, String> {
    let Some(items) = value.get_ignore_case("bindings").and_then(Value::as_array) else {
        return Err("no \"bindings\" array".to_string());
    };
    let bindings = items
        .iter()
        .enumerate()
        .map(|(i, item)| binding(item).map_err(|e| format!("bindings[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    // Names are the keys of Data and Outputs: the host refuses a name it cannot take, a
    // `$return` that is not an output, and a function that repeats a name, ignoring case
    // (FunctionDescriptorProvider.ValidateFunction).
    for (i, b) in bindings.iter().enumerate() {
        if !is_binding_name(&b.name) {
            return Err(format!(
                "bindings[{i}]: the host takes no binding named {:?}: a binding's name is a \
                 letter, then letters or digits (at most {MAX_NAME_CHARS}), or $return",
                b.name
            ));
        }
        // Compared as str: String == &str is one more function in start-up's link order.
        if b.direction != "out" && b.name.as_str() == RETURN {
            return Err(format!(
                "bindings[{i}]: a $return binding must have \"direction\": \"out\", not {:?}",
                b.direction
            ));
        }
        if let Some(j) = bindings[..i]
            .iter()
            .position(|a| a.name.eq_ignore_ascii_case(&b.name))
        {
            return Err(format!(
                "bindings[{i}]: the name {:?} is bindings[{j}]'s too; binding names must be unique",
                b.name
            ));
        }
    }
    let function = FunctionConfig { name, bindings };
    // The host refuses a function without exactly one trigger (FunctionDescriptorProvider).
    match function.bindings.iter().filter(|b| b.is_trigger()).count() {
        0 => return Err(no_trigger(&function.bindings)),
        1 => {}
        _ => return Err("more than one trigger binding".to_string()),
    }
    // A type one typo from a known one is that typo: the host refuses the function, and so
    // does the handler, as for an unknown method. One far from any is left to `typos`: it may
    // be an extension's this list does not know yet.
    for (i, b) in function.bindings.iter().enumerate() {
        if let Some(meant) = (!is_binding_type(&b.kind))
            .then(|| closest_type(&b.kind))
            .flatten()
        {
            return Err(mistyped(i, &b.kind, meant));
        }
    }
    http_output_has_a_request(function)
}

/// The host's `HttpBinding` answers the request that triggered the function: with any other
/// trigger it fails every invocation, so such a function is refused at start-up.
fn http_output_has_a_request(function: FunctionConfig) -> Result<FunctionConfig, String> {
    match (function.http_output(), function.trigger()) {
        (Some(http), Some(trigger)) if !function.is_http() => Err(format!(
            "the \"http\" output {:?} needs an httpTrigger: the host fails every invocation of \
             a {} function that has one",
            http.name, trigger.kind
        )),
        _ => Ok(function),
    }
}

fn binding(value: &Value) -> Result<Binding, String> {
    if value.as_object().is_none() {
        return Err("not a JSON object".to_string());
    }
    let required = |key: &str| match value.get_ignore_case(key) {
        Some(v) => string(v, key),
        None => Err(format!("no \"{key}\"")),
    };
    let optional = |key: &str| match value.get_ignore_case(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string(v, key).map(Some),
    };
    let direction = optional("direction")?
        .unwrap_or_else(|| "in".to_string())
        .to_ascii_lowercase();
    if !matches!(direction.as_str(), "in" | "out" | "inout") {
        return Err(format!("direction {direction:?} is not in, out or inout"));
    }
    let methods: Vec<String> = match value.get_ignore_case("methods") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => strings(v, "methods")?,
    };
    // The host would take any text as a method, and no request would ever match it.
    let known = |m: &&String| HTTP_METHODS.iter().any(|k| k.eq_ignore_ascii_case(m));
    if let Some(unknown) = methods.iter().find(|m| !known(m)) {
        return Err(format!(
            "methods: {unknown:?} is not an HTTP method ({})",
            HTTP_METHODS.join(", ")
        ));
    }
    let one_of = |key: &str, allowed: &[&str]| -> Result<Option<String>, String> {
        let Some(value) = optional(key)? else {
            return Ok(None);
        };
        let value = value.to_ascii_lowercase();
        if allowed.contains(&value.as_str()) {
            return Ok(Some(value));
        }
        let (last, rest) = allowed.split_last().unwrap_or((&"", &[]));
        Err(format!(
            "{key} {value:?} is not {} or {last}",
            rest.join(", ")
        ))
    };
    Ok(Binding {
        kind: required("type")?,
        direction,
        name: required("name")?,
        methods,
        route: optional("route")?,
        path: value
            .get_ignore_case("path")
            .and_then(Value::as_str)
            .map(str::to_string),
        auth_level: optional("authLevel")?,
        // The host reads both into enums and refuses the function for any other value.
        data_type: one_of("dataType", &["string", "binary", "stream"])?,
        cardinality: one_of("cardinality", &["one", "many"])?,
    })
}

/// The methods an HTTP trigger may list: those of function.json's schema.
const HTTP_METHODS: [&str; 8] = [
    "get", "post", "put", "delete", "head", "patch", "options", "trace",
];

/// The member at `keys` (each matched ignoring case).
fn path<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(value, |v, key| v.get_ignore_case(key))
}

fn string(value: &Value, what: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{what} is not a string"))
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("{what} is not an array of strings"))?;
    items
        .iter()
        .map(|item| string(item, &format!("an item of {what}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::appfiles::tests::{function, http_function, parse};

    fn host(json: &str) -> Result<AppConfig, String> {
        host_config(Path::new("/app"), &parse(json).unwrap())
    }

    #[test]
    fn an_http_output_needs_an_http_trigger() {
        let timer = r#"{"bindings":[{"type":"timerTrigger","name":"t"},{"type":"http","direction":"out","name":"res"}]}"#;
        assert_eq!(
            function(timer).unwrap_err(),
            "the \"http\" output \"res\" needs an httpTrigger: the host fails every invocation of \
             a timerTrigger function that has one"
        );
        let http = r#"{"bindings":[{"type":"httpTrigger","name":"r"},{"type":"http","direction":"out","name":"res"}]}"#;
        assert!(function(http).is_ok());
    }

    #[test]
    fn routes_the_host_keeps_or_gives_twice_are_refused() {
        let reserved = r#"the host keeps routes starting with "admin" or "runtime" for itself"#;
        for route in [
            "admin",
            "/Admin/x",
            "administrator",
            "runtime/webhooks",
            "RUNTIMEx",
        ] {
            let f = http_function("F", &format!(r#","route":"{route}""#));
            assert_eq!(route_is_free(&f, &[]).unwrap_err(), reserved, "{route}");
        }
        // Named after a reserved word, a function is refused too: its name is its route.
        assert!(route_is_free(&http_function("AdminPanel", ""), &[]).is_err());
        for route in ["items/admin", "adm", "my-runtime"] {
            let f = http_function("F", &format!(r#","route":"{route}""#));
            assert_eq!(route_is_free(&f, &[]), Ok(()), "{route}");
        }

        let taken = "function A has this route too, with a method in common";
        let a = http_function("A", r#","route":"items","methods":["get","post"]"#);
        let a_any = http_function("A", r#","route":"items""#);
        for (earlier, members, expected) in [
            (&a, r#","route":"/Items/","methods":["post"]"#, Err(taken)),
            (&a, r#","route":"items""#, Err(taken)),
            (
                &a_any,
                r#","route":"items","methods":["delete"]"#,
                Err(taken),
            ),
            (&a, r#","route":"items","methods":["put","delete"]"#, Ok(())),
            (&a, r#","route":"items/{id}","methods":["get"]"#, Ok(())),
            (&a, r#","route":"items","methods":["GET"]"#, Ok(())),
            (&a_any, r#","route":"items2""#, Ok(())),
        ] {
            let b = http_function("B", members);
            assert_eq!(
                route_is_free(&b, &[earlier]),
                expected.map_err(str::to_string),
                "{members}"
            );
        }
    }

    #[test]
    fn quickstart_function_json() {
        let f = function(
            r#"{"bindings":[{"authLevel":"anonymous","type":"httpTrigger","direction":"in",
            "name":"req","methods":["get","POST"]},{"type":"http","direction":"out","name":"res"}]}"#,
        )
        .unwrap();
        assert!(f.is_http() && f.is_http_in_out());
        assert_eq!(f.route(), "F");
        let trigger = f.trigger().unwrap();
        assert_eq!(trigger.name, "req");
        assert_eq!(trigger.methods, ["get", "POST"]);
        assert_eq!(trigger.auth_level.as_deref(), Some("anonymous"));
        assert_eq!(f.http_output().map(|b| b.name.as_str()), Some("res"));
    }

    #[test]
    fn data_type_and_cardinality_are_read_lower_cased() {
        let f = function(
            r#"{"bindings":[{"type":"eventHubTrigger","name":"events","Cardinality":"Many",
            "dataType":"String"},{"type":"blob","direction":"out","name":"copy","DataType":"binary"},
            {"type":"queue","direction":"out","name":"msg"},
            {"type":"blob","direction":"in","name":"cfg"}]}"#,
        )
        .unwrap();
        let trigger = f.trigger().unwrap();
        assert_eq!(trigger.data_type.as_deref(), Some("string"));
        assert!(trigger.is_many() && !trigger.is_binary() && trigger.is("EventHubTrigger"));
        let copy = f.output("copy").unwrap();
        assert!(copy.is_binary() && copy.is_output() && !copy.is_input());
        assert_eq!(f.output("msg").unwrap().data_type, None);
        // Outputs match by exact name, as the host looks them up.
        assert!(f.output("Copy").is_none());
        let inputs: Vec<&str> = f.inputs().map(|b| b.name.as_str()).collect();
        assert_eq!(inputs, ["cfg"]);
    }

    #[test]
    fn member_names_match_ignoring_case_and_direction_defaults_to_in() {
        let f = function(r#"{"Bindings":[{"Type":"HTTPTRIGGER","Name":"req"}]}"#).unwrap();
        assert_eq!(f.bindings[0].direction, "in");
        assert!(f.is_http());
    }

    #[test]
    fn malformed_function_json_is_refused_with_a_reason() {
        let cases: &[(&str, &str)] = &[
            ("{}", "no \"bindings\" array"),
            (r#"{"bindings":{}}"#, "no \"bindings\" array"),
            (r#"{"bindings":[]}"#, "no trigger binding"),
            (r#"{"bindings":[1]}"#, "bindings[0]: not a JSON object"),
            (r#"{"bindings":[{"name":"a"}]}"#, "bindings[0]: no \"type\""),
            (
                r#"{"bindings":[{"type":"httpTrigger"}]}"#,
                "bindings[0]: no \"name\"",
            ),
            (
                r#"{"bindings":[{"type":"httpTrigger","name":"r","methods":"get"}]}"#,
                "bindings[0]: methods is not an array of strings",
            ),
            (
                r#"{"bindings":[{"type":"httpTrigger","name":"r","methods":["get","pots"]}]}"#,
                "bindings[0]: methods: \"pots\" is not an HTTP method (get, post, put, delete, \
                 head, patch, options, trace)",
            ),
            (
                r#"{"bindings":[{"type":"httpTrigger","name":"r","direction":"up"}]}"#,
                "bindings[0]: direction \"up\" is not in, out or inout",
            ),
            (
                r#"{"bindings":[{"type":"httpTrigger","name":"r"},{"type":"timerTrigger","name":"t"}]}"#,
                "more than one trigger binding",
            ),
            (
                r#"{"bindings":[{"type":"blobTrigger","name":"b","dataType":"bytes"}]}"#,
                "bindings[0]: dataType \"bytes\" is not string, binary or stream",
            ),
            (
                r#"{"bindings":[{"type":"eventHubTrigger","name":"e","cardinality":2}]}"#,
                "bindings[0]: cardinality is not a string",
            ),
            (
                r#"{"bindings":[{"type":"eventHubTrigger","name":"e","cardinality":"all"}]}"#,
                "bindings[0]: cardinality \"all\" is not one or many",
            ),
            // A trigger type as an output does not count as a trigger.
            (
                r#"{"bindings":[{"type":"queueTrigger","name":"q","direction":"out"}]}"#,
                "no trigger binding",
            ),
        ];
        for (json, reason) in cases {
            let error = function(json).unwrap_err();
            assert!(error.starts_with(reason), "{json}: {error}");
        }
    }

    #[test]
    fn host_json_settings_and_defaults() {
        let quickstart = host(
            r#"{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler",
            "workingDirectory":"","arguments":["--x","%FUNCTIONS_CUSTOMHANDLER_PORT%"]},
            "enableForwardingHttpRequest":true}}"#,
        )
        .unwrap();
        assert_eq!(quickstart.root, Path::new("/app"));
        assert_eq!(quickstart.route_prefix, "api");
        assert!(quickstart.forwarding && !quickstart.proxying);
        assert_eq!(quickstart.executable, "handler");
        assert_eq!(
            quickstart.arguments,
            ["--x", "%FUNCTIONS_CUSTOMHANDLER_PORT%"]
        );
        assert_eq!(quickstart.working_directory, "");

        let empty = host("{}").unwrap();
        assert_eq!(empty.route_prefix, "api");
        assert!(!empty.forwarding && !empty.proxying);
        assert_eq!(empty.executable, "");

        let prefixes: &[(&str, &str)] = &[
            (r#""""#, ""),
            (r#""/v1/""#, "v1"),
            (r#""a/b""#, "a/b"),
            ("null", "api"),
        ];
        for (prefix, expected) in prefixes {
            let config = host(&format!(
                r#"{{"Extensions":{{"HTTP":{{"RoutePrefix":{prefix}}}}}}}"#
            ))
            .unwrap();
            assert_eq!(config.route_prefix, *expected, "{prefix}");
        }

        let strings = host(
            r#"{"customHandler":{"enableForwardingHttpRequest":"True",
            "enableProxyingHttpRequest":"false"}}"#,
        )
        .unwrap();
        assert!(strings.forwarding && !strings.proxying);
    }

    #[test]
    fn host_json_needs_schema_version_two() {
        let version = |json: &str| schema_version(&parse(json).unwrap());
        for good in [
            r#"{}"#,
            r#"{"version":"2.0"}"#,
            r#"{"Version":"1","version":"2.0"}"#,
            // JSON.NET keeps the last of repeated names.
            r#"{"version":"1.0","version":"2.0"}"#,
        ] {
            assert_eq!(version(good), Ok(()), "{good}");
        }
        assert!(version(r#"{"version":"2.0","version":"1.0"}"#).is_err());
        let missing = r#"missing the required "version": "2.0", which the host needs to start"#;
        let cases: &[(&str, &str)] = &[
            (r#"{"functions":["a"]}"#, missing),
            (r#"{"version":null}"#, missing),
            (r#"{"version":""}"#, missing),
            // The host reads the key case-sensitively.
            (r#"{"Version":"2.0"}"#, missing),
            (
                r#"{"version":"4.0"}"#,
                r#""version" is "4.0"; the host starts only with "2.0", the file's schema version (not the runtime's)"#,
            ),
            (
                r#"{"version":2.0}"#,
                r#""version" is 2.0; the host starts only with the string "2.0""#,
            ),
        ];
        for (json, reason) in cases {
            assert_eq!(version(json).unwrap_err(), *reason, "{json}");
        }
    }

    #[test]
    fn malformed_host_json_is_refused_with_a_reason() {
        let cases: &[(&str, &str)] = &[
            ("[]", "not a JSON object"),
            (
                r#"{"extensions":{"http":{"routePrefix":1}}}"#,
                "extensions.http.routePrefix is not a string",
            ),
            (
                r#"{"customHandler":{"enableForwardingHttpRequest":"yes"}}"#,
                "customHandler.enableForwardingHttpRequest is not true or false",
            ),
            (
                r#"{"customHandler":{"description":{"arguments":"--x"}}}"#,
                "customHandler.description.arguments is not an array of strings",
            ),
            (
                r#"{"customHandler":{"description":{"defaultExecutablePath":7}}}"#,
                "customHandler.description.defaultExecutablePath is not a string",
            ),
        ];
        for (json, reason) in cases {
            assert_eq!(host(json).unwrap_err(), *reason, "{json}");
        }
    }

    #[test]
    fn forwarding_applies_only_to_http_in_out_functions() {
        let mut config = host(r#"{"customHandler":{"enableForwardingHttpRequest":true}}"#).unwrap();
        let http = function(
            r#"{"bindings":[{"type":"httpTrigger","name":"req"},{"type":"http","direction":"out","name":"res"}]}"#,
        )
        .unwrap();
        let timer = function(r#"{"bindings":[{"type":"timerTrigger","name":"t"}]}"#).unwrap();
        assert!(config.forwards(&http) && !config.forwards(&timer));
        config.forwarding = false;
        assert!(!config.forwards(&http));
        config.proxying = true;
        assert!(config.forwards(&http));
    }
}
