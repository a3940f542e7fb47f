//! The library version: compile-time macros for the header and run-time
//! functions, which a test keeps in step with `Cargo.toml`.

use std::ffi::{CStr, c_char};

use super::boundary::guard_value;

/// Major version of the header.
pub const AUTHKV_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
pub const AUTHKV_VERSION_MINOR: u32 = 1;
/// Patch version of the header.
pub const AUTHKV_VERSION_PATCH: u32 = 0;
/// The header's version as one number: MAJOR * 1000000 + MINOR * 1000 +
/// PATCH. Compare it with `authkv_version()` to detect a header and a
/// library from different releases; until 1.0, a different MINOR may change
/// struct layouts.
pub const AUTHKV_VERSION_NUMBER: u32 =
    AUTHKV_VERSION_MAJOR * 1_000_000 + AUTHKV_VERSION_MINOR * 1000 + AUTHKV_VERSION_PATCH;

/// The version of the loaded library as `MAJOR * 1000000 + MINOR * 1000 +
/// PATCH`; equals `AUTHKV_VERSION_NUMBER` when header and library match.
/// Thread-safe; does not change the thread's last error message.
#[unsafe(no_mangle)]
pub extern "C" fn authkv_version() -> u32 {
    guard_value(0, || {
        let part = |s: &str| s.parse::<u32>().unwrap_or(0);
        part(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
            + part(env!("CARGO_PKG_VERSION_MINOR")) * 1000
            + part(env!("CARGO_PKG_VERSION_PATCH"))
    })
}

/// The version of the loaded library as static NUL-terminated text, for
/// example "0.1.0". Never NULL. Thread-safe; does not change the thread's
/// last error message.
#[unsafe(no_mangle)]
pub extern "C" fn authkv_version_str() -> *const c_char {
    const TEXT: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(text) => text,
            Err(_) => c"",
        };
    guard_value(c"".as_ptr(), || TEXT.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constants_match_the_package_version() {
        assert_eq!(
            format!("{AUTHKV_VERSION_MAJOR}.{AUTHKV_VERSION_MINOR}.{AUTHKV_VERSION_PATCH}"),
            env!("CARGO_PKG_VERSION"),
            "update src/ffi/version.rs and regenerate include/authkv.h"
        );
        assert_eq!(authkv_version(), AUTHKV_VERSION_NUMBER);
    }

    #[test]
    fn version_text_is_the_package_version() {
        // SAFETY: a static NUL-terminated string.
        let text = unsafe { CStr::from_ptr(authkv_version_str()) };
        assert_eq!(text.to_str(), Ok(env!("CARGO_PKG_VERSION")));
    }
}
