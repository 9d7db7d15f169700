//! funchost: a local stand-in for the Azure Functions host, for developing and testing a custom
//! handler without `func` or .NET. A development tool: never part of the deployed package.
//!
//! It does what azure-host.md §7 lists: starts the handler the way the host does
//! (`process`), reaches it with the host's HTTP client behaviour (`client`), and serves
//! `/api/<route>` on the handler library's own server (`front`) in forwarding (`forward`),
//! payload (`invocation`, `reply`) or proxying (`proxy`) mode (`host`); `invoke` sends one call.
#![forbid(unsafe_code)]

mod cli;
mod client;
mod forward;
mod front;
mod host;
mod invocation;
mod invoke;
mod limits;
mod log;
mod process;
mod proxy;
mod reply;
mod scaffold;
mod settings;
mod util;
mod watch;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use handler::azure::appfiles::{self, AppConfig};

use crate::cli::{Call, Command, Common};
use crate::front::Front;
use crate::host::Host;
use crate::invocation::Given;
use crate::limits::READY_WAIT;
use crate::log::Log;
use crate::process::{Launch, Supervisor};
use crate::settings::{LocalSettings, DEFAULT_PORT};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(watch::WATCH) {
        // Exit codes above 255 cannot be given; a handler's are at most 128 + 64.
        return ExitCode::from(watch::main(&args[1..]) as u8);
    }
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(message) => {
            say(&message);
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            Log::Console.plain(cli::HELP.trim_end());
            return ExitCode::SUCCESS;
        }
        Command::Start {
            common,
            port,
            watch_stdin,
        } => start(&common, port, watch_stdin),
        Command::Invoke { common, call } => run_invoke(&common, &call),
        Command::New(scaffold) => scaffold::create(&scaffold).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|message| {
        say(&message);
        ExitCode::FAILURE
    })
}

/// Says on stderr why funchost stops. A closed stderr (`funchost ... 2>&1 | head -1`) must not
/// turn the exit status into a panic's.
fn say(message: &str) {
    Log::Stderr.plain(&format!("funchost: {message}"));
}

/// The app at `dir`, its root made absolute; its warnings logged.
fn load_app(dir: &Path, log: Log) -> Result<AppConfig, String> {
    let root = dir
        .canonicalize()
        .map_err(|e| format!("cannot open the app folder {}: {e}", dir.display()))?;
    let app = appfiles::load(&root)?
        .ok_or_else(|| format!("no host.json in {} (give --app DIR)", root.display()))?;
    for warning in &app.warnings {
        log.warn(warning);
    }
    Ok(app)
}

/// The host of `app`, its handler started, or none when it has no functions (the host starts
/// none).
fn start_host(
    app: AppConfig,
    common: &Common,
    env: Vec<(String, String)>,
    log: Log,
    given: Given,
) -> Result<Arc<Host>, String> {
    let handler = if app.functions.is_empty() {
        log.warn(&format!(
            "No functions found in {}: no handler is started.",
            app.root.display()
        ));
        None
    } else {
        let launch = Launch::new(&app, common.handler.as_deref(), env)?;
        let port = handler::http::unused_port()
            .map_err(|e| format!("no free port for the handler: {e}"))?;
        Some(Supervisor::start(launch, port, log))
    };
    let host = Host::new(app, handler, log, common.function_timeout, given)?;
    Ok(Arc::new(host))
}

fn start(common: &Common, port: Option<u16>, watch_stdin: bool) -> Result<ExitCode, String> {
    let log = Log::Console;
    let app = load_app(&common.app, log)?;
    let settings = LocalSettings::read(&app.root, log);
    for warning in settings.warnings(&app) {
        log.warn(&warning);
    }
    let port = port.or(settings.port).unwrap_or(DEFAULT_PORT);
    let listener = handler::http::listen(port).map_err(|e| {
        let taken = e.kind() == std::io::ErrorKind::AddrInUse;
        let hint = if taken {
            " (another funchost or func start? give --port N, or Host.LocalHttpPort in \
             local.settings.json)"
        } else {
            ""
        };
        format!("cannot listen on 127.0.0.1:{port}: {e}{hint}")
    })?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let host = start_host(app, common, settings.values, log, Given::default())?;
    if let Some(handler) = &host.handler {
        if let Err(why) = handler.wait_ready(READY_WAIT) {
            handler.stop();
            return Err(format!("the handler did not start: {why}"));
        }
    }
    print_functions(&host, port, log);
    // The host stops when it gives up on the handler.
    let watched = Arc::clone(&host);
    thread::spawn(move || {
        if let Some(handler) = &watched.handler {
            if let Some(why) = handler.wait_failed() {
                handler.stop();
                say(&why);
                std::process::exit(1);
            }
        }
    });
    if watch_stdin {
        let watched = Arc::clone(&host);
        thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            if let Some(handler) = &watched.handler {
                handler.stop();
            }
            watched.log.info("stdin closed: stopped.");
            std::process::exit(0);
        });
    }
    handler::http::serve(listener, Arc::new(Front(host)))
}

/// The function list, as `func start` prints it, and the mode of each HTTP function.
fn print_functions(host: &Host, port: u16, log: Log) {
    let functions = &host.app.functions;
    if !functions.is_empty() {
        log.plain("\nFunctions:\n");
    }
    let base = format!("http://localhost:{port}");
    let mut modes = Vec::new();
    for function in functions.iter().filter(|f| f.is_http()) {
        let methods = match function.methods() {
            [] => String::new(),
            methods => format!("[{}]", methods.join(",").to_ascii_uppercase()),
        };
        let (name, path) = (&function.name, host::public_path(&host.app, function));
        log.plain(&format!("\t{name}: {methods} {base}{path}\n"));
        modes.push(format!("{name} {}", host.mode(function).describe()));
    }
    // The host runs these on their schedule or their service's events; funchost has neither.
    for function in functions.iter().filter(|f| !f.is_http()) {
        let (name, kind) = (&function.name, function.trigger().map_or("", |t| &t.kind));
        log.plain(&format!(
            "\t{name}: {kind} (run it with funchost invoke {name}, or POST {{\"input\":…}} to {base}/admin/functions/{name})\n"
        ));
    }
    if !modes.is_empty() {
        log.info(&format!("HTTP calls: {}", modes.join("; ")));
    }
    log.info(&format!(
        "Host started on {base} (funchost, local stand-in for the Functions host)."
    ));
}

fn run_invoke(common: &Common, call: &Call) -> Result<ExitCode, String> {
    let log = Log::Stderr;
    let app = load_app(&common.app, log)?;
    // A command-line mistake, as cli::parse's are: exit status 2, nothing started. So is a
    // function the app does not have, a path or method that does not reach it, and a file or
    // value given that cannot be used (an input the function lacks, a file that cannot be read
    // or is not what its binding takes).
    let Some(function) = app.function(&call.name).cloned() else {
        let list = util::names(app.functions.iter().map(|f| f.name.as_str()));
        say(&format!(
            "no function named {} in {} (functions: {list})",
            call.name,
            app.root.display()
        ));
        return Ok(ExitCode::from(2));
    };
    let prepared = invoke::check_options(&function, host::mode_of(&app, &function), call)
        .and_then(|()| invoke::prepare(&app, &function, call));
    let (given, sent) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            say(&message);
            return Ok(ExitCode::from(2));
        }
    };
    let settings = LocalSettings::read(&app.root, log);
    let host = start_host(app, common, settings.values, log, given)?;
    let status = invoke::run(Arc::clone(&host), &function, call, sent);
    if let Some(handler) = &host.handler {
        handler.stop();
    }
    status
}
