//! What the C ABI adds over the Rust call: the same lookup through each,
//! on the same data (a copy of one file, one engine each), with the record
//! cached so that only the boundary differs — argument checks, the panic
//! guard, building the library-owned result and freeing it.
//!
//! `cargo bench --bench c_abi`

use std::hint::black_box;
use std::ptr;
use std::time::Duration;

use authkv::ffi::{
    authkv_close, authkv_engine, authkv_guard_authenticate, authkv_guard_authenticate_lean,
    authkv_open, authkv_options, authkv_options_default, authkv_principal, authkv_principal_free,
    authkv_request, authkv_session, authkv_session_free, authkv_session_load, authkv_status,
    authkv_token, authkv_token_authenticate, authkv_token_free,
};
use authkv::{Clock, Config, Engine, ManualClock, Request};
use criterion::{Criterion, criterion_group, criterion_main};

const T0: u64 = 1_700_000_000;

fn ok(status: authkv_status) {
    assert_eq!(status, authkv_status::AUTHKV_OK);
}

/// A Rust engine and a C handle on copies of one file holding a logged-in
/// session and a token; their id and plaintext.
struct Pair {
    _dir: tempfile::TempDir,
    rust: Engine,
    c: *mut authkv_engine,
    session_id: String,
    token: String,
}

impl Pair {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (rust_path, c_path) = (dir.path().join("rust.redb"), dir.path().join("c.redb"));
        let mut config = Config::default();
        config.clock = Clock::Manual(ManualClock::new(T0));
        let engine = Engine::open(&rust_path, config.clone()).expect("open");
        let visitor = engine
            .create_session("203.0.113.9", "bench")
            .expect("create");
        let user = engine.login(visitor.id.expose(), 7).expect("login");
        let token = engine
            .create_token(7, "bench", ["read"], None)
            .expect("token");
        engine.close().expect("close");
        std::fs::copy(&rust_path, &c_path).expect("copy");
        let rust = Engine::open(&rust_path, config).expect("reopen");

        let mut options = std::mem::MaybeUninit::<authkv_options>::uninit();
        // SAFETY: a writable struct, initialised on OK.
        let mut options = unsafe {
            ok(authkv_options_default(options.as_mut_ptr()));
            options.assume_init()
        };
        options.manual_clock = true;
        options.manual_clock_start = T0;
        let path = c_path.to_str().expect("UTF-8 path");
        let mut c = ptr::null_mut();
        // SAFETY: valid pointers for the call.
        ok(unsafe { authkv_open(path.as_ptr().cast(), path.len(), &options, &mut c) });
        Self {
            _dir: dir,
            rust,
            c,
            session_id: user.id.expose().to_owned(),
            token: token.plain_text.expose().to_owned(),
        }
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        // SAFETY: the handle is live and closed once.
        ok(unsafe { authkv_close(self.c) });
    }
}

/// An absent header.
const NONE: (*const std::ffi::c_char, usize) = (ptr::null(), 0);

fn c_request(method: &str, authorization: &str) -> authkv_request {
    authkv_request {
        method: method.as_ptr().cast(),
        method_len: method.len(),
        cookie: NONE.0,
        cookie_len: NONE.1,
        authorization: authorization.as_ptr().cast(),
        authorization_len: authorization.len(),
        origin: NONE.0,
        origin_len: NONE.1,
        referer: NONE.0,
        referer_len: NONE.1,
        host: NONE.0,
        host_len: NONE.1,
        csrf_token: NONE.0,
        csrf_token_len: NONE.1,
        xsrf_token: NONE.0,
        xsrf_token_len: NONE.1,
        form_token: NONE.0,
        form_token_len: NONE.1,
        sec_fetch_site: NONE.0,
        sec_fetch_site_len: NONE.1,
    }
}

fn c_abi(c: &mut Criterion) {
    let pair = Pair::new();
    let (rust, handle) = (&pair.rust, pair.c);

    let token = pair.token.as_str();
    c.bench_function("token authenticate: Rust", |b| {
        b.iter(|| {
            black_box(
                rust.authenticate_token(token)
                    .expect("auth")
                    .expect("valid"),
            )
        })
    });
    c.bench_function("token authenticate: C ABI (+ free)", |b| {
        b.iter(|| {
            let mut out: *mut authkv_token = ptr::null_mut();
            // SAFETY: valid pointers; the result is freed once.
            unsafe {
                ok(authkv_token_authenticate(
                    handle,
                    token.as_ptr().cast(),
                    token.len(),
                    &mut out,
                ));
                black_box((*out).user_id);
                authkv_token_free(out);
            }
        })
    });

    let id = pair.session_id.as_str();
    c.bench_function("session load: Rust", |b| {
        b.iter(|| black_box(rust.load_session(id).expect("load").expect("live")))
    });
    c.bench_function("session load: C ABI (+ free)", |b| {
        b.iter(|| {
            let mut out: *mut authkv_session = ptr::null_mut();
            // SAFETY: valid pointers; the result is freed once.
            unsafe {
                ok(authkv_session_load(
                    handle,
                    id.as_ptr().cast(),
                    id.len(),
                    &mut out,
                ));
                black_box((*out).version);
                authkv_session_free(out);
            }
        })
    });

    let cookie = format!("authkv_session={id}");
    let referer = "http://localhost/dashboard";
    c.bench_function("guard by session cookie: Rust", |b| {
        let request = Request {
            method: "GET",
            cookie: Some(&cookie),
            referer: Some(referer),
            ..Request::default()
        };
        b.iter(|| black_box(rust.authenticate(&request).expect("auth")))
    });
    let by_cookie = authkv_request {
        cookie: cookie.as_ptr().cast(),
        cookie_len: cookie.len(),
        referer: referer.as_ptr().cast(),
        referer_len: referer.len(),
        ..c_request("GET", "")
    };
    type Guard = unsafe extern "C" fn(
        *const authkv_engine,
        *const authkv_request,
        *mut *mut authkv_principal,
    ) -> authkv_status;
    let calls: [(&str, Guard); 2] = [
        ("with the session loaded", authkv_guard_authenticate),
        ("lean", authkv_guard_authenticate_lean),
    ];
    for (label, call) in calls {
        c.bench_function(
            &format!("guard by session cookie: C ABI {label} (+ free)"),
            |b| {
                b.iter(|| {
                    let mut out: *mut authkv_principal = ptr::null_mut();
                    // SAFETY: the views outlive the call; the result is freed once.
                    unsafe {
                        ok(call(handle, &by_cookie, &mut out));
                        black_box((*out).user_id);
                        authkv_principal_free(out);
                    }
                })
            },
        );
    }

    let bearer = format!("Bearer {token}");
    c.bench_function("guard by bearer token: Rust", |b| {
        let request = Request {
            method: "GET",
            authorization: Some(&bearer),
            ..Request::default()
        };
        b.iter(|| black_box(rust.authenticate(&request).expect("auth")))
    });
    c.bench_function("guard by bearer token: C ABI (+ free)", |b| {
        let request = c_request("GET", &bearer);
        b.iter(|| {
            let mut out: *mut authkv_principal = ptr::null_mut();
            // SAFETY: the views outlive the call; the result is freed once.
            unsafe {
                ok(authkv_guard_authenticate(handle, &request, &mut out));
                black_box((*out).user_id);
                authkv_principal_free(out);
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = c_abi
}
criterion_main!(benches);
