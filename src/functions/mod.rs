//! The functions this handler serves, registered by name in one table.
//!
//! A function's name is its folder in the app (`HelloRust/function.json`). Adding one is a file
//! here with a `pub fn run(&Request) -> Response`, a line in `FUNCTIONS`, and its folder with a
//! function.json in the app (README, "Adding a function"). At start-up every function.json must
//! have a function here of the same name; routes and methods come from the function.json.

use crate::azure::request::Request;
use crate::azure::response::Response;

pub mod hello_rust;

/// A function registered under the name of its folder in the app.
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub run: fn(&Request) -> Response,
}

/// Every function, by name.
pub static FUNCTIONS: &[Function] = &[Function {
    name: "HelloRust",
    run: hello_rust::run,
}];

/// The function of `table` called `name`, compared ignoring ASCII case.
pub fn find(table: &'static [Function], name: &str) -> Option<&'static Function> {
    table.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}
