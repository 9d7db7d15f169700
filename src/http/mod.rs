//! The HTTP/1.1 server: accept, pool, connections, parsing, framing. Knows nothing of Azure.

pub mod chunked;
pub mod conn;
pub mod date;
pub mod error;
pub mod limits;
pub mod parse;
pub mod pool;
pub mod query;
pub mod response;
pub mod server;
