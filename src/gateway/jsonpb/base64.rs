//! Go's `base64.StdEncoding`: decoding exactly as Go 1.16 does it
//! (quantum by quantum, `\r`/`\n` skipped anywhere, padding required, the
//! offset of the first bad byte in the error), encoding padded.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `decodeMap`: byte -> 6-bit value, 0xff for bytes outside the alphabet.
const DECODE_MAP: [u8; 256] = {
    let mut map = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        map[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    map
};

fn sextet(c: u8) -> Option<u8> {
    let v = DECODE_MAP[usize::from(c)];
    (v != 0xff).then_some(v)
}

/// `base64.CorruptInputError.Error()`.
const CORRUPT: &str = "illegal base64 data at input byte ";

pub fn corrupt(offset: usize) -> String {
    format!("{CORRUPT}{offset}")
}

/// The offset a [`corrupt`] error names.
pub fn corrupt_offset(e: &str) -> Option<u64> {
    e.strip_prefix(CORRUPT)?.parse().ok()
}

fn is_newline(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

/// `base64.StdEncoding.Decode` (the result Go keeps on success).
pub fn decode(src: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        // decodeQuantum
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut trailing = None;
        let mut j = 0;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                if j == 0 {
                    return Ok(out);
                }
                return Err(corrupt(si - j));
            };
            si += 1;
            if let Some(v) = sextet(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if is_newline(c) {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(corrupt(si - 1));
            }
            if j == 2 {
                // "==" is expected; the first '=' is consumed.
                while src.get(si).is_some_and(|&b| is_newline(b)) {
                    si += 1;
                }
                match src.get(si) {
                    None => return Err(corrupt(src.len())),
                    Some(&b'=') => si += 1,
                    Some(_) => return Err(corrupt(si - 1)),
                }
            }
            while src.get(si).is_some_and(|&b| is_newline(b)) {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si);
            }
            dlen = j;
            break;
        }
        let val = u32::from(dbuf[0]) << 18
            | u32::from(dbuf[1]) << 12
            | u32::from(dbuf[2]) << 6
            | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing {
            return Err(corrupt(at));
        }
    }
    Ok(out)
}

/// `base64.StdEncoding.EncodeToString`.
/// `base64.StdEncoding.EncodeToString`: padded. Our own few lines cost
/// less wasm than the `base64` crate's general engine.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    encode_into(data, &mut out);
    out
}

/// [`encode`], appended to `out` (a saved world's checkpoint is tens of
/// MB: written in place, not copied).
pub fn encode_into(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let val = b(0) << 16 | b(1) << 8 | b(2);
        for k in 0..4 {
            if k <= chunk.len() {
                let sextet = (val >> (18 - 6 * k)) & 0x3f;
                out.push(char::from(ALPHABET[sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &[u8]) -> String {
        decode(s).err().unwrap_or_default()
    }

    #[test]
    fn encoding_matches_the_base64_crate() {
        use base64::Engine as _;
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..data.len() {
            let want = base64::engine::general_purpose::STANDARD.encode(&data[..len]);
            assert_eq!(encode(&data[..len]), want);
            assert_eq!(decode(want.as_bytes()), Ok(data[..len].to_vec()));
        }
    }

    #[test]
    fn padded_standard_alphabet_decodes() {
        assert_eq!(decode(b"Zm9v"), Ok(b"foo".to_vec()));
        assert_eq!(decode(b"Zm9vYg=="), Ok(b"foob".to_vec()));
        assert_eq!(decode(b"Zm9vYmE="), Ok(b"fooba".to_vec()));
        assert_eq!(decode(b"+/+/"), Ok(vec![0xfb, 0xff, 0xbf]));
        assert_eq!(decode(b""), Ok(vec![]));
        assert_eq!(decode(b"AA=="), Ok(vec![0]));
    }

    #[test]
    fn newlines_are_skipped_anywhere() {
        assert_eq!(decode(b"Zm9v\n"), Ok(b"foo".to_vec()));
        assert_eq!(decode(b"Z\r\nm9v"), Ok(b"foo".to_vec()));
        assert_eq!(decode(b"Zg=\n="), Ok(b"f".to_vec()));
        assert_eq!(decode(b"\n"), Ok(vec![]));
    }

    #[test]
    fn error_offsets_match_go() {
        assert_eq!(err(b"Zm9vYg"), "illegal base64 data at input byte 4");
        assert_eq!(err(b"-_-_"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"Zm 9v"), "illegal base64 data at input byte 2");
        assert_eq!(err(b"Zm9v!"), "illegal base64 data at input byte 4");
        assert_eq!(err(b"***"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"Zm9"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"foo"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"bar"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"Z"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"Zm9vY"), "illegal base64 data at input byte 4");
        assert_eq!(err(b"Zg="), "illegal base64 data at input byte 3");
        assert_eq!(err(b"Zg=x"), "illegal base64 data at input byte 2");
        assert_eq!(err(b"Zg==Zg=="), "illegal base64 data at input byte 4");
        assert_eq!(err(b"Zm9=x"), "illegal base64 data at input byte 4");
        assert_eq!(err(b"="), "illegal base64 data at input byte 0");
        assert_eq!(err(b"Z==="), "illegal base64 data at input byte 1");
        assert_eq!(err(b"Zm9\n"), "illegal base64 data at input byte 1");
    }

    #[test]
    fn encoding_is_padded_standard() {
        assert_eq!(encode(b"foob"), "Zm9vYg==");
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "+/+/");
    }
}
