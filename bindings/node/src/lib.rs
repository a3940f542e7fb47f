//! The Node.js addon of authkv: the crate's `Engine` as a napi-rs class.
//!
//! `index.js` (the package's entry point) wraps it: it checks argument
//! types, turns the errors raised here into its typed error classes and
//! gives the results their JavaScript shape. Cached lookups run on the
//! calling thread; every write and every argon2 computation runs as an
//! `AsyncTask` on libuv's thread pool and answers with a Promise.
//!
//! Errors leave this addon as JavaScript `Error`s whose message starts
//! with `[authkv:<status>] `, the C ABI's status number of the failure
//! (`include/authkv.h`), which `lib/errors.js` maps to a class.

mod convert;
mod credentials;
mod engine;
mod errors;
mod fast;
mod guard;
mod job;
mod options;
mod sessions;
mod tokens;

pub use engine::NativeEngine;
