//! The guard on a first-party write in the default token CSRF mode: the
//! session cookie, the Referer and `X-XSRF-TOKEN`, one cached session. Kept
//! to show that choosing a CSRF mode costs the token mode nothing.
//!
//! `cargo bench --bench guard_csrf`

use std::hint::black_box;
use std::time::Duration;

use authkv::{Clock, Config, Engine, ManualClock, Request};
use criterion::{Criterion, criterion_group, criterion_main};

fn guard_csrf(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.clock = Clock::Manual(ManualClock::new(1_700_000_000));
    config.concurrency = authkv::Concurrency::Exclusive;
    let engine = Engine::open(dir.path().join("bench.redb"), config).expect("open");
    let visitor = engine
        .create_session("203.0.113.9", "bench")
        .expect("create");
    let session = engine.login(visitor.id.expose(), 7).expect("login");
    let cookie = format!("theme=dark; authkv_session={}", session.id.expose());
    let csrf = session.csrf_token.expose().to_owned();
    let post = Request {
        method: "POST",
        cookie: Some(&cookie),
        referer: Some("http://localhost/dashboard"),
        xsrf_token: Some(&csrf),
        ..Request::default()
    };
    c.bench_function("guard: first-party POST, token CSRF mode", |b| {
        b.iter(|| black_box(engine.authenticate(&post).expect("authenticates")))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4));
    targets = guard_csrf
}
criterion_main!(benches);
