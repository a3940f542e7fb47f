//! Session lifecycle, CSRF, rotation, user listing and bad input.

mod common;

use authkv::{Error, SessionError};
use common::*;

fn err_session(e: Error) -> SessionError {
    match e {
        Error::Session(s) => s,
        other => panic!("expected a session error, got {other:?}"),
    }
}

#[test]
fn a_session_id_begins_with_the_minute_it_was_drawn_and_so_does_its_handle() {
    let f = fixture();
    let minute_of = |key: [u8; 32]| u64::from(u32::from_be_bytes([key[0], key[1], key[2], key[3]]));
    let first = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let key = stored_key(first.id.expose());
    assert_eq!(minute_of(key), T0 / 60);
    assert_eq!(first.handle(), to_hex(&key));
    f.clock.advance(60);
    let user = f.engine.login(first.id.expose(), 7).expect("login");
    let key = stored_key(user.id.expose());
    assert_eq!(minute_of(key), T0 / 60 + 1, "a rotated id is drawn anew");
    let listed = f.engine.user_sessions(7).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].handle, to_hex(&key));
    assert_eq!(user.handle(), to_hex(&key));
    f.engine
        .revoke_session(&to_hex(&key))
        .expect("revoke by handle");
    assert!(
        f.engine
            .load_session(user.id.expose())
            .expect("load")
            .is_none()
    );
}

#[test]
fn created_session_loads_with_its_fields() {
    let f = fixture();
    let s = f
        .engine
        .create_session("203.0.113.9", "Mozilla/5.0")
        .expect("create");
    assert_eq!(s.id.expose().len(), 40);
    assert!(s.id.expose().bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(s.csrf_token.expose().len(), 40);
    assert_ne!(s.id.expose(), s.csrf_token.expose());
    let loaded = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(loaded.user_id, None);
    assert_eq!(loaded.ip, "203.0.113.9");
    assert_eq!(loaded.user_agent, "Mozilla/5.0");
    assert_eq!(loaded.created_at, T0);
    assert_eq!(loaded.last_activity, T0);
    assert_eq!(loaded.csrf_token, s.csrf_token);
    assert_eq!(loaded.version, 0);
    assert_consistent(&f.engine);
}

#[test]
fn debug_output_never_shows_the_id_csrf_token_or_payload() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.engine
        .save_session(s.id.expose(), b"secret-payload", None)
        .expect("save");
    let s = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    let shown = format!("{s:?} {:?} {:?}", s.id, s.csrf_token);
    assert!(!shown.contains(s.id.expose()));
    assert!(!shown.contains(s.csrf_token.expose()));
    assert!(!shown.contains("secret-payload"));
}

#[test]
fn only_the_digest_of_the_id_is_stored() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = s.id.expose().to_owned();
    let bytes = stored_bytes(f);
    assert!(!bytes.is_empty());
    assert!(!bytes.windows(40).any(|w| w == id.as_bytes()));
}

#[test]
fn idle_session_is_alive_at_the_boundary_and_absent_one_second_later() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(IDLE); // last_activity == now - idle: not `<`, still alive
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_some()
    );
    let t = fixture();
    let s = t.engine.create_session("1.2.3.4", "ua").expect("create");
    t.clock.advance(IDLE + 1);
    assert!(
        t.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
}

#[test]
fn expired_session_reads_as_absent_before_gc_runs() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(IDLE + 1);
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert_eq!(
        f.engine.stats().expect("stats").sessions,
        1,
        "still stored until GC"
    );
    assert_eq!(
        err_session(
            f.engine
                .save_session(s.id.expose(), b"x", None)
                .unwrap_err()
        ),
        SessionError::NotFound
    );
}

#[test]
fn gc_deletes_at_the_idle_boundary_inclusive() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(IDLE - 1);
    assert_eq!(f.engine.gc().expect("gc").sessions_deleted, 0);
    f.clock.advance(1); // last_activity == now - idle: GC's `<=` takes it
    let report = f.engine.gc().expect("gc");
    assert_eq!(report.sessions_deleted, 1);
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert_eq!(f.engine.stats().expect("stats").sessions, 0);
    assert_consistent(&f.engine);
}

#[test]
fn absolute_lifetime_expires_an_active_session() {
    let f = fixture_with(|c| {
        c.absolute_lifetime = Some(minutes(30));
        c.touch_interval = std::time::Duration::from_secs(0);
    });
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    for _ in 0..29 {
        f.clock.advance(60);
        assert!(
            f.engine
                .load_session(s.id.expose())
                .expect("load")
                .is_some()
        );
    }
    f.clock.advance(59);
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_some()
    );
    f.clock.advance(1); // created_at == now - absolute: expired (`<=`)
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert_eq!(f.engine.gc().expect("gc").sessions_deleted, 1);
    assert_consistent(&f.engine);
}

#[test]
fn login_rotates_id_and_csrf_keeps_data_and_deletes_the_old_row() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.engine
        .save_session(s.id.expose(), b"cart=3", None)
        .expect("save");
    let logged = f.engine.login(s.id.expose(), 42).expect("login");
    assert_ne!(logged.id.expose(), s.id.expose());
    assert_ne!(logged.csrf_token, s.csrf_token);
    assert_eq!(logged.user_id, Some(42));
    assert_eq!(logged.payload, b"cart=3");
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    let loaded = f
        .engine
        .load_session(logged.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(loaded.user_id, Some(42));
    assert_eq!(loaded.created_at, s.created_at);
    assert_eq!(f.engine.stats().expect("stats").sessions, 1);
    assert_consistent(&f.engine);
}

#[test]
fn regenerate_keeps_user_and_data_with_new_id_and_csrf() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let s = f.engine.login(s.id.expose(), 7).expect("login");
    f.engine
        .save_session(s.id.expose(), b"data", None)
        .expect("save");
    let r = f
        .engine
        .regenerate_session(s.id.expose())
        .expect("regenerate");
    assert_ne!(r.id.expose(), s.id.expose());
    assert_ne!(r.csrf_token, s.csrf_token);
    assert_eq!((r.user_id, r.payload.as_slice()), (Some(7), &b"data"[..]));
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert_consistent(&f.engine);
}

#[test]
fn invalidate_drops_user_and_data_and_rotates_id_and_csrf() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let s = f.engine.login(s.id.expose(), 7).expect("login");
    f.engine
        .save_session(s.id.expose(), b"data", None)
        .expect("save");
    let out = f
        .engine
        .invalidate_session(s.id.expose())
        .expect("invalidate");
    assert_ne!(out.id.expose(), s.id.expose());
    assert_ne!(out.csrf_token, s.csrf_token);
    assert_eq!(out.user_id, None);
    assert!(out.payload.is_empty());
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert!(f.engine.user_sessions(7).expect("list").is_empty());
    assert_consistent(&f.engine);
}

#[test]
fn destroy_deletes_and_reports_whether_it_existed() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    assert!(f.engine.destroy_session(s.id.expose()).expect("destroy"));
    assert!(!f.engine.destroy_session(s.id.expose()).expect("destroy"));
    assert!(!f.engine.destroy_session("short").expect("destroy"));
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert_consistent(&f.engine);
}

#[test]
fn csrf_verify_accepts_the_token_and_rejects_empty_wrong_and_foreign_tokens() {
    let f = fixture();
    let a = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let b = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = a.id.expose();
    assert!(
        f.engine
            .verify_csrf(id, a.csrf_token.expose())
            .expect("verify")
    );
    assert!(!f.engine.verify_csrf(id, "").expect("verify"));
    assert!(!f.engine.verify_csrf(id, &"x".repeat(40)).expect("verify"));
    assert!(
        !f.engine
            .verify_csrf(id, &a.csrf_token.expose()[..39])
            .expect("verify")
    );
    assert!(
        !f.engine
            .verify_csrf(id, b.csrf_token.expose())
            .expect("verify")
    );
    assert!(
        !f.engine
            .verify_csrf("bogus", a.csrf_token.expose())
            .expect("verify")
    );
    assert_eq!(
        f.engine.csrf_token(id).expect("read"),
        Some(a.csrf_token.clone())
    );
}

#[test]
fn rotate_csrf_replaces_the_token() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let new = f.engine.rotate_csrf(s.id.expose()).expect("rotate");
    assert_ne!(new, s.csrf_token);
    assert!(
        !f.engine
            .verify_csrf(s.id.expose(), s.csrf_token.expose())
            .expect("verify")
    );
    assert!(
        f.engine
            .verify_csrf(s.id.expose(), new.expose())
            .expect("verify")
    );
    assert_consistent(&f.engine);
}

#[test]
fn save_with_a_stale_version_conflicts_and_changes_nothing() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let v1 = f
        .engine
        .save_session(s.id.expose(), b"first", Some(0))
        .expect("save");
    assert_eq!(v1, 1);
    let commits = f.engine.stats().expect("stats").write_commits;
    let err = f
        .engine
        .save_session(s.id.expose(), b"second", Some(0))
        .unwrap_err();
    assert_eq!(
        err_session(err),
        SessionError::Conflict {
            expected: 0,
            actual: 1
        }
    );
    assert_eq!(f.engine.stats().expect("stats").write_commits, commits);
    let loaded = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(
        (loaded.payload.as_slice(), loaded.version),
        (&b"first"[..], 1)
    );
    assert_eq!(
        f.engine
            .save_session(s.id.expose(), b"second", None)
            .expect("save"),
        2
    );
}

#[test]
fn oversized_payload_is_refused_and_nothing_changes() {
    let f = fixture_with(|c| c.max_payload = 16);
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.engine
        .save_session(s.id.expose(), &[1; 16], None)
        .expect("at the limit");
    let err = f
        .engine
        .save_session(s.id.expose(), &[2; 17], None)
        .unwrap_err();
    assert_eq!(
        err_session(err),
        SessionError::PayloadTooLarge { len: 17, max: 16 }
    );
    let loaded = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(loaded.payload, vec![1; 16]);
}

#[test]
fn overlong_ip_is_refused_and_nothing_is_stored() {
    let f = fixture();
    let before = f.engine.stats().expect("stats");
    let err = f.engine.create_session(&"1".repeat(46), "ua").unwrap_err();
    assert_eq!(
        err_session(err),
        SessionError::IpTooLong { len: 46, max: 45 }
    );
    assert_eq!(f.engine.stats().expect("stats"), before);
    f.engine
        .create_session(&"1".repeat(45), "ua")
        .expect("45 bytes is allowed");
}

#[test]
fn user_agent_is_truncated_on_a_char_boundary() {
    let f = fixture();
    let ua = format!("{}é", "a".repeat(511)); // 'é' spans bytes 511..513
    let s = f.engine.create_session("1.2.3.4", &ua).expect("create");
    assert_eq!(s.user_agent, "a".repeat(511));
    let ua = "b".repeat(600);
    let s = f.engine.create_session("1.2.3.4", &ua).expect("create");
    assert_eq!(s.user_agent.len(), 512);
}

#[test]
fn malformed_ids_are_no_session_and_read_no_table() {
    let f = fixture();
    let real = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let lookups = f.engine.stats().expect("stats").lookups;
    let bad_ids = [
        String::new(),
        "a".repeat(39),
        "a".repeat(41),
        format!("{}-", "a".repeat(39)),
        format!("{}é", "a".repeat(38)),
        format!("{} ", &real.id.expose()[..39]),
    ];
    for id in &bad_ids {
        assert!(f.engine.load_session(id).expect("load").is_none(), "{id:?}");
        assert!(
            !f.engine
                .verify_csrf(id, real.csrf_token.expose())
                .expect("verify")
        );
        assert!(!f.engine.destroy_session(id).expect("destroy"));
        let err = f.engine.save_session(id, b"x", None).unwrap_err();
        assert_eq!(err_session(err), SessionError::NotFound);
    }
    assert_eq!(f.engine.stats().expect("stats").lookups, lookups);
    assert!(
        f.engine
            .load_session(real.id.expose())
            .expect("load")
            .is_some()
    );
}

#[test]
fn user_sessions_lists_devices_by_handle_without_ids() {
    let f = fixture();
    let phone = f
        .engine
        .create_session("10.0.0.1", "Phone")
        .expect("create");
    let phone = f.engine.login(phone.id.expose(), 5).expect("login");
    f.clock.advance(10);
    let laptop = f
        .engine
        .create_session("10.0.0.2", "Laptop")
        .expect("create");
    let _laptop = f.engine.login(laptop.id.expose(), 5).expect("login");
    let other = f
        .engine
        .create_session("10.0.0.3", "Other")
        .expect("create");
    f.engine.login(other.id.expose(), 6).expect("login");
    let list = f.engine.user_sessions(5).expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].ip.as_str(), list[0].user_agent.as_str()),
        ("10.0.0.1", "Phone")
    );
    assert_eq!(
        (list[1].ip.as_str(), list[1].created_at),
        ("10.0.0.2", T0 + 10)
    );
    assert_eq!(list[0].handle.len(), 64);
    assert!(list.iter().all(|i| !i.handle.contains(phone.id.expose())));
    let shown = format!("{list:?}");
    assert!(!shown.contains(phone.id.expose()));
}

#[test]
fn a_session_knows_its_own_handle_in_the_device_list() {
    let f = fixture();
    let phone = f
        .engine
        .create_session("10.0.0.1", "Phone")
        .expect("create");
    let phone = f.engine.login(phone.id.expose(), 5).expect("login");
    let laptop = f
        .engine
        .create_session("10.0.0.2", "Laptop")
        .expect("create");
    let laptop = f.engine.login(laptop.id.expose(), 5).expect("login");
    let list = f.engine.user_sessions(5).expect("list");
    let find = |handle: String| {
        list.iter()
            .find(|i| i.handle == handle)
            .map(|i| &i.user_agent)
    };
    assert_eq!(find(phone.handle()).map(String::as_str), Some("Phone"));
    assert_eq!(find(laptop.handle()).map(String::as_str), Some("Laptop"));
    assert!(!phone.handle().contains(phone.id.expose()));
}

#[test]
fn revoke_by_handle_deletes_that_session_only() {
    let f = fixture();
    let a = f.engine.create_session("1.1.1.1", "A").expect("create");
    let a = f.engine.login(a.id.expose(), 9).expect("login");
    let b = f.engine.create_session("2.2.2.2", "B").expect("create");
    let b = f.engine.login(b.id.expose(), 9).expect("login");
    let handle = f
        .engine
        .user_sessions(9)
        .expect("list")
        .into_iter()
        .find(|i| i.user_agent == "B")
        .expect("B listed")
        .handle;
    f.engine.revoke_session(&handle).expect("revoke");
    assert!(
        f.engine
            .load_session(b.id.expose())
            .expect("load")
            .is_none()
    );
    assert!(
        f.engine
            .load_session(a.id.expose())
            .expect("load")
            .is_some()
    );
    let again = f.engine.revoke_session(&handle).unwrap_err();
    assert_eq!(err_session(again), SessionError::UnknownHandle);
    let bad = f.engine.revoke_session("not-hex").unwrap_err();
    assert_eq!(err_session(bad), SessionError::MalformedHandle);
    assert_consistent(&f.engine);
}

#[test]
fn revoke_all_but_current_keeps_the_current_session() {
    let f = fixture();
    let mut ids = Vec::new();
    for i in 0..4 {
        let s = f
            .engine
            .create_session("1.1.1.1", &format!("device {i}"))
            .expect("create");
        ids.push(f.engine.login(s.id.expose(), 3).expect("login").id);
    }
    let stranger = f.engine.create_session("9.9.9.9", "x").expect("create");
    let stranger = f.engine.login(stranger.id.expose(), 4).expect("login");
    let removed = f
        .engine
        .revoke_user_sessions(3, Some(ids[1].expose()))
        .expect("revoke");
    assert_eq!(removed, 3);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            f.engine.load_session(id.expose()).expect("load").is_some(),
            i == 1
        );
    }
    assert!(
        f.engine
            .load_session(stranger.id.expose())
            .expect("load")
            .is_some()
    );
    assert_eq!(
        f.engine.revoke_user_sessions(3, None).expect("revoke all"),
        1
    );
    assert!(f.engine.user_sessions(3).expect("list").is_empty());
    assert_consistent(&f.engine);
}

#[test]
fn operations_on_an_unknown_session_are_not_found() {
    let f = fixture();
    let ghost = "A".repeat(40);
    for result in [
        f.engine.login(&ghost, 1).map(|_| ()),
        f.engine.regenerate_session(&ghost).map(|_| ()),
        f.engine.invalidate_session(&ghost).map(|_| ()),
        f.engine.rotate_csrf(&ghost).map(|_| ()),
        f.engine.save_session(&ghost, b"", None).map(|_| ()),
    ] {
        assert_eq!(err_session(result.unwrap_err()), SessionError::NotFound);
    }
    assert_eq!(f.engine.stats().expect("stats").sessions, 0);
}

#[test]
fn sessions_survive_reopening_the_file() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let s = f.engine.login(s.id.expose(), 11).expect("login");
    f.engine
        .save_session(s.id.expose(), b"kept", None)
        .expect("save");
    let f = f.reopen();
    let loaded = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(
        (loaded.user_id, loaded.payload.as_slice()),
        (Some(11), &b"kept"[..])
    );
    assert_consistent(&f.engine);
}

#[test]
fn engine_is_send_and_sync_and_serves_many_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<authkv::Engine>();
    let f = fixture_with(|c| {
        exclusive(c);
        c.durable_commits = false;
    });
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let engine = &f.engine;
            scope.spawn(move || {
                for _ in 0..50 {
                    let s = engine.create_session("1.1.1.1", "ua").expect("create");
                    let s = engine.login(s.id.expose(), t).expect("login");
                    assert!(engine.load_session(s.id.expose()).expect("load").is_some());
                }
            });
        }
    });
    for t in 0..4 {
        assert_eq!(f.engine.user_sessions(t).expect("list").len(), 50);
    }
    assert_consistent(&f.engine);
}
