//! The request guard's hot path: it reads the same state as
//! `load_session` (expiry, touches, every commit), from its own cache of
//! session summaries, and authenticates a request without allocating.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use authkv::{Engine, Error, GuardError, Principal, Request, Via};
use common::*;

/// Counts the allocations made by the current thread.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's guarantees, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's guarantees, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's guarantees, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// A first-party GET carrying the session cookie.
fn cookie_request(cookie: &str) -> Request<'_> {
    Request {
        method: "GET",
        cookie: Some(cookie),
        referer: Some("http://localhost/"),
        ..Request::default()
    }
}

/// The guard's view of session `id`, or why it refused.
fn guard(engine: &Engine, id: &str) -> Result<Principal, Error> {
    let cookie = format!("authkv_session={id}");
    engine.authenticate(&cookie_request(&cookie))
}

fn is_unauthenticated(result: &Result<Principal, Error>) -> bool {
    matches!(result, Err(Error::Guard(GuardError::Unauthenticated)))
}

/// `last_activity` as the guard reports it.
fn guard_activity(engine: &Engine, id: &str) -> u64 {
    match guard(engine, id).expect("authenticates").via {
        Via::Session(seen) => seen.last_activity,
        _ => panic!("not authenticated by the session"),
    }
}

#[test]
fn authenticating_a_cached_session_or_token_allocates_nothing() {
    let f = fixture();
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let user = f.engine.login(visitor.id.expose(), 7).expect("login");
    let token = f
        .engine
        .create_token(7, "ci", ["read"], None)
        .expect("token");
    let cookie = format!("authkv_session={}", user.id.expose());
    let session_request = cookie_request(&cookie);
    let bearer = format!("Bearer {}", token.plain_text.expose());
    let token_request = Request {
        method: "POST",
        authorization: Some(&bearer),
        ..Request::default()
    };
    for request in [&session_request, &token_request] {
        f.engine.authenticate(request).expect("fills the cache");
        let before = allocations();
        for _ in 0..100 {
            let principal = f.engine.authenticate(request).expect("authenticates");
            assert_eq!(principal.user_id, 7);
        }
        assert_eq!(allocations() - before, 0, "allocations for {request:?}");
    }
    assert!(f.engine.stats().expect("stats").cached_summaries >= 2);
}

#[test]
fn the_guard_reports_the_same_activity_as_a_load() {
    let f = fixture();
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = f.engine.login(visitor.id.expose(), 1).expect("login").id;
    let id = id.expose();
    // Within the interval, exactly at it, after a flush, after a save, and
    // with a touch still pending: the guard and a load agree at each step.
    for (advance, then) in [(59, ""), (1, ""), (30, "flush"), (61, "save"), (60, "")] {
        f.clock.advance(advance);
        let seen = guard_activity(&f.engine, id);
        let loaded = f.engine.load_session(id).expect("load").expect("live");
        assert_eq!(seen, loaded.last_activity, "after {advance} s more");
        match then {
            "flush" => drop(f.engine.flush().expect("flush")),
            "save" => drop(f.engine.save_session(id, b"x", None).expect("save")),
            _ => {}
        }
    }
    assert_eq!(guard_activity(&f.engine, id), T0 + 211);
}

#[test]
fn a_guard_read_exactly_a_touch_interval_later_moves_activity() {
    let f = fixture();
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = f.engine.login(visitor.id.expose(), 1).expect("login").id;
    let id = id.expose();
    f.clock.advance(59);
    assert_eq!(guard_activity(&f.engine, id), T0);
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
    f.clock.advance(1);
    assert_eq!(guard_activity(&f.engine, id), T0 + 60);
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 1);
}

#[test]
fn a_session_idle_past_its_lifetime_is_refused_by_the_guard_even_when_cached() {
    let f = fixture();
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = f.engine.login(visitor.id.expose(), 1).expect("login").id;
    assert!(guard(&f.engine, id.expose()).is_ok());
    f.clock.advance(IDLE);
    assert!(guard(&f.engine, id.expose()).is_ok(), "exactly idle: live");
    f.clock.advance(IDLE + 1);
    assert!(is_unauthenticated(&guard(&f.engine, id.expose())));
}

#[test]
fn the_guard_sees_every_commit() {
    let f = fixture();
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    assert!(is_unauthenticated(&guard(&f.engine, visitor.id.expose())));
    let user = f.engine.login(visitor.id.expose(), 5).expect("login");
    let uid = user.id.expose();
    assert!(is_unauthenticated(&guard(&f.engine, visitor.id.expose())));
    assert_eq!(guard(&f.engine, uid).expect("logged in").user_id, 5);

    let csrf = f.engine.rotate_csrf(uid).expect("rotate");
    let post = |token: &str| {
        let cookie = format!("authkv_session={uid}");
        f.engine.authenticate(&Request {
            method: "POST",
            csrf_token: Some(token),
            ..cookie_request(&cookie)
        })
    };
    assert!(post(csrf.expose()).is_ok(), "the rotated token is accepted");
    assert!(matches!(
        post(user.csrf_token.expose()),
        Err(Error::Guard(GuardError::CsrfMismatch))
    ));

    f.engine.save_session(uid, b"v", None).expect("save");
    match guard(&f.engine, uid).expect("logged in").via {
        Via::Session(seen) => assert_eq!(seen.version, 3),
        _ => panic!("not authenticated by the session"),
    }
    let anonymous = f.engine.invalidate_session(uid).expect("logout");
    assert!(is_unauthenticated(&guard(&f.engine, uid)));
    assert!(is_unauthenticated(&guard(&f.engine, anonymous.id.expose())));
    let again = f.engine.login(anonymous.id.expose(), 6).expect("login");
    assert!(guard(&f.engine, again.id.expose()).is_ok());
    f.engine.revoke_user_sessions(6, None).expect("revoke");
    assert!(is_unauthenticated(&guard(&f.engine, again.id.expose())));
}

#[test]
fn guard_readers_and_a_writer_in_parallel_never_see_a_stale_version() {
    let f = fixture_with(|c| {
        exclusive(c);
        c.durable_commits = false;
    });
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let user = f.engine.login(visitor.id.expose(), 9).expect("login");
    let id = user.id.expose().to_owned();
    let first = user.version;
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for _ in 0..300 {
                f.engine.save_session(&id, b"p", None).expect("save");
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                let mut last = first;
                while last < first + 300 {
                    let version = match guard(&f.engine, &id).expect("live").via {
                        Via::Session(seen) => seen.version,
                        _ => panic!("not authenticated by the session"),
                    };
                    assert!(
                        version >= last,
                        "version went back from {last} to {version}"
                    );
                    last = version;
                }
            });
        }
        writer.join().expect("writer");
    });
}

#[test]
fn with_the_summary_cache_off_the_guard_gives_the_same_answers() {
    let f = fixture_with(|c| c.auth_cache_entries = 0);
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let user = f.engine.login(visitor.id.expose(), 3).expect("login");
    assert_eq!(guard(&f.engine, user.id.expose()).expect("auth").user_id, 3);
    let token = f.engine.create_token(3, "ci", ["*"], None).expect("token");
    let found = f
        .engine
        .authenticate_token(token.plain_text.expose())
        .expect("auth");
    assert_eq!(found.map(|t| t.user_id), Some(3));
    f.engine.revoke_token(token.id).expect("revoke");
    let gone = f
        .engine
        .authenticate_token(token.plain_text.expose())
        .expect("auth");
    assert!(gone.is_none());
    assert_eq!(f.engine.stats().expect("stats").cached_summaries, 0);
}

#[test]
fn the_guard_session_has_the_same_public_handle_as_the_loaded_one() {
    let f = fixture();
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let user = f.engine.login(visitor.id.expose(), 4).expect("login");
    match guard(&f.engine, user.id.expose()).expect("logged in").via {
        Via::Session(seen) => assert_eq!(seen.handle(), user.handle()),
        _ => panic!("not authenticated by the session"),
    }
}
