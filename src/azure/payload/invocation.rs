//! The host's JSON invocation read into the function's `Request`: `Data.<trigger>` as an HTTP
//! request or a JSON body, `Data` as its inputs and `Metadata` as its trigger metadata.

use std::borrow::Cow;

use crate::azure::base64;
use crate::azure::json::{self, Raw};
use crate::azure::payload::Shape;
use crate::azure::query::push_pair;
use crate::azure::request::{Member, Request};
use crate::http::parse::is_tchar;
use crate::http::request::{field_separator, media_type};

/// The function's request, from the invocation's JSON. The invocation is read whole once, to
/// check it, and then only in the parts the request needs: `Data` and `Metadata` members are
/// built into values when the function reads them.
///
/// # Errors
/// Why the invocation cannot be read, naming the member at fault.
pub(crate) fn invocation<'s>(
    name: &str,
    shape: &'s Shape,
    body: &'s [u8],
) -> Result<Request<'s>, String> {
    // A client chose an HTTP request's data; the app's own services chose any other's.
    let (limits, metadata_limits) = match shape.is_http() {
        true => (json::Limits::INVOCATION, json::Limits::DOCUMENT),
        false => (json::Limits::SERVICE, json::Limits::SERVICE),
    };
    let document = Raw::document(body, limits).map_err(|e| match e.is_limit() {
        true => format!("not read: {e}"),
        false => format!("the body is not JSON ({e})"),
    })?;
    let [data, metadata] = document.members_named(["Data", "Metadata"]);
    let data: Vec<Member> = match data {
        Some(data) if data.is_object() => data.members().map(Member::data).collect(),
        _ => return Err("no \"Data\" object".to_string()),
    };
    let metadata = match metadata.filter(|metadata| !metadata.is_null()) {
        None => Vec::new(),
        Some(metadata) if metadata.is_object() => {
            let decoded = |member| Member::metadata(member, metadata_limits);
            metadata.members().map(decoded).collect()
        }
        Some(_) => return Err("\"Metadata\" is not an object".to_string()),
    };
    let trigger = shape.trigger();
    let find = |name: &str| data.iter().find(|m| m.name().eq_ignore_ascii_case(name));
    let input = find(trigger)
        .ok_or_else(|| format!("no \"Data.{trigger}\""))?
        .sent();
    for declared in shape.config().inputs() {
        if find(&declared.name).is_none() {
            return Err(format!(
                "no \"Data.{}\" (the {} input)",
                declared.name, declared.kind
            ));
        }
    }
    let request = if shape.is_http() {
        if !input.is_object() {
            return Err(format!("Data.{trigger} is not an object"));
        }
        http_request(input).map_err(|(key, what)| format!("Data.{trigger}.{key} is not {what}"))?
    } else {
        let json = (
            Cow::Borrowed("Content-Type"),
            Cow::Borrowed("application/json"),
        );
        Request::built(
            Cow::Borrowed("POST"),
            (Cow::Owned(format!("/{name}")), Cow::Borrowed("")),
            vec![json],
            // As sent: building a value of it only to write it again cost a tree the size of
            // the trigger's data before the function read any of it.
            Cow::Borrowed(input.as_bytes()),
        )
    };
    Ok(request.with_bindings(shape.config(), data, metadata))
}

/// A request from an HTTP trigger's data, an object, borrowing the texts that need no decoding.
/// The error is the member at fault and what it should be.
fn http_request(req: Raw<'_>) -> Result<Request<'_>, (&'static str, &'static str)> {
    let members = ["Method", "Url", "Query", "Headers", "Params", "Body"];
    let [method, url, query, headers, params, body] = req
        .members_named(members)
        .map(|member| member.filter(|value| !value.is_null()));
    let method = match method.and_then(Raw::as_str) {
        Some(m) if !m.is_empty() && m.bytes().all(is_tchar) => m,
        _ => return Err(("Method", "a method name")),
    };
    let url = match url {
        None => Cow::Borrowed(""),
        Some(url) => url.as_str().ok_or(("Url", "a string"))?,
    };
    let (path, url_query) = match url {
        Cow::Borrowed(url) => {
            let (path, query) = split_url(url);
            (Cow::Borrowed(path), Cow::Borrowed(query))
        }
        Cow::Owned(url) => {
            let (path, query) = split_url(&url);
            (Cow::Owned(path.to_string()), Cow::Owned(query.to_string()))
        }
    };
    let query = match query {
        None => Some(url_query),
        Some(query) => match query.as_str() {
            // Older hosts sent the query object as its JSON text.
            Some(text) => match Raw::document(text.as_bytes(), json::Limits::DOCUMENT) {
                Ok(object) if object.is_object() => encode_query(object).map(Cow::Owned),
                _ => Some(Cow::Owned(
                    text.strip_prefix('?').unwrap_or(&text).to_string(),
                )),
            },
            None => encode_query(query).map(Cow::Owned),
        },
    };
    let query = query.ok_or(("Query", "an object of strings"))?;
    let mut fields = Vec::new();
    if let Some(headers) = headers {
        if !headers.is_object() {
            return Err(("Headers", "an object of string arrays"));
        }
        for (name, values) in headers.members() {
            let joined = if values.is_null() {
                continue;
            } else if values.is_array() {
                joined(values.items(), field_separator(&name))
            } else {
                values.text()
            };
            let value = joined.ok_or(("Headers", "an object of string arrays"))?;
            fields.push((name, value));
        }
    }
    let mut route_params = Vec::new();
    if let Some(params) = params {
        if !params.is_object() {
            return Err(("Params", "an object of strings"));
        }
        for (name, value) in params.members().filter(|(_, v)| !v.is_null()) {
            let value = value.text().ok_or(("Params", "an object of strings"))?;
            route_params.push((name.into_owned(), value.into_owned()));
        }
    }
    let binary = fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| media_type(value))
        .is_some_and(|m| m == "application/octet-stream" || m.starts_with("multipart/"));
    let body = match body {
        None => Cow::Borrowed(&[][..]),
        Some(body) => match body.as_str() {
            Some(text) => match binary.then(|| base64::decode(&text)).flatten() {
                Some(bytes) => Cow::Owned(bytes),
                None => match text {
                    Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                    Cow::Owned(text) => Cow::Owned(text.into_bytes()),
                },
            },
            None => Cow::Owned(body.to_value().to_json().into_bytes()),
        },
    };
    let request = Request::built(method, (path, query), fields, body);
    Ok(request.with_params(route_params))
}

/// The texts of `items`, scalars, joined by `separator` into one string (borrowed when there is
/// one and it needs no decoding); `None` if one is not a scalar. A header's values, which the
/// host sends as an array of (nearly always) one.
fn joined<'a>(mut items: impl Iterator<Item = Raw<'a>>, separator: &str) -> Option<Cow<'a, str>> {
    let Some(first) = items.next() else {
        return Some(Cow::Borrowed(""));
    };
    let mut out = first.text()?;
    for item in items {
        let out = out.to_mut();
        out.push_str(separator);
        out.push_str(&item.text()?);
    }
    Some(out)
}

/// A query object (`{"name":"Rust"}`) as the query string the host would forward for it
/// (`host_query`). `None` if it is not an object of scalars.
fn encode_query(query: Raw<'_>) -> Option<String> {
    if !query.is_object() {
        return None;
    }
    // The object's JSON text less its braces is as long as its query string unless much needs
    // escaping: one allocation, not one per growth, and none for `{}`.
    let mut out = String::with_capacity(query.as_bytes().len().saturating_sub(2));
    for (name, value) in query.members() {
        push_pair(&mut out, &name, &value.text()?);
    }
    Some(out)
}

/// The path (`/` if none) and the query of an absolute or origin-form URL.
fn split_url(url: &str) -> (&str, &str) {
    let rest = match url.find("://") {
        Some(at) => {
            let after = &url[at + 3..];
            after.find(['/', '?']).map_or("", |start| &after[start..])
        }
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = crate::http::query::split_target(rest);
    (if path.is_empty() { "/" } else { path }, query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::json::Value;
    use crate::azure::payload::tests::{queue_shape, timer, QUEUE, QUICKSTART};

    fn invoke<'s>(shape: &'s Shape, body: &'s str) -> Result<Request<'s>, String> {
        invocation("Hello", shape, body.as_bytes())
    }

    /// The request of an invocation whose `Data.req` is `req`. The invocation lives as long
    /// as the test (the request borrows from it).
    fn http(req: &str) -> Result<Request<'static>, String> {
        let body = format!(r#"{{"Data":{{"req":{req}}}}}"#);
        invoke(&QUICKSTART, Box::leak(body.into_boxed_str()))
    }

    #[test]
    fn http_request_from_the_hosts_data() {
        let req = http(
            r#"{"Url":"http://localhost:7071/api/Hello?name=Rust","Method":"POST",
            "Query":{"name":"Rust Lang","x":"a&b=c"},
            "Headers":{"Accept":["*/*"],"Content-Type":["application/json"],"X-Two":["a","b"],
                       "Cookie":["a=1","b=2"]},
            "Params":{"id":"7","n":3,"gone":null},"Identities":[],"Body":"{\"name\":\"Azure\"}"}"#,
        )
        .unwrap();
        assert_eq!(req.method(), "POST");
        assert_eq!(req.path(), "/api/Hello");
        assert_eq!(req.query(), "name=Rust%20Lang&x=a%26b%3Dc");
        assert_eq!(req.query_param("x").as_deref(), Some("a&b=c"));
        assert_eq!(
            req.headers()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
            [
                ("Accept", "*/*"),
                ("Content-Type", "application/json"),
                ("X-Two", "a, b"),
                ("Cookie", "a=1; b=2"),
            ]
            .map(|(n, v)| (n.to_string(), v.to_string()))
        );
        assert_eq!(
            req.params()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
            [("id", "7"), ("n", "3")].map(|(n, v)| (n.to_string(), v.to_string()))
        );
        assert_eq!(req.body(), br#"{"name":"Azure"}"#);
    }

    #[test]
    fn query_variants() {
        // (Query member, Url, expected query string). Reasons in order: absent (the Url's),
        // an old host's JSON text, a raw string, a raw string that is JSON but no object, an
        // empty object, a number value.
        let cases: &[(&str, &str, &str)] = &[
            ("", "http://h/api/Hello?a=1&a=2", "a=1&a=2"),
            (
                r#","Query":"{\"name\":\"Rust\"}""#,
                "http://h/x?no=1",
                "name=Rust",
            ),
            (r#","Query":"?name=Rust""#, "http://h/x", "name=Rust"),
            (r#","Query":"1""#, "http://h/x", "1"),
            (r#","Query":{}"#, "http://h/x?no=1", ""),
            (r#","Query":{"n":1.5}"#, "/x", "n=1.5"),
            // Re-encoded as the host forwards a query: UrlEncoder.Default's characters kept.
            (
                r#","Query":{"q":"a b!$()*,;@'+&=é","t":true}"#,
                "/x",
                "q=a%20b!$()*,;@%27%2B%26%3D%C3%A9&t=true",
            ),
        ];
        for (query, url, expected) in cases {
            let req = http(&format!(r#"{{"Method":"GET","Url":"{url}"{query}}}"#)).unwrap();
            assert_eq!(req.query(), *expected, "{query}");
        }
    }

    #[test]
    fn url_paths() {
        let cases: &[(&str, &str)] = &[
            ("http://localhost:7071/api/Hello", "/api/Hello"),
            ("https://x.azurewebsites.net", "/"),
            ("https://x.net?a=1", "/"),
            ("/api/a%20b", "/api/a%20b"),
            ("", "/"),
        ];
        for (url, path) in cases {
            assert_eq!(split_url(url).0, *path, "{url}");
        }
    }

    #[test]
    fn body_variants() {
        let cases: &[(&str, &[u8])] = &[
            ("", b""),
            (r#","Body":null"#, b""),
            (r#","Body":"x=1""#, b"x=1"),
            (r#","Body":{"a":[1]}"#, br#"{"a":[1]}"#),
            (
                r#","Body":"AAEC/w==","Headers":{"Content-Type":["application/octet-stream"]}"#,
                &[0, 1, 2, 255],
            ),
            // Not base64 after all: kept as text.
            (
                r#","Body":"a b","Headers":{"Content-Type":["multipart/form-data; boundary=x"]}"#,
                b"a b",
            ),
            // Base64 only for binary media types.
            (
                r#","Body":"AAEC","Headers":{"Content-Type":["text/plain"]}"#,
                b"AAEC",
            ),
        ];
        for (body, expected) in cases {
            let req = http(&format!(r#"{{"Method":"POST"{body}}}"#)).unwrap();
            assert_eq!(req.body(), *expected, "{body}");
        }
    }

    #[test]
    fn unreadable_invocations_name_the_member() {
        let shape = Shape::quickstart();
        let cases: &[(&str, &str)] = &[
            ("", "the body is not JSON (empty document)"),
            ("[]", "no \"Data\" object"),
            (r#"{"Data":[]}"#, "no \"Data\" object"),
            (r#"{"Data":{}}"#, "no \"Data.req\""),
            (r#"{"Data":{"req":"x"}}"#, "Data.req is not an object"),
            (
                r#"{"Data":{"req":{}}}"#,
                "Data.req.Method is not a method name",
            ),
            (
                r#"{"Data":{"req":{"Method":"G T"}}}"#,
                "Data.req.Method is not a method name",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Url":1}}}"#,
                "Data.req.Url is not a string",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Query":[]}}}"#,
                "Data.req.Query is not an object of strings",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Headers":{"A":[["x"]]}}}}"#,
                "Data.req.Headers is not an object of string arrays",
            ),
            (
                r#"{"Data":{"req":{"Method":"GET","Params":{"a":{}}}}}"#,
                "Data.req.Params is not an object of strings",
            ),
        ];
        for (body, reason) in cases {
            assert_eq!(invoke(&shape, body).unwrap_err(), *reason, "{body}");
        }
    }

    #[test]
    fn non_http_trigger_gets_its_data_as_a_json_body() {
        let shape = timer("myTimer");
        let req = invoke(
            &shape,
            r#"{"Data":{"mytimer":{"IsPastDue":false}},"Metadata":{"sys":{}}}"#,
        )
        .unwrap();
        assert_eq!((req.method(), req.path()), ("POST", "/Hello"));
        assert_eq!(req.media_type().as_deref(), Some("application/json"));
        assert_eq!(req.body(), br#"{"IsPastDue":false}"#);
    }

    #[test]
    fn inputs_and_metadata_reach_the_function_decoded() {
        let shape = queue_shape();
        let req = invoke(&shape, QUEUE).unwrap();
        let msg = req.trigger().unwrap();
        assert_eq!(msg.as_str().unwrap(), r#"{"orderId":7}"#);
        assert_eq!(
            msg.json().unwrap().get("orderId"),
            Some(&Value::Number("7".into()))
        );
        assert_eq!(
            req.input("CFG").unwrap().json().unwrap().to_json(),
            r#"{"tax":0.2}"#
        );
        assert_eq!(
            req.metadata("dequeuecount"),
            Some(&Value::Number("1".into()))
        );
        assert_eq!(req.metadata("Id").and_then(Value::as_str), Some("8f0c"));
        assert_eq!(
            req.metadata("InsertionTime").and_then(Value::as_str),
            Some("2025-01-01T12:00:00+00:00")
        );
        assert_eq!(
            req.metadata("sys").and_then(|s| s.get("MethodName")),
            Some(&Value::from("Q"))
        );
        assert_eq!(req.metadata("PopReceipt"), None);
        assert_eq!(req.body(), br#""\"{\\\"orderId\\\":7}\"""#);
        assert!(req.take_undeclared().is_empty());
        // A name the function.json does not declare as an input fails the invocation; one it
        // declares as an output says so.
        assert!(req.input("nope").is_none());
        assert!(req.input("done").is_none());
        assert_eq!(
            req.take_undeclared(),
            [
                "read the input \"nope\", which its function.json does not declare (inputs: \
                 msg, cfg)",
                "read the input \"done\", which its function.json does not declare (inputs: \
                 msg, cfg); function.json declares \"done\" with \"direction\": \"out\", and \
                 an input needs \"in\" (an output is set with Response::output, not read)"
            ]
        );
        // A blob that does not exist: the host sends "null".
        let missing = QUEUE.replace(r#""cfg":"\"{\\\"tax\\\":0.2}\"""#, r#""cfg":"null""#);
        let req = invoke(&shape, &missing).unwrap();
        assert!(req.input("cfg").is_none());
        assert_eq!(
            req.required_input("cfg").unwrap_err().reason(),
            "the input \"cfg\" yielded nothing (null)"
        );
        // A forwarded-style request has no bindings at all.
        let plain = Request::new("GET", "/api/x");
        assert!(plain.input("cfg").is_none() && plain.metadata("sys").is_none());
        assert!(plain.trigger().is_none() && plain.take_undeclared().is_empty());
    }

    #[test]
    fn a_declared_input_missing_from_data_is_an_invalid_invocation() {
        let shape = queue_shape();
        let body = r#"{"Data":{"msg":"\"x\""},"Metadata":{}}"#;
        assert_eq!(
            invoke(&shape, body).unwrap_err(),
            "no \"Data.cfg\" (the blob input)"
        );
        let body = r#"{"Data":{"msg":"\"x\"","cfg":"null"},"Metadata":[]}"#;
        assert_eq!(
            invoke(&shape, body).unwrap_err(),
            "\"Metadata\" is not an object"
        );
    }
}
