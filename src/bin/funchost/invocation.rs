//! Payload mode, what the host sends (azure-host.md §4.1, azure-bindings.md §1.2, §2): the JSON
//! invocation `{"Data":…,"Metadata":…}` it POSTs to `/<FunctionName>`. `Data` holds the
//! trigger's data (for an HTTP trigger, the client's request) and every input binding's, sent
//! as null when the binding yields nothing; `Metadata` holds the trigger's metadata and `sys`.
//! Each binding's data is encoded by the library's `host_inputs`, as the host encodes it.

use std::time::{Duration, SystemTime};

use handler::azure::appfiles::{Binding, FunctionConfig};
use handler::azure::base64;
use handler::azure::host_inputs::{self, encode};
use handler::azure::json::{self, Limits, Value};
use handler::azure::query;
use handler::http::request::group_by_name;
use handler::Request;

use crate::util::{self, announces_body, owned_headers, target};

/// The `Content-Type` of the invocation (.NET `JsonMediaTypeFormatter`'s default).
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A timer run by hand, as the host's admin API runs one: no schedule status, not late.
const MANUAL_TIMER: &[u8] =
    br#"{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}"#;

/// What a call gives a function besides an HTTP request (`invoke`, the admin API): the
/// trigger's content, the inputs' content and trigger metadata. `start` gives none, so every
/// input is null there, as the host sends a blob or a document that does not exist.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// The trigger's content: a message, a blob, a timer's JSON; not an HTTP trigger's.
    pub trigger: Option<Vec<u8>>,
    /// The content of input bindings, by binding name.
    pub inputs: Vec<(String, Vec<u8>)>,
    /// Trigger metadata, by key.
    pub metadata: Vec<(String, Value)>,
}

/// Content as a user gives it: the bytes, but a file holding one JSON string stands for that
/// string's text, so `"hello"` and `hello` are the same message.
pub fn content(bytes: Vec<u8>) -> Vec<u8> {
    match json::parse(&bytes) {
        Ok(Value::String(text)) => text.into_bytes(),
        _ => bytes,
    }
}

/// The invocation of an HTTP function, whose trigger's data is the client's request.
///
/// # Errors
/// Given content that cannot be its binding's data (see `host_inputs::data`).
pub fn http(
    function: &FunctionConfig,
    req: &Request,
    params: &[(String, String)],
    given: &Given,
) -> Result<Value, String> {
    let mut metadata = http_metadata(req, params)?;
    for (key, value) in &given.metadata {
        metadata.set(key, encode(value));
    }
    invocation(function, request_object(req, params), metadata, given)
}

/// The invocation of any other function, its trigger's data from `given` (a manual run for a
/// timer given none).
///
/// # Errors
/// As `http`.
pub fn other(function: &FunctionConfig, given: &Given) -> Result<Value, String> {
    let trigger = function.trigger().ok_or("no trigger")?;
    let timer = trigger.is("timerTrigger");
    let data = match given.trigger.as_deref() {
        // TimerInfo has all its members: the manual run's stand in for those not given.
        Some(given) if timer => match json::parse(given) {
            Ok(Value::Object(members)) => {
                let manual = json::parse(MANUAL_TIMER).expect("a JSON constant");
                let mut data = BindingData(manual.as_object().unwrap_or_default().to_vec());
                members.into_iter().for_each(|(k, v)| data.set(&k, v));
                Value::Object(data.0)
            }
            _ => host_inputs::data(trigger, Some(given))?,
        },
        given => host_inputs::data(trigger, given.or(timer.then_some(MANUAL_TIMER)))?,
    };
    let mut metadata = BindingData(defaults(trigger, given, &data, SystemTime::now()));
    for (key, value) in &given.metadata {
        metadata.set(key, encode(value));
    }
    // A message holding a JSON object adds its members, over what the trigger gave.
    let text = given.trigger.as_deref().map(String::from_utf8_lossy);
    if let Some(text) = text.filter(|_| host_inputs::sends_text(trigger)) {
        let members = host_inputs::json_members(&text, Limits::SERVICE).map_err(|e| {
            format!(
                "the {} message is past what an invocation may hold ({e})",
                trigger.kind
            )
        })?;
        for (name, value) in members {
            metadata.set(&name, encode(&value));
        }
    }
    invocation(function, data, metadata, given)
}

/// The trigger metadata the host always sends with a message, an event or a blob
/// (azure-bindings.md §2.2, §2.3, §2.5 to §2.7), as a fresh one in the emulators would have it:
/// the values a function reads, not the SDK's objects (`PartitionContext`, `Client`,
/// `MessageActions`...); what a call gives replaces them. A batch (`cardinality: many`) gets
/// none. A blob's `Uri` is its `path` with the tokens `given` names (`invoke` names the last
/// one after the `--data` file); with a token not given, there is no `Uri`. `data` is the
/// trigger's as the invocation sends it (an event as its object).
fn defaults(
    trigger: &Binding,
    given: &Given,
    data: &Value,
    now: SystemTime,
) -> Vec<(String, Value)> {
    let later = |secs| now + Duration::from_secs(secs);
    let at = |secs| Value::from(util::offset_time(later(secs)));
    // A `DateTime` in UTC, without a zone.
    let utc = |secs| Value::from(util::utc_time(later(secs)));
    let text = |text: String| encode(&Value::from(text));
    let none = || Value::Object(Vec::new());
    let kind = trigger.kind.to_ascii_lowercase();
    let members: Vec<(&str, Value)> = match kind.as_str() {
        _ if trigger.is_many() => Vec::new(),
        "queuetrigger" => vec![
            ("DequeueCount", Value::from("1")),
            ("ExpirationTime", at(7 * 86_400)),
            ("Id", text(util::guid())),
            ("InsertionTime", at(0)),
            ("NextVisibleTime", at(600)),
            ("PopReceipt", text("AgAAAAMAAAAAAAAA".into())),
        ],
        "servicebustrigger" => vec![
            ("DeliveryCount", Value::from("1")),
            ("LockToken", text(util::guid())),
            ("MessageId", text(util::guid().replace('-', ""))),
            ("SequenceNumber", Value::from("1")),
            ("EnqueuedTimeUtc", utc(0)),
            // The portal's default time to live for a queue's messages, 14 days.
            ("ExpiresAtUtc", utc(14 * 86_400)),
            ("EnqueuedTime", at(0)),
            ("ExpiresAt", at(14 * 86_400)),
            ("ApplicationProperties", none()),
            ("UserProperties", none()),
        ],
        "eventhubtrigger" => vec![
            // A partition's first event.
            ("Offset", Value::from("0")),
            ("SequenceNumber", Value::from("0")),
            ("EnqueuedTimeUtc", utc(0)),
            ("Properties", none()),
            ("SystemProperties", none()),
        ],
        // The extension's `event["data"]`, named exactly, sent as the host sends a value.
        "eventgridtrigger" => data
            .get("data")
            .map(|data| vec![("data", encode(data))])
            .unwrap_or_default(),
        "blobtrigger" => {
            let length = given.trigger.as_ref().map_or(0, Vec::len).to_string();
            let properties = Value::object([
                ("ContentLength", Value::Number(length)),
                ("ContentType", Value::from("application/octet-stream")),
                ("CreatedOn", at(0)),
                ("LastModified", at(0)),
            ]);
            let path = blob_path(trigger.path.as_deref().unwrap_or_default(), given);
            let uri = path.map(|path| {
                let encoded: Vec<String> = path.split('/').map(escape_data).collect();
                let uri = format!(
                    "http://127.0.0.1:10000/devstoreaccount1/{}",
                    encoded.join("/")
                );
                ("Uri", text(uri))
            });
            let rest = [("Properties", properties), ("Metadata", none())];
            uri.into_iter().chain(rest).collect()
        }
        _ => Vec::new(),
    };
    members
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// `text` as .NET's `Uri.EscapeDataString` escapes a blob name's segment, as the Blobs SDK does
/// for a blob's `Uri`: letters, digits and `-._~` as they are, every other byte `%XX`.
fn escape_data(text: &str) -> String {
    let kept = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let escape = |b: u8| {
        if kept(b) {
            char::from(b).to_string()
        } else {
            format!("%{b:02X}")
        }
    };
    text.bytes().map(escape).collect()
}

/// A blob path pattern (`in/{name}`) with the tokens `given` names (the last value given wins);
/// `None` when it names a token that `given` does not.
fn blob_path(pattern: &str, given: &Given) -> Option<String> {
    let (mut path, mut rest) = (String::new(), pattern);
    while let Some((before, (token, after))) = rest
        .split_once('{')
        .and_then(|(before, after)| Some((before, after.split_once('}')?)))
    {
        let (_, value) = given
            .metadata
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(token))?;
        path.push_str(before);
        match value {
            Value::String(text) => path.push_str(text),
            other => path.push_str(&other.to_json()),
        }
        rest = after;
    }
    Some(path + rest)
}

/// The tokens of a blob path pattern, in order: `name` and `ext` in `in/{name}.{ext}`.
pub fn blob_tokens(pattern: &str) -> impl Iterator<Item = &str> {
    let tokens = pattern.split('{').skip(1);
    tokens.filter_map(|rest| rest.split_once('}').map(|(token, _)| token))
}

/// The value of the one token in a blob path's last segment (`{name}`, `{name}.txt`) for the
/// blob file `file`: the file's name without what the pattern puts around the token. `None`
/// when the segment holds no single token or the name does not fit it.
pub fn blob_token<'p>(pattern: &'p str, file: &str) -> Option<(&'p str, String)> {
    let segment = pattern.rsplit('/').next()?;
    let (prefix, rest) = segment.split_once('{')?;
    let (token, suffix) = rest.split_once('}')?;
    if suffix.contains('{') || token.is_empty() {
        return None;
    }
    let value = file.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!value.is_empty()).then(|| (token, value.to_string()))
}

fn invocation(
    function: &FunctionConfig,
    trigger: Value,
    mut metadata: BindingData,
    given: &Given,
) -> Result<Value, String> {
    let name = function.trigger().map_or("req", |t| t.name.as_str());
    let mut data = vec![(name.to_string(), trigger)];
    for input in function.inputs() {
        let content = given.inputs.iter().find(|(n, _)| *n == input.name);
        let content = content.map(|(_, bytes)| bytes.as_slice());
        data.push((input.name.clone(), host_inputs::data(input, content)?));
    }
    metadata.set("sys", sys(&function.name, SystemTime::now()));
    Ok(Value::object([
        ("Data", Value::Object(data)),
        ("Metadata", Value::Object(metadata.0)),
    ]))
}

/// An object of strings.
fn strings(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::object(pairs.into_iter().map(|(k, v)| (k, Value::from(v))))
}

/// `Data.req` for an HTTP trigger (`GetRequestAsJObject`).
fn request_object(req: &Request, params: &[(String, String)]) -> Value {
    let host = req.header("host").unwrap_or_default();
    let identity = json::parse(ANONYMOUS_IDENTITY).expect("a JSON constant");
    let headers = group_by_name(owned_headers(req))
        .into_iter()
        .map(|(name, values)| {
            (
                name,
                Value::Array(values.into_iter().map(Value::from).collect()),
            )
        });
    let mut members = vec![
        ("Url", Value::from(format!("http://{host}{}", target(req)))),
        ("Method", Value::from(req.method())),
        ("Query", strings(query::collection(req.query()))),
        ("Headers", Value::object(headers)),
        ("Params", strings(params.iter().cloned())),
        ("Identities", Value::Array(vec![identity])),
    ];
    // Only a body announced by a non-zero Content-Length; a chunked body is lost (#7930).
    if announces_body(req) {
        let media = req.media_type().unwrap_or_default();
        let body = if media == "application/octet-stream" || media.starts_with("multipart/") {
            base64::encode(req.body())
        } else {
            String::from_utf8_lossy(req.body()).into_owned()
        };
        members.push(("Body", Value::from(body)));
    }
    Value::object(members)
}

/// The serialized `ClaimsIdentity` of an anonymous caller (shape inferred, azure-host.md §4.1).
const ANONYMOUS_IDENTITY: &[u8] = br#"{
    "AuthenticationType": null, "IsAuthenticated": false, "Actor": null,
    "BootstrapContext": null, "Claims": [], "Label": null, "Name": null,
    "NameClaimType": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    "RoleClaimType": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
}"#;

/// Binding data, a dictionary whose keys compare ignoring case: a later value for a key
/// replaces the earlier one in place.
#[derive(Debug, Default)]
struct BindingData(Vec<(String, Value)>);

impl BindingData {
    fn set(&mut self, key: &str, value: Value) {
        match self.0.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    fn set_default(&mut self, key: &str, value: Value) {
        if !self.0.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            self.0.push((key.to_string(), value));
        }
    }
}

/// `sys`: the system binding data of every invocation.
fn sys(function: &str, now: SystemTime) -> Value {
    Value::object([
        ("MethodName", Value::from(function)),
        ("UtcNow", Value::from(util::json_time(now))),
        ("RandGuid", Value::from(util::guid())),
    ])
}

/// `Metadata` for an HTTP trigger (`GetRequestBindingData`, then the host's conversion): the top
/// level non-array members of a JSON body, the query parameters but `code`, the route values,
/// `Query` and `Headers`; strings double-encoded by `encode`.
///
/// # Errors
/// A JSON body past the invocation's limits: the host would copy it, and the handler refuse
/// the invocation.
fn http_metadata(req: &Request, params: &[(String, String)]) -> Result<BindingData, String> {
    let mut data = BindingData::default();
    let body = String::from_utf8_lossy(req.body());
    let body = body.trim();
    if announces_body(req) {
        let members = host_inputs::json_members(body, Limits::INVOCATION).map_err(|e| {
            format!(
                "the JSON body is past what an invocation may hold ({e}): the host copies its \
                 members into the invocation, which the handler then refuses"
            )
        })?;
        for (name, value) in members {
            data.set(&name, encode(&value));
        }
    }
    let query = query::collection(req.query());
    let named = query
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("code"));
    for (name, value) in named.chain(params) {
        data.set(name, encode(&Value::from(value.as_str())));
    }
    data.set_default("Query", strings(query));
    let headers = group_by_name(owned_headers(req))
        .into_iter()
        .map(|(name, values)| (name, values.join(",")));
    data.set_default("Headers", strings(headers));
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::{function, request};

    fn parse(text: &str) -> Value {
        json::parse(text.as_bytes()).unwrap()
    }

    /// The invocation's JSON with `sys` pinned.
    fn pinned(invocation: Value) -> String {
        let text = invocation.to_json();
        let at = text.find(r#""sys":"#).expect("sys");
        format!("{}\"sys\":…}}}}", &text[..at])
    }

    #[test]
    fn query_repeats_code_body_and_route_values() {
        let headers = [
            ("Host", "h"),
            ("Content-Type", "application/json"),
            ("Content-Length", "40"),
            ("X-M", "1"),
            ("x-m", "2"),
        ];
        let body = r#"{"name":"Azure","n":1.5,"ok":true,"o":{"p":1},"arr":[1],"z":null}"#;
        let req = request(
            "POST",
            "/api/items/7?A=1&a=2&code=k&flag&sp=a+b%20c",
            &headers,
            body,
        );
        let params = [("id".to_string(), "7".to_string())];
        let data = request_object(&req, &params);
        let member = |v: &Value, k: &str| v.get(k).unwrap().to_json();
        assert_eq!(
            member(&data, "Query"),
            r#"{"A":"1,2","code":"k","flag":"","sp":"a b c"}"#
        );
        assert_eq!(member(&data, "Params"), r#"{"id":"7"}"#);
        assert_eq!(member(data.get("Headers").unwrap(), "X-M"), r#"["1","2"]"#);
        assert_eq!(data.get("Body").and_then(Value::as_str), Some(body));
        let metadata = Value::Object(http_metadata(&req, &params).unwrap().0);
        let keys: Vec<&str> = metadata
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(
            keys,
            ["name", "n", "ok", "o", "A", "flag", "sp", "id", "Query", "Headers"]
        );
        assert_eq!(member(&metadata, "n"), r#""\"1.5\"""#);
        assert_eq!(member(&metadata, "ok"), r#""\"True\"""#);
        assert_eq!(member(&metadata, "o"), r#"{"p":1}"#);
        assert_eq!(member(&metadata, "A"), r#""\"1,2\"""#);
        assert_eq!(member(metadata.get("Headers").unwrap(), "X-M"), r#""1,2""#);
    }

    #[test]
    fn a_json_body_is_copied_whatever_a_function_may_read_and_refused_past_the_invocation() {
        use handler::azure::limits::{INVOCATION_MAX_VALUES, JSON_MAX_VALUES};
        let body = |n: usize| format!(r#"{{"x":{{"v":[{}]}}}}"#, vec!["0"; n].join(","));
        let call = |body: &str| {
            let length = body.len().to_string();
            let headers = [
                ("Host", "h"),
                ("Content-Type", "application/json"),
                ("Content-Length", length.as_str()),
            ];
            http_metadata(&request("POST", "/api/f", &headers, body), &[])
        };
        // More values than a function may read, as the host copies them: the handler reads
        // the invocation, and the function answers its own 400.
        let copied = call(&body(JSON_MAX_VALUES)).unwrap();
        assert!(copied.0.iter().any(|(name, _)| name == "x"));
        let error = call(&body(INVOCATION_MAX_VALUES)).unwrap_err();
        assert!(
            error.starts_with(&format!(
                "the JSON body is past what an invocation may hold (more values than the limit \
                 of {INVOCATION_MAX_VALUES})"
            )),
            "{error}"
        );
    }

    #[test]
    fn body_is_left_out_without_content_length_and_base64_for_binary() {
        let chunked = [("Host", "h"), ("Transfer-Encoding", "chunked")];
        let req = request("POST", "/api/f", &chunked, "abc");
        assert_eq!(request_object(&req, &[]).get("Body"), None);
        let binary = [
            ("Host", "h"),
            ("Content-Length", "3"),
            ("Content-Type", "application/octet-stream"),
        ];
        let req = request("POST", "/api/f", &binary, "abc");
        let body = request_object(&req, &[]);
        assert_eq!(body.get("Body").and_then(Value::as_str), Some("YWJj"));
    }

    /// Every input is in `Data`, null when not given; metadata is encoded, `sys` comes last.
    #[test]
    fn inputs_and_metadata_as_the_host_sends_them() {
        let inputs = r#"{"type":"blob","direction":"in","name":"cfg"},
            {"type":"cosmosDB","direction":"in","name":"doc"}"#;
        let copy = function(
            "Copy",
            &format!(r#"{{"type":"rabbitMQTrigger","name":"msg"}},{inputs}"#),
        );
        let given = Given {
            trigger: Some(content(br#""hello""#.to_vec())),
            inputs: vec![("doc".into(), br#"{"id":"7"}"#.to_vec())],
            metadata: vec![
                ("DequeueCount".into(), parse("1")),
                ("name".into(), Value::from("a.txt")),
            ],
        };
        let expected = r#"{"Data":{"msg":"\"hello\"","cfg":"null","doc":"\"{\\\"id\\\":\\\"7\\\"}\""},"Metadata":{"DequeueCount":"1","name":"\"a.txt\"","sys":…}}"#;
        assert_eq!(pinned(other(&copy, &given).unwrap()), expected);
        // A timer given nothing runs as by hand; data of the wrong shape is refused.
        let timer = function("Tick", r#"{"type":"timerTrigger","name":"t"}"#);
        let run = other(&timer, &Given::default()).unwrap();
        let data = run.get("Data").unwrap().to_json();
        assert_eq!(
            data,
            format!("{{\"t\":{}}}", std::str::from_utf8(MANUAL_TIMER).unwrap())
        );
        let given = Given {
            trigger: Some(b"[]".to_vec()),
            ..Given::default()
        };
        assert_eq!(
            other(&timer, &given).unwrap_err(),
            "the timerTrigger \"t\" takes a JSON object"
        );
        // Only a timer's object is completed with the manual run's members: another
        // trigger's is its message, sent as the host sends a string (JSON text twice).
        let queue = function("Q", r#"{"type":"queueTrigger","name":"msg"}"#);
        let given = Given {
            trigger: Some(br#"{"IsPastDue":true}"#.to_vec()),
            ..Given::default()
        };
        let data = other(&queue, &given)
            .unwrap()
            .get("Data")
            .unwrap()
            .to_json();
        assert_eq!(data, r#"{"msg":"\"{\\\"IsPastDue\\\":true}\""}"#);
    }

    /// `Utility.ApplyBindingData`: a message holding a JSON object adds its members to the
    /// metadata, over what the trigger gave (a member `Id` replaces the message id).
    #[test]
    fn a_json_message_adds_its_members_to_the_metadata() {
        let queue = function("Q", r#"{"type":"queueTrigger","name":"msg"}"#);
        let given = |message: &str| Given {
            trigger: Some(message.as_bytes().to_vec()),
            metadata: vec![
                ("Id".into(), Value::from("m-1")),
                ("DequeueCount".into(), parse("1")),
            ],
            ..Given::default()
        };
        let metadata = |function: &FunctionConfig, message: &str| {
            let invocation = other(function, &given(message)).unwrap();
            let mut metadata = invocation.get("Metadata").unwrap().clone();
            if let Value::Object(members) = &mut metadata {
                let varying = ["sys", "ExpirationTime", "InsertionTime", "NextVisibleTime"];
                members.retain(|(name, _)| !varying.contains(&name.as_str()));
            }
            metadata.to_json()
        };
        assert_eq!(
            metadata(
                &queue,
                r#" {"id":"order-7","n":2,"ok":true,"o":{"a":1},"list":[1],"z":null} "#
            ),
            r#"{"DequeueCount":"1","Id":"\"order-7\"","PopReceipt":"\"AgAAAAMAAAAAAAAA\"","n":"\"2\"","ok":"\"True\"","o":{"a":1}}"#
        );
        // Other text, and data the host does not hold as a string, add nothing.
        assert_eq!(
            metadata(&queue, "[1,2]"),
            r#"{"DequeueCount":"1","Id":"\"m-1\"","PopReceipt":"\"AgAAAAMAAAAAAAAA\""}"#
        );
        let binary = function(
            "B",
            r#"{"type":"queueTrigger","name":"msg","dataType":"binary"}"#,
        );
        assert_eq!(
            metadata(&binary, r#"{"id":"x"}"#),
            r#"{"DequeueCount":"1","Id":"\"m-1\"","PopReceipt":"\"AgAAAAMAAAAAAAAA\""}"#
        );
        // A message is a service's data: past what an HTTP invocation may hold, as the
        // handler reads it (Limits::SERVICE).
        use handler::azure::limits::INVOCATION_MAX_VALUES;
        let members: Vec<String> = (0..INVOCATION_MAX_VALUES)
            .map(|i| format!("\"k{i}\":0"))
            .collect();
        let large = format!(r#"{{"o":{{{}}}}}"#, members.join(","));
        assert!(other(&queue, &given(&large)).is_ok());
    }

    /// What the host always sends with a message or a blob, where a call gives none.
    #[test]
    fn the_hosts_trigger_metadata_stands_in_for_what_is_not_given() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_735_732_800);
        let given = Given {
            trigger: Some(b"hello".to_vec()),
            metadata: vec![("name".into(), Value::from("a.txt"))],
            ..Given::default()
        };
        let json = |binding: &str| {
            let trigger = function("F", binding).trigger().unwrap().clone();
            let mut members = defaults(&trigger, &given, &Value::Null, now);
            for (_, value) in members
                .iter_mut()
                .filter(|(k, _)| ["Id", "MessageId", "LockToken"].contains(&k.as_str()))
            {
                assert!(value.as_str().unwrap().len() > 30, "a GUID");
                *value = Value::from("id");
            }
            Value::Object(members).to_json()
        };
        assert_eq!(
            json(r#"{"type":"queueTrigger","name":"m"}"#),
            r#"{"DequeueCount":"1","ExpirationTime":"2025-01-08T12:00:00+00:00","Id":"id","InsertionTime":"2025-01-01T12:00:00+00:00","NextVisibleTime":"2025-01-01T12:10:00+00:00","PopReceipt":"\"AgAAAAMAAAAAAAAA\""}"#
        );
        assert_eq!(
            json(r#"{"type":"blobTrigger","name":"b","path":"in/{name}"}"#),
            r#"{"Uri":"\"http://127.0.0.1:10000/devstoreaccount1/in/a.txt\"","Properties":{"ContentLength":5,"ContentType":"application/octet-stream","CreatedOn":"2025-01-01T12:00:00+00:00","LastModified":"2025-01-01T12:00:00+00:00"},"Metadata":{}}"#
        );
        assert_eq!(
            json(r#"{"type":"serviceBusTrigger","name":"m"}"#),
            r#"{"DeliveryCount":"1","LockToken":"id","MessageId":"id","SequenceNumber":"1","EnqueuedTimeUtc":"2025-01-01T12:00:00","ExpiresAtUtc":"2025-01-15T12:00:00","EnqueuedTime":"2025-01-01T12:00:00+00:00","ExpiresAt":"2025-01-15T12:00:00+00:00","ApplicationProperties":{},"UserProperties":{}}"#
        );
        assert_eq!(
            json(r#"{"type":"eventHubTrigger","name":"e"}"#),
            r#"{"Offset":"0","SequenceNumber":"0","EnqueuedTimeUtc":"2025-01-01T12:00:00","Properties":{},"SystemProperties":{}}"#
        );
        let grid = function("F", r#"{"type":"eventGridTrigger","name":"e"}"#);
        let grid = grid.trigger().unwrap();
        let data = |event: &str| {
            let given = Given {
                trigger: Some(event.as_bytes().to_vec()),
                ..Given::default()
            };
            let event = host_inputs::data(grid, given.trigger.as_deref()).unwrap();
            Value::Object(defaults(grid, &given, &event, now)).to_json()
        };
        assert_eq!(data(r#"{"id":"1","data":{"a":1}}"#), r#"{"data":{"a":1}}"#);
        assert_eq!(data(r#"{"data":"x"}"#), r#"{"data":"\"x\""}"#);
        assert_eq!(data(r#"{"Data":{"a":1}}"#), "{}");
        assert_eq!(json(r#"{"type":"timerTrigger","name":"t"}"#), "{}");
        assert_eq!(
            json(r#"{"type":"serviceBusTrigger","name":"m","cardinality":"many"}"#),
            "{}"
        );
        // A token not given leaves no Uri; what a call gives wins; a name is encoded.
        assert_eq!(blob_path("in/{dir}/{NAME}.txt", &given), None);
        assert_eq!(
            blob_path("in/{NAME}.txt", &given).as_deref(),
            Some("in/a.txt.txt")
        );
        let spaced = Given {
            metadata: vec![("name".into(), Value::from("a b.txt"))],
            ..Given::default()
        };
        let uri = defaults(
            &function(
                "F",
                r#"{"type":"blobTrigger","name":"b","path":"in/{name}"}"#,
            )
            .trigger()
            .unwrap()
            .clone(),
            &spaced,
            &Value::Null,
            now,
        );
        assert_eq!(
            uri[0],
            (
                "Uri".to_string(),
                encode(&Value::from(
                    "http://127.0.0.1:10000/devstoreaccount1/in/a%20b.txt"
                ))
            )
        );
        assert_eq!(escape_data("report (1)é.txt"), "report%20%281%29%C3%A9.txt");
        assert_eq!(
            blob_token("in/{name}.txt", "report.txt"),
            Some(("name", "report".into()))
        );
        assert_eq!(
            blob_token("in/{name}", "report.txt"),
            Some(("name", "report.txt".into()))
        );
        assert_eq!(blob_token("in/{name}.txt", "report.csv"), None);
        assert_eq!(blob_token("in/{a}-{b}", "x-y"), None);
        // Not one token: two (whatever the name), or one with no name.
        assert_eq!(blob_token("in/{a}-{b}", "x-{b}"), None);
        assert_eq!(blob_token("in/{}.txt", "x.txt"), None);
        let tokens: Vec<_> = blob_tokens("c/{dir}/{name}.{ext}").collect();
        assert_eq!(tokens, ["dir", "name", "ext"]);
        let queue = function("Q", r#"{"type":"queueTrigger","name":"m"}"#);
        let given = Given {
            trigger: Some(b"hi".to_vec()),
            metadata: vec![("dequeuecount".into(), parse("4"))],
            ..Given::default()
        };
        let invocation = other(&queue, &given).unwrap();
        let metadata = invocation.get("Metadata").unwrap();
        assert_eq!(
            metadata.get("DequeueCount").and_then(Value::as_str),
            Some("4")
        );
        // A timer's data gets the members of TimerInfo it lacks.
        let timer = function("T", r#"{"type":"timerTrigger","name":"t"}"#);
        let given = Given {
            trigger: Some(br#"{"isPastDue":true}"#.to_vec()),
            ..Given::default()
        };
        let data = other(&timer, &given)
            .unwrap()
            .get("Data")
            .unwrap()
            .to_json();
        assert_eq!(
            data,
            r#"{"t":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}}"#
        );
    }

    #[test]
    fn a_json_string_stands_for_its_text() {
        assert_eq!(content(b"\"hi\"\n".to_vec()), b"hi");
        assert_eq!(content(b"hi\n".to_vec()), b"hi\n");
        assert_eq!(content(b"{\"a\":1}".to_vec()), b"{\"a\":1}");
    }
}
