//! The PHP binding (`bindings/php/`) against the shared library built by
//! this `cargo test`: its flattened declarations must match the header,
//! and every `bindings/php/tests/*_test.php` script must pass under the
//! real `php` CLI (each prints `N passed, N failed` last). Among them,
//! `workers_test.php` runs PHP's built-in web server with 4 workers on a
//! free loopback port, with clients in `php` processes of their own, and
//! `composer_test.php` checks the Composer package (with `composer
//! validate` and `composer dump-autoload` when the `composer` command is
//! installed, else that part is skipped). `tests/php_fpm.rs` serves the
//! same web app through nginx and php-fpm.
//!
//! PHP is required, not optional: without it these tests fail and say to
//! install `php-cli` (on Debian 12 it includes the FFI extension; the CLI
//! allows FFI with the default `ffi.enable=preload`). The library is found
//! as `tests/c_abi.rs` finds it and handed to the scripts in
//! `AUTHKV_LIBRARY`; `AUTHKV_LIB_DIR` overrides the directory, `PHP` the
//! interpreter, `PYTHON` the Python used for the declaration check.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

mod native;

#[cfg(feature = "postgres")]
mod common;
use native::*;

fn php_dir() -> PathBuf {
    repo().join("bindings/php")
}

fn php() -> OsString {
    std::env::var_os("PHP").unwrap_or_else(|| "php".into())
}

/// A `php` command with the library, after checking PHP and its FFI
/// extension are there.
fn php_command() -> Command {
    let version = Command::new(php()).arg("-m").output();
    let modules = match version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => panic!(
            "the PHP binding tests need the php CLI, which was not found ({}): install php-cli \
             (apt-get install -y php-cli), or set PHP to the interpreter",
            php().to_string_lossy()
        ),
    };
    assert!(
        modules.lines().any(|m| m.trim() == "FFI"),
        "php has no FFI extension: install php-cli from Debian 12 (it includes FFI), or enable \
         ext-ffi; modules found:\n{modules}"
    );
    let mut command = Command::new(php());
    command
        // Every notice and warning shows, on stderr, where the tests see it.
        .args(["-d", "display_errors=stderr", "-d", "error_reporting=-1"])
        .env("AUTHKV_LIBRARY", shared_library())
        .env_remove("LD_LIBRARY_PATH");
    // The PostgreSQL test gets an empty schema on the test server.
    #[cfg(feature = "postgres")]
    command.env("AUTHKV_TEST_DATABASE", common::postgres::fresh_database());
    command
}

#[test]
fn php_declarations_match_the_header() {
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let mut command = Command::new(python);
    command
        .arg(php_dir().join("generate_cdef.py"))
        .arg("--check");
    run_checked(
        command,
        "bindings/php/generate_cdef.py --check (regenerate with python3 bindings/php/generate_cdef.py)",
    );
}

#[test]
fn php_test_scripts_pass() {
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(php_dir().join("tests"))
        .expect("bindings/php/tests")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_test.php"))
        })
        .collect();
    scripts.sort();
    assert!(
        scripts.len() >= 4,
        "expected the PHP test scripts, found {scripts:?}"
    );
    for script in scripts {
        let name = script.display().to_string();
        let mut command = php_command();
        command.arg(&script);
        let output = run_checked(command, &name);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        // ", N skipped" may follow: a test that cannot run here (an
        // extension missing) says why on a line of its own.
        let parts: Vec<&str> = last.split(", ").collect();
        let passed = match parts[..] {
            [passed, "0 failed"] => Some(passed),
            [passed, "0 failed", skipped] if skipped.ends_with(" skipped") => Some(passed),
            _ => None,
        }
        .and_then(|passed| passed.strip_suffix(" passed"))
        .and_then(|n| n.parse::<u32>().ok());
        assert!(
            passed.is_some_and(|n| n > 0),
            "{name}: last line is {last:?}, expected \"N passed, 0 failed\":\n{stdout}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.is_empty(), "{name} printed warnings:\n{stderr}");
    }
}

/// The README's PHP example (`bindings/README-snippets.md` includes the
/// file verbatim) runs as shown.
#[test]
fn php_readme_example_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = php_command();
    command
        .current_dir(dir.path())
        .arg(php_dir().join("tests/readme_example.php"));
    let output = run_checked(command, "bindings/php/tests/readme_example.php");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        "browser: user 42 via session, 1 device\napi: user 42 via token 1\n",
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
