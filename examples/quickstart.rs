//! The flow of a browser SPA against an authkv-backed server, step by step,
//! on `./authkv-quickstart.redb`.
//!
//! `cargo run --release --example quickstart`

use authkv::{Config, Engine};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "authkv-quickstart.redb";
    let engine = Engine::open(path, Config::default())?;
    println!(
        "opened {path}: {} sessions stored",
        engine.stats()?.sessions
    );

    println!("\n1. A visitor arrives: the server starts an anonymous session.");
    let visitor = engine.create_session("203.0.113.9", "Mozilla/5.0 (quickstart)")?;
    println!("   session cookie value: {}", visitor.id.expose());
    println!(
        "   CSRF token (XSRF-TOKEN cookie): {}",
        visitor.csrf_token.expose()
    );

    println!("\n2. The visitor logs in as user 42: the id and CSRF token rotate.");
    let user = engine.login(visitor.id.expose(), 42)?;
    println!("   new session cookie value: {}", user.id.expose());
    let old = engine.load_session(visitor.id.expose())?;
    println!("   the pre-login id still loads? {}", old.is_some());

    println!("\n3. Requests carry the cookie; each one loads the session.");
    let mut seen_version = 0;
    for request in 1..=3 {
        let session = engine
            .load_session(user.id.expose())?
            .ok_or("session vanished")?;
        println!(
            "   request {request}: user {:?}, version {}",
            session.user_id, session.version
        );
        seen_version = session.version;
    }
    let version = engine.save_session(
        user.id.expose(),
        b"{\"theme\":\"dark\"}",
        Some(seen_version),
    )?;
    println!("   saved preferences with a version check: now version {version}");
    let csrf_ok = engine.verify_csrf(user.id.expose(), user.csrf_token.expose())?;
    println!("   a POST with the right X-XSRF-TOKEN passes CSRF? {csrf_ok}");
    let devices = engine.user_sessions(42)?;
    println!(
        "   user 42 has {} active session(s) (devices)",
        devices.len()
    );

    println!("\n4. The user logs out: data cleared, id and CSRF token rotate.");
    let anonymous = engine.invalidate_session(user.id.expose())?;
    println!(
        "   fresh anonymous session: user {:?}; the logged-in id still loads? {}",
        anonymous.user_id,
        engine.load_session(user.id.expose())?.is_some()
    );

    let stats = engine.stats()?;
    println!(
        "\nstats: {} sessions stored, {} write commits, {} touches pending",
        stats.sessions, stats.write_commits, stats.touches_pending
    );
    engine.close()?;
    Ok(())
}
