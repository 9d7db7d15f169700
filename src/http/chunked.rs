//! Decoding of `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1). No I/O: the caller
//! feeds whatever bytes have arrived and gets back how many were used and whether the body ended.

use crate::http::error::HttpError;
use crate::http::limits::{
    MAX_BODY_BYTES, MAX_CHUNK_EXTENSION_BYTES, MAX_CHUNK_LINE_BYTES, MAX_TRAILER_BYTES,
};
use crate::http::parse::{is_field_value_byte, is_tchar};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Hex digits of a chunk size.
    Size,
    /// After the size: whitespace (BWS), before `;` or CR.
    SizeSpace,
    /// `;ext=val` up to CR.
    Extension,
    /// The LF that ends the size line.
    SizeLf,
    /// Chunk data, this many bytes still to come.
    Data(usize),
    /// The CR then LF after a chunk's data.
    DataCr,
    DataLf,
    /// At the start of a trailer line, or of the final empty line.
    TrailerStart,
    /// A trailer field line, checked as a header line is and discarded: its name, then its
    /// value up to CR. A line that is not a field ends the body in error, so that nothing a
    /// client meant as the next request is read as a trailer.
    TrailerName,
    TrailerValue,
    TrailerLf,
    /// The LF of the final empty line.
    EndLf,
    Done,
}

/// A chunked-body decoder that can be fed any split of the input.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    size: usize,
    digits: usize,
    line_bytes: usize,
    trailer_bytes: usize,
    extension_bytes: usize,
    total: usize,
    /// Most bytes of data the body may hold.
    limit: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder for a request body: at most `MAX_BODY_BYTES` of data.
    pub fn new() -> Self {
        Self::with_limit(MAX_BODY_BYTES)
    }

    /// A decoder for a body of at most `limit` bytes of data: a client reading responses has
    /// limits of its own (or none, when it streams them on), not a request body's.
    pub fn with_limit(limit: usize) -> Self {
        ChunkedDecoder {
            state: State::Size,
            size: 0,
            digits: 0,
            line_bytes: 0,
            trailer_bytes: 0,
            extension_bytes: 0,
            total: 0,
            limit,
        }
    }

    /// Whether the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes as much of `input` as possible, appending chunk data to `body`. Returns the
    /// number of bytes used: all of `input` unless the body ended inside it, in which case the
    /// rest belongs to the next request.
    ///
    /// # Errors
    /// `Chunked` for malformed framing, `BodyTooLarge` once the data passes the limit (`MAX_BODY_BYTES`),
    /// `HeadTooLarge` once the trailer fields pass `MAX_TRAILER_BYTES`.
    pub fn decode(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<usize, HttpError> {
        let mut i = 0;
        while i < input.len() && self.state != State::Done {
            if let State::Data(remaining) = self.state {
                let n = remaining.min(input.len() - i);
                body.extend_from_slice(&input[i..i + n]);
                i += n;
                self.state = if n == remaining {
                    State::DataCr
                } else {
                    State::Data(remaining - n)
                };
                continue;
            }
            self.step(input[i])?;
            i += 1;
        }
        Ok(i)
    }

    fn step(&mut self, b: u8) -> Result<(), HttpError> {
        self.state = match self.state {
            State::Size => {
                self.count_line_byte()?;
                match b {
                    b'\r' if self.digits > 0 => State::SizeLf,
                    b';' if self.digits > 0 => State::Extension,
                    b' ' | b'\t' if self.digits > 0 => State::SizeSpace,
                    _ => {
                        let digit = (b as char).to_digit(16).ok_or(HttpError::Chunked)? as usize;
                        // Leading zeros are legal, so count value overflow, not digits.
                        self.size = self
                            .size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(digit))
                            .ok_or(HttpError::BodyTooLarge)?;
                        self.digits += 1;
                        if self.total.saturating_add(self.size) > self.limit {
                            return Err(HttpError::BodyTooLarge);
                        }
                        State::Size
                    }
                }
            }
            // `chunk-size BWS ";"`: only whitespace may stand between the size and `;` or CR.
            State::SizeSpace => {
                self.count_line_byte()?;
                self.count_extension_byte()?;
                match b {
                    b' ' | b'\t' => State::SizeSpace,
                    b';' => State::Extension,
                    b'\r' => State::SizeLf,
                    _ => return Err(HttpError::Chunked),
                }
            }
            // Extensions are legal and ignored; only their length and characters are checked:
            // tokens, quoted strings, `;`, `=` and whitespace (RFC 9112 §7.1.1) are all bytes a
            // field value may hold, so a control byte or DEL is refused, as in a header.
            State::Extension => {
                self.count_line_byte()?;
                self.count_extension_byte()?;
                match b {
                    b'\r' => State::SizeLf,
                    b if is_field_value_byte(b) => State::Extension,
                    _ => return Err(HttpError::Chunked),
                }
            }
            State::SizeLf => {
                expect(b, b'\n')?;
                self.line_bytes = 0;
                self.digits = 0;
                let size = std::mem::take(&mut self.size);
                self.total = self.total.saturating_add(size);
                if size == 0 {
                    State::TrailerStart
                } else {
                    State::Data(size)
                }
            }
            State::DataCr => expect(b, b'\r').map(|()| State::DataLf)?,
            State::DataLf => expect(b, b'\n').map(|()| State::Size)?,
            State::TrailerStart if b == b'\r' => State::EndLf,
            State::TrailerStart | State::TrailerName | State::TrailerValue => {
                self.trailer_byte(b)?
            }
            State::TrailerLf => expect(b, b'\n').map(|()| State::TrailerStart)?,
            State::EndLf => expect(b, b'\n').map(|()| State::Done)?,
            // `decode` copies data itself and stops at Done; neither reaches here.
            State::Data(_) | State::Done => return Err(HttpError::Chunked),
        };
        Ok(())
    }

    fn count_extension_byte(&mut self) -> Result<(), HttpError> {
        self.extension_bytes += 1;
        if self.extension_bytes > MAX_CHUNK_EXTENSION_BYTES {
            return Err(HttpError::Chunked);
        }
        Ok(())
    }

    fn count_line_byte(&mut self) -> Result<(), HttpError> {
        // Counts the line up to its CR; with the LF that must follow, the line reaches the limit.
        self.line_bytes += 1;
        if self.line_bytes >= MAX_CHUNK_LINE_BYTES {
            return Err(HttpError::Chunked);
        }
        Ok(())
    }

    /// A byte of a trailer field line (RFC 9112 §7.1.2: the syntax of a header field line):
    /// counted against the trailer limit, checked, and discarded.
    fn trailer_byte(&mut self, b: u8) -> Result<State, HttpError> {
        self.trailer_bytes += 1;
        if self.trailer_bytes > MAX_TRAILER_BYTES {
            return Err(HttpError::HeadTooLarge);
        }
        match (self.state, b) {
            (State::TrailerStart | State::TrailerName, b) if is_tchar(b) => Ok(State::TrailerName),
            (State::TrailerName, b':') => Ok(State::TrailerValue),
            (State::TrailerValue, b'\r') => Ok(State::TrailerLf),
            (State::TrailerValue, b) if is_field_value_byte(b) => Ok(State::TrailerValue),
            _ => Err(HttpError::Chunked),
        }
    }
}

fn expect(got: u8, want: u8) -> Result<(), HttpError> {
    if got == want {
        Ok(())
    } else {
        Err(HttpError::Chunked)
    }
}
