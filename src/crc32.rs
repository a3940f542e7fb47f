//! CRC-32 as PHP's `hash('crc32b', …)` computes it (IEEE 802.3, reflected
//! polynomial, initial and final XOR with all ones). Sanctum appends it to
//! every token so that secret scanners can reject look-alikes offline; authkv
//! also checks it before reading the database.

/// The reflected form of the IEEE polynomial 0x04C11DB7.
const POLY: u32 = 0xEDB8_8320;

/// Slicing-by-8 tables, computed at compile time: `TABLES[k][b]` is the
/// CRC of byte `b` followed by `k` zero bytes.
const TABLES: [[u32; 256]; 8] = slicing_tables(POLY);

/// The byte-at-a-time lookup table of a reflected CRC-32 polynomial (the
/// IEEE one here, Castagnoli's for record checksums).
pub(crate) const fn table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// The eight tables that let [`crc32`] take eight bytes per step: the
/// byte-at-a-time loop is one dependent load per byte, most of the cost of
/// checking a bearer token before its lookup.
const fn slicing_tables(poly: u32) -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    tables[0] = table(poly);
    let mut k = 1;
    while k < 8 {
        let mut byte = 0;
        while byte < 256 {
            let previous = tables[k - 1][byte];
            tables[k][byte] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            byte += 1;
        }
        k += 1;
    }
    tables
}

/// CRC-32 of `bytes`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let t = &TABLES;
    let at = |table: usize, word: u32, shift: u32| t[table][((word >> shift) & 0xff) as usize];
    let mut crc = u32::MAX;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let low = crc ^ u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        let high = u32::from_le_bytes([word[4], word[5], word[6], word[7]]);
        crc = at(7, low, 0)
            ^ at(6, low, 8)
            ^ at(5, low, 16)
            ^ at(4, low, 24)
            ^ at(3, high, 0)
            ^ at(2, high, 8)
            ^ at(1, high, 16)
            ^ at(0, high, 24);
    }
    for &b in words.remainder() {
        crc = (crc >> 8) ^ at(0, crc ^ u32::from(b), 0);
    }
    !crc
}

/// CRC-32 of `bytes` as PHP's `hash('crc32b', …)` prints it: eight
/// lowercase hex digits, zero-padded.
pub(crate) fn crc32b_hex(bytes: &[u8]) -> [u8; 8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let crc = crc32(bytes);
    let mut out = [0u8; 8];
    for (i, digit) in out.iter_mut().enumerate() {
        let nibble = (crc >> (28 - 4 * i)) & 0xf;
        *digit = HEX[nibble as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain byte-at-a-time definition, to check the sliced one.
    fn crc32_bytewise(bytes: &[u8]) -> u32 {
        let table = table(POLY);
        let mut crc = u32::MAX;
        for &b in bytes {
            crc = (crc >> 8) ^ table[((crc ^ u32::from(b)) & 0xff) as usize];
        }
        !crc
    }

    #[test]
    fn eight_bytes_a_step_equals_one_byte_a_step_at_every_length() {
        let data: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in 0..data.len() {
            for start in [0, 1, 3, 7] {
                let bytes = &data[start.min(len)..len];
                assert_eq!(
                    crc32(bytes),
                    crc32_bytewise(bytes),
                    "length {}",
                    bytes.len()
                );
            }
        }
    }

    #[test]
    fn check_value_of_the_standard_matches() {
        // The catalogued check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(&crc32b_hex(b"123456789"), b"cbf43926");
    }

    #[test]
    fn empty_input_and_zero_padding() {
        assert_eq!(&crc32b_hex(b""), b"00000000");
        assert_eq!(&crc32b_hex(b"a"), b"e8b7be43");
        // A checksum below 2^24 keeps its leading zeros, as PHP prints it.
        assert_eq!(&crc32b_hex(b"x31"), b"001685f0");
        assert_eq!(
            &crc32b_hex(b"The quick brown fox jumps over the lazy dog"),
            b"414fa339"
        );
    }

    #[test]
    fn matches_a_sanctum_token() {
        assert_eq!(
            &crc32b_hex(b"Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt"),
            b"6dfacdf5"
        );
    }
}
