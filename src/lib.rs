//! A std-only HTTP/1.1 custom handler for Azure Functions.
//!
//! The Functions host starts this process with `FUNCTIONS_CUSTOMHANDLER_PORT` and sends it HTTP
//! on 127.0.0.1. At start-up, `run` (in `start`) reads the app's host.json and function.json
//! files (`appfiles`) into routes. Bytes flow: `server` accepts, `pool` hands connections to
//! workers, `conn` reads and writes a connection, `parse` and `chunked` turn bytes into a request
//! with no I/O, `app` routes it (`router`) to a function in `functions`, directly for a forwarded
//! request or through `payload` for the host's JSON invocations, and `response` frames the
//! answer.
//! ARCHITECTURE.md has the map and the invariants.
#![forbid(unsafe_code)]

pub mod azure;
pub mod functions;
pub mod http;
// The randomized tests' generator: in the crate only for its own unit tests; the integration
// tests include the same file (tests/support), so it is never part of the shipped library.
#[cfg(test)]
#[allow(dead_code)] // what the unit tests leave unused, the integration tests use
mod xorshift;

pub use azure::request::Request;
pub use azure::response::Response;
pub use azure::start::run;
