//! The command line as clap reads it: the options every command shares, the
//! commands and their arguments. Doc comments here are the `--help` text;
//! the longer pages are in `help`.

use std::path::PathBuf;
use std::time::Duration;

use authkv::{Quota, RateLimit, TokenLimits};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::help;
use crate::time::parse_duration as duration;
use crate::values::{batch_size, handle, rate_limit, token_id, user_id, whole};

/// A parsed command line.
#[derive(Debug, Parser)]
#[command(
    name = "authkv",
    about = help::ABOUT,
    override_usage = help::USAGE,
    after_help = help::AFTER
)]
pub struct Cli {
    /// Options for opening the database and printing.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, before or after the command words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args)]
#[command(next_help_heading = "Options for every command")]
pub struct Global {
    /// The database file (this or --postgres is required)
    #[arg(long, global = true, value_name = "FILE", env = "AUTHKV_DB")]
    pub db: Option<PathBuf>,
    /// A PostgreSQL connection string, for a database several hosts share
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "AUTHKV_POSTGRES",
        conflicts_with = "db",
        hide_env_values = true,
        value_parser = server_url
    )]
    pub postgres: Option<ServerUrl>,
    /// Create FILE if it does not exist; without it a missing file is exit 3
    #[arg(long, global = true)]
    pub create: bool,
    /// Print JSON on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// The application's idle lifetime [default: 120m]
    #[arg(long, global = true, value_name = "D", value_parser = duration)]
    pub idle_lifetime: Option<u64>,
    /// The application's absolute lifetime [default: none]
    #[arg(long, global = true, value_name = "D", value_parser = duration)]
    pub absolute_lifetime: Option<u64>,
    /// The application's token expiration [default: none]
    #[arg(long, global = true, value_name = "D", value_parser = duration)]
    pub token_expiration: Option<u64>,
    /// The application's throttle window [default: 60s]
    #[arg(long, global = true, value_name = "D", value_parser = duration)]
    pub throttle_window: Option<u64>,
    /// The application's token prefix [default: empty]
    #[arg(long, global = true, value_name = "P")]
    pub token_prefix: Option<String>,
}

/// The commands.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Count stored records
    #[command(after_help = help::STATS)]
    Stats,
    /// Check that every index agrees with its table
    #[command(after_help = help::VERIFY)]
    Verify,
    /// Delete what expired, in batches, with progress
    #[command(after_help = help::GC, override_usage = help::GC_USAGE)]
    Gc(GcArgs),
    /// List and revoke sessions
    #[command(subcommand)]
    Sessions(Sessions),
    /// Mint, list, revoke and prune personal access tokens
    #[command(subcommand)]
    Tokens(Tokens),
    /// Set logins and passwords
    #[command(subcommand)]
    Users(Users),
    /// Import Laravel's sessions or Sanctum's tokens (CSV or JSON lines)
    #[command(after_help = help::IMPORT)]
    Import(ImportArgs),
    /// Every record's non-secret fields, as JSON lines
    #[command(after_help = help::EXPORT)]
    Export(Quiet),
    /// A consistent copy of the live database in a new file
    #[command(after_help = help::BACKUP)]
    Backup {
        /// The copy to write; it must not exist
        #[arg(value_name = "COPY")]
        to: PathBuf,
    },
    /// Rewrite the file without the space deletions left (needs it to itself)
    #[command(after_help = help::COMPACT)]
    Compact,
}

/// `--quiet`, for commands that show progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Args)]
pub struct Quiet {
    /// No progress bar or progress lines on stderr
    #[arg(long)]
    pub quiet: bool,
}

/// `gc`'s arguments; it also needs the global `--idle-lifetime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Args)]
pub struct GcArgs {
    /// Rows per transaction [default: 1000]
    #[arg(long, value_name = "N", value_parser = batch_size)]
    pub batch_size: Option<usize>,
    /// Prune tokens expired for more than H hours [default: 24]
    #[arg(long, value_name = "H", value_parser = whole)]
    pub token_prune_hours: Option<u64>,
    /// Progress on stderr, or not.
    #[command(flatten)]
    pub quiet: Quiet,
}

/// `sessions ...`.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Sessions {
    /// A user's live sessions, by public handle
    #[command(after_help = help::SESSIONS_LIST)]
    List {
        /// The user id
        #[arg(long, value_name = "N", value_parser = user_id)]
        user: u64,
    },
    /// Log one session out
    #[command(after_help = help::SESSIONS_REVOKE)]
    Revoke {
        /// The session's handle, from `sessions list`
        #[arg(value_name = "HANDLE", value_parser = handle)]
        handle: String,
    },
    /// Log every session of a user out
    #[command(after_help = help::SESSIONS_REVOKE_USER)]
    RevokeUser {
        /// The user id
        #[arg(value_name = "N", value_parser = user_id)]
        user: u64,
    },
}

/// `tokens ...`.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Tokens {
    /// Mint a personal access token; prints it once
    #[command(after_help = help::TOKENS_CREATE)]
    Create {
        /// The owner's user id
        #[arg(long, value_name = "N", value_parser = user_id)]
        user: u64,
        /// The token's name
        #[arg(long, value_name = "X")]
        name: String,
        /// An ability it grants; repeat for more ('*' grants everything)
        #[arg(long = "ability", value_name = "A", required = true)]
        abilities: Vec<String>,
        /// Expire this long from now
        #[arg(long, value_name = "D", value_parser = duration)]
        expires_in: Option<u64>,
        /// Its rate limit and quota [default: unlimited]
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// A user's tokens (never their secrets)
    #[command(after_help = help::TOKENS_LIST)]
    List {
        /// The user id
        #[arg(long, value_name = "N", value_parser = user_id)]
        user: u64,
    },
    /// Delete one token
    #[command(after_help = help::TOKENS_REVOKE)]
    Revoke {
        /// The token's id
        #[arg(value_name = "ID", value_parser = token_id)]
        id: u64,
    },
    /// Show a token's rate limit and quota, or replace them
    #[command(after_help = help::TOKENS_LIMITS)]
    Limits {
        /// The token's id
        #[arg(value_name = "ID", value_parser = token_id)]
        id: u64,
        /// The limits to set instead of the current ones
        #[command(flatten)]
        limits: LimitArgs,
        /// Remove its rate limit and quota
        #[arg(long, conflicts_with_all = ["rate_limit", "quota", "refill_every"])]
        unlimited: bool,
    },
    /// Delete tokens expired for more than H hours
    #[command(after_help = help::TOKENS_PRUNE)]
    Prune {
        /// Hours past expiry
        #[arg(long, value_name = "H", value_parser = whole)]
        hours: u64,
    },
}

/// A token's rate limit and quota, for `tokens create` and `tokens limits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Args)]
pub struct LimitArgs {
    /// At most MAX requests per window D, as in 100/1m
    #[arg(long, value_name = "MAX/D", value_parser = rate_limit)]
    pub rate_limit: Option<RateLimit>,
    /// N uses in all (with --refill-every, N per period)
    #[arg(long, value_name = "N", value_parser = whole)]
    pub quota: Option<u64>,
    /// Refill the quota to N every D
    #[arg(long, value_name = "D", value_parser = duration)]
    pub refill_every: Option<u64>,
}

impl LimitArgs {
    /// Whether no limit was given.
    pub fn is_empty(&self) -> bool {
        self.rate_limit.is_none() && self.quota.is_none()
    }

    /// Checks across the options, including what the library would refuse,
    /// so that both are usage errors (exit 2, the database never opened).
    pub fn check(&self) -> Result<(), String> {
        if self.refill_every.is_some() && self.quota.is_none() {
            return Err("--refill-every needs --quota N: it refills the quota to N".into());
        }
        if self.quota == Some(0) && self.refill_every.is_some() {
            return Err("--quota 0 --refill-every D would refill to nothing: \
                        give a quota of at least 1"
                .into());
        }
        Ok(())
    }

    /// The limits to store.
    pub fn limits(&self) -> TokenLimits {
        TokenLimits {
            rate_limit: self.rate_limit,
            quota: self.quota.map(|n| Quota {
                remaining: n,
                refill_amount: n,
                refill_interval: self.refill_every.map(Duration::from_secs),
            }),
        }
    }
}

/// `users ...`.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Users {
    /// Set a login and password; the password is never an argument
    #[command(after_help = help::USERS_SET_PASSWORD)]
    SetPassword {
        /// The user id
        #[arg(long, value_name = "N", value_parser = user_id)]
        user: u64,
        /// The login (an email, a user name)
        #[arg(long, value_name = "L")]
        login: String,
    },
}

/// The kind of table an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    /// Sanctum's personal_access_tokens
    Sanctum,
    /// Laravel's sessions
    Sessions,
}

/// The format of an import file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// RFC 4180 CSV with a header row
    Csv,
    /// One JSON object per line
    Jsonl,
}

/// What `import` was asked to do.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ImportArgs {
    /// Which table the file holds
    #[arg(value_name = "KIND")]
    pub kind: ImportKind,
    /// The file; `-` is stdin
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The file's format [default: from the extension]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Sanctum only: the tokenable_type every row must have [default: the first row's]
    #[arg(long, value_name = "T")]
    pub tokenable_type: Option<String>,
    /// Import the good rows when some are bad (exit 5), instead of nothing
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Progress on stderr, or not.
    #[command(flatten)]
    pub quiet: Quiet,
}

impl ImportArgs {
    /// `--format`, or the one the file's extension names.
    pub fn format(&self) -> Result<Format, String> {
        if let Some(format) = self.format {
            return Ok(format);
        }
        let extension = self.file.extension().and_then(|e| e.to_str());
        match extension.map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("jsonl" | "ndjson") => Ok(Format::Jsonl),
            _ => Err(format!(
                "cannot tell the format of {:?}: name it .csv or .jsonl, or pass --format",
                self.file
            )),
        }
    }
}

/// A PostgreSQL connection string. It may hold a password, so `Debug`
/// never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ServerUrl(pub String);

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerUrl(..)")
    }
}

fn server_url(text: &str) -> Result<ServerUrl, String> {
    if text.is_empty() {
        return Err("the connection string is empty".into());
    }
    Ok(ServerUrl(text.to_owned()))
}
