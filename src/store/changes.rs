//! The records a write transaction changed: every backend notes each
//! session and token it writes, so that the engine can announce them to
//! every cache that may hold them (see `coherence`).

use std::cell::RefCell;

use crate::secret::Digest;

/// A record a write transaction changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Changed {
    /// A session, by id digest.
    Session(Digest),
    /// A personal access token, by id.
    Token(u64),
}

thread_local! {
    /// Records changed by the write closure running on this thread. A
    /// closure runs synchronously on one thread (its caller's, or a write
    /// combining leader's, which takes the list before and after each
    /// member's change), so this is exactly that closure's list.
    static CHANGED: RefCell<Vec<Changed>> = const { RefCell::new(Vec::new()) };
}

/// Note that the running write transaction changed a record.
pub(crate) fn note_changed(changed: Changed) {
    CHANGED.with(|list| list.borrow_mut().push(changed));
}

/// Take the records the finished transaction changed (empty after an abort
/// has cleared them).
pub(crate) fn take_changed() -> Vec<Changed> {
    CHANGED.with(|list| std::mem::take(&mut *list.borrow_mut()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_records_are_taken_once() {
        note_changed(Changed::Token(3));
        note_changed(Changed::Session([1; 32]));
        assert_eq!(
            take_changed(),
            vec![Changed::Token(3), Changed::Session([1; 32])]
        );
        assert!(take_changed().is_empty());
    }
}
