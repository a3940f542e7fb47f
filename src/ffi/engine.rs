//! Engine lifecycle and housekeeping over the C ABI: open, close, the manual
//! clock, flush, garbage collection, consistency check and counters.

use std::ffi::c_char;
use std::path::PathBuf;

use crate::engine::clock::Clock;

use super::boundary::{Failure, run};
use super::buffer::{authkv_string, new_string};
use super::handle::{self, MAX_PATH, authkv_engine};
use super::options::{authkv_options, options_or_default};
use super::slice;
use super::status::authkv_status;

/// Counters and sizes of an engine, filled by `authkv_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
#[allow(non_camel_case_types)]
pub struct authkv_engine_stats {
    /// Session records stored (live, or expired and not yet collected).
    pub sessions: u64,
    /// Write transactions committed since the engine was opened.
    pub write_commits: u64,
    /// Touches waiting in memory for the next flush.
    pub touches_pending: u64,
    /// Record lookups made on behalf of callers.
    pub lookups: u64,
    /// Records garbage collection read.
    pub gc_examined: u64,
    /// Records garbage collection deleted.
    pub gc_deleted: u64,
    /// Failed background flush or collection runs.
    pub background_errors: u64,
    /// Personal access tokens stored (live, or expired and not yet pruned).
    pub tokens: u64,
    /// Argon2 password verifications run: one per login attempt that is
    /// not throttled and per password confirmation, known login or not.
    pub password_verifications: u64,
    /// Stored password credentials (one per user).
    pub credentials: u64,
    /// Stored remember-me tokens (one per remembered device).
    pub remember_tokens: u64,
}

/// What one `authkv_gc` run did.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
#[allow(non_camel_case_types)]
pub struct authkv_gc_report {
    /// Expired sessions deleted.
    pub sessions_deleted: u64,
    /// Records read to decide.
    pub records_examined: u64,
    /// Write transactions used (one per batch).
    pub batches: u64,
    /// Personal access tokens pruned (expired for more than
    /// `token_prune_hours`).
    pub tokens_deleted: u64,
    /// Login throttle counters whose window had passed, deleted.
    pub throttles_deleted: u64,
    /// Expired remember-me tokens deleted.
    pub remember_tokens_deleted: u64,
}

/// The path argument of `authkv_open` as a file system path.
///
/// # Safety
/// As for [`slice::bytes`].
unsafe fn path_arg(ptr: *const c_char, len: usize) -> Result<PathBuf, Failure> {
    if len > MAX_PATH {
        return Err(Failure::invalid(format!(
            "path of {len} bytes exceeds the limit of {MAX_PATH} bytes"
        )));
    }
    // SAFETY: forwarded from the caller.
    let raw = unsafe { slice::bytes(ptr.cast::<u8>(), len, "path") }?;
    if raw.is_empty() {
        return Err(Failure::invalid("path is empty"));
    }
    if let Some(at) = raw.iter().position(|&b| b == 0) {
        return Err(Failure::invalid(format!(
            "path contains a NUL byte at offset {at}"
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(raw)))
    }
    #[cfg(not(unix))]
    {
        // SAFETY: forwarded from the caller.
        let text = unsafe { slice::text(ptr, len, "path") }?;
        Ok(PathBuf::from(text))
    }
}

/// Open the authkv database at `path` (`path_len` bytes, not NUL-terminated),
/// creating it when it does not exist, and store a new handle in `*out`.
///
/// `opts` may be NULL for the defaults; it, and the text it points to, is
/// only read during the call.
///
/// Opening a file this process already has open (by any path that resolves
/// to the same file) returns a new handle to the same engine: every handle
/// must then be closed, and the engine closes with the last. The options of
/// such a second open must equal the first's, field by field (text fields
/// by content, not by pointer), else `AUTHKV_MISUSE` (the message names the
/// first field that differs).
///
/// Returns `AUTHKV_OK`; `AUTHKV_NULL_POINTER` (NULL `out`, or NULL `path`
/// with a non-zero length); `AUTHKV_INVALID_ARGUMENT` (empty path, a NUL in
/// it, longer than 4096 bytes, or an option out of range or malformed — the
/// message names the field);
/// `AUTHKV_LOCKED` when another process has the file open;
/// `AUTHKV_NOT_REDB`, `AUTHKV_NOT_AUTHKV`, `AUTHKV_SCHEMA_TOO_NEW` for a file
/// that is not a usable authkv database; `AUTHKV_IO` when the file or its
/// directory cannot be read or created; `AUTHKV_MISUSE` as above.
///
/// `*out` is only written on success. Thread-safe. Do not use an engine in a
/// child process after `fork()`: open it in the child.
///
/// # Safety
/// `path` must be valid for reads of `path_len` bytes; `opts` NULL or a valid
/// `authkv_options` whose text fields are valid for reads of their lengths;
/// `out` NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_open(
    path: *const c_char,
    path_len: usize,
    opts: *const authkv_options,
    out: *mut *mut authkv_engine,
) -> authkv_status {
    run("authkv_open", || {
        let out = slice::out(out, "out")?;
        // SAFETY: forwarded from the caller.
        let path = unsafe { path_arg(path, path_len) }?;
        // SAFETY: forwarded from the caller.
        let options = unsafe { options_or_default(opts) }?;
        let key = handle::canonical_key(&path)?;
        let engine = handle::open(key, options)?;
        // SAFETY: the caller guarantees `out` is valid for a write.
        unsafe { slice::write(out, engine) };
        Ok(())
    })
}

/// Open the authkv tables in the PostgreSQL database at `url` (`url_len`
/// bytes, not NUL-terminated: a connection string such as
/// `host=/run/postgresql dbname=app` or `postgresql://user:pass@db/app`),
/// creating or upgrading them, and store a new handle in `*out`. Several
/// hosts open the same database to share one state; see README for the
/// guarantee between them. `opts` as for `authkv_open` (`exclusive` and
/// `create` do not apply). Opening the same URL again in this process
/// shares the engine, as `authkv_open` does for a file.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NULL_POINTER`; `AUTHKV_INVALID_ARGUMENT`
/// (an empty URL, one longer than 4096 bytes or not UTF-8, or an option out
/// of range); `AUTHKV_UNAVAILABLE` when the server cannot be reached or
/// refuses the login (the message never repeats the URL, which may hold a
/// password); `AUTHKV_SCHEMA_TOO_NEW`; `AUTHKV_UNSUPPORTED` when this library
/// was built without its `postgres` feature.
///
/// # Safety
/// `url` must be valid for reads of `url_len` bytes; `opts` and `out` as for
/// `authkv_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_open_postgres(
    url: *const c_char,
    url_len: usize,
    opts: *const authkv_options,
    out: *mut *mut authkv_engine,
) -> authkv_status {
    run("authkv_open_postgres", || {
        let out = slice::out(out, "out")?;
        if url_len > MAX_PATH {
            return Err(Failure::invalid(format!(
                "url of {url_len} bytes exceeds the limit of {MAX_PATH} bytes"
            )));
        }
        // SAFETY: forwarded from the caller.
        let url = unsafe { slice::text(url, url_len, "url") }?;
        if url.is_empty() {
            return Err(Failure::invalid("url is empty"));
        }
        // SAFETY: forwarded from the caller.
        let options = unsafe { options_or_default(opts) }?;
        let engine = open_server(url, options)?;
        // SAFETY: the caller guarantees `out` is valid for a write.
        unsafe { slice::write(out, engine) };
        Ok(())
    })
}

/// Open (or share) the engine on the database at `url`. Registered under a
/// digest of the URL, so that its password is kept nowhere.
#[cfg(feature = "postgres")]
fn open_server(
    url: &str,
    options: super::open_options::OpenOptions,
) -> Result<*mut authkv_engine, Failure> {
    let digest = crate::secret::to_hex(&crate::secret::sha256(url.as_bytes()));
    let key = PathBuf::from(format!("postgres:{digest}"));
    handle::open_with(key, "the PostgreSQL database", options, |config| {
        crate::Engine::open_postgres(url, config)
    })
}

#[cfg(not(feature = "postgres"))]
fn open_server(
    _url: &str,
    _options: super::open_options::OpenOptions,
) -> Result<*mut authkv_engine, Failure> {
    Err(Failure::new(
        authkv_status::AUTHKV_UNSUPPORTED,
        "this library was built without its postgres feature",
    ))
}

/// Release a handle from `authkv_open`. When it is the last handle of its
/// engine, pending touches are flushed, every commit is made durable and
/// the file is closed. In a child of `fork()`, closing a handle inherited
/// from the parent releases it without touching the file (`AUTHKV_OK`).
///
/// Calling with NULL is a harmless no-op. The handle is invalid after the
/// call whatever the status; it must not be closed twice, and no other call
/// may be using this handle at the time (other handles of the same file stay
/// valid).
///
/// Returns `AUTHKV_OK`, or `AUTHKV_IO` / `AUTHKV_STORAGE` when the final
/// flush failed (touches are lost then; committed data is not).
///
/// # Safety
/// `engine` must be NULL or a handle from `authkv_open` not yet closed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_close(engine: *mut authkv_engine) -> authkv_status {
    run("authkv_close", || {
        if engine.is_null() {
            return Ok(());
        }
        // SAFETY: the caller guarantees a live handle, released once.
        unsafe { handle::release(engine) }
    })
}

/// Set the clock of an engine opened with `manual_clock` to `unix_seconds`.
/// The time may move backwards. All handles of the engine see it.
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER`, or `AUTHKV_MISUSE` when the
/// engine uses the system clock. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_set_time(
    engine: *const authkv_engine,
    unix_seconds: u64,
) -> authkv_status {
    run("authkv_set_time", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        match &engine.config().clock {
            Clock::Manual(clock) => {
                clock.set(unix_seconds);
                Ok(())
            }
            Clock::System => Err(Failure::misuse(
                "the engine uses the system clock; open it with manual_clock = true to set the time",
            )),
        }
    })
}

/// Write every pending touch in one transaction. `*flushed_out` receives
/// the number of sessions updated; it is optional (may be NULL).
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER` (NULL engine), or a storage
/// status (the touches then stay pending). Outputs are only written on
/// success. Thread-safe; blocks while another write is in progress.
///
/// # Safety
/// `engine` must be NULL or a live handle; `flushed_out` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_flush(
    engine: *const authkv_engine,
    flushed_out: *mut usize,
) -> authkv_status {
    run("authkv_flush", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let flushed = engine.flush()?;
        // SAFETY: the caller guarantees a non-NULL pointer is writable.
        unsafe { slice::write_optional(flushed_out, flushed) };
        Ok(())
    })
}

/// Delete what expired now, in batches of `gc_batch_size` rows per
/// transaction: sessions, personal access tokens expired for more than
/// `token_prune_hours`, spent login throttle counters and expired
/// remember-me tokens. Costs O(rows due), see `Engine::gc`. `*out`
/// (optional, may be NULL) receives what was done.
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER` (NULL engine), or a storage
/// status (batches committed before the failure stay committed). Outputs
/// are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_gc(
    engine: *const authkv_engine,
    out: *mut authkv_gc_report,
) -> authkv_status {
    run("authkv_gc", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let report = engine.gc()?;
        let report = authkv_gc_report {
            sessions_deleted: report.sessions_deleted,
            records_examined: report.records_examined,
            batches: report.batches,
            tokens_deleted: report.tokens_deleted,
            throttles_deleted: report.throttles_deleted,
            remember_tokens_deleted: report.remember_tokens_deleted,
        };
        // SAFETY: the caller guarantees a non-NULL pointer is writable.
        unsafe { slice::write_optional(out, report) };
        Ok(())
    })
}

/// Check, in one snapshot, that every table and its indexes agree.
/// `*problems_out` receives the number of problems found (0 for a consistent
/// file). When `report_out` is not NULL, `*report_out` receives a
/// library-owned string with one line per problem (empty when there are
/// none); free it with `authkv_string_free`.
///
/// Returns `AUTHKV_OK` (whether or not problems were found),
/// `AUTHKV_NULL_POINTER`, or a storage status. Outputs are only written on
/// success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `problems_out` NULL or valid for
/// a write; `report_out` NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_verify(
    engine: *const authkv_engine,
    problems_out: *mut usize,
    report_out: *mut *mut authkv_string,
) -> authkv_status {
    run("authkv_verify", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let problems_out = slice::out(problems_out, "problems_out")?;
        let report = engine.verify()?;
        let text = (!report_out.is_null()).then(|| new_string(&report.problems.join("\n")));
        // SAFETY: the caller guarantees the pointers are writable.
        unsafe {
            slice::write(problems_out, report.problems.len());
            if let Some(text) = text {
                slice::write_optional(report_out, text);
            }
        }
        Ok(())
    })
}

/// Fill `*out` with the engine's counters and sizes.
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER`, or a storage status. Values
/// are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_stats(
    engine: *const authkv_engine,
    out: *mut authkv_engine_stats,
) -> authkv_status {
    run("authkv_stats", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let out = slice::out(out, "out")?;
        let stats = engine.stats()?;
        let stats = authkv_engine_stats {
            sessions: stats.sessions,
            write_commits: stats.write_commits,
            touches_pending: stats.touches_pending,
            lookups: stats.lookups,
            gc_examined: stats.gc_examined,
            gc_deleted: stats.gc_deleted,
            background_errors: stats.background_errors,
            tokens: stats.tokens,
            password_verifications: stats.password_verifications,
            credentials: stats.credentials,
            remember_tokens: stats.remember_tokens,
        };
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { slice::write(out, stats) };
        Ok(())
    })
}
