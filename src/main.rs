//! The handler executable the Functions host starts: the shipped function table, served.

fn main() -> std::process::ExitCode {
    handler::run(handler::functions::FUNCTIONS)
}
