//! The function's `Response` written as the JSON reply: `Outputs` (the http output binding's
//! object and the other outputs), `Logs` and `ReturnValue`.

use std::borrow::Cow;

use crate::azure::json::{self, Value};
use crate::azure::response::unsendable_header;
use crate::http::{self, response};

/// `http::Response::json`, in `headers`' space.
pub(super) fn json_reply(
    status: u16,
    mut headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    json: String,
) -> http::Response {
    headers.clear();
    headers.push((
        Cow::Borrowed("Content-Type"),
        Cow::Borrowed("application/json"),
    ));
    http::Response {
        status,
        headers,
        body: json.into_bytes(),
    }
}

/// What goes in `ReturnValue`.
#[derive(Clone, Copy)]
pub(super) enum Returned<'a> {
    Null,
    /// The HTTP answer, for an http output named `$return`.
    Answer(&'a HttpAnswer),
    /// A `$return` output of another binding.
    Value(&'a Value),
}

/// The reply's JSON: `Outputs` (the HTTP answer's binding and its object, then the other
/// outputs), `Logs` and `ReturnValue`. Written into one buffer, sized for the answer: each
/// buffer built and dropped per invocation is a size class musl's allocator may map and
/// unmap a page for, each time.
pub(super) fn result(
    res: Option<(&str, &HttpAnswer)>,
    logs: &[String],
    outputs: &[(String, Value)],
    returned: Returned,
) -> String {
    let answer = match (res, returned) {
        (Some((_, answer)), _) | (_, Returned::Answer(answer)) => answer.json_len(),
        _ => 0,
    };
    let mut result = String::with_capacity(64 + answer);
    result.push_str("{\"Outputs\":{");
    let mut first = true;
    let mut member = |result: &mut String, name: &str| {
        if !std::mem::take(&mut first) {
            result.push(',');
        }
        json::write_string(result, name);
        result.push(':');
    };
    if let Some((binding, http)) = res {
        member(&mut result, binding);
        http.write_to(&mut result);
    }
    for (name, value) in outputs {
        member(&mut result, name);
        value.write_to(&mut result);
    }
    result.push_str("},\"Logs\":[");
    for (i, line) in logs.iter().enumerate() {
        if i > 0 {
            result.push(',');
        }
        json::write_string(&mut result, line);
    }
    result.push_str("],\"ReturnValue\":");
    match returned {
        Returned::Null => result.push_str("null"),
        Returned::Answer(http) => http.write_to(&mut result),
        Returned::Value(value) => value.write_to(&mut result),
    }
    result.push('}');
    result
}

/// A function's HTTP answer as the http output binding carries it, `{"statusCode":N,"body":
/// "...","headers":{...}}`: the body as text, one value per header name.
pub(super) struct HttpAnswer {
    status: u16,
    body: String,
    /// The headers that pass through, repeated names joined with `, ` in first-seen order (the
    /// host keeps one value per name).
    fields: Vec<(String, String)>,
}

impl HttpAnswer {
    /// # Errors
    /// Why the binding cannot carry `answer`: a body that is not UTF-8, more than one cookie, or
    /// a header the host cannot send (`unsendable_header`).
    pub(super) fn of(
        status: u16,
        headers: impl Iterator<Item = (Cow<'static, str>, Cow<'static, str>)>,
        body: Vec<u8>,
    ) -> Result<HttpAnswer, String> {
        let body = String::from_utf8(body).map_err(|e| {
            format!(
                "the response body ({} bytes) is not UTF-8, which payload mode cannot carry \
                 (return text, or let the host forward the request for binary bodies)",
                e.as_bytes().len()
            )
        })?;
        let body = if response::is_bodiless(status) {
            String::new()
        } else {
            body
        };
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut cookies = 0;
        for (name, value) in headers {
            if let Some(reason) = unsendable_header(&name, &value) {
                return Err(reason);
            }
            // What remains to drop: the headers the server sets itself.
            if response::is_server_owned(&name) {
                continue;
            }
            cookies += usize::from(name.eq_ignore_ascii_case("set-cookie"));
            match fields
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                Some((_, joined)) => {
                    joined.push_str(", ");
                    joined.push_str(&value);
                }
                None => fields.push((name.into_owned(), value.into_owned())),
            }
        }
        if cookies > 1 {
            return Err(format!(
                "the response sets {cookies} cookies; payload mode carries one value per header \
                 name and cookies cannot be joined (set one, or let the host forward the request)"
            ));
        }
        let typed = fields
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        if !typed && !body.is_empty() {
            let octets = "application/octet-stream".to_string();
            fields.push(("Content-Type".to_string(), octets));
        }
        Ok(HttpAnswer {
            status,
            body,
            fields,
        })
    }

    /// About how long `write_to` writes, escapes aside.
    fn json_len(&self) -> usize {
        let fields: usize = self.fields.iter().map(|(n, v)| n.len() + v.len() + 6).sum();
        48 + self.body.len() + fields
    }

    fn write_to(&self, out: &mut String) {
        out.push_str("{\"statusCode\":");
        out.push_str(&self.status.to_string());
        out.push_str(",\"body\":");
        json::write_string(out, &self.body);
        out.push_str(",\"headers\":{");
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::write_string(out, name);
            out.push(':');
            json::write_string(out, value);
        }
        out.push_str("}}");
    }
}

#[cfg(test)]
mod tests {
    use super::{result, HttpAnswer, Returned};
    use crate::azure::payload::tests::answer_with;
    use crate::azure::request::Request;
    use crate::azure::response::Response;

    #[test]
    fn response_headers_are_filtered_joined_and_typed() {
        fn many(_: &Request) -> Response {
            Response::new(201)
                .header("Content-Length", "99")
                .header("Connection", "close")
                .header("X-A", "1")
                .header("x-a", "2")
                .body(b"{}".to_vec())
        }
        assert_eq!(
            answer_with(many),
            r#"{"Outputs":{"res":{"statusCode":201,"body":"{}","headers":{"X-A":"1, 2","Content-Type":"application/octet-stream"}}},"Logs":[],"ReturnValue":null}"#
        );
        // A header the host's web server refuses fails the invocation, saying which.
        let bad = [("Bad Name", "v"), ("X-Bad", "a\r\nb"), ("X-Name", "Görkem")];
        for (name, value) in bad {
            let answer = HttpAnswer::of(200, [(name.into(), value.into())].into_iter(), Vec::new());
            let reason = answer.err().unwrap_or_default();
            assert!(reason.starts_with("the header"), "{name}: {reason}");
        }
        // One cookie is one value for its name: it goes through.
        fn one_cookie(_: &Request) -> Response {
            Response::new(200).header("Set-Cookie", "a=1; Path=/")
        }
        assert_eq!(
            answer_with(one_cookie),
            r#"{"Outputs":{"res":{"statusCode":200,"body":"","headers":{"Set-Cookie":"a=1; Path=/"}}},"Logs":[],"ReturnValue":null}"#
        );
        fn no_content(_: &Request) -> Response {
            Response::new(204).body(b"dropped".to_vec())
        }
        assert_eq!(
            answer_with(no_content),
            r#"{"Outputs":{"res":{"statusCode":204,"body":"","headers":{}}},"Logs":[],"ReturnValue":null}"#
        );
    }

    /// The reply is written into one buffer sized for the answer up front, its body and its
    /// headers, in either place the answer goes: grown by doubling instead, it would be up to
    /// twice the reply's size. (The estimate is within a few bytes here; 256 leaves room for
    /// the logs and `ReturnValue` it does not count, but not for 20 headers misjudged.)
    #[test]
    fn the_reply_is_sized_for_its_answer() {
        let body = "x".repeat(100_000);
        let headers =
            (10..30).map(|i| (format!("X-Header-{i}").into(), format!("value-{i}").into()));
        let answer = HttpAnswer::of(200, headers, body.into_bytes()).unwrap();
        let logs = ["a log line".to_string()];
        for (res, returned) in [
            (Some(("res", &answer)), Returned::Null),
            (None, Returned::Answer(&answer)),
        ] {
            let reply = result(res, &logs, &[], returned);
            assert!(reply.contains(&"x".repeat(100_000)));
            assert!(
                reply.capacity() < reply.len() + 256,
                "{} bytes held for {}",
                reply.capacity(),
                reply.len()
            );
        }
    }
}
