//! Borrowed `(ptr, len)` inputs: NULL checks, length limits and UTF-8
//! checks, each failure naming the argument. The views live only for the
//! call; nothing keeps a pointer the caller passed.

use std::ffi::c_char;
use std::ptr::NonNull;

use super::boundary::Failure;

/// Borrow `len` bytes at `ptr` for the call. `(NULL, 0)` is the empty
/// input; NULL with a non-zero length is `AUTHKV_NULL_POINTER`.
///
/// # Safety
/// Unless NULL, `ptr` must be valid for reads of `len` bytes that nothing
/// writes during the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::new(
                super::status::authkv_status::AUTHKV_NULL_POINTER,
                format!("{what} is NULL with a length of {len}"),
            ))
        };
    }
    if isize::try_from(len).is_err() {
        return Err(Failure::invalid(format!(
            "{what} length {len} is not a valid size"
        )));
    }
    // SAFETY: `ptr` is non-NULL and the caller guarantees it is valid for
    // `len` bytes during the call; `len` fits in isize as checked above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrow text: UTF-8 without NUL bytes (so that it reads back the same as a
/// C string). Not NUL-terminated: `len` counts the bytes.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller; c_char and u8 have the same layout.
    let raw = unsafe { bytes(ptr.cast::<u8>(), len, what) }?;
    let text = std::str::from_utf8(raw).map_err(|e| {
        Failure::invalid(format!(
            "{what} is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    if let Some(at) = raw.iter().position(|&b| b == 0) {
        return Err(Failure::invalid(format!(
            "{what} contains a NUL byte at offset {at}"
        )));
    }
    Ok(text)
}

/// A required output pointer.
pub(crate) fn out<T>(ptr: *mut T, what: &str) -> Result<NonNull<T>, Failure> {
    NonNull::new(ptr).ok_or_else(|| Failure::null(what))
}

/// A required input pointer (a struct passed by address).
///
/// # Safety
/// Unless NULL, `ptr` must point to a valid, initialized `T` for the call.
pub(crate) unsafe fn input<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid for the call.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Write `value` to an output pointer obtained from [`out`]. Call only
/// once the operation has succeeded.
///
/// # Safety
/// `ptr` must be valid for a write of `T` (it may be uninitialized).
pub(crate) unsafe fn write<T>(ptr: NonNull<T>, value: T) {
    // SAFETY: guaranteed by the caller; `write` does not read or drop the
    // old contents, which may be uninitialized.
    unsafe { ptr.as_ptr().write(value) };
}

/// Write to an optional output pointer (NULL means "not wanted").
///
/// # Safety
/// Unless NULL, `ptr` must be valid for a write of `T`.
pub(crate) unsafe fn write_optional<T>(ptr: *mut T, value: T) {
    if let Some(ptr) = NonNull::new(ptr) {
        // SAFETY: forwarded from the caller.
        unsafe { write(ptr, value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::status::authkv_status::*;

    #[test]
    fn null_with_zero_length_is_empty_and_with_a_length_is_refused() {
        // SAFETY: NULL is never dereferenced.
        let empty = unsafe { bytes(std::ptr::null(), 0, "payload") }.expect("empty");
        assert!(empty.is_empty());
        // SAFETY: as above.
        let err = unsafe { bytes(std::ptr::null(), 3, "payload") }.expect_err("null");
        assert_eq!(err.status, AUTHKV_NULL_POINTER);
        assert_eq!(err.message, "payload is NULL with a length of 3");
    }

    #[test]
    fn text_rejects_invalid_utf8_and_nul_bytes() {
        let bad = [b'a', 0xff, b'b'];
        // SAFETY: `bad` is valid for its length.
        let err = unsafe { text(bad.as_ptr().cast(), bad.len(), "ip") }.expect_err("utf8");
        assert_eq!(err.status, AUTHKV_INVALID_ARGUMENT);
        assert_eq!(
            err.message,
            "ip is not valid UTF-8 (invalid byte at offset 1)"
        );
        let nul = b"a\0b";
        // SAFETY: as above.
        let err = unsafe { text(nul.as_ptr().cast(), nul.len(), "ip") }.expect_err("nul");
        assert_eq!(err.message, "ip contains a NUL byte at offset 1");
        let good = "héllo";
        // SAFETY: as above.
        let ok = unsafe { text(good.as_ptr().cast(), good.len(), "ip") }.expect("text");
        assert_eq!(ok, good);
    }

    #[test]
    fn lengths_past_isize_are_refused_before_any_read() {
        let byte = 0u8;
        // SAFETY: the length check fails before the pointer is read.
        let err = unsafe { bytes(&byte, usize::MAX, "payload") }.expect_err("size");
        assert_eq!(err.status, AUTHKV_INVALID_ARGUMENT);
    }
}
