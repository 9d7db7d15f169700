//! Every limit and timeout of the server, each with its unit and the reason for its value; the
//! Azure layer's (JSON, bindings) are in `crate::azure::limits`.
//!
//! # Memory
//!
//! Bounded by the limits, whatever the load: an idle connection costs its socket (and the bytes of
//! a head that has started, at most `MAX_HEAD_BYTES + READ_CHUNK`, or up to `PENDING_KEEP_BYTES`
//! kept from its last hand-off); a serving thread (at most `MAX_WORKERS`) its stack
//! (`WORKER_STACK_BYTES` reserved, a few pages touched) and a `Scratch`: a read buffer of at most
//! `MAX_HEAD_BYTES + READ_CHUNK` (`MAX_HEAD_BYTES + BODY_READ_CHUNK` once a chunked body read in
//! pieces has left the next request's bytes after its head), a body of at most `MAX_BODY_BYTES`
//! (8 MiB), and the answers it is writing, each held once (a large one is encoded in its own buffer
//! and waits for a slow client in it); bodies and outputs beyond `SCRATCH_KEEP_BYTES` are freed
//! after each request. Answers waiting for clients slow to read them take at most
//! `MAX_UNSENT_BYTES` (64 MiB) in all; past it, the thread waits on such a client instead. Worst
//! case: `MAX_CONNECTIONS × 56 KiB` (112 MiB) of started heads, plus 64 MiB of unsent answers, plus
//! `MAX_WORKERS × MAX_BODY_BYTES` (64 × 8 MiB) of bodies, plus, for each of those workers, the
//! answer its handler returns and what it builds to make it. No limit here bounds those: an answer
//! is as large as the handler makes it, and text made from a body can outgrow the body (the Azure
//! app's: `crate::azure::limits`, up to about 40 MiB a request, so 2.5 GiB with all 64 workers
//! busy). Measured: see the README's Benchmarks.

use std::time::Duration;

// ---- Request parsing ----------------------------------------------------------------------------

/// Largest request head (request line + headers + the blank line), in bytes. The host's
/// front end (Kestrel) accepts a request line of 8 KiB and 32 KiB of headers; the host forwards
/// every header and adds three of its own. So that no request the host accepted is refused here
/// (16 KiB refused some), 48 KiB; beyond it the answer is 431. A worker's read buffer grows to
/// this and a read chunk only when a head needs it.
pub const MAX_HEAD_BYTES: usize = 48 * 1024;

/// Longest request target (path + query), in bytes. Anything longer answers 414. 8 KiB matches
/// what most servers and proxies accept (RFC 9112 §3 recommends supporting at least 8000 octets).
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// Longest method, in bytes. The longest registered method (`UPDATEREDIRECTREF`) has 17; a
/// longer "method" is noise, refused as soon as it passes this length.
pub const MAX_METHOD_BYTES: usize = 32;

/// Most header fields in one request. Proxies in front of the host add a dozen (X-Forwarded-*,
/// X-ARR-*, traceparent...); tiny servers that capped this at 16 or 32 broke behind them
/// (may_minihttp#18, cinatra#211). The host's Kestrel lets 100 through and adds three: 128.
/// Beyond it the answer is 431.
pub const MAX_HEADERS: usize = 128;

/// Most bytes read in one call into a connection's buffer (heads, and bodies that come with
/// them), and the step by which a worker's read buffer grows. A typical request arrives in one
/// read; a worker's buffer grows to at most `MAX_HEAD_BYTES` plus this (a head and what follows
/// it), and keeps that size.
pub const READ_CHUNK: usize = 8 * 1024;

/// Most bytes read in one call for the rest of a body the head did not bring: large bodies
/// arrive in a few large reads, and a body is buffered whole anyway (`MAX_BODY_BYTES`).
pub const BODY_READ_CHUNK: usize = 64 * 1024;

/// Largest request body, in bytes, decided from `Content-Length` before any of it is read, or
/// while decoding a chunked body. Bodies are buffered whole before the function runs, so this
/// bounds memory per busy worker. The host itself accepts 100 MB; a function that needs more
/// than 8 MiB should take a blob reference instead. Beyond it the answer is 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Longest chunk-size line (size, extensions and CRLF) in a chunked body, in bytes. Chunk
/// extensions are legal but unused; a cap stops a client from streaming an endless line
/// (hyper's `CHUNKED_EXTENSIONS_LIMIT` serves the same purpose).
pub const MAX_CHUNK_LINE_BYTES: usize = 1024;

/// Largest trailer section after the last chunk, in bytes of its field lines up to each CR (the
/// LFs and the final empty line are not counted). Trailers are parsed and discarded, so this
/// bounds time, not memory.
pub const MAX_TRAILER_BYTES: usize = 8 * 1024;

/// Total chunk-extension bytes allowed in one chunked body. Extensions are legal and ignored,
/// but unbounded they let a client send gigabytes of framing for a few bytes of data (hyper caps
/// them the same way).
pub const MAX_CHUNK_EXTENSION_BYTES: usize = 16 * 1024;

// ---- Connections and workers --------------------------------------------------------------------

/// Open connections at most. Past it, a new connection gets `503 Service Unavailable` with
/// `Connection: close`. Each idle connection costs a socket and no buffer; one mid-head costs
/// at most `MAX_HEAD_BYTES`. 2048 leaves room under the usual 4096-20000 open-file limits; a
/// lower limit lowers the cap with it (see `FD_RESERVE`).
pub const MAX_CONNECTIONS: usize = 2048;

/// Open files kept free of connections: the connection cap is lowered to the process's
/// open-file limit less this, so that past the cap `accept` still gets a descriptor to answer
/// 503 with rather than failing. It covers stdio, the listener, the connection being refused,
/// and files the standard library opens briefly (a starting worker reads the CPU quota).
pub const FD_RESERVE: usize = 32;

/// How much of what a client sent is read before it is refused past `MAX_CONNECTIONS`, so that
/// closing does not reset the `503` away; one non-blocking read, on the accept loop.
pub const REFUSAL_READ_BYTES: usize = 4096;

/// After `accept` fails for want of a resource (out of file descriptors or memory), the accept
/// loop sleeps this long before trying again, so an exhausted system is not spun on. A
/// connection reset in the backlog is no such failure: the loop goes straight on.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Most worker threads. Workers run functions; they never wait on a client except for at most
/// `MAX_LINGERING` of them, `MAX_BODY_WAITING` waiting for bodies and `MAX_WRITE_WAITING`
/// writing answers that cannot wait, so that 8 are always left for requests that have arrived
/// whole (and lingering ones give theirs back when jobs wait). Functions here are short and
/// CPU-bound or waiting on I/O; 64 keeps a 2-core machine busy while bounding stacks and body
/// buffers. (96
/// served 3-9 % fewer requests/s at 128 and 512 busy connections: a burst of new connections
/// starts a thread for each, up to the cap.)
pub const MAX_WORKERS: usize = 64;

/// Workers kept at rest: a free worker beyond them exits after `WORKER_IDLE_EXIT`. Two, whatever
/// the core count: a burst that needs more spawns them (tens of µs each), and reading the core
/// count when the pool first shrinks mapped 64 KiB more code into every idle handler (its RSS
/// went from 280 to 344 KiB).
pub const RESTING_WORKERS: usize = 2;

/// Most workers that may wait on their own idle keep-alive connection (see `LINGER`): so at
/// ordinary loads up to this many connections (the host's pool, one per concurrent
/// invocation) are answered the moment a request comes, with no CPU spent meanwhile, as with a
/// readiness API. A connection past them is swept, and the sweeper spends up to `POLL_SPIN` of a
/// core on each request that comes singly: with 16, 32 paced clients took 2.4 times warp's CPU
/// and 1.8 times its mean latency; with 32, less than warp's. A lingering worker holds about
/// 16 KiB. Kept under `MAX_WORKERS` so that idle connections can never hold the workers a
/// waiting client needs.
pub const MAX_LINGERING: usize = 32;

/// Most workers waiting on the socket for the rest of a request body at once. Past it, a
/// request whose body has not fully arrived gets `503` and the connection closes, so slow
/// uploads can hold at most this many workers: with `MAX_LINGERING` and `MAX_WRITE_WAITING`,
/// 56 of `MAX_WORKERS` at most ever wait on clients, and 8 are always there for requests that
/// have arrived whole. Bodies from the host arrive at memory speed; this is for slow clients of
/// funchost or of a handler run on its own.
pub const MAX_BODY_WAITING: usize = 16;

/// Most threads (workers, or a sweeper the watchdog has relieved) writing at once an answer
/// that finds no room in `MAX_UNSENT_BYTES`, each waiting on its client up to `WRITE_TIMEOUT`.
/// Past it such an answer is given up and the connection closed, as before there was room to
/// wait: without a bound, clients that ask for large answers and never read them held every
/// worker for `WRITE_TIMEOUT` once the budget was spent (70 of them kept a new client waiting
/// 7 s for a 5-byte answer), where they used to be closed at once. Such answers are rare (past
/// 64 MiB, or beside many waiting), so a few threads suffice.
pub const MAX_WRITE_WAITING: usize = 8;

/// Stack size of a worker thread. Functions run on it; 256 KiB is plenty for request handling
/// and only the touched pages count towards memory.
pub const WORKER_STACK_BYTES: usize = 256 * 1024;

/// How long a free worker above the resting pool size waits for work before it exits, so the
/// pool shrinks back after a burst.
pub const WORKER_IDLE_EXIT: Duration = Duration::from_secs(10);

// ---- Deadlines ----------------------------------------------------------------------------------

/// How long a worker waits on its own connection for the next request before handing the idle
/// connection to the sweeper: as long as the host keeps an idle pooled connection (60 s). The
/// host's requests on a connection then never go through the sweeper at ordinary loads, however
/// far apart; a swept connection quiet for long is read only every `POLL_MAX_PAUSE` (when no
/// busy ones are served), and with a 0.5 s linger a client asking every 0.7 s waited 1 ms for
/// its answer instead of 0.15.
/// `MAX_LINGERING` bounds the threads this holds.
pub const LINGER: Duration = Duration::from_secs(60);

/// How often a lingering worker looks up from its wait: when jobs are waiting with every one of
/// `MAX_WORKERS` busy, it parks its quiet connection and takes one, so idle connections never
/// hold threads that work needs for longer than this. (Lingering a minute, 32 quiet
/// connections halved what 60 clients of a 100 ms function got; found by review.) One wake-up
/// per lingering worker per check, a few µs each.
pub const LINGER_CHECK: Duration = Duration::from_millis(500);

/// How long a worker goes on answering one client's pipelined requests while jobs wait with every
/// one of `MAX_WORKERS` busy, before it passes the connection, with the bytes it has read, to the
/// back of the queue: a client that keeps its pipeline full held its worker for as long as it
/// sent, and a new client queued behind 64 such waited 1.6 to 9 s (tens of ms with this). Long
/// enough that a connection changes workers at most 100 times a second, however small the
/// pieces its client writes: each change is a hand-off through the queue and a wake-up.
pub const PIPELINE_SLICE: Duration = Duration::from_millis(10);

/// How long a worker waits for the rest of a request head that has started to arrive before
/// handing the connection to the sweeper, so that slow clients never hold a worker.
pub const HEAD_LINGER: Duration = Duration::from_millis(10);

/// A request head must arrive completely within this time from its first byte, or the
/// connection gets `408 Request Timeout` and is closed (slowloris). Real clients send a head in
/// one packet; 10 s is generous for a slow network and short enough to shed trickling clients.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The whole of a request body must arrive within this time from the end of its head. With
/// `MAX_BODY_WAITING`, it bounds how long slow uploads can hold workers; 30 s lets the largest
/// body (8 MiB) through at 280 KB/s, and loopback from the host delivers at memory speed.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Each read of a request body must return data within this time, so a body keeps flowing or
/// the connection is closed. Loopback from the host delivers bodies at memory speed.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// An idle keep-alive connection is closed after this long without a request. The host's
/// HttpClient drops a pooled connection idle past 60 s only when its scavenging timer next runs,
/// every quarter of that (`HttpConnectionPoolManager`: `ScavengesPerIdle = 4`), and checks no
/// idle time when it takes one from the pool: so it may send on a connection idle up to 75 s.
/// Staying open 5 s longer than that means the host drops first and never sends a request onto
/// a connection we are closing (RFC 9112 §9.5 race). At 65 s, connections idle 65-75 s were
/// ours to close, and a request the host sent as we did was lost or retried.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(80);

/// Answers a client has not taken this long after they were written (`WRITE_STALL`) are given up
/// and the connection is closed. Responses are small; a client that cannot take them in 10 s is
/// gone. Also the write timeout of a connection a handler takes over.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest a worker's write waits for a client to make room (the socket's write timeout; Linux
/// rounds it up to a scheduler tick). What the client has not taken by then waits with the
/// connection, which the sweeper writes, without waiting, as the client reads: so a client that
/// sends requests and does not read the answers holds no worker.
pub const WRITE_STALL: Duration = Duration::from_millis(10);

/// After refusing a request whose body may still be arriving (a 413, say), or closing with
/// input unread (requests pipelined after a `close`), the server reads and discards up to this
/// much for up to `REFUSAL_DRAIN_TIME` before closing, so the client (or a proxy such as nginx
/// still writing the body) reads the answer instead of a reset. Covers the host's own 100 MB
/// body limit. The sweeper drains, reading what has arrived at each look: no worker waits on a
/// closing client (a worker that did, 100 ms each, let 1000 refused clients delay a new one by
/// 2 s).
pub const REFUSAL_DRAIN_BYTES: usize = 128 * 1024 * 1024;

/// See `REFUSAL_DRAIN_BYTES`.
pub const REFUSAL_DRAIN_TIME: Duration = Duration::from_secs(2);

/// Bytes read per call while draining a refused connection (see `REFUSAL_DRAIN_BYTES`), into
/// the sweeper's body buffer (kept this large between requests: `SCRATCH_KEEP_BYTES`).
pub const DRAIN_CHUNK: usize = 64 * 1024;

/// Most reads of one draining connection per look of the sweeper: 1 MiB, so a client still
/// sending is drained at hundreds of MB/s (a look every round, rounds at most `POLL_MAX_PAUSE`
/// apart) and one look takes well under a millisecond.
pub const DRAIN_READS: usize = 16;

// ---- Buffers kept and unsent answers ------------------------------------------------------------

/// Most bytes of answers, over all connections, that wait for clients that are slow to read them
/// (each connection's at most `FLUSH_AT` plus one response, since it is not read meanwhile).
/// An answer that finds no room here is written at once, the thread waiting on its client up to
/// `WRITE_TIMEOUT`, and the connection closed if the client has not taken it by then.
pub const MAX_UNSENT_BYTES: usize = 64 * 1024 * 1024;

/// Encoded responses waiting to be written are flushed once they pass this size, even while
/// more pipelined requests are buffered, so a client that pipelines without reading cannot make
/// the output buffer grow without bound.
pub const FLUSH_AT: usize = 64 * 1024;

/// A worker keeps the buffers it served a request with for the next one, so that serving
/// allocates nothing once they have grown; a body or output buffer that grew past this (a large
/// upload) is freed afterwards instead, so large requests do not leave every worker holding
/// megabytes.
pub const SCRATCH_KEEP_BYTES: usize = 64 * 1024;

/// A connection the sweeper hands to a worker carries the bytes it read; it keeps the buffer
/// for its next hand-off while it is at most this large, so that a request handed over costs no
/// allocation (allocated by the sweeper, freed by a worker, it was one per request at 200
/// connections taking turns). A request from the host takes 0.3-1.5 KiB; at the connection cap
/// this keeps at most 4 MiB.
pub const PENDING_KEEP_BYTES: usize = 2048;

// ---- The sweeper and its watchdog ---------------------------------------------------------------

/// Longest pause of the sweeper between reads of its cold (idle) connections, and between
/// rounds that found no request. The pause doubles from zero while rounds find nothing, so
/// under load the sweeper goes round back to back and a request on a long-idle connection waits
/// at most this long (plus a round). A read of an idle connection costs about 0.3 µs, so with
/// 512 idle connections the sweeper uses about 6 % of a core.
pub const POLL_MAX_PAUSE: Duration = Duration::from_millis(2);

/// The first pause of the sweeper after a round that found nothing to serve; the pause doubles
/// from there, up to `POLL_MAX_PAUSE`, while rounds keep finding nothing, so a request that
/// arrives just after a busy spell waits microseconds.
pub const POLL_PAUSE_STEP: Duration = Duration::from_micros(50);

/// How long the sweeper goes on reading its hot connections, back to back and yielding the core
/// between rounds, after a round that served a request, before it pauses at all. A client that
/// waits for each answer sends its next request a few tens of microseconds later; asleep, the
/// sweeper would find it only after `POLL_PAUSE_STEP`, and with two or three such clients its
/// rounds would be mostly pauses (about 40k requests/s under `wrk -c3` on 2 cores, against 150k
/// awake). The time is as long as the first pause, spent awake: it costs at most 50 µs of a
/// core each time a busy spell ends, never while idle; so up to 50 µs per request when the
/// sweeper's requests come singly (connections past `MAX_LINGERING` at ordinary loads).
pub const POLL_SPIN: Duration = Duration::from_micros(50);

/// Longest pause between reads of the cold connections while the sweeper is serving busy ones
/// anyway, in place of `POLL_MAX_PAUSE`. A request on a quiet connection beside 128 busy ones
/// waited 2.3 ms at 2 ms, 1.6 ms at 0.5 ms (`benches/run.sh`, "beside 128 busy"); reading
/// the cold ones every round (no pause) waited about as long and served 3 % fewer requests.
pub const POLL_BUSY_PAUSE: Duration = Duration::from_micros(500);

/// Most of one core, in percent, that the sweeper spends reading connections that stay idle.
/// Past about 700 idle connections a sweep is long enough that `POLL_MAX_PAUSE` alone would let
/// it cost more (22 % at 2000); the pause then stretches to keep this share, and the first
/// request on a long-idle connection waits a few milliseconds at most (4.5 ms at 2000).
pub const POLL_MAX_SHARE: u32 = 10;

/// A swept connection with no request for this long is read only when the cold pause is due
/// (up to `POLL_MAX_PAUSE`, or `POLL_BUSY_PAUSE` beside busy ones) instead of in every round,
/// so that idle keep-alive connections cost the sweeper next to nothing while a few busy ones
/// are swept back to back.
pub const HOT_FOR: Duration = Duration::from_millis(10);

/// How late the kernel may end a server thread's timed wait (its timer slack; Linux's default
/// is 50 µs, as long as the sweeper's first pause): 1 µs, in nanoseconds as the text
/// `/proc/self/timerslack_ns` takes. Text, not a number: formatting one at start-up brought
/// 64 KiB more of the binary into memory. See `server::tighten_timer_slack`.
pub const TIMER_SLACK_NS: &str = "1000";

/// The sweeper serves the requests it finds inline, with no hand-off, while their handler takes
/// less than this (the least of the last `INLINE_COST_SAMPLES`); slower ones (a function that
/// computes) go to workers, so they run on every core, but for one per round that the sweeper
/// serves and times itself. A hand-off costs a context switch, about 5-10 µs here; a plain
/// answer takes a few µs inline.
pub const INLINE_MAX_COST: Duration = Duration::from_micros(50);

/// How many of the last requests served inline `INLINE_MAX_COST` is judged by, taking the
/// least: a preempted sweeper (a loaded machine) makes a quick request look slow now and then,
/// never eight in a row; a function that computes is slow every time.
pub const INLINE_COST_SAMPLES: usize = 8;

/// How many requests in a row, each come so soon after its worker began to wait that the
/// lingering connections bring one per `POLL_SPIN` per core, make a worker park its connection
/// when more workers linger than there are cores. Such clients wait on the server, and one
/// sweeper serves them all with no wake-up: under `wrk -c16` on 2 cores, 170k requests/s
/// against 100k with sixteen workers woken for each request. Four, so that a chance burst
/// from a client that mostly thinks keeps its worker.
pub const QUICK_WAITS: usize = 4;

/// How long the sweeper (the thread that serves busy keep-alive connections inline, see
/// `pool.rs`) may wait inside one request (on I/O, a lock, a slow client) before another
/// thread takes over the sweeping, so that a slow function delays the other connections'
/// requests by about this much at most. Waiting for a CPU does not count (see
/// `SWEEP_STALL_RUNNING`): on a busy machine every thread waits for one, and a second sweeper
/// would only add to the queue.
pub const SWEEP_STALL: Duration = Duration::from_millis(2);

/// How long the sweeper may spend on one request while running or runnable (computing, or
/// preempted) before another thread takes over: long enough that a loaded machine's time
/// slices never trigger it, short enough that a function computing for long cannot stall the
/// other connections for long.
pub const SWEEP_STALL_RUNNING: Duration = Duration::from_millis(20);

/// Longest pause between two looks of the sweeper's watchdog while the sweeper has not been
/// serving. While it serves, the watchdog looks every `SWEEP_STALL / 2`; after a quiet spell it
/// backs off to this, so idle connections cost few wake-ups.
pub const WATCH_MAX_PAUSE: Duration = Duration::from_millis(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_connections_outlive_the_hosts_pooled_ones() {
        // .NET's `PooledConnectionIdleTimeout`, and how long past it a connection may stay in
        // the pool: one period of the scavenging timer, a quarter of the timeout.
        let host_idle = Duration::from_secs(60);
        let host_keeps_at_most = host_idle + host_idle / 4;
        assert!(IDLE_TIMEOUT > host_keeps_at_most);
        // A lingering worker hands its connection to the sweeper before the deadline.
        assert!(LINGER < IDLE_TIMEOUT);
    }
}
