//! local.settings.json, as `func start` reads it: the handler's environment, the port, and what
//! `func start` would do differently with them.

use std::path::Path;

use handler::azure::appfiles::{self, AppConfig};
use handler::azure::json::Value;

use crate::log::Log;

/// The port `func start` listens on when neither `--port` nor `Host.LocalHttpPort` gives one
/// (`cli::HELP` says so too); an invoked request's `Host` names it, as a client's would.
pub const DEFAULT_PORT: u16 = 7071;

/// What local.settings.json gives `func start`.
#[derive(Debug, Default)]
pub struct LocalSettings {
    /// `Values`, put in the handler's environment; a variable already set in funchost's own
    /// environment wins, as in `func`.
    pub values: Vec<(String, String)>,
    /// `Host.LocalHttpPort`: the port `start` listens on when `--port` is not given.
    pub port: Option<u16>,
}

/// The triggers `func start` runs without `AzureWebJobsStorage` (Core Tools'
/// `TriggersWithoutStorage`).
const WITHOUT_STORAGE: [&str; 6] = [
    "httpTrigger",
    "kafkaTrigger",
    "rabbitMQTrigger",
    "orchestrationTrigger",
    "activityTrigger",
    "entityTrigger",
];

impl LocalSettings {
    /// Reads local.settings.json as Core Tools does (JSON.NET into string values): comments,
    /// trailing commas and a byte order mark are fine, and numbers and booleans are their text.
    pub fn read(root: &Path, log: Log) -> LocalSettings {
        let file = root.join("local.settings.json");
        let Ok(bytes) = std::fs::read(&file) else {
            return LocalSettings::default();
        };
        let settings = match appfiles::parse_relaxed(&bytes) {
            Ok(settings) => settings,
            Err(e) => {
                log.warn(&format!(
                    "{}: not valid JSON ({e}); ignored",
                    file.display()
                ));
                return LocalSettings::default();
            }
        };
        let port = settings
            .get_ignore_case("Host")
            .and_then(|host| host.get_ignore_case("LocalHttpPort"));
        let port = match port {
            None | Some(Value::Null) => None,
            Some(Value::Number(n) | Value::String(n)) if n.parse::<u16>().is_ok_and(|p| p > 0) => {
                n.parse().ok()
            }
            Some(other) => {
                log.warn(&format!(
                    "local.settings.json: Host.LocalHttpPort {} is not a port number; ignored",
                    other.to_json()
                ));
                None
            }
        };
        let mut values = Vec::new();
        let given = settings.get_ignore_case("Values");
        for (name, value) in given.and_then(Value::as_object).unwrap_or_default() {
            let text = match value {
                Value::String(text) | Value::Number(text) => text.clone(),
                Value::Bool(b) => (if *b { "True" } else { "False" }).to_string(),
                Value::Null => continue,
                Value::Array(_) | Value::Object(_) => {
                    log.warn(&format!(
                        "local.settings.json: {name} is not a string; ignored"
                    ));
                    continue;
                }
            };
            if std::env::var_os(name).is_some() {
                log.info(&format!(
                    "Skipping '{name}' from local.settings.json as it's already defined in current environment variables."
                ));
                continue;
            }
            values.push((name.clone(), text));
        }
        LocalSettings { values, port }
    }

    /// What `func start` would do otherwise with these settings, which funchost does not need: run
    /// another language's worker instead of the handler, stop for want of storage, or leave out
    /// a disabled function's trigger.
    pub fn warnings(&self, app: &AppConfig) -> Vec<String> {
        // A variable of funchost's own environment wins, as in `func`.
        let setting = |name: &str| {
            std::env::var(name).ok().or_else(|| {
                let given = self
                    .values
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name));
                given.map(|(_, v)| v.clone())
            })
        };
        let mut warnings = Vec::new();
        if let Some(runtime) =
            setting("FUNCTIONS_WORKER_RUNTIME").filter(|r| !r.eq_ignore_ascii_case("custom"))
        {
            warnings.push(format!(
                "FUNCTIONS_WORKER_RUNTIME is {runtime:?}: func start would start that language's \
                 worker, not this handler; a custom handler's is \"custom\""
            ));
        }
        let needs_storage = app.functions.iter().find(|f| {
            let kind = f.trigger().map_or("", |t| t.kind.as_str());
            !WITHOUT_STORAGE.iter().any(|k| k.eq_ignore_ascii_case(kind))
        });
        let storage = setting("AzureWebJobsStorage").is_some_and(|v| !v.trim().is_empty())
            || std::env::vars().any(|(k, _)| k.starts_with("AzureWebJobsStorage__"))
            || self
                .values
                .iter()
                .any(|(k, _)| k.starts_with("AzureWebJobsStorage__"));
        if let (Some(function), false) = (needs_storage, storage) {
            warnings.push(format!(
                "AzureWebJobsStorage is not set: func start would stop here (\"Missing value for \
                 AzureWebJobsStorage in local.settings.json\"), as {} has a trigger that needs \
                 storage; give it UseDevelopmentStorage=true with Azurite running, or a connection \
                 string (funchost needs neither)",
                function.name
            ));
        }
        for function in &app.functions {
            let name = format!("AzureWebJobs.{}.Disabled", function.name);
            let disabled =
                setting(&name).is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            if disabled {
                warnings.push(format!(
                    "{name} is true: the host listens for none of {}'s events; an HTTP call or the \
                     admin API still runs it, there as here",
                    function.name
                ));
            }
        }
        warnings
    }
}
