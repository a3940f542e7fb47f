//! `authkv_options`: the C form of [`crate::Config`] and its defaults. The
//! library reads it only during `authkv_open`, where `open_options.rs` copies
//! and checks it.

use std::ffi::c_char;

use super::boundary::run;
use super::open_options::OpenOptions;
use super::slice;
use super::status::authkv_status;

/// `cookie_same_site`: `SameSite=Lax` (the default): sent on same-site
/// requests and top-level cross-site navigations.
pub const AUTHKV_SAME_SITE_LAX: u32 = 0;
/// `cookie_same_site`: `SameSite=Strict`: sent on same-site requests only.
pub const AUTHKV_SAME_SITE_STRICT: u32 = 1;
/// `cookie_same_site`: `SameSite=None`: sent on every request; needs
/// `cookie_secure`.
pub const AUTHKV_SAME_SITE_NONE: u32 = 2;

/// `create`: make a new database when the file does not exist; an existing
/// empty file is refused as `AUTHKV_CORRUPT` (the default).
pub const AUTHKV_CREATE_IF_MISSING: u32 = 0;
/// `create`: make a new database when the file does not exist or is empty.
pub const AUTHKV_CREATE_IF_MISSING_OR_EMPTY: u32 = 1;
/// `create`: never; a missing file is `AUTHKV_IO`.
pub const AUTHKV_CREATE_NEVER: u32 = 2;

/// `csrf_mode`: the session's CSRF token must come back with every
/// first-party write (the default).
pub const AUTHKV_CSRF_TOKEN: u32 = 0;
/// `csrf_mode`: a first-party write is allowed on the browser's
/// `Sec-Fetch-Site: same-origin` (or `same-site` with
/// `csrf_accepts_same_site`), else on an `Origin` naming a stateful domain;
/// refused on `cross-site` or when neither header is present.
pub const AUTHKV_CSRF_FETCH_METADATA: u32 = 1;
/// `csrf_mode`: allowed when either check passes.
pub const AUTHKV_CSRF_EITHER: u32 = 2;

/// Longest `token_prefix`, in bytes.
pub const AUTHKV_TOKEN_PREFIX_MAX_LEN: usize = 32;

/// Sanctum's default stateful domains, as `authkv_options_default` fills
/// them in.
pub(crate) const DEFAULT_STATEFUL_DOMAINS: &str =
    "localhost,localhost:3000,127.0.0.1,127.0.0.1:8000,::1";
/// The default session cookie name.
pub(crate) const DEFAULT_SESSION_COOKIE: &str = "authkv_session";
/// The default name of the script-readable CSRF cookie.
pub(crate) const DEFAULT_XSRF_COOKIE: &str = "XSRF-TOKEN";
/// The default cookie Path.
pub(crate) const DEFAULT_COOKIE_PATH: &str = "/";

/// How an engine behaves. Fill it with `authkv_options_default`, change the
/// fields you need, and pass it to `authkv_open`.
///
/// The caller allocates it; the library only reads it, and the text it
/// points to, during `authkv_open` (it copies what it keeps). Text fields
/// are (pointer, length) pairs like every other input: UTF-8 without NUL
/// bytes, `(NULL, 0)` for empty. The defaults point at static text inside
/// the library, valid as long as it is loaded. Fields are only ever added
/// at the end, with a MINOR version bump (see `AUTHKV_VERSION_NUMBER`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_options {
    /// A session expires after this many seconds without activity. Must be
    /// at least 1. Default 7200 (Laravel's 120 minutes).
    pub idle_lifetime_secs: u64,
    /// A session expires this many seconds after creation however active it
    /// is; 0 means no absolute lifetime (the default).
    pub absolute_lifetime_secs: u64,
    /// A load moves a session's last activity only when it is at least this
    /// many seconds old; the move is kept in memory until the next flush.
    /// Default 60.
    pub touch_interval_secs: u64,
    /// Largest session payload accepted, in bytes. Default 1 MiB.
    pub max_payload: usize,
    /// User agents are truncated to this many bytes (on a character
    /// boundary). Default 512.
    pub max_user_agent: usize,
    /// Longest ip address accepted, in bytes. Default 45.
    pub max_ip: usize,
    /// Rows deleted per garbage-collection transaction. Must be at least 1.
    /// Default 1000.
    pub gc_batch_size: usize,
    /// When not 0, a background thread flushes touches and collects expired
    /// sessions every this many seconds. Default 0 (the host calls
    /// `authkv_flush` and `authkv_gc`).
    pub background_interval_secs: u64,
    /// Bytes of page cache. Default 64 MiB.
    pub cache_size: usize,
    /// Start time of the manual clock, in unix seconds (used only when
    /// `manual_clock` is true).
    pub manual_clock_start: u64,
    /// When true (the default) every commit is on disk before the call
    /// returns. False skips the fsync — for bulk loads and tests: a crash may
    /// lose recent commits, never consistency. Closing makes all durable.
    pub durable_commits: bool,
    /// When true, the engine's clock reads `manual_clock_start` and moves
    /// only through `authkv_set_time` (for tests). Default false: the system
    /// clock.
    pub manual_clock: bool,
    /// Text put before the random part of every new personal access token
    /// (Sanctum's `token_prefix`) so that secret scanners recognise it:
    /// printable ASCII without `|` or spaces, at most
    /// `AUTHKV_TOKEN_PREFIX_MAX_LEN` bytes. Default empty.
    pub token_prefix: *const c_char,
    /// Length of `token_prefix` in bytes.
    pub token_prefix_len: usize,
    /// A token stops working this many seconds after its creation, whatever
    /// its own expiry says (Sanctum's `expiration`); 0 means never (the
    /// default).
    pub token_expiration_secs: u64,
    /// Accept legacy Sanctum tokens (40 characters, no prefix, no checksum),
    /// which cannot be checked before a lookup. Default false.
    pub allow_legacy_tokens: bool,
    /// `authkv_gc` prunes tokens expired for more than this many hours
    /// (Sanctum's `sanctum:prune-expired --hours`). Default 24.
    pub token_prune_hours: u64,
    /// Argon2id memory cost of new password hashes, in KiB; at least 8 ×
    /// `argon2_p_cost`. Default 19456 (OWASP). Hashes stored with other
    /// costs are rehashed at the next successful login.
    pub argon2_m_cost: u32,
    /// Argon2id passes over the memory; at least 1. Default 2.
    pub argon2_t_cost: u32,
    /// Argon2id lanes; at least 1. Default 1.
    pub argon2_p_cost: u32,
    /// Failed logins allowed per (login, ip) within `throttle_window_secs`
    /// before attempts are refused; at least 1. Default 5.
    pub throttle_max_attempts: u32,
    /// The window opened by the first failed login of a (login, ip), in
    /// seconds; the count resets when it has passed. At least 1. Default 60.
    pub throttle_window_secs: u64,
    /// A remember-me token stays valid this many seconds after it was
    /// issued or last rotated; at least 1. Default 400 days.
    pub remember_lifetime_secs: u64,
    /// The first-party domains whose requests the guard authenticates by
    /// session cookie, comma-separated: `host`, `host:port`, `[::1]:8000`,
    /// `::1`, `*.example.com[:port]`. A pattern without a port matches only
    /// the scheme's default port. Default: Sanctum's list,
    /// `localhost,localhost:3000,127.0.0.1,127.0.0.1:8000,::1`. Empty (length
    /// 0) means none: every request must carry a bearer token.
    pub stateful_domains: *const c_char,
    /// Length of `stateful_domains` in bytes.
    pub stateful_domains_len: usize,
    /// Also treat a Referer/Origin naming the request's own Host as
    /// first-party (a same-origin SPA). Default false, as Sanctum.
    pub same_host_is_stateful: bool,
    /// Name of the session cookie (an RFC 6265 token). Default
    /// `authkv_session`.
    pub session_cookie: *const c_char,
    /// Length of `session_cookie` in bytes.
    pub session_cookie_len: usize,
    /// Name of the script-readable CSRF cookie. Default `XSRF-TOKEN`.
    pub xsrf_cookie: *const c_char,
    /// Length of `xsrf_cookie` in bytes.
    pub xsrf_cookie_len: usize,
    /// Send both cookies with the Secure attribute. Default true.
    pub cookie_secure: bool,
    /// `AUTHKV_SAME_SITE_LAX` (the default), `_STRICT` or `_NONE`.
    pub cookie_same_site: u32,
    /// The cookies' Path attribute. Default `/`.
    pub cookie_path: *const c_char,
    /// Length of `cookie_path` in bytes.
    pub cookie_path_len: usize,
    /// The cookies' Domain attribute; empty (the default) keeps them on the
    /// exact host.
    pub cookie_domain: *const c_char,
    /// Length of `cookie_domain` in bytes.
    pub cookie_domain_len: usize,
    /// Put `__Host-` in front of both cookie names (Secure, `Path=/`, no
    /// Domain allowed). Default false.
    pub cookie_host_prefix: bool,
    /// Send the session cookie without Max-Age, so the browser drops it
    /// when it closes. Default false (Max-Age follows
    /// `idle_lifetime_secs`).
    pub expire_on_close: bool,
    /// Open the file for this process alone (redb's exclusive lock): any
    /// other process gets `AUTHKV_LOCKED`. Faster (reads take no file lock,
    /// concurrent writers share one fsync), for a single-process server.
    /// Default false: any number of processes on the host — workers, the
    /// CLI, cron — open the file together and see each other's commits at
    /// once. Every process must open a file in the same mode.
    pub exclusive: bool,
    /// Record the allocator state in every durable commit, so that opening
    /// the file after a crash is near instant, at the price of a second
    /// fsync per commit. Default false; always on when `exclusive` is false.
    pub quick_repair: bool,
    /// When opening makes a new database: `AUTHKV_CREATE_IF_MISSING` (the
    /// default; an existing empty file is refused, so that a file truncated
    /// to nothing never silently becomes a new database),
    /// `AUTHKV_CREATE_IF_MISSING_OR_EMPTY` or `AUTHKV_CREATE_NEVER`.
    pub create: u32,
    /// How a first-party write proves it is not forged: `AUTHKV_CSRF_TOKEN`
    /// (the default), `AUTHKV_CSRF_FETCH_METADATA` or `AUTHKV_CSRF_EITHER`.
    pub csrf_mode: u32,
    /// In the fetch-metadata modes, also accept `Sec-Fetch-Site:
    /// same-site`. Default false.
    pub csrf_accepts_same_site: bool,
}

/// A (pointer, length) pair pointing at static text.
fn static_text(text: &'static str) -> (*const c_char, usize) {
    (text.as_ptr().cast::<c_char>(), text.len())
}

impl authkv_options {
    /// The defaults: Laravel's lifetimes, Sanctum's domains, authkv's
    /// limits, OWASP's argon2 costs, the system clock, durable commits, no
    /// background thread. Equal to `Config::default()` (a test checks it).
    pub(crate) fn defaults() -> Self {
        let (stateful_domains, stateful_domains_len) = static_text(DEFAULT_STATEFUL_DOMAINS);
        let (session_cookie, session_cookie_len) = static_text(DEFAULT_SESSION_COOKIE);
        let (xsrf_cookie, xsrf_cookie_len) = static_text(DEFAULT_XSRF_COOKIE);
        let (cookie_path, cookie_path_len) = static_text(DEFAULT_COOKIE_PATH);
        Self {
            idle_lifetime_secs: 7200,
            absolute_lifetime_secs: 0,
            touch_interval_secs: 60,
            max_payload: 1024 * 1024,
            max_user_agent: 512,
            max_ip: 45,
            gc_batch_size: 1000,
            background_interval_secs: 0,
            cache_size: 64 * 1024 * 1024,
            manual_clock_start: 0,
            durable_commits: true,
            manual_clock: false,
            token_prefix: std::ptr::null(),
            token_prefix_len: 0,
            token_expiration_secs: 0,
            allow_legacy_tokens: false,
            token_prune_hours: 24,
            argon2_m_cost: 19_456,
            argon2_t_cost: 2,
            argon2_p_cost: 1,
            throttle_max_attempts: 5,
            throttle_window_secs: 60,
            remember_lifetime_secs: 400 * 24 * 60 * 60,
            stateful_domains,
            stateful_domains_len,
            same_host_is_stateful: false,
            session_cookie,
            session_cookie_len,
            xsrf_cookie,
            xsrf_cookie_len,
            cookie_secure: true,
            cookie_same_site: AUTHKV_SAME_SITE_LAX,
            cookie_path,
            cookie_path_len,
            cookie_domain: std::ptr::null(),
            cookie_domain_len: 0,
            cookie_host_prefix: false,
            expire_on_close: false,
            exclusive: false,
            quick_repair: false,
            create: AUTHKV_CREATE_IF_MISSING,
            csrf_mode: AUTHKV_CSRF_TOKEN,
            csrf_accepts_same_site: false,
        }
    }
}

/// Fill `*out` with the default options: Laravel's lifetimes, Sanctum's
/// stateful domains and token format, authkv's limits, OWASP's argon2
/// costs, the system clock, durable commits, no background thread.
///
/// The text fields point at static text inside the library; replace a
/// pointer and its length together to change one.
///
/// Returns `AUTHKV_OK`, or `AUTHKV_NULL_POINTER` when `out` is NULL.
/// Values are only written to `*out` on success. Thread-safe.
///
/// # Safety
/// `out` must be NULL or valid for a write of `authkv_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_options_default(out: *mut authkv_options) -> authkv_status {
    run("authkv_options_default", || {
        let out = slice::out(out, "out")?;
        // SAFETY: the caller guarantees `out` is valid for a write.
        unsafe { slice::write(out, authkv_options::defaults()) };
        Ok(())
    })
}

/// The options for `authkv_open`, copied: the caller's, or the defaults for
/// NULL.
///
/// # Safety
/// Unless NULL, `opts` must point to an initialized `authkv_options` whose
/// text fields are valid for reads of their lengths.
pub(crate) unsafe fn options_or_default(
    opts: *const authkv_options,
) -> Result<OpenOptions, super::boundary::Failure> {
    let defaults = authkv_options::defaults();
    let opts = if opts.is_null() {
        &defaults
    } else {
        // SAFETY: forwarded from the caller; non-NULL here.
        unsafe { slice::input(opts, "opts") }?
    };
    // SAFETY: forwarded from the caller (the defaults point at static text).
    unsafe { OpenOptions::copy(opts) }
}
