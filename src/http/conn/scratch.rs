//! A thread's buffers (`Scratch`): the window of bytes read and not yet used, the room to read
//! into after it, and how bytes move between it and a connection that changes threads.

use std::time::Duration;

use crate::http::limits::{MAX_HEAD_BYTES, PENDING_KEEP_BYTES, READ_CHUNK, SCRATCH_KEEP_BYTES};
use crate::http::parse::Field;

/// A thread's buffers for serving, kept from one request and connection to the next, so that
/// at steady state serving allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Bytes read and not yet used are `buf[lo..hi]`; the rest of `buf` is room to read into.
    pub(super) buf: Vec<u8>,
    pub(super) lo: usize,
    pub(super) hi: usize,
    /// The header fields of the head being answered.
    pub(super) fields: Vec<Field>,
    /// A body that did not arrive with its head, or a chunked body, decoded.
    pub(super) body: Vec<u8>,
    /// Encoded responses not yet written.
    pub(super) out: Vec<u8>,
    /// Time spent in the handler since `serve` began: what a request costs apart from its I/O.
    pub(super) handling: Duration,
}

impl Scratch {
    /// Time spent in the handler during the last `serve`.
    pub fn handling(&self) -> Duration {
        self.handling
    }

    /// The bytes read and not yet used.
    pub(super) fn window(&self) -> &[u8] {
        &self.buf[self.lo..self.hi]
    }

    /// Makes room to read into after the window, and returns it: moves the window to the
    /// start, or grows the buffer by `READ_CHUNK` up to a head and a chunk.
    pub(super) fn room(&mut self) -> &mut [u8] {
        if self.lo == self.hi {
            (self.lo, self.hi) = (0, 0);
        }
        if self.buf.len() - self.hi < READ_CHUNK / 2 {
            if self.lo > 0 {
                self.buf.copy_within(self.lo..self.hi, 0);
                (self.lo, self.hi) = (0, self.hi - self.lo);
            }
            let most = MAX_HEAD_BYTES + READ_CHUNK;
            if self.buf.len() - self.hi < READ_CHUNK / 2 && self.buf.len() < most {
                self.buf.resize((self.buf.len() + READ_CHUNK).min(most), 0);
            }
        }
        let end = self.buf.len().min(self.hi + READ_CHUNK);
        &mut self.buf[self.hi..end]
    }

    /// Takes a connection's pending bytes into the window, in front of any bytes just read for
    /// it: the sweeper reads a parked connection before it loads what it had, since most of its
    /// looks find nothing new (and would copy a parked head in and back for it).
    pub(super) fn load(&mut self, pending: &mut Vec<u8>) {
        if pending.is_empty() {
            return;
        }
        let (p, n) = (pending.len(), self.hi - self.lo);
        if self.buf.len() < p + n {
            self.buf.resize(p + n, 0);
        }
        self.buf.copy_within(self.lo..self.hi, p);
        self.buf[..p].copy_from_slice(pending);
        (self.lo, self.hi) = (0, p + n);
        if pending.capacity() > PENDING_KEEP_BYTES {
            *pending = Vec::new();
        } else {
            pending.clear();
        }
    }

    /// Gives the window's bytes back to the connection leaving this thread; empties the window.
    pub(super) fn store(&mut self, pending: &mut Vec<u8>) {
        if self.lo < self.hi {
            pending.extend_from_slice(self.window());
        }
        (self.lo, self.hi) = (0, 0);
    }

    /// After a request: frees a body or output buffer that a large request made large.
    pub(super) fn trim(&mut self) {
        if self.body.capacity() > SCRATCH_KEEP_BYTES {
            self.body = Vec::new();
        }
        if self.out.is_empty() && self.out.capacity() > SCRATCH_KEEP_BYTES {
            self.out = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handed_over_connection_keeps_a_small_buffer_for_its_next_hand_off() {
        let request = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
        let mut scratch = Scratch::default();
        let mut pending = request.to_vec();
        let kept = pending.as_ptr();
        scratch.load(&mut pending);
        assert!(pending.is_empty() && pending.capacity() >= request.len());
        scratch.store(&mut pending);
        assert_eq!((pending.as_slice(), pending.as_ptr()), (&request[..], kept));
        let mut large = vec![b'x'; PENDING_KEEP_BYTES + 1];
        scratch.load(&mut large);
        assert_eq!(large.capacity(), 0);
    }

    #[test]
    fn pending_bytes_go_in_front_of_those_just_read() {
        let mut scratch = Scratch::default();
        let room = scratch.room();
        room[..4].copy_from_slice(b"\r\n\r\n");
        scratch.hi += 4;
        scratch.lo += 2; // a used part before the window, as after a request
        let mut pending = b"GET / HTTP/1.1".to_vec();
        scratch.load(&mut pending);
        assert_eq!(scratch.window(), b"GET / HTTP/1.1\r\n");
        assert!(pending.is_empty());
    }
}
