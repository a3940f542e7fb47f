//! A small pool of connections, each keeping the statements it prepared, so
//! that a lookup costs one round trip (bind + execute), not two.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use postgres::{Client, NoTls, Statement};

use crate::error::{Error, Result};

/// One connection and its prepared statements.
pub(crate) struct Conn {
    pub client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    /// Connect with `config`.
    pub(crate) fn connect(config: &postgres::Config) -> Result<Self> {
        let client = config.connect(NoTls).map_err(server_error)?;
        Ok(Self {
            client,
            statements: HashMap::new(),
        })
    }

    /// `sql` prepared on this connection (once).
    pub(crate) fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(server_error)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// Connections to one database, opened on demand up to `size`.
pub(crate) struct Pool {
    config: postgres::Config,
    size: usize,
    wait: Duration,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Conn>,
    open: usize,
}

impl Pool {
    /// A pool of at most `size` connections; a caller waits at most `wait`
    /// for one to come free.
    pub(crate) fn new(config: postgres::Config, size: usize, wait: Duration) -> Self {
        Self {
            config,
            size: size.max(1),
            wait,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// An idle connection, a new one, or the first one freed within the
    /// wait.
    pub(crate) fn get(&self) -> Result<Pooled<'_>> {
        let mut state = self.state.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                if conn.client.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Pooled {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                return match Conn::connect(&self.config) {
                    Ok(conn) => Ok(Pooled {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.state.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            if self.freed.wait_for(&mut state, self.wait).timed_out() {
                return Err(Error::Server(format!(
                    "all {} connections stayed busy for {:?}",
                    self.size, self.wait
                )));
            }
        }
    }

    fn put_back(&self, conn: Conn, broken: bool) {
        let mut state = self.state.lock();
        if broken || conn.client.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(conn);
        }
        drop(state);
        self.freed.notify_one();
    }
}

/// A connection lent by the pool, given back when dropped (or closed, when
/// a failure left it in an unknown state).
pub(crate) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Pooled<'_> {
    /// The connection.
    pub(crate) fn conn(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("present until dropped")
    }

    /// Close the connection instead of reusing it.
    pub(crate) fn discard(mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put_back(conn, true);
        }
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A call that panicked may have left a transaction open: the
            // next caller must not inherit it (and commit its writes).
            self.pool.put_back(conn, std::thread::panicking());
        }
    }
}

/// A client error as authkv's: the server's message (never a parameter
/// value, so never a secret).
pub(crate) fn server_error(error: postgres::Error) -> Error {
    Error::Server(error.to_string())
}
