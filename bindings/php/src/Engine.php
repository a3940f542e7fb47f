<?php

declare(strict_types=1);

namespace Authkv;

use FFI;
use FFI\CData;

/**
 * An open authkv database: sessions, CSRF, personal access tokens,
 * passwords, login throttling, remember-me and the request guard.
 *
 * `new Engine($path, $options)` opens (or creates) the file. Option names
 * are the fields of authkv_options (idle_lifetime_secs, token_prefix,
 * stateful_domains, throttle_max_attempts, ...); text options are strings,
 * stateful_domains also a list. Call close() when done (the destructor
 * does it too). Every open of the same file in a process shares one
 * engine, and any number of processes (php-fpm workers, the CLI, cron)
 * may have the file open at once. Two options choose how:
 *
 * - 'exclusive' => true: this process alone may open the file; others
 *   get Locked. Faster, but only for a single-process server (never for
 *   php-fpm or `php -S` with workers). Every process must open a file in
 *   the same mode. Default false.
 * - 'quick_repair' => true: every commit records the allocator state, so
 *   reopening after a crash is near instant, for a second fsync per
 *   commit. Default false; always on when exclusive is false.
 *
 * A web server opens through Engine::shared(): one engine per worker
 * process, kept open across requests.
 *
 * Strings cross as `const char *` plus a length; ids, tokens and payloads
 * are PHP strings. Refused calls throw the Exception subclass of their
 * status.
 */
final class Engine
{
    use SessionCalls;
    use TokenCalls;
    use CredentialCalls;
    use RequestCalls;

    private const TEXT_OPTIONS = [
        'token_prefix', 'stateful_domains', 'session_cookie', 'xsrf_cookie', 'cookie_path', 'cookie_domain',
    ];
    private const SAME_SITE = ['lax' => Abi::SAME_SITE_LAX, 'strict' => Abi::SAME_SITE_STRICT, 'none' => Abi::SAME_SITE_NONE];
    private const CSRF_MODE = ['token' => Abi::CSRF_TOKEN, 'fetch-metadata' => Abi::CSRF_FETCH_METADATA, 'either' => Abi::CSRF_EITHER];

    /** @var array<string, self> the engines of shared(), by path and options */
    private static array $shared = [];

    private FFI $ffi;
    private ?CData $handle = null;
    /** The process that opened the handle: a child of fork() must open its own. */
    private int $pid;
    /** Whether close() flushes touches first (engines of shared()). */
    private bool $flushOnClose = false;

    /**
     * Open the file at $path, or, with `url:` instead, the authkv tables in
     * a PostgreSQL database that several hosts share
     * (`new Engine(url: 'host=db.internal dbname=app user=app')`).
     *
     * @param array<string, int|bool|string|list<string>> $options
     */
    public function __construct(?string $path = null, array $options = [], ?string $url = null)
    {
        if (($path === null) === ($url === null)) {
            throw new InvalidArgument(Status::INVALID_ARGUMENT, 'give either a file path or a PostgreSQL url:, not both');
        }
        $this->ffi = Library::ffi();
        $keep = [];
        $opts = $this->options($options, $keep);
        $handle = $this->ffi->new('authkv_engine*');
        Library::check($url !== null
            ? $this->ffi->authkv_open_postgres($url, strlen($url), FFI::addr($opts), FFI::addr($handle))
            : $this->ffi->authkv_open($path, strlen($path), FFI::addr($opts), FFI::addr($handle)));
        $this->handle = $handle;
        $this->pid = getmypid();
    }

    /**
     * The engine of this process for $path and $options, for servers that
     * run many requests per process (php-fpm, `php -S` workers): the same
     * object for every call until the request ends, and the same engine,
     * its caches and its open file, for every request the process serves.
     *
     * PHP drops every object at the end of a request, so the process
     * keeps one handle of its own open until it exits (see Process);
     * later requests attach to that engine, which costs microseconds
     * where opening the file costs milliseconds. An engine inherited
     * through fork() (from a master that opened it) is dropped and the
     * file opened anew. Closing it, or the end of the request, flushes
     * pending touches so that other workers see them.
     *
     * @param array<string, int|bool|string|list<string>> $options
     */
    public static function shared(?string $path = null, array $options = [], ?string $url = null): self
    {
        ksort($options);
        $key = ($url === null ? "file\0{$path}" : "postgres\0{$url}") . "\0" . serialize($options);
        $engine = self::$shared[$key] ?? null;
        if ($engine !== null && $engine->pid === getmypid() && $engine->handle !== null) {
            return $engine;
        }
        // Inherited or closed. Closing an inherited handle leaves the file
        // alone, so dropping it is safe.
        unset(self::$shared[$key], $engine);
        $engine = new self($path, $options, $url);
        $engine->flushOnClose = true;
        Process::once($key, static function () use ($path, $options, $url): void {
            $held = new self($path, $options, $url);
            $held->handle = null; // never closed: the process holds it until exit
        });
        return self::$shared[$key] = $engine;
    }

    /**
     * authkv_options: the library's defaults with $given applied. $keep
     * receives the C copies of text options, alive until the open returns.
     *
     * @param array<string, mixed> $given
     * @param list<CData> $keep
     */
    private function options(array $given, array &$keep): CData
    {
        $opts = $this->ffi->new('authkv_options');
        Library::check($this->ffi->authkv_options_default(FFI::addr($opts)));
        foreach ($given as $name => $value) {
            if (!is_string($name) || str_ends_with($name, '_len') || !$this->hasField($opts, $name)) {
                throw new \TypeError("unknown option " . var_export($name, true));
            }
            if ($name === 'stateful_domains' && is_array($value)) {
                foreach ($value as $pattern) {
                    if (!is_string($pattern) || str_contains($pattern, ',')) {
                        throw new InvalidArgument(Status::INVALID_ARGUMENT, 'a stateful_domains pattern is not a string without commas');
                    }
                }
                $value = implode(',', $value);
            }
            if (in_array($name, self::TEXT_OPTIONS, true)) {
                if (!is_string($value)) {
                    throw new \TypeError("option {$name} must be a string, " . get_debug_type($value) . ' given');
                }
                [$buffer, $pointer] = Library::cText($value);
                $keep[] = $buffer;
                $opts->{$name} = $pointer;
                $opts->{$name . '_len'} = strlen($value);
            } elseif ($name === 'cookie_same_site' && is_string($value)) {
                $opts->cookie_same_site = self::SAME_SITE[strtolower($value)]
                    ?? throw new \ValueError("cookie_same_site must be 'lax', 'strict' or 'none'");
            } elseif ($name === 'csrf_mode' && is_string($value)) {
                $opts->csrf_mode = self::CSRF_MODE[strtolower($value)]
                    ?? throw new \ValueError("csrf_mode must be 'token', 'fetch-metadata' or 'either'");
            } elseif (is_bool($opts->{$name})) {
                if (!is_bool($value)) {
                    throw new \TypeError("option {$name} must be a bool, " . get_debug_type($value) . ' given');
                }
                $opts->{$name} = $value;
            } else {
                if (!is_int($value)) {
                    throw new \TypeError("option {$name} must be an int, " . get_debug_type($value) . ' given');
                }
                $opts->{$name} = Library::u64($value, $name);
            }
        }
        return $opts;
    }

    private function hasField(CData $opts, string $name): bool
    {
        try {
            $opts->{$name};
            return true;
        } catch (\FFI\Exception) {
            return false;
        }
    }

    /** The live handle (Closed once close() ran). */
    private function engine(): CData
    {
        return $this->handle ?? throw new Closed(Status::CLOSED, 'engine is closed');
    }

    /** Call authkv_$name on this engine; throw on a status. */
    private function call(string $name, mixed ...$args): void
    {
        Library::check($this->ffi->{'authkv_' . $name}($this->engine(), ...$args));
    }

    /**
     * Release the handle (idempotent). The last handle of the engine
     * flushes pending touches; an engine of shared() flushes them anyway,
     * since its process holds the engine open.
     */
    public function close(): void
    {
        $handle = $this->handle;
        $this->handle = null;
        if ($handle !== null) {
            try {
                if ($this->flushOnClose && $this->pid === getmypid()) {
                    Library::check($this->ffi->authkv_flush($handle, null));
                }
            } finally {
                Library::check($this->ffi->authkv_close($handle));
            }
        }
    }

    public function __destruct()
    {
        if ($this->handle !== null) {
            if ($this->flushOnClose && $this->pid === getmypid()) {
                $this->ffi->authkv_flush($this->handle, null);
            }
            $this->ffi->authkv_close($this->handle);
            $this->handle = null;
        }
    }

    /** Set the clock of an engine opened with manual_clock. */
    public function setTime(int $unixSeconds): void
    {
        $this->call('set_time', Library::u64($unixSeconds, 'unixSeconds'));
    }

    /** Write pending touches; returns how many records were updated. */
    public function flush(): int
    {
        $flushed = $this->ffi->new('size_t');
        $this->call('flush', FFI::addr($flushed));
        return $flushed->cdata;
    }

    /**
     * Delete what expired: sessions, tokens, throttle counters, remember-me.
     *
     * @return array<string, int> the fields of authkv_gc_report
     */
    public function gc(): array
    {
        $report = $this->ffi->new('authkv_gc_report');
        $this->call('gc', FFI::addr($report));
        return self::fields($report, [
            'sessions_deleted', 'records_examined', 'batches', 'tokens_deleted', 'throttles_deleted',
            'remember_tokens_deleted',
        ]);
    }

    /**
     * Problems found by a consistency check; empty when consistent.
     *
     * @return list<string>
     */
    public function verify(): array
    {
        $count = $this->ffi->new('size_t');
        $report = $this->ffi->new('authkv_string*');
        $this->call('verify', FFI::addr($count), FFI::addr($report));
        $text = Library::takeString($report);
        return $count->cdata === 0 ? [] : explode("\n", $text);
    }

    /** @return array<string, int> the fields of authkv_engine_stats */
    public function stats(): array
    {
        $stats = $this->ffi->new('authkv_engine_stats');
        $this->call('stats', FFI::addr($stats));
        return self::fields($stats, [
            'sessions', 'write_commits', 'touches_pending', 'lookups', 'gc_examined', 'gc_deleted',
            'background_errors', 'tokens', 'password_verifications', 'credentials', 'remember_tokens',
        ]);
    }

    /**
     * @param list<string> $names
     * @return array<string, int>
     */
    private static function fields(CData $struct, array $names): array
    {
        $out = [];
        foreach ($names as $name) {
            $out[$name] = $struct->{$name};
        }
        return $out;
    }

    /** A caller buffer of $size bytes. */
    private function buffer(int $size): CData
    {
        return $this->ffi->new("char[{$size}]");
    }
}
