//! The PostgreSQL backend: several hosts behind a load balancer share one
//! database. Records are rows (`rows`), the schema is authkv's own and
//! versioned (`schema`), each engine keeps a small pool of connections
//! (`pool`) and one listening connection that keeps its caches coherent
//! with every other engine's commits (`listener`).

mod listener;
mod pool;
mod rows;
mod schema;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use self::listener::{Coherence, channel, listen, payloads};
use self::pool::{Pool, Pooled, server_error};
use self::rows::Rows;
use crate::error::{Error, OpenError, Result};
use crate::store::changes::take_changed;
use crate::store::coherence::{Announce, publish_concurrent};
use crate::store::shared_memory::Region;
use crate::store::{Reads, Writes};

/// How long a listener's lease lasts: a writer waits at most this long for
/// an engine that stopped answering, and an engine stops trusting its
/// caches within it when its listener cannot renew.
const LEASE: Duration = Duration::from_secs(3);

/// One engine's connection to the database.
pub(crate) struct Server {
    pool: Pool,
    coherence: Arc<Coherence>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl Server {
    /// Connect to `url`, create or upgrade authkv's tables, and start
    /// listening for other engines' changes.
    /// `pool_size` connections at most; `timeout` bounds a connection
    /// attempt, a statement and a wait for a free connection.
    pub(crate) fn open(url: &str, pool_size: usize, timeout: Duration) -> Result<Self> {
        // The URL may carry a password: it never appears in an error.
        let mut settings: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            OpenError::Unreachable(format!("not a PostgreSQL connection string: {e}"))
        })?;
        if settings.get_connect_timeout().is_none() {
            settings.connect_timeout(timeout);
        }
        let options = settings.get_options().unwrap_or_default().to_owned();
        settings.options(&format!(
            "{options} -c statement_timeout={} -c lock_timeout={}",
            timeout.as_millis(),
            timeout.as_millis()
        ));
        let mut first = pool::Conn::connect(&settings).map_err(|e| match e {
            Error::Server(detail) => Error::Open(OpenError::Unreachable(detail)),
            other => other,
        })?;
        schema::migrate(&mut first.client)?;
        let schema: String = first
            .client
            .query_one("SELECT current_schema()::text", &[])
            .map_err(server_error)?
            .get(0);
        drop(first);
        let mut listening = settings.clone();
        listening.application_name(&format!("authkv-listener:{schema}"));
        let coherence = Arc::new(Coherence::new(LEASE, channel(&schema))?);
        let following = Arc::clone(&coherence);
        let listener = std::thread::Builder::new()
            .name("authkv-listener".into())
            .spawn(move || listen(following, listening))
            .map_err(|e| Error::Open(OpenError::Io(e)))?;
        let server = Self {
            pool: Pool::new(settings, pool_size, timeout),
            coherence,
            listener: Mutex::new(Some(listener)),
        };
        server.await_trust(timeout);
        Ok(server)
    }

    /// Give the listener a moment to take its lease, so that the first
    /// lookups are served from the caches; until then they read the
    /// database, which is correct, only slower.
    fn await_trust(&self, at_most: Duration) {
        let deadline = Instant::now() + at_most;
        while !self.coherence.trusted() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The change log the caches follow.
    pub(crate) fn region(&self) -> &Region {
        &self.coherence.region
    }

    /// Whether the caches may serve: the listener holds a live lease.
    #[inline]
    pub(crate) fn trusted(&self) -> bool {
        self.coherence.trusted()
    }

    /// Run `f` with reads of committed rows.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn Reads) -> Result<T>) -> Result<T> {
        let mut pooled = self.pool.get()?;
        f(&Rows::autocommit(pooled.conn()))
    }

    /// Run `f` in one transaction and commit it; when `f` or the commit
    /// fails nothing is stored. The changed records are announced to every
    /// engine on the database, and the call returns once every engine whose
    /// listener is live has dropped them (see `listener`).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&dyn Writes) -> Result<T>) -> Result<T> {
        let mut pooled = self.pool.get()?;
        let conn = pooled.conn();
        if let Err(e) = conn.client.batch_execute("BEGIN") {
            return Err(server_error(e));
        }
        take_changed(); // nothing left over from a transaction that panicked
        let rows = Rows::in_transaction(conn);
        let out = f(&rows);
        let changed = take_changed();
        let out = out.and_then(|out| {
            for payload in payloads(&changed) {
                rows.notify(&self.coherence.channel, &payload)?;
            }
            Ok(out)
        });
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                let rolled_back = pooled.conn().client.batch_execute("ROLLBACK");
                if rolled_back.is_err() {
                    pooled.discard();
                    return Err(e);
                }
                return Err(e);
            }
        };
        let coherence = &self.coherence;
        let publication = publish_concurrent(
            &coherence.region,
            &coherence.appending,
            Announce::Keys(&changed),
        );
        let committed = pooled.conn().client.batch_execute("COMMIT");
        drop(publication);
        if let Err(e) = committed {
            return Err(server_error(e));
        }
        if !changed.is_empty() && self.await_listeners(&mut pooled).is_err() {
            // The write is committed whatever happens now, so the call
            // succeeds. The wait failed only because the server went away
            // (every listener then distrusts its caches until it is back)
            // or after twice a lease (every lease live when it began has
            // run out); the connection may be in any state, so it is closed.
            pooled.discard();
        }
        Ok(out)
    }

    /// Ping every listener after a commit and wait until each one with a
    /// live lease has seen the ping, and so the commit's notification. An
    /// error means the wait could not finish, never that the commit failed.
    fn await_listeners(&self, pooled: &mut Pooled<'_>) -> Result<()> {
        let conn = pooled.conn();
        let ping = conn.statement(
            "WITH next AS (SELECT nextval('authkv_change_seq') AS number) \
             SELECT number, pg_notify($1, 'p ' || number)::text FROM next",
        )?;
        let number: i64 = conn
            .client
            .query_one(&ping, &[&self.coherence.channel])
            .map_err(server_error)?
            .get(0);
        let behind = conn.statement(
            "SELECT count(*) FROM authkv_listeners \
             WHERE id <> $1 AND seen < $2 AND lease_until > now()",
        )?;
        // Any lease still live when the wait began runs out by then.
        let deadline = Instant::now() + LEASE * 2;
        let mut pause = Duration::from_micros(50);
        loop {
            let row = conn
                .client
                .query_one(&behind, &[&self.coherence.id, &number])
                .map_err(server_error)?;
            if row.get::<_, i64>(0) == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::Server(
                    "another engine's listener neither acknowledged the change nor let its \
                     lease run out"
                        .into(),
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
        }
    }

    /// Stop the listener and give its lease back.
    pub(crate) fn close(&self) {
        self.coherence.stop();
        if let Some(listener) = self.listener.lock().take() {
            let _ = listener.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}
