//! The `Date` header's IMF-fixdate (RFC 9110 §5.6.7), from the system clock, with no crates.

use std::cell::RefCell;
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// Formats seconds since the Unix epoch as `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn imf_fixdate(unix_seconds: u64) -> String {
    let mut text = String::with_capacity(29);
    write_imf_fixdate(&mut text, unix_seconds);
    text
}

/// `imf_fixdate`, appended to `out`: the cache reuses its text's memory.
fn write_imf_fixdate(out: &mut String, unix_seconds: u64) {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds / 86_400;
    let secs = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
}

/// Year, month (1-12) and day (1-31) of a day count since 1970-01-01, by Howard Hinnant's
/// `civil_from_days` for the proleptic Gregorian calendar.
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

thread_local! {
    /// The last second formatted on this thread: responses within one second share the text, and
    /// the next second is written over it, so the per-request path never allocates for it.
    static CACHE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// The current time as an IMF-fixdate, formatted at most once per second per thread.
pub fn now() -> String {
    with_now(str::to_string)
}

/// Calls `f` with the current time as an IMF-fixdate, borrowed from the per-thread cache.
pub fn with_now<R>(f: impl FnOnce(&str) -> R) -> R {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            cache.0 = secs;
            cache.1.clear();
            write_imf_fixdate(&mut cache.1, secs);
        }
        f(&cache.1)
    })
}
