//! Standard base64 (RFC 4648 §4, PHP's `base64_encode`), decoding only:
//! Laravel stores session payloads this way.

/// The value of one base64 character.
fn sextet(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// Decode base64 text. Padding is optional, but when present the text must
/// be whole groups of four; whitespace and other alphabets are refused.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let body = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    if body.len() != bytes.len() && !bytes.len().is_multiple_of(4) {
        return Err("padding does not complete a group of four characters".into());
    }
    if body.len() % 4 == 1 {
        return Err("length is not that of base64 text".into());
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    for (group_index, group) in body.chunks(4).enumerate() {
        let mut bits = 0u32;
        for (i, &c) in group.iter().enumerate() {
            let value = sextet(c).ok_or_else(|| {
                format!(
                    "character {} is not base64",
                    group_index * 4 + i + 1 // 1-based, as an editor counts
                )
            })?;
            bits |= value << (18 - 6 * i);
        }
        let [_, b0, b1, b2] = bits.to_be_bytes();
        out.push(b0);
        if group.len() > 2 {
            out.push(b1);
        }
        if group.len() > 3 {
            out.push(b2);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_rfc_4648_vectors_with_and_without_padding() {
        let vectors = [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zg", "f"),
            ("Zm8", "fo"),
        ];
        for (text, plain) in vectors {
            assert_eq!(decode(text).as_deref(), Ok(plain.as_bytes()), "{text}");
        }
    }

    #[test]
    fn decodes_every_byte_value() {
        // PHP: base64_encode("\xfb\xff\x00\x10\x83")
        assert_eq!(decode("+/8AEIM="), Ok(vec![0xfb, 0xff, 0x00, 0x10, 0x83]));
    }

    #[test]
    fn refuses_what_is_not_base64() {
        for bad in [
            "Z",
            "Zg=",
            "Zm9v Yg==",
            "Zm9v\n",
            "Zm-_",
            "Zg===",
            "====",
            "é",
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
