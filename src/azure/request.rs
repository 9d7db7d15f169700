//! What a function is given: the request, already parsed, framed and with its whole body.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

use crate::azure::appfiles::FunctionConfig;
use crate::azure::bindings::{host_value, is_nothing, sends_base64, BindingError};
use crate::azure::input::Input;
use crate::azure::json::{Limits, Raw, Value};
use crate::http::request::media_type;
use crate::http::{self, query};

/// An HTTP request as a function sees it. The same value is built from a forwarded request
/// (borrowing the server's buffers: nothing is copied) and, in payload mode, from the host's
/// JSON invocation, so a function does not know which mode called it.
#[derive(Debug, Default)]
pub struct Request<'a> {
    method: Cow<'a, str>,
    path: Cow<'a, str>,
    query: Cow<'a, str>,
    headers: Headers<'a>,
    body: Cow<'a, [u8]>,
    params: Vec<(String, String)>,
    logs: RefCell<Vec<String>>,
    /// Payload mode only: the invocation's binding data. A forwarded request has none, and
    /// `None` costs no allocation.
    bindings: Option<Box<Bindings<'a>>>,
}

/// What a payload-mode invocation carries besides the request: every member of `Data` (the
/// trigger's and the inputs' data), `Metadata` with each value's encoding undone, and the
/// function.json that says how to read them.
#[derive(Debug)]
struct Bindings<'a> {
    config: &'a FunctionConfig,
    data: Vec<Member<'a>>,
    metadata: Vec<Member<'a>>,
    /// Reads of inputs the function.json does not declare: each fails the invocation.
    undeclared: RefCell<Vec<String>>,
}

/// A member of `Data` or `Metadata` as sent, built into a value on its first read: a function
/// reads a few of the dozen members the host sends, and building them all up front cost an
/// allocation for each name and string at every invocation.
#[derive(Debug)]
pub(crate) struct Member<'a> {
    name: Cow<'a, str>,
    sent: Raw<'a>,
    /// For `Metadata`, the limits within which the host's encoding is undone (`host_value`);
    /// `None` for `Data`, built as sent.
    undo: Option<Limits>,
    built: OnceCell<Value>,
}

impl<'a> Member<'a> {
    /// A member of `Data`, built as sent.
    pub(crate) fn data((name, sent): (Cow<'a, str>, Raw<'a>)) -> Self {
        Member::new(name, sent, None)
    }

    /// A member of `Metadata`, built with the host's encoding undone within `limits`.
    pub(crate) fn metadata((name, sent): (Cow<'a, str>, Raw<'a>), limits: Limits) -> Self {
        Member::new(name, sent, Some(limits))
    }

    fn new(name: Cow<'a, str>, sent: Raw<'a>, undo: Option<Limits>) -> Self {
        Member {
            name,
            sent,
            undo,
            built: OnceCell::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The member's text as the host sent it.
    pub(crate) fn sent(&self) -> Raw<'a> {
        self.sent
    }

    /// The value, built on the first read.
    fn value(&self) -> &Value {
        self.built.get_or_init(|| {
            let value = self.sent.to_value();
            match self.undo.map(|limits| host_value(&value, limits)) {
                Some(Cow::Owned(decoded)) => decoded,
                _ => value,
            }
        })
    }
}

/// Header fields: the server's, borrowed, or built (payload mode, tests).
#[derive(Debug)]
enum Headers<'a> {
    Wire(http::Headers<'a>),
    Built(Vec<(Cow<'a, str>, Cow<'a, str>)>),
}

impl Default for Headers<'_> {
    fn default() -> Self {
        Headers::Built(Vec::new())
    }
}

impl<'a> Request<'a> {
    /// A request for `method` and `target` (`/path?query`) with no headers and no body.
    pub fn new(method: &str, target: &str) -> Request<'static> {
        let (path, query) = query::split_target(target);
        Request {
            method: Cow::Owned(method.to_string()),
            path: Cow::Owned(path.to_string()),
            query: Cow::Owned(query.to_string()),
            ..Request::default()
        }
    }

    /// The request the server parsed, borrowed. Header values that are not UTF-8 (obs-text)
    /// are decoded lossily, as everything a function reads as text is.
    pub fn from_http(req: &http::Request<'a>) -> Self {
        let headers = if req.headers.all_utf8() {
            Headers::Wire(req.headers)
        } else {
            let lossy = |(name, value): (&'a str, &'a [u8])| {
                (Cow::Borrowed(name), String::from_utf8_lossy(value))
            };
            Headers::Built(req.headers.iter().map(lossy).collect())
        };
        Request {
            method: Cow::Borrowed(req.method),
            path: Cow::Borrowed(req.path),
            query: Cow::Borrowed(req.query),
            headers,
            body: Cow::Borrowed(req.body),
            ..Request::default()
        }
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let owned = |(n, v): (&str, &str)| (Cow::Owned(n.to_string()), Cow::Owned(v.to_string()));
        let mut fields: Vec<_> = self.headers().map(owned).collect();
        fields.push(owned((name, value)));
        self.headers = Headers::Built(fields);
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Cow<'a, [u8]>>) -> Self {
        self.body = body.into();
        self
    }

    /// Attaches a payload-mode invocation's binding data: the members of `Data` and of
    /// `Metadata` as sent, read by the bindings `config` declares.
    pub(crate) fn with_bindings(
        mut self,
        config: &'a FunctionConfig,
        data: Vec<Member<'a>>,
        metadata: Vec<Member<'a>>,
    ) -> Self {
        self.bindings = Some(Box::new(Bindings {
            config,
            data,
            metadata,
            undeclared: RefCell::new(Vec::new()),
        }));
        self
    }

    /// Sets the route parameters (`{id}` in the function's route template).
    pub(crate) fn with_params(mut self, params: Vec<(String, String)>) -> Self {
        self.params = params;
        self
    }

    /// A request built from its parts (payload mode), borrowed from the invocation where they
    /// stand in it as they are: the method, the path and query, the header fields and the body.
    pub(crate) fn built(
        method: Cow<'a, str>,
        (path, query): (Cow<'a, str>, Cow<'a, str>),
        headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
        body: Cow<'a, [u8]>,
    ) -> Request<'a> {
        Request {
            method,
            path,
            query,
            headers: Headers::Built(headers),
            body,
            ..Request::default()
        }
    }

    /// The method as sent, e.g. `GET`.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, still percent-encoded, e.g. `/api/HelloRust`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query string without the `?`, still encoded.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The whole body, decoded from its transfer coding.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first value of the header `name`, compared ignoring ASCII case.
    pub fn header(&self, name: &str) -> Option<&str> {
        match &self.headers {
            Headers::Wire(fields) => fields.get(name),
            Headers::Built(fields) => fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_ref()),
        }
    }

    /// Every header field in the order received: its name and value.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        let (wire, built) = match &self.headers {
            Headers::Wire(fields) => (Some(fields.iter()), None),
            Headers::Built(fields) => (None, Some(fields.iter())),
        };
        let wire = wire.into_iter().flatten().map(|(name, value)| {
            // Every value is UTF-8 here: `from_http` builds the fields otherwise.
            (name, std::str::from_utf8(value).unwrap_or_default())
        });
        let built = built
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.as_ref(), value.as_ref()));
        wire.chain(built)
    }

    /// The decoded query parameter `key`; see [`crate::azure::query::lookup`] for repeats and case.
    pub fn query_param(&self, key: &str) -> Option<Cow<'_, str>> {
        crate::azure::query::lookup(&self.query, key)
    }

    /// The value of the route parameter `name`, compared ignoring ASCII case.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The route parameters, by name.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The media type of the body, lower-cased, without parameters: `application/json`.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(media_type)
    }

    /// Records a log line. In payload mode it goes to the reply's `Logs`, where the host logs it
    /// against the invocation; in forwarding mode the server prints it to stdout.
    pub fn log(&self, line: impl Into<String>) {
        self.logs.borrow_mut().push(line.into());
    }

    /// The lines logged so far, leaving none.
    pub(crate) fn take_logs(&self) -> Vec<String> {
        self.logs.take()
    }

    /// The data of the input binding `name` (a blob, a Cosmos DB document, the trigger's
    /// own...), matched ignoring ASCII case as the host names `Data`. `None` when the binding
    /// yielded nothing (the host sends a blob or document that does not exist as `null`), and
    /// always for a forwarded request, which has no bindings.
    ///
    /// Reading a name the function.json does not declare as an input fails the invocation
    /// with the reason, since it can only be a mistake that would otherwise look like "not
    /// found".
    pub fn input(&self, name: &str) -> Option<Input<'_>> {
        let bindings = self.bindings.as_deref()?;
        let declared = bindings
            .config
            .bindings
            .iter()
            .find(|b| b.is_input() && b.name.eq_ignore_ascii_case(name));
        let Some(declared) = declared else {
            let inputs: Vec<&str> = bindings
                .config
                .bindings
                .iter()
                .filter(|b| b.is_input())
                .map(|b| b.name.as_str())
                .collect();
            bindings.undeclared.borrow_mut().push(format!(
                "read the input {name:?}, which its function.json does not declare (inputs: {}){}",
                inputs.join(", "),
                bindings.config.direction_hint(name, false)
            ));
            return None;
        };
        let member = bindings
            .data
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))?;
        let (value, base64) = (member.value(), sends_base64(declared));
        // A trigger always fires with data, so its base64 text `null` is the bytes it encodes.
        let bytes = base64 && declared.is_trigger() && value.as_str().is_some();
        if is_nothing(value) && !bytes {
            return None;
        }
        Some(Input::new(&member.name, value, base64))
    }

    /// `input`, or an error naming the binding when it yielded nothing.
    ///
    /// # Errors
    /// No data for `name` (see `input`).
    pub fn required_input(&self, name: &str) -> Result<Input<'_>, BindingError> {
        self.input(name)
            .ok_or_else(|| BindingError::new(format!("the input {name:?} yielded nothing (null)")))
    }

    /// The trigger's data (a timer's object, a queue message...); `None` for a forwarded
    /// request.
    pub fn trigger(&self) -> Option<Input<'_>> {
        let trigger = self.bindings.as_deref()?.config.trigger()?;
        self.input(&trigger.name)
    }

    /// The function.json of the function this invocation calls; `None` for a forwarded
    /// request.
    pub fn bindings(&self) -> Option<&FunctionConfig> {
        Some(self.bindings.as_deref()?.config)
    }

    /// The trigger metadata `key` (a queue message's `DequeueCount`, a blob's `name` and
    /// `Uri`, `sys`...), matched ignoring ASCII case as the host does, with the host's
    /// encoding undone once: `"1"` reads as the number 1, `"\"report.csv\""` as the string
    /// `report.csv`, objects as they are. `None` when the host sent no such key (it leaves out
    /// null values) and always for a forwarded request.
    pub fn metadata(&self, key: &str) -> Option<&Value> {
        let bindings = self.bindings.as_deref()?;
        let found = bindings
            .metadata
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(key));
        found.map(Member::value)
    }

    /// The reasons this invocation failed while the function read it (inputs it does not
    /// declare), leaving none.
    pub(crate) fn take_undeclared(&self) -> Vec<String> {
        self.bindings
            .as_deref()
            .map(|b| b.undeclared.take())
            .unwrap_or_default()
    }
}
