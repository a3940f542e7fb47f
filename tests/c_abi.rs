//! The C ABI from C: builds each program in `tests/c/` against the shared
//! library, against the static library, and against the static library with
//! AddressSanitizer and UndefinedBehaviorSanitizer, then runs it.
//!
//! The libraries come from the same `cargo test` invocation: building the
//! crate for its tests also builds its `cdylib` and `staticlib` crate types
//! into `deps/`, next to this test's own executable, whatever
//! `CARGO_TARGET_DIR` or profile is in use. `AUTHKV_LIB_DIR` overrides the
//! directory; `CC` and `CXX` the compilers.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use authkv::{Concurrency, Config, Engine};

mod native;
use native::*;

/// How a program is linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Link {
    /// `-lauthkv` against `libauthkv.so`, found at run time through rpath.
    Shared,
    /// `libauthkv.a` and the system libraries Rust's std needs.
    Static,
    /// Like `Static`, with `-fsanitize=address,undefined`.
    Sanitized,
}

const ALL_LINKS: [Link; 3] = [Link::Shared, Link::Static, Link::Sanitized];

const C_FLAGS: &[&str] = &[
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-pthread",
];
const CXX_FLAGS: &[&str] = &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"];
const SYSTEM_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];
const SANITIZE: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-g",
];

/// Where the test programs are written: beside the libraries, so they are
/// cleaned with the target directory.
fn out_dir() -> PathBuf {
    let dir = lib_dir().join("c-abi-tests");
    std::fs::create_dir_all(&dir).expect("create the output directory");
    dir
}

fn tool(var: &str, default: &str) -> OsString {
    std::env::var_os(var).unwrap_or_else(|| default.into())
}

/// Add the link arguments for `link`.
fn link_args(command: &mut Command, link: Link) {
    let dir = lib_dir();
    match link {
        Link::Shared => {
            // The library's SONAME is libauthkv.so.0 (build.rs), the name the
            // loader looks for: a link by that name beside the programs, on
            // their rpath too.
            let soname = out_dir().join("libauthkv.so.0");
            if let Err(e) = std::os::unix::fs::symlink("../libauthkv.so", &soname) {
                assert_eq!(
                    e.kind(),
                    std::io::ErrorKind::AlreadyExists,
                    "{soname:?}: {e}"
                );
            }
            command
                .arg(format!("-L{}", dir.display()))
                .arg("-lauthkv")
                .arg(format!("-Wl,-rpath,{}", dir.display()))
                .arg(format!("-Wl,-rpath,{}", out_dir().display()));
        }
        Link::Static | Link::Sanitized => {
            command.arg(dir.join("libauthkv.a")).args(SYSTEM_LIBS);
        }
    }
}

fn compile(program: &str, link: Link) -> PathBuf {
    let source = repo().join("tests/c").join(format!("{program}.c"));
    let binary = out_dir().join(format!("{program}-{link:?}").to_lowercase());
    let mut command = Command::new(tool("CC", "cc"));
    command.args(C_FLAGS).arg("-I").arg(repo().join("include"));
    if link == Link::Sanitized {
        command.args(SANITIZE);
    }
    command.arg(&source).arg("-o").arg(&binary);
    link_args(&mut command, link);
    run_checked(command, &format!("compiling {program}.c ({link:?})"));
    binary
}

/// The program built for `link`, compiled once per test run however many
/// tests ask for it.
fn binary(program: &str, link: Link) -> PathBuf {
    type Slot = Arc<OnceLock<PathBuf>>;
    static BUILT: Mutex<Option<HashMap<(String, Link), Slot>>> = Mutex::new(None);
    let slot = {
        let mut built = BUILT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(
            built
                .get_or_insert_with(HashMap::new)
                .entry((program.to_string(), link))
                .or_default(),
        )
    };
    slot.get_or_init(|| compile(program, link)).clone()
}

fn command(program: &str, link: Link) -> Command {
    let mut command = Command::new(binary(program, link));
    // cargo puts its output directories on LD_LIBRARY_PATH, which the loader
    // searches before the rpath: an older libauthkv.so from `cargo build`
    // would be loaded instead of the one built with this test.
    command
        .env_remove("LD_LIBRARY_PATH")
        .env("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    command
}

/// Run a scratch-directory program (flow, misuse, threads) and require
/// success.
fn passes(program: &str, link: Link) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = command(program, link);
    command.arg(dir.path());
    let output = run_checked(command, &format!("{program} ({link:?})"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{program}: ok")),
        "{program} ({link:?}) printed {stdout}"
    );
}

/// Run `open PATH STATUS`: succeeds when opening `path` gives `status`.
fn open_gives(path: &Path, status: u32) -> String {
    let mut command = command("open", Link::Shared);
    command.arg(path).arg(status.to_string());
    let output = run_checked(
        command,
        &format!("open {} expecting {status}", path.display()),
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_forked_child_is_refused_the_inherited_handle_and_opens_its_own() {
    passes("fork", Link::Shared);
}

#[test]
fn flow_against_the_shared_library() {
    passes("flow", Link::Shared);
}

#[test]
fn flow_against_the_static_library() {
    passes("flow", Link::Static);
}

#[test]
fn flow_under_address_and_undefined_sanitizers() {
    passes("flow", Link::Sanitized);
}

#[test]
fn misuse_against_the_shared_library() {
    passes("misuse", Link::Shared);
}

#[test]
fn misuse_against_the_static_library() {
    passes("misuse", Link::Static);
}

#[test]
fn misuse_under_address_and_undefined_sanitizers() {
    passes("misuse", Link::Sanitized);
}

#[test]
fn misuse_of_tokens_credentials_and_the_guard_against_the_shared_library() {
    passes("misuse_auth", Link::Shared);
}

#[test]
fn misuse_of_tokens_credentials_and_the_guard_against_the_static_library() {
    passes("misuse_auth", Link::Static);
}

#[test]
fn misuse_of_tokens_credentials_and_the_guard_under_sanitizers() {
    passes("misuse_auth", Link::Sanitized);
}

#[test]
fn threads_against_the_shared_library() {
    passes("threads", Link::Shared);
}

#[test]
fn threads_against_the_static_library() {
    passes("threads", Link::Static);
}

#[test]
fn threads_under_address_and_undefined_sanitizers() {
    passes("threads", Link::Sanitized);
}

/// The README's C example (`bindings/README-snippets.md` includes the file
/// verbatim) compiles with the documented flags and does what it says.
#[test]
fn readme_example_runs_as_documented() {
    for link in ALL_LINKS {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut command = command("readme_example", link);
        command.arg(dir.path().join("app.redb"));
        let output = run_checked(command, &format!("readme_example ({link:?})"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("Set-Cookie: authkv_session="), "{stdout}");
        assert!(stdout.contains("browser: user 42\n"), "{stdout}");
        assert!(stdout.contains("api: user 42 via token 1\n"), "{stdout}");
    }
}

#[test]
fn version_macros_equal_the_library_version() {
    for link in ALL_LINKS {
        let output = run_checked(command("version", link), &format!("version ({link:?})"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(env!("CARGO_PKG_VERSION")), "{stdout}");
    }
}

#[test]
fn a_second_process_shares_the_file_unless_it_was_opened_exclusive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("held.redb");
    let shared = Engine::open(&path, Config::default()).expect("open in this process");
    open_gives(&path, 0);
    shared.close().expect("close");
    let mut exclusive = Config::default();
    exclusive.concurrency = Concurrency::Exclusive;
    let engine = Engine::open(&path, exclusive).expect("open in this process");
    let stdout = open_gives(&path, 200);
    assert!(stdout.contains("locked by another process"), "{stdout}");
    assert!(
        stdout.contains("held.redb"),
        "the message names the file: {stdout}"
    );
    engine.close().expect("close");
    open_gives(&path, 0);
}

#[test]
fn open_says_why_a_file_is_not_a_usable_database() {
    let dir = tempfile::tempdir().expect("tempdir");

    let garbage = dir.path().join("garbage.redb");
    std::fs::write(&garbage, vec![b'x'; 8192]).expect("write");
    assert!(open_gives(&garbage, 201).contains("not a redb database"));

    let other = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&other).expect("create");
        let txn = db.begin_write().expect("write");
        let table: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("other");
        txn.open_table(table)
            .expect("table")
            .insert("k", 1)
            .expect("insert");
        txn.commit().expect("commit");
    }
    assert!(open_gives(&other, 202).contains("not an authkv file"));

    let newer = dir.path().join("newer.redb");
    Engine::open(&newer, Config::default())
        .expect("create")
        .close()
        .expect("close");
    {
        let db = redb::Database::create(&newer).expect("open");
        let txn = db.begin_write().expect("write");
        let meta: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("meta");
        txn.open_table(meta)
            .expect("meta")
            .insert("schema_version", "99")
            .expect("insert");
        txn.commit().expect("commit");
    }
    assert!(open_gives(&newer, 203).contains("schema version 99"));

    assert!(open_gives(&dir.path().join("missing-dir/x.redb"), 300).contains("missing-dir"));
}

#[test]
fn header_compiles_as_cplusplus_and_its_functions_link() {
    let header = repo().join("tests/c/header.c");
    let include = repo().join("include");
    let mut syntax = Command::new(tool("CXX", "c++"));
    syntax
        .args(CXX_FLAGS)
        .arg("-I")
        .arg(&include)
        .args(["-x", "c++", "-fsyntax-only"])
        .arg(&header);
    run_checked(syntax, "C++ syntax check of authkv.h");

    // Linking proves the extern "C" guards: without them the C++ compiler
    // would ask for mangled names the library does not export.
    let binary = out_dir().join("header-cplusplus");
    let mut build = Command::new(tool("CXX", "c++"));
    build
        .args(CXX_FLAGS)
        .arg("-I")
        .arg(&include)
        .args(["-x", "c++"])
        .arg(&header)
        .args(["-x", "none", "-o"])
        .arg(&binary);
    link_args(&mut build, Link::Shared);
    run_checked(build, "C++ build against authkv.h");
    let mut run = Command::new(&binary);
    run.env_remove("LD_LIBRARY_PATH");
    run_checked(run, "C++ program");
}

#[test]
fn header_compiles_as_strict_c11() {
    for link in [Link::Shared, Link::Static] {
        run_checked(command("header", link), &format!("header ({link:?})"));
    }
}

/// `packaging/install.sh` lays out an installed copy (the library built by
/// this run, through `AUTHKV_LIB_DIR`) in a scratch prefix; a program built
/// with `pkg-config --cflags --libs authkv` alone, not this repository's
/// `include/`, loads the installed `libauthkv.so.0` and works. `PKG_CONFIG`
/// overrides the pkg-config command.
#[test]
fn a_program_builds_with_pkg_config_against_an_installed_copy() {
    let prefix = tempfile::tempdir().expect("tempdir");
    let prefix = prefix.path();
    let mut install = Command::new("sh");
    install
        .arg(repo().join("packaging/install.sh"))
        .arg(prefix)
        .env("AUTHKV_LIB_DIR", lib_dir());
    run_checked(install, "packaging/install.sh");

    let lib = prefix.join("lib");
    let real = format!("libauthkv.so.{}", env!("CARGO_PKG_VERSION"));
    let target = |link: &str| {
        std::fs::read_link(lib.join(link))
            .unwrap_or_else(|e| panic!("{link} is not a symlink: {e}"))
    };
    assert_eq!(target("libauthkv.so"), Path::new("libauthkv.so.0"));
    assert_eq!(target("libauthkv.so.0"), Path::new(&real));
    for file in [
        lib.join(&real),
        lib.join("libauthkv.a"),
        lib.join("pkgconfig/authkv.pc"),
        prefix.join("include/authkv.h"),
    ] {
        assert!(file.is_file(), "{} not installed", file.display());
    }
    let dynamic = run_checked(
        {
            let mut readelf = Command::new("readelf");
            readelf.arg("-d").arg(lib.join(&real));
            readelf
        },
        "readelf -d",
    );
    assert!(
        String::from_utf8_lossy(&dynamic.stdout).contains("Library soname: [libauthkv.so.0]"),
        "SONAME: {}",
        String::from_utf8_lossy(&dynamic.stdout)
    );

    let pkg_config = |args: &[&str]| {
        let mut command = Command::new(tool("PKG_CONFIG", "pkg-config"));
        command
            .args(args)
            .arg("authkv")
            .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
            .env_remove("PKG_CONFIG_SYSROOT_DIR");
        let what = format!(
            "pkg-config {args:?} authkv (without pkg-config: apt-get install -y pkg-config, or \
             set PKG_CONFIG)"
        );
        String::from_utf8(run_checked(command, &what).stdout).expect("UTF-8 from pkg-config")
    };
    assert_eq!(
        pkg_config(&["--modversion"]).trim(),
        env!("CARGO_PKG_VERSION")
    );
    let flags = pkg_config(&["--cflags", "--libs"]);
    assert!(
        flags.contains(&format!("-I{}", prefix.join("include").display())),
        "{flags}"
    );

    let binary = out_dir().join("pkgconfig-installed");
    let mut build = Command::new(tool("CC", "cc"));
    build
        .args(C_FLAGS)
        .arg(repo().join("tests/c/pkgconfig.c"))
        .arg("-o")
        .arg(&binary)
        .args(flags.split_whitespace());
    run_checked(build, "compiling pkgconfig.c with pkg-config's flags");

    let scratch = tempfile::tempdir().expect("tempdir");
    let mut run = Command::new(&binary);
    run.arg(scratch.path()).env("LD_LIBRARY_PATH", &lib);
    let output = run_checked(run, "pkgconfig");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("pkgconfig: ok"), "{stdout}");
}
