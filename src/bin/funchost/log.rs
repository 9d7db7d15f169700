//! Log lines as `func start` prints them: `[2025-01-01T12:00:00.123Z] message`, one line each.
//!
//! `start` prints information on stdout and warnings and errors on stderr. `invoke` keeps stdout
//! for the reply, so every log line goes to stderr there.

use std::io::Write;
use std::time::SystemTime;

use crate::util;

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// Information on stdout, warnings and errors on stderr (`funchost start`).
    Console,
    /// Everything on stderr (`funchost invoke`, whose stdout is the reply).
    Stderr,
}

impl Log {
    pub fn info(self, message: &str) {
        self.write(false, message);
    }

    pub fn warn(self, message: &str) {
        self.write(true, message);
    }

    pub fn error(self, message: &str) {
        self.write(true, message);
    }

    fn write(self, problem: bool, message: &str) {
        let time = util::log_time(SystemTime::now());
        self.emit(problem, &format!("[{time}] {}", one_line(message)));
    }

    /// A line without a timestamp on stdout (`Console`) or stderr, for the function list.
    pub fn plain(self, text: &str) {
        self.emit(false, text);
    }

    /// Problems, and everything of `Stderr`, on stderr; the rest on stdout, flushed. A closed
    /// stdout (`funchost | head`) must not bring the host down: the line is dropped.
    fn emit(self, problem: bool, line: &str) {
        // One write per line: unbuffered stderr would take a `writeln!` in two.
        let line = format!("{line}\n");
        if problem || self == Log::Stderr {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        } else {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }
}

/// Control characters (a handler printing `\r` or escape sequences) shown as `\u{..}` escapes,
/// so every log entry stays one line.
fn one_line(message: &str) -> String {
    if !message.chars().any(char::is_control) {
        return message.to_string();
    }
    message
        .chars()
        .map(|c| match c {
            '\t' => "\t".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(one_line("plain"), "plain");
        assert_eq!(one_line("a\r\nb\tc\u{1b}[0m"), "a\\r\\nb\tc\\u{1b}[0m");
        // Only control characters: text in any script stays as it is.
        assert_eq!(one_line("é\u{1}"), "é\\u{1}");
    }
}
