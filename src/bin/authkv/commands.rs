//! Running a parsed command: opening the database with the application's
//! settings, calling the library, printing the result, and choosing the
//! exit status.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use authkv::{
    Concurrency, Config, Engine, Error, Exported, MAX_PASSWORD_LEN, OpenError, SessionError,
};

use crate::command::{Command, DbCommand, Global, ImportKind, Invocation};
use crate::json::Json;
use crate::{Exit, Failure, help, import, output, time};

/// How often `gc` may print a progress line.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Run a command line; `Ok` carries the exit status of a command that ran.
pub fn run(invocation: Invocation) -> Result<Exit, Failure> {
    let Invocation { global, command } = invocation;
    match command {
        Command::Help(topic) => show_help(topic.as_deref()),
        Command::Version => {
            print(&format!(
                "authkv {} (database schema {})\n",
                env!("CARGO_PKG_VERSION"),
                authkv::SCHEMA_VERSION
            ))?;
            Ok(Exit::Ok)
        }
        Command::Db(command) => {
            let path = global
                .db
                .clone()
                .ok_or_else(|| Failure::new(Exit::Usage, "--db FILE is required"))?;
            let engine = open(&path, &global, &command)?;
            if command == DbCommand::Compact {
                return compact(engine, &path, global.json);
            }
            let exit = execute(&engine, &path, &global, command)?;
            engine.close()?;
            Ok(exit)
        }
    }
}

fn show_help(topic: Option<&str>) -> Result<Exit, Failure> {
    let text = match topic {
        None => help::OVERVIEW,
        Some(topic) => help::page(topic).ok_or_else(|| {
            Failure::new(
                Exit::Usage,
                format!(
                    "no help on {topic:?}; topics: stats, verify, gc, sessions, tokens, users, \
                     import, export, options"
                ),
            )
        })?,
    };
    print(text)?;
    Ok(Exit::Ok)
}

/// Write `text` to stdout. A closed stdout (a pipe into `head`) is a
/// failure like any other write error.
fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::failed(format!("cannot write to stdout: {e}")))
}

/// Open the database with the application's settings. A missing file is
/// refused unless `--create` was given, so a typo never makes a new file.
fn open(path: &Path, global: &Global, command: &DbCommand) -> Result<Engine, Failure> {
    let cannot_open = |message: String| Failure::new(Exit::CannotOpen, message);
    let shown = path.display();
    if !global.create
        && let Err(e) = std::fs::metadata(path)
        && e.kind() == std::io::ErrorKind::NotFound
    {
        return Err(cannot_open(format!(
            "{shown}: no such database file (pass --create to make a new one)"
        )));
    }
    let mut config = Config::default();
    if *command == DbCommand::Compact {
        // Rewriting the file needs it to itself.
        config.concurrency = Concurrency::Exclusive;
    }
    let seconds = Duration::from_secs;
    if let Some(idle) = global.idle_lifetime {
        config.idle_lifetime = seconds(idle);
    }
    config.absolute_lifetime = global.absolute_lifetime.map(seconds);
    config.token_expiration = global.token_expiration.map(seconds);
    if let Some(window) = global.throttle_window {
        config.throttle_window = seconds(window);
    }
    if let Some(prefix) = &global.token_prefix {
        config.token_prefix.clone_from(prefix);
    }
    if let DbCommand::Gc {
        batch_size,
        token_prune_hours,
        ..
    } = command
    {
        if let Some(batch) = batch_size {
            config.gc_batch_size = *batch;
        }
        if let Some(hours) = token_prune_hours {
            config.token_prune_hours = *hours;
        }
    }
    Engine::open(path, config).map_err(|e| match e {
        Error::InvalidConfig(message) => Failure::new(Exit::Usage, message),
        Error::Open(OpenError::Locked) => cannot_open(format!(
            "{shown}: database is locked: a process opened it for itself alone \
             (Concurrency::Exclusive / the exclusive option); stop it first, or make the \
             change through it"
        )),
        other => cannot_open(format!("{shown}: {other}")),
    })
}

/// Rewrite the file without its free space and report both sizes.
fn compact(engine: Engine, path: &Path, json: bool) -> Result<Exit, Failure> {
    let size = || std::fs::metadata(path).map_or(0, |m| m.len());
    let before = size();
    engine.compact()?.close()?;
    let after = size();
    print(&if json {
        format!("{{\"bytes_before\":{before},\"bytes_after\":{after}}}\n")
    } else {
        format!(
            "compacted {}: {before} bytes -> {after} bytes\n",
            path.display()
        )
    })?;
    Ok(Exit::Ok)
}

fn execute(
    engine: &Engine,
    path: &Path,
    global: &Global,
    command: DbCommand,
) -> Result<Exit, Failure> {
    let json = global.json;
    match command {
        DbCommand::Stats => {
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            print(&output::stats(&engine.stats()?, path, bytes, json))?;
        }
        DbCommand::Backup { to } => {
            let rows = engine.backup_to(&to)?;
            print(&if json {
                format!("{{\"rows\":{rows}}}\n")
            } else {
                format!("backed up {rows} rows to {}\n", to.display())
            })?;
        }
        // Run by `compact`, which needs the engine itself.
        DbCommand::Compact => return Err(Failure::failed("compact cannot run here")),
        DbCommand::Verify => {
            let report = engine.verify()?;
            print(&output::verify(&report, json))?;
            if !report.is_consistent() {
                eprintln!("authkv: verify found {} problems", report.problems.len());
                return Ok(Exit::Inconsistent);
            }
        }
        DbCommand::Gc { quiet, .. } => {
            let mut last: Option<Instant> = None;
            let report = engine.gc_with_progress(|so_far| {
                if quiet || last.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
                    return;
                }
                eprintln!("authkv: gc: so far {}", output::gc_line(so_far));
                last = Some(Instant::now());
            })?;
            print(&output::gc(&report, json))?;
        }
        DbCommand::SessionsList { user } => {
            print(&output::sessions(user, &engine.user_sessions(user)?, json))?;
        }
        DbCommand::SessionsRevoke { handle } => {
            match engine.revoke_session(&handle) {
                Err(Error::Session(SessionError::UnknownHandle)) => {
                    return Err(Failure::failed(format!("no session has handle {handle}")));
                }
                other => other?,
            }
            let sentence = format!("revoked session {handle}");
            let value = Json::obj([("revoked", Json::str(&handle))]);
            print(&output::done(&value, &sentence, json))?;
        }
        DbCommand::SessionsRevokeUser { user } => {
            let n = engine.revoke_user_sessions(user, None)?;
            print(&output::count("revoked", "sessions revoked", n, json))?;
        }
        DbCommand::TokensCreate {
            user,
            name,
            abilities,
            expires_in,
        } => {
            let expires_at = expires_in.map(|d| time::now().saturating_add(d));
            let token = engine.create_token(user, &name, &abilities, expires_at)?;
            print(&output::new_token(&token, user, json))?;
            eprintln!(
                "authkv: created token {} for user {user}; it is shown this once",
                token.id
            );
        }
        DbCommand::TokensList { user } => {
            print(&output::tokens(user, &engine.user_tokens(user)?, json))?;
        }
        DbCommand::TokensRevoke { id } => {
            if !engine.revoke_token(id)? {
                return Err(Failure::failed(format!("no token has id {id}")));
            }
            let sentence = format!("revoked token {id}");
            let value = Json::obj([("revoked", Json::num(id))]);
            print(&output::done(&value, &sentence, json))?;
        }
        DbCommand::TokensPrune { hours } => {
            let n = engine.prune_expired_tokens(hours)?;
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            print(&output::count("pruned", "tokens pruned", n, json))?;
        }
        DbCommand::SetPassword { user, login } => {
            let password = read_password()?;
            engine.set_password(user, &login, &password)?;
            drop(password);
            let sentence = format!(
                "password set for user {user} (login {})",
                output::clean(&login)
            );
            let value = Json::obj([("user_id", Json::num(user)), ("login", Json::str(login))]);
            print(&output::done(&value, &sentence, json))?;
        }
        DbCommand::Import(args) => {
            let outcome = import::run(engine, &args)?;
            let what = match args.kind {
                ImportKind::Sanctum => "tokens",
                ImportKind::Sessions => "sessions",
            };
            print(&output::imported(
                what,
                outcome.imported,
                outcome.bad_rows,
                json,
            ))?;
            if outcome.bad_rows > 0 {
                return Ok(Exit::BadRows);
            }
        }
        DbCommand::Export => export(engine)?,
    }
    Ok(Exit::Ok)
}

/// The password from stdin: one line, its line ending removed. From a
/// terminal only the first line is read; from a pipe or file the input must
/// be that one line, so that a wrong file is not taken for a password.
fn read_password() -> Result<String, Failure> {
    let stdin = std::io::stdin();
    let limit = u64::try_from(MAX_PASSWORD_LEN).unwrap_or(u64::MAX) + 3;
    let mut bytes = Vec::new();
    let read = if stdin.is_terminal() {
        eprint!("password (it will echo; pipe it in to avoid that): ");
        stdin.lock().take(limit).read_until(b'\n', &mut bytes)
    } else {
        stdin.lock().take(limit).read_to_end(&mut bytes)
    };
    read.map_err(|e| Failure::failed(format!("cannot read the password from stdin: {e}")))?;
    if bytes.len() as u64 >= limit {
        return Err(Failure::failed(format!(
            "the password on stdin is longer than {MAX_PASSWORD_LEN} bytes"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::failed("the password on stdin is not UTF-8 text"))?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.contains('\n') {
        return Err(Failure::failed(
            "stdin holds more than one line; give the password alone on one line",
        ));
    }
    Ok(line.to_owned())
}

/// Stream every record as a JSON line; counts go to stderr.
fn export(engine: &Engine) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = None;
    let (mut sessions, mut tokens, mut credentials) = (0u64, 0u64, 0u64);
    engine.export(|record| {
        match &record {
            Exported::Session(_) => sessions += 1,
            Exported::Token(_) => tokens += 1,
            Exported::Credential(_) => credentials += 1,
            _ => {}
        }
        let Some(line) = output::exported(&record) else {
            return ControlFlow::Continue(());
        };
        match out.write_all(line.as_bytes()) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(e) = failed.or_else(|| out.flush().err()) {
        return Err(Failure::failed(format!("cannot write to stdout: {e}")));
    }
    eprintln!("authkv: exported {sessions} sessions, {tokens} tokens, {credentials} credentials");
    Ok(())
}
