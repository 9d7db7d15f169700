//! The handler executable the Functions host starts: the shipped function table, served.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    handler::run(handler::functions::FUNCTIONS)
}
