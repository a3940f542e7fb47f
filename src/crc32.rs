//! CRC-32 as PHP's `hash('crc32b', …)` computes it (IEEE 802.3, reflected
//! polynomial, initial and final XOR with all ones). Sanctum appends it to
//! every token so that secret scanners can reject look-alikes offline; authkv
//! also checks it before reading the database.

/// The reflected form of the IEEE polynomial 0x04C11DB7.
const POLY: u32 = 0xEDB8_8320;

/// One entry per byte value, computed at compile time.
const TABLE: [u32; 256] = table(POLY);

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

/// CRC-32 of `bytes`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        let index = (crc ^ u32::from(b)) & 0xff;
        crc = (crc >> 8) ^ TABLE[index as usize];
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
