//! Small helpers without crates: invocation ids, UTC timestamps, what every mode reads of a
//! client's request.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use handler::Request;

/// The host version funchost reports in `X-Azure-Functions-HostVersion` and `User-Agent`: the
/// release azure-host.md was verified against.
pub const HOST_VERSION: &str = "4.1037.0.0";

/// `path?query` of a request, as received (`path` alone without a query).
pub fn target(req: &Request) -> String {
    match req.query() {
        "" => req.path().to_string(),
        query => format!("{}?{query}", req.path()),
    }
}

/// The header fields of a request, owned, in the order received.
pub fn owned_headers<'r>(req: &'r Request) -> impl Iterator<Item = (String, String)> + 'r {
    req.headers().map(|(n, v)| (n.to_string(), v.to_string()))
}

/// Locks, recovering from poisoning: every lock here guards plain state (a pool, a state, a
/// child), left whole at each unlock, so a panicking thread cannot leave it half-changed.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Names joined with commas for a message, or `none`.
pub fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Whether a non-zero `Content-Length` announces a body: the only body the host passes on in
/// forwarding and payload mode (a chunked one is lost, azure-host.md #7930).
pub fn announces_body(req: &Request) -> bool {
    let length = req
        .header("content-length")
        .map(|n| n.trim().parse::<u64>());
    matches!(length, Some(Ok(n)) if n > 0)
}

/// A function whose function.json holds `bindings` (JSON objects, comma-separated), for the
/// unit tests.
#[cfg(test)]
pub fn function(name: &str, bindings: &str) -> handler::azure::appfiles::FunctionConfig {
    let text = format!(r#"{{"bindings":[{bindings}]}}"#);
    handler::azure::appfiles::parse_function_json(name, text.as_bytes()).unwrap()
}

/// A request as the front door would hand it over, for the unit tests.
#[cfg(test)]
pub fn request(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Request<'static> {
    let req = headers
        .iter()
        .fold(Request::new(method, target), |req, (n, v)| {
            req.with_header(n, v)
        });
    req.with_body(body.as_bytes().to_vec())
}

/// The pids of the processes /proc shows (std has no API to list processes).
pub fn pids() -> impl Iterator<Item = u32> {
    let entries = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    entries.filter_map(|e| e.file_name().to_str()?.parse().ok())
}

/// A random version-4 GUID, `8-4-4-4-12` lower-case hex, from `/dev/urandom`; where that cannot
/// be read, from the clock, the process id and a counter, which still tells calls apart.
pub fn guid() -> String {
    let mut bytes = [0u8; 16];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
        bytes[12..].copy_from_slice(&(count as u32).to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `2025-01-01T12:00:00.123Z`: the timestamp `func start` prints before each log line.
pub fn log_time(at: SystemTime) -> String {
    let (date, nanos) = utc(at);
    format!("{date}.{:03}Z", nanos / 1_000_000)
}

/// `2025-01-01T12:00:00.1234567Z`: how Json.NET writes a UTC `DateTime` (`sys.UtcNow`).
pub fn json_time(at: SystemTime) -> String {
    let (date, nanos) = utc(at);
    format!("{date}.{:07}Z", nanos / 100)
}

/// `2025-01-01T12:00:00+00:00`: how the host sends a `DateTimeOffset` (whole seconds).
pub fn offset_time(at: SystemTime) -> String {
    format!("{}+00:00", utc(at).0)
}

/// `2025-01-01T12:00:00`: how the host sends a UTC `DateTime` (whole seconds, no zone).
pub fn utc_time(at: SystemTime) -> String {
    utc(at).0
}

/// `YYYY-MM-DDTHH:MM:SS` and the nanoseconds of the second.
fn utc(at: SystemTime) -> (String, u32) {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = handler::http::date::civil_from_days(secs / 86_400);
    let text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    (text, since.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn guids_are_version_4_and_distinct() {
        let (a, b) = (guid(), guid());
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(a
            .bytes()
            .all(|c| c == b'-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        // Version 4, variant 10xx: in every one (a random bit left unmasked shows in half).
        for id in (0..64).map(|_| guid()) {
            assert_eq!(&id[14..15], "4", "{id}");
            assert!("89ab".contains(&id[19..20]), "{id}");
        }
    }

    #[test]
    fn name_lists() {
        assert_eq!(names([].into_iter()), "none");
        assert_eq!(names(["Echo", "Timer"].into_iter()), "Echo, Timer");
    }

    #[test]
    fn timestamps() {
        let at = UNIX_EPOCH + Duration::new(1_735_732_800, 123_456_789);
        assert_eq!(log_time(at), "2025-01-01T12:00:00.123Z");
        assert_eq!(json_time(at), "2025-01-01T12:00:00.1234567Z");
        assert_eq!(offset_time(at), "2025-01-01T12:00:00+00:00");
        assert_eq!(utc_time(at), "2025-01-01T12:00:00");
        assert_eq!(
            log_time(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
