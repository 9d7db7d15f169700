//! What every mode starts from: the client's request as the host received it, and the host's
//! version, which the modes send along.

use handler::http::query::split_target;
use handler::http::request::{find_header, media_type};

/// The host version funchost reports in `X-Azure-Functions-HostVersion` and `User-Agent`: the
/// release azure-host.md was verified against.
pub const HOST_VERSION: &str = "4.1037.0.0";

/// A client's request as the host received it, body whole.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    pub method: String,
    /// Path and query as received, percent-encoded.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body came with `Transfer-Encoding: chunked` (no Content-Length).
    pub chunked: bool,
}

impl Incoming {
    /// The request the front door received, copied.
    pub fn from_http(req: &handler::http::Request<'_>) -> Incoming {
        let headers = req
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value).into_owned(),
                )
            })
            .collect();
        Incoming {
            method: req.method.to_string(),
            target: target(req),
            headers,
            body: req.body.to_vec(),
            // The server refuses any other transfer coding, and Content-Length with it.
            chunked: req.header("transfer-encoding").is_some(),
        }
    }

    /// A request as the front door would copy it, for the unit tests.
    #[cfg(test)]
    pub fn for_test(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Incoming {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        Incoming {
            method: method.into(),
            target: target.into(),
            chunked: find_header(&headers, "transfer-encoding").is_some(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn path(&self) -> &str {
        split_target(&self.target).0
    }

    pub fn query(&self) -> &str {
        split_target(&self.target).1
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `Content-Length`, if the client sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")?.trim().parse().ok()
    }

    /// The media type without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(media_type)
    }
}

/// `path?query` of a request, as received (`path` alone without a query).
pub fn target(req: &handler::http::Request<'_>) -> String {
    match req.query {
        "" => req.path.to_string(),
        query => format!("{}?{query}", req.path),
    }
}

/// The header fields of a request, copied (values that are not UTF-8 decoded lossily).
pub fn headers(req: &handler::http::Request<'_>) -> Vec<(String, String)> {
    req.headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value).into_owned(),
            )
        })
        .collect()
}
