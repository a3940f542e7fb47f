//! The `authkv` binary, run for real: every command, `--json` read back,
//! exit statuses, the lock, and passwords only from stdin. Imports and the
//! export are in `cli_import.rs`.

mod cli_support;
mod common;

use authkv::{AttemptOutcome, Concurrency, Config, Engine, Error, TokenError};
use cli_support::*;

const HOUR: u64 = 3600;

fn handles_in(run: &Run) -> Vec<String> {
    let list = run.json();
    let items = list.as_array().expect("a JSON array");
    items
        .iter()
        .map(|s| {
            s.get("handle")
                .and_then(Json::as_str)
                .expect("handle")
                .to_owned()
        })
        .collect()
}

#[test]
fn help_and_version_need_no_database_and_document_exit_codes() {
    let help = authkv(&["--help"], None).expect_code(0);
    for needle in [
        "Usage: authkv --db FILE",
        "Exit status",
        "5  import skipped bad rows",
    ] {
        assert!(help.stdout.contains(needle), "{needle}: {}", help.stdout);
    }
    let page = authkv(&["help", "import"], None).expect_code(0);
    assert!(
        page.stdout.contains("_token"),
        "the CSRF note: {}",
        page.stdout
    );
    let page = authkv(&["tokens", "create", "--help"], None).expect_code(0);
    assert!(page.stdout.contains("shown once"));
    let page = authkv(&["tokens", "limits", "--help"], None).expect_code(0);
    for needle in ["--rate-limit <MAX/D>", "--unlimited", "start over"] {
        assert!(page.stdout.contains(needle), "{needle}: {}", page.stdout);
    }
    let version = authkv(&["--version"], None).expect_code(0);
    assert!(
        version
            .stdout
            .starts_with(&format!("authkv {}", env!("CARGO_PKG_VERSION")))
    );
    authkv(&["help", "nonsense"], None).expect_code(2);
}

#[test]
fn usage_errors_exit_2_name_the_problem_and_never_open_the_file() {
    let cli = Cli::new();
    for (args, needle) in [
        (&["frobnicate"][..], "unknown command"),
        (&["stats", "--frob"], "unknown option --frob"),
        (&["sessions", "list"], "--user is required"),
        (&["sessions", "revoke", "xyz"], "64 hex"),
        (
            &["tokens", "create", "--user", "1", "--name", "n"],
            "--ability",
        ),
        (&["tokens", "revoke", "abc"], "token id"),
        (
            &[
                "tokens",
                "create",
                "--user",
                "1",
                "--name",
                "n",
                "--ability",
                "a",
                "--rate-limit",
                "0/1m",
            ],
            "at least 1",
        ),
        (&["tokens", "limits", "1", "--rate-limit", "100"], "MAX/D"),
        (
            &["tokens", "limits", "1", "--refill-every", "1d"],
            "--quota",
        ),
        (
            &["tokens", "limits", "1", "--unlimited", "--quota", "5"],
            "--unlimited",
        ),
        (&["gc"], "--idle-lifetime"),
        (
            &["--create", "--token-prefix", "has space", "stats"],
            "token_prefix",
        ),
    ] {
        let run = cli.run(args).expect_code(2);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
        assert!(!cli.db.exists(), "{args:?} created the file");
    }
    authkv(&["stats"], None).expect_code(2);
}

#[test]
fn authkv_db_names_the_database_when_db_is_not_given() {
    let cli = Cli::with_db();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_authkv"))
        .args(["stats", "--json"])
        .env("AUTHKV_DB", &cli.db)
        .output()
        .expect("run authkv");
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let stats: Json = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(
        stats.get("file").and_then(Json::as_str),
        cli.db.to_str(),
        "--db defaults to AUTHKV_DB"
    );
    let other = cli.dir.path().join("other.redb");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_authkv"))
        .args(["--db", other.to_str().expect("utf-8"), "stats"])
        .env("AUTHKV_DB", &cli.db)
        .output()
        .expect("run authkv");
    assert_eq!(run.status.code(), Some(3), "--db wins over AUTHKV_DB");
}

#[test]
fn a_missing_file_exits_3_unless_create_is_given() {
    let cli = Cli::new();
    let run = cli.run(&["stats"]).expect_code(3);
    assert!(run.stderr.contains("--create"), "{}", run.stderr);
    assert!(!cli.db.exists());
    cli.run(&["--create", "stats"]).expect_code(0);
    assert!(cli.db.exists());
}

#[test]
fn the_cli_revokes_and_collects_while_the_application_holds_the_file() {
    let cli = Cli::with_db();
    let app = cli.engine(); // the live application, in this process
    let visitor = app
        .create_session("203.0.113.9", "Firefox")
        .expect("session");
    let session = app.login(visitor.id.expose(), 42).expect("login");
    let token = app.create_token(42, "ci", ["read"], None).expect("token");
    let (id, text) = (session.id.expose(), token.plain_text.expose());
    // Cached in the application now.
    assert!(app.load_session(id).expect("load").is_some());
    assert!(app.authenticate_token(text).expect("auth").is_some());

    let stats = cli.run(&["stats", "--json"]).expect_code(0).json();
    assert_eq!(stats.get("sessions").and_then(Json::as_u64), Some(1));
    let listed = cli
        .run(&["sessions", "list", "--user", "42", "--json"])
        .expect_code(0);
    let handles = handles_in(&listed);
    assert_eq!(handles, [session.handle()]);
    cli.run(&["sessions", "revoke", &handles[0]]).expect_code(0);
    cli.run(&["tokens", "revoke", &token.id.to_string()])
        .expect_code(0);
    assert!(
        app.load_session(id).expect("load").is_none(),
        "the application still served a session the CLI revoked"
    );
    assert!(app.authenticate_token(text).expect("auth").is_none());
    cli.run(&["--idle-lifetime", "2h", "gc", "--quiet"])
        .expect_code(0);
    cli.run(&["verify"]).expect_code(0);
    // The application goes on writing.
    app.create_session("203.0.113.9", "Firefox")
        .expect("session");
    app.close().expect("close");
}

#[test]
fn backup_copies_a_live_file_and_compact_needs_it_to_itself() {
    let cli = Cli::with_db();
    let app = cli.engine(); // the live application, in this process
    let visitor = app
        .create_session("203.0.113.9", "Firefox")
        .expect("session");
    let session = app.login(visitor.id.expose(), 42).expect("login");
    let copy = cli.dir.path().join("copy.redb");
    let run = cli
        .run(&["backup", copy.to_str().expect("utf-8"), "--json"])
        .expect_code(0);
    assert!(run.json().get("rows").and_then(Json::as_u64).expect("rows") > 0);
    let copied = Engine::open(&copy, Config::default()).expect("the copy opens");
    assert!(
        copied
            .load_session(session.id.expose())
            .expect("load")
            .is_some()
    );
    drop(copied);
    let refused = cli.run(&["compact"]).expect_code(3);
    assert!(refused.stderr.contains("locked"), "{}", refused.stderr);
    app.close().expect("close");
    let compacted = cli.run(&["compact", "--json"]).expect_code(0).json();
    assert!(
        compacted
            .get("bytes_after")
            .and_then(Json::as_u64)
            .is_some()
    );
    assert!(
        cli.engine()
            .load_session(session.id.expose())
            .expect("load")
            .is_some()
    );
}

#[test]
fn a_file_held_exclusive_exits_3_with_a_locked_message() {
    let cli = Cli::with_db();
    let mut config = Config::default();
    config.concurrency = Concurrency::Exclusive;
    let held = Engine::open(&cli.db, config).expect("open exclusive");
    let run = cli.run(&["stats"]).expect_code(3);
    assert!(run.stderr.contains("locked"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    drop(held);
    cli.run(&["stats"]).expect_code(0);
}

#[test]
fn a_file_that_is_not_authkv_exits_3() {
    let cli = Cli::new();
    std::fs::write(&cli.db, vec![b'x'; 4096]).expect("write");
    let run = cli.run(&["stats"]).expect_code(3);
    assert!(run.stderr.contains("not a redb database"), "{}", run.stderr);
}

#[test]
fn stats_counts_records_in_text_and_json() {
    let cli = Cli::new();
    let engine = cli.engine();
    engine.create_session("1.2.3.4", "ua").expect("session");
    engine.create_token(1, "t", ["*"], None).expect("token");
    engine.close().expect("close");
    let text = cli.run(&["stats"]).expect_code(0);
    assert!(
        text.stdout.contains("sessions         1"),
        "{}",
        text.stdout
    );
    let json = cli.run(&["stats", "--json"]).expect_code(0).json();
    assert_eq!(json.get("sessions").and_then(Json::as_u64), Some(1));
    assert_eq!(json.get("tokens").and_then(Json::as_u64), Some(1));
    assert_eq!(json.get("credentials").and_then(Json::as_u64), Some(0));
    assert!(
        json.get("file_bytes")
            .and_then(Json::as_u64)
            .is_some_and(|n| n > 0)
    );
}

#[test]
fn verify_exits_0_when_consistent_and_4_with_the_problems_listed() {
    let cli = Cli::new();
    let engine = cli.engine();
    let visitor = engine.create_session("1.2.3.4", "ua").expect("session");
    engine.login(visitor.id.expose(), 9).expect("login");
    engine.close().expect("close");
    let ok = cli.run(&["verify", "--json"]).expect_code(0).json();
    assert_eq!(ok.get("consistent"), Some(&Json::Bool(true)));
    {
        // Drop the user index row behind the library's back.
        let db = redb::Database::open(&cli.db).expect("open with redb");
        let txn = db.begin_write().expect("write");
        {
            let def: redb::TableDefinition<(u64, [u8; 32]), ()> =
                redb::TableDefinition::new("sessions_by_user");
            let mut table = txn.open_table(def).expect("table");
            table.retain(|_, ()| false).expect("clear");
        }
        txn.commit().expect("commit");
    }
    let text = cli.run(&["verify"]).expect_code(4);
    assert!(
        text.stdout.contains("no sessions_by_user row"),
        "{}",
        text.stdout
    );
    assert!(text.stderr.contains("1 problems"), "{}", text.stderr);
    let json = cli.run(&["verify", "--json"]).expect_code(4).json();
    assert_eq!(json.get("consistent"), Some(&Json::Bool(false)));
    assert_eq!(
        json.get("problems").and_then(Json::as_array).map(Vec::len),
        Some(1)
    );
}

#[test]
fn gc_deletes_what_expired_in_batches_with_progress_on_stderr() {
    let cli = Cli::new();
    let old = cli.engine_at(now() - 3 * HOUR);
    for _ in 0..5 {
        old.create_session("1.2.3.4", "old").expect("session");
    }
    old.close().expect("close");
    let engine = cli.engine();
    let fresh = engine.create_session("1.2.3.4", "new").expect("session");
    engine.close().expect("close");
    let args = ["--idle-lifetime", "2h", "gc", "--batch-size", "2", "--json"];
    let run = cli.run(&args).expect_code(0);
    let report = run.json();
    assert_eq!(
        report.get("sessions_deleted").and_then(Json::as_u64),
        Some(5)
    );
    assert_eq!(report.get("batches").and_then(Json::as_u64), Some(3));
    assert!(
        run.stderr.contains("gc: so far deleted 2 sessions"),
        "{}",
        run.stderr
    );
    let quiet = cli
        .run(&["--idle-lifetime", "2h", "gc", "--quiet"])
        .expect_code(0);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    assert!(
        quiet.stdout.starts_with("deleted 0 sessions"),
        "{}",
        quiet.stdout
    );
    let engine = cli.engine();
    assert!(
        engine
            .load_session(fresh.id.expose())
            .expect("load")
            .is_some()
    );
}

#[test]
fn sessions_are_listed_by_handle_and_revoked_one_by_one_or_per_user() {
    let cli = Cli::new();
    let engine = cli.engine();
    let mut ids = Vec::new();
    for ua in ["Firefox", "curl, \u{1b}[31mred"] {
        let visitor = engine.create_session("203.0.113.9", ua).expect("session");
        ids.push(engine.login(visitor.id.expose(), 42).expect("login").id);
    }
    engine
        .create_session("1.1.1.1", "anonymous")
        .expect("session");
    engine.close().expect("close");

    let listed = cli
        .run(&["sessions", "list", "--user", "42", "--json"])
        .expect_code(0);
    let handles = handles_in(&listed);
    assert_eq!(handles.len(), 2);
    let list = listed.json();
    let first = &list.as_array().expect("array")[0];
    assert_eq!(first.get("ip").and_then(Json::as_str), Some("203.0.113.9"));
    assert_eq!(first.get("user_id").and_then(Json::as_u64), Some(42));
    let text = cli
        .run(&["sessions", "list", "--user", "42"])
        .expect_code(0);
    assert!(text.stdout.starts_with("HANDLE"), "{}", text.stdout);
    assert!(text.stdout.contains(&handles[0]));
    assert!(
        !text.stdout.contains('\u{1b}'),
        "control characters are escaped"
    );
    for id in &ids {
        assert!(!listed.stdout.contains(id.expose()) && !text.stdout.contains(id.expose()));
    }

    let revoked = cli.run(&["sessions", "revoke", &handles[0]]).expect_code(0);
    assert!(revoked.stdout.contains(&handles[0]));
    let again = cli.run(&["sessions", "revoke", &handles[0]]).expect_code(1);
    assert!(
        again.stderr.contains("no session has handle"),
        "{}",
        again.stderr
    );
    let rest = cli
        .run(&["sessions", "list", "--user", "42", "--json"])
        .expect_code(0);
    assert_eq!(handles_in(&rest), [handles[1].clone()]);

    let all = cli
        .run(&["sessions", "revoke-user", "42", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(all.get("revoked").and_then(Json::as_u64), Some(1));
    let none = cli
        .run(&["sessions", "list", "--user", "42", "--json"])
        .expect_code(0);
    assert_eq!(none.json(), Json::Array(Vec::new()));
    assert_eq!(
        cli.engine().stats().expect("stats").sessions,
        1,
        "the anonymous one stays"
    );
}

#[test]
fn tokens_create_prints_only_a_plaintext_that_authenticates() {
    let cli = Cli::with_db();
    let args = [
        "tokens",
        "create",
        "--user",
        "7",
        "--name",
        "ci",
        "--ability",
        "deploy",
    ];
    let mut args = args.to_vec();
    args.extend(["--ability", "read", "--expires-in", "1h"]);
    let run = cli.run(&args).expect_code(0);
    let plaintext = run.stdout.strip_suffix('\n').expect("one line");
    assert!(
        !plaintext.contains('\n') && plaintext.contains('|'),
        "{:?}",
        run.stdout
    );
    assert!(run.stderr.contains("shown this once"));
    let engine = cli.engine();
    let token = engine
        .authenticate_token(plaintext)
        .expect("authenticate")
        .expect("the printed plaintext authenticates");
    assert_eq!(token.user_id, 7);
    assert!(token.can("deploy") && token.can("read") && token.cant("admin"));
    let info = &engine.user_tokens(7).expect("list")[0];
    let expires = info.expires_at.expect("expires_at set");
    assert!(
        (now() + HOUR - 5..=now() + HOUR).contains(&expires),
        "{expires}"
    );
    engine.close().expect("close");

    let json = cli
        .run(&[
            "--json",
            "tokens",
            "create",
            "--user",
            "7",
            "--name",
            "n",
            "--ability",
            "*",
        ])
        .expect_code(0)
        .json();
    let text = json
        .get("token")
        .and_then(Json::as_str)
        .expect("token field");
    assert_eq!(json.get("id").and_then(Json::as_u64), Some(2));
    assert_eq!(json.get("expires_at"), Some(&Json::Null));
    let engine = cli.engine();
    assert!(
        engine
            .authenticate_token(text)
            .expect("auth")
            .is_some_and(|t| t.can("x"))
    );
}

#[test]
fn tokens_are_listed_without_secrets_revoked_and_pruned() {
    let cli = Cli::new();
    let engine = cli.engine();
    let live = engine
        .create_token(3, "laptop", ["read"], None)
        .expect("token");
    let stale = engine
        .create_token(3, "old", ["*"], Some(now() - 48 * HOUR))
        .expect("token");
    engine.close().expect("close");

    let run = cli
        .run(&["tokens", "list", "--user", "3", "--json"])
        .expect_code(0);
    assert!(
        !run.stdout
            .contains(live.plain_text.expose().split('|').nth(1).expect("secret"))
    );
    let list = run.json();
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].get("name").and_then(Json::as_str), Some("laptop"));
    assert_eq!(list[0].get("abilities"), Some(&serde_json::json!(["read"])));
    assert_eq!(list[1].get("expired"), Some(&Json::Bool(true)));
    let text = cli.run(&["tokens", "list", "--user", "3"]).expect_code(0);
    assert!(text.stdout.contains("expired") && text.stdout.contains("laptop"));

    let pruned = cli
        .run(&["tokens", "prune", "--hours", "24", "--json"])
        .expect_code(0);
    assert_eq!(pruned.json().get("pruned").and_then(Json::as_u64), Some(1));
    let id = live.id.to_string();
    let revoked = cli.run(&["tokens", "revoke", &id, "--json"]).expect_code(0);
    assert_eq!(
        revoked.json().get("revoked").and_then(Json::as_u64),
        Some(live.id)
    );
    let missing = cli.run(&["tokens", "revoke", &id]).expect_code(1);
    assert!(missing.stderr.contains(&format!("no token has id {id}")));
    let engine = cli.engine();
    assert!(engine.user_tokens(3).expect("list").is_empty());
    assert!(
        engine
            .authenticate_token(stale.plain_text.expose())
            .expect("auth")
            .is_none()
    );
}

/// `tokens limits ID --json`, read back.
fn limits_of(cli: &Cli, id: &str) -> Json {
    let shown = cli.run(&["tokens", "limits", id, "--json"]).expect_code(0);
    let value = shown.json();
    assert_eq!(value.get("id").and_then(Json::as_u64), id.parse().ok());
    value
}

#[test]
fn token_limits_are_set_at_creation_shown_replaced_removed_and_exported() {
    let cli = Cli::with_db();
    let create = [
        "tokens",
        "create",
        "--user",
        "7",
        "--name",
        "ci",
        "--ability",
        "read",
        "--rate-limit",
        "100/1m",
        "--quota",
        "5000",
        "--refill-every",
        "1d",
        "--json",
    ];
    let created = cli.run(&create).expect_code(0).json();
    let rate = serde_json::json!({ "max": 100, "window_secs": 60 });
    let quota = serde_json::json!({
        "remaining": 5000,
        "refill_amount": 5000,
        "refill_interval_secs": 86_400,
    });
    assert_eq!(created.get("rate_limit"), Some(&rate));
    assert_eq!(created.get("quota"), Some(&quota));
    let id = created.get("id").and_then(Json::as_u64).expect("id");
    let id = id.to_string();

    let shown = limits_of(&cli, &id);
    assert_eq!(shown.get("rate_limit"), Some(&rate));
    assert_eq!(shown.get("quota"), Some(&quota));
    let text = cli.run(&["tokens", "limits", &id]).expect_code(0);
    assert!(
        text.stdout.contains("100 requests per 1m")
            && text
                .stdout
                .contains("5000 uses left, refilled to 5000 every 1d"),
        "{}",
        text.stdout
    );

    let exported = cli.run(&["export", "--quiet"]).expect_code(0);
    let line: Json =
        serde_json::from_str(exported.stdout.lines().next().expect("a line")).expect("JSON line");
    assert_eq!(line.get("type").and_then(Json::as_str), Some("token"));
    assert_eq!(line.get("rate_limit"), Some(&rate));
    assert_eq!(line.get("quota"), Some(&quota));

    // Replacing: a limit not given is removed.
    let set = cli
        .run(&["tokens", "limits", &id, "--quota", "3", "--json"])
        .expect_code(0)
        .json();
    let three = serde_json::json!({
        "remaining": 3,
        "refill_amount": 3,
        "refill_interval_secs": null,
    });
    assert_eq!(set.get("rate_limit"), Some(&Json::Null));
    assert_eq!(set.get("quota"), Some(&three));
    assert_eq!(limits_of(&cli, &id), set);
    let text = cli
        .run(&["tokens", "limits", &id, "--rate-limit", "10/1h"])
        .expect_code(0);
    assert!(
        text.stdout.contains("10 requests per 1h") && text.stdout.contains("quota       unlimited"),
        "{}",
        text.stdout
    );

    cli.run(&["tokens", "limits", &id, "--unlimited"])
        .expect_code(0);
    let none = limits_of(&cli, &id);
    assert_eq!(none.get("rate_limit"), Some(&Json::Null));
    assert_eq!(none.get("quota"), Some(&Json::Null));
    let text = cli.run(&["tokens", "limits", &id]).expect_code(0);
    assert_eq!(
        text.stdout,
        format!("token       {id}\nrate_limit  unlimited\nquota       unlimited\n")
    );
    let exported = cli.run(&["export", "--quiet"]).expect_code(0);
    let line: Json =
        serde_json::from_str(exported.stdout.lines().next().expect("a line")).expect("JSON line");
    assert_eq!(line.get("rate_limit"), Some(&Json::Null));
    assert_eq!(line.get("quota"), Some(&Json::Null));

    // A token made without limits has none.
    let plain = cli
        .run(&[
            "tokens",
            "create",
            "--user",
            "7",
            "--name",
            "n",
            "--ability",
            "*",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(plain.get("rate_limit"), Some(&Json::Null));
    assert_eq!(plain.get("quota"), Some(&Json::Null));

    for args in [
        &["tokens", "limits", "999"][..],
        &["tokens", "limits", "999", "--quota", "5"],
        &["tokens", "limits", "999", "--unlimited"],
    ] {
        let missing = cli.run(args).expect_code(1);
        assert!(
            missing.stderr.contains("no token has id 999"),
            "{args:?}: {}",
            missing.stderr
        );
        assert!(missing.stdout.is_empty());
    }
    let bad = cli
        .run(&["tokens", "limits", &id, "--rate-limit", "0/1m"])
        .expect_code(2);
    assert!(bad.stderr.contains("at least 1"), "{}", bad.stderr);
    let bad = cli
        .run(&[
            "tokens",
            "limits",
            &id,
            "--quota",
            "0",
            "--refill-every",
            "1h",
        ])
        .expect_code(2);
    assert!(bad.stderr.contains("--quota"), "{}", bad.stderr);
    assert_eq!(
        cli.engine()
            .token_limits(id.parse().expect("id"))
            .expect("limits"),
        None,
        "refused limits changed nothing"
    );
}

#[test]
fn limits_the_cli_sets_are_enforced_by_the_application_holding_the_file() {
    let cli = Cli::with_db();
    let app = cli.engine(); // the live application, in this process
    let token = app.create_token(42, "ci", ["read"], None).expect("token");
    let text = token.plain_text.expose();
    // Cached in the application now, without limits.
    assert!(app.authenticate_token(text).expect("auth").is_some());
    let id = token.id.to_string();

    cli.run(&["tokens", "limits", &id, "--rate-limit", "3/1h"])
        .expect_code(0);
    for n in 0..3 {
        assert!(
            app.authenticate_token(text).expect("admitted").is_some(),
            "request {n}"
        );
    }
    assert!(
        matches!(
            app.authenticate_token(text),
            Err(Error::Token(TokenError::RateLimited { .. }))
        ),
        "the 4th request in the window"
    );

    // Replaced: the window is gone, the quota counts from 2.
    cli.run(&["tokens", "limits", &id, "--quota", "2"])
        .expect_code(0);
    for n in 0..2 {
        assert!(
            app.authenticate_token(text).expect("admitted").is_some(),
            "request {n}"
        );
    }
    assert!(matches!(
        app.authenticate_token(text),
        Err(Error::Token(TokenError::QuotaExhausted {
            retry_after: None
        }))
    ));
    // The CLI sees the application's uses, written or not.
    let shown = limits_of(&cli, &id);
    assert_eq!(
        shown.pointer("/quota/remaining").and_then(Json::as_u64),
        Some(0),
        "{shown}"
    );
    let exported = cli.run(&["export", "--quiet"]).expect_code(0);
    let line: Json =
        serde_json::from_str(exported.stdout.lines().next().expect("a line")).expect("JSON line");
    assert_eq!(
        line.pointer("/quota/remaining").and_then(Json::as_u64),
        Some(0),
        "{line}"
    );

    cli.run(&["tokens", "limits", &id, "--unlimited"])
        .expect_code(0);
    for _ in 0..5 {
        assert!(app.authenticate_token(text).expect("admitted").is_some());
    }
    assert_eq!(app.token_limits(token.id).expect("limits"), None);
    app.close().expect("close");
}

fn attempt(engine: &Engine, login: &str, password: &str) -> AttemptOutcome {
    engine
        .attempt(login, password, "127.0.0.1")
        .expect("attempt")
}

#[test]
fn set_password_reads_one_line_from_stdin() {
    let cli = Cli::with_db();
    let args = [
        "users",
        "set-password",
        "--user",
        "5",
        "--login",
        "ada@example.com",
    ];
    let run = cli
        .run_stdin(&args, "correct horse battery\n")
        .expect_code(0);
    assert!(!run.stdout.contains("correct horse"));
    let engine = cli.engine();
    assert_eq!(
        attempt(&engine, "ada@example.com", "correct horse battery"),
        AttemptOutcome::Authenticated { user_id: 5 }
    );
    engine.close().expect("close");
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let done = cli
        .run_stdin(&with_json, "windows line\r\n")
        .expect_code(0)
        .json();
    assert_eq!(done.get("user_id").and_then(Json::as_u64), Some(5));
    assert_eq!(
        done.get("login").and_then(Json::as_str),
        Some("ada@example.com")
    );
    let engine = cli.engine();
    assert_eq!(
        attempt(&engine, "ada@example.com", "windows line"),
        AttemptOutcome::Authenticated { user_id: 5 }
    );
    engine.close().expect("close");
    let two = cli.run_stdin(&args, "one\ntwo\n").expect_code(1);
    assert!(two.stderr.contains("more than one line"), "{}", two.stderr);
    let empty = cli.run_stdin(&args, "").expect_code(1);
    assert!(
        empty.stderr.contains("password must not be empty"),
        "{}",
        empty.stderr
    );
    let taken = [
        "users",
        "set-password",
        "--user",
        "6",
        "--login",
        "ada@example.com",
    ];
    let taken = cli.run_stdin(&taken, "x\n").expect_code(1);
    assert!(taken.stderr.contains("already taken"), "{}", taken.stderr);
}

#[test]
fn a_password_on_the_command_line_is_refused_and_nothing_is_set() {
    let cli = Cli::with_db();
    for flag in [&["--password", "hunter2"][..], &["--password=hunter2"]] {
        let mut args = vec!["users", "set-password", "--user", "5", "--login", "bob"];
        args.extend_from_slice(flag);
        let run = cli.run_stdin(&args, "hunter2\n").expect_code(2);
        assert!(run.stderr.contains("--password"), "{}", run.stderr);
        assert!(run.stderr.contains("stdin") && run.stderr.contains("process"));
        assert!(!run.stderr.contains("hunter2"));
    }
    assert_eq!(cli.engine().stats().expect("stats").credentials, 0);
}

/// `authkv` on a PostgreSQL database: `AUTHKV_POSTGRES` names it (keeping a
/// password off the command line), and what the CLI revokes, the
/// application serving from the same database refuses at once.
#[test]
fn the_cli_manages_a_postgresql_database_an_application_serves_from() {
    let url = common::postgres::fresh_database();
    let env = [("AUTHKV_POSTGRES", url.as_str())];
    let run = |args: &[&str], stdin: Option<&str>| authkv_with_env(args, stdin, &env);
    let app = Engine::open_postgres(&url, Config::default()).expect("application");
    let visitor = app
        .create_session("203.0.113.9", "Firefox")
        .expect("session");
    let session = app.login(visitor.id.expose(), 42).expect("login");
    let token = app.create_token(42, "ci", ["read"], None).expect("token");
    let (id, text) = (session.id.expose(), token.plain_text.expose());
    assert!(app.load_session(id).expect("load").is_some());
    assert!(app.authenticate_token(text).expect("auth").is_some());

    let stats = run(&["stats", "--json"], None).expect_code(0).json();
    assert_eq!(
        stats.get("store").and_then(Json::as_str),
        Some("postgresql")
    );
    assert_eq!(stats.get("sessions").and_then(Json::as_u64), Some(1));
    assert_eq!(stats.get("tokens").and_then(Json::as_u64), Some(1));
    let listed = run(&["sessions", "list", "--user", "42", "--json"], None).expect_code(0);
    let handles = handles_in(&listed);
    assert_eq!(handles, [session.handle()]);
    run(&["sessions", "revoke", &handles[0]], None).expect_code(0);
    run(&["tokens", "revoke", &token.id.to_string()], None).expect_code(0);
    assert!(
        app.load_session(id).expect("load").is_none(),
        "a revoked session served"
    );
    assert!(app.authenticate_token(text).expect("auth").is_none());

    let set = ["users", "set-password", "--user", "5", "--login", "bob"];
    run(&set, Some("correct horse\n")).expect_code(0);
    assert_eq!(
        app.attempt("bob", "correct horse", "203.0.113.9")
            .expect("attempt"),
        AttemptOutcome::Authenticated { user_id: 5 }
    );
    run(&["--idle-lifetime", "2h", "gc", "--quiet"], None).expect_code(0);
    run(&["verify"], None).expect_code(0);
    let exported = run(&["export"], None).expect_code(0);
    assert!(exported.stdout.contains("bob"), "{}", exported.stdout);
    let compact = run(&["compact"], None).expect_code(1);
    assert!(compact.stderr.contains("VACUUM"), "{}", compact.stderr);
    let shown = format!("{}{}", compact.stdout, compact.stderr);
    assert!(!shown.contains(&url));
    app.close().expect("close");
}
