//! One engine call run on libuv's thread pool: the Promise a durable write
//! or an argon2 computation answers with, so the event loop never waits
//! for an fsync or a password hash.

use std::sync::Arc;

use authkv::Engine;
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};

use crate::errors::guarded;

type Work<T> = Box<dyn FnOnce(&Engine) -> napi::Result<T> + Send>;

/// A call on `engine`, made off the event loop. The engine stays alive
/// (and open) until the call has ended, even when `close()` comes first.
pub struct Job<T> {
    engine: Arc<Engine>,
    work: Option<Work<T>>,
}

/// The Promise of `work(engine)`.
pub fn spawn<T, F>(engine: Arc<Engine>, work: F) -> AsyncTask<Job<T>>
where
    F: FnOnce(&Engine) -> napi::Result<T> + Send + 'static,
    T: Send + 'static,
    Job<T>: Task,
{
    AsyncTask::new(Job {
        engine,
        work: Some(Box::new(work)),
    })
}

impl<T> Task for Job<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self
            .work
            .take()
            .ok_or_else(|| crate::errors::failure(crate::errors::MISUSE, "job ran twice"))?;
        let engine = &self.engine;
        guarded(|| work(engine))
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }
}
