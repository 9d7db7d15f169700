//! Every limit and timeout of funchost, each with its unit and the reason for its value. Most
//! copy the Functions host's own (azure-host.md names each setting); the rest bound funchost's
//! waits and memory. The handler library's are in `handler::http::limits` and
//! `handler::azure::limits`.

use std::time::Duration;

use handler::azure::json::Limits;
use handler::azure::limits::INVOCATION_MAX_DEPTH;

// ---- The handler's process (`process`, `watch`) ---------------------------------------------

/// Between two readiness pings (`WorkerReadyCheckPollingIntervalMilliseconds`).
pub const PING_INTERVAL: Duration = Duration::from_millis(25);

/// The readiness budget, counted as the sum of the pauses between pings (`InitializationTimeout`).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Errors within this window of the previous one add up (`WorkerRestartErrorIntervalThresholdInMinutes`).
pub const ERROR_WINDOW: Duration = Duration::from_secs(30 * 60);

/// The third error in a row stops the host (`ErrorEventsThreshold`).
pub const ERROR_THRESHOLD: usize = 3;

/// How long funchost tries to connect to the handler's port before starting the handler, to
/// see whether something else already listens there. Loopback answers at once, refused or not.
pub const PORT_PROBE_TIMEOUT: Duration = Duration::from_millis(200);

/// How often the supervisor looks at the process while it runs.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(25);

/// How long an exit waits for the last lines of the process's output to be logged.
pub const OUTPUT_DRAIN: Duration = Duration::from_millis(500);

/// How long stopping the handler waits for its watcher to kill it and exit.
pub const STOP_WAIT: Duration = Duration::from_secs(2);

/// Lines of stderr kept for the exit message (`WorkerProcessUtilities.AddStdErrMessage`).
pub const STDERR_TAIL: usize = 3;

/// Longest line of the handler's output logged as one, in bytes. The host has no such bound (a
/// .NET string), but a handler that never ends its line (a progress bar redrawn with `\r` but
/// once, binary bytes) would grow funchost without end and show nothing until it exits: a
/// longer line is logged in pieces of this size, nothing dropped.
pub const MAX_OUTPUT_LINE_BYTES: usize = 64 * 1024;

/// How many bytes of the handler's output are read at once.
pub const OUTPUT_READ_BYTES: usize = 8 * 1024;

/// How often the watcher looks at the handler and at its own parent.
pub const WATCHER_POLL: Duration = Duration::from_millis(10);

/// How long a watcher that is exiting waits for the handler's last stdout lines to pass.
pub const WATCHER_OUTPUT_DRAIN: Duration = Duration::from_millis(500);

/// How long the watcher waits for the reaper to kill the handler before killing it itself;
/// well within funchost's wait for the watcher (`STOP_WAIT`).
pub const REAP_WAIT: Duration = Duration::from_secs(1);

/// How often a wait for a child process to exit (the handler, the reaper) looks at it: exits
/// are awaited for at most `REAP_WAIT` or `STOP_WAIT`, so a fine poll costs little.
pub const CHILD_EXIT_POLL: Duration = Duration::from_millis(1);

// ---- Calls (`host`, `invoke`, `proxy`) ------------------------------------------------------

/// How long a call waits for a handler that is (re)starting before it fails
/// (`(ErrorEventsThreshold + 1) × InitializationTimeout`).
pub const READY_WAIT: Duration = Duration::from_secs(120);

/// `functionTimeout` when not given: `func start` runs on a non-Consumption default, 30 min.
pub const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// `functionTimeout: "-1"`: no limit, as a wait that never ends before funchost does.
pub const UNBOUNDED: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// How much longer than the function timeout invoke waits for the front door's answer: a
/// timeout is answered 500 only once the timeout has passed, and the answer needs a moment
/// more to be written and read.
pub const ANSWER_MARGIN: Duration = Duration::from_secs(5);

/// Attempts to reach the handler before giving up (`RetryProxyHandler`).
pub const PROXY_ATTEMPTS: u32 = 10;

/// The first pause before retrying a proxied request the handler refused the connection for;
/// it doubles after each attempt, up to `PROXY_RETRY_MAX_PAUSE` (`RetryProxyHandler`).
pub const PROXY_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// The longest pause between two attempts to reach the handler (`RetryProxyHandler`).
pub const PROXY_RETRY_MAX_PAUSE: Duration = Duration::from_millis(250);

// ---- The client that reaches the handler (`client`) -----------------------------------------

/// Pooled connections idle longer than this are closed (.NET 6+ `PooledConnectionIdleTimeout`).
pub const POOL_IDLE: Duration = Duration::from_secs(60);

/// Most idle connections kept; the rest are closed when returned.
pub const POOL_MAX_IDLE: usize = 64;

/// How long a request with `Expect: 100-continue` waits for `100 Continue` before sending its
/// body anyway (.NET `Expect100ContinueTimeout`).
pub const EXPECT_CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// Largest response head accepted, in bytes (.NET's `MaxResponseHeadersLength`, 64 KiB).
pub const MAX_REPLY_HEAD_BYTES: usize = 64 * 1024;

/// Largest buffered response body, in bytes, however it is framed. The host buffers whole
/// responses (in forwarding and payload modes) up to .NET's 2 GB; 100 MiB, as the body of a
/// request the host accepts, is plenty for a local host.
pub const MAX_REPLY_BYTES: usize = 100 * 1024 * 1024;

/// Size of the chunks a chunked request body is cut into.
pub const CHUNK_BYTES: usize = 4096;

// ---- Replies (`reply`) ----------------------------------------------------------------------

/// How much of a reply funchost reads. The host reads any: these bound only funchost's memory,
/// at as many bytes as its client buffers and a million values (about 80 MB parsed), room for
/// `MAX_OUTPUT_ITEMS` documents of a hundred values each.
pub const REPLY_LIMITS: Limits = Limits {
    bytes: MAX_REPLY_BYTES,
    depth: INVOCATION_MAX_DEPTH,
    values: 1_000_000,
};

/// How much of a value a log line shows: a blob of megabytes made a line of megabytes.
pub const PREVIEW_CHARS: usize = 200;
