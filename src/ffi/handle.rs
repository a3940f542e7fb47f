//! Engine handles and the per-process registry that makes every
//! `authkv_open` of one file share one engine.
//!
//! Hosts that open per thread or per request should not pay for a new
//! engine (and its cold caches) each time, so the registry maps each
//! canonical path to the engine already open there. Each
//! `authkv_open` returns its own handle holding one reference; the engine
//! closes when the last handle does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::engine::Engine;
use crate::error::{Error, OpenError};

use super::boundary::Failure;
use super::open_options::OpenOptions;
use super::status::authkv_status;

/// An open authkv database: opaque, made by `authkv_open`, released by
/// `authkv_close`.
///
/// Thread-safe: any number of threads may use one handle at the same time.
#[allow(non_camel_case_types)]
pub struct authkv_engine {
    _private: [u8; 0],
}

/// What an `authkv_engine *` points to.
pub(crate) struct EngineHandle {
    engine: Arc<Engine>,
    key: PathBuf,
}

/// One open file: the engine (alive while a handle holds it) and the
/// options it was opened with.
struct Entry {
    engine: Weak<Engine>,
    options: OpenOptions,
}

/// Canonical path → the engine open there.
static REGISTRY: Mutex<BTreeMap<PathBuf, Entry>> = Mutex::new(BTreeMap::new());

/// Longest path accepted, in bytes.
pub(crate) const MAX_PATH: usize = 4096;

/// The key under which `path` is registered: the canonical path of the file,
/// or, when it does not exist yet, of its directory joined with its name.
pub(crate) fn canonical_key(path: &Path) -> Result<PathBuf, Failure> {
    let io_failure = |what: &Path, e: std::io::Error| {
        Failure::new(
            authkv_status::AUTHKV_IO,
            format!("cannot resolve {}: {e}", what.display()),
        )
    };
    match std::fs::canonicalize(path) {
        Ok(key) => return Ok(key),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_failure(path, e)),
        Err(_) => {}
    }
    let name = path
        .file_name()
        .ok_or_else(|| Failure::invalid(format!("path {} does not name a file", path.display())))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(parent).map_err(|e| io_failure(parent, e))?;
    Ok(dir.join(name))
}

/// Describe an open failure, naming the file. `Locked` here means another
/// process (or a Rust `Engine` outside the registry), since this process's
/// own `authkv_open` calls share the engine.
fn open_failure(shown: &str, error: Error) -> Failure {
    let status = authkv_status::from(&error);
    let message = match error {
        Error::Open(OpenError::Locked) => format!(
            "{}: database is locked by another process (a process that opened it with \
             `exclusive` owns it alone, and every process must open a file in the same mode)",
            shown
        ),
        other => format!("{shown}: {other}"),
    };
    Failure::new(status, message)
}

/// Open the file at `key` (already canonical), or share the engine this
/// process has open there. Returns a new handle.
///
/// The registry is never locked while a file opens or closes (that may take
/// long): a `fork()` meanwhile would leave the child's copy of the lock held
/// for good. Two threads opening one file at once may each open an engine;
/// the second to finish uses the first's and drops its own (both share the
/// open file underneath).
pub(crate) fn open(key: PathBuf, options: OpenOptions) -> Result<*mut authkv_engine, Failure> {
    let shown = key.display().to_string();
    let path = key.clone();
    open_with(key, &shown, options, |config| Engine::open(&path, config))
}

/// [`open`] for any store: `key` names it in the registry, `shown` in
/// messages, `opener` opens it when this process has no engine there yet.
pub(crate) fn open_with(
    key: PathBuf,
    shown: &str,
    options: OpenOptions,
    opener: impl FnOnce(crate::Config) -> Result<Engine, Error>,
) -> Result<*mut authkv_engine, Failure> {
    let engine = match shared(&key, shown, &options)? {
        Some(engine) => engine,
        None => {
            let config = options.to_config().map_err(|e| e.context(shown))?;
            let opened = Arc::new(opener(config).map_err(|e| open_failure(shown, e))?);
            let mut registry = REGISTRY.lock();
            match live(registry.get(&key)) {
                Some((engine, _)) => engine,
                None => {
                    registry.insert(
                        key.clone(),
                        Entry {
                            engine: Arc::downgrade(&opened),
                            options,
                        },
                    );
                    opened
                }
            }
        }
    };
    let handle = Box::new(EngineHandle { engine, key });
    Ok(Box::into_raw(handle).cast::<authkv_engine>())
}

/// The engine this process has open at `key`, if its options are `options`.
fn shared(key: &Path, shown: &str, options: &OpenOptions) -> Result<Option<Arc<Engine>>, Failure> {
    let Some((engine, first)) = live(REGISTRY.lock().get(key)) else {
        return Ok(None);
    };
    if let Some((field, was, now)) = first.first_difference(options) {
        return Err(Failure::misuse(format!(
            "{} is already open in this process with {field} = {was}; this call asks for \
             {now} (every open of a file must pass the same options)",
            shown
        )));
    }
    Ok(Some(engine))
}

/// An entry's engine while it lives and belongs to this process (a child
/// of `fork()` inherits the parent's engines but may not use them).
fn live(entry: Option<&Entry>) -> Option<(Arc<Engine>, OpenOptions)> {
    let entry = entry?;
    let engine = entry.engine.upgrade()?;
    engine
        .opened_in_this_process()
        .then(|| (engine, entry.options.clone()))
}

/// Release a handle: drop its reference, and close the engine when it was
/// the last. The handle is gone whatever the result.
///
/// # Safety
/// `ptr` must come from [`open`] and not have been released.
pub(crate) unsafe fn release(ptr: *mut authkv_engine) -> Result<(), Failure> {
    // SAFETY: the caller guarantees `ptr` came from Box::into_raw of an
    // EngineHandle in `open` and is released once.
    let handle = unsafe { Box::from_raw(ptr.cast::<EngineHandle>()) };
    let EngineHandle { engine, key } = *handle;
    let Ok(engine) = Arc::try_unwrap(engine) else {
        return Ok(()); // another handle still uses the engine
    };
    {
        let mut registry = REGISTRY.lock();
        // Unless the entry is already another engine's (a child's own,
        // opened after fork() while the parent's handle lived on).
        if registry
            .get(&key)
            .is_some_and(|entry| entry.engine.strong_count() == 0)
        {
            registry.remove(&key);
        }
    }
    engine
        .close()
        .map_err(|e| Failure::from(e).context(&key.display().to_string()))
}

/// The engine behind a handle, for the duration of a call.
///
/// # Safety
/// Unless NULL, `ptr` must be a live handle from `authkv_open`, not released
/// before the call returns.
pub(crate) unsafe fn engine<'a>(ptr: *const authkv_engine) -> Result<&'a Engine, Failure> {
    // SAFETY: guaranteed by the caller: a non-NULL pointer is a live handle.
    let handle = unsafe { ptr.cast::<EngineHandle>().as_ref() };
    handle
        .map(|h| h.engine.as_ref())
        .ok_or_else(|| Failure::null("engine"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_keys_on_its_canonical_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let canonical_dir = std::fs::canonicalize(dir.path()).expect("canonical");
        let roundabout = dir.path().join(".").join("auth.redb");
        assert_eq!(
            canonical_key(&roundabout).expect("key"),
            canonical_dir.join("auth.redb")
        );
    }

    #[cfg(unix)]
    #[test]
    fn existing_file_keys_through_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.redb");
        std::fs::write(&real, b"").expect("create");
        let link = dir.path().join("link.redb");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        assert_eq!(
            canonical_key(&link).expect("key"),
            canonical_key(&real).expect("key")
        );
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let err = canonical_key(Path::new("/nonexistent-authkv-dir/x.redb")).expect_err("missing");
        assert_eq!(err.status, authkv_status::AUTHKV_IO);
        assert!(
            err.message.contains("/nonexistent-authkv-dir"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_path_without_a_file_name_is_invalid() {
        let err = canonical_key(Path::new("/nonexistent-authkv-dir/..")).expect_err("no name");
        assert_eq!(err.status, authkv_status::AUTHKV_INVALID_ARGUMENT);
    }
}
