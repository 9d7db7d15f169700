//! What a function returns: its HTTP answer (status, headers, body) and the values of its
//! output bindings. The HTTP layer's `Response` knows nothing of outputs; this one wraps it and
//! dereferences to it, so `response.status`, `response.body` and `response.header_value(..)`
//! read the HTTP answer.
//!
//! Where outputs go depends on how the host called: in payload mode into the reply's `Outputs`
//! (encoded by `outputs`), checked against function.json; a forwarded request has no outputs
//! (the host forwards only functions that declare nothing but HTTP in and out), so one set
//! there fails the request with a 500 and a line on stderr rather than vanish.

use std::ops::{Deref, DerefMut};

use crate::azure::bindings::{BindingError, RETURN};
use crate::azure::outputs::Output;
use crate::http;

/// A function's answer: the HTTP response, the outputs it set, and whether it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The HTTP answer: the whole answer to a forwarded request, the `res` output in payload
    /// mode.
    pub http: http::Response,
    outputs: Vec<(String, Output)>,
    failure: Option<String>,
}

impl Response {
    /// A response with no headers, no body and no outputs.
    pub fn new(status: u16) -> Self {
        http::Response::new(status).into()
    }

    /// A `text/plain; charset=utf-8` response.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        http::Response::text(status, body).into()
    }

    /// An `application/json` response; `json` must already be JSON text.
    pub fn json(status: u16, json: impl Into<String>) -> Self {
        http::Response::json(status, json).into()
    }

    /// A failed invocation: the reason is logged (`Logs` and stderr) and the host records the
    /// invocation as failed, so the trigger's retry rules apply and no output is written. The
    /// HTTP answer is a 500. `Response::from(BindingError)` is the same.
    pub fn failed(reason: impl Into<String>) -> Self {
        let mut response = Response::text(500, "Internal Server Error");
        response.failure = Some(reason.into());
        response
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.http = self.http.header(name, value);
        self
    }

    /// Adds a header whose name and value are constants, without copying them.
    pub fn constant_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.http = self.http.constant_header(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.http = self.http.body(body);
        self
    }

    /// Sets the output binding `name` (exactly as function.json spells it) to `value`: text,
    /// bytes, a JSON value, or `Output::Many`. Setting the same output again adds to it: both
    /// are written, as several messages.
    pub fn output(mut self, name: &str, value: impl Into<Output>) -> Self {
        let value = value.into();
        match self.outputs.iter_mut().find(|(n, _)| n == name) {
            Some((_, old)) => *old = std::mem::replace(old, Output::Many(Vec::new())).append(value),
            None => self.outputs.push((name.to_string(), value)),
        }
        self
    }

    /// Sets the output binding `name` to several messages or documents, one item each.
    pub fn outputs<I>(self, name: &str, items: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Output>,
    {
        let items = items.into_iter().map(Into::into).collect();
        self.output(name, Output::Many(items))
    }

    /// Sets the return value: the value of the binding named `$return`.
    pub fn return_value(self, value: impl Into<Output>) -> Self {
        self.output(RETURN, value)
    }

    /// The value set for the output `name`, if any.
    pub fn output_value(&self, name: &str) -> Option<&Output> {
        self.outputs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Why the function failed the invocation, if it did (`failed`).
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// The HTTP answer, the outputs in the order set, and the failure.
    pub(crate) fn into_parts(self) -> (http::Response, Vec<(String, Output)>, Option<String>) {
        (self.http, self.outputs, self.failure)
    }
}

/// Why the host cannot send a header a function set, if it cannot. Its web server (Kestrel)
/// throws on a value with a control character or a byte outside ASCII ("Invalid non-ASCII or
/// control character in header"), so the caller gets a 500 in Azure while a plain HTTP client
/// here would get the header: failing here says so where it can be seen. A name must be a
/// token anywhere. A header the server sets itself (`Date`, `Content-Length`…) is dropped
/// whatever it holds, so it never fails.
pub(crate) fn unsendable_header(name: &str, value: &str) -> Option<String> {
    let bad_name = name.is_empty() || !name.bytes().all(http::parse::is_tchar);
    let bad_byte = value
        .bytes()
        .find(|&b| !(b == b'\t' || (0x20..0x7f).contains(&b)));
    // Asked only of a header found wrong: the usual answer costs a scan of its bytes.
    if !bad_name && bad_byte.is_none() || http::response::is_server_owned(name) {
        return None;
    }
    if bad_name {
        return Some(format!("the header name {name:?} is not an HTTP token"));
    }
    bad_byte.map(|byte| {
        format!(
            "the header {name} has the byte 0x{byte:02X} in its value, which the Functions \
             host's web server refuses (a 500 in Azure): send ASCII (percent-encoded, or RFC \
             8187's filename*=UTF-8'' for a file name)"
        )
    })
}

impl From<http::Response> for Response {
    fn from(http: http::Response) -> Self {
        Response {
            http,
            outputs: Vec::new(),
            failure: None,
        }
    }
}

impl From<BindingError> for Response {
    fn from(error: BindingError) -> Self {
        Response::failed(error.reason())
    }
}

impl Deref for Response {
    type Target = http::Response;

    fn deref(&self) -> &http::Response {
        &self.http
    }
}

impl DerefMut for Response {
    fn deref_mut(&mut self) -> &mut http::Response {
        &mut self.http
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_mirror_the_http_ones_and_deref_to_them() {
        let response = Response::text(201, "made").header("X-A", "1");
        assert_eq!(response.status, 201);
        assert_eq!(response.header_value("x-a"), Some("1"));
        assert_eq!(response.body, b"made");
        assert_eq!(
            response.http,
            http::Response::text(201, "made").header("X-A", "1")
        );
        assert_eq!(response.failure(), None);
    }

    #[test]
    fn outputs_are_kept_by_name_and_a_second_set_adds() {
        let response = Response::new(200)
            .output("msg", "a")
            .outputs("msg", ["b", "c"])
            .output("blob", vec![1u8, 2])
            .return_value("r");
        assert_eq!(
            response.output_value("msg"),
            Some(&Output::Many(vec!["a".into(), "b".into(), "c".into()]))
        );
        assert_eq!(
            response.output_value("blob"),
            Some(&Output::Bytes(vec![1, 2]))
        );
        assert_eq!(
            response.output_value(RETURN),
            Some(&Output::Text("r".into()))
        );
        assert_eq!(response.output_value("Msg"), None);
    }

    #[test]
    fn a_binding_error_is_a_failed_500() {
        let response = Response::from(BindingError::new("no IsPastDue"));
        assert_eq!(response.status, 500);
        assert_eq!(response.failure(), Some("no IsPastDue"));
    }
}
