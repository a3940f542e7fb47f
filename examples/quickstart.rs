//! The flow of a browser SPA and an API client against an authkv-backed
//! server, step by step, on `./authkv-quickstart.redb`. Each step prints the
//! HTTP exchange it stands for and what authkv did.
//!
//! `cargo run --release --example quickstart`

use authkv::{AttemptOutcome, Config, Engine, Error, Request, Via};

const SPA: &str = "http://localhost:3000";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "authkv-quickstart.redb";
    let engine = Engine::open(path, Config::default())?;
    println!(
        "opened {path}: {} sessions stored",
        engine.stats()?.sessions
    );
    engine.set_password(42, "alice@example.com", "correct horse battery staple")?;

    step("1. The SPA asks for a CSRF cookie: an anonymous session starts.");
    println!("   > GET /sanctum/csrf-cookie");
    let visitor = engine.create_session("203.0.113.9", "Mozilla/5.0 (quickstart)")?;
    println!("   < Set-Cookie: {}", engine.session_set_cookie(&visitor)?);
    println!("   < Set-Cookie: {}", engine.xsrf_set_cookie(&visitor)?);

    step("2. The SPA posts the login form with the cookie and X-XSRF-TOKEN.");
    let cookie = format!("authkv_session={}", visitor.id.expose());
    println!("   > POST /login");
    println!("   > Cookie: {cookie}");
    println!("   > X-XSRF-TOKEN: {}", visitor.csrf_token.expose());
    let csrf_ok = engine.verify_csrf(visitor.id.expose(), visitor.csrf_token.expose())?;
    let outcome = engine.attempt(
        "alice@example.com",
        "correct horse battery staple",
        "203.0.113.9",
    )?;
    let AttemptOutcome::Authenticated { user_id } = outcome else {
        return Err(format!("login refused: {outcome:?}").into());
    };
    let user = engine.login(visitor.id.expose(), user_id)?;
    println!("   CSRF ok: {csrf_ok}; password ok for user {user_id}; the session id rotates:");
    println!("   < Set-Cookie: {}", engine.session_set_cookie(&user)?);
    println!("   < Set-Cookie: {}", engine.xsrf_set_cookie(&user)?);
    let stale = engine.load_session(visitor.id.expose())?;
    println!("   the pre-login id still loads? {}", stale.is_some());

    step("3. The SPA calls the API with its cookie: the guard finds the session.");
    let cookie = format!("authkv_session={}", user.id.expose());
    for n in 1..=3 {
        let request = Request {
            method: "GET",
            cookie: Some(&cookie),
            referer: Some(SPA),
            ..Request::default()
        };
        let principal = engine.authenticate(&request)?;
        println!("   > GET /api/user   (request {n})");
        println!("   > Cookie: {cookie}");
        println!("   > Referer: {SPA}");
        println!(
            "   < 200 user {} via session, all abilities: {}",
            principal.user_id,
            principal.abilities.can("*")
        );
    }
    let forged = Request {
        method: "POST",
        cookie: Some(&cookie),
        referer: Some(SPA),
        ..Request::default()
    };
    println!("   > POST /api/profile without X-XSRF-TOKEN");
    println!("   < {}", status_line(engine.authenticate(&forged)));
    let devices = engine.user_sessions(user_id)?;
    println!(
        "   user {user_id} has {} active session(s) (devices)",
        devices.len()
    );

    step("4. The user creates a personal access token for a script.");
    let token = engine.create_token(user_id, "deploy script", ["orders:read"], None)?;
    println!(
        "   > POST /api/tokens  {{\"name\":\"deploy script\",\"abilities\":[\"orders:read\"]}}"
    );
    println!(
        "   < 201 {{\"token\":\"{}\"}}  (shown once; only its SHA-256 is stored)",
        token.plain_text.expose()
    );

    step("5. The script calls the API with the bearer token.");
    let authorization = format!("Bearer {}", token.plain_text.expose());
    let request = Request {
        method: "GET",
        authorization: Some(&authorization),
        ..Request::default()
    };
    println!("   > GET /api/orders");
    println!("   > Authorization: {authorization}");
    let principal = engine.authenticate(&request)?;
    let via = match principal.via {
        Via::Token(id) => format!("token {id}"),
        _ => "session".to_owned(),
    };
    println!("   < 200 user {} via {via}", principal.user_id);
    match principal.require_abilities(&["orders:write"], &[]) {
        Ok(()) => println!("   > DELETE /api/orders/1\n   < 204"),
        Err(e) => println!("   > DELETE /api/orders/1\n   < {} {e}", e.http_status()),
    }
    engine.revoke_token(token.id)?;
    println!("   the token is revoked; the same request now gets:");
    println!("   < {}", status_line(engine.authenticate(&request)));

    step("6. The user logs out: data cleared, id and CSRF token rotate.");
    println!("   > POST /logout");
    println!("   > Cookie: {cookie}");
    println!("   > X-XSRF-TOKEN: {}", user.csrf_token.expose());
    let anonymous = engine.invalidate_session(user.id.expose())?;
    println!(
        "   < Set-Cookie: {}",
        engine.session_set_cookie(&anonymous)?
    );
    println!("   < Set-Cookie: {}", engine.xsrf_set_cookie(&anonymous)?);
    let old = Request {
        method: "GET",
        cookie: Some(&cookie),
        referer: Some(SPA),
        ..Request::default()
    };
    println!("   > GET /api/user");
    println!("   > Cookie: {cookie}   (the logged-in id)");
    println!("   < {}", status_line(engine.authenticate(&old)));

    let stats = engine.stats()?;
    println!(
        "\nstats: {} sessions, {} tokens stored; {} write commits; {} touches pending",
        stats.sessions, stats.tokens, stats.write_commits, stats.touches_pending
    );
    engine.close()?;
    Ok(())
}

fn step(title: &str) {
    println!("\n{title}");
}

/// The status line a server would answer for a guard decision.
fn status_line<T>(result: Result<T, Error>) -> String {
    match result {
        Ok(_) => "200".to_owned(),
        Err(Error::Guard(e)) => format!("{} {e}", e.http_status()),
        Err(e) => format!("500 {e}"),
    }
}
