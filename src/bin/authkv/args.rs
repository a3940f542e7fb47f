//! The command line, parsed by hand: options anywhere (`--name value` or
//! `--name=value`), command words in order, `--` ending options. Every
//! check that needs no database happens here, so a usage error (exit 2)
//! always means the database was never opened.

use std::path::PathBuf;

use crate::command::{Command, DbCommand, Format, Global, ImportArgs, ImportKind, Invocation};
use crate::time::{parse_digits, parse_duration};

/// A command line that cannot be run, and the help topic that explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong.
    pub message: String,
    /// `authkv help TOPIC` covers it.
    pub topic: Option<&'static str>,
}

fn usage(message: impl Into<String>, topic: Option<&'static str>) -> UsageError {
    UsageError {
        message: message.into(),
        topic,
    }
}

/// How an option takes its value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arity {
    Flag,
    Value,
    Repeated,
}

/// Every option, and how it takes a value.
const OPTIONS: &[(&str, Arity)] = &[
    ("db", Arity::Value),
    ("json", Arity::Flag),
    ("create", Arity::Flag),
    ("help", Arity::Flag),
    ("version", Arity::Flag),
    ("idle-lifetime", Arity::Value),
    ("absolute-lifetime", Arity::Value),
    ("token-expiration", Arity::Value),
    ("token-prefix", Arity::Value),
    ("throttle-window", Arity::Value),
    ("user", Arity::Value),
    ("login", Arity::Value),
    ("name", Arity::Value),
    ("ability", Arity::Repeated),
    ("expires-in", Arity::Value),
    ("hours", Arity::Value),
    ("format", Arity::Value),
    ("skip-bad-rows", Arity::Flag),
    ("tokenable-type", Arity::Value),
    ("batch-size", Arity::Value),
    ("token-prune-hours", Arity::Value),
    ("quiet", Arity::Flag),
];

/// Options that apply to every command.
const GLOBAL_OPTIONS: &[&str] = &[
    "db",
    "json",
    "create",
    "help",
    "version",
    "idle-lifetime",
    "absolute-lifetime",
    "token-expiration",
    "token-prefix",
    "throttle-window",
];

/// Why a password is never taken from the command line.
pub const PASSWORD_REFUSAL: &str = "refusing --password: a password on the command line is \
    visible to every user of this machine in the process list (ps, /proc) and lands in shell history; \
    `users set-password` reads it from stdin instead, one line";

/// Options as given, in order.
struct Options {
    given: Vec<(&'static str, String)>,
}

impl Options {
    fn has(&self, name: &str) -> bool {
        self.given.iter().any(|(n, _)| *n == name)
    }

    fn all(&self, name: &str) -> Vec<String> {
        let values = self.given.iter().filter(|(n, _)| *n == name);
        values.map(|(_, v)| v.clone()).collect()
    }

    /// The value of an option given at most once.
    fn one(&self, name: &str) -> Result<Option<String>, UsageError> {
        let mut values = self.all(name);
        if values.len() > 1 {
            return Err(usage(format!("--{name} is given more than once"), None));
        }
        Ok(values.pop())
    }

    fn required(&self, name: &str, topic: &'static str) -> Result<String, UsageError> {
        self.one(name)?
            .ok_or_else(|| usage(format!("--{name} is required"), Some(topic)))
    }

    fn number(&self, name: &str, topic: &'static str) -> Result<Option<u64>, UsageError> {
        self.one(name)?
            .map(|v| {
                parse_digits(&v).ok_or_else(|| {
                    usage(
                        format!("--{name} must be a whole number, not {v:?}"),
                        Some(topic),
                    )
                })
            })
            .transpose()
    }

    fn duration(&self, name: &str, topic: &'static str) -> Result<Option<u64>, UsageError> {
        self.one(name)?
            .map(|v| parse_duration(&v).map_err(|e| usage(format!("--{name}: {e}"), Some(topic))))
            .transpose()
    }

    /// Refuse options that `topic`'s command does not take.
    fn only(&self, allowed: &[&str], topic: &'static str) -> Result<(), UsageError> {
        for (name, _) in &self.given {
            if !allowed.contains(name) && !GLOBAL_OPTIONS.contains(name) {
                return Err(usage(
                    format!("this command does not take --{name}"),
                    Some(topic),
                ));
            }
        }
        Ok(())
    }
}

/// Split arguments into options and command words.
fn split(args: Vec<String>) -> Result<(Options, Vec<String>), UsageError> {
    let mut given = Vec::new();
    let mut words = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            words.extend(args.by_ref());
            break;
        }
        let long = match arg.as_str() {
            "-h" => "--help".to_owned(),
            "-V" => "--version".to_owned(),
            _ => arg,
        };
        let Some(body) = long.strip_prefix("--") else {
            if long.len() > 1 && long.starts_with('-') {
                return Err(usage(format!("unknown option {long}"), None));
            }
            words.push(long);
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (body, None),
        };
        if name == "password" {
            return Err(usage(PASSWORD_REFUSAL, Some("users")));
        }
        let Some(&(name, arity)) = OPTIONS.iter().find(|(n, _)| *n == name) else {
            return Err(usage(format!("unknown option --{name}"), None));
        };
        let value = match (arity, inline) {
            (Arity::Flag, None) => String::new(),
            (Arity::Flag, Some(_)) => {
                return Err(usage(format!("--{name} takes no value"), None));
            }
            (_, Some(value)) => value,
            (_, None) => args
                .next()
                .ok_or_else(|| usage(format!("--{name} needs a value"), None))?,
        };
        given.push((name, value));
    }
    Ok((Options { given }, words))
}

/// Parse the arguments after the program name.
pub fn parse(args: Vec<String>) -> Result<Invocation, UsageError> {
    let (options, words) = split(args)?;
    let global = global(&options)?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if options.has("version") {
        return Ok(Invocation {
            global,
            command: Command::Version,
        });
    }
    if options.has("help") || words.first() == Some(&"help") {
        let topic = match words.as_slice() {
            ["help", topic, ..] | [topic, ..] => Some((*topic).to_owned()),
            _ => None,
        };
        return Ok(Invocation {
            global,
            command: Command::Help(topic),
        });
    }
    let command = command(&options, &words)?;
    if global.db.is_none() {
        return Err(usage("--db FILE is required", None));
    }
    Ok(Invocation {
        global,
        command: Command::Db(command),
    })
}

fn global(options: &Options) -> Result<Global, UsageError> {
    let topic = "options";
    Ok(Global {
        db: options.one("db")?.map(PathBuf::from),
        json: options.has("json"),
        create: options.has("create"),
        idle_lifetime: options.duration("idle-lifetime", topic)?,
        absolute_lifetime: options.duration("absolute-lifetime", topic)?,
        token_expiration: options.duration("token-expiration", topic)?,
        token_prefix: options.one("token-prefix")?,
        throttle_window: options.duration("throttle-window", topic)?,
    })
}

fn user(options: &Options, topic: &'static str) -> Result<u64, UsageError> {
    let value = options.required("user", topic)?;
    parse_digits(&value).ok_or_else(|| {
        usage(
            format!("--user must be a user id, not {value:?}"),
            Some(topic),
        )
    })
}

fn command(options: &Options, words: &[&str]) -> Result<DbCommand, UsageError> {
    let command = match words {
        [] => return Err(usage("no command given", None)),
        ["stats"] => {
            options.only(&[], "stats")?;
            DbCommand::Stats
        }
        ["verify"] => {
            options.only(&[], "verify")?;
            DbCommand::Verify
        }
        ["gc"] => gc(options)?,
        ["sessions", rest @ ..] => sessions(options, rest)?,
        ["tokens", rest @ ..] => tokens(options, rest)?,
        ["users", "set-password"] => {
            options.only(&["user", "login"], "users")?;
            DbCommand::SetPassword {
                user: user(options, "users")?,
                login: options.required("login", "users")?,
            }
        }
        ["import", kind, file] => import(options, kind, file)?,
        ["export"] => {
            options.only(&[], "export")?;
            DbCommand::Export
        }
        ["backup", to] => {
            options.only(&[], "backup")?;
            DbCommand::Backup { to: (*to).into() }
        }
        ["compact"] => {
            options.only(&[], "compact")?;
            DbCommand::Compact
        }
        [first, ..] => {
            let topic = crate::help::topic(first);
            let message = match topic {
                Some(_) => format!("wrong arguments for {}", words.join(" ")),
                None => format!("unknown command {first:?}"),
            };
            return Err(usage(message, topic));
        }
    };
    Ok(command)
}

fn gc(options: &Options) -> Result<DbCommand, UsageError> {
    options.only(&["batch-size", "token-prune-hours", "quiet"], "gc")?;
    if !options.has("idle-lifetime") {
        return Err(usage(
            "gc needs --idle-lifetime: it deletes sessions idle for longer, so give the \
             lifetime your application uses (Laravel's default is 120m)",
            Some("gc"),
        ));
    }
    let batch_size = options.number("batch-size", "gc")?;
    let batch_size = batch_size
        .filter(|&n| n > 0)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if options.has("batch-size") && batch_size.is_none() {
        return Err(usage("--batch-size must be at least 1", Some("gc")));
    }
    Ok(DbCommand::Gc {
        batch_size,
        token_prune_hours: options.number("token-prune-hours", "gc")?,
        quiet: options.has("quiet"),
    })
}

fn sessions(options: &Options, rest: &[&str]) -> Result<DbCommand, UsageError> {
    let topic = "sessions";
    Ok(match rest {
        ["list"] => {
            options.only(&["user"], topic)?;
            DbCommand::SessionsList {
                user: user(options, topic)?,
            }
        }
        ["revoke", handle] => {
            options.only(&[], topic)?;
            if handle.len() != 64 || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(usage(
                    "a session handle is 64 hex characters (from `sessions list`)",
                    Some(topic),
                ));
            }
            DbCommand::SessionsRevoke {
                handle: (*handle).to_owned(),
            }
        }
        ["revoke-user", id] => {
            options.only(&[], topic)?;
            let user = parse_digits(id)
                .ok_or_else(|| usage(format!("{id:?} is not a user id"), Some(topic)))?;
            DbCommand::SessionsRevokeUser { user }
        }
        _ => return Err(usage("unknown sessions command", Some(topic))),
    })
}

fn tokens(options: &Options, rest: &[&str]) -> Result<DbCommand, UsageError> {
    let topic = "tokens";
    Ok(match rest {
        ["create"] => {
            options.only(&["user", "name", "ability", "expires-in"], topic)?;
            let abilities = options.all("ability");
            if abilities.is_empty() {
                return Err(usage(
                    "give at least one --ability (`--ability '*'` grants everything)",
                    Some(topic),
                ));
            }
            DbCommand::TokensCreate {
                user: user(options, topic)?,
                name: options.required("name", topic)?,
                abilities,
                expires_in: options.duration("expires-in", topic)?,
            }
        }
        ["list"] => {
            options.only(&["user"], topic)?;
            DbCommand::TokensList {
                user: user(options, topic)?,
            }
        }
        ["revoke", id] => {
            options.only(&[], topic)?;
            let id = parse_digits(id)
                .ok_or_else(|| usage(format!("{id:?} is not a token id"), Some(topic)))?;
            DbCommand::TokensRevoke { id }
        }
        ["prune"] => {
            options.only(&["hours"], topic)?;
            let hours = options.number("hours", topic)?;
            DbCommand::TokensPrune {
                hours: hours.ok_or_else(|| usage("--hours is required", Some(topic)))?,
            }
        }
        _ => return Err(usage("unknown tokens command", Some(topic))),
    })
}

fn import(options: &Options, kind: &str, file: &str) -> Result<DbCommand, UsageError> {
    let topic = "import";
    let kind = match kind {
        "sanctum" => ImportKind::Sanctum,
        "sessions" => ImportKind::Sessions,
        other => {
            return Err(usage(
                format!("import reads `sanctum` or `sessions`, not {other:?}"),
                Some(topic),
            ));
        }
    };
    let allowed: &[&str] = match kind {
        ImportKind::Sanctum => &["format", "skip-bad-rows", "tokenable-type"],
        ImportKind::Sessions => &["format", "skip-bad-rows"],
    };
    options.only(allowed, topic)?;
    let format = match options.one("format")?.as_deref() {
        Some("csv") => Format::Csv,
        Some("jsonl") => Format::Jsonl,
        Some(other) => {
            return Err(usage(
                format!("--format is csv or jsonl, not {other:?}"),
                Some(topic),
            ));
        }
        None => match file
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
        {
            Some(ext) if ext == "csv" => Format::Csv,
            Some(ext) if ext == "jsonl" || ext == "ndjson" => Format::Jsonl,
            _ => {
                return Err(usage(
                    format!(
                        "cannot tell the format of {file:?}: name it .csv or .jsonl, or pass --format"
                    ),
                    Some(topic),
                ));
            }
        },
    };
    Ok(DbCommand::Import(ImportArgs {
        kind,
        file: PathBuf::from(file),
        format,
        skip_bad_rows: options.has("skip-bad-rows"),
        tokenable_type: options.one("tokenable-type")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Result<Invocation, UsageError> {
        parse(line.split_whitespace().map(str::to_owned).collect())
    }

    #[test]
    fn options_go_anywhere_and_take_inline_values() {
        let a = run("--db x.redb tokens create --user 4 --name=ci --ability a --ability=b --json")
            .expect("parse");
        assert_eq!(a.global.db, Some(PathBuf::from("x.redb")));
        assert!(a.global.json);
        assert_eq!(
            a.command,
            Command::Db(DbCommand::TokensCreate {
                user: 4,
                name: "ci".into(),
                abilities: vec!["a".into(), "b".into()],
                expires_in: None
            })
        );
    }

    #[test]
    fn a_password_option_is_refused_in_any_spelling() {
        for line in [
            "--db x users set-password --user 1 --login a --password hunter2",
            "--db x users set-password --user 1 --login a --password=hunter2",
            "--password x",
        ] {
            let e = run(line).expect_err(line);
            assert!(e.message.contains("stdin"), "{}", e.message);
            assert!(!e.message.contains("hunter2"));
        }
    }

    #[test]
    fn usage_errors_name_the_problem() {
        let cases = [
            ("stats", "--db FILE is required"),
            ("--db x", "no command given"),
            ("--db x frobnicate", "unknown command"),
            ("--db x stats --user 1", "does not take --user"),
            ("--db x stats --bogus", "unknown option --bogus"),
            ("--db x sessions list", "--user is required"),
            ("--db x sessions list --user abc", "user id"),
            ("--db x sessions revoke abc", "64 hex"),
            ("--db x tokens create --user 1 --name n", "--ability"),
            (
                "--db x tokens create --user 1 --name n --ability a --expires-in 5",
                "unit",
            ),
            ("--db x tokens prune", "--hours is required"),
            ("--db x gc", "--idle-lifetime"),
            ("--db x --idle-lifetime 2h gc --batch-size 0", "at least 1"),
            ("--db x import sessions rows.txt", "cannot tell the format"),
            (
                "--db x import sessions a.csv --tokenable-type X",
                "does not take",
            ),
            ("--db x --json=yes stats", "takes no value"),
            ("--db x stats --db y", "more than once"),
            ("--db x tokens", "unknown tokens command"),
        ];
        for (line, expected) in cases {
            let e = run(line).expect_err(line);
            assert!(e.message.contains(expected), "{line}: {}", e.message);
        }
    }

    #[test]
    fn help_and_version_need_no_database() {
        assert_eq!(run("--help").expect("help").command, Command::Help(None));
        assert_eq!(
            run("help tokens").expect("help").command,
            Command::Help(Some("tokens".into()))
        );
        assert_eq!(
            run("tokens create -h").expect("help").command,
            Command::Help(Some("tokens".into()))
        );
        assert_eq!(run("-V").expect("version").command, Command::Version);
    }

    #[test]
    fn import_format_comes_from_the_extension_or_the_option() {
        let a = run("--db x import sanctum T.CSV --skip-bad-rows").expect("parse");
        let Command::Db(DbCommand::Import(args)) = a.command else {
            panic!("import");
        };
        assert_eq!((args.kind, args.format), (ImportKind::Sanctum, Format::Csv));
        assert!(args.skip_bad_rows);
        let a = run("--db x import sessions - --format jsonl").expect("parse");
        let Command::Db(DbCommand::Import(args)) = a.command else {
            panic!("import");
        };
        assert_eq!(
            (args.kind, args.format),
            (ImportKind::Sessions, Format::Jsonl)
        );
    }

    #[test]
    fn a_double_dash_ends_options() {
        let a = run("--db x tokens revoke -- 7").expect("parse");
        assert_eq!(a.command, Command::Db(DbCommand::TokensRevoke { id: 7 }));
    }
}
