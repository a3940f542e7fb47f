//! Abilities over the C ABI: the newline-separated list a caller passes in,
//! and the library-owned list of views handed out inside tokens, token
//! listings and principals.
//!
//! A list goes in as one `(pointer, length)` text with one ability per line
//! (`"posts:read\nposts:write"`): the one shape every host language passes
//! without building an array. An ability cannot contain a newline; the empty
//! text is the empty list.

use std::ffi::c_char;

use crate::token::ability::WILDCARD;

use super::boundary::Failure;
use super::buffer::authkv_str;
use super::slice;

/// Most abilities one list may hold (a token's limit).
pub const AUTHKV_ABILITIES_MAX: usize = 64;
/// Longest single ability, in bytes.
pub const AUTHKV_ABILITY_MAX_LEN: usize = 255;

/// Longest newline-separated list accepted, in bytes: the most abilities of
/// the longest length, with their separators.
const MAX_LIST_LEN: usize = AUTHKV_ABILITIES_MAX * (AUTHKV_ABILITY_MAX_LEN + 1);

/// A list of abilities owned by the object it is part of: `len` views at
/// `items` (NULL when `len` is 0), in the order given at creation. The
/// ability `*` grants every other one. Valid until the owning object is
/// freed.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_abilities {
    /// `len` abilities; NULL when `len` is 0.
    pub items: *const authkv_str,
    /// Number of abilities.
    pub len: usize,
}

/// The buffers an [`authkv_abilities`] points into.
pub(crate) enum AbilitiesKeep {
    /// `*` alone: a static list, nothing allocated.
    All,
    /// Every ability in one buffer, each followed by its NUL, and the
    /// views into it: two allocations however many abilities. (A `Vec`:
    /// its heap bytes stay put when it is moved, so the views stay valid.)
    Listed {
        text: Vec<u8>,
        views: Vec<authkv_str>,
    },
}

/// The view of `["*"]`, shared by every [`AbilitiesKeep::All`].
struct StaticViews([authkv_str; 1]);

// SAFETY: the view points into a static, immutable, NUL-terminated string.
unsafe impl Sync for StaticViews {}

static ALL: StaticViews = StaticViews([authkv_str {
    ptr: c"*".as_ptr(),
    len: WILDCARD.len(),
}]);

impl AbilitiesKeep {
    /// Keep `abilities` for a view: `["*"]` as the static list, any other
    /// list copied.
    pub(crate) fn new<S: AsRef<str>>(abilities: &[S]) -> Self {
        if let [only] = abilities
            && only.as_ref() == WILDCARD
        {
            return Self::All;
        }
        let size = abilities.iter().map(|a| a.as_ref().len() + 1).sum();
        let mut text = Vec::with_capacity(size);
        let mut starts = Vec::with_capacity(abilities.len());
        for ability in abilities {
            starts.push((text.len(), ability.as_ref().len()));
            text.extend_from_slice(ability.as_ref().as_bytes());
            text.push(0);
        }
        // Views are taken once the buffer is complete (it never grows
        // again), so none points into a freed allocation.
        let base = text.as_ptr();
        let views = starts
            .into_iter()
            .map(|(start, len)| authkv_str {
                // SAFETY: `start` is within `text`, which holds `size` bytes.
                ptr: unsafe { base.add(start) }.cast(),
                len,
            })
            .collect();
        Self::Listed { text, views }
    }

    /// The view a caller reads.
    pub(crate) fn view(&self) -> authkv_abilities {
        let views: &[authkv_str] = match self {
            Self::All => &ALL.0,
            Self::Listed { text, views } => {
                debug_assert_eq!(text.iter().filter(|&&b| b == 0).count(), views.len());
                views
            }
        };
        authkv_abilities {
            items: if views.is_empty() {
                std::ptr::null()
            } else {
                views.as_ptr()
            },
            len: views.len(),
        }
    }
}

/// Borrow a newline-separated list of abilities: empty text is the empty
/// list. Each line is returned as given; the caller's API judges empty or
/// long abilities and names their position.
///
/// # Safety
/// As for [`slice::text`].
pub(crate) unsafe fn list<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<Vec<&'a str>, Failure> {
    if len > MAX_LIST_LEN {
        return Err(Failure::invalid(format!(
            "{what} of {len} bytes exceeds the limit of {MAX_LIST_LEN} bytes \
             ({AUTHKV_ABILITIES_MAX} abilities of at most {AUTHKV_ABILITY_MAX_LEN} bytes)"
        )));
    }
    // SAFETY: forwarded from the caller.
    let text = unsafe { slice::text(ptr, len, what) }?;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    Ok(text.split('\n').collect())
}

/// The abilities a caller-visible list holds.
///
/// # Safety
/// `abilities` must be a list handed out by the library (inside a live
/// object), or built by the caller with the same layout and valid views.
pub(crate) unsafe fn entries<'a>(abilities: &authkv_abilities) -> Result<Vec<&'a [u8]>, Failure> {
    if abilities.len == 0 {
        return Ok(Vec::new());
    }
    if abilities.items.is_null() {
        return Err(Failure::null("abilities.items"));
    }
    // SAFETY: the caller guarantees `len` views at `items`.
    let views = unsafe { std::slice::from_raw_parts(abilities.items, abilities.len) };
    views
        .iter()
        // SAFETY: each view is valid for its length (the caller's guarantee).
        .map(|v| unsafe { slice::bytes(v.ptr.cast::<u8>(), v.len, "ability") })
        .collect()
}

/// Whether `granted` allows `ability`: listed exactly, or `*` is listed
/// (Sanctum's rule, as [`crate::Abilities::can`]).
pub(crate) fn grants(granted: &[&[u8]], ability: &[u8]) -> bool {
    granted
        .iter()
        .any(|a| *a == WILDCARD.as_bytes() || *a == ability)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Abilities;

    #[test]
    fn a_newline_list_splits_into_abilities_and_empty_is_none() {
        let text = "posts:read\nposts:write";
        // SAFETY: `text` is valid for its length.
        let parsed = unsafe { list(text.as_ptr().cast(), text.len(), "abilities") };
        assert_eq!(parsed.expect("list"), ["posts:read", "posts:write"]);
        // SAFETY: NULL with length 0 is the empty input.
        let empty = unsafe { list(std::ptr::null(), 0, "abilities") }.expect("empty");
        assert!(empty.is_empty());
        let trailing = "a\n";
        // SAFETY: as above.
        let parsed = unsafe { list(trailing.as_ptr().cast(), trailing.len(), "abilities") };
        assert_eq!(
            parsed.expect("list"),
            ["a", ""],
            "the API refuses the empty one"
        );
    }

    #[test]
    fn an_over_long_list_is_refused_before_it_is_read() {
        let byte = b'a';
        // SAFETY: the length check fails before the pointer is read.
        let err = unsafe { list((&raw const byte).cast(), MAX_LIST_LEN + 1, "abilities") }
            .expect_err("too long");
        assert!(err.message.contains("exceeds the limit"), "{}", err.message);
    }

    #[test]
    fn views_round_trip_and_grant_as_the_rust_rules_do() {
        for granted in [vec!["read", "write"], vec!["*"], vec![]] {
            let keep = AbilitiesKeep::new(&granted);
            let view = keep.view();
            assert_eq!(view.len, granted.len());
            assert_eq!(view.items.is_null(), granted.is_empty());
            // SAFETY: `keep` owns the views.
            let bytes = unsafe { entries(&view) }.expect("entries");
            let rust = Abilities::new(&granted);
            for ability in ["read", "write", "admin", "*", ""] {
                assert_eq!(
                    grants(&bytes, ability.as_bytes()),
                    rust.can(ability),
                    "{granted:?} / {ability}"
                );
            }
        }
    }
}
