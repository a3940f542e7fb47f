//! `NativeEngine`: open and close, housekeeping, statistics and the
//! manual clock. Sessions, tokens, credentials and the guard add their
//! methods in their own files.

use std::sync::Arc;
use std::time::{Duration, Instant};

use authkv::{Engine, ManualClock};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use parking_lot::RwLock;

use crate::convert::{GcReportObject, Id, StatsObject, VerifyReportObject};
use crate::errors::{CLOSED, MISUSE, failure, guarded, js};
use crate::job::{Job, spawn};
use crate::options::OpenOptions;

/// The engine behind one `NativeEngine`, shared with the fast entry
/// points of `fast.rs`, which find it by the handle number.
pub struct Slot {
    /// `None` once closed. Calls on the event loop borrow it; jobs on the
    /// thread pool hold a clone, so closing waits for them.
    engine: RwLock<Option<Arc<Engine>>>,
}

impl Slot {
    /// Run `call` with the open engine, on this thread.
    pub(crate) fn with<T>(&self, call: impl FnOnce(&Engine) -> napi::Result<T>) -> napi::Result<T> {
        let engine = self.engine.read();
        match engine.as_deref() {
            Some(engine) => guarded(|| call(engine)),
            None => Err(closed()),
        }
    }
}

/// An open authkv database. `index.js` wraps it as `Engine`.
#[napi]
pub struct NativeEngine {
    slot: Arc<Slot>,
    /// This engine's number for the fast entry points (`fast.rs`).
    handle: u32,
    /// Set with `manualClock: true`.
    clock: Option<ManualClock>,
}

/// An engine opened and not yet given to JavaScript.
pub struct Opened {
    engine: Engine,
    clock: Option<ManualClock>,
}

fn open(path: &str, options: Option<&OpenOptions>) -> napi::Result<Opened> {
    let default = OpenOptions::default();
    let (config, clock) = options.unwrap_or(&default).to_config()?;
    let engine = js(Engine::open(path, config))?;
    Ok(Opened { engine, clock })
}

impl NativeEngine {
    /// The JavaScript object of an opened engine; on the JavaScript thread,
    /// whose fast entry points then find it by its handle.
    fn from_opened(opened: Opened) -> Self {
        let slot = Arc::new(Slot {
            engine: RwLock::new(Some(Arc::new(opened.engine))),
        });
        let handle = crate::fast::register(Arc::clone(&slot));
        NativeEngine {
            slot,
            handle,
            clock: opened.clock,
        }
    }

    /// Run `call` with the open engine, on this thread.
    pub(crate) fn with<T>(&self, call: impl FnOnce(&Engine) -> napi::Result<T>) -> napi::Result<T> {
        self.slot.with(call)
    }

    /// The Promise of `call` with the open engine, run on the thread pool.
    pub(crate) fn job<T, F>(&self, call: F) -> napi::Result<AsyncTask<Job<T>>>
    where
        F: FnOnce(&Engine) -> napi::Result<T> + Send + 'static,
        T: Send + 'static,
        Job<T>: Task,
    {
        let engine = self.slot.engine.read().clone().ok_or_else(closed)?;
        Ok(spawn(engine, call))
    }
}

impl Drop for NativeEngine {
    fn drop(&mut self) {
        crate::fast::unregister(self.handle);
    }
}

fn closed() -> napi::Error {
    failure(CLOSED, "engine is closed")
}

/// Opening off the event loop (`Engine.open`).
pub struct OpenJob {
    path: String,
    options: Option<OpenOptions>,
}

impl Task for OpenJob {
    type Output = Opened;
    type JsValue = NativeEngine;

    fn compute(&mut self) -> napi::Result<Opened> {
        guarded(|| open(&self.path, self.options.as_ref()))
    }

    fn resolve(&mut self, _env: Env, opened: Opened) -> napi::Result<NativeEngine> {
        Ok(NativeEngine::from_opened(opened))
    }
}

/// Open (or create) the database at `path` on the thread pool.
#[napi]
pub fn open_engine(path: String, options: Option<OpenOptions>) -> AsyncTask<OpenJob> {
    AsyncTask::new(OpenJob { path, options })
}

/// Closing: waits for the calls still running on the thread pool, then
/// flushes pending touches and releases the file.
pub struct CloseJob {
    engine: Option<Arc<Engine>>,
}

impl Task for CloseJob {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let Some(mut engine) = self.engine.take() else {
            return Ok(());
        };
        // Jobs under way hold the other references; each ends by itself.
        loop {
            match Arc::try_unwrap(engine) {
                Ok(engine) => return guarded(|| js(engine.close())),
                Err(shared) => {
                    engine = shared;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

#[napi]
impl NativeEngine {
    /// Open (or create) the database at `path`, on this thread.
    #[napi(constructor)]
    pub fn new(path: String, options: Option<OpenOptions>) -> napi::Result<Self> {
        guarded(|| open(&path, options.as_ref())).map(Self::from_opened)
    }

    /// This engine's number for the fast entry points.
    #[napi(getter)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// Whether `close()` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.slot.engine.read().is_none()
    }

    /// Close: later calls fail with `Closed`; the Promise settles once the
    /// calls under way have ended and pending touches are written.
    #[napi]
    pub fn close(&self) -> AsyncTask<CloseJob> {
        AsyncTask::new(CloseJob {
            engine: self.slot.engine.write().take(),
        })
    }

    /// Write pending touches; resolves to how many records were updated.
    #[napi]
    pub fn flush(&self) -> napi::Result<AsyncTask<Job<Id>>> {
        self.job(|e| js(e.flush()).map(|n| Id(n as u64)))
    }

    /// Delete what expired.
    #[napi]
    pub fn gc(&self) -> napi::Result<AsyncTask<Job<GcReportObject>>> {
        self.job(|e| js(e.gc()).map(|r| GcReportObject::new(r, 0)))
    }

    /// Flush touches, and collect when this process holds the
    /// housekeeping lease.
    #[napi]
    pub fn housekeep(&self) -> napi::Result<AsyncTask<Job<GcReportObject>>> {
        self.job(|e| js(e.housekeep()).map(|(r, flushed)| GcReportObject::new(r, flushed)))
    }

    /// Check every record and index row.
    #[napi]
    pub fn verify(&self) -> napi::Result<AsyncTask<Job<VerifyReportObject>>> {
        self.job(|e| {
            js(e.verify()).map(|r| VerifyReportObject {
                records_checked: Id(r.records_checked),
                index_rows_checked: Id(r.index_rows_checked),
                problems: r.problems,
            })
        })
    }

    /// Counters and sizes.
    #[napi]
    pub fn stats(&self) -> napi::Result<StatsObject> {
        self.with(|e| js(e.stats()).map(StatsObject::from))
    }

    /// Set the time of an engine opened with `manualClock: true`.
    #[napi]
    pub fn set_time(&self, unix_seconds: Id) -> napi::Result<()> {
        self.with(|_| match &self.clock {
            Some(clock) => {
                clock.set(unix_seconds.0);
                Ok(())
            }
            None => Err(failure(
                MISUSE,
                "the engine uses the system clock; open it with manualClock: true to set the time",
            )),
        })
    }

    /// The time the engine reads, unix seconds.
    #[napi]
    pub fn now(&self) -> napi::Result<Id> {
        self.with(|e| Ok(Id(e.config().clock.now())))
    }

    /// Whether the file is shared with other processes (the default) or
    /// held by this one (`exclusive: true`).
    #[napi(getter)]
    pub fn exclusive(&self) -> napi::Result<bool> {
        self.with(|e| Ok(e.config().concurrency == authkv::Concurrency::Exclusive))
    }

    /// The idle lifetime of a session, seconds.
    #[napi(getter)]
    pub fn idle_lifetime_secs(&self) -> napi::Result<Id> {
        self.with(|e| Ok(Id(e.config().idle_lifetime.as_secs())))
    }

    /// For the benchmark: `iterations` guard calls with this Cookie and
    /// Referer made in Rust, on this engine; the mean in nanoseconds.
    #[napi]
    pub fn bench_rust_guard(
        &self,
        cookie: String,
        referer: String,
        iterations: u32,
    ) -> napi::Result<f64> {
        self.with(|e| {
            let request = authkv::Request {
                method: "GET",
                cookie: Some(&cookie),
                referer: Some(&referer),
                ..Default::default()
            };
            let started = Instant::now();
            for _ in 0..iterations {
                std::hint::black_box(js(e.authenticate(std::hint::black_box(&request)))?);
            }
            Ok(started.elapsed().as_nanos() as f64 / f64::from(iterations.max(1)))
        })
    }
}
