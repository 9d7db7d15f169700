//! Standard base64 (RFC 4648 §4), the way the Functions host uses it: it sends bytes as base64
//! (a blob trigger, `dataType: binary` inputs, binary HTTP bodies) and tries to decode every
//! top-level string output with .NET's `Convert.FromBase64String` (azure-bindings.md §1.3).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` as padded base64, what .NET's `Convert.ToBase64String` writes. Three bytes make four
/// digits at a time, written as bytes and checked once at the end: a `char` pushed at a time
/// took 17 ms for a 3.5 MB blob output.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = vec![b'='; bytes.len().div_ceil(3) * 4];
    for (three, four) in bytes.chunks(3).zip(out.chunks_exact_mut(4)) {
        let b = [
            three[0],
            *three.get(1).unwrap_or(&0),
            *three.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        // A short last group keeps its `=` past the digits its bytes fill.
        for (i, digit) in four.iter_mut().take(three.len() + 1).enumerate() {
            *digit = ALPHABET[(n >> (18 - 6 * i) & 63) as usize];
        }
    }
    // ASCII by construction, so never the empty default.
    String::from_utf8(out).unwrap_or_default()
}

/// Standard base64 with or without padding; `None` if `text` is not that. What the host sends
/// is always padded; accepting it unpadded costs nothing and reads older senders too. Four
/// digits make three bytes at a time, by table.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.strip_suffix("==").or_else(|| text.strip_suffix('='));
    let digits = digits.unwrap_or(text).as_bytes();
    if digits.len() % 4 == 1 {
        return None;
    }
    let quads = digits.chunks_exact(4);
    let rest = quads.remainder();
    // Two or three digits left make one or two bytes; the bits past them are dropped.
    let mut out = vec![0; digits.len() / 4 * 3 + rest.len().saturating_sub(1)];
    let (whole, tail) = out.split_at_mut(digits.len() / 4 * 3);
    for (quad, three) in quads.zip(whole.chunks_exact_mut(3)) {
        let n = number(quad)?;
        three[0] = (n >> 16) as u8;
        three[1] = (n >> 8) as u8;
        three[2] = n as u8;
    }
    if !rest.is_empty() {
        let n = number(rest)? << (6 * (4 - rest.len()));
        for (i, byte) in tail.iter_mut().enumerate() {
            *byte = (n >> (16 - 8 * i)) as u8;
        }
    }
    Some(out)
}

/// The number that up to four base64 digits make; `None` if one is not a digit.
fn number(digits: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &digit in digits {
        match DIGITS[usize::from(digit)] {
            NOT_A_DIGIT => return None,
            value => n = n << 6 | u32::from(value),
        }
    }
    Some(n)
}

/// What .NET's `Convert.FromBase64String` makes of `text`, which the host applies to every
/// top-level string output (unless the binding says `dataType: binary`): white space (space,
/// tab, CR, LF) is skipped, the rest must be a multiple of 4 long with at most two `=` at the
/// end. So `"test"` and `"output from go"` decode (to 3 and 9 bytes of garbage), and `""` to
/// nothing. `None` where .NET throws and the host keeps the string.
pub(crate) fn decode_dotnet(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    if !digits.len().is_multiple_of(4) {
        return None;
    }
    let unpadded = digits
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |at| at + 1);
    if digits.len() - unpadded > 2 {
        return None;
    }
    decode(std::str::from_utf8(&digits).ok()?)
}

/// Each byte's value as a base64 digit, or `NOT_A_DIGIT`.
const DIGITS: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

const NOT_A_DIGIT: u8 = 0xff;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_table() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("", Some(b"")),
            ("TQ==", Some(b"M")),
            ("TWE=", Some(b"Ma")),
            ("TWE", Some(b"Ma")),
            ("TWFu", Some(b"Man")),
            ("TWFuTQ", Some(b"ManM")),
            // A lone sixth of a byte, a character outside the alphabet, padding inside.
            ("TWFuT", None),
            ("TW-u", None),
            ("TQ==TQ==", None),
        ];
        for (text, expected) in cases {
            assert_eq!(decode(text).as_deref(), *expected, "{text}");
        }
    }

    #[test]
    fn encode_round_trips_every_length() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"M", "TQ=="),
            (b"Ma", "TWE="),
            (b"Man", "TWFu"),
            (b"hello world", "aGVsbG8gd29ybGQ="),
            (&[0, 1, 2, 255], "AAEC/w=="),
        ];
        for (bytes, text) in cases {
            assert_eq!(encode(bytes), *text);
            assert_eq!(decode(text).as_deref(), Some(*bytes), "{text}");
        }
        let all: Vec<u8> = (0..=255).collect();
        for len in 0..all.len() {
            assert_eq!(decode(&encode(&all[..len])).as_deref(), Some(&all[..len]));
        }
    }

    #[test]
    fn dotnet_decodes_what_the_host_would() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("aGVsbG8=", Some(b"hello")),
            // Plain words that happen to be base64: the host's surprise (azure-bindings.md §1.3).
            ("test", Some(&[0xb5, 0xeb, 0x2d])),
            (
                "output from go",
                Some(&[0xa2, 0xeb, 0x69, 0xba, 0xd7, 0xeb, 0xa2, 0x68, 0x28]),
            ),
            ("", Some(b"")),
            // Not a multiple of 4, unpadded, too much padding, a dot: kept as strings.
            ("hello", None),
            ("TWE", None),
            ("T===", None),
            ("order 7 done.", None),
        ];
        for (text, expected) in cases {
            assert_eq!(decode_dotnet(text).as_deref(), *expected, "{text}");
        }
    }
}
