//! The worked examples of README "Bindings", served by the same library as the shipped
//! handler: an HTTP API backed by Cosmos DB (`GetItem`, `CreateItem`), a blob-triggered
//! function that writes a transformed copy (`UppercaseBlob`) and a timer that drops a message
//! on a queue (`Enqueue`). Their function.json files are in tests/fixtures/bindings/, and
//! tests/bindings.rs runs them with the host's invocations, through the library and through
//! this binary. The shipped handler leaves them out: each needs a storage account or a
//! Cosmos DB account to run under `func start`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

mod functions;

fn main() -> ExitCode {
    handler::run(functions::FUNCTIONS)
}
