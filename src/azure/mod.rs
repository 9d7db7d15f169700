//! The Azure Functions app: its files, routes, payload mode and start-up, and what a function
//! sees of its bindings (`request`, `input`, `response`, `outputs`, `triggers`).

pub mod app;
pub mod appfiles;
pub mod base64;
pub mod bindings;
pub mod host_inputs;
pub mod host_outputs;
pub mod input;
pub mod json;
pub mod limits;
pub mod outputs;
pub mod payload;
pub mod query;
pub mod request;
pub mod response;
pub mod router;
mod run;
pub mod start;
pub mod template;
pub mod triggers;

pub use run::Function;
