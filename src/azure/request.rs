//! What a function is given: the request, already parsed, framed and with its whole body.

use std::cell::RefCell;

use crate::http::query;

/// An HTTP request as a function sees it. The same value is built from a forwarded request and,
/// in payload mode, from the host's JSON invocation, so a function does not know which mode
/// called it.
#[derive(Debug, Default)]
pub struct Request {
    /// The method as sent, e.g. `GET`.
    pub method: String,
    /// The path, still percent-encoded, e.g. `/api/HelloRust`.
    pub path: String,
    /// The query string without the `?`, still encoded.
    pub query: String,
    /// Header fields in the order received.
    pub headers: Vec<(String, String)>,
    /// The whole body, decoded from its transfer coding.
    pub body: Vec<u8>,
    /// Values of the route's `{parameters}`, by name.
    pub params: Vec<(String, String)>,
    pub(crate) logs: RefCell<Vec<String>>,
}

impl Request {
    /// A request for `method` and `target` (`/path?query`) with no headers and no body.
    pub fn new(method: &str, target: &str) -> Self {
        let (path, query) = query::split_target(target);
        Request {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            ..Request::default()
        }
    }

    /// The request the server parsed, as a function sees it.
    pub fn from_http(req: &crate::http::Request<'_>) -> Self {
        Request {
            method: req.method.to_string(),
            path: req.path.to_string(),
            query: req.query.to_string(),
            headers: req
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
                .collect(),
            body: req.body.to_vec(),
            ..Request::default()
        }
    }

    /// The first value of the header `name`, compared ignoring ASCII case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The decoded query parameter `key`; see [`query::lookup`] for repeats and case.
    pub fn query_param(&self, key: &str) -> Option<String> {
        query::lookup(&self.query, key)
    }

    /// The value of the route parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_header(&self.params, name)
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

/// The first value of `name` among name-value pairs, names compared ignoring ASCII case, as
/// header names are (and route parameter names, by the host).
pub fn find_header<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The media type of a `Content-Type` value: lower-cased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
