//! The Azure layer's limits, each with its unit and the reason for its value: how much JSON a
//! function may read and an invocation may carry, and how much a reply may write. The server's
//! own (bodies, heads, connections, timeouts) are in `crate::http::limits`.
//!
//! # Memory
//!
//! A parsed JSON value costs 30 to 120 bytes however short its text, so these limits, beside the
//! text of its strings and numbers (at most the body's 8 MiB), bound what reading JSON costs a
//! serving thread: a client's body at most `JSON_MAX_VALUES` (about 4 MB), an HTTP trigger's
//! invocation at most `INVOCATION_MAX_VALUES` (about 9 MB; about 21 MiB a thread with the body
//! and its parse, 1.3 GiB if all 64 held one).
//! Data from the app's services is allowed `SERVICE_DATA_MAX_VALUES`, built only when the
//! function reads it: one such parse takes up to about 95 MB on musl (measured at the worst
//! density, an object of one-letter keys and one-digit values; a realistic 8 MB Event Hubs batch
//! of JSON events takes about 100 MB), and a typed helper that returns its own copy
//! (`EventGridEvent`, `Timer`) holds up to three such trees for a moment. The host runs tens of
//! these invocations at once on an instance at most (an Event Hubs batch per partition, 24
//! queue messages, a Cosmos DB batch per lease), so with large batches their size, not the
//! server, sets the memory: size them to the plan (`maxEventBatchSize`,
//! `maxItemsPerInvocation`, `batchSize`).
//!
//! Text a function makes from a request can outgrow it, and no value count bounds that: a form's
//! bytes that are not UTF-8 read as U+FFFD, three bytes each, so HelloRust's greeting to an 8 MiB
//! form can be 24 MiB; payload mode writes an invocation's `Query` as the host forwards it, `%XX`
//! for most bytes (up to three times the text, 24 MiB for 8), and its reply escapes control
//! characters (`\u0001`, six bytes, for a form's `%01` of three). Measured (VmHWM of one request
//! of 8 MiB): a JSON name 16 MiB, a form name of such bytes 32 MiB, a `Query` 40 MiB; clients
//! sending them without pause (100, 100 and 64) took 0.5, 1.2 and 1.3 GiB.

use crate::http::limits::MAX_BODY_BYTES;

// ---- JSON ---------------------------------------------------------------------------------------

/// Deepest nesting of arrays and objects the JSON reader accepts. The reader recurses, so this
/// bounds its stack use; host payloads nest about 5 deep.
pub const JSON_MAX_DEPTH: usize = 64;

/// Largest JSON document the reader accepts, in bytes. Request bodies are already capped by
/// `MAX_BODY_BYTES`; this is the same cap, stated for readers called on other input.
pub const JSON_MAX_BYTES: usize = MAX_BODY_BYTES;

/// Most values (numbers, strings, literals, arrays, objects) in one JSON document. A parsed
/// value takes 30-80 bytes however short its text (`1,` is two bytes), so a body of small values
/// would cost about 33 times its size without this: 8 MiB became 270 MB. 50,000 values bound a
/// parse to about 4 MB while host payloads hold a few dozen.
pub const JSON_MAX_VALUES: usize = 50_000;

/// Deepest nesting in a host's payload-mode invocation: a document it carries (an HTTP
/// body's members in `Metadata`, an event's data in `Data.<trigger>`) sits up to three levels
/// down, so any a function may read (`JSON_MAX_DEPTH`) fits.
pub const INVOCATION_MAX_DEPTH: usize = JSON_MAX_DEPTH + 3;

/// Most values in a host's invocation. The host copies a JSON body's members into `Metadata`
/// and sends an Event Grid event's data both in `Data` and in `Metadata`, so an invocation
/// holds a document's values up to twice, plus its own: any document a function may read
/// (`JSON_MAX_VALUES`) fits. About 9 MB at most, parsed, at `JSON_MAX_VALUES`'s rate.
pub const INVOCATION_MAX_VALUES: usize = 2 * JSON_MAX_VALUES + 10_000;

/// Most values in data that the app's services send through the host, chosen by whoever
/// writes to them rather than by a caller of an HTTP function: a trigger's other than HTTP (a
/// Cosmos DB change-feed batch, an Event Hubs batch and its metadata columns), an input
/// binding's (a blob or documents read as JSON), and the invocation that carries them. The host
/// sets no such limit, and refusing the data loses it (a Cosmos DB trigger checkpoints past a
/// failed batch): 100 documents of 600 values each broke `JSON_MAX_VALUES`. Most such data
/// takes 8 bytes or more a value, so an invocation under `MAX_BODY_BYTES` holds fewer than
/// this; what a parse costs is in the module's docs.
pub const SERVICE_DATA_MAX_VALUES: usize = 1 << 20;

// ---- Bindings -----------------------------------------------------------------------------------

/// Most output items (messages, documents) one invocation may write through all its output
/// bindings. The host reads the whole reply into memory and writes each item with a call to
/// its service; a function writing more in one invocation should fan the work out (a queue of
/// batches), and a cap keeps a runaway loop from building an unbounded reply. Past it, the
/// invocation fails with the reason, so the trigger's retry rules apply.
pub const MAX_OUTPUT_ITEMS: usize = 10_000;
