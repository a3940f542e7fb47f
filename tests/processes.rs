//! Many worker processes on one file, as php-fpm, gunicorn or Node cluster
//! run them: real child processes (this same binary, started again with a
//! role in the environment), never threads standing in for them.
//!
//! Runs without the test harness so that the binary can be its own child
//! and so that `fork()` happens in a single-threaded process.

use std::io::{BufRead, BufReader, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use authkv::{
    Clock, Config, Engine, Error, GuardError, ManualClock, PasswordParams, Quota, RateLimit,
    Request, TokenError, TokenLimits,
};

/// The child's role and its arguments, separated by spaces.
const ROLE_ENV: &str = "AUTHKV_PROCESS_ROLE";

fn main() {
    if let Ok(role) = std::env::var(ROLE_ENV) {
        die_with_parent();
        let args: Vec<&str> = role.split(' ').collect();
        match args[0] {
            "mixed" => mixed_worker(Path::new(args[1]), args[2].parse().expect("worker")),
            "follower" => follower(Path::new(args[1])),
            "writer" => writer(Path::new(args[1])),
            "lease_holder" => lease_holder(Path::new(args[1])),
            "saver" => saver(Path::new(args[1]), args[2], Path::new(args[3])),
            "toucher" => toucher(Path::new(args[1]), args[2].parse().expect("clock")),
            "limited" => limited_worker(Path::new(args[1]), args[2], args[3]),
            "quota_user" => quota_user(Path::new(args[1]), args[2], args[3].parse().expect("uses")),
            other => panic!("unknown role {other}"),
        }
        return;
    }
    let tests: [(&str, fn()); 9] = [
        (
            "eight_processes_reading_and_writing_keep_their_own_state_exact",
            eight_processes_reading_and_writing_keep_their_own_state_exact,
        ),
        (
            "a_revocation_in_one_process_is_refused_by_the_next_call_in_another",
            a_revocation_in_one_process_is_refused_by_the_next_call_in_another,
        ),
        (
            "a_reader_never_sees_a_session_older_than_the_last_acknowledged_save",
            a_reader_never_sees_a_session_older_than_the_last_acknowledged_save,
        ),
        (
            "a_child_of_fork_is_refused_the_parents_engine_and_opens_its_own",
            a_child_of_fork_is_refused_the_parents_engine_and_opens_its_own,
        ),
        (
            "a_writer_killed_mid_write_loses_nothing_acknowledged_and_the_others_go_on",
            a_writer_killed_mid_write_loses_nothing_acknowledged_and_the_others_go_on,
        ),
        (
            "touches_flushed_by_several_processes_keep_the_latest_activity",
            touches_flushed_by_several_processes_keep_the_latest_activity,
        ),
        (
            "the_housekeeping_lease_passes_to_another_process_when_its_holder_dies",
            the_housekeeping_lease_passes_to_another_process_when_its_holder_dies,
        ),
        (
            "four_processes_on_one_file_admit_exactly_a_tokens_limits_between_them",
            four_processes_on_one_file_admit_exactly_a_tokens_limits_between_them,
        ),
        (
            "a_killed_worker_loses_no_quota_use_and_a_lost_side_file_at_most_the_unflushed",
            a_killed_worker_loses_no_quota_use_and_a_lost_side_file_at_most_the_unflushed,
        ),
    ];
    // Arguments, when given, pick the tests whose names contain one.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut ran = 0;
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let start = Instant::now();
        test();
        println!("test {name} ... ok ({:.1?})", start.elapsed());
        ran += 1;
    }
    println!("{ran} passed, 0 failed");
}

/// A child whose parent died (a failed assertion) must not run on.
fn die_with_parent() {
    // SAFETY: prctl with an integer signal number; no pointers.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
}

fn spawn(role: &str) -> Child {
    Command::new(std::env::current_exe().expect("current exe"))
        .env(ROLE_ENV, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child")
}

fn assert_consistent(engine: &Engine, when: &str) {
    let report = engine.verify().expect("verify");
    assert!(report.is_consistent(), "{when}: {:?}", report.problems);
}

fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.redb");
    (dir, path)
}

// ---------------------------------------------------------------------------

const WORKERS: u64 = 8;
const MIXED_FOR: Duration = Duration::from_millis(1500);

fn eight_processes_reading_and_writing_keep_their_own_state_exact() {
    let (_dir, path) = scratch();
    // The file exists before the workers start, as a deployed app's does.
    Engine::open(&path, Config::default())
        .expect("create")
        .close()
        .expect("close");
    let children: Vec<Child> = (0..WORKERS)
        .map(|worker| spawn(&format!("mixed {} {worker}", path.display())))
        .collect();
    let mut expected = Vec::new();
    for (worker, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().expect("worker");
        assert!(output.status.success(), "worker {worker} failed");
        let text = String::from_utf8(output.stdout).expect("utf-8");
        let line = text.lines().last().expect("summary line");
        let (sessions, tokens) = line.split_once(' ').expect("two counts");
        expected.push((
            user_of(worker as u64),
            sessions.parse::<usize>().expect("n"),
            tokens.parse::<usize>().expect("n"),
        ));
    }
    for reopen in [false, true] {
        let engine = Engine::open(&path, Config::default()).expect("open");
        assert_consistent(&engine, if reopen { "after reopen" } else { "at the end" });
        for (user, sessions, tokens) in &expected {
            assert!(*sessions > 0, "worker of user {user} kept no session");
            assert_eq!(engine.user_sessions(*user).expect("list").len(), *sessions);
            assert_eq!(engine.user_tokens(*user).expect("list").len(), *tokens);
        }
        engine.close().expect("close");
    }
}

fn user_of(worker: u64) -> u64 {
    1000 + worker
}

/// Logs sessions in, saves and reloads them, makes and checks tokens,
/// destroys and revokes some, for `MIXED_FOR`, checking every read against
/// what it wrote; prints how many sessions and tokens it kept.
fn mixed_worker(path: &Path, worker: u64) {
    let engine = Engine::open(path, Config::default()).expect("worker open");
    let user = user_of(worker);
    let mut sessions: Vec<(String, Vec<u8>)> = Vec::new();
    let mut tokens: Vec<(u64, String)> = Vec::new();
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < MIXED_FOR {
        n += 1;
        let visitor = engine.create_session("10.0.0.1", "worker").expect("create");
        let session = engine.login(visitor.id.expose(), user).expect("login");
        let payload = format!("worker {worker} write {n}").into_bytes();
        engine
            .save_session(session.id.expose(), &payload, None)
            .expect("save");
        sessions.push((session.id.expose().to_owned(), payload));
        if n.is_multiple_of(3) {
            let token = engine
                .create_token(user, "worker", ["read"], None)
                .expect("token");
            tokens.push((token.id, token.plain_text.expose().to_owned()));
        }
        if n.is_multiple_of(5) {
            let (id, _) = sessions.remove(0);
            assert!(engine.destroy_session(&id).expect("destroy"));
            assert!(engine.load_session(&id).expect("load").is_none());
        }
        if n.is_multiple_of(7) && !tokens.is_empty() {
            let (id, text) = tokens.remove(0);
            assert!(engine.revoke_token(id).expect("revoke"));
            assert!(engine.authenticate_token(&text).expect("auth").is_none());
        }
        for (id, payload) in &sessions {
            let loaded = engine.load_session(id).expect("load").expect("live");
            assert_eq!(
                &loaded.payload, payload,
                "worker {worker} read another write"
            );
            assert_eq!(loaded.user_id, Some(user));
        }
        for (_, text) in &tokens {
            let auth = engine.authenticate_token(text).expect("auth");
            assert_eq!(auth.map(|a| a.user_id), Some(user));
        }
    }
    assert_consistent(&engine, "in a worker");
    engine.close().expect("close");
    println!("{} {}", sessions.len(), tokens.len());
}

// ---------------------------------------------------------------------------

const REVOCATION_ROUNDS: usize = 1000;

/// The child authenticates what the parent sends; the parent revokes it in
/// between, a different way each round.
fn a_revocation_in_one_process_is_refused_by_the_next_call_in_another() {
    let (_dir, path) = scratch();
    let mut config = Config::default();
    config.argon2 = PasswordParams::new(8, 1, 1); // hashing is not under test
    let engine = Engine::open(&path, config).expect("open");
    let mut child = spawn(&format!("follower {}", path.display()));
    let mut to_child = child.stdin.take().expect("stdin");
    let mut from_child = BufReader::new(child.stdout.take().expect("stdout"));
    let kinds = ["destroy", "logout", "handle", "user", "password", "csrf"];
    for round in 0..REVOCATION_ROUNDS {
        let user = 10_000 + round as u64;
        let visitor = engine.create_session("10.0.0.2", "parent").expect("create");
        let session = engine.login(visitor.id.expose(), user).expect("login");
        let id = session.id.expose().to_owned();
        let csrf = session.csrf_token.expose().to_owned();
        let token = engine
            .create_token(user, "parent", ["*"], None)
            .expect("token");
        let text = token.plain_text.expose().to_owned();
        let ask = |to: &mut ChildStdin, from: &mut BufReader<ChildStdout>| {
            writeln!(to, "{id} {text} {csrf}").expect("send");
            to.flush().expect("flush");
            let mut line = String::new();
            from.read_line(&mut line).expect("answer");
            line.trim().to_owned()
        };
        // Twice, so the second answer came from the child's caches.
        assert_eq!(ask(&mut to_child, &mut from_child), "yes yes yes");
        assert_eq!(ask(&mut to_child, &mut from_child), "yes yes yes");
        let kind = kinds[round % kinds.len()];
        match kind {
            "destroy" => assert!(engine.destroy_session(&id).expect("destroy")),
            "logout" => drop(engine.invalidate_session(&id).expect("logout")),
            "handle" => engine.revoke_session(&session.handle()).expect("revoke"),
            "user" => assert_eq!(engine.revoke_user_sessions(user, None).expect("all"), 1),
            "password" => {
                engine
                    .set_password(user, &format!("user{user}"), "first password")
                    .expect("set");
                engine
                    .change_password(user, "second password", None, true)
                    .expect("change");
            }
            _ => drop(engine.rotate_csrf(&id).expect("rotate")),
        }
        if kind != "password" {
            assert!(engine.revoke_token(token.id).expect("revoke token"));
        }
        let expected = if kind == "csrf" {
            "yes no no"
        } else {
            "no no no"
        };
        assert_eq!(
            ask(&mut to_child, &mut from_child),
            expected,
            "round {round}: after {kind}"
        );
    }
    drop(to_child);
    assert!(child.wait().expect("follower").success());
    engine.close().expect("close");
}

/// Reads `id token csrf` lines; answers whether the guard accepts the
/// cookie, whether the token authenticates, and whether a POST with the
/// CSRF token passes.
fn follower(path: &Path) {
    let engine = Engine::open(path, Config::default()).expect("follower open");
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.expect("line");
        let mut parts = line.split(' ');
        let (id, text, csrf) = (
            parts.next().expect("id"),
            parts.next().expect("token"),
            parts.next().expect("csrf"),
        );
        let cookie = format!("authkv_session={id}");
        let cookie_request = |method| Request {
            method,
            cookie: Some(&cookie),
            referer: Some("http://localhost/"),
            csrf_token: Some(csrf),
            ..Request::default()
        };
        let session = accepted(engine.authenticate(&cookie_request("GET")));
        let bearer = format!("Bearer {text}");
        let token = accepted(engine.authenticate(&Request {
            method: "GET",
            authorization: Some(&bearer),
            ..Request::default()
        }));
        let csrf_ok = accepted(engine.authenticate(&cookie_request("POST")));
        let word = |b: bool| if b { "yes" } else { "no" };
        writeln!(out, "{} {} {}", word(session), word(token), word(csrf_ok)).expect("answer");
        out.flush().expect("flush");
    }
}

fn accepted(result: Result<authkv::Principal, Error>) -> bool {
    match result {
        Ok(_) => true,
        Err(Error::Guard(GuardError::Unauthenticated | GuardError::CsrfMismatch)) => false,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

// ---------------------------------------------------------------------------

const SAVING_FOR: Duration = Duration::from_millis(1500);

/// Another process saves one session over and over and, after each save
/// returned, publishes its version in a small file. This process reads the
/// published version, then the session (by the guard and by a load): what
/// it reads may never be older. Most reads meet a commit under way, which
/// is when the caches must step aside for the changing key only.
fn a_reader_never_sees_a_session_older_than_the_last_acknowledged_save() {
    use std::os::unix::fs::FileExt;
    let (dir, path) = scratch();
    let engine = Engine::open(&path, Config::default()).expect("open");
    let visitor = engine.create_session("10.0.0.6", "reader").expect("create");
    let session = engine.login(visitor.id.expose(), 5).expect("login");
    let id = session.id.expose().to_owned();
    let other = engine
        .create_session("10.0.0.6", "bystander")
        .expect("create");
    let acked_path = dir.path().join("acked");
    std::fs::write(&acked_path, 0u64.to_le_bytes()).expect("acked file");
    let acked = std::fs::File::open(&acked_path).expect("open acked");
    let mut saver = spawn(&format!(
        "saver {} {id} {}",
        path.display(),
        acked_path.display()
    ));
    let cookie = format!("authkv_session={id}");
    let request = Request {
        method: "GET",
        cookie: Some(&cookie),
        referer: Some("http://localhost/"),
        ..Request::default()
    };
    let (mut reads, mut newest, mut base) = (0u64, 0u64, None);
    let start = Instant::now();
    while start.elapsed() < SAVING_FOR {
        let mut bytes = [0u8; 8];
        acked.read_exact_at(&mut bytes, 0).expect("read acked");
        let floor = u64::from_le_bytes(bytes);
        let guard_version = match engine.authenticate(&request).expect("guard").via {
            authkv::Via::Session(seen) => seen.version,
            _ => panic!("not the session"),
        };
        let loaded = engine.load_session(&id).expect("load").expect("live");
        assert!(
            guard_version >= floor && loaded.version >= floor,
            "read versions {guard_version} / {} after version {floor} was acknowledged",
            loaded.version
        );
        // Payload and version come from one record: save n is version v0 + n.
        if let Ok(n) = String::from_utf8(loaded.payload)
            .expect("utf-8")
            .parse::<u64>()
        {
            let v0 = *base.get_or_insert(loaded.version - n);
            assert_eq!(
                loaded.version - n,
                v0,
                "a payload with another save's version"
            );
        }
        // A key no commit touches keeps being served.
        assert!(
            engine
                .load_session(other.id.expose())
                .expect("load")
                .is_some()
        );
        newest = newest.max(loaded.version);
        reads += 1;
    }
    saver.kill().expect("stop the saver");
    saver.wait().expect("reap");
    assert!(newest > 10, "the saver barely saved: version {newest}");
    assert!(reads > newest, "{reads} reads for {newest} saves");
    engine.close().expect("close");
}

/// Saves session `id` with a growing counter forever, publishing each
/// acknowledged version at offset 0 of `acked`.
fn saver(path: &Path, id: &str, acked: &Path) {
    use std::os::unix::fs::FileExt;
    let engine = Engine::open(path, Config::default()).expect("saver open");
    let acked = std::fs::OpenOptions::new()
        .write(true)
        .open(acked)
        .expect("acked");
    for n in 1u64.. {
        let version = engine
            .save_session(id, n.to_string().as_bytes(), None)
            .expect("save");
        acked
            .write_all_at(&version.to_le_bytes(), 0)
            .expect("publish");
    }
}

// ---------------------------------------------------------------------------

const FORKED_CHILDREN: u64 = 3;
const SESSIONS_PER_CHILD: usize = 50;

fn a_child_of_fork_is_refused_the_parents_engine_and_opens_its_own() {
    let (_dir, path) = scratch();
    let engine = Engine::open(&path, Config::default()).expect("open");
    let visitor = engine.create_session("10.0.0.3", "parent").expect("create");
    let parent_session = engine.login(visitor.id.expose(), 1).expect("login");
    let id = parent_session.id.expose().to_owned();
    assert!(engine.load_session(&id).expect("load").is_some()); // cached
    let parent_pid = std::process::id();
    let mut pids = Vec::new();
    for child in 0..FORKED_CHILDREN {
        // SAFETY: this process is single-threaded (no harness, no
        // background thread), so the child may run ordinary code.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = std::panic::catch_unwind(AssertUnwindSafe(|| {
                forked_child(&engine, &path, &id, child)
            }))
            .map_or(101, |()| 0);
            // SAFETY: ends the child without running the parent's atexit
            // handlers or flushing its stdio copies.
            unsafe { libc::_exit(code) };
        }
        pids.push(pid);
    }
    // The parent goes on writing while its children do.
    for _ in 0..20 {
        engine
            .create_session("10.0.0.3", "parent")
            .expect("parent write");
    }
    for pid in pids {
        let mut status = 0;
        // SAFETY: waits for a child this process forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "forked child {pid} failed (status {status}), parent {parent_pid}"
        );
    }
    assert!(engine.load_session(&id).expect("load").is_some());
    for child in 0..FORKED_CHILDREN {
        assert_eq!(
            engine.user_sessions(2000 + child).expect("list").len(),
            SESSIONS_PER_CHILD
        );
    }
    assert_consistent(&engine, "parent after the children");
    engine.close().expect("close");
    let engine = Engine::open(&path, Config::default()).expect("reopen");
    assert_consistent(&engine, "after reopen");
    assert!(engine.load_session(&id).expect("load").is_some());
}

fn forked_child(inherited: &Engine, path: &Path, id: &str, child: u64) {
    assert!(!inherited.opened_in_this_process());
    match inherited.load_session(id) {
        Err(Error::Forked { opened_in, used_in }) => {
            assert_eq!(used_in, std::process::id());
            assert_ne!(opened_in, used_in);
            let message = inherited.load_session(id).expect_err("refused").to_string();
            assert!(message.contains("open it again in the child"), "{message}");
        }
        other => panic!("inherited engine answered {other:?}"),
    }
    assert!(matches!(
        inherited.create_session("10.0.0.4", "child"),
        Err(Error::Forked { .. })
    ));
    assert!(matches!(inherited.flush(), Err(Error::Forked { .. })));
    let own = Engine::open(path, Config::default()).expect("child open");
    assert!(own.load_session(id).expect("load").is_some());
    for _ in 0..SESSIONS_PER_CHILD {
        let visitor = own.create_session("10.0.0.4", "child").expect("create");
        own.login(visitor.id.expose(), 2000 + child).expect("login");
    }
    own.close().expect("close");
}

// ---------------------------------------------------------------------------

const WRITERS: usize = 3;

fn a_writer_killed_mid_write_loses_nothing_acknowledged_and_the_others_go_on() {
    let (_dir, path) = scratch();
    Engine::open(&path, Config::default())
        .expect("create")
        .close()
        .expect("close");
    let mut writers: Vec<Child> = (0..WRITERS)
        .map(|_| spawn(&format!("writer {}", path.display())))
        .collect();
    let readers: Vec<_> = writers
        .iter_mut()
        .map(|child| {
            let stdout = child.stdout.take().expect("stdout");
            std::thread::spawn(move || {
                BufReader::new(stdout)
                    .lines()
                    .map_while(Result::ok)
                    .filter(|line| line.len() == 40)
                    .map(|line| (Instant::now(), line))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    writers[0].kill().expect("SIGKILL"); // std sends SIGKILL on unix
    writers[0].wait().expect("reap");
    let killed_at = Instant::now();
    std::thread::sleep(Duration::from_millis(400));
    for writer in &mut writers[1..] {
        writer.kill().expect("SIGKILL");
        writer.wait().expect("reap");
    }
    let printed: Vec<Vec<(Instant, String)>> = readers
        .into_iter()
        .map(|reader| reader.join().expect("reader"))
        .collect();
    assert!(!printed[0].is_empty(), "the killed writer never wrote");
    for survivor in &printed[1..] {
        let after_kill = survivor.iter().filter(|(at, _)| *at > killed_at).count();
        assert!(
            after_kill > 0,
            "a survivor stopped when another writer died"
        );
    }
    let engine = Engine::open(&path, Config::default()).expect("reopen");
    for (_, id) in printed.iter().flatten() {
        assert!(
            engine.load_session(id).expect("load").is_some(),
            "an acknowledged session was lost"
        );
    }
    assert_consistent(&engine, "after SIGKILL");
}

/// Creates and logs in sessions forever, printing each id once its commit
/// returned.
fn writer(path: &Path) {
    let engine = Engine::open(path, Config::default()).expect("writer open");
    let mut out = std::io::stdout().lock();
    loop {
        let visitor = engine.create_session("10.0.0.5", "writer").expect("create");
        let session = engine.login(visitor.id.expose(), 3).expect("login");
        writeln!(out, "{}", session.id.expose()).expect("print");
        out.flush().expect("flush");
    }
}

// ---------------------------------------------------------------------------

const T0: u64 = 1_700_000_000;

fn manual_config(at: u64) -> Config {
    let mut config = Config::default();
    config.clock = Clock::Manual(ManualClock::new(at));
    config
}

/// Each process coalesces its own touches; whichever flushes last, the
/// stored `last_activity` is the latest any of them saw.
fn touches_flushed_by_several_processes_keep_the_latest_activity() {
    let (_dir, path) = scratch();
    let engine = Engine::open(&path, manual_config(T0 + 200)).expect("open");
    let session = {
        let creator = Engine::open(&path, manual_config(T0)).expect("creator");
        let visitor = creator.create_session("10.0.0.7", "ua").expect("create");
        let session = creator.login(visitor.id.expose(), 8).expect("login");
        creator.close().expect("close");
        session.id.expose().to_owned()
    };
    // Another process, its clock at T0 + 100, touches the session in memory.
    let mut child = spawn(&format!("toucher {} {}", path.display(), T0 + 100));
    let mut to_child = child.stdin.take().expect("stdin");
    let mut from_child = BufReader::new(child.stdout.take().expect("stdout"));
    let mut command = |line: &str| {
        writeln!(to_child, "{line}").expect("send");
        to_child.flush().expect("flush");
        let mut answer = String::new();
        from_child.read_line(&mut answer).expect("answer");
        answer.trim().to_owned()
    };
    assert_eq!(command(&format!("load {session}")), (T0 + 100).to_string());
    // This process, later, touches and flushes first; the earlier touch
    // flushed after it must not move the time back.
    let loaded = engine.load_session(&session).expect("load").expect("live");
    assert_eq!(loaded.last_activity, T0 + 200);
    assert_eq!(engine.flush().expect("flush"), 1);
    assert_eq!(
        command("flush"),
        "0",
        "an older touch was written over a newer one"
    );
    let stored = |engine: &Engine| {
        let info = engine.user_sessions(8).expect("list");
        info[0].last_activity
    };
    assert_eq!(stored(&engine), T0 + 200);
    // The other way round: a later touch flushed after an earlier one wins.
    assert_eq!(
        command(&format!("advance 300 {session}")),
        (T0 + 400).to_string()
    );
    assert_eq!(command("flush"), "1");
    assert_eq!(stored(&engine), T0 + 400);
    drop(to_child);
    assert!(child.wait().expect("toucher").success());
}

/// Loads sessions (touching them in memory), moves its clock and flushes
/// on command; answers with the activity seen or the records flushed.
fn toucher(path: &Path, at: u64) {
    let clock = ManualClock::new(at);
    let mut config = Config::default();
    config.clock = Clock::Manual(clock.clone());
    let engine = Engine::open(path, config).expect("toucher open");
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("line");
        let words: Vec<&str> = line.split(' ').collect();
        let answer = match words[0] {
            "load" => last_activity(&engine, words[1]),
            "advance" => {
                clock.advance(words[1].parse().expect("seconds"));
                last_activity(&engine, words[2])
            }
            _ => engine.flush().expect("flush") as u64,
        };
        writeln!(out, "{answer}").expect("answer");
        out.flush().expect("flush");
    }
}

fn last_activity(engine: &Engine, id: &str) -> u64 {
    engine
        .load_session(id)
        .expect("load")
        .expect("live")
        .last_activity
}

// ---------------------------------------------------------------------------

/// The lease lasts three intervals: 3 s with a 1 s touch interval.
fn lease_config() -> Config {
    let mut config = Config::default();
    config.touch_interval = Duration::from_secs(1);
    config
}

fn the_housekeeping_lease_passes_to_another_process_when_its_holder_dies() {
    let (_dir, path) = scratch();
    let engine = Engine::open(&path, lease_config()).expect("open");
    let mut holder = spawn(&format!("lease_holder {}", path.display()));
    let mut from_holder = BufReader::new(holder.stdout.take().expect("stdout"));
    let mut line = String::new();
    from_holder.read_line(&mut line).expect("holder ready");
    assert_eq!(line.trim(), "holding");
    let (report, _) = engine.housekeep().expect("housekeep");
    assert!(
        report.lease_held_elsewhere,
        "two processes collected at once"
    );
    holder.kill().expect("SIGKILL");
    holder.wait().expect("reap");
    let killed_at = Instant::now();
    loop {
        let (report, _) = engine.housekeep().expect("housekeep");
        if !report.lease_held_elsewhere {
            break;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(10),
            "the lease of a dead process was never taken over"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The new holder keeps it while it lives, and gives it up on close.
    engine.close().expect("close");
    let next = Engine::open(&path, lease_config()).expect("open");
    assert!(!next.housekeep().expect("housekeep").0.lease_held_elsewhere);
}

fn lease_holder(path: &Path) {
    let engine = Engine::open(path, lease_config()).expect("holder open");
    let (report, _) = engine.housekeep().expect("housekeep");
    assert!(!report.lease_held_elsewhere);
    println!("holding");
    std::io::stdout().flush().expect("flush");
    std::thread::sleep(Duration::from_secs(60));
}

// ---------------------------------------------------------------------------

const LIMITED_WORKERS: usize = 4;
const RATE_MAX: u64 = 1000;
const QUOTA: u64 = 700;

fn limits(rate: Option<u64>, quota: Option<u64>) -> TokenLimits {
    TokenLimits {
        rate_limit: rate.map(|max| RateLimit {
            max,
            window: Duration::from_secs(3600),
        }),
        quota: quota.map(|remaining| Quota {
            remaining,
            refill_amount: 0,
            refill_interval: None,
        }),
    }
}

/// Four workers hammer one rate-limited and one quota-limited token at
/// once, each trying more than its share: together they admit exactly the
/// limits, and what they used is written when they close.
fn four_processes_on_one_file_admit_exactly_a_tokens_limits_between_them() {
    let (_dir, path) = scratch();
    let engine = Engine::open(&path, manual_config(T0)).expect("open");
    let create = |limits: &TokenLimits| {
        let token = engine
            .create_token_with_limits(1, "api", ["*"], None, limits)
            .expect("create");
        token.plain_text.expose().to_owned()
    };
    let rated = create(&limits(Some(RATE_MAX), None));
    let metered = create(&limits(None, Some(QUOTA)));
    engine.close().expect("close");
    let mut workers: Vec<Child> = (0..LIMITED_WORKERS)
        .map(|_| spawn(&format!("limited {} {rated} {metered}", path.display())))
        .collect();
    let mut outputs: Vec<_> = workers
        .iter_mut()
        .map(|w| BufReader::new(w.stdout.take().expect("stdout")))
        .collect();
    for output in &mut outputs {
        assert_eq!(read_line(output), "ready");
    }
    for worker in &mut workers {
        writeln!(worker.stdin.as_mut().expect("stdin"), "go").expect("go");
    }
    let (mut rate_admitted, mut quota_admitted) = (0, 0);
    for (worker, output) in workers.iter_mut().zip(&mut outputs) {
        let line = read_line(output);
        let (rate, quota) = line.split_once(' ').expect("two counts");
        rate_admitted += rate.parse::<u64>().expect("count");
        quota_admitted += quota.parse::<u64>().expect("count");
        assert!(worker.wait().expect("wait").success());
    }
    assert_eq!(rate_admitted, RATE_MAX);
    assert_eq!(quota_admitted, QUOTA);
    let engine = Engine::open(&path, manual_config(T0)).expect("reopen");
    let id: u64 = metered
        .split_once('|')
        .expect("id|secret")
        .0
        .parse()
        .expect("id");
    let stored = engine.token_limits(id).expect("read").expect("limits");
    assert_eq!(stored.quota.map(|q| q.remaining), Some(0));
    assert!(matches!(
        engine.authenticate_token(&rated),
        Err(Error::Token(TokenError::RateLimited { .. }))
    ));
}

fn read_line(output: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    output.read_line(&mut line).expect("read");
    line.trim_end().to_owned()
}

/// Tries each token 500 times once told to go; prints how many passed.
fn limited_worker(path: &Path, rated: &str, metered: &str) {
    let engine = Engine::open(path, manual_config(T0)).expect("worker open");
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")
        .and_then(|()| out.flush())
        .expect("print");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("wait for go");
    let admitted = |token: &str| {
        (0..500)
            .filter(|_| match engine.authenticate_token(token) {
                Ok(found) => found.is_some(),
                Err(Error::Token(
                    TokenError::RateLimited { .. } | TokenError::QuotaExhausted { .. },
                )) => false,
                Err(e) => panic!("{e}"),
            })
            .count()
    };
    let (rate, quota) = (admitted(rated), admitted(metered));
    engine.close().expect("close writes the quota use");
    writeln!(out, "{rate} {quota}")
        .and_then(|()| out.flush())
        .expect("print");
}

/// A worker SIGKILLed before its flush: its counted uses are in the shared
/// side file, so the next process still counts them. Only a lost side file
/// (the host rebooted) loses uses: those since the last flush, no more.
fn a_killed_worker_loses_no_quota_use_and_a_lost_side_file_at_most_the_unflushed() {
    let (_dir, path) = scratch();
    let engine = Engine::open(&path, manual_config(T0)).expect("open");
    let token = engine
        .create_token_with_limits(1, "api", ["*"], None, &limits(None, Some(100)))
        .expect("create");
    engine.close().expect("close");
    let text = token.plain_text.expose();
    let remaining = || {
        let engine = Engine::open(&path, manual_config(T0)).expect("open");
        let limits = engine
            .token_limits(token.id)
            .expect("read")
            .expect("limits");
        engine.close().expect("close");
        limits.quota.expect("quota").remaining
    };
    // 30 uses, a flush, 10 more, then SIGKILL.
    kill_after_uses(&path, text, 30);
    assert_eq!(
        remaining(),
        60,
        "a killed worker's unwritten uses were lost"
    );
    // The same with the side file gone before the next open.
    kill_after_uses(&path, text, 30);
    std::fs::remove_file(format!("{}-shm", path.display())).expect("remove side file");
    assert_eq!(
        remaining(),
        30,
        "a lost side file may cost the uses since the last flush, exactly those"
    );
}

fn kill_after_uses(path: &Path, token: &str, flushed: u64) {
    let mut child = spawn(&format!("quota_user {} {token} {flushed}", path.display()));
    let mut output = BufReader::new(child.stdout.take().expect("stdout"));
    assert_eq!(read_line(&mut output), "ready");
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
}

/// Uses the token `flushed` times, flushes, uses it 10 times more and
/// waits to be killed.
fn quota_user(path: &Path, token: &str, flushed: u64) {
    let engine = Engine::open(path, manual_config(T0)).expect("open");
    let use_token = |times: u64| {
        for _ in 0..times {
            assert!(
                engine
                    .authenticate_token(token)
                    .expect("admitted")
                    .is_some()
            );
        }
    };
    use_token(flushed);
    engine.flush().expect("flush");
    use_token(10);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")
        .and_then(|()| out.flush())
        .expect("print");
    std::thread::sleep(Duration::from_secs(600));
}
