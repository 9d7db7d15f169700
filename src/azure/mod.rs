//! The Azure Functions app: its files, routes, payload mode and start-up.

pub mod app;
pub mod appfiles;
pub mod base64;
pub mod json;
pub mod payload;
pub mod request;
pub mod router;
pub mod run;
pub mod start;
