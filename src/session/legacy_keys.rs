//! Sessions stored before ids began with their minute (see `id`) are filed
//! under the plain SHA-256 of their id, and the id cannot be recovered from
//! it to file them again. While the store may still hold one (its `meta`
//! has [`LEGACY_KEYS_BEFORE`]), a lookup that misses under an id's key
//! tries that digest too: one more read, only on a miss. GC ends this once
//! no stored session is old enough to be such a one.

use std::sync::atomic::Ordering;

use super::id::{LEGACY_KEYS_BEFORE, legacy_digest, session_digest};
use crate::engine::Core;
use crate::error::Result;
use crate::secret::Digest;
use crate::store::{Reads, TimeIndex};

impl Core {
    /// Whether the store may still hold sessions under legacy keys: one
    /// atomic load.
    fn may_hold_legacy_keys(&self) -> bool {
        self.legacy_session_keys.load(Ordering::Relaxed)
    }

    /// The plain SHA-256 of `id` while the store may hold sessions filed
    /// under it; `None` otherwise.
    pub(crate) fn legacy_key(&self, id: &str) -> Option<Digest> {
        self.may_hold_legacy_keys().then(|| legacy_digest(id))
    }

    /// What `find` gives for session `id` under its key or, when that finds
    /// nothing, under its legacy key; `None` for a malformed id. A hit
    /// hashes the id once.
    pub(crate) fn find_session<T>(
        &self,
        id: &str,
        mut find: impl FnMut(Digest) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let Some(key) = session_digest(id) else {
            return Ok(None);
        };
        Ok(self
            .find_stored(id, key, &mut find)?
            .map(|(_, found)| found))
    }

    /// What `find` gives for session `id` (whose key is `key`) under its
    /// key or, when that finds nothing, under its legacy key, with the key
    /// it was found under.
    pub(crate) fn find_stored<T>(
        &self,
        id: &str,
        key: Digest,
        mut find: impl FnMut(Digest) -> Result<Option<T>>,
    ) -> Result<Option<(Digest, T)>> {
        if let Some(found) = find(key)? {
            return Ok(Some((key, found)));
        }
        match self.legacy_key(id) {
            Some(legacy) => Ok(find(legacy)?.map(|found| (legacy, found))),
            None => Ok(None),
        }
    }

    /// The key session `id` (whose key is `key`) is stored under as `txn`
    /// sees it: `key`, unless only its legacy key holds a record.
    pub(crate) fn stored_key(&self, txn: &dyn Reads, id: &str, key: Digest) -> Result<Digest> {
        if !self.may_hold_legacy_keys() {
            return Ok(key);
        }
        let found = self.find_stored(id, key, |key| txn.session(&key))?;
        Ok(found.map_or(key, |(stored, _)| stored))
    }

    /// [`Core::stored_key`] of a well-formed `id` outside a transaction
    /// (a read only while legacy keys may remain; a legacy key is never
    /// written again, so the answer cannot go stale but by deletion).
    pub(crate) fn resolve_session_key(&self, id: &str) -> Result<Option<Digest>> {
        let Some(key) = session_digest(id) else {
            return Ok(None);
        };
        if !self.may_hold_legacy_keys() {
            return Ok(Some(key));
        }
        self.read(|txn| self.stored_key(txn, id, key)).map(Some)
    }

    /// Whether the store may hold sessions under legacy keys, as its
    /// `meta` says.
    pub(crate) fn stores_legacy_keys(txn: &dyn Reads) -> Result<bool> {
        Ok(txn.meta(LEGACY_KEYS_BEFORE)?.is_some())
    }

    /// After GC: once no stored session was created before the mark, no
    /// legacy key can remain; drop the mark and stop looking. Another
    /// process's GC may have dropped it already.
    pub(crate) fn retire_legacy_keys(&self) -> Result<()> {
        if !self.may_hold_legacy_keys() {
            return Ok(());
        }
        let (marked, remaining) = self.read(|txn| {
            let Some(mark) = txn.meta(LEGACY_KEYS_BEFORE)? else {
                return Ok((false, false));
            };
            // An unreadable mark keeps the fallback: it costs a read on a
            // miss, while dropping it early would log people out.
            let Ok(before) = mark.parse::<u64>() else {
                return Ok((true, true));
            };
            let remaining = match before.checked_sub(1) {
                Some(upper) => !txn.due(TimeIndex::SessionCreated, upper, 1)?.is_empty(),
                None => false,
            };
            Ok((true, remaining))
        })?;
        if remaining {
            return Ok(());
        }
        if marked {
            self.write(|txn| txn.remove_meta(LEGACY_KEYS_BEFORE))?;
        }
        self.legacy_session_keys.store(false, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::engine::clock::{Clock, ManualClock};
    use crate::engine::config::Config;
    use crate::secret::{sha256, to_hex};
    use crate::store::Writes;
    use crate::store::redb::tables::META;

    const START: u64 = 1_700_000_000;

    /// Turn the file into what schema 4 wrote: these sessions filed under
    /// the plain SHA-256 of their ids.
    fn file_as_schema_4(engine: &Engine, ids: &[&str]) {
        let core = &engine.core;
        let file = core.backend.file().expect("a file");
        file.write(core.commit_settings(), |txn| {
            for id in ids {
                let key = session_digest(id).expect("well formed");
                let record = txn.session(&key)?.expect("stored");
                txn.remove_session(&key, &record)?;
                txn.insert_session(&legacy_digest(id), &record)?;
            }
            txn.open_table(META)?.insert("schema_version", "4")?;
            Ok(())
        })
        .expect("rewrite as schema 4");
    }

    fn mark(engine: &Engine) -> Option<String> {
        engine
            .core
            .read(|txn| txn.meta(LEGACY_KEYS_BEFORE))
            .expect("read meta")
    }

    #[test]
    fn sessions_filed_under_their_plain_digest_keep_working_until_gc_retires_the_fallback() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("schema4.redb");
        let clock = ManualClock::new(START);
        let config = Config {
            clock: Clock::Manual(clock.clone()),
            ..Config::default()
        };
        let engine = Engine::open(&path, config.clone()).expect("open");
        let visitor = engine.create_session("1.2.3.4", "ua").expect("create");
        let a = engine.login(visitor.id.expose(), 7).expect("login");
        let b = engine.create_session("1.2.3.4", "ua").expect("create");
        clock.advance(5);
        let c = engine.create_session("1.2.3.4", "ua").expect("create");
        let (a, b, c) = (a.id.expose(), b.id.expose(), c.id.expose());
        file_as_schema_4(&engine, &[a, b, c]);
        engine.close().expect("close");

        clock.advance(60);
        let engine = Engine::open(&path, config).expect("open a schema 4 file");
        assert_eq!(mark(&engine), Some((START + 6).to_string()), "newest + 1");
        let loaded = engine.load_session(a).expect("load").expect("live");
        assert_eq!(loaded.user_id, Some(7));
        assert_eq!(loaded.handle(), to_hex(&sha256(a.as_bytes())));
        let listed = engine.user_sessions(7).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].handle, loaded.handle());
        let guarded = engine.guard_session(a).expect("guard").expect("live");
        assert_eq!(guarded.handle(), loaded.handle());
        assert_eq!(engine.save_session(a, b"cart", None).expect("save"), 2);
        engine
            .set_password(7, "seven@example.com", "correct horse")
            .expect("set a password");
        let confirmed = engine
            .confirm_password(a, "correct horse")
            .expect("confirm");
        assert_eq!(confirmed, crate::ConfirmOutcome::Confirmed);
        engine.rotate_csrf(b).expect("rotate the token");
        assert!(engine.destroy_session(c).expect("destroy"));
        assert!(engine.load_session(c).expect("load").is_none());
        let rotated = engine.regenerate_session(b).expect("regenerate");
        assert!(engine.load_session(b).expect("load").is_none(), "old id");
        let key = session_digest(rotated.id.expose()).expect("well formed");
        assert_eq!(rotated.handle(), to_hex(&key), "filed under its new key");
        assert!(engine.verify().expect("verify").is_consistent());

        engine.gc().expect("gc");
        assert!(
            mark(&engine).is_some(),
            "sessions from before the mark live"
        );
        assert!(engine.load_session(a).expect("load").is_some());

        clock.advance(2 * 3600);
        assert_eq!(engine.gc().expect("gc").sessions_deleted, 2);
        assert_eq!(mark(&engine), None, "no session is that old any more");
        assert!(engine.core.legacy_key(a).is_none(), "lookups stop trying");
        assert!(engine.verify().expect("verify").is_consistent());
    }

    #[test]
    fn a_new_store_has_no_legacy_keys_to_look_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::open(dir.path().join("new.redb"), Config::default()).expect("open");
        let session = engine.create_session("1.2.3.4", "ua").expect("create");
        assert_eq!(mark(&engine), None);
        assert!(engine.core.legacy_key(session.id.expose()).is_none());
        let key = session_digest(session.id.expose()).expect("well formed");
        assert_eq!(session.handle(), to_hex(&key));
    }
}
