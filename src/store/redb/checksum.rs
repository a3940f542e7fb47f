//! CRC-32C (Castagnoli) over stored records, so that a flipped bit in a
//! record is [`crate::Error::Corrupt`] instead of another user's data. On
//! x86-64 with SSE4.2 the CPU computes it, 8 bytes per instruction (a
//! session summary costs a few ns); elsewhere a table does, a byte at a time.

/// The reflected form of the Castagnoli polynomial 0x1EDC6F41.
const POLY: u32 = 0x82F6_3B78;

const TABLE: [u32; 256] = crate::crc32::table(POLY);

/// Bytes a checksum adds to a stored record.
pub(crate) const LEN: usize = 4;

/// CRC-32C of `bytes`.
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU was just found to support SSE4.2.
            return unsafe { crc32c_sse42(bytes) };
        }
    }
    crc32c_table(bytes)
}

fn crc32c_table(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc = (crc >> 8) ^ TABLE[((crc ^ u32::from(b)) & 0xff) as usize];
    }
    !crc
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
fn crc32c_sse42(bytes: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u64};
    let mut crc = u64::from(u32::MAX);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut le = [0u8; 8];
        le.copy_from_slice(word);
        crc = _mm_crc32_u64(crc, u64::from_le_bytes(le));
    }
    let mut crc = crc as u32;
    for &b in words.remainder() {
        crc = _mm_crc32_u8(crc, b);
    }
    !crc
}

/// `record` followed by its checksum, little-endian: what is stored.
pub(crate) fn seal(mut record: Vec<u8>) -> Vec<u8> {
    let sum = crc32c(&record);
    record.extend_from_slice(&sum.to_le_bytes());
    record
}

/// The record inside stored `bytes`, or why it is not intact.
pub(crate) fn open(bytes: &[u8]) -> Result<&[u8], String> {
    let Some(split) = bytes.len().checked_sub(LEN) else {
        return Err(format!("{} bytes, shorter than a checksum", bytes.len()));
    };
    let (record, sum) = bytes.split_at(split);
    let mut stored = [0u8; LEN];
    stored.copy_from_slice(sum);
    let stored = u32::from_le_bytes(stored);
    let computed = crc32c(record);
    if stored == computed {
        Ok(record)
    } else {
        Err(format!(
            "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        // The CRC catalogue's check value for CRC-32/ISCSI.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c_table(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn the_cpu_and_the_table_agree_at_every_length() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..bytes.len() {
            assert_eq!(crc32c(&bytes[..len]), crc32c_table(&bytes[..len]), "{len}");
        }
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let sealed = seal(b"user 42, payload".to_vec());
        assert_eq!(open(&sealed), Ok(&b"user 42, payload"[..]));
        for byte in 0..sealed.len() {
            for bit in 0..8 {
                let mut damaged = sealed.clone();
                damaged[byte] ^= 1 << bit;
                assert!(open(&damaged).is_err(), "byte {byte} bit {bit}");
            }
        }
        assert!(open(&[1, 2, 3]).is_err());
    }
}
