//! A std-only custom handler for Azure Functions, in two tiers.
//!
//! - [`http`]: an HTTP/1.1 server on `std` alone that serves any [`http::Handler`] (request in,
//!   response out). It knows nothing of Azure.
//! - [`azure`]: the Functions app, one such handler. At start-up, [`run`] reads the app's
//!   host.json and function.json files into routes; each request reaches a function in
//!   [`functions`], forwarded as is or as the host's JSON invocation (payload mode), with its
//!   input bindings, trigger metadata and output bindings.
//!
//! A function is a plain `fn(&Request) -> Response`, registered by name in a table.
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

// What a function is written with: its request and response, its bindings' data, the table.
pub use azure::bindings::BindingError;
pub use azure::input::Input;
pub use azure::outputs::Output;
pub use azure::request::Request;
pub use azure::response::Response;
pub use azure::start::run;
pub use azure::{json, query, triggers, Function};
