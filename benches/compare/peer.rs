//! What every system under test offers the workloads: a shared handle
//! ([`Peer`]) and a per-thread connection ([`Worker`]) with the four
//! per-request operations, so that each workload is written once and runs
//! unchanged against authkv, SQLite and Redis.

use crate::fixture::{SessionSeed, TokenSeed};

/// Idle lifetime of a session, seconds (Laravel's 120 minutes).
pub const IDLE: u64 = 120 * 60;
/// A read moves `last_activity` / `last_used_at` only when it is at least
/// this old, in the throttled variants (authkv's default).
pub const TOUCH_INTERVAL: u64 = 60;

/// When a peer writes the last-use time on a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch {
    /// On every request, as Laravel and Sanctum do.
    EveryRequest,
    /// Only when the stored time is at least [`TOUCH_INTERVAL`] old.
    Throttled,
}

impl Touch {
    /// Whether a read at `now` of a record last used at `last` writes.
    pub fn due(self, last: Option<u64>, now: u64) -> bool {
        match (self, last) {
            (Touch::EveryRequest, _) | (Touch::Throttled, None) => true,
            (Touch::Throttled, Some(last)) => now > last && now - last >= TOUCH_INTERVAL,
        }
    }
}

/// Whether a session last active at `last_activity` reads as expired at
/// `now` (Laravel: `last_activity < now - lifetime`).
pub fn idle_expired(last_activity: u64, now: u64) -> bool {
    now.checked_sub(IDLE)
        .is_some_and(|cutoff| last_activity < cutoff)
}

/// `write_bytes` of `/proc/{pid}/io`: bytes that process dirtied in the
/// page cache, or `None` where it is not reported. Right for a process
/// that only appends (Redis's AOF, where `wchar` would count its replies
/// too); wrong for a process that fsyncs a file it rewrites in place, whose
/// fsync can be charged pages the kernel redirties while writing back (a
/// bench thread was charged 1.6 GB in a round of 200 durable saves whose
/// write calls moved 24 MB) — see [`handed_to_writes`].
pub fn dirtied_bytes(pid: &str) -> Option<u64> {
    io_counter(pid, "write_bytes:")
}

/// `wchar` of `/proc/self/io`: bytes this process handed to write calls
/// (`pwrite` of pages, WAL appends, checkpoints), what authkv and SQLite
/// write. Counts sockets too, so it is read only around an in-process
/// peer's own operations, which use none.
pub fn handed_to_writes() -> Option<u64> {
    io_counter("self", "wchar:")
}

/// One counter of `/proc/{pid}/io`.
fn io_counter(pid: &str, name: &str) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix(name))?
        .trim()
        .parse()
        .ok()
}

/// When a peer collects expired sessions during the day workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcPolicy {
    /// Once a minute, off the request path (authkv's background thread, a
    /// scheduled job for the peers).
    EveryMinute,
    /// Inside 2 of every 100 requests (Laravel's session lottery).
    Lottery,
}

/// A peer that can be loaded with the data authkv made, before timing.
pub trait Store: Sync {
    /// Store logged-in sessions (bulk, not measured).
    fn load_sessions(&self, seeds: &[SessionSeed]);
    /// Store personal access tokens (bulk, not measured).
    fn load_tokens(&self, tokens: &[TokenSeed]);
    /// Finish what loading left running in the background, so that it
    /// does not run during the timed part.
    fn settle_load(&self) {}
}

/// One system under test, shared by every thread.
pub trait Peer: Sync {
    /// The name in the table.
    fn name(&self) -> &str;
    /// A connection for one thread (authkv: a handle on the shared engine).
    fn worker(&self) -> Box<dyn Worker + '_>;
    /// Durable writes so far: authkv's commits, SQLite's write
    /// transactions that changed a row, Redis's write commands.
    fn commits(&self) -> u64;
    /// Bytes written so far by the process doing the writes, when the
    /// kernel reports it: an in-process peer's write calls
    /// ([`handed_to_writes`]).
    fn bytes_written(&self) -> Option<u64> {
        handed_to_writes()
    }
    /// Delete every session expired at the clock's now; returns how many.
    fn gc(&self) -> u64;
    /// Write whatever the peer keeps in memory (authkv's pending touches).
    fn settle(&self) {}
    /// Housekeeping that runs once a simulated minute in the day workload.
    fn housekeeping(&self) {
        if self.gc_policy() == GcPolicy::EveryMinute {
            self.gc();
        }
    }
    /// How GC is run in the day workload.
    fn gc_policy(&self) -> GcPolicy {
        GcPolicy::EveryMinute
    }
}

/// The per-request operations, on one connection.
pub trait Worker {
    /// A first-party GET carrying session cookie `id`: the logged-in user,
    /// or `None` for an unknown, expired or anonymous session. Applies the
    /// peer's touch policy.
    fn session_request(&mut self, id: &str) -> Option<u64>;
    /// A request with `Authorization: Bearer {token}`: the token's user,
    /// or `None`. Applies the peer's touch policy to `last_used_at`.
    fn token_request(&mut self, token: &str) -> Option<u64>;
    /// A visitor gets a session, then logs in as `user_id`: the id and CSRF
    /// token rotate and the visitor row is deleted. Returns the new id.
    fn login(&mut self, user_id: u64) -> String;
    /// Replace the session's payload, durably; `false` when the session is
    /// unknown or expired.
    fn save(&mut self, id: &str, payload: &[u8]) -> bool;
}
