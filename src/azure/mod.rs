//! The Azure Functions app: its files, routes, payload mode and start-up.

pub mod app;
pub mod appfiles;
pub mod json;
pub mod payload;
pub mod request;
pub mod router;
mod run;
pub mod start;
pub mod template;
