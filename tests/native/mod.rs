//! What the tests of the C ABI and of the bindings share: where the
//! libraries built by this `cargo test` are, and running a tool that must
//! succeed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding `libauthkv.so` and `libauthkv.a`: `cargo test`
/// builds them (crate types cdylib and staticlib) into `deps/`, next to the
/// test executable; `AUTHKV_LIB_DIR` overrides it.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = match std::env::var_os("AUTHKV_LIB_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_exe()
                .expect("path of the test executable")
                .parent()
                .expect("the test executable lives in a directory")
                .to_path_buf(),
        };
        for lib in ["libauthkv.so", "libauthkv.a"] {
            assert!(
                dir.join(lib).is_file(),
                "{lib} not found in {}: cargo builds it with the tests (crate-type cdylib and \
                 staticlib); set AUTHKV_LIB_DIR to the directory of a `cargo build --lib`",
                dir.display()
            );
        }
        dir
    })
}

/// `libauthkv.so` from this build.
pub fn shared_library() -> PathBuf {
    lib_dir().join("libauthkv.so")
}

/// Run `command`, failing the test with its output unless it succeeds.
pub fn run_checked(mut command: Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{command:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Require a `python -m unittest` run to have passed and run at least
/// `at_least` tests (unittest reports on stderr); returns how many ran.
pub fn unittest_passed(output: &Output, what: &str, at_least: u32) -> u32 {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{stderr}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
    );
    let ran = stderr
        .lines()
        .find_map(|line| {
            line.strip_prefix("Ran ")?
                .split(' ')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .unwrap_or(0);
    assert!(
        ran >= at_least,
        "{what}: expected at least {at_least} tests to run, {ran} ran:\n{stderr}"
    );
    ran
}
