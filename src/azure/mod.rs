//! The Azure Functions app: its files, routes, payload mode and start-up, and what a function
//! sees of its bindings (`request`, `input`, `response`, `outputs`, `triggers`).
//!
//! A function's API is re-exported at the crate root (`handler::{Request, Response, Input,
//! Output, BindingError, Function, json, query, triggers}`). The modules hidden from the docs are
//! public for funchost, the tests and the benches, which play the host's side; a function
//! has no use for them.
// Every public item says what it is: function authors and handler writers read these docs
// (your own functions, in `functions/`, are free of this).
#![warn(missing_docs)]

// What a function reads and writes.
pub mod bindings;
pub mod input;
pub mod json;
pub mod limits;
pub mod outputs;
pub mod query;
pub mod request;
pub mod response;
mod run;
pub mod triggers;

// The app and the host's side of it.
#[doc(hidden)]
pub mod app;
#[doc(hidden)]
pub mod appfiles;
#[doc(hidden)]
pub mod base64;
#[doc(hidden)]
pub mod host_inputs;
#[doc(hidden)]
pub mod host_outputs;
#[doc(hidden)]
pub mod payload;
#[doc(hidden)]
pub mod router;
pub mod start;
#[doc(hidden)]
pub mod template;

pub use run::Function;
