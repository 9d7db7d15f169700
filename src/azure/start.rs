//! Start-up, what the executable does: the port, the app's files, the routes, the listening
//! line, then serving forever. A custom app registers its own function table and calls `run`
//! (examples/app.rs); the shipped one is `run(functions::FUNCTIONS)`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::azure::app::App;
use crate::azure::appfiles::{self, FUNCTION_JSON, HOST_JSON};
use crate::azure::router::Router;
use crate::azure::run::Function;
use crate::http;

/// The variable the host sets to the app root; without it the working directory is the root.
const APP_ROOT_VAR: &str = "FUNCTIONS_APP_ROOT_PATH";

/// Set to `1` for one stdout line per request: method, path, status, microseconds and the
/// host's invocation id. Off by default: the host logs every stdout line.
const LOG_VAR: &str = "HANDLER_LOG_REQUESTS";

/// Serves the functions of `table`, as the app's files in the app root route them, on the port
/// the host gives. Returns only on a start-up error, whose one line is on stderr: exit code 2
/// for a bad port, 1 for bad app files or a port that cannot be bound (never 0, after which
/// the host would not restart the handler, nor 200, a free restart).
///
/// On stdout, one line: `listening on http://127.0.0.1:PORT (functions: HelloRust [GET,POST
/// /api/HelloRust])`. With no host.json in the app root (the binary run on its own), every
/// function of `table` is served at `/api/<Name>` and `POST /<Name>`, and the line says so.
pub fn run(table: &'static [Function]) -> ExitCode {
    // One line per panic on stderr (the host logs stderr at Error level); the request that
    // panicked is answered 500 and the worker goes on. Written without `eprintln!`, which
    // panics when stderr's reader has gone: a panic in the hook aborts the process.
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string().replace('\n', " ");
        let _ = writeln!(std::io::stderr(), "handler: {message}");
    }));
    let var = std::env::var_os(PORT_VAR).map(|v| v.to_string_lossy().into_owned());
    let port = match port_from_env(var.as_deref()) {
        Ok(port) => port,
        Err(message) => {
            eprintln!("handler: {message}");
            return ExitCode::from(2);
        }
    };
    let (router, about) = match routes(table) {
        Ok(routes) => routes,
        Err(message) => {
            eprintln!("handler: {message}");
            return ExitCode::from(1);
        }
    };
    let listener = match http::listen(port) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("handler: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::from(1);
        }
    };
    let default_note = if var.is_none() {
        format!(" ({PORT_VAR} unset, using {DEFAULT_PORT})")
    } else {
        String::new()
    };
    println!("listening on http://127.0.0.1:{port}{default_note} ({about})");
    // Read once here: per request the check is one bool, so logging off costs nothing.
    let log_requests = std::env::var_os(LOG_VAR).is_some_and(|v| v == "1");
    http::serve(listener, Arc::new(App::new(router, log_requests)))
}

/// The variable the Functions host sets to the port it will send requests to.
const PORT_VAR: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";

/// The port when `PORT_VAR` is unset, as the usual recipe and the quickstart use.
const DEFAULT_PORT: u16 = 3000;

/// The port to listen on, from the value of `PORT_VAR` (`None` when unset).
///
/// # Errors
/// A one-line message naming the variable and the bad value: anything but a decimal number
/// from 1 to 65535 with no spaces or sign.
pub fn port_from_env(value: Option<&str>) -> Result<u16, String> {
    let Some(value) = value else {
        return Ok(DEFAULT_PORT);
    };
    let valid = !value.is_empty() && value.len() <= 5 && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u16>() {
        Ok(port) if valid && port != 0 => Ok(port),
        _ => Err(format!(
            "{PORT_VAR}={value:?} is not a port number (1-65535)"
        )),
    }
}

/// The routes from the app's files, and what the listening line says about them. Warns on
/// stderr about each function of `table` the app has no function.json for.
fn routes(table: &'static [Function]) -> Result<(Router, String), String> {
    let root = app_root();
    let Some(app) = appfiles::load(&root)? else {
        let router = Router::builtin_for(table);
        let about = format!(
            "no {HOST_JSON} in {}, built-in functions: {}",
            root.display(),
            router.describe()
        );
        return Ok((router, about));
    };
    let router = Router::from_app(&app, table)?;
    // The host logs stderr lines containing "warn" at Warning level.
    for warning in &app.warnings {
        eprintln!("handler: warning: {warning}");
    }
    for function in table.iter().filter(|f| app.function(f.name).is_none()) {
        eprintln!(
            "handler: warning: {name} is registered but {} has no {name}/{FUNCTION_JSON}, so the \
             host never calls it",
            root.display(),
            name = function.name
        );
    }
    let about = format!("functions: {}", router.describe());
    Ok((router, about))
}

/// `FUNCTIONS_APP_ROOT_PATH`, else the working directory.
fn app_root() -> PathBuf {
    match std::env::var_os(APP_ROOT_VAR) {
        Some(root) if !root.is_empty() => PathBuf::from(root),
        _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}
