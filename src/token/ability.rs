//! Abilities of a principal, with Sanctum's rules: exact string match, and
//! `*` grants everything. Kept apart from tokens so that a request guard can
//! give a session-authenticated user [`Abilities::all`].

/// The ability that grants every other one.
pub const WILDCARD: &str = "*";

use std::sync::{Arc, LazyLock};

/// What a token (or another principal) may do. Cloning shares the list.
#[derive(Clone, Default)]
pub struct Abilities(List);

/// The list behind [`Abilities`]: `["*"]` for every session user, without
/// even a shared counter to bump on each request, or a token's own list.
#[derive(Clone, Default)]
enum List {
    #[default]
    Empty,
    All,
    Listed(Arc<[String]>),
}

/// `["*"]`, as [`Abilities::as_slice`] shows [`List::All`].
static ALL: LazyLock<[String; 1]> = LazyLock::new(|| [WILDCARD.to_owned()]);

impl PartialEq for Abilities {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Abilities {}

impl std::fmt::Debug for Abilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Abilities").field(&self.as_slice()).finish()
    }
}

impl Abilities {
    /// Exactly the abilities given, in order.
    pub fn new<I, S>(abilities: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list: Arc<[String]> = abilities
            .into_iter()
            .map(|a| a.as_ref().to_owned())
            .collect();
        Self(match &*list {
            [] => List::Empty,
            // Sanctum's default: shared by every such token, nothing to count.
            [only] if only == WILDCARD => List::All,
            _ => List::Listed(list),
        })
    }

    /// Everything (`["*"]`), as Sanctum grants to a session-authenticated
    /// user through its transient token.
    pub fn all() -> Self {
        Self(List::All)
    }

    /// The abilities as stored, in the order given at creation.
    pub fn as_slice(&self) -> &[String] {
        match &self.0 {
            List::Empty => &[],
            List::All => &ALL[..],
            List::Listed(list) => list,
        }
    }

    /// Whether `ability` is granted: listed exactly, or `*` is listed.
    pub fn can(&self, ability: &str) -> bool {
        matches!(self.0, List::All)
            || self
                .as_slice()
                .iter()
                .any(|a| a == WILDCARD || a == ability)
    }

    /// Whether `ability` is not granted.
    pub fn cant(&self, ability: &str) -> bool {
        !self.can(ability)
    }

    /// Whether every one of `abilities` is granted (true for an empty list,
    /// like Sanctum's `abilities` middleware).
    pub fn can_all<S: AsRef<str>>(&self, abilities: &[S]) -> bool {
        abilities.iter().all(|a| self.can(a.as_ref()))
    }

    /// Whether at least one of `abilities` is granted (false for an empty
    /// list, like Sanctum's `ability` middleware).
    pub fn can_any<S: AsRef<str>>(&self, abilities: &[S]) -> bool {
        abilities.iter().any(|a| self.can(a.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_exact_and_case_sensitive() {
        let a = Abilities::new(["server:update"]);
        assert!(a.can("server:update"));
        assert!(a.cant("server:Update"));
        assert!(a.cant("server"));
        assert!(a.cant("server:update:all"));
        assert!(a.cant("*"));
    }

    #[test]
    fn wildcard_grants_everything() {
        let a = Abilities::all();
        assert!(a.can("anything") && a.can("") && a.can("*"));
        assert!(a.can_all(&["a", "b"]) && a.can_any(&["x"]));
    }

    #[test]
    fn empty_lists_follow_sanctum_middleware() {
        let a = Abilities::new(["read"]);
        assert!(a.can_all::<&str>(&[]));
        assert!(!a.can_any::<&str>(&[]));
        assert!(Abilities::default().cant("read"));
    }
}
