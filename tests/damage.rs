//! Damaged files: a fixture database is copied and damaged in many
//! deterministic ways (flipped bytes, a damaged header, truncation, a zeroed
//! or scrambled page), and a child process opens each copy and reads
//! everything the fixture holds. Every answer must be the data as written or
//! an error: never other data, never a panic, an abort or a hang. A copy that
//! opened must open again after the engine has used it.
//!
//! Runs without the test harness so that the same binary can be the child.
//! `DAMAGE_SEEDS=n` sets how many damaged copies the sweep makes (default
//! 200; the record test always makes 100); `DAMAGE_SEED=n` runs seed `n`
//! alone in both. The fixture's session ids are random, so a seed replayed
//! against a new fixture hits the same offsets of a similar file, not the
//! same one: a failing copy is kept, with its expected state, under
//! `target/tmp/damage-failures/`, and `AUTHKV_DAMAGE_ROLE="exercise <copy>
//! <expected>"` on this binary replays it exactly (on a copy of the copy:
//! the child writes to it). Arguments filter the tests by name.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use authkv::{Clock, Concurrency, Config, Engine, Error, ManualClock, PasswordParams, Session};

/// The child's role and its arguments, separated by spaces.
const ROLE_ENV: &str = "AUTHKV_DAMAGE_ROLE";
/// The fixture's time: nothing in it expires while the clock stays here.
const NOW: u64 = 1_700_000_000;
const PAGE: usize = 4096;
const SESSIONS: u64 = 300;
const TOKENS: u64 = 100;
const PASSWORDS: u64 = 5;
const IP: &str = "10.0.0.1";
const USER_AGENT: &str = "damage-test";
const DEFAULT_SEEDS: u64 = 200;
const RECORD_SEEDS: u64 = 100;
const CHILD_TIMEOUT: Duration = Duration::from_secs(20);

/// The redb table behind sessions, read directly to find records' bytes.
const SESSIONS_TABLE: redb::TableDefinition<[u8; 32], &[u8]> =
    redb::TableDefinition::new("sessions");

type Test = fn(&Fixture) -> Vec<String>;

fn main() {
    if let Ok(role) = std::env::var(ROLE_ENV) {
        die_with_parent();
        let args: Vec<&str> = role.split(' ').collect();
        match args[..] {
            ["exercise", path, expected] => exercise(Path::new(path), Path::new(expected)),
            ["open", path, mode] => open_only(Path::new(path), mode),
            _ => panic!("unknown role {role:?}"),
        }
        return;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let tests: [(&str, Test); 3] = [
        (
            "a_damaged_file_answers_with_the_data_as_written_or_an_error",
            a_damaged_file_answers_with_the_data_as_written_or_an_error,
        ),
        (
            "a_flipped_byte_in_a_record_is_corrupt_not_other_data",
            a_flipped_byte_in_a_record_is_corrupt_not_other_data,
        ),
        (
            "a_truncated_or_empty_file_is_an_error_not_a_new_database",
            a_truncated_or_empty_file_is_an_error_not_a_new_database,
        ),
    ];
    let start = Instant::now();
    let fixture = Fixture::build();
    println!(
        "fixture: {} bytes, {} sessions, {} tokens, {PASSWORDS} passwords ({:.1?})",
        fixture.bytes.len(),
        fixture.expected.sessions.len(),
        fixture.expected.tokens.len(),
        start.elapsed()
    );
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let start = Instant::now();
        let failures = test(&fixture);
        if failures.is_empty() {
            println!("test {name} ... ok ({:.1?})", start.elapsed());
            passed += 1;
        } else {
            println!(
                "test {name} ... FAILED, {} failures ({:.1?})",
                failures.len(),
                start.elapsed()
            );
            for failure in &failures {
                println!("  FAIL {}", failure.replace('\n', "\n       "));
            }
            failed += 1;
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// A child whose parent died must not run on.
fn die_with_parent() {
    // SAFETY: prctl with an integer signal number; no pointers.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
}

/// Exclusive, on a clock that never moves, with argon2 cheap enough to set
/// passwords by the handful.
fn config() -> Config {
    let mut config = Config::default();
    config.concurrency = Concurrency::Exclusive;
    config.clock = Clock::Manual(ManualClock::new(NOW));
    config.argon2 = PasswordParams::new(8, 1, 1);
    config
}

// ---------------------------------------------------------------------------
// The fixture and the state it must give back

/// A closed database with sessions, tokens and passwords, its bytes, and
/// what every session and token must read back as.
struct Fixture {
    dir: tempfile::TempDir,
    bytes: Vec<u8>,
    expected: Expected,
    /// `expected`, written for the children.
    expected_path: PathBuf,
}

impl Fixture {
    fn build() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fixture.redb");
        let engine = Engine::open(&path, config()).expect("open the fixture");
        let mut sessions = Vec::new();
        for user in 1..=SESSIONS {
            let visitor = engine.create_session(IP, USER_AGENT).expect("create");
            let session = engine.login(visitor.id.expose(), user).expect("login");
            let payload =
                format!("payload of user {user}; ").repeat(1 + (user as usize * 37) % 150);
            engine
                .save_session(session.id.expose(), payload.as_bytes(), None)
                .expect("save");
            let stored = engine
                .load_session(session.id.expose())
                .expect("load")
                .expect("live");
            assert_eq!(stored.payload, payload.as_bytes());
            assert_eq!(stored.user_id, Some(user));
            sessions.push(ExpectedSession::of(&stored, user));
        }
        let mut tokens = Vec::new();
        for user in 1..=TOKENS {
            let token = engine
                .create_token(user, "name", ["read"], None)
                .expect("token");
            tokens.push(ExpectedToken {
                text: token.plain_text.expose().to_owned(),
                id: token.id,
                user,
            });
        }
        for user in 1..=PASSWORDS {
            engine
                .set_password(user, &format!("user{user}@example.com"), "correct horse")
                .expect("password");
        }
        engine.close().expect("close the fixture");
        let bytes = std::fs::read(&path).expect("read the fixture");
        let expected = Expected { sessions, tokens };
        let expected_path = dir.path().join("fixture.expected");
        expected.write(&expected_path);
        Fixture {
            dir,
            bytes,
            expected,
            expected_path,
        }
    }
}

/// What the children check against: every session and token of a fixture
/// (or some of them).
struct Expected {
    sessions: Vec<ExpectedSession>,
    tokens: Vec<ExpectedToken>,
}

/// A session as it was stored.
#[derive(Clone)]
struct ExpectedSession {
    id: String,
    user: u64,
    version: u64,
    created_at: u64,
    last_activity: u64,
    csrf: String,
    payload: Vec<u8>,
}

/// A token as its owner holds it.
#[derive(Clone)]
struct ExpectedToken {
    text: String,
    id: u64,
    user: u64,
}

impl ExpectedSession {
    fn of(session: &Session, user: u64) -> Self {
        Self {
            id: session.id.expose().to_owned(),
            user,
            version: session.version,
            created_at: session.created_at,
            last_activity: session.last_activity,
            csrf: session.csrf_token.expose().to_owned(),
            payload: session.payload.clone(),
        }
    }

    /// How `got` differs from what was stored; `None` when it does not.
    fn difference(&self, got: &Session) -> Option<String> {
        if got.user_id != Some(self.user) {
            return Some(format!("user {:?} instead of {}", got.user_id, self.user));
        }
        if got.payload != self.payload {
            let at = got
                .payload
                .iter()
                .zip(&self.payload)
                .position(|(a, b)| a != b)
                .unwrap_or(got.payload.len().min(self.payload.len()));
            return Some(if got.payload.len() == self.payload.len() {
                format!(
                    "another payload of the same {} bytes, first different at byte {at}",
                    self.payload.len()
                )
            } else {
                format!(
                    "a payload of {} bytes instead of the {} written",
                    got.payload.len(),
                    self.payload.len()
                )
            });
        }
        let fields = [
            ("csrf token", got.csrf_token.expose() != self.csrf),
            ("ip", got.ip != IP),
            ("user agent", got.user_agent != USER_AGENT),
            ("created_at", got.created_at != self.created_at),
            ("last_activity", got.last_activity != self.last_activity),
            ("version", got.version != self.version),
        ];
        fields
            .iter()
            .find(|(_, differs)| *differs)
            .map(|(field, _)| format!("another {field} (user and payload as written)"))
    }
}

impl Expected {
    /// Lines `S <id> <user> <version> <created_at> <last_activity> <csrf>
    /// <hex payload>` and `T <plaintext> <token id> <user>`.
    fn write(&self, path: &Path) {
        let mut text = String::new();
        for s in &self.sessions {
            text.push_str(&format!(
                "S {} {} {} {} {} {} {}\n",
                s.id,
                s.user,
                s.version,
                s.created_at,
                s.last_activity,
                s.csrf,
                common::to_hex(&s.payload)
            ));
        }
        for t in &self.tokens {
            text.push_str(&format!("T {} {} {}\n", t.text, t.id, t.user));
        }
        std::fs::write(path, text).expect("write the expected state");
    }

    fn read(path: &Path) -> Expected {
        let text = std::fs::read_to_string(path).expect("read the expected state");
        let mut expected = Expected {
            sessions: Vec::new(),
            tokens: Vec::new(),
        };
        let number = |field: &str| field.parse::<u64>().expect("a number");
        for line in text.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            match fields[..] {
                [
                    "S",
                    id,
                    user,
                    version,
                    created_at,
                    last_activity,
                    csrf,
                    payload,
                ] => {
                    expected.sessions.push(ExpectedSession {
                        id: id.to_owned(),
                        user: number(user),
                        version: number(version),
                        created_at: number(created_at),
                        last_activity: number(last_activity),
                        csrf: csrf.to_owned(),
                        payload: from_hex(payload),
                    });
                }
                ["T", text, id, user] => expected.tokens.push(ExpectedToken {
                    text: text.to_owned(),
                    id: number(id),
                    user: number(user),
                }),
                _ => panic!("bad expected-state line {line:?}"),
            }
        }
        expected
    }
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

// ---------------------------------------------------------------------------
// Child roles

/// Open a damaged copy and use everything in `expected`, then write, verify
/// and close. Errors are answers and are counted; data other than what was
/// stored is printed as a `WRONG` line. Prints `open-failed <error>` or a
/// last line `opened key=value ...`.
fn exercise(path: &Path, expected: &Path) {
    let expected = Expected::read(expected);
    phase("open");
    let engine = match Engine::open(path, config()) {
        Ok(engine) => engine,
        Err(e) => {
            println!("open-failed {e:?}");
            return;
        }
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_error: Option<String> = None;
    let mut tally = |area: &str, answer: Answer| {
        if let Answer::Wrong(what) = &answer {
            println!("WRONG {area}: {what}");
        }
        if let Answer::Err(e) | Answer::Corrupt(e) = &answer
            && first_error.is_none()
        {
            first_error = Some(format!("{area}: {e}"));
        }
        *counts
            .entry(format!("{area}_{}", answer.name()))
            .or_default() += 1;
    };
    phase("load_session");
    for s in &expected.sessions {
        let answer = match engine.load_session(&s.id) {
            Ok(Some(got)) => match s.difference(&got) {
                None => Answer::Ok,
                Some(what) => Answer::Wrong(format!("session of user {}: {what}", s.user)),
            },
            Ok(None) => Answer::None,
            Err(e) => Answer::from(e),
        };
        tally("sessions", answer);
    }
    phase("authenticate_token");
    for t in &expected.tokens {
        let answer = match engine.authenticate_token(&t.text) {
            Ok(Some(got)) => {
                if got.user_id != t.user {
                    Answer::Wrong(format!(
                        "token {}: user {} instead of {}",
                        t.id, got.user_id, t.user
                    ))
                } else if got.id != t.id {
                    Answer::Wrong(format!("token {}: id {}", t.id, got.id))
                } else if got.abilities.as_slice() != ["read"] {
                    Answer::Wrong(format!("token {}: abilities {:?}", t.id, got.abilities))
                } else {
                    Answer::Ok
                }
            }
            Ok(None) => Answer::None,
            Err(e) => Answer::from(e),
        };
        tally("tokens", answer);
    }
    phase("create_session and save_session");
    let write = engine
        .create_session(IP, USER_AGENT)
        .and_then(|s| engine.save_session(s.id.expose(), b"written after the damage", None));
    let mut steps = vec![("write", outcome(&write))];
    phase("verify");
    let verify = match engine.verify() {
        Ok(report) if report.is_consistent() => "consistent",
        Ok(_) => "problems",
        Err(Error::Corrupt { .. }) => "corrupt",
        Err(_) => "err",
    };
    steps.push(("verify", verify));
    phase("close");
    steps.push(("close", outcome(&engine.close())));
    if let Some(e) = first_error {
        println!("first-error {e}");
    }
    let fields: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .chain(steps.iter().map(|(k, v)| format!("{k}={v}")))
        .collect();
    println!("opened {}", fields.join(" "));
}

/// Tell the parent which step runs now, in case the child dies in it.
fn phase(name: &str) {
    println!("phase {name}");
}

/// Open, report, close: `opened` or `open-failed <error>`. `mode` is
/// `exclusive` (the harness's config) or `default` (`Config::default()`).
fn open_only(path: &Path, mode: &str) {
    let config = match mode {
        "exclusive" => config(),
        "default" => Config::default(),
        other => panic!("unknown mode {other}"),
    };
    phase("open");
    match Engine::open(path, config) {
        Ok(engine) => {
            phase("close");
            println!("opened close={}", outcome(&engine.close()));
        }
        Err(e) => println!("open-failed {e:?}"),
    }
}

/// One read's answer, as the child counts it.
enum Answer {
    Ok,
    None,
    Corrupt(String),
    Err(String),
    Wrong(String),
}

impl Answer {
    fn name(&self) -> &'static str {
        match self {
            Answer::Ok => "ok",
            Answer::None => "none",
            Answer::Corrupt(_) => "corrupt",
            Answer::Err(_) => "err",
            Answer::Wrong(_) => "wrong",
        }
    }
}

impl From<Error> for Answer {
    fn from(e: Error) -> Self {
        match e {
            Error::Corrupt { .. } => Answer::Corrupt(format!("{e:?}")),
            e => Answer::Err(format!("{e:?}")),
        }
    }
}

fn outcome<T>(result: &authkv::Result<T>) -> &'static str {
    if result.is_ok() { "ok" } else { "err" }
}

// ---------------------------------------------------------------------------
// Running children

/// What a child did: its exit (`None` when it was killed for taking too
/// long) and what it printed.
struct ChildRun {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

fn run_child(role: &str) -> ChildRun {
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .env(ROLE_ENV, role)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if start.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    ChildRun {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

impl ChildRun {
    /// Why the child's run is a failure in itself: a hang, a signal, a
    /// non-zero exit, a panic message or no answer.
    fn problem(&self) -> Option<String> {
        let during = self.phase().unwrap_or("start");
        let stderr = self.stderr_summary();
        match self.status {
            None => return Some(format!("hung in {during}: killed after {CHILD_TIMEOUT:?}")),
            Some(status) => {
                if let Some(signal) = status.signal() {
                    return Some(format!(
                        "died in {during} by signal {signal} ({}){stderr}",
                        signal_name(signal),
                    ));
                }
                if !status.success() {
                    return Some(format!("exited in {during} with {status}{stderr}"));
                }
            }
        }
        if self.stderr.contains("panicked") {
            return Some(format!("printed a panic in {during}{stderr}"));
        }
        if self.answer().is_none() {
            return Some(format!("gave no answer: {:?}", self.stdout));
        }
        None
    }

    /// The step the child was in last.
    fn phase(&self) -> Option<&str> {
        self.stdout
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix("phase "))
    }

    /// The panic messages and the first frames inside authkv, else the
    /// start of stderr; one `  | ` line each.
    fn stderr_summary(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().map(str::trim).collect();
        let mut shown: Vec<&str> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.contains("panicked at") {
                shown.extend(lines.get(i..i + 2).unwrap_or(&lines[i..]));
            }
        }
        shown.extend(lines.iter().filter(|l| l.contains("authkv::")).take(3));
        if shown.is_empty() {
            shown = lines.iter().take(12).copied().collect();
        }
        shown.iter().map(|line| format!("\n  | {line}")).collect()
    }

    /// The last `opened ...` or `open-failed ...` line.
    fn answer(&self) -> Option<&str> {
        self.stdout
            .lines()
            .rev()
            .find(|line| line.starts_with("opened") || line.starts_with("open-failed"))
    }

    fn opened(&self) -> bool {
        self.answer().is_some_and(|line| line.starts_with("opened"))
    }

    /// The error an open failed with.
    fn open_error(&self) -> Option<&str> {
        self.answer()?.strip_prefix("open-failed ")
    }

    /// `key=value` fields of an `opened` line.
    fn fields(&self) -> Vec<(&str, &str)> {
        self.answer()
            .and_then(|line| line.strip_prefix("opened"))
            .map(|rest| {
                rest.split_whitespace()
                    .filter_map(|field| field.split_once('='))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn count(&self, key: &str) -> u64 {
        self.fields()
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, v)| v.parse().unwrap_or(0))
    }

    fn wrong_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with("WRONG"))
            .collect()
    }

    fn first_error(&self) -> Option<&str> {
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix("first-error "))
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTRAP => "SIGTRAP",
        _ => "?",
    }
}

/// An error's variants without their details: `Open(NotRedb` for
/// `Open(NotRedb("..."))`.
fn error_class(debug: &str) -> String {
    let class: String = debug
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '(' || *c == '_')
        .collect();
    class.trim_end_matches('(').to_owned()
}

/// `f` for every seed on a few threads at once; results in seed order.
fn for_each_seed<T: Send>(seeds: &[u64], f: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let result = f(seed);
                    results.lock().expect("results").push((i, result));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// The seeds to run: `DAMAGE_SEED` alone, or `0..count`, where `count` is
/// read from the variable `count_from` when given and set, else `default`.
fn seeds(count_from: Option<&str>, default: u64) -> Vec<u64> {
    let var = |name: &str| {
        std::env::var(name).ok().map(|v| {
            v.parse::<u64>()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
    };
    match var("DAMAGE_SEED") {
        Some(seed) => vec![seed],
        None => (0..count_from.and_then(var).unwrap_or(default)).collect(),
    }
}

/// Keep a failing damaged copy and its expected state where they outlive
/// the run; returns a line saying where.
fn keep(name: &str, bytes: &[u8], expected: &Path) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("damage-failures");
    std::fs::create_dir_all(&dir).expect("create the failures directory");
    let copy = dir.join(format!("{name}.redb"));
    let state = dir.join(format!("{name}.expected"));
    std::fs::write(&copy, bytes).expect("keep the damaged copy");
    std::fs::copy(expected, &state).expect("keep the expected state");
    format!(
        "kept: AUTHKV_DAMAGE_ROLE=\"exercise {} {}\"",
        copy.display(),
        state.display()
    )
}

// ---------------------------------------------------------------------------
// Damage

/// splitmix64: a small deterministic generator, one per seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `lo..hi` (`lo` when the range is empty).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % (hi - lo) as u64) as usize
    }

    /// A byte that changes whatever it is XORed into.
    fn mask(&mut self) -> u8 {
        self.range(1, 256) as u8
    }
}

/// The ways a copy is damaged; seed `n` gets `KINDS[n % 5]`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    /// 1 to 8 bytes flipped anywhere past the first 512.
    FlipBytes,
    /// 1 to 8 bytes flipped within the first 4 KiB (redb's header).
    FlipHeader,
    /// Cut to 0 bytes, to 1..320, or somewhere past that.
    Truncate,
    /// One 4 KiB-aligned page zeroed.
    ZeroPage,
    /// One 4 KiB-aligned page overwritten with random bytes.
    RandomPage,
}

const KINDS: [Kind; 5] = [
    Kind::FlipBytes,
    Kind::FlipHeader,
    Kind::Truncate,
    Kind::ZeroPage,
    Kind::RandomPage,
];

impl Kind {
    fn of(seed: u64) -> Kind {
        KINDS[(seed % KINDS.len() as u64) as usize]
    }

    fn name(self) -> &'static str {
        match self {
            Kind::FlipBytes => "flip-bytes",
            Kind::FlipHeader => "flip-header",
            Kind::Truncate => "truncate",
            Kind::ZeroPage => "zero-page",
            Kind::RandomPage => "random-page",
        }
    }
}

/// The copy of `pristine` that `seed` damages, and what was done to it.
fn damage(pristine: &[u8], seed: u64) -> (Vec<u8>, String) {
    let mut rng = SplitMix64(seed);
    let mut bytes = pristine.to_vec();
    let len = bytes.len();
    let pages = len.div_ceil(PAGE);
    let what = match Kind::of(seed) {
        Kind::FlipBytes => flip(&mut bytes, &mut rng, 512, len),
        Kind::FlipHeader => flip(&mut bytes, &mut rng, 0, len.min(PAGE)),
        Kind::Truncate => {
            let to = match rng.range(0, 8) {
                0 => 0,
                1..=3 => rng.range(1, 320),
                _ => rng.range(320, len),
            };
            bytes.truncate(to);
            format!("truncated to {to} of {len} bytes")
        }
        Kind::ZeroPage | Kind::RandomPage => {
            let page = rng.range(0, pages);
            let (start, end) = (page * PAGE, ((page + 1) * PAGE).min(len));
            let random = Kind::of(seed) == Kind::RandomPage;
            for byte in &mut bytes[start..end] {
                *byte = if random { rng.next() as u8 } else { 0 };
            }
            let how = if random { "random bytes" } else { "zeros" };
            format!("page {page} of {pages} ({start:#x}..{end:#x}) overwritten with {how}")
        }
    };
    (bytes, what)
}

/// XOR 1 to 8 bytes in `lo..hi` with non-zero masks.
fn flip(bytes: &mut [u8], rng: &mut SplitMix64, lo: usize, hi: usize) -> String {
    let count = rng.range(1, 9);
    let flips: Vec<String> = (0..count)
        .map(|_| {
            let at = rng.range(lo, hi);
            let mask = rng.mask();
            bytes[at] ^= mask;
            format!("{at:#x}^{mask:#04x}")
        })
        .collect();
    format!("flipped {count} bytes: {}", flips.join(" "))
}

// ---------------------------------------------------------------------------
// The sweep

/// What one damaged copy did.
struct SeedRun {
    seed: u64,
    kind: Kind,
    exercise: ChildRun,
    /// The second open, when the first one succeeded.
    reopen: Option<ChildRun>,
    failures: Vec<String>,
}

fn a_damaged_file_answers_with_the_data_as_written_or_an_error(fixture: &Fixture) -> Vec<String> {
    let seeds = seeds(Some("DAMAGE_SEEDS"), DEFAULT_SEEDS);
    let runs = for_each_seed(&seeds, |seed| run_seed(fixture, seed));
    for kind in KINDS {
        let of_kind: Vec<&SeedRun> = runs.iter().filter(|r| r.kind == kind).collect();
        if !of_kind.is_empty() {
            println!("  {}", kind_summary(kind, &of_kind));
        }
    }
    runs.into_iter().flat_map(|run| run.failures).collect()
}

/// Damage a copy as `seed` says, exercise it in a child and, when it opened,
/// open it once more in another.
fn run_seed(fixture: &Fixture, seed: u64) -> SeedRun {
    let kind = Kind::of(seed);
    let (bytes, what) = damage(&fixture.bytes, seed);
    let dir = tempfile::tempdir_in(fixture.dir.path()).expect("seed dir");
    let path = dir.path().join("damaged.redb");
    std::fs::write(&path, &bytes).expect("write the damaged copy");
    let exercise = run_child(&format!(
        "exercise {} {}",
        path.display(),
        fixture.expected_path.display()
    ));
    let mut problems = Vec::new();
    if let Some(problem) = exercise.problem() {
        problems.push(problem);
    }
    for wrong in exercise.wrong_lines() {
        problems.push(format!("returned other data with Ok: {wrong}"));
    }
    if let Some(e) = exercise.open_error() {
        let after = std::fs::read(&path).expect("read the copy back");
        if !same_but_the_in_use_flag(&after, &bytes) {
            problems.push(format!(
                "the open failed ({}) and still changed the file ({} bytes before, {} after)",
                error_class(e),
                bytes.len(),
                after.len()
            ));
        }
    }
    let reopen = exercise.opened().then(|| {
        let reopen = run_child(&format!("open {} exclusive", path.display()));
        if let Some(problem) = reopen.problem() {
            problems.push(format!("reopen: {problem}"));
        } else if let Some(e) = reopen.open_error() {
            problems.push(format!(
                "the copy opened, and after the engine used it no longer opens: {e}"
            ));
        }
        reopen
    });
    let mut failures = Vec::new();
    if !problems.is_empty() {
        let kept = keep(
            &format!("sweep-seed-{seed}"),
            &bytes,
            &fixture.expected_path,
        );
        failures.push(format!(
            "seed {seed} ({}; replay with DAMAGE_SEED={seed}): {what}\n{}\n{kept}",
            kind.name(),
            problems.join("\n")
        ));
    }
    SeedRun {
        seed,
        kind,
        exercise,
        reopen,
        failures,
    }
}

/// One line per kind: how many copies opened, how their reads answered.
fn kind_summary(kind: Kind, runs: &[&SeedRun]) -> String {
    let opened: Vec<&&SeedRun> = runs.iter().filter(|r| r.exercise.opened()).collect();
    let mut open_errors: BTreeMap<String, usize> = BTreeMap::new();
    for run in runs {
        if let Some(e) = run.exercise.open_error() {
            *open_errors.entry(error_class(e)).or_default() += 1;
        }
    }
    let sum = |key: &str| -> u64 { opened.iter().map(|r| r.exercise.count(key)).sum() };
    let answers = |area: &str| {
        ["ok", "none", "corrupt", "err", "wrong"]
            .iter()
            .map(|a| format!("{} {a}", sum(&format!("{area}_{a}"))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tally = |key: &str| {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for run in &opened {
            if let Some((_, v)) = run.exercise.fields().into_iter().find(|(k, _)| *k == key) {
                *seen.entry(v).or_default() += 1;
            }
        }
        if seen.is_empty() {
            return "-".to_owned();
        }
        seen.iter()
            .map(|(v, n)| format!("{n} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut read_errors: BTreeMap<String, usize> = BTreeMap::new();
    for run in &opened {
        if let Some(e) = run.exercise.first_error() {
            let e = e.split_once(": ").map_or(e, |(_, e)| e);
            *read_errors.entry(error_class(e)).or_default() += 1;
        }
    }
    let reopened = runs
        .iter()
        .filter(|r| r.reopen.as_ref().is_some_and(ChildRun::opened))
        .count();
    let failed = runs.iter().filter(|r| !r.failures.is_empty()).count();
    let failed_seeds: Vec<String> = runs
        .iter()
        .filter(|r| !r.failures.is_empty())
        .map(|r| r.seed.to_string())
        .collect();
    format!(
        "{}: {} seeds, {} opened, open errors {:?}; sessions: {}; tokens: {}; \
         write: {}; verify: {}; close: {}; first read error per copy {:?}; \
         {reopened} reopened; {failed} failed{}",
        kind.name(),
        runs.len(),
        opened.len(),
        open_errors,
        answers("sessions"),
        answers("tokens"),
        tally("write"),
        tally("verify"),
        tally("close"),
        read_errors,
        if failed_seeds.is_empty() {
            String::new()
        } else {
            format!(" (seeds {})", failed_seeds.join(" "))
        }
    )
}

// ---------------------------------------------------------------------------
// One flipped byte in a session record

fn a_flipped_byte_in_a_record_is_corrupt_not_other_data(fixture: &Fixture) -> Vec<String> {
    let stored = stored_session_records(fixture);
    let seeds = seeds(None, RECORD_SEEDS);
    let results = for_each_seed(&seeds, |seed| flip_in_record(fixture, &stored, seed));
    let mut answers: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (answer, failure) in results {
        *answers.entry(answer).or_default() += 1;
        failures.extend(failure);
    }
    println!("  {} seeds, answers {answers:?}", seeds.len());
    failures
}

/// Every fixture session's stored bytes, read with redb from a scratch copy.
fn stored_session_records(fixture: &Fixture) -> Vec<Vec<u8>> {
    use redb::{ReadableDatabase, ReadableTableMetadata};
    let dir = tempfile::tempdir_in(fixture.dir.path()).expect("scratch dir");
    let path = dir.path().join("read.redb");
    std::fs::write(&path, &fixture.bytes).expect("scratch copy");
    let db = redb::Database::open(&path).expect("open with redb");
    let txn = db.begin_read().expect("read");
    let table = txn.open_table(SESSIONS_TABLE).expect("sessions table");
    let stored: Vec<Vec<u8>> = fixture
        .expected
        .sessions
        .iter()
        .map(|s| {
            let key = common::stored_key(&s.id);
            let value = table.get(&key).expect("get").expect("stored session");
            value.value().to_vec()
        })
        .collect();
    assert_eq!(
        table.len().expect("len"),
        SESSIONS,
        "only the fixture's sessions"
    );
    stored
}

/// Flip one byte of one session's stored record (at the same place in every
/// copy of the record the file holds, so that the live one is hit), then load
/// that session in a child. Returns how it answered and, if that is not an
/// error or `None`, the failure.
fn flip_in_record(fixture: &Fixture, stored: &[Vec<u8>], seed: u64) -> (String, Option<String>) {
    let mut rng = SplitMix64(seed ^ 0x7265_636F_7264);
    let index = rng.range(0, stored.len());
    let session = &fixture.expected.sessions[index];
    let record = &stored[index];
    let copies = occurrences(&fixture.bytes, record);
    let at = rng.range(0, record.len());
    let mask = rng.mask();
    let mut bytes = fixture.bytes.clone();
    for start in &copies {
        bytes[start + at] ^= mask;
    }
    let what = format!(
        "session of user {} (record of {} bytes, {} copies in the file at {:x?}): byte {at} ^{mask:#04x}",
        session.user,
        record.len(),
        copies.len(),
        copies
    );
    if copies.is_empty() {
        return (
            "record not found".into(),
            Some(format!(
                "seed {seed}: {what}: the record's bytes are not in the file"
            )),
        );
    }
    let dir = tempfile::tempdir_in(fixture.dir.path()).expect("seed dir");
    let path = dir.path().join("flipped.redb");
    std::fs::write(&path, &bytes).expect("write the damaged copy");
    let expected_path = dir.path().join("one.expected");
    Expected {
        sessions: vec![session.clone()],
        tokens: Vec::new(),
    }
    .write(&expected_path);
    let run = run_child(&format!(
        "exercise {} {}",
        path.display(),
        expected_path.display()
    ));
    let mut problems = Vec::new();
    if let Some(problem) = run.problem() {
        problems.push(problem);
    }
    let answer = if run.count("sessions_ok") > 0 {
        problems.push("Ok(Some) with the data as written: the damage went unnoticed".into());
        "ok (unnoticed)".to_owned()
    } else if run.count("sessions_wrong") > 0 {
        for wrong in run.wrong_lines() {
            problems.push(format!("returned other data with Ok: {wrong}"));
        }
        "other data".to_owned()
    } else if run.count("sessions_corrupt") > 0 {
        "Corrupt".to_owned()
    } else if run.count("sessions_none") > 0 {
        "None".to_owned()
    } else if run.count("sessions_err") > 0 {
        let e = run.first_error().unwrap_or("?");
        error_class(e.split_once(": ").map_or(e, |(_, e)| e))
    } else if let Some(e) = run.open_error() {
        format!("open failed: {}", error_class(e))
    } else {
        "no answer".to_owned()
    };
    if run.opened() {
        let reopen = run_child(&format!("open {} exclusive", path.display()));
        if let Some(problem) = reopen.problem() {
            problems.push(format!("reopen: {problem}"));
        } else if let Some(e) = reopen.open_error() {
            problems.push(format!(
                "the copy opened, and after the engine used it no longer opens: {e}"
            ));
        }
    }
    let failure = (!problems.is_empty()).then(|| {
        let kept = keep(&format!("record-seed-{seed}"), &bytes, &expected_path);
        format!(
            "seed {seed} (record flip; replay with DAMAGE_SEED={seed}): {what}\n{}\n{kept}",
            problems.join("\n")
        )
    });
    (answer, failure)
}

/// Where `needle` starts in `haystack`, every time.
fn occurrences(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return Vec::new();
    }
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(at, _)| at)
        .collect()
}

// ---------------------------------------------------------------------------
// Truncated and emptied files

fn a_truncated_or_empty_file_is_an_error_not_a_new_database(fixture: &Fixture) -> Vec<String> {
    let len = fixture.bytes.len();
    let mut failures = Vec::new();
    let mut answers = Vec::new();
    for to in [0, 100, 319, len / 2] {
        let dir = tempfile::tempdir_in(fixture.dir.path()).expect("dir");
        let path = dir.path().join("truncated.redb");
        let bytes = &fixture.bytes[..to];
        std::fs::write(&path, bytes).expect("write the truncated copy");
        let run = run_child(&format!("open {} default", path.display()));
        let mut problems = Vec::new();
        if let Some(problem) = run.problem() {
            problems.push(problem);
        }
        match run.open_error() {
            Some(e) => answers.push(format!("{to}: {}", e.chars().take(100).collect::<String>())),
            None if run.opened() => {
                answers.push(format!("{to}: opened"));
                problems.push("opened: the damaged file was taken for a database".into());
            }
            None => {}
        }
        let after = std::fs::read(&path).expect("read the copy back");
        if after != bytes {
            problems.push(format!(
                "the file changed: {} bytes before the open, {} after",
                bytes.len(),
                after.len()
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "truncated to {to} of {len} bytes, opened with Config::default(): {}",
                problems.join("; ")
            ));
        }
    }
    println!("  answers by length: {}", answers.join("; "));
    failures
}

/// Offset of redb's "god byte": redb itself sets its "recovery required"
/// bit there when it opens a file, before authkv can judge the file. On a
/// file found damaged authkv then closes nothing, so the bit stays set, and
/// the next open repairs (what a damaged file needs); every other byte must
/// be as it was.
const REDB_FLAGS_OFFSET: usize = 9;

fn same_but_the_in_use_flag(after: &[u8], before: &[u8]) -> bool {
    after.len() == before.len()
        && after
            .iter()
            .zip(before)
            .enumerate()
            .all(|(i, (a, b))| a == b || i == REDB_FLAGS_OFFSET)
}
