//! Start-up and the accept loop: the port from the environment, the listening socket, and
//! handing each connection to the pool.

use std::io::{ErrorKind, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::thread;

use crate::conn::{Conn, Slot};
use crate::limits::{ACCEPT_BACKOFF, MAX_CONNECTIONS, WRITE_TIMEOUT};
use crate::pool::Pool;
use crate::router::Router;

/// The variable the Functions host sets to the port it will send requests to.
pub const PORT_VAR: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";

/// The port when `PORT_VAR` is unset, as the usual recipe and the quickstart use.
pub const DEFAULT_PORT: u16 = 3000;

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

/// Binds 127.0.0.1: the host always connects to the IPv4 loopback address, never "localhost"
/// (which may resolve to ::1), and nothing outside the machine should reach the handler.
///
/// # Errors
/// The OS error, e.g. the port in use.
pub fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

/// Accepts connections forever, handing each to the pool. Never returns: every error is
/// per-connection or transient, and the loop backs off and goes on (tiny_http#283).
pub fn serve(listener: TcpListener, router: Router) -> ! {
    let pool = Pool::new(router);
    pool.prestart();
    let open = Arc::new(AtomicUsize::new(0));
    let mut failing = false;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                failing = false;
                let Some(slot) = Slot::take(&open, MAX_CONNECTIONS) else {
                    refuse_overloaded(stream);
                    continue;
                };
                // Responses go out in one write, so Nagle's delay would only add latency.
                let _ = stream.set_nodelay(true);
                if stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err() {
                    continue;
                }
                pool.submit(Conn::new(stream, slot));
            }
            // A connection reset while waiting in the backlog: nothing to do.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                // Out of file descriptors or memory: say so once per spell, and back off
                // rather than spin until connections close.
                if !failing {
                    eprintln!("handler: accept failed, backing off: {e}");
                    failing = true;
                }
                thread::sleep(ACCEPT_BACKOFF);
            }
        }
    }
}

/// Past `MAX_CONNECTIONS`: answer 503 and close, without blocking the accept loop.
fn refuse_overloaded(mut stream: TcpStream) {
    const BODY: &str = "Service Unavailable: too many open connections\n";
    let _ = stream.set_nonblocking(true);
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        crate::date::now(),
        BODY.len()
    );
    // Read what the client already sent, so closing does not reset the answer away.
    let mut sink = [0u8; 4096];
    let _ = std::io::Read::read(&mut stream, &mut sink);
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
}
