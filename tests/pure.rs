//! The pure modules through the library's public API: query decoding, response encoding, dates,
//! routing, the port setting, error statuses, and a whole request answered by `app::respond`.
//! No sockets: each of these takes values and returns values.
#![forbid(unsafe_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use handler::azure::app::respond;
use handler::azure::query::{collection, lookup};
use handler::azure::request::Request;
use handler::azure::router::{Found, Router};
use handler::azure::start::port_from_env;
use handler::functions::Function;
use handler::http::date::{self, imf_fixdate};
use handler::http::error::HttpError;
use handler::http::query::{decode_form, decode_path, split_target};
use handler::http::response::{encode, encode_head, reason, BodyFraming, Framing, Response};

// ---- query ---------------------------------------------------------------------------------------

#[test]
fn split_target_separates_path_and_query() {
    let cases = [
        ("/api/x?a=1&b=2", ("/api/x", "a=1&b=2")),
        ("/api/x", ("/api/x", "")),
        ("/api/x?", ("/api/x", "")),
        // Only the first `?` separates: a later one belongs to the query.
        ("/p?a=?&b", ("/p", "a=?&b")),
        ("*", ("*", "")),
    ];
    for (target, expect) in cases {
        assert_eq!(split_target(target), expect, "{target}");
    }
}

#[test]
fn lookup_decodes_the_value_of_its_key() {
    let cases: [(&str, &str, Option<&str>); 24] = [
        // (query, key, value)
        ("name=Azure", "name", Some("Azure")),
        ("name=%C3%BC", "name", Some("ü")),
        ("name=%c3%bc", "name", Some("ü")),
        ("name=Azure+Functions", "name", Some("Azure Functions")),
        ("name=Azure%20Functions", "name", Some("Azure Functions")),
        ("name=a%2Bb", "name", Some("a+b")),
        ("a=1&name=x&b=2", "name", Some("x")),
        ("code=abc==&name=Atlas", "name", Some("Atlas")),
        // An escaped `&` or `=` is part of the value, not a separator.
        ("name=a%26b%3Dc", "name", Some("a&b=c")),
        // A repeated key, as the host forwards repeats.
        ("name=a&name=b", "name", Some("a,b")),
        ("name=a&x=1&NAME=b", "name", Some("a,b")),
        ("NAME=x", "name", Some("x")),
        ("name=x", "Name", Some("x")),
        ("na%6De=x", "name", Some("x")),
        ("name=", "name", Some("")),
        ("name", "name", Some("")),
        ("a=1&&name=x&", "name", Some("x")),
        ("names=x&a=name", "name", None),
        ("", "name", None),
        // Broken escapes stay as sent; bytes that are not UTF-8 become U+FFFD.
        ("name=%", "name", Some("%")),
        ("name=%2", "name", Some("%2")),
        ("name=%zz", "name", Some("%zz")),
        ("name=100%25+sure%2x", "name", Some("100% sure%2x")),
        ("name=a%FFb", "name", Some("a\u{FFFD}b")),
    ];
    for (query, key, expect) in cases {
        assert_eq!(lookup(query, key).as_deref(), expect, "{query:?} {key:?}");
    }
}

#[test]
fn the_query_collection_holds_what_lookup_finds() {
    let query = "b=2&a=1&A=3&n=x+y&flag&e=%C3%A9&&a=4";
    let keys = collection(query);
    let expected = [
        ("b", "2"),
        ("a", "1,3,4"),
        ("n", "x y"),
        ("flag", ""),
        ("e", "é"),
    ];
    assert_eq!(keys, expected.map(|(k, v)| (k.to_string(), v.to_string())));
    for (key, value) in &keys {
        assert_eq!(lookup(query, key).as_deref(), Some(value.as_str()), "{key}");
    }
}

#[test]
fn path_decoding_keeps_plus_and_form_decoding_does_not() {
    assert_eq!(decode_path("a+b%20c%2Fd"), "a+b c/d");
    assert_eq!(decode_form("a+b%20c%2Fd"), "a b c/d");
    assert_eq!(decode_path("Hello%52ust"), "HelloRust");
    assert_eq!(decode_path("%"), "%");
    assert_eq!(decode_path("%FF"), "\u{FFFD}");
    assert_eq!(decode_path("plain"), "plain");
}

// ---- response ----------------------------------------------------------------------------------

const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

const KEEP_ALIVE: Framing = Framing {
    head_only: false,
    keep_alive: true,
    http10: false,
};

fn encoded(response: &Response, framing: Framing) -> String {
    let mut out = Vec::new();
    encode(response, framing, DATE, &mut out);
    String::from_utf8(out).expect("these responses are UTF-8")
}

#[test]
fn a_text_response_gets_date_type_and_the_length_in_bytes() {
    // "Grüße" is 5 characters and 7 bytes.
    assert_eq!(
        encoded(&Response::text(200, "Grüße"), KEEP_ALIVE),
        "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\n\r\nGrüße"
    );
}

#[test]
fn a_head_response_keeps_content_length_and_sends_no_body() {
    let head_only = Framing {
        head_only: true,
        ..KEEP_ALIVE
    };
    assert_eq!(
        encoded(&Response::text(200, "Grüße"), head_only),
        "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\n\r\n"
    );
}

#[test]
fn a_head_response_with_no_body_may_declare_its_length() {
    let head_only = Framing {
        head_only: true,
        ..KEEP_ALIVE
    };
    let head = |length: &str| {
        let response = Response::new(200).header("Content-Length", length);
        encoded(&response, head_only)
    };
    let with_length =
        |n: &str| format!("HTTP/1.1 200 OK\r\nDate: {DATE}\r\nContent-Length: {n}\r\n\r\n");
    // A proxy's answer to a HEAD: the length a GET would get, once, and no body.
    assert_eq!(head("61"), with_length("61"));
    assert_eq!(head(" 61 "), with_length("61"));
    // Not a number: no length is known.
    for bad in ["abc", "-1", "6 1", ""] {
        assert_eq!(head(bad), with_length("0"), "{bad:?}");
    }
    // A body made for the HEAD is measured; so is any answer to another method.
    let made = Response::new(200)
        .header("Content-Length", "61")
        .body(b"abc".to_vec());
    assert!(encoded(&made, head_only).contains("Content-Length: 3\r\n"));
    let get = Response::new(200).header("Content-Length", "61");
    assert_eq!(encoded(&get, KEEP_ALIVE), with_length("0"));
}

#[test]
fn statuses_without_content_send_no_length_and_no_body() {
    // RFC 9110 §6.4.1: 1xx, 204 and 304 never have content, whatever the function set.
    for (status, line) in [
        (100, "HTTP/1.1 100 Continue"),
        (204, "HTTP/1.1 204 No Content"),
        (304, "HTTP/1.1 304 Not Modified"),
    ] {
        let response = Response::new(status).body(b"ignored".to_vec());
        assert_eq!(
            encoded(&response, KEEP_ALIVE),
            format!("{line}\r\nDate: {DATE}\r\n\r\n"),
            "{status}"
        );
    }
}

#[test]
fn framing_headers_set_by_a_function_are_dropped() {
    let response = Response::new(200)
        .header("Content-Length", "999")
        .header("transfer-encoding", "chunked")
        .header("CONNECTION", "close")
        .header("Date", "yesterday")
        .header("Keep-Alive", "timeout=5")
        .header("X-Kept", "yes")
        .body(b"abc".to_vec());
    assert_eq!(
        encoded(&response, KEEP_ALIVE),
        "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Kept: yes\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\nabc"
    );
}

#[test]
fn a_header_that_would_split_the_response_is_dropped() {
    let response = Response::new(200)
        .header("X-Evil", "a\r\nSet-Cookie: owned=1")
        .header("X-Lf", "a\nb")
        .header("X-Cr", "a\rb")
        .header("Bad Name", "v")
        .header("X-Colon:", "v")
        .header("X-Ok", "fine\tstill");
    assert_eq!(
        encoded(&response, KEEP_ALIVE),
        "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Ok: fine\tstill\r\n\
         Content-Length: 0\r\n\r\n"
    );
}

#[test]
fn a_function_content_type_is_kept_and_not_doubled() {
    assert_eq!(
        encoded(&Response::json(201, "{}"), KEEP_ALIVE),
        "HTTP/1.1 201 Created\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    );
    // A name in any case counts: no application/octet-stream is added.
    let lower = Response::new(200)
        .header("content-type", "image/png")
        .body(b"PNG".to_vec());
    assert_eq!(
        encoded(&lower, KEEP_ALIVE),
        "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\ncontent-type: image/png\r\n\
         Content-Length: 3\r\n\r\nPNG"
    );
}

#[test]
fn the_connection_header_says_what_the_server_will_do() {
    let cases = [
        // (keep_alive, http10, Connection header)
        (true, false, None),
        (false, false, Some("close")),
        (true, true, Some("keep-alive")),
        (false, true, Some("close")),
    ];
    for (keep_alive, http10, connection) in cases {
        let framing = Framing {
            head_only: false,
            keep_alive,
            http10,
        };
        let line = connection.map_or(String::new(), |c| format!("Connection: {c}\r\n"));
        assert_eq!(
            encoded(&Response::new(404), framing),
            format!("HTTP/1.1 404 Not Found\r\nDate: {DATE}\r\nContent-Length: 0\r\n{line}\r\n"),
            "keep_alive {keep_alive}, http10 {http10}"
        );
    }
}

#[test]
fn a_head_alone_carries_its_reason_and_the_framing_of_the_body_to_come() {
    let head = |status, reason, body, keep_alive| {
        let headers = [
            ("X-Up".into(), "1".into()),
            ("Content-Length".into(), "5".into()),
            ("Date".into(), "yesterday".into()),
        ];
        let framing = Framing {
            keep_alive,
            ..KEEP_ALIVE
        };
        let mut out = Vec::new();
        encode_head(status, reason, &headers, body, framing, DATE, &mut out);
        String::from_utf8(out).unwrap()
    };
    let start = |line: &str| format!("HTTP/1.1 {line}\r\nDate: {DATE}\r\nX-Up: 1\r\n");
    // (status, reason as received, body framing, keep-alive, what follows the headers)
    let cases = [
        (
            201,
            "Made",
            BodyFraming::Chunked,
            true,
            "201 Made",
            "Transfer-Encoding: chunked\r\n",
        ),
        (
            200,
            "OK",
            BodyFraming::Length(9),
            true,
            "200 OK",
            "Content-Length: 9\r\n",
        ),
        (
            200,
            "",
            BodyFraming::Close,
            false,
            "200 OK",
            "Connection: close\r\n",
        ),
        // A reason that could split the head is replaced by the standard one.
        (
            404,
            "No\r\nX: y",
            BodyFraming::Length(0),
            true,
            "404 Not Found",
            "Content-Length: 0\r\n",
        ),
        (
            304,
            "Not Modified",
            BodyFraming::Chunked,
            true,
            "304 Not Modified",
            "",
        ),
    ];
    for (status, reason, body, keep_alive, line, rest) in cases {
        assert_eq!(
            head(status, reason, body, keep_alive),
            format!("{}{rest}\r\n", start(line)),
            "{status} {reason:?}"
        );
    }
}

/// Each status the server names gets its phrase from RFC 9110 §15 (429 and 431 from RFC 6585
/// §4, §5), the 2022 names included (413, 422); any other code is "Unknown", never a wrong name.
#[test]
fn every_named_status_gets_its_standard_reason_phrase() {
    let phrases = [
        (100, "Continue"),
        (200, "OK"),
        (201, "Created"),
        (202, "Accepted"),
        (204, "No Content"),
        (301, "Moved Permanently"),
        (302, "Found"),
        (304, "Not Modified"),
        (307, "Temporary Redirect"),
        (308, "Permanent Redirect"),
        (400, "Bad Request"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "Not Found"),
        (405, "Method Not Allowed"),
        (408, "Request Timeout"),
        (409, "Conflict"),
        (413, "Content Too Large"),
        (414, "URI Too Long"),
        (415, "Unsupported Media Type"),
        (417, "Expectation Failed"),
        (422, "Unprocessable Content"),
        (429, "Too Many Requests"),
        (431, "Request Header Fields Too Large"),
        (500, "Internal Server Error"),
        (501, "Not Implemented"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
        (504, "Gateway Timeout"),
        (505, "HTTP Version Not Supported"),
        (299, "Unknown"),
        (599, "Unknown"),
    ];
    for (status, phrase) in phrases {
        assert_eq!(reason(status), phrase, "{status}");
        // ...and it is the phrase of the status line `encode` writes.
        let mut out = Vec::new();
        encode(&Response::new(status), KEEP_ALIVE, DATE, &mut out);
        let line = format!("HTTP/1.1 {status} {phrase}\r\n");
        assert!(out.starts_with(line.as_bytes()), "{status}");
    }
}

// ---- date ----------------------------------------------------------------------------------------

#[test]
fn imf_fixdate_formats_known_instants() {
    let cases = [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (86_399, "Thu, 01 Jan 1970 23:59:59 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        // A leap day in a year divisible by 400...
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        // ...and the day after February in 2100, which is not a leap year.
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
    ];
    for (secs, expect) in cases {
        assert_eq!(imf_fixdate(secs), expect, "{secs}");
    }
}

/// `Ddd, DD Mon YYYY HH:MM:SS GMT` (RFC 9110 §5.6.7), checked field by field.
fn is_imf_fixdate(s: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let number = |t: &str, max: u32| t.len() == 2 && t.parse::<u32>().is_ok_and(|n| n <= max);
    let parts: Vec<&str> = s.split(' ').collect();
    let [day, date, month, year, time, zone] = parts[..] else {
        return false;
    };
    let hms: Vec<&str> = time.split(':').collect();
    s.len() == 29
        && day.strip_suffix(',').is_some_and(|d| DAYS.contains(&d))
        && number(date, 31)
        && MONTHS.contains(&month)
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && hms.len() == 3
        && number(hms[0], 23)
        && number(hms[1], 59)
        && number(hms[2], 60)
        && zone == "GMT"
}

#[test]
fn now_is_an_imf_fixdate_of_the_current_second() {
    let secs = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let before = secs();
    let now = date::now();
    let after = secs();
    assert!(is_imf_fixdate(&now), "{now:?}");
    assert!(
        (before..=after).any(|t| imf_fixdate(t) == now),
        "{now:?} is not between {before} and {after}"
    );
    // The shape check itself refuses near misses.
    assert!(is_imf_fixdate(DATE));
    assert!(!is_imf_fixdate("Sun, 6 Nov 1994 08:49:37 GMT"));
    assert!(!is_imf_fixdate("Sunday, 06-Nov-94 08:49:37 GMT"));
    assert!(!is_imf_fixdate("Sun, 06 Nov 1994 08:49:37 UTC"));
}

// ---- router --------------------------------------------------------------------------------------

/// The name of the function `found` routes to, and its parameters.
fn routed(found: Found<'_>) -> Option<(&'static str, Vec<(String, String)>)> {
    match found {
        Found::Route(route, params) => Some((route.function.name, params)),
        _ => None,
    }
}

#[test]
fn the_builtin_router_finds_hello_rust_as_azure_does() {
    let router = Router::builtin_for(handler::functions::FUNCTIONS);
    for path in [
        "/api/HelloRust",
        "/api/hellorust",
        "/API/HELLORUST/",
        "/api/Hello%52ust",
    ] {
        for method in ["GET", "POST", "HEAD"] {
            assert_eq!(
                routed(router.find(method, path)),
                Some(("HelloRust", vec![])),
                "{method} {path}"
            );
        }
    }
    for path in ["/api/HelloRust/x", "/HelloRust", "/api", "/", "/api/Hello"] {
        assert!(
            matches!(router.find("GET", path), Found::NotFound),
            "GET {path}: {:?}",
            router.find("GET", path)
        );
    }
}

#[test]
fn another_method_is_not_allowed_and_told_which_are() {
    let router = Router::builtin_for(handler::functions::FUNCTIONS);
    for method in ["PUT", "DELETE", "OPTIONS", "get"] {
        match router.find(method, "/api/HelloRust") {
            Found::MethodNotAllowed(allow) => assert_eq!(allow, "GET, HEAD, POST", "{method}"),
            other => panic!("{method}: {other:?}"),
        }
    }
}

fn ok(_: &Request) -> handler::Response {
    handler::Response::new(200)
}

static PRODUCTS: Function = Function {
    name: "Products",
    run: ok,
};

static ANYTHING: Function = Function {
    name: "Anything",
    run: ok,
};

#[test]
fn a_template_parameter_takes_its_segment_decoded() {
    let mut router = Router::default();
    router
        .add(&PRODUCTS, "api/products/{id}", &["get"])
        .unwrap();
    router
        .add(&ANYTHING, "api/typed/{id:int}", &["get"])
        .unwrap();
    let param = |id: &str| vec![("id".to_string(), id.to_string())];
    assert_eq!(
        routed(router.find("GET", "/api/products/42")),
        Some(("Products", param("42")))
    );
    assert_eq!(
        routed(router.find("GET", "/API/Products/a%20b")),
        Some(("Products", param("a b")))
    );
    assert_eq!(
        routed(router.find("GET", "/api/typed/7")),
        Some(("Anything", param("7")))
    );
    assert!(matches!(
        router.find("GET", "/api/products"),
        Found::NotFound
    ));
    assert!(matches!(
        router.find("GET", "/api/products/1/2"),
        Found::NotFound
    ));
}

#[test]
fn a_route_without_methods_allows_any() {
    let mut router = Router::default();
    router.add(&ANYTHING, "api/any", &[]).unwrap();
    for method in ["GET", "POST", "DELETE", "PATCH", "BREW"] {
        assert_eq!(
            routed(router.find(method, "/api/any")),
            Some(("Anything", vec![])),
            "{method}"
        );
    }
}

/// RFC 9110 §9.3.2: HEAD is GET without the content, so a route for GET answers HEAD, and
/// one without GET does not.
#[test]
fn head_is_served_where_get_is_and_only_there() {
    let mut router = Router::default();
    router.add(&PRODUCTS, "api/read", &["get"]).unwrap();
    router
        .add(&ANYTHING, "api/write", &["post", "put"])
        .unwrap();
    assert_eq!(
        routed(router.find("HEAD", "/api/read")),
        Some(("Products", vec![]))
    );
    match router.find("HEAD", "/api/write") {
        Found::MethodNotAllowed(allow) => assert_eq!(allow, "POST, PUT"),
        other => panic!("HEAD /api/write: {other:?}"),
    }
}

// ---- server::port_from_env -----------------------------------------------------------------------

#[test]
fn the_port_comes_from_the_environment_or_defaults_to_3000() {
    assert_eq!(port_from_env(None), Ok(3000));
    assert_eq!(port_from_env(Some("8080")), Ok(8080));
    assert_eq!(port_from_env(Some("1")), Ok(1));
    assert_eq!(port_from_env(Some("65535")), Ok(65535));
}

#[test]
fn a_bad_port_is_an_error_naming_the_variable_and_the_value() {
    for value in [
        "abc", "70000", "", " 80", "80 ", "0", "+80", "-1", "65536", "8080x", "80.0",
    ] {
        let error = port_from_env(Some(value)).expect_err(value);
        assert!(
            error.contains("FUNCTIONS_CUSTOMHANDLER_PORT"),
            "{value:?}: {error}"
        );
        // Quoted, so that an empty or space-padded value is visible.
        assert!(
            error.contains(&format!("\"{value}\"")),
            "{value:?}: {error}"
        );
        assert!(!error.contains('\n'), "{value:?}: one line: {error}");
    }
}

// ---- error ---------------------------------------------------------------------------------------

#[test]
fn every_error_answers_its_status() {
    use HttpError::*;
    let table = [
        (RequestLine, 400),
        (Method, 400),
        (Target, 400),
        (Header, 400),
        (Host, 400),
        (ContentLength, 400),
        (Framing, 400),
        (Chunked, 400),
        (Timeout, 408),
        (BodyTimeout, 408),
        (BodyTooLarge, 413),
        (TargetTooLong, 414),
        (Expectation, 417),
        (HeadTooLarge, 431),
        (UnknownCoding, 501),
        (Connect, 501),
        (Busy, 503),
        (Overloaded, 503),
        (NoWorker, 503),
        (Version, 505),
    ];
    /// Does not compile when a variant is added and missing from the table above.
    fn listed(error: HttpError) {
        match error {
            RequestLine | Method | Target | Header | Host | ContentLength | Framing | Chunked
            | Timeout | BodyTimeout | BodyTooLarge | TargetTooLong | Expectation | HeadTooLarge
            | UnknownCoding | Connect | Busy | Overloaded | NoWorker | Version => {}
        }
    }
    for (error, status) in table {
        listed(error);
        assert_eq!(error.status(), status, "{error:?}");
        assert!(!error.to_string().is_empty(), "{error:?} has a message");
    }
}

// ---- app::respond --------------------------------------------------------------------------------

const NO_NAME: &str = "This HTTP triggered function executed successfully. \
                       Pass a name in the query string for a personalized response.";

fn greeting(name: &str) -> String {
    format!("Hello, {name}. This HTTP triggered function executed successfully.")
}

fn request(
    method: &str,
    target: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Request<'static> {
    let mut req = Request::new(method, target);
    if let Some(content_type) = content_type {
        req = req.with_header("Content-Type", content_type);
    }
    req.with_body(body.to_vec())
}

/// Status, Content-Type and body text of the builtin router's answer.
fn answer(req: Request) -> (u16, Option<String>, String) {
    let response = respond(&Router::builtin_for(handler::functions::FUNCTIONS), req);
    let content_type = response.header_value("Content-Type").map(str::to_string);
    let body = String::from_utf8(response.body).expect("UTF-8 body");
    (response.status, content_type, body)
}

const TEXT: Option<&str> = Some("text/plain; charset=utf-8");

fn text(status: u16, body: &str) -> (u16, Option<String>, String) {
    (status, TEXT.map(str::to_string), body.to_string())
}

#[test]
fn hello_rust_greets_the_name_in_the_query() {
    let (status, content_type, body) =
        answer(request("GET", "/api/HelloRust?name=Azure", None, b""));
    assert_eq!(
        (status, content_type.as_deref(), body.len()),
        (200, TEXT, 65)
    );
    assert_eq!(
        body,
        "Hello, Azure. This HTTP triggered function executed successfully."
    );
    assert_eq!(
        answer(request("GET", "/api/hellorust?name=%C3%BC", None, b"")),
        text(200, &greeting("ü"))
    );
    assert_eq!(
        answer(request("HEAD", "/api/HelloRust?name=Azure", None, b"")),
        text(200, &greeting("Azure"))
    );
}

#[test]
fn hello_rust_without_a_name_answers_the_quickstart_text() {
    for target in [
        "/api/HelloRust",
        "/api/HelloRust?name=",
        "/api/HelloRust?other=1",
    ] {
        assert_eq!(
            answer(request("GET", target, None, b"")),
            text(200, NO_NAME),
            "{target}"
        );
    }
}

#[test]
fn hello_rust_reads_the_name_from_a_json_body() {
    let json = Some("application/json");
    let cases: [(Option<&str>, &[u8], &str); 7] = [
        (json, br#"{"name":"Azure"}"#, "Azure"),
        (json, br#"{"name":"\u00fc"}"#, "ü"),
        (json, br#"{"name":"\ud83d\ude00"}"#, "😀"),
        (
            json,
            br#" { "other": [1, 2], "name" : "Spaced" } "#,
            "Spaced",
        ),
        (
            Some("application/json; charset=utf-8"),
            br#"{"name":"Param"}"#,
            "Param",
        ),
        (
            Some("application/vnd.api+json"),
            br#"{"name":"Api"}"#,
            "Api",
        ),
        // No Content-Type, as curl -d sends it: a body starting with `{` is JSON.
        (None, br#"{"name":"Curl"}"#, "Curl"),
    ];
    for (content_type, body, name) in cases {
        assert_eq!(
            answer(request("POST", "/api/HelloRust", content_type, body)),
            text(200, &greeting(name)),
            "{content_type:?} {}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn hello_rust_reads_the_name_from_a_form_body() {
    let form = Some("application/x-www-form-urlencoded");
    assert_eq!(
        answer(request(
            "POST",
            "/api/HelloRust",
            form,
            b"name=Azure+Functions"
        )),
        text(200, &greeting("Azure Functions"))
    );
    assert_eq!(
        answer(request("POST", "/api/HelloRust", None, b"x=1&name=Plain")),
        text(200, &greeting("Plain"))
    );
}

#[test]
fn the_query_name_wins_over_the_body() {
    assert_eq!(
        answer(request(
            "POST",
            "/api/HelloRust?name=Query",
            Some("application/json"),
            br#"{"name":"Body"}"#
        )),
        text(200, &greeting("Query"))
    );
}

#[test]
fn a_json_body_without_a_string_name_gets_the_default_text() {
    for body in [
        &br#"{"other":"x"}"#[..],
        br#"{"name":""}"#,
        br#"{"name":5}"#,
        br#"["name"]"#,
    ] {
        assert_eq!(
            answer(request(
                "POST",
                "/api/HelloRust",
                Some("application/json"),
                body
            )),
            text(200, NO_NAME),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn invalid_json_is_a_400_with_a_short_reason() {
    for body in [&br#"{"name":"#[..], b"{name: 'x'}", br#"{"name":"\ud83d"}"#] {
        let (status, content_type, reason) = answer(request(
            "POST",
            "/api/HelloRust",
            Some("application/json"),
            body,
        ));
        let input = String::from_utf8_lossy(body);
        assert_eq!((status, content_type.as_deref()), (400, TEXT), "{input}");
        assert!(reason.contains("JSON"), "{input}: {reason:?}");
        assert!(
            reason.len() <= 120 && !reason.contains('\n'),
            "{input}: one short line: {reason:?}"
        );
    }
}

#[test]
fn an_unknown_path_is_404() {
    let response = respond(
        &Router::builtin_for(handler::functions::FUNCTIONS),
        Request::new("GET", "/api/Nope"),
    );
    assert_eq!(response.status, 404);
}

#[test]
fn a_method_not_routed_is_405_with_allow() {
    let response = respond(
        &Router::builtin_for(handler::functions::FUNCTIONS),
        Request::new("PUT", "/api/HelloRust"),
    );
    assert_eq!(
        (response.status, response.header_value("Allow")),
        (405, Some("GET, HEAD, POST"))
    );
}

fn boom(_: &Request) -> handler::Response {
    panic!("this function always fails")
}

static BOOM: Function = Function {
    name: "Boom",
    run: boom,
};

#[test]
fn a_panicking_function_is_a_500_and_the_next_call_still_works() {
    let mut router = Router::builtin_for(handler::functions::FUNCTIONS);
    router.add(&BOOM, "api/boom", &[]).unwrap();
    for _ in 0..2 {
        let response = respond(&router, Request::new("GET", "/api/boom"));
        assert_eq!(response.status, 500);
        let response = respond(&router, Request::new("GET", "/api/HelloRust?name=After"));
        assert_eq!(
            (response.status, response.body),
            (200, greeting("After").into_bytes())
        );
    }
}
