//! What a function is given: the request, already parsed, framed and with its whole body.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::http::request::{find_header, media_type};
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
}

/// Header fields: the server's, borrowed, or built (payload mode, tests).
#[derive(Debug)]
enum Headers<'a> {
    Wire(http::Headers<'a>),
    Built(Vec<(String, String)>),
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
            let lossy = |(name, value): (&str, &[u8])| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value).into_owned(),
                )
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
        let mut fields: Vec<(String, String)> = self
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        fields.push((name.to_string(), value.to_string()));
        self.headers = Headers::Built(fields);
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Cow<'a, [u8]>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the route parameters (`{id}` in the function's route template).
    pub(crate) fn with_params(mut self, params: Vec<(String, String)>) -> Self {
        self.params = params;
        self
    }

    /// A request built from its parts (payload mode): the method, the path and query, the
    /// header fields and the body.
    pub(crate) fn built(
        method: String,
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Request<'static> {
        Request {
            method: Cow::Owned(method),
            path: Cow::Owned(path),
            query: Cow::Owned(query),
            headers: Headers::Built(headers),
            body: Cow::Owned(body),
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
            Headers::Built(fields) => find_header(fields, name),
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
            .map(|(name, value)| (name.as_str(), value.as_str()));
        wire.chain(built)
    }

    /// The decoded query parameter `key`; see [`query::lookup`] for repeats and case.
    pub fn query_param(&self, key: &str) -> Option<Cow<'_, str>> {
        query::lookup(&self.query, key)
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
    pub fn take_logs(&self) -> Vec<String> {
        self.logs.take()
    }
}
