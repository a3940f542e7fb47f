//! From `argv` to a [`Cli`] that can run, or exit 2 with one line saying
//! what is wrong. clap parses; this adds what clap cannot express (a
//! password option refused before anything else, checks across options)
//! and words clap's errors the way the rest of the tool talks. Every check
//! that needs no database happens here, so exit 2 always means the
//! database was never opened.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches};

use crate::command::{Cli, Command, ImportKind, Tokens};
use crate::{Exit, stdout};

/// Why a password is never taken from the command line.
const PASSWORD_REFUSAL: &str = "refusing --password: a password on the command line is \
    visible to every user of this machine in the process list (ps, /proc) and lands in shell \
    history; `users set-password` asks for it at a terminal or reads it from stdin instead";

/// Parse the command line. `Err` is the exit status once help, the
/// version or a usage error has been printed.
pub fn parse(args: Vec<OsString>) -> Result<Cli, Exit> {
    let mut command = Cli::command().version(format!(
        "{} (database schema {})",
        env!("CARGO_PKG_VERSION"),
        authkv::SCHEMA_VERSION
    ));
    let path = command_path(&command, &args);
    if offers_password(&args) {
        return Err(usage(PASSWORD_REFUSAL, "authkv users set-password"));
    }
    let matches = command.try_get_matches_from_mut(&args);
    let cli = matches.and_then(|m| Cli::from_arg_matches(&m));
    let cli = match cli {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            // A reader that went away early is no reason to fail help.
            let _ = stdout::print(&e.render().to_string());
            return Err(Exit::Ok);
        }
        Err(e) => return Err(usage(&message(&e, &path), &path)),
    };
    check(&cli).map_err(|e| usage(&e, &path))?;
    Ok(cli)
}

/// Print a usage error and where help is; exit 2.
fn usage(message: &str, path: &str) -> Exit {
    eprintln!("authkv: {message}");
    eprintln!("(see `{path} --help`)");
    Exit::Usage
}

/// Whether `--password` is among the options, in either spelling.
fn offers_password(args: &[OsString]) -> bool {
    let options = args.iter().skip(1).take_while(|a| *a != "--");
    options
        .filter_map(|a| a.to_str())
        .any(|a| a == "--password" || a.starts_with("--password="))
}

/// The command words the arguments name, as in `authkv tokens create`.
fn command_path(command: &clap::Command, args: &[OsString]) -> String {
    let mut path = vec!["authkv".to_owned()];
    let mut current = command;
    for arg in args.iter().skip(1).filter_map(|a| a.to_str()) {
        if let Some(sub) = current.find_subcommand(arg) {
            path.push(sub.get_name().to_owned());
            current = sub;
        }
    }
    path.join(" ")
}

/// Checks across options that clap's declarations cannot make.
fn check(cli: &Cli) -> Result<(), String> {
    if cli.global.db.is_none() && cli.global.postgres.is_none() {
        return Err(
            "--db FILE or --postgres URL is required (or set AUTHKV_DB or AUTHKV_POSTGRES)".into(),
        );
    }
    match &cli.command {
        Command::Gc(_) if cli.global.idle_lifetime.is_none() => Err(
            "gc needs --idle-lifetime: it deletes sessions idle for longer, so give the \
             lifetime your application uses (Laravel's default is 120m)"
                .into(),
        ),
        Command::Import(args) => {
            if args.kind == ImportKind::Sessions && args.tokenable_type.is_some() {
                return Err("--tokenable-type is for `import sanctum` only".into());
            }
            args.format().map(drop)
        }
        Command::Tokens(Tokens::Create { limits, .. } | Tokens::Limits { limits, .. }) => {
            limits.check()
        }
        _ => Ok(()),
    }
}

/// A clap error as one line: unknown commands and options, and missing
/// ones, in the tool's words; any other error as clap words it.
fn message(e: &clap::Error, path: &str) -> String {
    let strings = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(list)) => list.clone(),
        _ => Vec::new(),
    };
    let first = |kind| strings(kind).into_iter().next().unwrap_or_default();
    match e.kind() {
        ErrorKind::InvalidSubcommand => {
            format!(
                "unknown command {:?}",
                first(ContextKind::InvalidSubcommand)
            )
        }
        ErrorKind::UnknownArgument => format!("unknown option {}", first(ContextKind::InvalidArg)),
        ErrorKind::MissingRequiredArgument => strings(ContextKind::InvalidArg)
            .iter()
            .map(|arg| format!("{} is required", arg.split(' ').next().unwrap_or(arg)))
            .collect::<Vec<_>>()
            .join("; "),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            if path == "authkv" {
                "no command given".to_owned()
            } else {
                format!("`{path}` needs a command")
            }
        }
        _ => {
            let rendered = e.render().to_string();
            let line = rendered.lines().next().unwrap_or_default();
            line.strip_prefix("error: ").unwrap_or(line).to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Format, GcArgs, LimitArgs, Quiet};

    fn run(line: &str) -> Result<Cli, Exit> {
        let args = std::iter::once("authkv").chain(line.split_whitespace());
        parse(args.map(OsString::from).collect())
    }

    #[test]
    fn options_go_anywhere_and_take_inline_values() {
        let cli =
            run("--db x.redb tokens create --user 4 --name=ci --ability a --ability=b --json")
                .expect("parse");
        assert_eq!(cli.global.db.as_deref(), Some("x.redb".as_ref()));
        assert!(cli.global.json);
        assert_eq!(
            cli.command,
            Command::Tokens(Tokens::Create {
                user: 4,
                name: "ci".into(),
                abilities: vec!["a".into(), "b".into()],
                expires_in: None,
                limits: LimitArgs::default(),
            })
        );
        let cli = run("gc --idle-lifetime 2h --db x --batch-size 5").expect("parse");
        assert_eq!(cli.global.idle_lifetime, Some(7200));
        let gc = GcArgs {
            batch_size: Some(5),
            token_prune_hours: None,
            quiet: Quiet { quiet: false },
        };
        assert_eq!(cli.command, Command::Gc(gc));
    }

    #[test]
    fn a_password_option_is_refused_in_any_spelling() {
        for line in [
            "--db x users set-password --user 1 --login a --password hunter2",
            "--db x users set-password --user 1 --login a --password=hunter2",
            "--password x",
        ] {
            assert_eq!(run(line).err(), Some(Exit::Usage), "{line}");
        }
        assert!(!offers_password(
            &["authkv", "--", "--password"].map(OsString::from)
        ));
    }

    #[test]
    fn usage_errors_are_exit_2() {
        for line in [
            "stats",
            "--db x",
            "--db x frobnicate",
            "--db x stats --user 1",
            "--db x stats --bogus",
            "--db x sessions list",
            "--db x sessions list --user abc",
            "--db x sessions list --user +1",
            "--db x sessions revoke abc",
            "--db x tokens create --user 1 --name n",
            "--db x tokens create --user 1 --name n --ability a --expires-in 5",
            "--db x tokens prune",
            "--db x gc",
            "--db x --idle-lifetime 2h gc --batch-size 0",
            "--db x import sessions rows.txt",
            "--db x import sessions a.csv --tokenable-type X",
            "--db x import tables a.csv",
            "--db x --json=yes stats",
            "--db x --db y stats",
            "--db x tokens",
            "--db x tokens create --user 1 --name n --ability a --rate-limit 0/1m",
            "--db x tokens create --user 1 --name n --ability a --rate-limit 100",
            "--db x tokens create --user 1 --name n --ability a --refill-every 1d",
            "--db x tokens limits 1 --quota 0 --refill-every 1d",
            "--db x tokens limits 1 --quota 5 --unlimited",
            "--db x tokens limits 1 --rate-limit 5/1s --unlimited",
            "--db x tokens limits x",
        ] {
            assert_eq!(run(line).err(), Some(Exit::Usage), "{line}");
        }
    }

    #[test]
    fn errors_are_worded_for_operators() {
        let command = Cli::command();
        let words = |line: &str| {
            let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
            let path = command_path(&command, &args);
            let e = command.clone().try_get_matches_from(&args).expect_err(line);
            (message(&e, &path), path)
        };
        let cases = [
            ("authkv frobnicate", "unknown command \"frobnicate\""),
            ("authkv stats --bogus", "unknown option --bogus"),
            ("authkv sessions list", "--user is required"),
            ("authkv tokens", "`authkv tokens` needs a command"),
            ("authkv", "no command given"),
        ];
        for (line, expected) in cases {
            assert_eq!(words(line).0, expected, "{line}");
        }
        assert_eq!(words("authkv tokens revoke x").1, "authkv tokens revoke");
        let (text, _) = words("authkv sessions revoke abc");
        assert!(text.contains("64 hex"), "{text}");
    }

    #[test]
    fn import_format_comes_from_the_extension_or_the_option() {
        let Command::Import(args) = run("--db x import sanctum T.CSV --skip-bad-rows")
            .expect("parse")
            .command
        else {
            panic!("import");
        };
        assert_eq!(
            (args.kind, args.format()),
            (ImportKind::Sanctum, Ok(Format::Csv))
        );
        assert!(args.skip_bad_rows);
        let Command::Import(args) = run("--db x import sessions - --format jsonl")
            .expect("parse")
            .command
        else {
            panic!("import");
        };
        assert_eq!(args.format(), Ok(Format::Jsonl));
    }

    #[test]
    fn limits_are_read_as_rate_and_quota() {
        let cli = run("--db x tokens limits 7 --rate-limit 100/1m --quota 5000 --refill-every 1d")
            .expect("parse");
        let Command::Tokens(Tokens::Limits {
            id: 7,
            limits,
            unlimited: false,
        }) = cli.command
        else {
            panic!("{:?}", cli.command);
        };
        let limits = limits.limits();
        let rate = limits.rate_limit.expect("rate limit");
        assert_eq!((rate.max, rate.window.as_secs()), (100, 60));
        let quota = limits.quota.expect("quota");
        assert_eq!(
            (quota.remaining, quota.refill_amount, quota.refill_interval),
            (5000, 5000, Some(std::time::Duration::from_secs(86_400)))
        );
        let cli = run("--db x tokens limits 7 --unlimited").expect("parse");
        assert!(matches!(
            cli.command,
            Command::Tokens(Tokens::Limits { unlimited: true, limits, .. }) if limits.is_empty()
        ));
        let cli = run("--db x tokens limits 7 --quota 0").expect("parse");
        assert!(matches!(
            cli.command,
            Command::Tokens(Tokens::Limits { limits, .. }) if limits.quota == Some(0)
        ));
    }

    #[test]
    fn a_double_dash_ends_options() {
        let cli = run("--db x tokens revoke -- 7").expect("parse");
        assert_eq!(cli.command, Command::Tokens(Tokens::Revoke { id: 7 }));
    }
}
