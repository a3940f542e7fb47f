//! Coherence across hosts. Every engine on the database keeps a listening
//! connection (`LISTEN authkv_changes`) and a row in `authkv_listeners`
//! with a lease. A writer notifies the keys it changed in its own
//! transaction, so the notification is delivered when, and only when, it
//! commits. After the commit it sends a ping with a fresh sequence number;
//! every listener, having applied everything delivered before the ping
//! (notifications arrive in commit order), records the number as `seen`.
//! The writer returns once every listener with a live lease has seen its
//! ping (or its lease ran out). So when a revoking call returns, every
//! engine either dropped the record from its caches or stopped trusting
//! them: an engine serves from its caches only while its own lease, renewed
//! by its listener, is live. A listener that loses its connection stops
//! renewing, drops everything on reconnecting, and meanwhile every lookup
//! reads the database.
//!
//! The keys feed the same process-local change log that the multi-process
//! mode of the embedded backend uses (`processes::coherence`), so the
//! caches follow one mechanism whichever backend fills it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;

use super::pool::{Conn, server_error};
use crate::error::Result;
use crate::secret::{digest_from_hex, sha256, to_hex};
use crate::store::changes::Changed;
use crate::store::coherence::{Announce, publish_concurrent};
use crate::store::shared_memory::SharedMemory;

/// The notification channel of authkv's tables in `schema`: one per schema,
/// so that applications sharing a database never hear each other.
pub(crate) fn channel(schema: &str) -> String {
    format!("authkv_{}", &to_hex(&sha256(schema.as_bytes()))[..16])
}

/// Longest notification payload sent (PostgreSQL refuses 8000 bytes).
const MAX_PAYLOAD: usize = 7900;

/// How long a listener waits for notifications before it looks at its
/// lease and at whether the engine is closing.
const WAKE_EVERY: Duration = Duration::from_millis(50);

/// What an engine's caches and its listener share.
pub(crate) struct Coherence {
    /// The process-local change log the caches follow.
    pub region: SharedMemory,
    /// Serializes announcements to `region`.
    pub appending: Mutex<()>,
    /// This engine's row in `authkv_listeners`.
    pub id: i64,
    /// How long a lease lasts.
    pub lease: Duration,
    /// Where changes are announced.
    pub channel: String,
    /// Until when (nanoseconds after `started`) the caches may serve.
    trusted_until: AtomicU64,
    started: Instant,
    stop: AtomicBool,
}

impl Coherence {
    pub(crate) fn new(lease: Duration, channel: String) -> Result<Self> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| crate::Error::Random(e.to_string()))?;
        Ok(Self {
            region: SharedMemory::private(),
            appending: Mutex::new(()),
            id: i64::from_le_bytes(bytes) & i64::MAX,
            lease,
            channel,
            trusted_until: AtomicU64::new(0),
            started: Instant::now(),
            stop: AtomicBool::new(false),
        })
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.duration_since(self.started).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether the caches may serve now: the listener holds a live lease.
    #[inline]
    pub(crate) fn trusted(&self) -> bool {
        self.nanos(Instant::now()) < self.trusted_until.load(Ordering::Acquire)
    }

    fn trust_until(&self, renewed_at: Instant) {
        // A tenth of the lease as margin against the clocks' rates.
        let until = renewed_at + self.lease - self.lease / 10;
        self.trusted_until
            .store(self.nanos(until), Ordering::Release);
    }

    fn distrust(&self) {
        self.trusted_until.store(0, Ordering::Release);
    }

    /// Drop the changed records from every cache that follows the log.
    fn announce(&self, announce: Announce<'_>) {
        drop(publish_concurrent(&self.region, &self.appending, announce));
    }

    /// Ask the listener to stop.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }
}

/// The payloads that announce `changed`: `s<hex digest>` and `t<id>`
/// separated by spaces, split to fit.
pub(crate) fn payloads(changed: &[Changed]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = String::new();
    for record in changed {
        let word = match record {
            Changed::Session(digest) => format!("s{}", to_hex(digest)),
            Changed::Token(id) => format!("t{id}"),
        };
        if current.len() + word.len() + 1 > MAX_PAYLOAD {
            payloads.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        payloads.push(current);
    }
    payloads
}

/// What a notification said.
enum Heard {
    Changed(Vec<Changed>),
    Ping(i64),
    Garbled,
}

fn parse(payload: &str) -> Heard {
    if let Some(number) = payload.strip_prefix("p ") {
        return number.parse().map_or(Heard::Garbled, Heard::Ping);
    }
    let mut changed = Vec::new();
    for word in payload.split(' ') {
        let record = if let Some(hex) = word.strip_prefix('s') {
            digest_from_hex(hex).map(Changed::Session)
        } else if let Some(id) = word.strip_prefix('t') {
            id.parse().ok().map(Changed::Token)
        } else {
            None
        };
        match record {
            Some(record) => changed.push(record),
            None => return Heard::Garbled,
        }
    }
    Heard::Changed(changed)
}

/// Run the listener until the engine closes: connect, listen, keep the
/// lease, apply what is heard; on any failure distrust the caches and
/// connect again.
pub(crate) fn listen(coherence: Arc<Coherence>, config: postgres::Config) {
    let mut backoff = Duration::from_millis(10);
    while !coherence.stop.load(Ordering::Acquire) {
        let outcome = Conn::connect(&config).and_then(|mut conn| {
            backoff = Duration::from_millis(10);
            let outcome = serve(&coherence, &mut conn.client);
            if coherence.stop.load(Ordering::Acquire) {
                // Closing: leave the table as other engines expect it.
                let _ = conn.client.execute(
                    "DELETE FROM authkv_listeners WHERE id = $1",
                    &[&coherence.id],
                );
            }
            outcome
        });
        coherence.distrust();
        if outcome.is_err() && !coherence.stop.load(Ordering::Acquire) {
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }
}

/// One connection's life: returns when the engine closes (Ok) or the
/// connection fails.
fn serve(coherence: &Coherence, client: &mut Client) -> Result<()> {
    client
        .batch_execute(&format!("LISTEN {}", coherence.channel))
        .map_err(server_error)?;
    // Whatever changed before now was not heard: start from nothing.
    coherence.announce(Announce::Everything);
    let row = client
        .query_one(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM authkv_change_seq",
            &[],
        )
        .map_err(server_error)?;
    let mut seen: i64 = row.get(0);
    let lease = coherence.lease.as_secs_f64();
    let upsert = client
        .prepare(
            "INSERT INTO authkv_listeners (id, seen, lease_until) \
             VALUES ($1, $2, now() + $3::float8 * interval '1 second') \
             ON CONFLICT (id) DO UPDATE SET seen = greatest(authkv_listeners.seen, EXCLUDED.seen), \
             lease_until = EXCLUDED.lease_until",
        )
        .map_err(server_error)?;
    let mut renewed = Instant::now();
    client
        .execute(&upsert, &[&coherence.id, &seen, &lease])
        .map_err(server_error)?;
    coherence.trust_until(renewed);
    let renew_every = coherence.lease / 3;
    let mut acknowledged = seen;
    loop {
        if coherence.stop.load(Ordering::Acquire) {
            return Ok(());
        }
        let wait = WAKE_EVERY.min(renew_every.saturating_sub(renewed.elapsed()));
        let first = client
            .notifications()
            .timeout_iter(wait)
            .next()
            .map_err(server_error)?;
        let mut heard: Vec<_> = first.into_iter().collect();
        {
            let mut notifications = client.notifications();
            let mut buffered = notifications.iter();
            while let Some(notification) = buffered.next().map_err(server_error)? {
                heard.push(notification);
            }
        }
        for notification in &heard {
            match parse(notification.payload()) {
                Heard::Changed(changed) => coherence.announce(Announce::Keys(&changed)),
                Heard::Ping(number) => seen = seen.max(number),
                Heard::Garbled => coherence.announce(Announce::Everything),
            }
        }
        if seen > acknowledged || renewed.elapsed() >= renew_every {
            let at = Instant::now();
            client
                .execute(&upsert, &[&coherence.id, &seen, &lease])
                .map_err(server_error)?;
            acknowledged = seen;
            renewed = at;
            coherence.trust_until(renewed);
        }
    }
}
