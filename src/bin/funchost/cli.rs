//! The command line: `funchost [start] …`, `funchost invoke NAME …` and `funchost new NAME …`.

use std::path::PathBuf;
use std::time::Duration;

use handler::http::parse::{is_field_value_byte, is_tchar};

use crate::limits::UNBOUNDED;
use crate::scaffold::{self, Scaffold};

pub const HELP: &str = "\
funchost: a local stand-in for the Azure Functions host, for custom handlers (no func, no .NET).

Usage:
  funchost [start] [--app DIR] [--port N] [--handler PATH]
  funchost invoke NAME [--data FILE|-] [--input BINDING=FILE|-]... [--metadata KEY=VALUE]...
                       [--metadata-file FILE] [--method M] [--path P] [--header 'K: V']...
                       [--app DIR] [--handler PATH]
  funchost new NAME --template http|timer|queue|blob|cosmosdb [--app DIR] [--src DIR]

start    Reads DIR/host.json and DIR/*/function.json, starts the handler as the host does
         (FUNCTIONS_CUSTOMHANDLER_PORT on a free port, ready when GET / answers, restarted by
         the host's exit-code rules) and serves http://localhost:PORT/api/<route> in the app's
         mode: forwarding, payload (JSON invocations, the default) or proxying. Other triggers:
         POST /admin/functions/NAME {\"input\":…}. Input bindings are sent as null.
invoke   Starts the handler, makes one call as the host would, stops the handler. An HTTP
         function gets a request (GET, or POST with --data) at its URL: stdout is the response.
         Another gets an invocation with --data as its trigger's content (a timer without it:
         a manual run): stdout is the reply. Every input binding is sent, null unless given.
         The log (stderr) shows what each output binding receives, checked as the host checks.
         Exit status 0 when the call succeeds (2xx, every output one the host can write).
new      Creates DIR/NAME/function.json from a trigger template, SRC/<name>.rs and its line in
         SRC/mod.rs's FUNCTIONS table; refuses to overwrite anything.

Options:
  --app DIR               the function app root (default: the current directory)
  --port N                start: the port to listen on, 127.0.0.1 only (default:
                          local.settings.json's Host.LocalHttpPort, else 7071)
  --handler PATH          the handler executable (default: host.json defaultExecutablePath,
                          in DIR when that file exists, else looked up on PATH)
  --data FILE|-           invoke: the request body, or the trigger's content (- reads stdin)
  --input BINDING=FILE|-  invoke: the content of an input binding (a blob, a document...)
  --metadata KEY=VALUE    invoke: trigger metadata; VALUE is JSON, or else a string
  --metadata-file FILE    invoke: trigger metadata, a JSON object
  --method M, --path P    invoke: method and path+query of the HTTP request
  --header 'K: V'         invoke: a request header (repeatable)
  --template T, --src SRC new: the trigger, and the functions' folder (default src/functions)
  --function-timeout S    seconds before a call fails and the handler restarts, -1 for no
                          limit (default: host.json's functionTimeout, else 1800)
  --watch-stdin           start: stop (and kill the handler) when stdin reaches end of file
  -h, --help              this help

Content (--data, --input) is a file's bytes (a message's text, a blob, a document's JSON); a
file holding one JSON string stands for its text. Logs: one line per call (function, status,
ms, outputs); handler stdout as `handler: …`, stderr as `handler error: …`.
local.settings.json `Values` become environment variables.
";

/// What `invoke` sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    /// `--data`: a file, or `-` for stdin.
    pub data: Option<String>,
    /// `--input BINDING=FILE`: the input's name and its file (or `-`).
    pub inputs: Vec<(String, String)>,
    /// `--metadata KEY=VALUE`, as given.
    pub metadata: Vec<(String, String)>,
    pub metadata_file: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: Vec<(String, String)>,
}

/// Options shared by `start` and `invoke`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    pub app: PathBuf,
    pub handler: Option<PathBuf>,
    /// `--function-timeout`, over host.json's `functionTimeout`.
    pub function_timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Start {
        common: Common,
        /// `--port`, over local.settings.json's `Host.LocalHttpPort`, else 7071.
        port: Option<u16>,
        watch_stdin: bool,
    },
    Invoke {
        common: Common,
        call: Call,
    },
    New(Scaffold),
}

/// The options that belong to some commands only (`--app` and `--help` belong to all).
const OPTIONS: [(&str, &[&str]); 13] = [
    ("--handler", &["start", "invoke"]),
    ("--function-timeout", &["start", "invoke"]),
    ("--port", &["start"]),
    ("--watch-stdin", &["start"]),
    ("--data", &["invoke"]),
    ("--input", &["invoke"]),
    ("--metadata", &["invoke"]),
    ("--metadata-file", &["invoke"]),
    ("--method", &["invoke"]),
    ("--path", &["invoke"]),
    ("--header", &["invoke"]),
    ("--template", &["new"]),
    ("--src", &["new"]),
];

/// Parses the arguments after the program name.
///
/// # Errors
/// A one-line message for an unknown option, a missing or bad value.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut args = args.iter().map(String::as_str).peekable();
    let command = match args.peek() {
        Some(&"help") => return Ok(Command::Help),
        Some(&name @ ("start" | "invoke" | "new")) => {
            args.next();
            Some(name)
        }
        _ => None,
    };
    // Without a command word first, a command word after an option is one in the wrong place.
    let misplaced = command.is_none();
    let command = command.unwrap_or("start");
    let mut common = Common {
        app: PathBuf::from("."),
        handler: None,
        function_timeout: None,
    };
    let (mut port, mut watch_stdin) = (None, false);
    let mut call = Call::default();
    let (mut name, mut template, mut src) = (None, None, PathBuf::from("src/functions"));
    let mut after_option = false;
    while let Some(arg) = args.next() {
        after_option |= misplaced && arg.starts_with('-');
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg, None),
        };
        // The next argument, unless it is another option: `--path --handler h` is a
        // forgotten path, not the path "--handler". (`--path=--x` gives such a value.)
        let mut value = || -> Result<String, String> {
            if let Some(inline) = &inline {
                return Ok(inline.clone());
            }
            match args.next() {
                Some(next) if next.starts_with("--") => Err(format!(
                    "{flag} needs a value (the next argument is {next})"
                )),
                Some(next) => Ok(next.to_string()),
                None => Err(format!("{flag} needs a value")),
            }
        };
        let of = OPTIONS.iter().find(|(option, _)| *option == flag);
        if of.is_some_and(|(_, commands)| !commands.contains(&command)) {
            return Err(format!("{flag} is not an option of funchost {command}"));
        }
        let pair = |text: String, sep: char, shape: &str| match text.split_once(sep) {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(format!("{flag} {text:?} is not {shape}")),
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--app" => common.app = PathBuf::from(value()?),
            "--handler" => common.handler = Some(PathBuf::from(value()?)),
            "--function-timeout" => {
                let text = value()?;
                // -1 is no limit, as in host.json; so is a wait past any deadline a clock can
                // hold: a century.
                let secs = match text.as_str() {
                    "-1" => u64::MAX,
                    _ => text.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                        format!(
                            "--function-timeout {text:?}: give whole seconds, at least 1, or -1 \
                             for no limit"
                        )
                    })?,
                };
                common.function_timeout = Some(Duration::from_secs(secs).min(UNBOUNDED));
            }
            "--port" => {
                let text = value()?;
                let number = text.parse().ok().filter(|&p| p != 0);
                let number = number
                    .ok_or_else(|| format!("--port {text:?} is not a port number (1-65535)"))?;
                port = Some(number);
            }
            "--watch-stdin" => watch_stdin = true,
            "--data" if call.data.is_some() => return Err("--data is given twice".into()),
            "--data" => call.data = Some(value()?),
            "--input" => call.inputs.push(pair(value()?, '=', "BINDING=FILE")?),
            "--metadata" => call.metadata.push(pair(value()?, '=', "KEY=VALUE")?),
            "--metadata-file" => call.metadata_file = Some(value()?),
            "--method" => {
                let m = value()?;
                if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(format!("--method {m:?} is not an HTTP method"));
                }
                call.method = Some(m.to_ascii_uppercase());
            }
            "--path" => {
                let p = value()?;
                if !p.starts_with('/') || p.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
                    return Err(format!(
                        "--path {p:?} must start with / and be percent-encoded"
                    ));
                }
                call.path = Some(p);
            }
            "--header" => {
                let text = value()?;
                let (k, v) = pair(text.clone(), ':', "'Name: value'")?;
                let value = v.trim();
                // What the front door would refuse 400 is refused here, before anything runs.
                let valid = k.bytes().all(is_tchar) && value.bytes().all(is_field_value_byte);
                if !valid {
                    return Err(format!("--header {text:?} is not a valid header field"));
                }
                call.headers.push((k, value.to_string()));
            }
            "--template" => {
                let t = value()?.to_ascii_lowercase();
                if !scaffold::template_names().any(|name| name == t) {
                    let known: Vec<_> = scaffold::template_names().collect();
                    let known = known.join(", ");
                    return Err(format!("--template {t:?} is not one of {known}"));
                }
                template = Some(t);
            }
            "--src" => src = PathBuf::from(value()?),
            _ if flag.starts_with('-') => {
                return Err(format!("unknown option {flag} (see funchost --help)"))
            }
            _ if command != "start" && name.is_none() => name = Some(arg.to_string()),
            "start" | "invoke" | "new" | "help" if after_option => {
                return Err(format!(
                    "{arg} must come first, before any option: funchost {arg} ... (see funchost --help)"
                ))
            }
            _ => return Err(format!("unexpected argument {arg:?} (see funchost --help)")),
        }
    }
    let name = || {
        name.ok_or(format!(
            "{command} needs a function name: funchost {command} NAME"
        ))
    };
    match command {
        "start" => Ok(Command::Start {
            common,
            port,
            watch_stdin,
        }),
        "invoke" => {
            call.name = name()?;
            Ok(Command::Invoke { common, call })
        }
        _ => Ok(Command::New(Scaffold {
            name: name()?,
            template: template
                .ok_or("new needs --template (http, timer, queue, blob, cosmosdb)")?,
            app: common.app,
            src,
        })),
    }
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
            function_timeout: None,
        };
        let default = Command::Start {
            common,
            port: None,
            watch_stdin: false,
        };
        assert_eq!(parse_str(""), Ok(default.clone()));
        assert_eq!(parse_str("start"), Ok(default));
        let parsed =
            parse_str("start --app=a --port 8080 --handler ./h --watch-stdin --function-timeout 5");
        let expected = Command::Start {
            common: Common {
                app: PathBuf::from("a"),
                handler: Some(PathBuf::from("./h")),
                function_timeout: Some(Duration::from_secs(5)),
            },
            port: Some(8080),
            watch_stdin: true,
        };
        assert_eq!(parsed, Ok(expected));
        assert_eq!(parse_str("--help"), Ok(Command::Help));
        assert_eq!(parse_str("help"), Ok(Command::Help));
    }

    #[test]
    fn invoke_options() {
        let line = "invoke GetItem --data - --method post --path /api/x?a=1 --header X-A:1 \
                    --header B:2 --input item=doc.json --input=cfg=- --metadata n=1 \
                    --metadata-file m.json";
        let Ok(Command::Invoke { call, .. }) = parse_str(line) else {
            panic!("not an invoke")
        };
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let expected = Call {
            name: "GetItem".into(),
            data: Some("-".into()),
            inputs: pairs(&[("item", "doc.json"), ("cfg", "-")]),
            metadata: pairs(&[("n", "1")]),
            metadata_file: Some("m.json".into()),
            method: Some("POST".into()),
            path: Some("/api/x?a=1".into()),
            headers: pairs(&[("X-A", "1"), ("B", "2")]),
        };
        assert_eq!(call, expected);
    }

    #[test]
    fn new_options() {
        let expected = Scaffold {
            name: "Orders".into(),
            template: "queue".into(),
            app: PathBuf::from("app"),
            src: PathBuf::from("src/functions"),
        };
        let parsed = parse_str("new Orders --template Queue --app app");
        assert_eq!(parsed, Ok(Command::New(expected)));
        let parsed = parse_str("new T --template timer --src lib/fns");
        let Ok(Command::New(scaffold)) = parsed else {
            panic!("not a new")
        };
        assert_eq!(scaffold.src, PathBuf::from("lib/fns"));
    }

    #[test]
    fn errors_are_one_line() {
        for (line, message) in [
            ("--port", "--port needs a value"),
            ("--port 0", "--port \"0\" is not a port number (1-65535)"),
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
                "invoke F --input doc",
                "--input \"doc\" is not BINDING=FILE",
            ),
            (
                "invoke F --path x",
                "--path \"x\" must start with / and be percent-encoded",
            ),
            (
                "new F",
                "new needs --template (http, timer, queue, blob, cosmosdb)",
            ),
            (
                "new F --template ftp",
                "--template \"ftp\" is not one of http, timer, queue, blob, cosmosdb",
            ),
            (
                "new F --template http --handler h",
                "--handler is not an option of funchost new",
            ),
            (
                "invoke F --path --handler h",
                "--path needs a value (the next argument is --handler)",
            ),
            ("invoke F --data a --data b", "--data is given twice"),
            // A value's `=` splits only a long option; a pair needs its name; a method, letters.
            ("-h=x", "unknown option -h=x (see funchost --help)"),
            ("invoke F --input =doc", "--input \"=doc\" is not BINDING=FILE"),
            ("invoke F --method=", "--method \"\" is not an HTTP method"),
            (
                "invoke F --function-timeout 0",
                "--function-timeout \"0\": give whole seconds, at least 1, or -1 for no limit",
            ),
            (
                "--app x invoke F",
                "invoke must come first, before any option: funchost invoke ... (see funchost --help)",
            ),
            ("start invoke", "unexpected argument \"invoke\" (see funchost --help)"),
            (
                "invoke F --data x start",
                "unexpected argument \"start\" (see funchost --help)",
            ),
        ] {
            assert_eq!(parse_str(line), Err(message.to_string()), "{line}");
        }
        // What the front door would refuse is refused before anything starts.
        let args = |header: &str| ["invoke", "F", "--header", header].map(str::to_string);
        for bad in ["Bad Name: x", "X-A: a\u{1}b"] {
            assert_eq!(
                parse(&args(bad)),
                Err(format!("--header {bad:?} is not a valid header field"))
            );
        }
        assert!(parse(&args("X-Ok: a b")).is_ok());
        // A timeout no clock can add up to is a century, not a panic at the first call; so
        // is -1, no limit.
        for secs in ["18446744073709551615", "-1"] {
            let huge = parse_str(&format!("invoke F --function-timeout {secs}"));
            let Ok(Command::Invoke { common, .. }) = huge else {
                panic!("{huge:?}")
            };
            assert_eq!(common.function_timeout, Some(UNBOUNDED));
        }
        let inline = parse(&["invoke", "F", "--data=--x"].map(str::to_string));
        assert!(
            matches!(inline, Ok(Command::Invoke { call, .. }) if call.data.as_deref() == Some("--x"))
        );
    }
}
