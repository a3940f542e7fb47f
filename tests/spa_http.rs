//! Every route of the `spa_server` example over real HTTP/1.1 on loopback:
//! Sanctum's SPA flow (CSRF cookie, login, session, logout), throttling,
//! personal access tokens and the devices list.

mod spa_support;

use serde_json::json;
use spa_support::client::{Agent, send};
use spa_support::{PASSWORD, Server};

#[test]
fn the_page_is_served_at_the_root() {
    let server = Server::start();
    let r = send(server.addr, "GET", "/", &[], None);
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert!(r.body.contains("authkv SPA demo") && r.body.contains("X-XSRF-TOKEN"));
}

#[test]
fn login_needs_the_csrf_token_and_rotates_the_session() {
    let server = Server::start();
    let mut spa = Agent::new(&server, "Browser A");
    let r = spa.get("/api/user");
    assert_eq!((r.status, r.message().as_str()), (401, "Unauthenticated."));

    let r = spa.get("/sanctum/csrf-cookie");
    assert_eq!(r.status, 204);
    let session_cookie = r.set_cookie("authkv_session").expect("session cookie");
    let xsrf_cookie = r.set_cookie("XSRF-TOKEN").expect("XSRF-TOKEN cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    assert!(!xsrf_cookie.contains("HttpOnly"), "scripts must read it");
    assert!(!session_cookie.contains("Secure"), "plain http on loopback");
    let anonymous = spa.session_id().expect("session");
    spa.csrf_cookie();
    assert_eq!(
        spa.session_id(),
        Some(anonymous.clone()),
        "a live session is kept"
    );

    let body = json!({ "login": "demo@example.com", "password": PASSWORD }).to_string();
    let r = spa.request("POST", "/login", &[], Some(&body));
    assert_eq!(
        (r.status, r.message().as_str()),
        (419, "CSRF token mismatch.")
    );
    let r = spa.request("POST", "/login", &[("X-XSRF-TOKEN", "forged")], Some(&body));
    assert_eq!(r.status, 419);
    let mut stranger = Agent::new(&server, "no session");
    let xsrf = spa.xsrf();
    let r = stranger.request("POST", "/login", &[("X-XSRF-TOKEN", &xsrf)], Some(&body));
    assert_eq!(r.status, 419, "a token without its session is no token");

    let r = spa.login("wrong password");
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["errors"]["login"][0],
        "These credentials do not match our records."
    );
    let r = spa.write("POST", "/login", Some(r#"{"login":"demo@example.com"}"#));
    assert_eq!(
        (r.status, r.message().as_str()),
        (422, "The password field is required.")
    );
    let r = spa.write("POST", "/login", Some("not json"));
    assert_eq!(r.status, 400);

    let old_xsrf = spa.xsrf();
    let r = spa.login(PASSWORD);
    assert_eq!(r.status, 200, "{r:?}");
    let user = r.json();
    assert_eq!(
        (user["id"].as_u64(), user["email"].as_str()),
        (Some(1), Some("demo@example.com"))
    );
    let logged_in = spa.session_id().expect("session");
    assert_ne!(logged_in, anonymous, "login rotates the session id");
    assert_ne!(spa.xsrf(), old_xsrf, "and the CSRF token");

    let r = spa.get("/api/user");
    assert_eq!(r.status, 200);
    assert_eq!(
        (r.json()["via"].as_str(), r.json()["abilities"][0].as_str()),
        (Some("session"), Some("*"))
    );
    let mut replay = Agent::new(&server, "Browser A");
    replay.jar.insert("authkv_session".into(), anonymous);
    assert_eq!(
        replay.get("/api/user").status,
        401,
        "the pre-login id is dead"
    );
    spa.first_party = false;
    assert_eq!(
        spa.get("/api/user").status,
        401,
        "no Referer or Origin: not first-party"
    );
    spa.first_party = true;

    assert_eq!(spa.request("POST", "/logout", &[], None).status, 419);
    let r = spa.write("POST", "/logout", None);
    assert_eq!(r.status, 204);
    assert!(r.set_cookie("XSRF-TOKEN").is_some());
    let after = spa.session_id().expect("a fresh anonymous session");
    assert_ne!(after, logged_in, "logout rotates the id again");
    assert_eq!(spa.get("/api/user").status, 401);
    replay.jar.insert("authkv_session".into(), logged_in);
    assert_eq!(
        replay.get("/api/user").status,
        401,
        "the logged-in id is dead"
    );
}

#[test]
fn failed_logins_are_throttled_with_retry_after() {
    let server = Server::start();
    let mut spa = Agent::new(&server, "Browser");
    spa.csrf_cookie();
    for attempt in 1..=5 {
        assert_eq!(spa.login("guess").status, 422, "attempt {attempt}");
    }
    let r = spa.login("guess");
    assert_eq!(r.status, 429, "{r:?}");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        r.message().starts_with("Too many login attempts."),
        "{}",
        r.message()
    );
    assert_eq!(r.json()["errors"]["login"][0], r.json()["message"]);
    let r = spa.login(PASSWORD);
    assert_eq!(
        r.status, 429,
        "locked out: not even the right password is checked"
    );
}

#[test]
fn tokens_are_created_listed_used_and_revoked() {
    let server = Server::start();
    let mut spa = Agent::logged_in(&server, "Browser");
    let r = spa.write(
        "POST",
        "/api/tokens",
        Some(r#"{"name":"ci","abilities":["orders:read"]}"#),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let created = r.json();
    let plain = created["plainTextToken"]
        .as_str()
        .expect("plaintext")
        .to_owned();
    let id = created["id"].as_u64().expect("id");
    assert!(plain.starts_with(&format!("{id}|")), "{plain}");
    assert_eq!(created["abilities"], json!(["orders:read"]));

    let r = spa.get("/api/tokens");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()[0]["name"], "ci");
    assert!(!r.body.contains(&plain[2..]), "the plaintext is shown once");

    let bearer = format!("Bearer {plain}");
    let api = |method: &str, path: &str, body: Option<&str>| {
        send(
            server.addr,
            method,
            path,
            &[("Authorization", &bearer)],
            body,
        )
    };
    let r = api("GET", "/api/user", None);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["via"], "token");
    assert_eq!(r.json()["abilities"], json!(["orders:read"]));
    let r = api("GET", "/api/tokens", None);
    assert_eq!(
        (r.status, r.message().as_str()),
        (403, "Invalid ability provided.")
    );
    assert_eq!(
        api("POST", "/api/tokens", Some(r#"{"name":"x"}"#)).status,
        403
    );

    for (body, field) in [
        ("{}", "name"),
        (r#"{"name":""}"#, "name"),
        (r#"{"name":"x","abilities":"all"}"#, "abilities"),
        (r#"{"name":"x","abilities":[1]}"#, "abilities"),
        (r#"{"name":"x","abilities":[""]}"#, "abilities"),
    ] {
        let r = spa.write("POST", "/api/tokens", Some(body));
        assert_eq!(r.status, 422, "{body}: {r:?}");
        assert!(r.json()["errors"][field].is_array(), "{body}: {r:?}");
    }
    let foreign = server
        .engine
        .create_token(2, "not yours", ["*"], None)
        .expect("token");
    let path = format!("/api/tokens/{}", foreign.id);
    assert_eq!(spa.write("DELETE", &path, None).status, 404);
    assert_eq!(spa.write("DELETE", "/api/tokens/abc", None).status, 404);
    let path = format!("/api/tokens/{id}");
    assert_eq!(
        spa.request("DELETE", &path, &[], None).status,
        419,
        "CSRF on DELETE"
    );
    assert_eq!(spa.write("DELETE", &path, None).status, 204);
    assert_eq!(api("GET", "/api/user", None).status, 401, "revoked");
    assert_eq!(spa.write("DELETE", &path, None).status, 404);

    // A token with Sanctum's default abilities (`*`), logged out by itself.
    let r = spa.write("POST", "/api/tokens", Some(r#"{"name":"cli"}"#));
    assert_eq!(r.json()["abilities"], json!(["*"]));
    let bearer = format!(
        "Bearer {}",
        r.json()["plainTextToken"].as_str().expect("plaintext")
    );
    let auth = [("Authorization", bearer.as_str())];
    let r = send(server.addr, "GET", "/api/tokens", &auth, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));
    assert_eq!(
        send(server.addr, "POST", "/logout", &auth, None).status,
        204
    );
    assert_eq!(
        send(server.addr, "GET", "/api/user", &auth, None).status,
        401
    );
    assert_eq!(spa.get("/api/user").status, 200, "the session is untouched");
}

#[test]
fn devices_are_listed_and_other_devices_logged_out() {
    let server = Server::start();
    let mut laptop = Agent::logged_in(&server, "Laptop");
    let mut phone = Agent::logged_in(&server, "Phone");
    let r = laptop.get("/api/sessions");
    assert_eq!(r.status, 200);
    let list = r.json();
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 2, "{list:?}");
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Laptop");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    for id in [laptop.session_id(), phone.session_id()] {
        assert!(!r.body.contains(&id.expect("id")), "ids are never listed");
    }
    assert_eq!(
        laptop
            .request("DELETE", "/api/sessions/others", &[], None)
            .status,
        419
    );
    let r = laptop.write("DELETE", "/api/sessions/others", None);
    assert_eq!((r.status, r.json()["revoked"].as_u64()), (200, Some(1)));
    assert_eq!(
        phone.get("/api/user").status,
        401,
        "the phone is logged out"
    );
    assert_eq!(laptop.get("/api/user").status, 200);
    let r = laptop.get("/api/sessions");
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));
    assert_eq!(r.json()[0]["current"], true);
}
