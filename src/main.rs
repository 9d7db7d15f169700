//! The handler executable the Functions host starts: read the port, listen, serve.

use std::process::ExitCode;

use handler::server;

fn main() -> ExitCode {
    // One line per panic on stderr (the host logs stderr at Error level); the request that
    // panicked is answered 500 and the worker goes on.
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string().replace('\n', " ");
        eprintln!("handler: {message}");
    }));
    let var = std::env::var_os(server::PORT_VAR).map(|v| v.to_string_lossy().into_owned());
    let port = match server::port_from_env(var.as_deref()) {
        Ok(port) => port,
        Err(message) => {
            eprintln!("handler: {message}");
            // Not 0 (the host would not restart) nor 200 (a free restart): a real failure.
            return ExitCode::from(2);
        }
    };
    let listener = match server::bind(port) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("handler: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::from(1);
        }
    };
    let default_note = if var.is_none() {
        " (FUNCTIONS_CUSTOMHANDLER_PORT unset, using 3000)"
    } else {
        ""
    };
    println!("listening on http://127.0.0.1:{port}{default_note}");
    server::serve(listener, handler::router::Router::builtin())
}
