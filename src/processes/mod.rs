//! What every layer needs to know about the process it runs in: whether
//! it is a child of `fork()` of the process that opened an engine, and how
//! to keep a panic inside a call quiet.

pub(crate) mod fork;
pub(crate) mod quiet_panic;
