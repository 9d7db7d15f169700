//! host.json's `functionTimeout` and the .NET TimeSpan it is written in, read as the host reads
//! them; a timer's schedule may be a TimeSpan too.

use std::time::Duration;

use crate::azure::appfiles::FunctionTimeout;
use crate::azure::json::Value;

/// `functionTimeout`, checked as the host checks it (`ScriptJobHostOptionsSetup`): a TimeSpan
/// of at least a second, or `-1` for none. The host does not start with another.
pub(super) fn function_timeout(value: Option<&Value>) -> Result<FunctionTimeout, String> {
    let text = match value {
        None | Some(Value::Null) => return Ok(FunctionTimeout::Default),
        Some(Value::String(text) | Value::Number(text)) => text.trim(),
        Some(_) => return Err("functionTimeout is not a string".to_string()),
    };
    // The configuration binder reads an empty value as none.
    if text.is_empty() {
        return Ok(FunctionTimeout::Default);
    }
    let (negative, span) = (text.strip_prefix('-')).map_or((false, text), |rest| (true, rest));
    match (negative, time_span(span)) {
        (_, None) => Err(format!(
            "functionTimeout {text:?} is not a TimeSpan (hh:mm:ss, or d.hh:mm:ss)"
        )),
        (true, Some(length)) if length == Duration::from_secs(24 * 3600) => {
            Ok(FunctionTimeout::Unbounded)
        }
        (true, Some(_)) => Err(format!(
            "functionTimeout {text:?} is negative; the host takes only -1, for no limit"
        )),
        (false, Some(length)) if length < Duration::from_secs(1) => Err(format!(
            "functionTimeout {text:?} is shorter than the host's least, 00:00:01"
        )),
        (false, Some(length)) => Ok(FunctionTimeout::After(length)),
    }
}

/// A .NET TimeSpan without its sign, as `TimeSpan.Parse` reads it: `d`, `[d.]hh:mm`,
/// `[d.]hh:mm:ss[.fffffff]` or `d:hh:mm:ss[.fffffff]`; hours below 24 and minutes and seconds
/// below 60, but a first part above 23 is days (`25:00:00` is 25 days, as .NET reads it).
#[inline(never)]
pub(super) fn time_span(text: &str) -> Option<Duration> {
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    // Seconds, with up to seven digits of fraction.
    let seconds = |s: &str| -> Option<(u64, u32)> {
        match s.split_once('.') {
            None => Some((number(s)?, 0)),
            Some((whole, fraction)) if fraction.len() <= 7 => {
                let nanos = number(fraction)? * 10u64.pow(9 - fraction.len() as u32);
                Some((number(whole)?, nanos as u32))
            }
            Some(_) => None,
        }
    };
    let parts: Vec<&str> = text.split(':').collect();
    let (days, first) = match parts[0].split_once('.') {
        None => (None, number(parts[0])?),
        Some((days, hours)) if parts.len() > 1 => (Some(number(days)?), number(hours)?),
        Some(_) => return None,
    };
    let (d, h, m, (s, nanos)) = match (&parts[1..], days) {
        ([], _) => (first, 0, 0, (0, 0)),
        ([mm], Some(d)) => (d, first, number(mm)?, (0, 0)),
        ([hh], None) if first > 23 => (first, number(hh)?, 0, (0, 0)),
        ([mm], None) => (0, first, number(mm)?, (0, 0)),
        ([mm, ss], Some(d)) => (d, first, number(mm)?, seconds(ss)?),
        ([hh, mm], None) if first > 23 => (first, number(hh)?, number(mm)?, (0, 0)),
        ([mm, ss], None) => (0, first, number(mm)?, seconds(ss)?),
        ([hh, mm, ss], None) => (first, number(hh)?, number(mm)?, seconds(ss)?),
        _ => return None,
    };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let secs = ((d * 24 + h) * 60 + m) * 60 + s;
    // Past `TimeSpan.MaxValue` (i64::MAX ticks of 100 ns, 10675199.02:48:05.4775807) .NET's
    // parse overflows, and the host does not start.
    let ticks = u128::from(secs) * 10_000_000 + u128::from(nanos / 100);
    (ticks <= i64::MAX as u128).then(|| Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::appfiles::tests::parse;

    #[test]
    fn function_timeout_is_read_as_the_host_reads_it() {
        let timeout =
            |json: &str| function_timeout(parse(json).unwrap().get_ignore_case("functionTimeout"));
        let after = |secs: u64| Ok(FunctionTimeout::After(Duration::from_secs(secs)));
        assert_eq!(timeout("{}"), Ok(FunctionTimeout::Default));
        assert_eq!(
            timeout(r#"{"functionTimeout":null}"#),
            Ok(FunctionTimeout::Default)
        );
        assert_eq!(timeout(r#"{"functionTimeout":"00:05:00"}"#), after(300));
        assert_eq!(
            timeout(r#"{"FunctionTimeout":" 1.02:03:04 "}"#),
            after(93_784)
        );
        assert_eq!(timeout(r#"{"functionTimeout":"00:10"}"#), after(600));
        // The longest TimeSpan there is.
        assert_eq!(
            timeout(r#"{"functionTimeout":"10675199.02:48:05.4775807"}"#),
            Ok(FunctionTimeout::After(Duration::new(
                922_337_203_685,
                477_580_700
            )))
        );
        assert_eq!(timeout(r#"{"functionTimeout":"1.02:03"}"#), after(93_780));
        // The least the host takes is itself taken.
        assert_eq!(timeout(r#"{"functionTimeout":"00:00:01"}"#), after(1));
        assert_eq!(timeout(r#"{"functionTimeout":"2"}"#), after(2 * 86_400));
        assert_eq!(
            timeout(r#"{"functionTimeout":""}"#),
            Ok(FunctionTimeout::Default)
        );
        // .NET reads a first part above 23 as days, and takes d:hh:mm:ss with colons.
        assert_eq!(
            timeout(r#"{"functionTimeout":"24:00:00"}"#),
            after(24 * 86_400)
        );
        assert_eq!(
            timeout(r#"{"functionTimeout":"24:00"}"#),
            after(24 * 86_400)
        );
        // Up to 23 the first part is still hours.
        assert_eq!(timeout(r#"{"functionTimeout":"23:30"}"#), after(84_600));
        assert_eq!(timeout(r#"{"functionTimeout":"23:59:59"}"#), after(86_399));
        assert_eq!(
            timeout(r#"{"functionTimeout":"1:02:03:04"}"#),
            after(93_784)
        );
        assert_eq!(
            timeout(r#"{"functionTimeout":"-1"}"#),
            Ok(FunctionTimeout::Unbounded)
        );
        assert_eq!(
            timeout(r#"{"functionTimeout":"-1.00:00:00"}"#),
            Ok(FunctionTimeout::Unbounded)
        );
        assert_eq!(
            timeout(r#"{"functionTimeout":"00:00:01.5"}"#),
            Ok(FunctionTimeout::After(Duration::from_millis(1500)))
        );
        for (json, reason) in [
            (r#""5 minutes""#, "is not a TimeSpan"),
            (r#""00:60:00""#, "is not a TimeSpan"),
            (r#""24:60:00""#, "is not a TimeSpan"),
            (r#""00:00:75""#, "is not a TimeSpan"),
            (r#""10.12""#, "is not a TimeSpan"),
            (r#""1:2:3:4:5""#, "is not a TimeSpan"),
            (r#""00:00:00.12345678""#, "is not a TimeSpan"),
            // Ten digits of days: past TimeSpan.MaxValue, which .NET refuses.
            (r#""1234567890""#, "is not a TimeSpan"),
            (r#""10675200""#, "is not a TimeSpan"),
            (r#""10675199.02:48:05.4775808""#, "is not a TimeSpan"),
            (r#""-00:05:00""#, "the host takes only -1"),
            (r#""00:00:00.5""#, "shorter than the host's least"),
            ("true", "functionTimeout is not a string"),
        ] {
            let error = timeout(&format!(r#"{{"functionTimeout":{json}}}"#)).unwrap_err();
            assert!(error.contains(reason), "{json}: {error}");
        }
    }
}
