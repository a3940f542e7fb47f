//! The Python binding as users install it, inside Django and Flask.
//!
//! Keeps a virtualenv under the target directory
//! (`python-frameworks/venv`), made once with `python3 -m venv` and the
//! frameworks of `bindings/python/framework_tests/requirements.txt` from
//! PyPI, and made again only when that file or the interpreter changes.
//! Every run then `pip install`s `bindings/python` into it — the real wheel
//! build, which runs `cargo build --release --lib` on this crate with
//! `CARGO_TARGET_DIR` set to this build's target directory (so it reuses
//! its artefacts) and bundles the library — and runs the framework tests
//! with that venv's Python and no `AUTHKV_LIBRARY`, from outside the
//! source tree, so they import the installed package.
//!
//! Needs Python 3.9 or newer with `venv` (Debian: `python3-venv`), and
//! PyPI on the first run. `PYTHON` names the interpreter (default
//! `python3`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod native;
use native::*;

/// `CARGO_TARGET_DIR` as cargo resolves it, else `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => repo().join(dir),
        None => repo().join("target"),
    }
}

fn framework_tests() -> PathBuf {
    repo().join("bindings/python/framework_tests")
}

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

/// What the venv was made from: the requirements and the interpreter's
/// version. A venv whose stamp differs is made again.
fn venv_stamp(python: &std::ffi::OsStr) -> String {
    let requirements = fs::read_to_string(framework_tests().join("requirements.txt"))
        .expect("framework_tests/requirements.txt");
    let mut version = Command::new(python);
    version.args(["-c", "import sys; print(sys.version, sys.executable)"]);
    let version = run_checked(
        version,
        "python3 --version (install Python 3.9+, or set PYTHON)",
    );
    format!(
        "{}\n{requirements}",
        String::from_utf8_lossy(&version.stdout).trim()
    )
}

/// The venv with the frameworks installed, made when missing or stale.
fn ensure_venv(venv: &Path) -> PathBuf {
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let stamp_path = venv.join("authkv-stamp.txt");
    let stamp = venv_stamp(&python);
    let python_in_venv = venv_python(venv);
    if python_in_venv.is_file() && fs::read_to_string(&stamp_path).ok().as_ref() == Some(&stamp) {
        return python_in_venv;
    }
    let _ = fs::remove_dir_all(venv);
    let mut create = Command::new(&python);
    create.args(["-m", "venv"]).arg(venv);
    run_checked(
        create,
        "creating the virtualenv (Debian: apt-get install python3-venv; or set PYTHON)",
    );
    let mut install = pip(&python_in_venv);
    install
        .arg("-r")
        .arg(framework_tests().join("requirements.txt"));
    run_checked(install, "pip install of Django and Flask from PyPI");
    fs::write(&stamp_path, stamp).expect("write the venv stamp");
    python_in_venv
}

fn pip(python: &Path) -> Command {
    let mut command = Command::new(python);
    command.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
    ]);
    command
}

#[test]
fn django_and_flask_work_with_the_installed_wheel() {
    let started = Instant::now();
    let base = target_dir().join("python-frameworks");
    fs::create_dir_all(&base).expect("create the venv directory");
    // One run at a time per target directory: they share the venv.
    let lock = File::create(base.join("lock")).expect("create the lock file");
    lock.lock().expect("lock the venv");
    let python = ensure_venv(&base.join("venv"));
    let venv_ready = started.elapsed();

    let mut install = pip(&python);
    install
        .args(["--no-deps", "--force-reinstall"])
        .arg(repo().join("bindings/python"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("AUTHKV_LIBRARY");
    if let Some(cargo) = std::env::var_os("CARGO") {
        install.env("CARGO", cargo); // the toolchain running this test
    }
    run_checked(
        install,
        "pip install bindings/python (builds and bundles the library)",
    );
    let installed = started.elapsed();

    let scratch = tempfile::tempdir().expect("scratch directory");
    let tests = framework_tests();
    let mut command = Command::new(&python);
    command
        .current_dir(scratch.path())
        .args(["-m", "unittest", "discover", "-v", "-s"])
        .arg(&tests)
        .arg("-t")
        .arg(&tests)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AUTHKV_LIBRARY")
        .env_remove("PYTHONPATH")
        .env_remove("LD_LIBRARY_PATH");
    let output = command.output().expect("run the framework tests");
    let ran = unittest_passed(&output, "the framework tests", 25);
    eprintln!(
        "python frameworks: venv ready {:.1?}, wheel installed {:.1?}, {ran} tests, total {:.1?}",
        venv_ready,
        installed - venv_ready,
        started.elapsed()
    );
}
