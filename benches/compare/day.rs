//! A day of traffic, compressed: users with a logged-in session each make
//! bursts of requests spread over 24 simulated hours, the clock following
//! the requests. Each system applies its own touch and GC policy; what is
//! compared is how many writes the day cost. A user whose session
//! expired logs in again (a visitor session and a rotation), the same rule
//! everywhere.

use authkv::ManualClock;

use crate::fixture::SessionSeed;
use crate::measure::Rng;
use crate::peer::{GcPolicy, Peer};

/// Simulated seconds in the day.
const DAY: u32 = 86_400;

/// One request: simulated second of the day, user index.
pub type Event = (u32, u32);

/// `requests` requests of `users` users, sorted by time. A burst is 1 to 39
/// requests (20 on average), one every 1 to 20 s, starting anywhere in the
/// day: most bursts span minutes, so the touch interval matters, and
/// many users come back after more than the idle lifetime.
pub fn traffic(users: usize, requests: usize, seed: u64) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::with_capacity(requests);
    while events.len() < requests {
        let user = rng.below(users) as u32;
        let mut at = rng.below(DAY as usize) as u32;
        for _ in 0..1 + rng.below(39) {
            if at >= DAY || events.len() == requests {
                break;
            }
            events.push((at, user));
            at += 1 + rng.below(20) as u32;
        }
    }
    events.sort_unstable();
    events
}

/// What one system's day cost.
pub struct DayOutcome {
    /// Writes during the day, including housekeeping.
    pub writes: u64,
    /// Requests whose session had expired, followed by a login.
    pub relogins: u64,
}

/// Replay `events` against `peer`, whose users start with the sessions in
/// `seeds` (user index = seed index), from unix second `start` on `clock`
/// (the peer's own). Housekeeping runs at every simulated minute; a peer
/// with Laravel's lottery collects inside 2 of every 100 requests.
pub fn run(
    peer: &dyn Peer,
    clock: &ManualClock,
    start: u64,
    seeds: &[SessionSeed],
    events: &[Event],
) -> DayOutcome {
    let mut current: Vec<String> = seeds.iter().map(|s| s.id.clone()).collect();
    let mut worker = peer.worker();
    let mut lottery = Rng::new(0x107_7E27);
    let mut relogins = 0;
    let mut next_minute = 60;
    let before = peer.commits();
    for &(at, user) in events {
        while next_minute <= at {
            clock.set(start + u64::from(next_minute));
            peer.housekeeping();
            next_minute += 60;
        }
        clock.set(start + u64::from(at));
        let user = user as usize;
        if worker.session_request(&current[user]).is_none() {
            current[user] = worker.login(seeds[user].user_id);
            relogins += 1;
        }
        if peer.gc_policy() == GcPolicy::Lottery && lottery.chance(2, 100) {
            peer.gc();
        }
    }
    clock.set(start + u64::from(DAY));
    peer.housekeeping();
    peer.settle();
    DayOutcome {
        writes: peer.commits() - before,
        relogins,
    }
}
