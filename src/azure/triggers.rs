//! Typed views of the common triggers' data and metadata, read the way the host sends them
//! (azure-bindings.md §2): `Timer::try_from(&req)`, `QueueMessage`, `Blob`, `CosmosChanges`,
//! `ServiceBusMessage`, `Event` and `EventBatch` (Event Hubs), `EventGridEvent`.
//!
//! The trigger's data must have the shape its binding sends, or the helper answers a
//! `BindingError` naming what is wrong, which a function returns to fail the invocation
//! (`Response::from(error)`). Metadata is never required: the host leaves out null values, and
//! when a queue or Service Bus message is a JSON object it copies the message's top-level
//! members into the metadata over keys of the same name (azure-bindings.md §1.2;
//! nodejs-library#459), so a message with an `id` member replaces the message id. A metadata
//! value of the wrong type is therefore read as absent (`None`) rather than failing an
//! invocation for a value the function may not even use. Dates stay the host's ISO 8601 text.

use crate::azure::appfiles::Binding;
use crate::azure::base64;
use crate::azure::bindings::{host_value, unreadable, BindingError};
use crate::azure::input::Input;
use crate::azure::json::{self, Limits, Value};
use crate::azure::request::Request;
use crate::http::query::decode_path;

/// A timer trigger's data (`TimerInfo`, §2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    /// Whether this run is later than scheduled (the host was down, or a run overran).
    pub is_past_due: bool,
    /// The last and next runs; `None` without `useMonitor` or before the first run is stored.
    pub schedule_status: Option<ScheduleStatus>,
    /// `Schedule.AdjustForDST`, when the host sends it.
    pub adjust_for_dst: Option<bool>,
}

/// When a monitored timer last ran and runs next, as the host's ISO 8601 text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleStatus {
    /// `Last`: when the timer last ran.
    pub last: String,
    /// `Next`: when it runs next.
    pub next: String,
    /// `LastUpdated`: when the host last stored this status.
    pub last_updated: String,
}

/// A Storage queue message and its metadata (§2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// The message: its text's UTF-8, or its bytes with `dataType: binary`.
    pub content: Vec<u8>,
    /// `Id`: the message's id in its queue.
    pub id: Option<String>,
    /// 1 on the first delivery; past `maxDequeueCount` (5) the message goes to the poison
    /// queue instead.
    pub dequeue_count: Option<u64>,
    /// `InsertionTime`: when it was queued, ISO 8601 with an offset.
    pub insertion_time: Option<String>,
    /// `ExpirationTime`: when it expires unread (7 days after insertion by default).
    pub expiration_time: Option<String>,
    /// `NextVisibleTime`: when it shows in the queue again unless the host deletes it.
    pub next_visible_time: Option<String>,
    /// `PopReceipt`: the receipt of this delivery.
    pub pop_receipt: Option<String>,
}

/// A blob that triggered the function, and its metadata (§2.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Blob {
    /// The blob's bytes: the host always sends them (as base64), whatever `dataType` says.
    pub content: Vec<u8>,
    /// The `{name}` of the trigger's `path` (`in/{name}`), if the path has one.
    pub name: Option<String>,
    /// The container and blob name, `in/report.csv`, from `uri`.
    pub path: Option<String>,
    /// `Uri`: the blob's URL.
    pub uri: Option<String>,
    /// `Properties.ContentType`.
    pub content_type: Option<String>,
    /// `Properties.ContentLength`.
    pub length: Option<u64>,
    /// Every blob property the host sends (`ETag`, `LastModified`, ...).
    pub properties: Option<Value>,
    /// The blob's own metadata (name-value pairs set on the blob).
    pub metadata: Option<Value>,
}

/// The documents a Cosmos DB change feed delivered in one batch (§2.4).
#[derive(Debug, Clone, PartialEq)]
pub struct CosmosChanges {
    /// Each changed document, system fields (`_rid`, `_etag`, `_ts`, `_lsn`) included.
    pub documents: Vec<Value>,
}

/// A Service Bus message and its metadata (§2.5).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBusMessage {
    /// The body: its text's UTF-8, or its bytes with `dataType: binary`.
    pub content: Vec<u8>,
    /// `MessageId`: set by the sender, used for duplicate detection.
    pub message_id: Option<String>,
    /// 1 on the first delivery; past the entity's `MaxDeliveryCount` the message is
    /// dead-lettered.
    pub delivery_count: Option<u64>,
    /// `SequenceNumber`: the broker's number for the message, unique in its entity.
    pub sequence_number: Option<i64>,
    /// `EnqueuedTimeUtc`: ISO 8601 without a zone, in UTC.
    pub enqueued_time_utc: Option<String>,
    /// `ContentType`, as the sender set it.
    pub content_type: Option<String>,
    /// `CorrelationId`, as the sender set it.
    pub correlation_id: Option<String>,
    /// `SessionId`, on a session-enabled entity.
    pub session_id: Option<String>,
    /// `Subject` (`Label` on older extensions).
    pub subject: Option<String>,
    /// `ApplicationProperties` (`UserProperties` on older extensions).
    pub application_properties: Option<Value>,
}

/// One Event Hubs event (§2.6), alone (`cardinality: one`) or from a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The body: its text's UTF-8, or its bytes with `dataType: binary`. In a batch with no
    /// `dataType`, the host parsed each body as JSON, so this is that JSON written again: a
    /// body that was the JSON string `"hi"` reads `hi`, and its spacing is not kept.
    pub content: Vec<u8>,
    /// `Offset`: where the event is in its partition.
    pub offset: Option<String>,
    /// `SequenceNumber`: the event's number in its partition.
    pub sequence_number: Option<i64>,
    /// `EnqueuedTimeUtc`: ISO 8601 without a zone, in UTC.
    pub enqueued_time_utc: Option<String>,
    /// `PartitionKey`, as the sender set it.
    pub partition_key: Option<String>,
    /// `Properties`: the application properties the sender set.
    pub properties: Option<Value>,
    /// `SystemProperties`: those Event Hubs set.
    pub system_properties: Option<Value>,
}

/// The events of an Event Hubs trigger with `cardinality: many` (§2.6).
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    /// The events, in partition order, each with its own metadata (the `...Array` keys).
    pub events: Vec<Event>,
    /// `PartitionContext`: the Event Hub, consumer group and partition.
    pub partition_context: Option<Value>,
}

/// An Event Grid event (§2.7), in either schema.
#[derive(Debug, Clone, PartialEq)]
pub struct EventGridEvent {
    /// `id`: unique for its source.
    pub id: String,
    /// `eventType` (Event Grid schema) or `type` (CloudEvents).
    pub event_type: String,
    /// `subject`: what the event is about, within its source.
    pub subject: Option<String>,
    /// `topic` (Event Grid schema) or `source` (CloudEvents).
    pub source: Option<String>,
    /// `eventTime` or `time`.
    pub time: Option<String>,
    /// `data`: `Null` when the event has none.
    pub data: Value,
    /// Which schema the event is in.
    pub schema: EventSchema,
    /// The whole event as sent.
    pub event: Value,
}

/// Which schema an Event Grid subscription delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSchema {
    /// Event Grid's own: the event has `eventType`.
    EventGrid,
    /// CloudEvents 1.0: the event has `specversion`.
    CloudEvents,
}

impl TryFrom<&Request<'_>> for Timer {
    type Error = BindingError;

    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, _) = trigger(req, "timerTrigger")?;
        let data = object(&input)?;
        let what = |key: &str| format!("the timer's {key}");
        let is_past_due = match data.get_ignore_case("IsPastDue") {
            Some(Value::Bool(late)) => *late,
            None => return Err(BindingError::new("the timer has no IsPastDue (a boolean)")),
            _ => return Err(wrong(&what("IsPastDue"), "a boolean")),
        };
        let schedule_status = match data.get_ignore_case("ScheduleStatus") {
            None | Some(Value::Null) => None,
            Some(status) => {
                let date = |key: &str| match status.get_ignore_case(key) {
                    Some(Value::String(date)) => Ok(date.clone()),
                    _ => Err(wrong(&what(&format!("ScheduleStatus.{key}")), "a date")),
                };
                Some(ScheduleStatus {
                    last: date("Last")?,
                    next: date("Next")?,
                    last_updated: date("LastUpdated")?,
                })
            }
        };
        let adjust_for_dst = data
            .get_ignore_case("Schedule")
            .and_then(|s| s.get_ignore_case("AdjustForDST"))
            .and_then(|a| match a {
                Value::Bool(b) => Some(*b),
                _ => None,
            });
        Ok(Timer {
            is_past_due,
            schedule_status,
            adjust_for_dst,
        })
    }
}

impl TryFrom<&Request<'_>> for QueueMessage {
    type Error = BindingError;

    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, _) = trigger(req, "queueTrigger")?;
        Ok(QueueMessage {
            content: input.as_bytes()?.into_owned(),
            id: text(req.metadata("Id")),
            dequeue_count: unsigned(req.metadata("DequeueCount")),
            insertion_time: text(req.metadata("InsertionTime")),
            expiration_time: text(req.metadata("ExpirationTime")),
            next_visible_time: text(req.metadata("NextVisibleTime")),
            pop_receipt: text(req.metadata("PopReceipt")),
        })
    }
}

impl QueueMessage {
    /// The message as text.
    ///
    /// # Errors
    /// A message that is not UTF-8.
    pub fn text(&self) -> Result<&str, BindingError> {
        utf8(&self.content, "the queue message")
    }

    /// The message parsed as JSON.
    ///
    /// # Errors
    /// A message that is not JSON.
    pub fn json(&self) -> Result<Value, BindingError> {
        parse(&self.content, "the queue message")
    }
}

impl TryFrom<&Request<'_>> for Blob {
    type Error = BindingError;

    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, _) = trigger(req, "blobTrigger")?;
        let uri = text(req.metadata("Uri"));
        let properties = req
            .metadata("Properties")
            .filter(|p| p.as_object().is_some());
        let property = |key: &str| properties.and_then(|p| p.get_ignore_case(key));
        Ok(Blob {
            content: input.as_bytes()?.into_owned(),
            name: text(req.metadata("name")),
            path: uri.as_deref().and_then(blob_path),
            uri,
            content_type: text(property("ContentType")),
            length: unsigned(property("ContentLength")),
            properties: properties.cloned(),
            metadata: req
                .metadata("Metadata")
                .filter(|m| m.as_object().is_some())
                .cloned(),
        })
    }
}

impl Blob {
    /// The blob as text.
    ///
    /// # Errors
    /// A blob that is not UTF-8.
    pub fn text(&self) -> Result<&str, BindingError> {
        utf8(&self.content, "the blob")
    }

    /// The blob parsed as JSON.
    ///
    /// # Errors
    /// A blob that is not JSON.
    pub fn json(&self) -> Result<Value, BindingError> {
        parse(&self.content, "the blob")
    }
}

impl TryFrom<&Request<'_>> for CosmosChanges {
    type Error = BindingError;

    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, _) = trigger(req, "cosmosDBTrigger")?;
        let documents = match input.json()? {
            Value::Array(items) if items.iter().all(|d| d.as_object().is_some()) => items,
            _ => {
                return Err(wrong(
                    "the Cosmos DB trigger's data",
                    "an array of documents",
                ))
            }
        };
        Ok(CosmosChanges { documents })
    }
}

impl TryFrom<&Request<'_>> for ServiceBusMessage {
    type Error = BindingError;

    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, binding) = trigger(req, "serviceBusTrigger")?;
        if binding.is_many() {
            return Err(BindingError::new(
                "the serviceBusTrigger has cardinality many: read the batch with \
                 req.trigger() and the …Array metadata",
            ));
        }
        let meta = |key: &str| req.metadata(key);
        Ok(ServiceBusMessage {
            content: input.as_bytes()?.into_owned(),
            message_id: text(meta("MessageId")),
            delivery_count: unsigned(meta("DeliveryCount")),
            sequence_number: signed(meta("SequenceNumber")),
            enqueued_time_utc: text(meta("EnqueuedTimeUtc")),
            content_type: text(meta("ContentType")),
            correlation_id: text(meta("CorrelationId")),
            session_id: text(meta("SessionId")),
            subject: text(meta("Subject")).or_else(|| text(meta("Label"))),
            application_properties: meta("ApplicationProperties")
                .or_else(|| meta("UserProperties"))
                .filter(|p| p.as_object().is_some())
                .cloned(),
        })
    }
}

impl ServiceBusMessage {
    /// The body as text.
    ///
    /// # Errors
    /// A body that is not UTF-8.
    pub fn text(&self) -> Result<&str, BindingError> {
        utf8(&self.content, "the Service Bus message")
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// A body that is not JSON.
    pub fn json(&self) -> Result<Value, BindingError> {
        parse(&self.content, "the Service Bus message")
    }
}

impl TryFrom<&Request<'_>> for Event {
    type Error = BindingError;

    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, binding) = trigger(req, "eventHubTrigger")?;
        if binding.is_many() {
            return Err(BindingError::new(
                "the eventHubTrigger has cardinality many: read it as an EventBatch",
            ));
        }
        let meta = |key: &str| req.metadata(key);
        Ok(Event {
            content: input.as_bytes()?.into_owned(),
            offset: number_text(meta("Offset")),
            sequence_number: signed(meta("SequenceNumber")),
            enqueued_time_utc: text(meta("EnqueuedTimeUtc")),
            partition_key: text(meta("PartitionKey")),
            properties: meta("Properties").cloned(),
            system_properties: meta("SystemProperties").cloned(),
        })
    }
}

impl TryFrom<&Request<'_>> for EventBatch {
    type Error = BindingError;

    /// A batch; a trigger with `cardinality: one` gives a batch of its one event.
    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, binding) = trigger(req, "eventHubTrigger")?;
        let partition_context = req.metadata("PartitionContext").cloned();
        if !binding.is_many() {
            let event = Event::try_from(req)?;
            return Ok(EventBatch {
                events: vec![event],
                partition_context,
            });
        }
        // A .NET array of bodies, sent as the JSON text of the array: strings with
        // `dataType: string`, base64 with `binary`, and without a dataType each body parsed
        // as JSON by the host (so a body that is not JSON fails the batch before it arrives).
        let bodies = match host_value(input.value(), Limits::SERVICE).into_owned() {
            Value::Array(bodies) => bodies,
            _ => return Err(wrong("the eventHubTrigger's batch", "an array of events")),
        };
        let column = |key: &str| match req.metadata(key) {
            Some(Value::Array(items)) => items.as_slice(),
            _ => &[],
        };
        let (offsets, numbers, times) = (
            column("OffsetArray"),
            column("SequenceNumberArray"),
            column("EnqueuedTimeUtcArray"),
        );
        let (keys, properties, system) = (
            column("PartitionKeyArray"),
            column("PropertiesArray"),
            column("SystemPropertiesArray"),
        );
        let mut events = Vec::with_capacity(bodies.len());
        for (i, body) in bodies.into_iter().enumerate() {
            let content = match body {
                Value::String(text) if binding.is_binary() => base64::decode(&text)
                    .ok_or_else(|| wrong(&format!("event {i} of the batch"), "base64"))?,
                Value::String(text) => text.into_bytes(),
                other => other.to_json().into_bytes(),
            };
            events.push(Event {
                content,
                offset: number_text(offsets.get(i)),
                sequence_number: signed(numbers.get(i)),
                enqueued_time_utc: text(times.get(i)),
                partition_key: text(keys.get(i)),
                properties: properties.get(i).cloned(),
                system_properties: system.get(i).cloned(),
            });
        }
        Ok(EventBatch {
            events,
            partition_context,
        })
    }
}

impl Event {
    /// The body as text.
    ///
    /// # Errors
    /// A body that is not UTF-8.
    pub fn text(&self) -> Result<&str, BindingError> {
        utf8(&self.content, "the event")
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// A body that is not JSON.
    pub fn json(&self) -> Result<Value, BindingError> {
        parse(&self.content, "the event")
    }
}

impl TryFrom<&Request<'_>> for EventGridEvent {
    type Error = BindingError;

    fn try_from(req: &Request<'_>) -> Result<Self, BindingError> {
        let (input, _) = trigger(req, "eventGridTrigger")?;
        let event = object(&input)?;
        let member = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_string);
        let cloud = event.get("specversion").is_some();
        let (type_key, source_key, time_key) = if cloud {
            ("type", "source", "time")
        } else {
            ("eventType", "topic", "eventTime")
        };
        let required =
            |key: &str| member(key).ok_or_else(|| wrong(&format!("the event's {key}"), "a string"));
        Ok(EventGridEvent {
            id: required("id")?,
            event_type: required(type_key)?,
            subject: member("subject"),
            source: member(source_key),
            time: member(time_key),
            data: event.get("data").cloned().unwrap_or(Value::Null),
            schema: if cloud {
                EventSchema::CloudEvents
            } else {
                EventSchema::EventGrid
            },
            event,
        })
    }
}

/// The trigger's data and binding, checking the trigger is a `kind`.
fn trigger<'r>(req: &'r Request<'_>, kind: &str) -> Result<(Input<'r>, &'r Binding), BindingError> {
    let binding = req.bindings().and_then(|config| config.trigger());
    let Some(binding) = binding else {
        return Err(BindingError::new(format!(
            "no {kind} data: this request was forwarded, not a payload-mode invocation"
        )));
    };
    if !binding.is(kind) {
        return Err(BindingError::new(format!(
            "the trigger {:?} is a {}, not a {kind}",
            binding.name, binding.kind
        )));
    }
    let input = req.trigger().ok_or_else(|| {
        BindingError::new(format!(
            "the trigger {:?} yielded nothing (null)",
            binding.name
        ))
    })?;
    Ok((input, binding))
}

/// The trigger's data as a JSON object (a timer's, an event's).
fn object(input: &Input<'_>) -> Result<Value, BindingError> {
    match input.json()? {
        object @ Value::Object(_) => Ok(object),
        _ => Err(wrong(
            &format!("the trigger {:?}", input.name()),
            "a JSON object",
        )),
    }
}

/// `what is not <expected>`, as an error.
fn wrong(what: &str, expected: &str) -> BindingError {
    BindingError::new(format!("{what} is not {expected}"))
}

fn utf8<'c>(content: &'c [u8], what: &str) -> Result<&'c str, BindingError> {
    std::str::from_utf8(content).map_err(|_| {
        BindingError::new(format!(
            "{what} is {} bytes that are not UTF-8 text",
            content.len()
        ))
    })
}

/// A trigger's content as JSON, within the limits of a service's data, as `Input::json` reads it.
fn parse(content: &[u8], what: &str) -> Result<Value, BindingError> {
    json::parse_within(content, Limits::SERVICE)
        .map_err(|e| BindingError::new(format!("{what} {}", unreadable(&e))))
}

/// A metadata string; `None` for any other type (see the module's note on overwritten keys).
fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_string)
}

/// A metadata number's text, or a string's (an offset is a number or a string by version).
fn number_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn unsigned(value: Option<&Value>) -> Option<u64> {
    number_text(value)?.parse().ok()
}

fn signed(value: Option<&Value>) -> Option<i64> {
    number_text(value)?.parse().ok()
}

/// The container and blob name in a blob URI, decoded: the path of
/// `https://acct.blob.core.windows.net/in/a%20b.csv` (`in/a b.csv`). An emulator's URI
/// (`http://127.0.0.1:10000/devstoreaccount1/in/x`) puts the account first, as Azure's
/// path-style URIs do for IP and localhost endpoints; it is left out.
fn blob_path(uri: &str) -> Option<String> {
    let rest = &uri[uri.find("://")? + 3..];
    let (host, path) = rest.split_at(rest.find('/')?);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let path_style = host == "localhost" || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let path = path.trim_start_matches('/');
    let path = if path_style {
        path.split_once('/').map_or("", |(_, p)| p)
    } else {
        path
    };
    (!path.is_empty()).then(|| decode_path(path).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::appfiles::parse_function_json;
    use crate::azure::limits::{INVOCATION_MAX_VALUES, JSON_MAX_VALUES, SERVICE_DATA_MAX_VALUES};
    use crate::azure::payload::{invocation, Shape};

    /// The shape of a function whose trigger is `binding` (a function.json member).
    fn shape(binding: &str) -> Shape {
        let text = format!(r#"{{"bindings":[{binding}]}}"#);
        Shape::of(&parse_function_json("F", text.as_bytes()).unwrap())
    }

    /// `T::try_from` the request the invocation `body` gives a function of `shape`.
    fn read<T>(shape: &Shape, body: &str) -> Result<T, String>
    where
        T: for<'a, 'r> TryFrom<&'a Request<'r>, Error = BindingError>,
    {
        let req = invocation("F", shape, body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body}"));
        T::try_from(&req).map_err(|e| e.reason().to_string())
    }

    const SYS: &str = r#""sys":{"MethodName":"F","UtcNow":"2025-01-01T12:05:00.0125Z","RandGuid":"5d2f0a4e-1111-4222-8333-944455556666"}"#;

    #[test]
    fn timer_table() {
        let shape = shape(r#"{"type":"timerTrigger","name":"myTimer","schedule":"0 */5 * * * *"}"#);
        let status = ScheduleStatus {
            last: "2025-01-01T12:00:00+00:00".into(),
            next: "2025-01-01T12:05:00+00:00".into(),
            last_updated: "2025-01-01T12:00:00+00:00".into(),
        };
        let monitored = Timer {
            is_past_due: false,
            schedule_status: Some(status),
            adjust_for_dst: Some(true),
        };
        let cases: &[(&str, Result<Timer, &str>)] = &[
            // §2.1, as the host serializes TimerInfo.
            (
                r#"{"myTimer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2025-01-01T12:00:00+00:00","Next":"2025-01-01T12:05:00+00:00","LastUpdated":"2025-01-01T12:00:00+00:00"},"IsPastDue":false}}"#,
                Ok(monitored),
            ),
            // useMonitor false: no schedule status.
            (
                r#"{"myTimer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}}"#,
                Ok(Timer {
                    is_past_due: true,
                    schedule_status: None,
                    adjust_for_dst: Some(true),
                }),
            ),
            // Reasons: no IsPastDue; a string where a boolean goes; a status without Next; not
            // an object.
            (
                r#"{"myTimer":{"Schedule":{}}}"#,
                Err("the timer has no IsPastDue (a boolean)"),
            ),
            (
                r#"{"myTimer":{"IsPastDue":"false"}}"#,
                Err("the timer's IsPastDue is not a boolean"),
            ),
            (
                r#"{"myTimer":{"IsPastDue":false,"ScheduleStatus":{"Last":"x","LastUpdated":"y"}}}"#,
                Err("the timer's ScheduleStatus.Next is not a date"),
            ),
            (
                r#"{"myTimer":"[1]"}"#,
                Err("the trigger \"myTimer\" is not a JSON object"),
            ),
            (
                r#"{"myTimer":"\"tick\""}"#,
                Err("the input \"myTimer\" is not JSON (unexpected byte at offset 1)"),
            ),
            (
                r#"{"myTimer":"null"}"#,
                Err("the trigger \"myTimer\" yielded nothing (null)"),
            ),
        ];
        for (data, expected) in cases {
            let body = format!(r#"{{"Data":{data},"Metadata":{{{SYS}}}}}"#);
            assert_eq!(
                read::<Timer>(&shape, &body),
                expected.clone().map_err(str::to_string),
                "{data}"
            );
        }
    }

    #[test]
    fn queue_table() {
        let text = shape(r#"{"type":"queueTrigger","name":"myQueueItem","queueName":"orders"}"#);
        let binary = shape(
            r#"{"type":"queueTrigger","name":"myQueueItem","queueName":"orders","dataType":"binary"}"#,
        );
        // §2.2: the message double-encoded, its metadata, and a JSON message's members copied in.
        let metadata = format!(
            r#"{{"DequeueCount":"1","ExpirationTime":"2025-01-08T12:00:00+00:00","Id":"\"8f0c9a3e-1b2c-4d5e-8f9a-0b1c2d3e4f5a\"","InsertionTime":"2025-01-01T12:00:00+00:00","NextVisibleTime":"2025-01-01T12:10:00+00:00","PopReceipt":"\"AgAAAAMAAAAAAAAA\"","orderId":"\"7\"",{SYS}}}"#
        );
        let full = QueueMessage {
            content: br#"{"orderId":7}"#.to_vec(),
            id: Some("8f0c9a3e-1b2c-4d5e-8f9a-0b1c2d3e4f5a".into()),
            dequeue_count: Some(1),
            insertion_time: Some("2025-01-01T12:00:00+00:00".into()),
            expiration_time: Some("2025-01-08T12:00:00+00:00".into()),
            next_visible_time: Some("2025-01-01T12:10:00+00:00".into()),
            pop_receipt: Some("AgAAAAMAAAAAAAAA".into()),
        };
        let bare = |content: &[u8]| QueueMessage {
            content: content.to_vec(),
            id: None,
            dequeue_count: None,
            insertion_time: None,
            expiration_time: None,
            next_visible_time: None,
            pop_receipt: None,
        };
        let cases: &[(&Shape, &str, &str, Result<QueueMessage, &str>)] = &[
            (&text, r#""\"{\\\"orderId\\\":7}\"""#, &metadata, Ok(full)),
            (
                &text,
                r#""\"hello\"""#,
                &format!("{{{SYS}}}"),
                Ok(bare(b"hello")),
            ),
            // dataType binary: base64 of the message's bytes.
            (&binary, r#""AAEC""#, "{}", Ok(bare(&[0, 1, 2]))),
            // A JSON message's `dequeueCount` member replaced the count with a string of
            // digits, which still reads; a member of another type reads as absent.
            (
                &text,
                r#""\"{}\"""#,
                r#"{"DequeueCount":"\"3\"","Id":{"tenant":1}}"#,
                Ok(bare(b"{}")).map(|m| QueueMessage {
                    dequeue_count: Some(3),
                    ..m
                }),
            ),
            // Reasons: not base64 under dataType binary; the wrong trigger type.
            (
                &binary,
                r#""not base64!""#,
                "{}",
                Err("the input \"myQueueItem\" is not valid base64, which its binding sends"),
            ),
        ];
        for (shape, data, metadata, expected) in cases {
            let body = format!(r#"{{"Data":{{"myQueueItem":{data}}},"Metadata":{metadata}}}"#);
            assert_eq!(
                read::<QueueMessage>(shape, &body),
                expected.clone().map_err(str::to_string),
                "{data}"
            );
        }
        let timer = shape(r#"{"type":"timerTrigger","name":"t"}"#);
        assert_eq!(
            read::<QueueMessage>(&timer, r#"{"Data":{"t":{"IsPastDue":false}}}"#),
            Err("the trigger \"t\" is a timerTrigger, not a queueTrigger".to_string())
        );
        let message = read::<QueueMessage>(
            &text,
            &format!(
                r#"{{"Data":{{"myQueueItem":"\"{{\\\"orderId\\\":7}}\""}},"Metadata":{metadata}}}"#
            ),
        )
        .unwrap();
        assert_eq!(message.text(), Ok(r#"{"orderId":7}"#));
        assert_eq!(
            message.json().unwrap().get("orderId"),
            Some(&Value::Number("7".into()))
        );
        assert_eq!(
            bare(b"hi").json().unwrap_err().reason(),
            "the queue message is not JSON (unexpected byte at offset 0)"
        );
        assert_eq!(
            bare(&[0xff]).text().unwrap_err().reason(),
            "the queue message is 1 bytes that are not UTF-8 text"
        );
    }

    #[test]
    fn blob_table() {
        // dataType does nothing on a blob trigger: base64 either way (§2.3).
        let plain = shape(r#"{"type":"blobTrigger","name":"triggerBlob","path":"in/{name}"}"#);
        let string = shape(
            r#"{"type":"blobTrigger","name":"triggerBlob","path":"in/{name}","dataType":"string"}"#,
        );
        let metadata = format!(
            r#"{{"Uri":"\"https://acct.blob.core.windows.net/in/report%202025.csv\"","name":"\"report 2025.csv\"","Properties":{{"ContentLength":11,"ContentType":"text/csv","LastModified":"2025-01-01T12:00:00+00:00"}},"Metadata":{{"owner":"ops"}},{SYS}}}"#
        );
        let expected = Blob {
            content: b"hello world".to_vec(),
            name: Some("report 2025.csv".into()),
            path: Some("in/report 2025.csv".into()),
            uri: Some("https://acct.blob.core.windows.net/in/report%202025.csv".into()),
            content_type: Some("text/csv".into()),
            length: Some(11),
            properties: Some(json::parse(br#"{"ContentLength":11,"ContentType":"text/csv","LastModified":"2025-01-01T12:00:00+00:00"}"#).unwrap()),
            metadata: Some(json::parse(br#"{"owner":"ops"}"#).unwrap()),
        };
        for shape in [&plain, &string] {
            let body =
                format!(r#"{{"Data":{{"triggerBlob":"aGVsbG8gd29ybGQ="}},"Metadata":{metadata}}}"#);
            let blob = read::<Blob>(shape, &body).unwrap();
            assert_eq!(blob, expected);
            assert_eq!(blob.text(), Ok("hello world"));
        }
        // Azurite: the account is the first segment of the path.
        let body = r#"{"Data":{"triggerBlob":""},"Metadata":{"Uri":"\"http://127.0.0.1:10000/devstoreaccount1/in/x.bin\""}}"#;
        assert_eq!(
            read::<Blob>(&plain, body).unwrap().path.as_deref(),
            Some("in/x.bin")
        );
        // Reasons: not base64; no metadata at all is not an error.
        let body = r#"{"Data":{"triggerBlob":"\"hello\""},"Metadata":{}}"#;
        assert_eq!(
            read::<Blob>(&plain, body).unwrap_err(),
            "the input \"triggerBlob\" is not valid base64, which its binding sends"
        );
        let body = r#"{"Data":{"triggerBlob":"AA=="}}"#;
        assert_eq!(read::<Blob>(&plain, body).unwrap().content, [0]);
        // A trigger always fires with data: `null` is the three bytes it encodes, not nothing.
        let body = r#"{"Data":{"triggerBlob":"null"}}"#;
        assert_eq!(
            read::<Blob>(&plain, body).unwrap().content,
            [0x9e, 0xe9, 0x65]
        );
        // JSON null is no base64 text: nothing, said as such.
        let body = r#"{"Data":{"triggerBlob":null}}"#;
        assert_eq!(
            read::<Blob>(&plain, body).unwrap_err(),
            "the trigger \"triggerBlob\" yielded nothing (null)"
        );
    }

    #[test]
    fn blob_paths() {
        let cases: &[(&str, Option<&str>)] = &[
            ("https://a.blob.core.windows.net/in/x.csv", Some("in/x.csv")),
            (
                "https://a.blob.core.windows.net/in/dir/x%2By.csv?sv=1",
                Some("in/dir/x+y.csv"),
            ),
            ("http://localhost:10000/devstoreaccount1/in/x", Some("in/x")),
            ("http://127.0.0.1:10000/devstoreaccount1", None),
            ("https://a.blob.core.windows.net", None),
            ("not a uri", None),
        ];
        for (uri, path) in cases {
            assert_eq!(blob_path(uri).as_deref(), *path, "{uri}");
        }
    }

    #[test]
    fn cosmos_table() {
        let shape = shape(
            r#"{"type":"cosmosDBTrigger","name":"documents","databaseName":"db","containerName":"items","connection":"C","leaseContainerName":"leases"}"#,
        );
        let doc = |id: &str| {
            json::parse(format!(r#"{{"id":"{id}","status":"new","_ts":1735732800}}"#).as_bytes())
                .unwrap()
        };
        let cases: &[(&str, Result<Vec<Value>, &str>)] = &[
            // §2.4: the batch as the JSON text of an array.
            (
                r#""[{\"id\":\"1\",\"status\":\"new\",\"_ts\":1735732800},{\"id\":\"2\",\"status\":\"new\",\"_ts\":1735732800}]""#,
                Ok(vec![doc("1"), doc("2")]),
            ),
            // The same array sent as a .NET string (one more encoding): read the same.
            (
                r#""\"[{\\\"id\\\":\\\"1\\\",\\\"status\\\":\\\"new\\\",\\\"_ts\\\":1735732800}]\"""#,
                Ok(vec![doc("1")]),
            ),
            (r#""[]""#, Ok(vec![])),
            // Reasons: an object, not an array; an array of numbers; not JSON.
            (
                r#""{\"id\":\"1\"}""#,
                Err("the Cosmos DB trigger's data is not an array of documents"),
            ),
            (
                r#""[1,2]""#,
                Err("the Cosmos DB trigger's data is not an array of documents"),
            ),
            (
                r#""\"[oops\"""#,
                Err("the input \"documents\" is not JSON (unexpected byte at offset 1)"),
            ),
        ];
        for (data, expected) in cases {
            let body = format!(r#"{{"Data":{{"documents":{data}}},"Metadata":{{{SYS}}}}}"#);
            let got = read::<CosmosChanges>(&shape, &body).map(|c| c.documents);
            assert_eq!(got, expected.clone().map_err(str::to_string), "{data}");
        }
    }

    /// The JSON text of `count` numbers in an array.
    fn numbers(count: usize) -> String {
        format!("[{}0]", "0,".repeat(count - 1))
    }

    #[test]
    fn a_services_data_is_read_past_a_clients_limits() {
        // 100 documents of 600 values: an ordinary change-feed batch (§2.4) past
        // JSON_MAX_VALUES. A Cosmos DB trigger checkpoints past a batch that failed.
        let cosmos = shape(
            r#"{"type":"cosmosDBTrigger","name":"documents","databaseName":"db","containerName":"items","connection":"C","leaseContainerName":"leases"}"#,
        );
        let document = format!(r#"{{"id":"1","v":{}}}"#, numbers(598));
        let batch = format!("[{}]", vec![document; 100].join(","));
        let cosmos_batch = |batch: String| {
            let data = Value::from(batch).to_json();
            format!(r#"{{"Data":{{"documents":{data}}},"Metadata":{{{SYS}}}}}"#)
        };
        let changes = read::<CosmosChanges>(&cosmos, &cosmos_batch(batch)).unwrap();
        assert_eq!(changes.documents.len(), 100);
        assert_eq!(
            changes.documents[99]
                .get("v")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            598
        );
        // So does a typed helper's json(): a queue message of 60,000 values.
        let queue = shape(r#"{"type":"queueTrigger","name":"msg","queueName":"q"}"#);
        let message = Value::from(Value::from(numbers(60_000)).to_json()).to_json();
        let body = format!(r#"{{"Data":{{"msg":{message}}},"Metadata":{{{SYS}}}}}"#);
        let message = read::<QueueMessage>(&queue, &body).unwrap().json().unwrap();
        assert_eq!(message.as_array().map(<[Value]>::len), Some(60_000));
        // Past SERVICE_DATA_MAX_VALUES: the reason names the limit.
        let huge = cosmos_batch(numbers(SERVICE_DATA_MAX_VALUES + 1));
        assert_eq!(
            read::<CosmosChanges>(&cosmos, &huge).unwrap_err(),
            format!(
                "the input \"documents\" cannot be read whole (more values than the limit of \
                 {SERVICE_DATA_MAX_VALUES})"
            )
        );
        // An Event Hubs batch's metadata column: 1,000 events of 60 properties each.
        let hub = shape(
            r#"{"type":"eventHubTrigger","name":"events","eventHubName":"hub","connection":"EhConn","cardinality":"many","dataType":"string"}"#,
        );
        let properties: Vec<String> = (0..60).map(|i| format!(r#""p{i}":{i}"#)).collect();
        let properties = format!("{{{}}}", properties.join(","));
        let column = format!("[{}]", vec![properties; 1000].join(","));
        let bodies = format!("[{}]", vec![r#""e""#; 1000].join(","));
        let body = format!(
            r#"{{"Data":{{"events":{}}},"Metadata":{{"PropertiesArray":{},{SYS}}}}}"#,
            Value::from(bodies).to_json(),
            Value::from(column).to_json()
        );
        let batch = read::<EventBatch>(&hub, &body).unwrap();
        let last = batch.events[999].properties.as_ref().unwrap();
        assert_eq!(last.get("p59"), Some(&Value::Number("59".into())));
        // An event sent as it is, past what an HTTP invocation may hold (and twice, as §2.7).
        let grid = shape(r#"{"type":"eventGridTrigger","name":"event"}"#);
        let data = format!(r#"{{"v":{}}}"#, numbers(INVOCATION_MAX_VALUES));
        let event = format!(r#"{{"id":"e1","subject":"s","eventType":"t","data":{data}}}"#);
        let body = format!(r#"{{"Data":{{"event":{event}}},"Metadata":{{"data":{data}}}}}"#);
        assert_eq!(read::<EventGridEvent>(&grid, &body).unwrap().id, "e1");
        // A client's data keeps a client's limits: an HTTP request's metadata past
        // JSON_MAX_VALUES stays its text, as its body would not read as JSON.
        let http = shape(r#"{"type":"httpTrigger","name":"req"}"#);
        let items = Value::from(numbers(JSON_MAX_VALUES)).to_json();
        let req = r#"{"Url":"http://localhost/api/F","Method":"POST","Query":{},"Headers":{}}"#;
        let body = format!(r#"{{"Data":{{"req":{req}}},"Metadata":{{"items":{items}}}}}"#);
        let req = invocation("F", &http, body.as_bytes()).unwrap();
        assert!(req.metadata("items").unwrap().as_str().is_some());
    }

    #[test]
    fn service_bus_table() {
        let one = shape(
            r#"{"type":"serviceBusTrigger","name":"sb","queueName":"jobs","connection":"SbConn"}"#,
        );
        let many = shape(
            r#"{"type":"serviceBusTrigger","name":"sb","queueName":"jobs","connection":"SbConn","cardinality":"many"}"#,
        );
        // §2.5: strings double-encoded, numbers as JSON text, dates as they are, dictionaries raw.
        let metadata = format!(
            r#"{{"DeliveryCount":"1","LockToken":"\"6b9c\"","MessageId":"\"m-1\"","ContentType":"\"application/json\"","CorrelationId":"\"c-9\"","SessionId":"\"s-2\"","Subject":"\"order\"","SequenceNumber":"42","EnqueuedTimeUtc":"2025-01-01T12:00:00","ExpiresAtUtc":"2025-01-15T12:00:00","ApplicationProperties":{{"tenant":"t1"}},"UserProperties":{{"tenant":"t1"}},"Client":{{"FullyQualifiedNamespace":"ns.servicebus.windows.net","Identifier":"x","TransportType":0,"IsClosed":false}},{SYS}}}"#
        );
        let body = format!(r#"{{"Data":{{"sb":"\"{{\\\"job\\\":3}}\""}},"Metadata":{metadata}}}"#);
        let message = read::<ServiceBusMessage>(&one, &body).unwrap();
        assert_eq!(
            message,
            ServiceBusMessage {
                content: br#"{"job":3}"#.to_vec(),
                message_id: Some("m-1".into()),
                delivery_count: Some(1),
                sequence_number: Some(42),
                enqueued_time_utc: Some("2025-01-01T12:00:00".into()),
                content_type: Some("application/json".into()),
                correlation_id: Some("c-9".into()),
                session_id: Some("s-2".into()),
                subject: Some("order".into()),
                application_properties: Some(json::parse(br#"{"tenant":"t1"}"#).unwrap()),
            }
        );
        assert_eq!(
            message.json().unwrap().get("job"),
            Some(&Value::Number("3".into()))
        );
        // An older extension: `Label` and `UserProperties`.
        let old =
            r#"{"Data":{"sb":"\"x\""},"Metadata":{"Label":"\"l\"","UserProperties":{"a":"b"}}}"#;
        let message = read::<ServiceBusMessage>(&one, old).unwrap();
        assert_eq!(
            (message.subject.as_deref(), message.text()),
            (Some("l"), Ok("x"))
        );
        assert!(message.application_properties.is_some());
        assert_eq!(
            read::<ServiceBusMessage>(&many, r#"{"Data":{"sb":"[\"a\"]"}}"#).unwrap_err(),
            "the serviceBusTrigger has cardinality many: read the batch with req.trigger() and the …Array metadata"
        );
    }

    #[test]
    fn event_hubs_one_and_many() {
        let one = shape(
            r#"{"type":"eventHubTrigger","name":"event","eventHubName":"hub","connection":"EhConn"}"#,
        );
        let many = shape(
            r#"{"type":"eventHubTrigger","name":"events","eventHubName":"hub","connection":"EhConn","cardinality":"many","dataType":"string"}"#,
        );
        let json_many = shape(
            r#"{"type":"eventHubTrigger","name":"events","eventHubName":"hub","connection":"EhConn","cardinality":"many"}"#,
        );
        let binary_many = shape(
            r#"{"type":"eventHubTrigger","name":"events","eventHubName":"hub","connection":"EhConn","cardinality":"many","dataType":"binary"}"#,
        );
        // §2.6, one event.
        let body = format!(
            r#"{{"Data":{{"event":"\"{{\\\"t\\\":21.5}}\""}},"Metadata":{{"PartitionContext":{{"EventHubName":"hub","ConsumerGroup":"$Default","PartitionId":"0"}},"PartitionKey":"\"k\"","Offset":"\"4294967296\"","SequenceNumber":"12","EnqueuedTimeUtc":"2025-01-01T12:00:00","Properties":{{"source":"s1"}},"SystemProperties":{{"x-opt-offset":"4294967296"}},{SYS}}}}}"#
        );
        let event = read::<Event>(&one, &body).unwrap();
        assert_eq!(event.json().unwrap().to_json(), r#"{"t":21.5}"#);
        assert_eq!(
            (
                event.offset.as_deref(),
                event.sequence_number,
                event.partition_key.as_deref()
            ),
            (Some("4294967296"), Some(12), Some("k"))
        );
        assert_eq!(
            event.enqueued_time_utc.as_deref(),
            Some("2025-01-01T12:00:00")
        );
        assert!(event.properties.is_some() && event.system_properties.is_some());
        let batch = read::<EventBatch>(&one, &body).unwrap();
        assert_eq!(
            (batch.events, batch.partition_context.is_some()),
            (vec![event], true)
        );
        // Many, dataType string: the bodies as a JSON array of strings, metadata as arrays.
        let columns = r#""OffsetArray":"[\"1\",\"2\"]","SequenceNumberArray":"[1,2]","EnqueuedTimeUtcArray":"[\"2025-01-01T12:00:00\",\"2025-01-01T12:00:01\"]","PartitionKeyArray":"[null,\"k\"]","PropertiesArray":"[{},{\"a\":\"b\"}]","SystemPropertiesArray":"[{},{}]""#;
        let body = format!(
            r#"{{"Data":{{"events":"[\"plain\",\"{{\\\"x\\\":1}}\"]"}},"Metadata":{{{columns},{SYS}}}}}"#
        );
        let batch = read::<EventBatch>(&many, &body).unwrap();
        let texts: Vec<&str> = batch.events.iter().map(|e| e.text().unwrap()).collect();
        assert_eq!(texts, ["plain", r#"{"x":1}"#]);
        let second = &batch.events[1];
        assert_eq!(
            (
                second.offset.as_deref(),
                second.sequence_number,
                second.partition_key.as_deref()
            ),
            (Some("2"), Some(2), Some("k"))
        );
        assert_eq!(batch.events[0].partition_key, None);
        assert_eq!(
            read::<Event>(&many, &body).unwrap_err(),
            "the eventHubTrigger has cardinality many: read it as an EventBatch"
        );
        // Many without dataType: the host parsed each body as JSON; with binary, base64 each.
        let body = r#"{"Data":{"events":"[{\"x\":1},2]"},"Metadata":{}}"#;
        let batch = read::<EventBatch>(&json_many, body).unwrap();
        let texts: Vec<&str> = batch.events.iter().map(|e| e.text().unwrap()).collect();
        assert_eq!(
            (texts, batch.events[0].offset.clone()),
            (vec![r#"{"x":1}"#, "2"], None)
        );
        let body = r#"{"Data":{"events":"[\"AAE=\",\"\"]"},"Metadata":{}}"#;
        let batch = read::<EventBatch>(&binary_many, body).unwrap();
        let bodies: Vec<&[u8]> = batch.events.iter().map(|e| e.content.as_slice()).collect();
        assert_eq!(bodies, [&[0u8, 1][..], &[][..]]);
        // Reasons: not an array; an element that is not base64.
        assert_eq!(
            read::<EventBatch>(&many, r#"{"Data":{"events":"\"one\""}}"#).unwrap_err(),
            "the eventHubTrigger's batch is not an array of events"
        );
        assert_eq!(
            read::<EventBatch>(&binary_many, r#"{"Data":{"events":"[\"!\"]"}}"#).unwrap_err(),
            "event 0 of the batch is not base64"
        );
    }

    #[test]
    fn event_grid_table() {
        let shape = shape(r#"{"type":"eventGridTrigger","name":"event"}"#);
        // §2.7: the event raw, as Event Grid posted it, and its data again in Metadata.
        let grid = r#"{"id":"e1","topic":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a","subject":"/blobServices/default/containers/in/blobs/x.csv","eventType":"Microsoft.Storage.BlobCreated","eventTime":"2025-01-01T12:00:00.1234567Z","data":{"api":"PutBlob","url":"https://a.blob.core.windows.net/in/x.csv"},"dataVersion":"","metadataVersion":"1"}"#;
        let body = format!(
            r#"{{"Data":{{"event":{grid}}},"Metadata":{{"data":{{"api":"PutBlob"}},{SYS}}}}}"#
        );
        let event = read::<EventGridEvent>(&shape, &body).unwrap();
        assert_eq!(
            (event.id.as_str(), event.event_type.as_str(), event.schema),
            (
                "e1",
                "Microsoft.Storage.BlobCreated",
                EventSchema::EventGrid
            )
        );
        assert_eq!(event.time.as_deref(), Some("2025-01-01T12:00:00.1234567Z"));
        assert!(event
            .source
            .as_deref()
            .is_some_and(|s| s.ends_with("storageAccounts/a")));
        assert_eq!(event.data.get("api"), Some(&Value::from("PutBlob")));
        let cloud = r#"{"specversion":"1.0","id":"c1","source":"/orders","type":"order.created","time":"2025-01-01T12:00:00Z","subject":"7","data":{"id":7}}"#;
        let event =
            read::<EventGridEvent>(&shape, &format!(r#"{{"Data":{{"event":{cloud}}}}}"#)).unwrap();
        assert_eq!(
            (
                event.event_type.as_str(),
                event.source.as_deref(),
                event.schema
            ),
            ("order.created", Some("/orders"), EventSchema::CloudEvents)
        );
        // Reasons: no event type; not an object.
        assert_eq!(
            read::<EventGridEvent>(&shape, r#"{"Data":{"event":{"id":"x","data":{}}}}"#)
                .unwrap_err(),
            "the event's eventType is not a string"
        );
        assert_eq!(
            read::<EventGridEvent>(&shape, r#"{"Data":{"event":"[]"}}"#).unwrap_err(),
            "the trigger \"event\" is not a JSON object"
        );
    }

    #[test]
    fn a_forwarded_request_has_no_trigger_data() {
        let req = Request::new("GET", "/api/x");
        assert_eq!(
            Timer::try_from(&req).unwrap_err().reason(),
            "no timerTrigger data: this request was forwarded, not a payload-mode invocation"
        );
    }
}
