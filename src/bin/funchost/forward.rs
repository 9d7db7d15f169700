//! Forwarding mode (`enableForwardingHttpRequest: true`, azure-host.md §3.2-3.3): the client's
//! request rebuilt as the host's `ToHttpRequestMessage` does, and the handler's answer passed
//! back whole.

use handler::azure::query::{self, host_query};
use handler::http::request::{field_separator, group_by_name};
use handler::http::response::Response;

use handler::Request;

use crate::client::{self, Body, Reply};
use crate::util::{announces_body, owned_headers, HOST_VERSION};

/// Content headers, which .NET refuses on a request's own headers: `TryAddWithoutValidation`
/// drops them silently. Only `Content-Type` and `Content-Length` come back, with a body.
const CONTENT_HEADERS: [&str; 11] = [
    "allow",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "expires",
    "last-modified",
];

/// Methods after which .NET sends no `Content-Length: 0` when there is no content
/// (`HttpMethod.MustHaveRequestBody` is false for them).
const NO_BODY_METHODS: [&str; 5] = ["GET", "HEAD", "CONNECT", "OPTIONS", "DELETE"];

/// The forwarded request's target: the original path, and the query rebuilt from its decoded
/// parameters (`QueryHelpers.AddQueryString` over the query collection).
pub fn target(req: &Request) -> String {
    let collection = query::collection(req.query());
    let query = host_query(collection.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    match query.as_str() {
        "" => req.path().to_string(),
        query => format!("{}?{query}", req.path()),
    }
}

/// The request the host sends the handler at `authority` (`127.0.0.1:PORT`), or why it cannot
/// send one (the client then gets 500): a chunked client body has no Content-Length, so no
/// content is attached, and .NET refuses the copied `Transfer-Encoding: chunked` header.
pub fn request<'a>(
    req: &'a Request,
    target: &'a str,
    authority: &str,
    invocation_id: &str,
) -> Result<client::Request<'a>, String> {
    // The server refuses any other transfer coding, and a Content-Length with it.
    if req.header("transfer-encoding").is_some() {
        return Err(
            "'Transfer-Encoding: chunked' header can not be used when content object \
                    is not specified (the host forwards only bodies with a Content-Length)"
                .to_string(),
        );
    }
    // Every header is copied (Host, Connection, Expect included); repeats become one line.
    let copied = owned_headers(req)
        .filter(|(name, _)| !CONTENT_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
    let mut headers: Vec<(String, String)> = group_by_name(copied)
        .into_iter()
        .map(|(name, values)| {
            let joined = values.join(field_separator(&name));
            (name, joined)
        })
        .collect();
    // HttpClient always sends a Host: the client's, or (an HTTP/1.0 client may send none) the
    // one of the URI it sends to.
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        headers.insert(0, ("Host".into(), authority.into()));
    }
    let agent = format!("Azure-Functions-Host/{HOST_VERSION}");
    match headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
    {
        Some((_, ua)) => *ua += &format!(" {agent}"),
        None => headers.push(("User-Agent".into(), agent)),
    }
    headers.push(("X-Azure-Functions-HostVersion".into(), HOST_VERSION.into()));
    headers.push((
        "X-Azure-Functions-InvocationId".into(),
        invocation_id.into(),
    ));
    let body = if announces_body(req) {
        if let Some(ct) = req.header("content-type") {
            headers.push(("Content-Type".into(), ct.into()));
        }
        Body::Length(req.body())
    } else if NO_BODY_METHODS.contains(&req.method().to_ascii_uppercase().as_str()) {
        Body::None
    } else {
        Body::Length(&[])
    };
    Ok(client::Request {
        method: req.method(),
        target,
        headers,
        body,
    })
}

/// The client's response: status, headers and body as the handler sent them, but for a lone
/// `Transfer-Encoding: chunked` (the body is buffered and gets a Content-Length).
pub fn response(reply: Reply) -> Response {
    let headers = reply
        .head
        .headers
        .into_iter()
        .filter(|(n, v)| {
            !(n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked"))
        })
        .map(|(n, v)| (n.into(), v.into()))
        .collect();
    Response {
        status: reply.head.status,
        headers,
        body: reply.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::request as incoming;

    fn target_of(t: &str) -> String {
        target(&incoming("GET", t, &[], ""))
    }

    #[test]
    fn queries_are_rebuilt() {
        assert_eq!(target_of("/api/HelloRust"), "/api/HelloRust");
        assert_eq!(target_of("/api/HelloRust?"), "/api/HelloRust");
        assert_eq!(target_of("/api/h?a=1&a=2"), "/api/h?a=1,2");
        assert_eq!(
            target_of("/api/h?name=Ink%20And%20Toner"),
            "/api/h?name=Ink%20And%20Toner"
        );
        assert_eq!(
            target_of("/api/h?n=a+b&flag&code=xyz"),
            "/api/h?n=a%20b&flag=&code=xyz"
        );
        assert_eq!(
            target_of("/api/h?q=%C3%A9%2F%3D%26%2B&A=1&a=2"),
            "/api/h?q=%C3%A9%2F%3D%26%2B&A=1,2"
        );
    }

    #[test]
    fn headers_are_copied_but_content_headers() {
        let req = incoming(
            "POST",
            "/api/h",
            &[
                ("Host", "localhost:7071"),
                ("User-Agent", "curl/8.5.0"),
                ("Content-Type", "application/json"),
                ("Content-Length", "2"),
                ("Expect", "100-continue"),
                ("Cookie", "a=1"),
                ("cookie", "b=2"),
                ("Content-Language", "en"),
            ],
            "{}",
        );
        let sent = request(&req, "/api/h", "127.0.0.1:4000", "ID").unwrap();
        let expected = [
            ("Host", "localhost:7071"),
            ("User-Agent", "curl/8.5.0 Azure-Functions-Host/4.1037.0.0"),
            ("Expect", "100-continue"),
            ("Cookie", "a=1; b=2"),
            ("X-Azure-Functions-HostVersion", "4.1037.0.0"),
            ("X-Azure-Functions-InvocationId", "ID"),
            ("Content-Type", "application/json"),
        ];
        assert_eq!(
            sent.headers,
            expected.map(|(n, v)| (n.to_string(), v.to_string()))
        );
        assert!(matches!(sent.body, Body::Length(b"{}")));
    }

    #[test]
    fn the_answer_loses_only_a_lone_chunked_coding() {
        use crate::client::{Framing, Head};
        let headers = [("Transfer-Encoding", "chunked"), ("X-Mode", "chunked")];
        let reply = Reply {
            head: Head {
                status: 201,
                reason: "Created".into(),
                headers: headers.map(|(n, v)| (n.into(), v.into())).to_vec(),
                framing: Framing::Chunked,
                keep_alive: true,
            },
            body: b"made".to_vec(),
        };
        let answer = response(reply);
        assert_eq!((answer.status, answer.body.as_slice()), (201, &b"made"[..]));
        assert_eq!(answer.headers, [("X-Mode".into(), "chunked".into())]);
    }

    #[test]
    fn a_request_with_no_host_gets_the_handler_s() {
        let old = incoming("GET", "/", &[("Accept", "*/*")], "");
        let sent = request(&old, "/", "127.0.0.1:4000", "ID").unwrap();
        assert_eq!(
            sent.headers[..2],
            [
                ("Host".to_string(), "127.0.0.1:4000".to_string()),
                ("Accept".to_string(), "*/*".to_string())
            ]
        );
    }
}
