//! The functions this handler serves, registered by name in one table.
//!
//! A function's name is its folder in the app (`HelloRust/function.json`). Adding one is a file
//! here with a `pub fn run(&Request) -> Response`, a line in `FUNCTIONS`, and its folder with a
//! function.json in the app (README, "Adding a function"). At start-up every function.json must
//! have a function here of the same name; routes and methods come from the function.json.

pub use crate::azure::Function;

pub mod hello_rust;

/// Every function, by name.
pub static FUNCTIONS: &[Function] = &[Function {
    name: "HelloRust",
    run: hello_rust::run,
}];
