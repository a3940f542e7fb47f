//! The Python binding (`bindings/python/`) against the shared library built
//! by this `cargo test`: runs its `unittest` suite with `AUTHKV_LIBRARY`
//! pointing at `libauthkv.so` and fails when any test fails.
//!
//! The library is found as `tests/c_abi.rs` finds it: `cargo test` builds
//! the `cdylib` into `deps/`, next to this test's executable;
//! `AUTHKV_LIB_DIR` overrides the directory, `PYTHON` the interpreter
//! (default `python3`).

use std::process::Command;

mod native;
use native::*;

#[cfg(feature = "postgres")]
mod common;

#[test]
fn python_binding_unittest_suite_passes() {
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let mut command = Command::new(&python);
    command
        .current_dir(repo())
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            "bindings/python/tests",
            "-v",
        ])
        .env("AUTHKV_LIBRARY", shared_library())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // A library from an older `cargo build` must not be picked up.
        .env_remove("LD_LIBRARY_PATH");
    // The PostgreSQL tests get an empty schema on the test server.
    #[cfg(feature = "postgres")]
    command.env("AUTHKV_TEST_DATABASE", common::postgres::fresh_database());
    let output = command.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {}: {e} (install Python 3.9 or newer, or set PYTHON)",
            python.to_string_lossy()
        )
    });
    unittest_passed(&output, "the Python binding tests", 20);
}
