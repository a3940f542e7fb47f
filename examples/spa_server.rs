//! A single-page app logging in the way Laravel Sanctum's SPA flow does —
//! CSRF cookie, password login, session cookie with `X-XSRF-TOKEN`,
//! personal access tokens, a devices list — served by axum on authkv, with
//! its state in `./authkv-spa.redb`.
//!
//! `cargo run --release --features axum --example spa_server`
//!
//! Environment:
//! * `AUTHKV_SPA_ADDR` — where to listen, default `127.0.0.1:8080`; port 0
//!   picks a free port. Loopback addresses only: this is plain http with a
//!   demo password.
//! * `AUTHKV_SPA_DB` — the database file, default `authkv-spa.redb`.
//! * `AUTHKV_SPA_PASSWORD` — the demo user's password, default a random one.
//!
//! Prints `demo login: demo@example.com / PASSWORD`, then
//! `listening on http://127.0.0.1:PORT` once it accepts connections.

#[path = "spa/app.rs"]
mod app;

use std::net::SocketAddr;
use std::sync::Arc;

use authkv::Engine;
use authkv::axum::run_blocking;

const DEFAULT_ADDR: &str = "127.0.0.1:8080";
const DEFAULT_DB: &str = "authkv-spa.redb";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr_text = std::env::var("AUTHKV_SPA_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let addr: SocketAddr = addr_text
        .parse()
        .map_err(|e| format!("AUTHKV_SPA_ADDR={addr_text:?} is not an ip:port: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {addr}: the demo serves plain http and a demo password, \
             so it listens on loopback only"
        )
        .into());
    }
    let db = std::env::var("AUTHKV_SPA_DB").unwrap_or_else(|_| DEFAULT_DB.to_owned());
    let engine = Arc::new(Engine::open(&db, app::config())?);
    let password = match std::env::var("AUTHKV_SPA_PASSWORD") {
        Ok(password) => password,
        Err(_) => random_password()?,
    };
    // argon2: on the blocking pool, like every durable write of the server.
    let seed = password.clone();
    run_blocking(&engine, move |e| app::seed_demo(e, &seed)).await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("database: {db}");
    println!("demo login: {} / {password}", app::DEMO_LOGIN);
    println!("listening on http://{local}");
    app::serve(listener, engine).await?;
    Ok(())
}

/// 20 characters of `[A-Za-z0-9]` from the OS random source (about 119
/// bits), drawn without modulo bias.
fn random_password() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut password = String::new();
    while password.len() < 20 {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte)?;
        // 248 = 4 × 62: bytes at or above it would favour the first letters.
        if byte[0] < 248 {
            password.push(char::from(ALPHABET[usize::from(byte[0] % 62)]));
        }
    }
    Ok(password)
}
