//! The help texts: the overview (`--help`) and one page per command
//! (`help COMMAND`). README's "Admin CLI" section repeats the overview.

/// `authkv --help`.
pub const OVERVIEW: &str = "\
authkv - operate an authkv database (sessions, tokens, credentials) from the shell

Usage: authkv --db FILE [OPTIONS] COMMAND [ARGS]
       authkv help [COMMAND] | --help | --version

Commands:
  stats                              count stored records
  verify                             check that every index agrees with its table
  gc --idle-lifetime D [--batch-size N] [--token-prune-hours H] [--quiet]
                                     delete what expired, in batches, with progress
  sessions list --user N             a user's live sessions, by public handle
  sessions revoke HANDLE             log one session out
  sessions revoke-user N             log every session of a user out
  tokens create --user N --name X --ability A [--ability B ...] [--expires-in D]
                                     mint a personal access token; prints it once
  tokens list --user N               a user's tokens (never their secrets)
  tokens revoke ID                   delete one token
  tokens prune --hours H             delete tokens expired for more than H hours
  users set-password --user N --login L
                                     set a login and password; the password is
                                     read from stdin, never from the command line
  import sanctum FILE                Sanctum's personal_access_tokens (CSV or JSON lines)
  import sessions FILE               Laravel's sessions table (CSV or JSON lines)
  export                             every record's non-secret fields, as JSON lines
  backup FILE                        a consistent copy of the live database in a new FILE
  compact                            rewrite the file without the space deletions left;
                                     needs the file to itself (stop the application)

Options:
  --db FILE                the database (required except for help and --version)
  --create                 create FILE if it does not exist; without it a missing
                           file is exit 3, so a typo never makes an empty database
  --json                   print JSON on stdout instead of text
  --idle-lifetime D        the application's Config, which the file does not record;
  --absolute-lifetime D    it decides what counts as expired. Defaults: 120m, none,
  --token-expiration D     none, 60s, empty prefix (Laravel's and Sanctum's)
  --throttle-window D
  --token-prefix P
  -h, --help               this text; `authkv help COMMAND` for one command
  -V, --version            the version and the schema version it reads

Durations are a whole number and one unit: 30d, 12h, 90m, 3600s.
Times are unix seconds in JSON and UTC (2024-05-01T12:00:00Z) in text.
Messages go to stderr, data to stdout.

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

const STATS: &str = "\
Usage: authkv --db FILE stats [--json]

Counts the stored sessions, personal access tokens, credentials and
remember-me tokens (expired ones not yet collected included), and the file's
size in bytes.
";

const BACKUP: &str = "\
Usage: authkv --db FILE backup COPY [--json]

Writes every table, as of one moment, to the new file COPY (it must not
exist), while the application goes on reading and writing. The copy opens
like any authkv file and is as compact as a fresh import.
";

const COMPACT: &str = "\
Usage: authkv --db FILE compact [--json]

Rewrites FILE without the free space that deletions (gc, revocations) left,
by a backup renamed over it. Needs the file to itself: exit 3 while the
application has it open.
";

const VERIFY: &str = "\
Usage: authkv --db FILE verify [--json]

Checks in one snapshot that every record has its index rows and every index
row its record. Exit 0 when consistent; exit 4 with one problem per line on
stdout (or in the JSON report's \"problems\") when not. Problems name tables,
handles and ids, never a secret.
";

const GC: &str = "\
Usage: authkv --db FILE --idle-lifetime D [--absolute-lifetime D]
              [--token-expiration D] [--throttle-window D]
              gc [--batch-size N] [--token-prune-hours H] [--quiet] [--json]

Deletes sessions idle longer than --idle-lifetime (or older than
--absolute-lifetime), throttle counters whose window has passed, expired
remember-me tokens, and personal access tokens expired for more than
--token-prune-hours (default 24). --idle-lifetime is required: give the
lifetime your application uses, or live sessions would be deleted.

Work is done in batches of --batch-size rows (default 1000), each its own
transaction; after the first batch and then at most once a second a progress
line goes to stderr (--quiet turns it off). The totals go to stdout.
";

const SESSIONS: &str = "\
Usage: authkv --db FILE sessions list --user N [--json]
       authkv --db FILE sessions revoke HANDLE
       authkv --db FILE sessions revoke-user N [--json]

`list` shows a user's live sessions (judged by --idle-lifetime and
--absolute-lifetime) by handle: the hex SHA-256 of the session id, safe to
show. `revoke` deletes the session with that handle (exit 1 when none has
it). `revoke-user` deletes every session of the user and prints how many.
";

const TOKENS: &str = "\
Usage: authkv --db FILE tokens create --user N --name X --ability A [--ability B ...]
                                      [--expires-in D] [--token-prefix P] [--json]
       authkv --db FILE tokens list --user N [--token-expiration D] [--json]
       authkv --db FILE tokens revoke ID
       authkv --db FILE tokens prune --hours H [--token-expiration D] [--json]

`create` mints a personal access token and prints its plaintext, id|secret,
on stdout and nothing else (with --json, an object whose \"token\" holds it).
It is shown once: only its digest is stored. Give at least one --ability;
`--ability '*'` grants everything. --expires-in sets expires_at from now.
Give --token-prefix when the application has one.

`list` never shows a secret or digest; \"expired\" is judged by --token-expiration.
`revoke` deletes one token (exit 1 when no token has the id).
`prune` deletes tokens whose expires_at is more than H hours past and, with
--token-expiration, tokens created more than expiration + H hours ago,
like `php artisan sanctum:prune-expired --hours=H`.
";

const USERS: &str = "\
Usage: authkv --db FILE users set-password --user N --login L < password

Sets the user's login and password (argon2id). The password is read from
stdin: one line, its trailing newline removed. It is never taken from the
command line, where every user of the machine could read it in the process
list and the shell would keep it in its history; --password is refused.
Interactively, without echo:
  read -rs PW && printf '%s\\n' \"$PW\" | authkv --db app.redb users set-password --user 42 --login ada@example.com; unset PW
Exit 1 when the login belongs to another user or the password is empty.
";

const IMPORT: &str = "\
Usage: authkv --db FILE [--create] import sanctum FILE [--format csv|jsonl]
              [--tokenable-type T] [--skip-bad-rows] [--json]
       authkv --db FILE [--create] import sessions FILE [--format csv|jsonl]
              [--skip-bad-rows] [--json]

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

sessions: columns id (the raw 40-character session id; only its SHA-256 is
stored), user_id, ip_address, user_agent, payload (base64, decoded and kept
as opaque bytes), last_activity (unix seconds). created_at becomes
last_activity. Each session gets a new CSRF token: Laravel's _token lives
inside the serialized payload, which authkv never reads, so forms rendered
before the move must be reloaded before they post.

Every row is checked before anything is written, then all are imported in
one transaction. A bad row is reported on stderr by its line (the line a CSV
record starts on; the header is line 1). Without --skip-bad-rows one bad row
aborts the import, nothing is imported, exit 1. With it the good rows are
imported and the exit status is 5.
";

const EXPORT: &str = "\
Usage: authkv --db FILE export > records.jsonl

Prints one JSON object per line, from one snapshot:
  {\"type\":\"session\",\"handle\",\"user_id\",\"ip\",\"user_agent\",\"created_at\",\"last_activity\"}
  {\"type\":\"token\",\"id\",\"user_id\",\"name\",\"abilities\",\"created_at\",\"last_used_at\",\"expires_at\"}
  {\"type\":\"credential\",\"user_id\",\"login\"}
Expired records not yet collected are included; their times tell.

Never exported: session ids, CSRF tokens and payloads; token plaintexts and
token digests; password hashes; remember-me tokens. A token's digest is what
Sanctum stores: loaded into any Sanctum or authkv database it makes the
owner's plaintext work there, and it lets a leaked token be checked offline,
while the id already names the token. A session's handle is a digest too,
but it is the public name `sessions list` shows and `sessions revoke` takes,
and Laravel stores raw ids, so it cannot be loaded anywhere. A password hash
invites offline cracking. A summary goes to stderr.
";

const OPTIONS_TOPIC: &str = "\
Options for every command:
  --db FILE  --create  --json
  --idle-lifetime D  --absolute-lifetime D  --token-expiration D
  --throttle-window D  --token-prefix P

The lifetimes, the throttle window and the token prefix are the
application's Config; the file does not record them. They decide what gc
deletes, what lists call expired, what prune deletes and how new tokens
look, so give the values the application runs with.
";

/// The canonical help topic for a command word, if it names one.
pub fn topic(word: &str) -> Option<&'static str> {
    Some(match word {
        "stats" => "stats",
        "verify" => "verify",
        "gc" => "gc",
        "sessions" => "sessions",
        "tokens" => "tokens",
        "users" => "users",
        "import" => "import",
        "export" => "export",
        "backup" => "backup",
        "compact" => "compact",
        "options" => "options",
        _ => return None,
    })
}

/// The help page for `topic`, or `None` for an unknown topic.
pub fn page(topic: &str) -> Option<&'static str> {
    Some(match topic {
        "stats" => STATS,
        "verify" => VERIFY,
        "gc" => GC,
        "sessions" => SESSIONS,
        "tokens" => TOKENS,
        "users" => USERS,
        "import" => IMPORT,
        "export" => EXPORT,
        "backup" => BACKUP,
        "compact" => COMPACT,
        "options" => OPTIONS_TOPIC,
        _ => return None,
    })
}
