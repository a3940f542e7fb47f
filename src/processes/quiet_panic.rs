//! Panics inside the storage engine, caught without a word on the host's
//! stderr. redb panics on some damaged files; authkv turns each into an
//! error (and stops writing), so the default hook's message would only
//! alarm. The hook installed here stays silent while a thread is inside
//! [`catch`] and hands every other panic to the hook it replaced.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::error::Error;

thread_local! {
    static INSIDE: Cell<u32> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

/// Run `f`; a panic becomes `Err` with its message.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if INSIDE.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    INSIDE.with(|inside| inside.set(inside.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    INSIDE.with(|inside| inside.set(inside.get() - 1));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

/// Run `f`, which uses the store; a panic inside it (the storage engine's
/// or the client's) becomes [`Error::Corrupt`] instead of unwinding through
/// the caller.
pub(crate) fn contained<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch(f).unwrap_or_else(|message| {
        Err(Error::Corrupt {
            table: "(storage)",
            detail: format!("the storage engine failed: {message}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> u8 { panic!("page 12 is garbage") }),
            Err("page 12 is garbage".into())
        );
        let owned = String::from("owned");
        assert_eq!(catch(|| -> u8 { panic!("{owned}") }), Err("owned".into()));
    }
}
