//! The `spa_server` example's application, served in-process on a loopback
//! port with a fresh database, and a plain HTTP/1.1 client to talk to it.
//!
//! The tests build the very router the example binary serves (`#[path]`
//! below), so they need no binary built beforehand and no port fixed in
//! advance: the listener binds port 0 and the test reads the port back.
#![allow(dead_code)]

#[path = "../../examples/spa/app.rs"]
pub mod app;
pub mod client;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use authkv::Engine;

/// The demo user's password in tests.
pub const PASSWORD: &str = "correct horse battery staple";

/// The demo server, running until dropped.
pub struct Server {
    /// Where it listens: `127.0.0.1:PORT`.
    pub addr: SocketAddr,
    /// The engine behind it, for set-up the routes do not offer.
    pub engine: Arc<Engine>,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Open a database in a temp dir, seed the demo user with [`PASSWORD`]
    /// and serve the example's router on 127.0.0.1, port 0.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = Engine::open(dir.path().join("spa.redb"), app::config()).expect("open");
        let engine = Arc::new(engine);
        app::seed_demo(&engine, PASSWORD).expect("seed the demo user");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = {
            let _inside = runtime.enter();
            tokio::net::TcpListener::from_std(listener).expect("tokio listener")
        };
        runtime.spawn(app::serve(listener, Arc::clone(&engine)));
        Server {
            addr,
            engine,
            runtime: Some(runtime),
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT`, the origin the SPA is served from.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stops accepting and drops the router, and its engine handle,
        // before the engine and the temp dir go.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}
