//! HelloRust as clients call it, through a real HTTP client (ureq, keep-alive): the quickstart's
//! GET, VS Code's "Execute Function Now" POST (azure-project-files.md §5), and the request the
//! Functions host forwards (azure-host.md §3.2).
#![forbid(unsafe_code)]
mod support;

use std::io::Read;

use support::{greeting, Server, WAIT};

const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// One keep-alive agent per test; no redirects, so every answer is the handler's own.
fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(WAIT).redirects(0).build()
}

/// A response as received, whatever its status.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Names lower-cased, in the order received.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

/// Sends `request` (with `body` if any) and returns the response for any status, checking what
/// every response must have: a `Date` that is an IMF-fixdate.
fn send(request: ureq::Request, body: Option<&[u8]>) -> Answer {
    let result = match body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers_names()
        .into_iter()
        .map(|name| {
            let value = response.header(&name).unwrap_or_default().to_string();
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    let mut body = Vec::new();
    response
        .into_reader()
        .read_to_end(&mut body)
        .expect("the body");
    let answer = Answer {
        status,
        headers,
        body,
    };
    let date = answer.header("Date").expect("every response has a Date");
    assert!(is_imf_fixdate(date), "Date {date:?} is not an IMF-fixdate");
    answer
}

fn get(server: &Server, target: &str) -> Answer {
    send(agent().get(&server.url(target)), None)
}

/// A POST with `content_type` (if any) and `body`.
fn post(server: &Server, target: &str, content_type: Option<&str>, body: &[u8]) -> Answer {
    let mut request = agent().post(&server.url(target));
    if let Some(content_type) = content_type {
        request = request.set("Content-Type", content_type);
    }
    send(request, Some(body))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
fn is_imf_fixdate(s: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    b.len() == 29
        && DAYS.contains(&&s[0..3])
        && &s[3..5] == ", "
        && digits(5..7)
        && b[7] == b' '
        && MONTHS.contains(&&s[8..11])
        && b[11] == b' '
        && digits(12..16)
        && b[16] == b' '
        && digits(17..19)
        && b[19] == b':'
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25)
        && &s[25..] == " GMT"
}

/// A 200 text/plain greeting for `name`, with a byte-exact Content-Length.
fn assert_greets(answer: &Answer, name: Option<&str>) {
    let expected = greeting(name);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("Content-Type"), Some(TEXT_PLAIN));
    assert_eq!(
        answer.header("Content-Length"),
        Some(expected.len().to_string().as_str())
    );
    assert_eq!(answer.text(), expected);
}

// ---- GET and the query string ------------------------------------------------------------------

#[test]
fn get_with_name_greets_with_exact_headers_and_body() {
    let server = Server::start();
    let answer = get(&server, "/api/HelloRust?name=Shing");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("Content-Type"), Some(TEXT_PLAIN));
    assert_eq!(answer.header("Content-Length"), Some("65"));
    assert_eq!(
        answer.text(),
        "Hello, Shing. This HTTP triggered function executed successfully."
    );
}

#[test]
fn get_without_name_answers_the_quickstart_default_text() {
    let server = Server::start();
    let answer = get(&server, "/api/HelloRust");
    assert_greets(&answer, None);
    assert_eq!(
        answer.text(),
        "This HTTP triggered function executed successfully. \
         Pass a name in the query string for a personalized response."
    );
}

#[test]
fn empty_name_answers_the_default_text() {
    let server = Server::start();
    assert_greets(&get(&server, "/api/HelloRust?name="), None);
    assert_greets(&get(&server, "/api/HelloRust?name"), None);
}

#[test]
fn route_matches_ignoring_case() {
    let server = Server::start();
    assert_greets(&get(&server, "/api/hellorust?name=Low"), Some("Low"));
    assert_greets(&get(&server, "/API/HELLORUST?name=Up"), Some("Up"));
}

#[test]
fn utf8_name_is_decoded_and_content_length_counts_bytes() {
    let server = Server::start();
    let answer = get(&server, "/api/HelloRust?name=%C3%BC");
    assert_greets(&answer, Some("ü"));
    // 65 - "Shing" + "ü": 62 bytes, 61 characters.
    assert_eq!(answer.header("Content-Length"), Some("62"));
    assert_eq!(answer.text().chars().count(), 61);
}

#[test]
fn plus_in_query_is_a_space() {
    let server = Server::start();
    assert_greets(
        &get(&server, "/api/HelloRust?name=Ada+Lovelace"),
        Some("Ada Lovelace"),
    );
    assert_greets(
        &get(&server, "/api/HelloRust?name=Ada%20Lovelace"),
        Some("Ada Lovelace"),
    );
    // An encoded plus is a plus.
    assert_greets(&get(&server, "/api/HelloRust?name=C%2B%2B"), Some("C++"));
}

#[test]
fn name_among_other_parameters_is_found() {
    let server = Server::start();
    assert_greets(
        &get(&server, "/api/HelloRust?x=1&name=Bob&y=2"),
        Some("Bob"),
    );
    assert_greets(&get(&server, "/api/HelloRust?a=&&name=Eve&"), Some("Eve"));
    // Keys compare ignoring case, as the host's query collection does.
    assert_greets(&get(&server, "/api/HelloRust?NAME=Caps"), Some("Caps"));
    // A key that merely contains "name" is another key.
    assert_greets(&get(&server, "/api/HelloRust?username=Mallory"), None);
}

#[test]
fn encoded_ampersand_and_equals_stay_in_the_value() {
    let server = Server::start();
    assert_greets(
        &get(&server, "/api/HelloRust?name=a%26b%3Dc&other=1"),
        Some("a&b=c"),
    );
}

#[test]
fn repeated_name_values_are_joined_with_commas() {
    // As the host forwards repeats (azure-host.md §3.2: `a=1&a=2` arrives as `a=1,2`).
    let server = Server::start();
    assert_greets(&get(&server, "/api/HelloRust?name=a&name=b"), Some("a,b"));
}

#[test]
fn invalid_percent_escapes_are_decoded_lossily() {
    // src/http/query.rs: a `%` without two hex digits stays a literal `%`; bytes that are not UTF-8
    // become U+FFFD. Never a crash, never a 400.
    let server = Server::start();
    assert_greets(&get(&server, "/api/HelloRust?name=%zz"), Some("%zz"));
    assert_greets(&get(&server, "/api/HelloRust?name=100%"), Some("100%"));
    assert_greets(&get(&server, "/api/HelloRust?name=%4"), Some("%4"));
    let answer = get(&server, "/api/HelloRust?name=%FF");
    assert_greets(&answer, Some("\u{fffd}"));
    // U+FFFD is three bytes: 65 - "Shing" + 3.
    assert_eq!(answer.header("Content-Length"), Some("63"));
    // The server is still serving.
    assert_greets(&get(&server, "/api/HelloRust?name=After"), Some("After"));
}

// ---- POST, as VS Code's "Execute Function Now" sends it ----------------------------------------

#[test]
fn execute_function_now_json_body_greets() {
    let server = Server::start();
    let answer = post(
        &server,
        "/api/HelloRust",
        Some("application/json"),
        br#"{"name":"Azure"}"#,
    );
    assert_greets(&answer, Some("Azure"));
}

#[test]
fn json_body_unicode_escapes_are_decoded() {
    let server = Server::start();
    let json = Some("application/json");
    assert_greets(
        &post(&server, "/api/HelloRust", json, br#"{"name":"\u00fc"}"#),
        Some("ü"),
    );
    // A surrogate pair is one character, four bytes in UTF-8.
    let answer = post(
        &server,
        "/api/HelloRust",
        json,
        br#"{"name":"\ud83d\ude00"}"#,
    );
    assert_greets(&answer, Some("\u{1f600}"));
    assert_eq!(answer.header("Content-Length"), Some("64"));
}

#[test]
fn json_body_with_spaces_and_other_members_greets() {
    let server = Server::start();
    let body = b" {\r\n\t\"other\": [1, {\"name\": \"no\"}],\n \"name\" : \"Spaced\" } ";
    assert_greets(
        &post(&server, "/api/HelloRust", Some("application/json"), body),
        Some("Spaced"),
    );
}

#[test]
fn form_body_greets() {
    let server = Server::start();
    assert_greets(
        &post(
            &server,
            "/api/HelloRust",
            Some("application/x-www-form-urlencoded"),
            b"name=Azure",
        ),
        Some("Azure"),
    );
    // As curl -d sends it: no Content-Type.
    assert_greets(
        &post(&server, "/api/HelloRust", None, b"x=1&name=Curl+D"),
        Some("Curl D"),
    );
}

#[test]
fn query_name_beats_body_name() {
    let server = Server::start();
    assert_greets(
        &post(
            &server,
            "/api/HelloRust?name=Query",
            Some("application/json"),
            br#"{"name":"Body"}"#,
        ),
        Some("Query"),
    );
}

#[test]
fn invalid_json_body_is_400_with_a_short_reason() {
    let server = Server::start();
    for body in [
        &br#"{"name":"#[..],
        b"{name:Azure}",
        b"{",
        br#"{"name":"x"} junk"#,
    ] {
        let answer = post(&server, "/api/HelloRust", Some("application/json"), body);
        assert_eq!(
            answer.status,
            400,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(answer.header("Content-Type"), Some(TEXT_PLAIN));
        let reason = answer.text();
        assert_eq!(
            answer.header("Content-Length"),
            Some(reason.len().to_string().as_str())
        );
        assert!(
            reason.starts_with("Invalid JSON body") && reason.len() < 120 && !reason.contains('\n'),
            "reason {reason:?}"
        );
    }
    // And the server goes on.
    assert_greets(&get(&server, "/api/HelloRust?name=After"), Some("After"));
}

#[test]
fn json_string_body_answers_the_default_text() {
    // Execute Function Now sends non-JSON input `hello` as the JSON string `"hello"`, and an
    // empty box as `""`.
    let server = Server::start();
    let json = Some("application/json");
    assert_greets(&post(&server, "/api/HelloRust", json, br#""hello""#), None);
    assert_greets(&post(&server, "/api/HelloRust", json, br#""""#), None);
}

#[test]
fn json_name_that_is_not_a_string_answers_the_default_text() {
    let server = Server::start();
    let json = Some("application/json");
    assert_greets(
        &post(&server, "/api/HelloRust", json, br#"{"name":42}"#),
        None,
    );
    assert_greets(
        &post(&server, "/api/HelloRust", json, br#"{"name":""}"#),
        None,
    );
    assert_greets(&post(&server, "/api/HelloRust", json, b"{}"), None);
}

#[test]
fn post_without_body_answers_the_default_text() {
    let server = Server::start();
    assert_greets(
        &post(&server, "/api/HelloRust", Some("application/json"), b""),
        None,
    );
}

// ---- Methods and paths -------------------------------------------------------------------------

#[test]
fn head_has_get_headers_and_no_body() {
    let server = Server::start();
    let agent = agent();
    let got = send(agent.get(&server.url("/api/HelloRust?name=Shing")), None);
    let head = send(agent.head(&server.url("/api/HelloRust?name=Shing")), None);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("65"));
    assert!(head.body.is_empty());
    let without_date = |a: &Answer| -> Vec<(String, String)> {
        a.headers
            .iter()
            .filter(|(n, _)| n != "date")
            .cloned()
            .collect()
    };
    assert_eq!(without_date(&head), without_date(&got));
    // The keep-alive connection is still in step after the bodiless answer.
    let after = send(agent.get(&server.url("/api/HelloRust?name=Next")), None);
    assert_greets(&after, Some("Next"));
}

#[test]
fn put_and_delete_are_405_with_allow() {
    let server = Server::start();
    let agent = agent();
    for answer in [
        send(agent.put(&server.url("/api/HelloRust")), Some(b"name=x")),
        send(agent.delete(&server.url("/api/HelloRust")), None),
        send(agent.request("PATCH", &server.url("/api/hellorust")), None),
    ] {
        assert_eq!(answer.status, 405, "{answer:?}");
        assert_eq!(answer.header("Allow"), Some("GET, HEAD, POST"));
        assert_eq!(answer.header("Content-Type"), Some(TEXT_PLAIN));
        assert_eq!(answer.text(), "Method Not Allowed");
    }
}

#[test]
fn unknown_path_is_404() {
    let server = Server::start();
    for target in [
        "/",
        "/api",
        "/api/",
        "/api/Nope",
        "/api/HelloRust/extra",
        "/HelloRust",
    ] {
        let answer = get(&server, target);
        assert_eq!(answer.status, 404, "{target}");
        assert_eq!(answer.header("Content-Type"), Some(TEXT_PLAIN), "{target}");
        assert_eq!(answer.text(), "Not Found", "{target}");
    }
    let answer = post(&server, "/api/Nope", Some("application/json"), b"{}");
    assert_eq!(answer.status, 404);
}

// ---- What the host forwards --------------------------------------------------------------------

#[test]
fn host_forwarded_request_shape_greets() {
    let server = Server::start();
    let request = agent()
        .get(&server.url("/api/HelloRust?code=abc&name=Atlas"))
        .set("Host", "localhost:7071")
        .set("X-Azure-Functions-HostVersion", "4.1037.0.0")
        .set(
            "X-Azure-Functions-InvocationId",
            "6e7a1f4c-3b5d-4c2a-9f0e-8d1b2c3a4e5f",
        )
        .set("User-Agent", "curl/8.5.0 Azure-Functions-Host/4.1037.0.0")
        .set("Accept", "*/*");
    assert_greets(&send(request, None), Some("Atlas"));
}

#[test]
fn host_forwarded_post_with_function_key_header_greets() {
    // The Azure URL of Execute Function Now: lower-cased route, `?code=` and `x-functions-key`.
    let server = Server::start();
    let request = agent()
        .post(&server.url("/api/hellorust?code=key"))
        .set("Host", "myapp.azurewebsites.net")
        .set("x-functions-key", "master")
        .set("Content-Type", "application/json; charset=utf-8")
        .set("X-Azure-Functions-HostVersion", "4.1037.0.0")
        .set(
            "X-Azure-Functions-InvocationId",
            "0b7a2c1d-1111-2222-3333-444455556666",
        );
    assert_greets(&send(request, Some(br#"{"name":"Azure"}"#)), Some("Azure"));
}

#[test]
fn every_response_has_a_date_header() {
    // `send` checks the Date of every answer; here across statuses and methods on one agent.
    let server = Server::start();
    let agent = agent();
    let statuses: Vec<u16> = [
        send(agent.get(&server.url("/api/HelloRust")), None),
        send(agent.head(&server.url("/api/HelloRust")), None),
        send(agent.get(&server.url("/")), None),
        send(agent.delete(&server.url("/api/HelloRust")), None),
        send(
            agent
                .post(&server.url("/api/HelloRust"))
                .set("Content-Type", "application/json"),
            Some(b"{"),
        ),
    ]
    .iter()
    .map(|a| a.status)
    .collect();
    assert_eq!(statuses, [200, 200, 404, 405, 400]);
}

#[test]
fn keep_alive_agent_serves_many_requests() {
    let server = Server::start();
    let agent = agent();
    for i in 0..20 {
        let name = format!("N{i}");
        let answer = send(
            agent.get(&server.url(&format!("/api/HelloRust?name={name}"))),
            None,
        );
        assert_greets(&answer, Some(&name));
        assert_eq!(answer.header("Connection"), None);
    }
}
