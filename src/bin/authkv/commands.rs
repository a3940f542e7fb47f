//! Running a parsed command: opening the database with the application's
//! settings, calling the library, printing the result, and choosing the
//! exit status.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use authkv::{Concurrency, Config, Engine, Error, Exported, OpenError, SessionError, TokenError};
use serde_json::json;

use crate::command::{Cli, Command, Global, ImportKind, Quiet, ServerUrl, Sessions, Tokens, Users};
use crate::progress::{self, GcProgress, Unit};
use crate::stdout::{self, print};
use crate::{Exit, Failure, import, output, password, time};

/// Run a checked command line; `Ok` carries the exit status of a command
/// that ran.
pub fn run(cli: Cli) -> Result<Exit, Failure> {
    let Cli { global, command } = cli;
    let config = config(&global, &command);
    let (engine, file) = match (&global.db, &global.postgres) {
        (Some(path), _) => (open_file(path, &global, config)?, Some(path.clone())),
        (None, Some(url)) => (open_server(url, config)?, None),
        (None, None) => {
            return Err(Failure::new(
                Exit::Usage,
                "--db FILE or --postgres URL is required",
            ));
        }
    };
    if command == Command::Compact {
        let Some(path) = file else {
            return Err(Failure::failed(
                "compact rewrites a database file; PostgreSQL reclaims space with VACUUM",
            ));
        };
        return compact(engine, &path, global.json);
    }
    let exit = execute(&engine, file.as_deref(), &global, command)?;
    engine.close()?;
    Ok(exit)
}

/// Open the database file. A missing file is refused unless `--create` was
/// given, so a typo never makes a new file.
fn open_file(path: &Path, global: &Global, config: Config) -> Result<Engine, Failure> {
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

/// Open the authkv tables in the PostgreSQL database at `url` (never shown:
/// it may hold a password).
fn open_server(url: &ServerUrl, config: Config) -> Result<Engine, Failure> {
    Engine::open_postgres(&url.0, config).map_err(|e| match e {
        Error::InvalidConfig(message) => Failure::new(Exit::Usage, message),
        other => Failure::new(
            Exit::CannotOpen,
            format!("the PostgreSQL database: {other}"),
        ),
    })
}

/// The application's settings, from the command line.
fn config(global: &Global, command: &Command) -> Config {
    let mut config = Config::default();
    if *command == Command::Compact {
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
    if let Command::Gc(gc) = command {
        if let Some(batch) = gc.batch_size {
            config.gc_batch_size = batch;
        }
        if let Some(hours) = gc.token_prune_hours {
            config.token_prune_hours = hours;
        }
    }
    config
}

/// Rewrite the file without its free space and report both sizes.
fn compact(engine: Engine, path: &Path, json: bool) -> Result<Exit, Failure> {
    let size = || std::fs::metadata(path).map_or(0, |m| m.len());
    let before = size();
    engine.compact()?.close()?;
    let after = size();
    let value = json!({ "bytes_before": before, "bytes_after": after });
    let sentence = format!(
        "compacted {}: {before} bytes -> {after} bytes",
        path.display()
    );
    print(&output::done(&value, &sentence, json))?;
    Ok(Exit::Ok)
}

fn execute(
    engine: &Engine,
    file: Option<&Path>,
    global: &Global,
    command: Command,
) -> Result<Exit, Failure> {
    let json = global.json;
    match command {
        Command::Stats => {
            let file = file.map(|path| (path, std::fs::metadata(path).map_or(0, |m| m.len())));
            print(&output::stats(&engine.stats()?, file, json))?;
        }
        Command::Backup { to } => {
            let rows = engine.backup_to(&to)?;
            let sentence = format!("backed up {rows} rows to {}", to.display());
            print(&output::done(&json!({ "rows": rows }), &sentence, json))?;
        }
        // Run by `compact`, which needs the engine itself.
        Command::Compact => return Err(Failure::failed("compact cannot run here")),
        Command::Verify => {
            let report = engine.verify()?;
            print(&output::verify(&report, json))?;
            if !report.is_consistent() {
                eprintln!("authkv: verify found {} problems", report.problems.len());
                return Ok(Exit::Inconsistent);
            }
        }
        Command::Gc(gc) => {
            let mut progress = GcProgress::new(gc.quiet.quiet);
            let report = engine.gc_with_progress(|so_far| progress.update(so_far));
            progress.finish();
            print(&output::gc(&report?, json))?;
        }
        Command::Sessions(command) => sessions(engine, command, json)?,
        Command::Tokens(command) => tokens(engine, command, json)?,
        Command::Users(Users::SetPassword { user, login }) => {
            let password = password::read()?;
            engine.set_password(user, &login, &password)?;
            drop(password);
            let sentence = format!(
                "password set for user {user} (login {})",
                output::clean(&login)
            );
            let value = json!({ "user_id": user, "login": login });
            print(&output::done(&value, &sentence, json))?;
        }
        Command::Import(args) => {
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
        Command::Export(quiet) => export(engine, quiet)?,
    }
    Ok(Exit::Ok)
}

fn sessions(engine: &Engine, command: Sessions, json: bool) -> Result<(), Failure> {
    match command {
        Sessions::List { user } => {
            print(&output::sessions(user, &engine.user_sessions(user)?, json))
        }
        Sessions::Revoke { handle } => {
            match engine.revoke_session(&handle) {
                Err(Error::Session(SessionError::UnknownHandle)) => {
                    return Err(Failure::failed(format!("no session has handle {handle}")));
                }
                other => other?,
            }
            let sentence = format!("revoked session {handle}");
            print(&output::done(
                &json!({ "revoked": handle }),
                &sentence,
                json,
            ))
        }
        Sessions::RevokeUser { user } => {
            let n = engine.revoke_user_sessions(user, None)?;
            print(&output::count("revoked", "sessions revoked", n, json))
        }
    }
}

fn tokens(engine: &Engine, command: Tokens, json: bool) -> Result<(), Failure> {
    match command {
        Tokens::Create {
            user,
            name,
            abilities,
            expires_in,
            limits,
        } => {
            let expires_at = expires_in.map(|d| time::now().saturating_add(d));
            let limits = limits.limits();
            let token =
                engine.create_token_with_limits(user, &name, &abilities, expires_at, &limits)?;
            print(&output::new_token(&token, user, &limits, json))?;
            eprintln!(
                "authkv: created token {} for user {user}; it is shown this once",
                token.id
            );
            Ok(())
        }
        Tokens::List { user } => print(&output::tokens(user, &engine.user_tokens(user)?, json)),
        Tokens::Revoke { id } => {
            if !engine.revoke_token(id)? {
                return Err(Failure::failed(format!("no token has id {id}")));
            }
            let sentence = format!("revoked token {id}");
            print(&output::done(&json!({ "revoked": id }), &sentence, json))
        }
        Tokens::Limits {
            id,
            limits,
            unlimited,
        } => {
            let no_token = || Failure::failed(format!("no token has id {id}"));
            let shown = if unlimited || !limits.is_empty() {
                let limits = limits.limits();
                match engine.set_token_limits(id, &limits) {
                    Err(Error::Token(TokenError::UnknownToken { .. })) => return Err(no_token()),
                    other => other?,
                }
                limits
            } else {
                let token = engine.export_token(id)?.ok_or_else(no_token)?;
                token.limits.unwrap_or_default()
            };
            print(&output::limits(id, &shown, json))
        }
        Tokens::Prune { hours } => {
            let n = engine.prune_expired_tokens(hours)?;
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            print(&output::count("pruned", "tokens pruned", n, json))
        }
    }
}

/// Stream every record as a JSON line; counts go to stderr.
fn export(engine: &Engine, quiet: Quiet) -> Result<(), Failure> {
    let stats = engine.stats()?;
    let total = stats.sessions + stats.tokens + stats.credentials;
    let bar = progress::bar(quiet.quiet, "export", Some(total), Unit::Items);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = None;
    let (mut sessions, mut tokens, mut credentials) = (0u64, 0u64, 0u64);
    let exported = engine.export(|record| {
        match &record {
            Exported::Session(_) => sessions += 1,
            Exported::Token(_) => tokens += 1,
            Exported::Credential(_) => credentials += 1,
            _ => {}
        }
        bar.inc(1);
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
    });
    bar.finish_and_clear();
    exported?;
    if let Some(e) = failed.or_else(|| out.flush().err()) {
        return Err(stdout::failure(e));
    }
    eprintln!("authkv: exported {sessions} sessions, {tokens} tokens, {credentials} credentials");
    Ok(())
}
