//! The SPA page of the `spa_server` example in real headless Chromium,
//! driven over the DevTools protocol: the page fetches the CSRF cookie,
//! logs in through its form, lists devices, creates and revokes a token and
//! logs out, while the test checks what the browser holds and sends. Saves a
//! screenshot of the logged-in page to `docs/spa.png`.
//!
//! Needs Debian's `chromium` at `/usr/bin/chromium`: without it the test
//! fails, telling how to install it.

mod browser_support;
mod spa_support;

use std::path::Path;

use browser_support::cdp::{Cdp, Chromium};
use browser_support::{base64_decode, png_size};
use serde_json::{Value, json};
use spa_support::client::send;
use spa_support::{PASSWORD, Server};

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 760;

/// The browser's session cookie value, checked to be HttpOnly.
fn session_cookie(page: &mut Cdp, origin: &str) -> String {
    let cookie = page
        .cookie(origin, "authkv_session")
        .expect("the browser holds a session cookie");
    assert_eq!(cookie["httpOnly"], true, "{cookie}");
    cookie["value"].as_str().expect("value").to_owned()
}

/// Set an input's value the way typing would leave it.
fn fill(page: &mut Cdp, id: &str, value: &str) {
    let (id, value) = (json!(id), json!(value));
    page.eval(&format!(
        "document.getElementById({id}).value = {value}; true"
    ));
}

fn status_of(page: &mut Cdp, fetch: &str) -> Value {
    page.eval(&format!("{fetch}.then(r => r.status)"))
}

#[test]
fn the_spa_logs_in_manages_tokens_and_logs_out_in_chromium() {
    let chromium = Chromium::launch();
    let server = Server::start();
    let origin = server.origin();
    let mut page = chromium.page();
    let metrics =
        json!({ "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false });
    page.call("Emulation.setDeviceMetricsOverride", metrics);
    page.call("Page.navigate", json!({ "url": format!("{origin}/") }));
    page.wait_for(
        "window.spa !== undefined && window.spa.ready === true",
        "the page to start",
    );

    // The page fetched /sanctum/csrf-cookie: scripts see XSRF-TOKEN only.
    let cookies = page.eval("document.cookie");
    let cookies = cookies.as_str().expect("a string");
    assert!(cookies.contains("XSRF-TOKEN="), "{cookies}");
    assert!(!cookies.contains("authkv_session"), "HttpOnly: {cookies}");
    let anonymous = session_cookie(&mut page, &origin);
    assert!(
        !page
            .eval("document.getElementById('login-panel').hidden")
            .as_bool()
            .unwrap_or(true)
    );

    // A write without the X-XSRF-TOKEN header is refused; so is the API.
    let body = json!({ "login": "demo@example.com", "password": PASSWORD }).to_string();
    let bare_login = format!(
        "fetch('/login', {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: {}}})",
        json!(body)
    );
    assert_eq!(status_of(&mut page, &bare_login), 419);
    assert_eq!(status_of(&mut page, "fetch('/api/user')"), 401);

    // Log in through the form.
    let xsrf_before = page.eval("spa.xsrfToken()");
    fill(&mut page, "password", PASSWORD);
    page.eval("document.querySelector('#login-form button').click(); true");
    page.wait_for(
        "!document.getElementById('user-panel').hidden \
         && document.querySelectorAll('#devices tbody tr').length === 1",
        "the logged-in page",
    );
    assert_eq!(
        page.eval("document.getElementById('user-email').textContent"),
        "demo@example.com"
    );
    assert_eq!(
        page.eval("document.getElementById('user-via').textContent"),
        "session"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#devices .badge').length"),
        1
    );
    let logged_in = session_cookie(&mut page, &origin);
    assert_ne!(logged_in, anonymous, "login rotates the session id");
    assert_ne!(
        page.eval("spa.xsrfToken()"),
        xsrf_before,
        "and the CSRF token"
    );
    assert_eq!(status_of(&mut page, "fetch('/api/user')"), 200);

    // Create a token in the page; it authenticates a plain request.
    fill(&mut page, "token-name", "deploy script");
    fill(&mut page, "token-abilities", "orders:read, orders:write");
    page.eval("document.querySelector('#token-form button').click(); true");
    page.wait_for(
        "!document.getElementById('new-token').hidden \
         && document.querySelectorAll('#tokens tbody tr').length === 1",
        "the new token",
    );
    let plain = page.eval("document.getElementById('new-token-text').textContent");
    let plain = plain.as_str().expect("the plaintext").to_owned();
    let bearer = format!("Bearer {plain}");
    let r = send(
        server.addr,
        "GET",
        "/api/user",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["via"], "token");
    assert_eq!(
        r.json()["abilities"],
        json!(["orders:read", "orders:write"])
    );

    save_screenshot(&mut page);

    // Revoke it from the page.
    let id = plain.split('|').next().expect("id|secret");
    page.eval(&format!(
        "document.querySelector('#tokens button[data-token-id=\"{id}\"]').click(); true"
    ));
    page.wait_for(
        "document.querySelectorAll('#tokens tbody tr').length === 0",
        "the revocation",
    );
    let r = send(
        server.addr,
        "GET",
        "/api/user",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.status, 401, "a revoked token");

    // Log out.
    page.eval("document.getElementById('logout').click(); true");
    page.wait_for(
        "!document.getElementById('login-panel').hidden",
        "the login form",
    );
    assert_eq!(status_of(&mut page, "fetch('/api/user')"), 401);
    let after = session_cookie(&mut page, &origin);
    assert_ne!(after, logged_in, "logout leaves a new anonymous session");
    let replay = format!("authkv_session={logged_in}");
    let referer = format!("{origin}/");
    let headers = [("Cookie", replay.as_str()), ("Referer", referer.as_str())];
    assert_eq!(
        send(server.addr, "GET", "/api/user", &headers, None).status,
        401
    );
}

/// Capture the page as a PNG of the emulated size and write it to the
/// target directory; with `AUTHKV_REFRESH_SCREENSHOT=1` to `docs/spa.png`,
/// where the README shows it (a test run never rewrites a tracked file).
fn save_screenshot(page: &mut Cdp) {
    let shot = page.call("Page.captureScreenshot", json!({ "format": "png" }));
    let png = base64_decode(shot["data"].as_str().expect("base64 data")).expect("valid base64");
    assert_eq!(
        png_size(&png),
        Some((WIDTH, HEIGHT)),
        "a PNG of the viewport"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = if std::env::var_os("AUTHKV_REFRESH_SCREENSHOT").is_some() {
        root.join("docs/spa.png")
    } else {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root.join("target"), std::path::PathBuf::from)
            .join("spa.png")
    };
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("screenshot dir");
    std::fs::write(&path, png).expect("write the screenshot");
}
