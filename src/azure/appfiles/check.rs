//! What the host accepts but is most likely a mistake, and why it refuses what it does: unknown
//! settings and binding types with the name most likely meant, a `method` member, a timer
//! schedule the host cannot read, a missing trigger.

use std::path::Path;

use crate::azure::appfiles::timespan::time_span;
use crate::azure::appfiles::{Binding, HOST_JSON};
use crate::azure::json::Value;

/// The settings of host.json's `customHandler` and its `description`, which the host binds,
/// ignoring case, to its `HttpWorkerOptions` and `HttpWorkerDescription` (a
/// `WorkerDescription`), and ignores when it does not know them: so a typo such as
/// `enableForwardingHttpRequests` would put every HTTP function in payload mode unsaid.
const HANDLER_SETTINGS: [&str; 8] = [
    "description",
    "enableForwardingHttpRequest",
    "enableProxyingHttpRequest",
    "http",
    "port",
    "type",
    "arguments",
    "initializationTimeout",
];
const DESCRIPTION_SETTINGS: [&str; 10] = [
    "defaultExecutablePath",
    "workingDirectory",
    "arguments",
    "defaultWorkerPath",
    "workerArguments",
    "workerDirectory",
    "language",
    "extensions",
    "defaultRuntimeVersion",
    "supportedRuntimeVersions",
];

/// A warning for each member of `customHandler` (`handler`) or its `description` that is no
/// setting of the host's, with the one most likely meant.
pub(super) fn unknown_settings(root: &Path, handler: Option<&Value>) -> Vec<String> {
    let description = handler.and_then(|h| h.get_ignore_case("description"));
    let sections = [
        (handler, "customHandler", &HANDLER_SETTINGS[..]),
        (
            description,
            "customHandler.description",
            &DESCRIPTION_SETTINGS[..],
        ),
    ];
    let mut warnings = Vec::new();
    for (section, at, known) in sections {
        for (name, _) in section.and_then(Value::as_object).unwrap_or_default() {
            if !known.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                warnings.push(unknown_setting(root, at, name, known));
            }
        }
    }
    warnings
}

#[cold]
#[inline(never)]
fn unknown_setting(root: &Path, at: &str, name: &str, known: &[&'static str]) -> String {
    let guess = closest(name, known.iter().copied())
        .map_or(String::new(), |meant| format!(" (did you mean {meant:?}?)"));
    format!(
        "{}: {at}.{name} is not a setting the host knows{guess}, so it ignores it",
        root.join(HOST_JSON).display()
    )
}

/// Why binding `i` is refused: its type is a typo of the known type `meant`.
#[cold]
#[inline(never)]
pub(super) fn mistyped(i: usize, kind: &str, meant: &str) -> String {
    format!(
        "bindings[{i}]: type {kind:?} is not a known binding type (did you mean {meant:?}?); the \
         host refuses a function whose binding type is not registered"
    )
}

/// A timer's `schedule` as the host reads it: an NCRONTAB expression of six fields (seconds
/// first) or five, a TimeSpan (`00:05:00`, `1.00:00:00`), or `%Setting%` naming an app
/// setting that holds one. The host refuses the function otherwise; the fields' values are
/// not checked here, only their shape.
// Out of line, like `no_trigger`: only timers and mistakes need it, and inlined into `load` it
// was code every idle handler maps (see link/profile.sh).
#[inline(never)]
fn check_schedule(schedule: &str) -> Result<(), String> {
    let schedule = schedule.trim();
    if schedule.is_empty() {
        return Err("missing (an NCRONTAB expression such as \"0 */5 * * * *\")".to_string());
    }
    if schedule.len() > 2 && schedule.starts_with('%') && schedule.ends_with('%') {
        return Ok(());
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    let cron_field = |f: &&str| {
        f.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"*/,-?".contains(&b))
    };
    if (schedule.contains(':') && time_span(schedule).is_some())
        || (matches!(fields.len(), 5 | 6) && fields.iter().all(cron_field))
    {
        return Ok(());
    }
    Err(format!(
        "{schedule:?} is not an NCRONTAB expression (six fields, seconds first, as in \
         \"0 */5 * * * *\"), a TimeSpan or a %Setting%"
    ))
}

/// Why a function has no trigger, as near the mistake as can be told: a trigger type given
/// another direction than in, or a misspelt one.
#[cold]
#[inline(never)]
pub(super) fn no_trigger(bindings: &[Binding]) -> String {
    let generic = "no trigger binding (an input whose type ends in \"Trigger\")";
    for (i, b) in bindings.iter().enumerate() {
        let kind = b.kind.to_ascii_lowercase();
        if kind.ends_with("trigger") {
            return format!(
                "{generic}: bindings[{i}] ({:?}) has direction {:?}; a trigger's is in",
                b.kind, b.direction
            );
        }
        if let Some(known) = closest_type(&b.kind).filter(|k| k.ends_with("Trigger")) {
            return format!(
                "{generic}: bindings[{i}] has type {:?} (did you mean {known:?}?)",
                b.kind
            );
        }
    }
    generic.to_string()
}

/// What in a function.json's bindings most likely meant something else, or the host refuses
/// though this handler can serve it: a `method` member, which the host ignores, leaving the
/// function open to every method (`methods` was meant); a `type` that is no binding type
/// known here, nor a typo of one, for which the host refuses the function ("The binding
/// type(s) 'frobnicate' are not registered"); a timer schedule the host cannot read.
pub(super) fn typos(function: &Value) -> impl Iterator<Item = String> + '_ {
    let bindings = function
        .get_ignore_case("bindings")
        .and_then(Value::as_array);
    bindings
        .into_iter()
        .flatten()
        .enumerate()
        .flat_map(|(i, binding)| {
            let method = binding.get_ignore_case("method").map(|_| {
                format!(
                    "bindings[{i}]: \"method\" is not a binding property, so the host ignores it; \
                     \"methods\" limits the methods a function accepts"
                )
            });
            let kind = binding.get_ignore_case("type").and_then(Value::as_str);
            let unknown = kind
                .filter(|kind| !is_binding_type(kind) && closest_type(kind).is_none())
                .map(|kind| {
                    format!(
                        "bindings[{i}]: type {kind:?} is not a known binding type; the host \
                         refuses a function whose binding type is not registered"
                    )
                });
            // The host refuses a timer it cannot schedule; the handler is never called for
            // one, so here it is a warning.
            let timer = kind.is_some_and(|k| k.eq_ignore_ascii_case("timerTrigger"));
            let schedule = binding.get_ignore_case("schedule").and_then(Value::as_str);
            let unscheduled = timer
                .then(|| check_schedule(schedule.unwrap_or_default()).err())
                .flatten()
                .map(|e| format!("bindings[{i}]: schedule {e}; the host refuses the function"));
            method.into_iter().chain(unknown).chain(unscheduled)
        })
}

/// The binding types of the host (HTTP, timer, manual) and of the extension bundle's
/// extensions (`[4.*, 5.0.0)`), as function.json names them, by extension; the host matches
/// them ignoring case.
const BINDING_TYPES: &str = concat!(
    "httpTrigger http timerTrigger manualTrigger ",
    "blobTrigger blob queueTrigger queue table cosmosDBTrigger cosmosDB ",
    "eventHubTrigger eventHub eventGridTrigger eventGrid serviceBusTrigger serviceBus ",
    "signalRTrigger signalR signalRConnectionInfo signalRNegotiation sendGrid twilioSms ",
    "kafkaTrigger kafka rabbitMQTrigger rabbitMQ sqlTrigger sql mysqlTrigger mysql kusto ",
    "orchestrationTrigger activityTrigger entityTrigger durableClient orchestrationClient ",
    "webPubSubTrigger webPubSub webPubSubConnection webPubSubContext ",
    "redisPubSubTrigger redisListTrigger redisStreamTrigger redis ",
    "daprBindingTrigger daprServiceInvocationTrigger daprTopicTrigger daprState daprInvoke ",
    "daprPublish daprBinding daprSecret",
);

fn binding_types() -> impl Iterator<Item = &'static str> {
    BINDING_TYPES.split_whitespace()
}

/// Whether `kind` is a known binding type, ignoring case, as the host matches them.
pub(super) fn is_binding_type(kind: &str) -> bool {
    binding_types().any(|t| t.eq_ignore_ascii_case(kind))
}

/// The known binding type `kind` most likely stands for: `kind` + `Trigger` (`timer`), else
/// the `closest`.
pub(super) fn closest_type(kind: &str) -> Option<&'static str> {
    let trigger = format!("{kind}Trigger");
    if let Some(known) = binding_types().find(|t| t.eq_ignore_ascii_case(&trigger)) {
        return Some(known);
    }
    closest(kind, binding_types())
}

/// The word of `known` nearest `word` by edit distance, ignoring case, within a typo or two
/// (one for short words, where two would make any short word "close").
fn closest(word: &str, known: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    let limit = if word.len() < 4 { 1 } else { 2 };
    known
        .map(|k| (edit_distance(&word, &k.to_ascii_lowercase()), k))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

/// Levenshtein distance between two byte strings: insertions, deletions and substitutions.
fn edit_distance(a: &str, b: &str) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.bytes().enumerate() {
        let mut current = vec![i + 1];
        for (j, y) in b.bytes().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::appfiles::tests::{function, parse};

    #[test]
    fn a_method_member_is_a_typo_the_host_ignores() {
        let json = r#"{"bindings":[{"type":"httpTrigger","name":"r","Method":["get"]},
            {"type":"http","direction":"out","name":"res"}]}"#;
        let value = parse(json).unwrap();
        let found: Vec<String> = typos(&value).collect();
        assert_eq!(
            found,
            [
                "bindings[0]: \"method\" is not a binding property, so the host ignores it; \
              \"methods\" limits the methods a function accepts"
            ]
        );
        // As in the host, the function then accepts every method.
        let f = function(json).unwrap();
        assert!(f.trigger().unwrap().methods.is_empty());
    }

    #[test]
    fn a_timer_the_host_cannot_schedule_is_a_warning() {
        for good in [
            "0 */5 * * * *",
            "*/5 * * * *",
            "0 30 9 * * Mon-Fri",
            "00:05:00",
            "1.00:00:00",
            "%Schedule%",
        ] {
            assert_eq!(check_schedule(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "every 5 minutes",
            "0 * * *",
            "5m",
            "%",
            "%%",
            "0 * * * * * * *",
            // A colon does not make a TimeSpan: minutes stop at 59.
            "00:99:00",
        ] {
            assert!(check_schedule(bad).is_err(), "{bad}");
        }
        let timer =
            r#"{"bindings":[{"type":"timerTrigger","name":"t","schedule":"every 5 minutes"}]}"#;
        let found: Vec<String> = typos(&parse(timer).unwrap()).collect();
        assert_eq!(
            found,
            ["bindings[0]: schedule \"every 5 minutes\" is not an NCRONTAB expression (six fields, \
              seconds first, as in \"0 */5 * * * *\"), a TimeSpan or a %Setting%; the host refuses \
              the function"]
        );
    }

    #[test]
    fn a_typo_of_a_binding_type_is_an_error_and_an_unknown_type_a_warning() {
        let with = |kind: &str| {
            format!(
                r#"{{"bindings":[{{"type":"timerTrigger","name":"t","schedule":"0 * * * * *"}},
                {{"type":"{kind}","direction":"out","name":"a"}}]}}"#
            )
        };
        for (kind, meant) in [
            ("htp", "http"),
            ("QUEU", "queue"),
            ("timer", "timerTrigger"),
            ("blobs", "blob"),
        ] {
            assert_eq!(
                function(&with(kind)).unwrap_err(),
                format!(
                    "bindings[1]: type {kind:?} is not a known binding type (did you mean \
                     {meant:?}?); the host refuses a function whose binding type is not registered"
                )
            );
        }
        for kind in ["cosmosDB", "QUEUE", "frobnicate"] {
            assert!(function(&with(kind)).is_ok(), "{kind}");
        }
        let found: Vec<String> = typos(&parse(&with("frobnicate")).unwrap()).collect();
        assert_eq!(
            found,
            [
                "bindings[1]: type \"frobnicate\" is not a known binding type; the host refuses a \
              function whose binding type is not registered"
            ]
        );
        assert!(typos(&parse(&with("HttpTrigger")).unwrap())
            .next()
            .is_none());
        // A typo of a known type is `load`'s error, not a warning as well.
        assert!(typos(&parse(&with("htp")).unwrap()).next().is_none());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        // A typo is one edit in a word of under four letters, two from four on.
        for (kind, meant) in [
            ("tbl", None),
            ("sq", Some("sql")),
            ("bolb", Some("blob")),
            ("qeuue", Some("queue")),
        ] {
            assert_eq!(closest_type(kind), meant, "{kind}");
        }
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
