//! What a command line asks for, once parsed: the command, its arguments,
//! and the options every database command shares.

use std::path::PathBuf;

/// The kind of table an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// Sanctum's `personal_access_tokens`.
    Sanctum,
    /// Laravel's `sessions`.
    Sessions,
}

/// The format of an import file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// What `import` was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportArgs {
    /// Which table the file holds.
    pub kind: ImportKind,
    /// The file; `-` is stdin.
    pub file: PathBuf,
    /// The file's format.
    pub format: Format,
    /// Import the good rows when some are bad (exit 5), instead of nothing.
    pub skip_bad_rows: bool,
    /// Sanctum only: the `tokenable_type` every row must have.
    pub tokenable_type: Option<String>,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Print help, on one topic or in general.
    Help(Option<String>),
    /// Print the version.
    Version,
    /// Work on the database.
    Db(DbCommand),
}

/// A command that works on the database, and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbCommand {
    /// Counts of stored records.
    Stats,
    /// Check tables against indexes.
    Verify,
    /// Delete what expired.
    Gc {
        /// Rows per transaction.
        batch_size: Option<usize>,
        /// Prune tokens expired for more than this many hours.
        token_prune_hours: Option<u64>,
        /// No progress on stderr.
        quiet: bool,
    },
    /// A user's live sessions.
    SessionsList { user: u64 },
    /// Revoke one session by handle.
    SessionsRevoke { handle: String },
    /// Revoke all of a user's sessions.
    SessionsRevokeUser { user: u64 },
    /// Mint a personal access token.
    TokensCreate {
        user: u64,
        name: String,
        abilities: Vec<String>,
        expires_in: Option<u64>,
    },
    /// A user's tokens.
    TokensList { user: u64 },
    /// Revoke one token.
    TokensRevoke { id: u64 },
    /// Delete tokens expired for more than `hours`.
    TokensPrune { hours: u64 },
    /// Set a user's login and password (password from stdin).
    SetPassword { user: u64, login: String },
    /// Import Laravel rows.
    Import(ImportArgs),
    /// Export non-secret records as JSON lines.
    Export,
    /// Copy the live database to a new file.
    Backup { to: PathBuf },
    /// Rewrite the file without free space (needs it to itself).
    Compact,
}

/// Options every database command takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Global {
    /// The database file.
    pub db: Option<PathBuf>,
    /// Print JSON instead of text.
    pub json: bool,
    /// Create the database when the file does not exist.
    pub create: bool,
    /// `Config::idle_lifetime`, seconds.
    pub idle_lifetime: Option<u64>,
    /// `Config::absolute_lifetime`, seconds.
    pub absolute_lifetime: Option<u64>,
    /// `Config::token_expiration`, seconds.
    pub token_expiration: Option<u64>,
    /// `Config::token_prefix`.
    pub token_prefix: Option<String>,
    /// `Config::throttle_window`, seconds.
    pub throttle_window: Option<u64>,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Options for opening the database and printing.
    pub global: Global,
    /// What to do.
    pub command: Command,
}
