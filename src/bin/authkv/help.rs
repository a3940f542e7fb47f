//! The prose of `--help`: what clap cannot derive from the arguments — the
//! exit statuses, and per command what it does and never does. clap prints
//! the usage and option lists above it. README's "Admin CLI" section
//! repeats the overview.

/// The one-line summary above `authkv --help`.
pub const ABOUT: &str =
    "authkv - operate an authkv database (sessions, tokens, credentials) from the shell";

/// The usage line of `authkv --help`.
pub const USAGE: &str = "\
authkv --db FILE [OPTIONS] COMMAND [ARGS]
       authkv --postgres URL [OPTIONS] COMMAND [ARGS]
       authkv help [COMMAND] | COMMAND --help | --help | --version";

/// The end of `authkv --help`.
pub const AFTER: &str = "\
The database is --db FILE, or the file AUTHKV_DB names; or --postgres URL,
a PostgreSQL connection string (or AUTHKV_POSTGRES, which keeps a password
off the command line), for the database several hosts share. The lifetimes, the
throttle window and the token prefix are the application's Config, which
the file does not record: they decide what gc deletes, what lists call
expired, what prune deletes and how new tokens look, so give the values the
application runs with.

Durations are a whole number and one unit: 30d, 12h, 90m, 3600s.
Times are unix seconds in JSON and UTC (2024-05-01T12:00:00Z) in text.
Messages go to stderr, data to stdout; a reader that stops early (| head)
ends the command quietly.

Exit status:
  0  success
  1  the operation failed: not found, refused, I/O error, or an import
     aborted on bad rows (then nothing was imported)
  2  usage error: the command line is wrong; the database was not opened
  3  the database cannot be opened: missing (without --create), locked by
     another process, not an authkv file, or written by a newer authkv
  4  verify found problems (listed on stdout)
  5  import skipped bad rows (--skip-bad-rows): the good rows were imported
";

/// `stats --help`.
pub const STATS: &str = "\
Counts the stored sessions, personal access tokens, credentials and
remember-me tokens (expired ones not yet collected included), and the file's
size in bytes.
";

/// `backup --help`.
pub const BACKUP: &str = "\
Writes every table, as of one moment, to the new file COPY (it must not
exist), while the application goes on reading and writing. The copy opens
like any authkv file and is as compact as a fresh import.
";

/// `compact --help`.
pub const COMPACT: &str = "\
Rewrites FILE without the free space that deletions (gc, revocations) left,
by a backup renamed over it. Needs the file to itself: exit 3 while the
application has it open.
";

/// `verify --help`.
pub const VERIFY: &str = "\
Checks in one snapshot that every record has its index rows and every index
row its record. Exit 0 when consistent; exit 4 with one problem per line on
stdout (or in the JSON report's \"problems\") when not. Problems name tables,
handles and ids, never a secret.
";

/// `gc`'s usage line: it needs a global option.
pub const GC_USAGE: &str = "authkv --db FILE --idle-lifetime D gc [OPTIONS]";

/// `gc --help`.
pub const GC: &str = "\
Deletes sessions idle longer than --idle-lifetime (or older than
--absolute-lifetime), throttle counters whose window has passed, expired
remember-me tokens, and personal access tokens expired for more than
--token-prune-hours (default 24). --idle-lifetime is required: give the
lifetime your application uses, or live sessions would be deleted.

Work is done in batches of --batch-size rows (default 1000), each its own
transaction. On a terminal a progress bar shows on stderr; otherwise a
progress line goes to stderr after the first batch and then at most once a
second. --quiet turns both off. The totals go to stdout.
";

/// `sessions list --help`.
pub const SESSIONS_LIST: &str = "\
Shows a user's live sessions (judged by --idle-lifetime and
--absolute-lifetime) by handle: the hex of the session's stored key, a
digest of its id, safe to show and what `sessions revoke` takes.
";

/// `sessions revoke --help`.
pub const SESSIONS_REVOKE: &str = "\
Deletes the session with that handle (exit 1 when none has it). The
application refuses it from its next request on.
";

/// `sessions revoke-user --help`.
pub const SESSIONS_REVOKE_USER: &str = "\
Deletes every session of the user and prints how many.
";

/// `tokens create --help`.
pub const TOKENS_CREATE: &str = "\
Mints a personal access token and prints its plaintext, id|secret, on stdout
and nothing else (with --json, an object whose \"token\" holds it). It is
shown once: only its digest is stored. Give at least one --ability;
`--ability '*'` grants everything. --expires-in sets expires_at from now.
Give --token-prefix when the application has one.

--rate-limit MAX/D admits at most MAX requests per window D; --quota N
allows N uses in all, or with --refill-every D, N uses per period D. The
application refuses a token over either (HTTP 429). `tokens limits` shows
and changes them later. For example:
  authkv --db app.redb tokens create --user 42 --name ci --ability deploy \\
      --rate-limit 100/1m --quota 10000 --refill-every 1d
";

/// `tokens list --help`.
pub const TOKENS_LIST: &str = "\
Never shows a secret or digest; \"expired\" is judged by --token-expiration.
";

/// `tokens revoke --help`.
pub const TOKENS_REVOKE: &str = "\
Deletes one token (exit 1 when no token has the id).
";

/// `tokens limits --help`.
pub const TOKENS_LIMITS: &str = "\
Without options, shows token ID's rate limit and quota (the uses left as of
now), each \"unlimited\" when not set; with --json an object like the
export's: {\"id\",\"rate_limit\":{\"max\",\"window_secs\"}|null,
\"quota\":{\"remaining\",\"refill_amount\",\"refill_interval_secs\"}|null}.

--rate-limit, --quota and --refill-every (as for `tokens create`) replace
both limits with the ones given: a limit not given is removed. --unlimited
removes both. The counts start over: an empty window, a full quota, its
refill period starting now. Applications follow from their next request.
Exit 1 when no token has the id. For example:
  authkv --db app.redb tokens limits 7
  authkv --db app.redb tokens limits 7 --rate-limit 60/1m \\
      --quota 1000 --refill-every 30d
  authkv --db app.redb tokens limits 7 --unlimited
";

/// `tokens prune --help`.
pub const TOKENS_PRUNE: &str = "\
Deletes tokens whose expires_at is more than H hours past and, with
--token-expiration, tokens created more than expiration + H hours ago,
like `php artisan sanctum:prune-expired --hours=H`.
";

/// `users set-password --help`.
pub const USERS_SET_PASSWORD: &str = "\
Sets the user's login and password (argon2id). The password is never taken
from the command line, where every user of the machine could read it in the
process list and the shell would keep it in its history; --password is
refused. At a terminal it is asked for without echo. Otherwise stdin must
hold it alone on one line, its line ending removed:
  authkv --db app.redb users set-password --user 42 --login ada@example.com < pw.txt
Exit 1 when the login belongs to another user or the password is empty.
";

/// `import --help`.
pub const IMPORT: &str = "\
Reads a table exported from Laravel so that nobody is logged out by the move:
CSV (RFC 4180: a header row of Laravel's column names, fields in double
quotes where needed, \"\" for a quote) or JSON lines (one object per line,
keys are the column names). The format comes from the extension (.csv,
.jsonl, .ndjson) or --format; FILE `-` is stdin. Other columns are ignored.
A NULL is an unquoted empty field, NULL or \\N in CSV, and null in JSON.

sanctum: columns id, tokenable_type, tokenable_id, name, token (the sha256
hex), abilities (JSON text, or a JSON array in JSON lines), created_at, and
optionally last_used_at, expires_at. Times are unix seconds or datetimes
like 2024-05-01 12:30:00, read as UTC unless they carry an offset. Every row
must have the same tokenable_type (the first row's, or --tokenable-type):
authkv tokens belong to user ids. Plaintexts held by clients keep working;
ids are never issued again.

sessions: columns id (the raw 40-character session id; only a digest of it
is stored), user_id, ip_address, user_agent, payload (base64, decoded and kept
as opaque bytes), last_activity (unix seconds). created_at becomes
last_activity. Each session gets a new CSRF token: Laravel's _token lives
inside the serialized payload, which authkv never reads, so forms rendered
before the move must be reloaded before they post.

Every row is checked before anything is written, then all are imported in
one transaction. A bad row is reported on stderr by its line (the line a CSV
record starts on; the header is line 1). Without --skip-bad-rows one bad row
aborts the import, nothing is imported, exit 1. With it the good rows are
imported and the exit status is 5. On a terminal a progress bar shows
reading, checking and storing (--quiet turns it off).
";

/// `export --help`.
pub const EXPORT: &str = "\
Prints one JSON object per line, from one snapshot:
  {\"type\":\"session\",\"handle\",\"user_id\",\"ip\",\"user_agent\",\"created_at\",\"last_activity\"}
  {\"type\":\"token\",\"id\",\"user_id\",\"name\",\"abilities\",\"created_at\",\"last_used_at\",\"expires_at\",
   \"rate_limit\",\"quota\"}
  {\"type\":\"credential\",\"user_id\",\"login\"}
Expired records not yet collected are included; their times tell. A token's
rate_limit is {\"max\",\"window_secs\"} and its quota {\"remaining\",
\"refill_amount\",\"refill_interval_secs\"}, each null when not set (see
`tokens limits`).

Never exported: session ids, CSRF tokens and payloads; token plaintexts and
token digests; password hashes; remember-me tokens. A token's digest is what
Sanctum stores: loaded into any Sanctum or authkv database it makes the
owner's plaintext work there, and it lets a leaked token be checked offline,
while the id already names the token. A session's handle is a digest too,
but it is the public name `sessions list` shows and `sessions revoke` takes,
and Laravel stores raw ids, so it cannot be loaded anywhere. A password hash
invites offline cracking.

A summary goes to stderr, and on a terminal a progress bar (--quiet turns
it off).
";
