//! Outputs: fixed-size secrets copied into caller buffers, and variable data
//! handed out in library-owned memory that a matching `_free` releases.
//!
//! A library-owned object is a `Box<Owned<T, K>>`: `T` is the `#[repr(C)]`
//! struct the caller reads, `K` keeps the heap buffers its pointers point
//! into. Because `Owned` is `#[repr(C)]` with `public` first, a pointer to
//! it is a pointer to `T`, and `_free` turns it back into the box.

use std::ffi::c_char;
use std::ptr::NonNull;

use super::boundary::{Failure, guard_free};
use super::status::authkv_status;

/// A view of text owned by the object it is part of: `len` bytes of UTF-8 at
/// `ptr`, followed by a NUL byte that `len` does not count. `ptr` is never
/// NULL; the text holds no NUL byte of its own. Valid until the owning
/// object is freed.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_str {
    /// First byte; never NULL.
    pub ptr: *const c_char,
    /// Length in bytes, excluding the terminating NUL.
    pub len: usize,
}

/// A view of bytes owned by the object it is part of: `len` bytes at `ptr`,
/// followed by a NUL byte that `len` does not count (so text payloads can be
/// read as C strings). `ptr` is never NULL. Valid until the owning object is
/// freed.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_bytes {
    /// First byte; never NULL.
    pub ptr: *const u8,
    /// Length in bytes, excluding the terminating NUL.
    pub len: usize,
}

/// A library-owned string returned by a function (for example the problem
/// report of `authkv_verify`). Free it with `authkv_string_free`.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_string {
    /// The text, NUL-terminated; `text.ptr` is never NULL.
    pub text: authkv_str,
}

/// Bytes with a NUL appended, on the heap: their address does not change
/// when the vector is moved, so a view stays valid while they are kept. (A
/// `Vec`, not a `Box<[u8]>`: moving a box asserts unique access and would
/// invalidate the views under Rust's aliasing rules.)
pub(crate) struct NulTerminated(Vec<u8>);

impl NulTerminated {
    /// Copy `bytes` and append a NUL.
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut owned = Vec::with_capacity(bytes.len() + 1);
        owned.extend_from_slice(bytes);
        owned.push(0);
        Self(owned)
    }

    fn len(&self) -> usize {
        self.0.len() - 1
    }

    /// A text view; the bytes must be text without NUL (ours always are).
    pub(crate) fn as_str(&self) -> authkv_str {
        authkv_str {
            ptr: self.0.as_ptr().cast(),
            len: self.len(),
        }
    }

    /// A byte view.
    pub(crate) fn as_bytes(&self) -> authkv_bytes {
        authkv_bytes {
            ptr: self.0.as_ptr(),
            len: self.len(),
        }
    }
}

/// A library-owned object: the struct the caller reads, then what keeps its
/// pointers valid.
#[repr(C)]
pub(crate) struct Owned<T, K> {
    public: T,
    keep: K,
}

/// Move `keep` to the heap, build the public struct from it, and return a
/// pointer the caller frees with [`free_owned`] using the same `T` and `K`.
pub(crate) fn into_owned<T, K>(keep: K, public: impl FnOnce(&K) -> T) -> *mut T {
    // `public` points into heap buffers owned by `keep` (vectors); moving
    // `keep` into the box does not move those buffers.
    let public = public(&keep);
    Box::into_raw(Box::new(Owned { public, keep })).cast::<T>()
}

/// Free an object made by [`into_owned`]; NULL is a no-op.
///
/// # Safety
/// `ptr` must be NULL or come from `into_owned::<T, K>` and not have been
/// freed.
pub(crate) unsafe fn free_owned<T, K>(ptr: *mut T) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: the caller guarantees `ptr` came from Box::into_raw of an
    // `Owned<T, K>`, whose first field is at offset 0 (repr(C)).
    drop(unsafe { Box::from_raw(ptr.cast::<Owned<T, K>>()) });
}

/// A library-owned string with this text.
pub(crate) fn new_string(text: &str) -> *mut authkv_string {
    into_owned(NulTerminated::new(text.as_bytes()), |keep| authkv_string {
        text: keep.as_str(),
    })
}

/// Free a string returned by the library (`authkv_verify`'s report).
///
/// Calling with NULL is a harmless no-op. Must not be called twice with the
/// same value. Does not change the thread's last error message.
///
/// # Safety
/// `string` must be NULL or a pointer the library returned as an
/// `authkv_string *` that has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_string_free(string: *mut authkv_string) {
    // SAFETY: forwarded from the caller's contract.
    guard_free(|| unsafe { free_owned::<authkv_string, NulTerminated>(string) });
}

/// A caller buffer for a fixed-size secret, checked before the operation
/// runs so that a too-small buffer never loses a secret that was already
/// committed.
pub(crate) struct SecretBuffer {
    ptr: NonNull<c_char>,
    size: usize,
}

/// Check a secret output buffer: non-NULL and at least `size` bytes
/// (`size` includes the NUL). On `AUTHKV_BUFFER_TOO_SMALL` the needed size
/// is written to `required_size` unless it is NULL.
///
/// # Safety
/// `required_size` must be NULL or valid for a write of `usize`.
pub(crate) unsafe fn secret_buffer(
    ptr: *mut c_char,
    capacity: usize,
    size: usize,
    what: &str,
    required_size: *mut usize,
) -> Result<SecretBuffer, Failure> {
    let ptr = NonNull::new(ptr).ok_or_else(|| Failure::null(what))?;
    if capacity < size {
        // SAFETY: forwarded from the caller.
        unsafe { super::slice::write_optional(required_size, size) };
        return Err(Failure::new(
            authkv_status::AUTHKV_BUFFER_TOO_SMALL,
            format!("{what} has room for {capacity} bytes; {size} are needed (including the NUL)"),
        ));
    }
    Ok(SecretBuffer { ptr, size })
}

impl SecretBuffer {
    /// Copy `secret` and a NUL into the buffer.
    ///
    /// # Safety
    /// The buffer passed to [`secret_buffer`] must be valid for writes of
    /// its stated capacity.
    pub(crate) unsafe fn write(self, secret: &str) -> Result<(), Failure> {
        if secret.len() + 1 > self.size {
            return Err(Failure::new(
                authkv_status::AUTHKV_INTERNAL,
                format!(
                    "a secret of {} bytes does not fit its {}-byte buffer",
                    secret.len(),
                    self.size
                ),
            ));
        }
        let dst = self.ptr.as_ptr().cast::<u8>();
        // SAFETY: the buffer holds at least `size` >= len + 1 bytes (checked
        // at creation and above); the secret is our own memory, so the two
        // do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(secret.as_ptr(), dst, secret.len());
            dst.add(secret.len()).write(0);
        }
        Ok(())
    }
}

/// Copy `text` and a NUL into a fixed array inside a struct we build.
pub(crate) fn fill_array<const N: usize>(text: &str) -> [c_char; N] {
    let mut out = [0 as c_char; N];
    for (slot, &b) in out
        .iter_mut()
        .zip(text.as_bytes().iter().take(N.saturating_sub(1)))
    {
        *slot = b as c_char;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn owned_string_is_nul_terminated_and_frees() {
        let s = new_string("two\nlines");
        // SAFETY: `s` was just made and is freed once below.
        let view = unsafe { &(*s).text };
        assert_eq!(view.len, 9);
        // SAFETY: the view is NUL-terminated.
        let text = unsafe { CStr::from_ptr(view.ptr) };
        assert_eq!(text.to_str(), Ok("two\nlines"));
        // SAFETY: freed exactly once.
        unsafe { authkv_string_free(s) };
        // SAFETY: NULL is a no-op.
        unsafe { authkv_string_free(std::ptr::null_mut()) };
    }

    #[test]
    fn empty_views_still_point_at_a_nul() {
        let keep = NulTerminated::new(b"");
        let view = keep.as_bytes();
        assert!(!view.ptr.is_null());
        assert_eq!(view.len, 0);
        // SAFETY: the view points at the one NUL byte kept by `keep`.
        assert_eq!(unsafe { *view.ptr }, 0);
    }

    #[test]
    fn small_buffer_reports_the_size_needed_and_writes_nothing() {
        let mut buf = [b'x' as c_char; 8];
        let mut required = 0usize;
        // SAFETY: `required` is a valid usize.
        let err =
            unsafe { secret_buffer(buf.as_mut_ptr(), buf.len(), 41, "id_out", &mut required) }
                .err()
                .expect("too small");
        assert_eq!(err.status, authkv_status::AUTHKV_BUFFER_TOO_SMALL);
        assert_eq!(required, 41);
        assert!(buf.iter().all(|&c| c == b'x' as c_char));
    }

    #[test]
    fn secret_is_written_with_a_nul() {
        let mut buf = [1 as c_char; 6];
        // SAFETY: `buf` is valid for its length; required_size is NULL.
        let out =
            unsafe { secret_buffer(buf.as_mut_ptr(), buf.len(), 5, "buf", std::ptr::null_mut()) }
                .expect("fits");
        // SAFETY: `buf` holds 6 >= 5 bytes.
        unsafe { out.write("abcd") }.expect("write");
        // SAFETY: NUL-terminated just above.
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str(), Ok("abcd"));
        assert_eq!(buf[5], 1, "bytes past the NUL are untouched");
    }

    #[test]
    fn fill_array_truncates_and_terminates() {
        let a: [c_char; 4] = fill_array("abcdef");
        assert_eq!(a, [b'a' as c_char, b'b' as c_char, b'c' as c_char, 0]);
    }
}
