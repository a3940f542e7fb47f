//! `authkv import` of Laravel's tables (CSV and JSON lines, bad rows by
//! line, all or nothing) and `authkv export` (never a secret), run through
//! the real binary.

mod cli_support;

use std::io::{BufRead, BufReader};

use authkv::LaravelSession;
use cli_support::*;
use sha2::{Digest, Sha256};

/// Sanctum test vector: a plaintext and the `token` column Sanctum stores.
const VECTOR_TEXT: &str = "17|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5";
const VECTOR_SHA256: &str = "583c62f76933c291fdd5b72da85fa056b9529f39a2408c987d2b21289e1b9cb8";
const OTHER_SHA256: &str = "590927c82df032e8860d1deca3bbcb17d8377a2a7837b83b4fe0c30d3990b6a0";
const THIRD_SHA256: &str = "a235ebf9b23dd703f95348303d8617653b38a195624118fd2fdd917afb382cd3";

/// base64 of a Laravel session payload whose `_token` is LARAVEL_CSRF.
const PAYLOAD_B64: &str = "YTozOntzOjY6Il90b2tlbiI7czo0MDoiTGFyYXZlbENzcmZUb2tlbkxhcmF2ZWxDc3JmVG9rZW5MYXJhdmVsQyI7czo5OiJfcHJldmlvdXMiO2E6MTp7czozOiJ1cmwiO3M6MjE6Imh0dHA6Ly9sb2NhbGhvc3QvaG9tZSI7fXM6NjoiX2ZsYXNoIjthOjI6e3M6Mzoib2xkIjthOjA6e31zOjM6Im5ldyI7YTowOnt9fX0=";
const LARAVEL_CSRF: &str = "LaravelCsrfTokenLaravelCsrfTokenLaravelC";
/// base64 of the bytes 00 ff fe 0a 0d 22 2c.
const BINARY_B64: &str = "AP/+Cg0iLA==";

const ID_A: &str = "AAAAAAAAAAAAAAAAAAAAaaaaaaaaaaaaaaaaaaaa";
const ID_B: &str = "BBBBBBBBBBBBBBBBBBBBbbbbbbbbbbbbbbbbbbbb";
const ID_C: &str = "CCCCCCCCCCCCCCCCCCCC00000000000000000000";

/// Laravel's `sessions` as CSV: quoting, a NULL user, a record spanning two
/// lines, base64 payloads, and a bad row (short id) at line 3.
fn sessions_csv(now: u64) -> String {
    format!(
        "id,user_id,ip_address,user_agent,payload,last_activity\r\n\
         {ID_A},42,203.0.113.9,\"Mozilla/5.0 (\"\"quoted\"\", with comma)\",{PAYLOAD_B64},{a}\r\n\
         tooShort,NULL,198.51.100.1,curl,{PAYLOAD_B64},{a}\r\n\
         {ID_B},NULL,198.51.100.7,\"two\nlines\",{BINARY_B64},{b}\r\n\
         {ID_C},7,,,\"{PAYLOAD_B64}\",{b}\r\n",
        a = now - 60,
        b = now - 30,
    )
}

/// Sanctum's `personal_access_tokens` as JSON lines: abilities as JSON text
/// and as an array, datetimes and unix seconds, a bad row at line 3.
fn sanctum_jsonl() -> String {
    [
        format!(
            r#"{{"id":17,"tokenable_type":"App\\Models\\User","tokenable_id":7,"name":"deploy \"prod\"","token":"{VECTOR_SHA256}","abilities":"[\"server:update\"]","last_used_at":null,"expires_at":null,"created_at":"2024-05-01 12:00:00","updated_at":"2024-05-01 12:00:00"}}"#
        ),
        format!(
            r#"{{"id":18,"tokenable_type":"App\\Models\\User","tokenable_id":8,"name":"caf\u00e9","token":"{OTHER_SHA256}","abilities":["*"],"created_at":1714564800,"expires_at":"2099-01-01T00:00:00Z"}}"#
        ),
        r#"{"id":19,"tokenable_type":"App\\Models\\User","tokenable_id":8,"name":"x","token":"nothex","abilities":"[]","created_at":1714564800}"#.to_owned(),
        String::new(),
        format!(
            r#"{{"id":25,"tokenable_type":"App\\Models\\User","tokenable_id":9,"name":"ci","token":"{THIRD_SHA256}","abilities":null,"created_at":"2024-05-01T12:00:00+02:00","last_used_at":"2024-06-01 00:00:00"}}"#
        ),
    ]
    .join("\n")
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_bad_session_row_aborts_the_whole_csv_import_naming_its_line() {
    let cli = Cli::with_db();
    let file = cli.file("sessions.csv", &sessions_csv(now()));
    let run = cli.run(&["import", "sessions", &file]).expect_code(1);
    assert!(
        run.stderr.contains("line 3: id is not a 40-character"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("nothing was imported"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(ID_A) && !run.stderr.contains("tooShort"));
    assert!(run.stdout.is_empty());
    assert_eq!(cli.engine().stats().expect("stats").sessions, 0);
}

#[test]
fn skipping_bad_session_rows_imports_the_good_ones_and_exits_5() {
    let cli = Cli::with_db();
    let file = cli.file("sessions.csv", &sessions_csv(now()));
    let run = cli
        .run(&["import", "sessions", &file, "--skip-bad-rows", "--json"])
        .expect_code(5);
    assert!(run.stderr.contains("line 3:"), "{}", run.stderr);
    let summary = run.json();
    assert_eq!(summary.get("imported").and_then(Json::as_u64), Some(3));
    assert_eq!(summary.get("bad_rows").and_then(Json::as_u64), Some(1));

    let engine = cli.engine();
    let a = engine
        .load_session(ID_A)
        .expect("load")
        .expect("cookie A works");
    assert_eq!(a.user_id, Some(42));
    assert_eq!(a.ip, "203.0.113.9");
    assert_eq!(a.user_agent, "Mozilla/5.0 (\"quoted\", with comma)");
    assert!(a.payload.starts_with(b"a:3:{s:6:\"_token\""));
    assert_eq!(a.csrf_token.expose().len(), 40);
    assert_ne!(a.csrf_token.expose(), LARAVEL_CSRF, "a new CSRF token");
    let b = engine
        .load_session(ID_B)
        .expect("load")
        .expect("cookie B works");
    assert_eq!(b.user_id, None, "NULL user");
    assert_eq!(b.user_agent, "two\nlines");
    assert_eq!(b.payload, [0x00, 0xff, 0xfe, 0x0a, 0x0d, 0x22, 0x2c]);
    let c = engine
        .load_session(ID_C)
        .expect("load")
        .expect("cookie C works");
    assert_eq!(
        (c.user_id, c.ip.as_str(), c.user_agent.as_str()),
        (Some(7), "", "")
    );
    assert_eq!(engine.user_sessions(42).expect("list").len(), 1);
    assert!(engine.verify().expect("verify").is_consistent());
}

#[test]
fn rows_the_database_refuses_are_reported_by_line_too() {
    let cli = Cli::with_db();
    let file = cli.file("sessions.csv", &sessions_csv(now()));
    cli.run(&["import", "sessions", &file, "--skip-bad-rows"])
        .expect_code(5);
    let again = cli.run(&["import", "sessions", &file]).expect_code(1);
    assert!(
        again.stderr.contains("line 3: id is not"),
        "{}",
        again.stderr
    );
    let skip = cli
        .run(&["import", "sessions", &file, "--skip-bad-rows"])
        .expect_code(5);
    for line in [2, 4, 6] {
        let needle = format!("line {line}: a session with this id is already stored");
        assert!(skip.stderr.contains(&needle), "{needle}: {}", skip.stderr);
    }
    assert!(
        skip.stdout.starts_with("imported 0 sessions; 4 bad rows"),
        "{}",
        skip.stdout
    );
    assert_eq!(cli.engine().stats().expect("stats").sessions, 3);
}

#[test]
fn a_bad_sanctum_row_aborts_the_jsonl_import_and_skipping_keeps_plaintexts_working() {
    let cli = Cli::with_db();
    let file = cli.file("tokens.jsonl", &sanctum_jsonl());
    let run = cli.run(&["import", "sanctum", &file]).expect_code(1);
    assert!(
        run.stderr.contains("line 3: token is not 64 hex"),
        "{}",
        run.stderr
    );
    assert_eq!(cli.engine().stats().expect("stats").tokens, 0);

    let run = cli
        .run(&["import", "sanctum", &file, "--skip-bad-rows"])
        .expect_code(5);
    assert_eq!(run.stdout, "imported 3 tokens; 1 bad rows skipped\n");
    let engine = cli.engine();
    let token = engine
        .authenticate_token(VECTOR_TEXT)
        .expect("authenticate")
        .expect("the plaintext a client holds still works");
    assert_eq!((token.id, token.user_id), (17, 7));
    assert!(token.can("server:update") && token.cant("server:delete"));
    let seventeen = &engine.user_tokens(7).expect("list")[0];
    assert_eq!(seventeen.name, "deploy \"prod\"");
    assert_eq!(
        seventeen.created_at, 1_714_564_800,
        "2024-05-01 12:00:00 UTC"
    );
    let eighteen = &engine.user_tokens(8).expect("list")[0];
    assert_eq!(eighteen.name, "café");
    assert_eq!(eighteen.expires_at, Some(4_070_908_800));
    let later = &engine.user_tokens(9).expect("list")[0];
    assert_eq!(
        later.created_at,
        1_714_564_800 - 7200,
        "the offset is honoured"
    );
    assert_eq!(later.last_used_at, Some(1_717_200_000));
    assert!(
        later.abilities.as_slice().is_empty(),
        "NULL abilities grant nothing"
    );
    let next = engine.create_token(1, "new", ["*"], None).expect("create");
    assert_eq!(next.id, 26, "imported ids are never issued again");
}

#[test]
fn sanctum_csv_and_sessions_jsonl_import_too() {
    let cli = Cli::new();
    let csv = format!(
        "id,tokenable_type,tokenable_id,name,token,abilities,last_used_at,expires_at,created_at,updated_at\n\
         17,App\\Models\\User,7,\"api, v2\",{VECTOR_SHA256},\"[\"\"read\"\",\"\"write\"\"]\",NULL,NULL,2024-05-01 12:00:00,2024-05-01 12:00:00\n\
         18,App\\Models\\Team,7,team,{OTHER_SHA256},[],NULL,NULL,2024-05-01 12:00:00,NULL\n"
    );
    let file = cli.file("pat.csv", &csv);
    let run = cli.run(&["--create", "import", "sanctum", &file, "--skip-bad-rows"]);
    let run = run.expect_code(5);
    assert!(
        run.stderr.contains("line 3: tokenable_type"),
        "{}",
        run.stderr
    );
    let jsonl = format!(
        "{{\"id\":\"{ID_A}\",\"user_id\":null,\"ip_address\":null,\"user_agent\":\"caf\\u00e9\",\"payload\":\"{BINARY_B64}\",\"last_activity\":{}}}\n",
        now()
    );
    let file = cli.file("sessions.export", &jsonl);
    cli.run(&["import", "sessions", &file, "--format", "jsonl"])
        .expect_code(0);
    let engine = cli.engine();
    let token = engine
        .authenticate_token(VECTOR_TEXT)
        .expect("auth")
        .expect("works");
    assert!(token.can("read") && token.can("write"));
    assert_eq!(engine.user_tokens(7).expect("list")[0].name, "api, v2");
    let session = engine.load_session(ID_A).expect("load").expect("works");
    assert_eq!(session.user_agent, "café");
}

#[test]
fn import_reads_stdin_and_refuses_an_unknown_format_or_header() {
    let cli = Cli::with_db();
    let row = format!("{{\"id\":\"{ID_A}\",\"payload\":\"\",\"last_activity\":1}}\n");
    let run = authkv(
        &[
            "--db",
            cli.db.to_str().expect("path"),
            "import",
            "sessions",
            "-",
            "--format",
            "jsonl",
        ],
        Some(&row),
    );
    let run = run.expect_code(0);
    assert_eq!(run.stdout, "imported 1 sessions; 0 bad rows skipped\n");
    cli.run(&["import", "sessions", "rows.txt"]).expect_code(2);
    let file = cli.file("bad.csv", "id,payload\nx,y\n");
    let run = cli.run(&["import", "sessions", &file]).expect_code(1);
    assert!(
        run.stderr.contains("no last_activity column"),
        "{}",
        run.stderr
    );
    let run = cli
        .run(&["import", "sessions", "/nonexistent/x.csv"])
        .expect_code(1);
    assert!(run.stderr.contains("/nonexistent/x.csv"), "{}", run.stderr);
}

#[test]
fn export_gives_every_record_as_json_lines_and_never_a_secret() {
    let cli = Cli::new();
    let engine = cli.engine();
    let visitor = engine
        .create_session("203.0.113.9", "Firefox")
        .expect("session");
    let user = engine.login(visitor.id.expose(), 5).expect("login");
    engine
        .save_session(user.id.expose(), b"PAYLOAD-SECRET", None)
        .expect("save");
    let anonymous = engine
        .create_session("198.51.100.7", "curl")
        .expect("session");
    let token = engine
        .create_token(5, "laptop", ["read"], None)
        .expect("token");
    engine
        .import_sanctum_token(
            90,
            6,
            "old",
            VECTOR_SHA256,
            ["*"],
            1_714_564_800,
            None,
            None,
        )
        .expect("import");
    engine
        .set_password(5, "ada@example.com", "correct horse battery")
        .expect("password");
    let remember = engine.create_remember_token(5).expect("remember");
    let handle = engine.user_sessions(5).expect("list")[0].handle.clone();
    engine.close().expect("close");

    let run = cli.run(&["export"]).expect_code(0);
    assert!(
        run.stderr
            .contains("exported 2 sessions, 2 tokens, 1 credentials")
    );
    let lines: Vec<Json> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l.get("type").and_then(Json::as_str).expect("type"))
        .collect();
    assert_eq!(
        kinds,
        ["session", "session", "token", "token", "credential"]
    );
    let mine = lines
        .iter()
        .find(|l| l.get("handle").and_then(Json::as_str) == Some(handle.as_str()))
        .expect("the session, by handle");
    assert_eq!(mine.get("user_id").and_then(Json::as_u64), Some(5));
    assert_eq!(
        lines[4].get("login").and_then(Json::as_str),
        Some("ada@example.com")
    );
    assert_eq!(lines[3].get("abilities"), Some(&serde_json::json!(["*"])));

    let plaintext = token.plain_text.expose();
    let secret = plaintext.split_once('|').expect("id|secret").1;
    for forbidden in [
        user.id.expose(),
        user.csrf_token.expose(),
        visitor.id.expose(),
        anonymous.id.expose(),
        anonymous.csrf_token.expose(),
        "PAYLOAD-SECRET",
        plaintext,
        secret,
        &sha256_hex(secret),
        VECTOR_SHA256,
        "correct horse battery",
        "$argon2",
        remember.expose(),
    ] {
        assert!(
            !run.stdout.contains(forbidden),
            "export contains {forbidden:?}"
        );
    }
}

#[test]
fn export_into_a_pipe_closed_after_the_first_line_ends_quietly() {
    let cli = Cli::with_db();
    // Far more than a pipe holds, so the export is still writing when the
    // reader goes away, as with `authkv export | head -1`.
    let rows: Vec<LaravelSession> = (0..5000u64)
        .map(|i| LaravelSession {
            id: format!("{i:040}"),
            user_id: Some(i),
            ip: "203.0.113.9".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101".into(),
            payload: Vec::new(),
            last_activity: now(),
        })
        .collect();
    let engine = cli.engine();
    engine.import_sessions(&rows).expect("import");
    engine.close().expect("close");

    let mut child = spawn(&["--db", cli.db.to_str().expect("utf-8"), "export"]);
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the first line");
    assert!(
        first.starts_with('{') && first.ends_with("}\n"),
        "{first:?}"
    );
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
