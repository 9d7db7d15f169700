//! The command line: `funchost [start] …` and `funchost invoke NAME …`.

use std::path::PathBuf;
use std::time::Duration;

use crate::host::DEFAULT_FUNCTION_TIMEOUT;

pub const HELP: &str = "\
funchost: a local stand-in for the Azure Functions host, for custom handlers (no func, no .NET).

Usage:
  funchost [start] [--app DIR] [--port 7071] [--handler PATH]
  funchost invoke NAME [--data FILE|-] [--method M] [--path P] [--header 'K: V']...
                       [--app DIR] [--handler PATH]

start    Reads DIR/host.json and DIR/*/function.json, starts the handler as the host does
         (FUNCTIONS_CUSTOMHANDLER_PORT on a free port, FUNCTIONS_APP_ROOT_PATH = DIR, cwd =
         workingDirectory or DIR, ready when GET / answers, restarted by the host's exit-code
         rules), and serves
         http://localhost:PORT/api/<route> in the app's mode: forwarding
         (enableForwardingHttpRequest), payload (JSON invocations, the default) or proxying
         (enableProxyingHttpRequest). Non-HTTP functions: POST /admin/functions/NAME {\"input\":…}.
invoke   Starts the handler, sends one call, prints the reply on stdout, stops the handler.
         HTTP functions get an HTTP request (method GET, or POST with --data; path: the
         function's URL) in the app's mode; other functions get a payload-mode invocation with
         Data.<trigger> = the JSON in --data. Exit status 0 on a 2xx, 1 otherwise.

Options:
  --app DIR               the function app root (default: the current directory)
  --port N                start: the port to listen on, 127.0.0.1 only (default 7071)
  --handler PATH          the handler executable (default: host.json defaultExecutablePath,
                          relative to DIR when that file exists, else looked up on PATH)
  --data FILE|-           invoke: the request body, or the trigger's JSON (- reads stdin)
  --method M, --path P    invoke: method and path+query of the HTTP request
  --header 'K: V'         invoke: a request header (repeatable)
  --function-timeout S    seconds before a call fails and the handler restarts (default 1800)
  --watch-stdin           start: stop (and kill the handler) when stdin reaches end of file
  -h, --help              this help

Logs: one line per call (function, status, ms); handler stdout as `handler: …`, stderr as
`handler error: …`. Local settings: local.settings.json `Values` become environment variables.
";

/// What `invoke` sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    /// `--data`: a file, or `-` for stdin.
    pub data: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: Vec<(String, String)>,
}

/// Options shared by both commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    pub app: PathBuf,
    pub handler: Option<PathBuf>,
    pub function_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Start {
        common: Common,
        port: u16,
        watch_stdin: bool,
    },
    Invoke {
        common: Common,
        call: Call,
    },
}

/// Parses the arguments after the program name.
///
/// # Errors
/// A one-line message for an unknown option, a missing or bad value.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut args = args.iter().map(String::as_str).peekable();
    let invoke = match args.peek() {
        Some(&"start") => {
            args.next();
            false
        }
        Some(&"invoke") => {
            args.next();
            true
        }
        Some(&"help") => return Ok(Command::Help),
        _ => false,
    };
    let mut common = Common {
        app: PathBuf::from("."),
        handler: None,
        function_timeout: DEFAULT_FUNCTION_TIMEOUT,
    };
    let mut port = 7071u16;
    let mut watch_stdin = false;
    let mut name = None;
    let mut data = None;
    let mut method = None;
    let mut path = None;
    let mut headers = Vec::new();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg, None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next().map(str::to_string))
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let only = |allowed: bool| -> Result<(), String> {
            if allowed {
                Ok(())
            } else {
                let command = if invoke { "invoke" } else { "start" };
                Err(format!("{flag} is not an option of funchost {command}"))
            }
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--app" => common.app = PathBuf::from(value()?),
            "--handler" => common.handler = Some(PathBuf::from(value()?)),
            "--function-timeout" => {
                let text = value()?;
                let secs: u64 = text.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                    format!("--function-timeout {text:?} is not a number of seconds")
                })?;
                common.function_timeout = Duration::from_secs(secs);
            }
            "--port" => {
                only(!invoke)?;
                let text = value()?;
                port = text
                    .parse()
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(|| format!("--port {text:?} is not a port number (1-65535)"))?;
            }
            "--watch-stdin" => {
                only(!invoke)?;
                watch_stdin = true;
            }
            "--data" => {
                only(invoke)?;
                data = Some(value()?);
            }
            "--method" => {
                only(invoke)?;
                let m = value()?;
                if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(format!("--method {m:?} is not an HTTP method"));
                }
                method = Some(m.to_ascii_uppercase());
            }
            "--path" => {
                only(invoke)?;
                let p = value()?;
                if !p.starts_with('/') || p.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
                    return Err(format!(
                        "--path {p:?} must start with / and be percent-encoded"
                    ));
                }
                path = Some(p);
            }
            "--header" => {
                only(invoke)?;
                let h = value()?;
                let (k, v) = h
                    .split_once(':')
                    .filter(|(k, _)| !k.trim().is_empty())
                    .ok_or_else(|| format!("--header {h:?} is not 'Name: value'"))?;
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            _ if flag.starts_with('-') => {
                return Err(format!("unknown option {flag} (see funchost --help)"))
            }
            _ if invoke && name.is_none() => name = Some(arg.to_string()),
            _ => return Err(format!("unexpected argument {arg:?} (see funchost --help)")),
        }
    }
    if !invoke {
        return Ok(Command::Start {
            common,
            port,
            watch_stdin,
        });
    }
    let name = name.ok_or("invoke needs a function name: funchost invoke NAME")?;
    let call = Call {
        name,
        data,
        method,
        path,
        headers,
    };
    Ok(Command::Invoke { common, call })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        parse(&args)
    }

    #[test]
    fn start_defaults_and_options() {
        let common = Common {
            app: PathBuf::from("."),
            handler: None,
            function_timeout: DEFAULT_FUNCTION_TIMEOUT,
        };
        let default = Command::Start {
            common: common.clone(),
            port: 7071,
            watch_stdin: false,
        };
        assert_eq!(parse_str(""), Ok(default.clone()));
        assert_eq!(parse_str("start"), Ok(default));
        let parsed =
            parse_str("start --app=a --port 8080 --handler ./h --watch-stdin --function-timeout 5")
                .unwrap();
        let expected = Command::Start {
            common: Common {
                app: PathBuf::from("a"),
                handler: Some(PathBuf::from("./h")),
                function_timeout: Duration::from_secs(5),
            },
            port: 8080,
            watch_stdin: true,
        };
        assert_eq!(parsed, expected);
        assert_eq!(parse_str("--help"), Ok(Command::Help));
        assert_eq!(parse_str("help"), Ok(Command::Help));
    }

    #[test]
    fn invoke_options() {
        let args: Vec<String> = [
            "invoke",
            "HelloRust",
            "--data",
            "-",
            "--method",
            "post",
            "--path",
            "/api/x?a=1",
            "--header",
            "X-A: 1",
            "--header",
            "B:2",
        ]
        .map(str::to_string)
        .to_vec();
        let Command::Invoke { call, .. } = parse(&args).unwrap() else {
            panic!("not an invoke")
        };
        let expected = Call {
            name: "HelloRust".into(),
            data: Some("-".into()),
            method: Some("POST".into()),
            path: Some("/api/x?a=1".into()),
            headers: vec![("X-A".into(), "1".into()), ("B".into(), "2".into())],
        };
        assert_eq!(call, expected);
    }

    #[test]
    fn errors_are_one_line() {
        for (line, message) in [
            ("--port", "--port needs a value"),
            ("--port 0", "--port \"0\" is not a port number (1-65535)"),
            ("--bogus", "unknown option --bogus (see funchost --help)"),
            (
                "start --data x",
                "--data is not an option of funchost start",
            ),
            (
                "invoke",
                "invoke needs a function name: funchost invoke NAME",
            ),
            (
                "invoke F --port 1",
                "--port is not an option of funchost invoke",
            ),
            (
                "invoke F G",
                "unexpected argument \"G\" (see funchost --help)",
            ),
            (
                "invoke F --header nocolon",
                "--header \"nocolon\" is not 'Name: value'",
            ),
            (
                "invoke F --path x",
                "--path \"x\" must start with / and be percent-encoded",
            ),
        ] {
            assert_eq!(parse_str(line), Err(message.to_string()), "{line}");
        }
    }
}
