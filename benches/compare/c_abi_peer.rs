//! authkv through its C ABI, the calls a C, PHP or Python host makes on
//! its hot path (`authkv_guard_authenticate_lean`, which leaves the session
//! payload unread, `authkv_token_authenticate` and their frees), called
//! in-process on a copy of authkv's file: the row shows what the boundary
//! costs over the Rust calls beside it.

use std::path::Path;
use std::ptr;

use authkv::ManualClock;
use authkv::ffi::{
    authkv_close, authkv_engine, authkv_flush, authkv_guard_authenticate_lean, authkv_open,
    authkv_options, authkv_options_default, authkv_principal, authkv_principal_free,
    authkv_request, authkv_set_time, authkv_stats, authkv_status, authkv_token,
    authkv_token_authenticate, authkv_token_free,
};

use crate::peer::{Peer, Worker};

/// An engine handle from `authkv_open`.
pub struct CAbiPeer {
    engine: *mut authkv_engine,
    clock: ManualClock,
}

// SAFETY: the C ABI documents handles as usable from any number of threads.
unsafe impl Sync for CAbiPeer {}

fn ok(status: authkv_status, call: &str) {
    assert_eq!(status, authkv_status::AUTHKV_OK, "{call}");
}

impl CAbiPeer {
    /// Open `path` (a cleanly closed copy of authkv's file) with the
    /// library's defaults, durable commits and a manual clock that follows
    /// `clock` at every new worker.
    pub fn open(path: &Path, clock: &ManualClock) -> Self {
        let mut options = std::mem::MaybeUninit::<authkv_options>::uninit();
        // SAFETY: `options` is valid for a write; it is initialised on OK.
        let mut options = unsafe {
            ok(
                authkv_options_default(options.as_mut_ptr()),
                "authkv_options_default",
            );
            options.assume_init()
        };
        options.manual_clock = true;
        options.manual_clock_start = clock.now();
        let path = path.to_str().expect("a UTF-8 temporary path");
        let mut engine = ptr::null_mut();
        // SAFETY: every pointer is valid for the call.
        ok(
            unsafe { authkv_open(path.as_ptr().cast(), path.len(), &options, &mut engine) },
            "authkv_open",
        );
        Self {
            engine,
            clock: clock.clone(),
        }
    }
}

impl Drop for CAbiPeer {
    fn drop(&mut self) {
        // SAFETY: the handle is live and closed once.
        ok(unsafe { authkv_close(self.engine) }, "authkv_close");
    }
}

impl Peer for CAbiPeer {
    fn name(&self) -> &str {
        "authkv C ABI"
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        // SAFETY: a live handle.
        ok(
            unsafe { authkv_set_time(self.engine, self.clock.now()) },
            "authkv_set_time",
        );
        Box::new(CAbiWorker {
            engine: self.engine,
            cookie: String::with_capacity(64),
        })
    }

    fn commits(&self) -> u64 {
        let mut stats = std::mem::MaybeUninit::uninit();
        // SAFETY: a live handle and a writable struct, initialised on OK.
        unsafe {
            ok(
                authkv_stats(self.engine, stats.as_mut_ptr()),
                "authkv_stats",
            );
            stats.assume_init().write_commits
        }
    }

    fn gc(&self) -> u64 {
        unreachable!("the C ABI takes part in the lookup rows only")
    }

    fn settle(&self) {
        // SAFETY: a live handle; the count is optional.
        ok(
            unsafe { authkv_flush(self.engine, ptr::null_mut()) },
            "authkv_flush",
        );
    }
}

/// One thread's calls on the shared handle.
struct CAbiWorker {
    engine: *const authkv_engine,
    cookie: String,
}

/// A (pointer, length) view of a header; NULL for an absent one.
fn view(text: Option<&str>) -> (*const std::ffi::c_char, usize) {
    text.map_or((ptr::null(), 0), |t| (t.as_ptr().cast(), t.len()))
}

impl Worker for CAbiWorker {
    fn session_request(&mut self, id: &str) -> Option<u64> {
        self.cookie.clear();
        self.cookie.push_str("authkv_session=");
        self.cookie.push_str(id);
        let (method, method_len) = view(Some("GET"));
        let (cookie, cookie_len) = view(Some(&self.cookie));
        let (referer, referer_len) = view(Some("http://localhost/dashboard"));
        let (host, host_len) = view(Some("localhost"));
        let (none, zero) = view(None);
        let request = authkv_request {
            method,
            method_len,
            cookie,
            cookie_len,
            authorization: none,
            authorization_len: zero,
            origin: none,
            origin_len: zero,
            referer,
            referer_len,
            host,
            host_len,
            csrf_token: none,
            csrf_token_len: zero,
            xsrf_token: none,
            xsrf_token_len: zero,
            form_token: none,
            form_token_len: zero,
            sec_fetch_site: none,
            sec_fetch_site_len: zero,
        };
        let mut principal: *mut authkv_principal = ptr::null_mut();
        // SAFETY: every view outlives the call; `principal` is writable.
        let status =
            unsafe { authkv_guard_authenticate_lean(self.engine, &request, &mut principal) };
        match status {
            authkv_status::AUTHKV_OK => {
                // SAFETY: set on OK; read, then freed once.
                let user = unsafe {
                    let user = (*principal).user_id;
                    authkv_principal_free(principal);
                    user
                };
                Some(user)
            }
            authkv_status::AUTHKV_UNAUTHENTICATED => None,
            other => panic!("authkv_guard_authenticate_lean: {other:?}"),
        }
    }

    fn token_request(&mut self, token: &str) -> Option<u64> {
        let mut found: *mut authkv_token = ptr::null_mut();
        // SAFETY: the token outlives the call; `found` is writable.
        let status = unsafe {
            authkv_token_authenticate(self.engine, token.as_ptr().cast(), token.len(), &mut found)
        };
        match status {
            authkv_status::AUTHKV_OK => {
                // SAFETY: set on OK; read, then freed once.
                let user = unsafe {
                    let user = (*found).user_id;
                    authkv_token_free(found);
                    user
                };
                Some(user)
            }
            authkv_status::AUTHKV_UNAUTHENTICATED => None,
            other => panic!("authkv_token_authenticate: {other:?}"),
        }
    }

    fn login(&mut self, _user_id: u64) -> String {
        unreachable!("the C ABI takes part in the lookup rows only")
    }

    fn save(&mut self, _id: &str, _payload: &[u8]) -> bool {
        unreachable!("the C ABI takes part in the lookup rows only")
    }
}
