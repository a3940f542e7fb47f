<?php

declare(strict_types=1);

// Several processes on one database file, as a web server runs them: PHP's
// built-in server with PHP_CLI_SERVER_WORKERS=4 (it forks 4 workers, and
// serves requests in its own process too) runs web/app.php, whose sessions
// live in one .redb file through Authkv\SessionHandler on each process's
// Engine::shared(). 20 browsers (web/client.php, each its own process and
// cookie jar) log in, count and log out at the same time; their requests
// land on any process, so each session moves between them. The login goes
// through SessionHandler::login(), so the guard knows the user from the
// session cookie alone.
//
// Then API clients (web/api_client.php) hammer /api with two bearer
// tokens, one rate-limited and one with a quota: the workers count in the
// memory they share, so exactly the limit is admitted, and every refusal
// is a 429 (with Retry-After for the rate limit).

require __DIR__ . '/harness.php';

const WORKERS = 4;
const CLIENTS = 20;
const COUNTS = 6;
const API_CLIENTS = 6;
const API_ROUNDS = 4;

/** `php -S` with workers on a free loopback port; stop() ends every process of it. */
final class WebServer
{
    /** @var resource */
    private $process;
    private int $master;
    private bool $stopped = false;

    /** @param array<string, string> $env */
    public static function start(string $router, array $env, string $log): self
    {
        for ($try = 1; ; $try++) {
            $server = new self($router, $env, $log, self::freePort());
            if ($server->waitUntilReady()) {
                return $server;
            }
            $server->stop();
            if ($try === 3) {
                throw new CheckFailed("php -S did not start:\n" . file_get_contents($log));
            }
        }
    }

    /** @param array<string, string> $env */
    private function __construct(string $router, array $env, public readonly string $log, public readonly int $port)
    {
        $process = proc_open(
            [
                PHP_BINARY,
                // The SAPI is cli-server, not cli: the default ffi.enable=preload refuses it FFI.
                '-d', 'ffi.enable=1',
                '-d', 'error_reporting=-1', '-d', 'display_errors=0', '-d', 'log_errors=1',
                '-S', "127.0.0.1:{$port}", $router,
            ],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']],
            $pipes,
            null,
            ['PHP_CLI_SERVER_WORKERS' => (string) WORKERS] + $env + getenv(),
        );
        if (!is_resource($process)) {
            throw new CheckFailed('cannot start php -S');
        }
        $this->process = $process;
        $this->master = proc_get_status($process)['pid'];
        register_shutdown_function($this->stop(...)); // also when a test dies
    }

    /** A loopback port nothing listens on (the kernel's pick). */
    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $code, $message);
        if ($socket === false) {
            throw new CheckFailed("no free port: {$message}");
        }
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($socket, false), ':'), 1);
        fclose($socket);
        return $port;
    }

    /**
     * Whether, within 10 s, every worker runs and the port answers (false
     * when the server died, e.g. because the port was taken meanwhile).
     */
    private function waitUntilReady(): bool
    {
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline && proc_get_status($this->process)['running']) {
            if (count($this->workers()) === WORKERS) {
                $connection = @stream_socket_client("tcp://127.0.0.1:{$this->port}", $code, $message, 0.5);
                if ($connection !== false) {
                    fclose($connection);
                    return true;
                }
            }
            usleep(50_000);
        }
        return false;
    }

    /**
     * The workers: the master's children, from /proc.
     *
     * @return list<int>
     */
    public function workers(): array
    {
        $children = [];
        foreach (glob('/proc/[0-9]*/stat') ?: [] as $path) {
            $stat = self::stat((int) basename(dirname($path)));
            if ($stat !== null && $stat[1] === (string) $this->master) {
                $children[] = (int) basename(dirname($path));
            }
        }
        return $children;
    }

    /**
     * End the master and its workers. Workers outlive a master ended
     * alone, so their pids are taken first. SIGTERM, then SIGKILL for
     * whatever still runs 5 s later.
     */
    public function stop(): void
    {
        if ($this->stopped) {
            return;
        }
        $this->stopped = true;
        $pids = [...$this->workers(), $this->master];
        foreach (['TERM', 'KILL'] as $signal) {
            $pids = array_values(array_filter($pids, self::alive(...)));
            if ($pids !== []) {
                exec('kill -s ' . $signal . ' ' . implode(' ', $pids));
            }
            $deadline = microtime(true) + 5;
            while (microtime(true) < $deadline && array_filter($pids, self::alive(...)) !== []) {
                proc_get_status($this->process); // reaps the master once it exited
                usleep(20_000);
            }
        }
        proc_close($this->process);
    }

    /**
     * The fields of /proc/PID/stat after the command name (state, ppid,
     * ...), or null when there is no such process.
     *
     * @return ?list<string>
     */
    private static function stat(int $pid): ?array
    {
        $stat = @file_get_contents("/proc/{$pid}/stat");
        return $stat === false ? null : explode(' ', substr($stat, (int) strrpos($stat, ')') + 2));
    }

    /** Whether $pid runs (a zombie does not). */
    private static function alive(int $pid): bool
    {
        return (self::stat($pid)[0] ?? 'Z') !== 'Z';
    }
}

/**
 * Run every client at once; their output lines, decoded, by user.
 *
 * @return array<int, list<array{path: string, status: int, body: string|false, sent: ?string}>>
 */
function run_clients(int $port): array
{
    $running = [];
    for ($user = 1; $user <= CLIENTS; $user++) {
        $process = proc_open(
            [PHP_BINARY, '-d', 'display_errors=stderr', '-d', 'error_reporting=-1',
                __DIR__ . '/web/client.php', (string) $port, (string) $user, (string) COUNTS],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
        );
        if (!is_resource($process)) {
            throw new CheckFailed('cannot start a client');
        }
        $running[$user] = [$process, $pipes];
    }
    $transcripts = [];
    foreach ($running as $user => [$process, $pipes]) {
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        $status = proc_close($process);
        T::same(0, $status, "client {$user} exit status ({$err})");
        T::same('', $err, "client {$user} stderr");
        $transcripts[$user] = array_map(
            fn (string $line) => json_decode($line, true, flags: JSON_THROW_ON_ERROR),
            explode("\n", trim($out)),
        );
    }
    return $transcripts;
}

T::test('20 browsers on 4 php -S workers: sessions live across workers, then end', function (): void {
    $db = T::dir() . '/web.redb';
    $server = WebServer::start(__DIR__ . '/web/app.php', ['AUTHKV_WEB_DB' => $db], T::dir() . '/server.log');
    try {
        $transcripts = run_clients($server->port);
    } finally {
        $server->stop();
    }

    $lookupsByPid = [];
    $clientsOnSeveralWorkers = 0;
    foreach ($transcripts as $user => $requests) {
        T::same(COUNTS + 3, count($requests), "client {$user}: requests made");
        $pids = [];
        foreach ($requests as $i => $request) {
            $what = "client {$user}, request {$i} ({$request['path']}): " . var_export($request['body'], true);
            T::check(preg_match('/ pid (\d+) lookups (\d+)$/', (string) $request['body'], $m) === 1, "{$what} names its worker");
            $pids[$m[1]] = true;
            $lookupsByPid[$m[1]] = max($lookupsByPid[$m[1]] ?? 0, (int) $m[2]);
            $expected = match (true) {
                $i === 0 => [200, "user {$user} csrf "],
                $i <= COUNTS => [200, "count {$i} user {$user} pid "],
                $i === COUNTS + 1 => [200, 'logged out pid '],
                default => [401, 'no user pid '],
            };
            T::same($expected[0], $request['status'], "{$what}: status");
            T::check(str_starts_with((string) $request['body'], $expected[1]), "{$what}: expected \"{$expected[1]}...\"");
        }
        T::check(str_contains((string) $requests[0]['body'], ' sessions 1 pid '), "client {$user}: after the login userSessions() lists this session");
        T::check($requests[0]['sent'] === null && $requests[1]['sent'] !== null, "client {$user}: the login set the session cookie");
        T::check($requests[COUNTS + 2]['sent'] !== null && $requests[COUNTS + 2]['sent'] !== $requests[1]['sent'], "client {$user}: the logout set a new session cookie");
        $clientsOnSeveralWorkers += count($pids) > 1 ? 1 : 0;
        T::check($requests[1]['sent'] !== null && $requests[1]['sent'] === $requests[COUNTS + 1]['sent'], "client {$user} kept one session from login to logout");
    }
    T::check(count($lookupsByPid) > 1, 'requests were served by several workers: ' . implode(', ', array_keys($lookupsByPid)));
    T::check($clientsOnSeveralWorkers > 0, 'some session went from one worker to another');
    // A worker that opened its engine per request would count a few lookups, never more.
    T::check(max($lookupsByPid) >= 2 * COUNTS, 'a worker kept its engine between requests: ' . json_encode($lookupsByPid));

    $log = (string) file_get_contents($server->log);
    T::check(preg_match('/PHP (Warning|Notice|Deprecated|Fatal|Parse)|Segmentation|core dumped/i', $log) !== 1, "server log is clean:\n{$log}");

    $engine = new Authkv\Engine($db);
    foreach ($transcripts as $user => $requests) {
        T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($requests[1]['sent']));
        T::same([], $engine->userSessions($user), "user {$user} has no session left");
    }
    // What is left: the anonymous session each browser got at its logout.
    T::same(CLIENTS, $engine->stats()['sessions'], 'sessions left');
    T::same([], $engine->verify(), 'consistent');
    $engine->close();
});

/**
 * Run API_CLIENTS API clients at once, each making API_ROUNDS rounds of
 * one request per token; every request, decoded.
 *
 * @param list<string> $tokens
 * @return list<array{token: int, status: int, retryAfter: ?string, body: string|false}>
 */
function run_api_clients(int $port, array $tokens): array
{
    $running = [];
    for ($client = 0; $client < API_CLIENTS; $client++) {
        $process = proc_open(
            [PHP_BINARY, '-d', 'display_errors=stderr', '-d', 'error_reporting=-1',
                __DIR__ . '/web/api_client.php', (string) $port, (string) API_ROUNDS, ...$tokens],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
        );
        if (!is_resource($process)) {
            throw new CheckFailed('cannot start an API client');
        }
        $running[$client] = [$process, $pipes];
    }
    $requests = [];
    foreach ($running as $client => [$process, $pipes]) {
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        T::same(0, proc_close($process), "API client {$client} exit status ({$err})");
        T::same('', $err, "API client {$client} stderr");
        foreach (explode("\n", trim($out)) as $line) {
            $requests[] = json_decode($line, true, flags: JSON_THROW_ON_ERROR);
        }
    }
    return $requests;
}

T::test('bearer tokens on 4 php -S workers: exactly the rate limit and the quota are admitted, the rest is 429', function (): void {
    $db = T::dir() . '/api.redb';
    $setup = new Authkv\Engine($db); // the system clock, as the workers
    $rated = $setup->createToken(7, 'rated', ['orders:read'], rateLimit: new Authkv\RateLimit(5, 60));
    $metered = $setup->createToken(7, 'metered', ['orders:read'], quota: new Authkv\Quota(7));
    $setup->close();

    $server = WebServer::start(__DIR__ . '/web/app.php', ['AUTHKV_WEB_DB' => $db], T::dir() . '/api-server.log');
    try {
        $requests = run_api_clients($server->port, [$rated->plainText, $metered->plainText]);
        // Another process on the file sees what the workers counted.
        $engine = new Authkv\Engine($db);
        T::same(0, $engine->tokenLimits($metered->id)?->quota?->remaining, 'the quota is used up for every process');
        $limited = T::throws(Authkv\RateLimited::class, fn () => $engine->authenticateToken($rated->plainText));
        T::check($limited->retryAfter >= 1 && $limited->retryAfter <= 60, "the rest of the window: {$limited->retryAfter}");
        $engine->close();
    } finally {
        $server->stop();
    }

    $tries = API_CLIENTS * API_ROUNDS;
    $pids = [];
    foreach ([[0, 5, 'rate limit'], [1, 7, 'quota']] as [$index, $limit, $what]) {
        $mine = array_values(array_filter($requests, fn (array $r) => $r['token'] === $index));
        T::same($tries, count($mine), "{$what}: requests made");
        $admitted = 0;
        foreach ($mine as $r) {
            $body = (string) $r['body'];
            T::check(preg_match('/ pid (\d+)$/', rtrim($body), $m) === 1, "{$what}: the answer names its worker: {$body}");
            $pids[$m[1]] = true;
            if ($r['status'] === 200) {
                $admitted++;
                T::check(str_starts_with($body, 'user 7 token '), "{$what}: admitted as the token's user: {$body}");
                continue;
            }
            T::same(429, $r['status'], "{$what}: a refusal is 429 ({$body})");
            T::check(str_starts_with($body, 'Too Many Attempts.'), "{$what}: the 429 body: {$body}");
            if ($index === 0) {
                $wait = (int) $r['retryAfter'];
                T::check($wait >= 1 && $wait <= 60 && (string) $wait === $r['retryAfter'], "{$what}: Retry-After is the rest of the window: " . var_export($r['retryAfter'], true));
            } else {
                T::same(null, $r['retryAfter'], "{$what}: a quota that never refills names no wait");
            }
        }
        T::same($limit, $admitted, "{$what}: admitted across the workers");
    }
    T::check(count($pids) > 1, 'requests were served by several workers: ' . implode(', ', array_keys($pids)));

    $log = (string) file_get_contents($server->log);
    T::check(preg_match('/PHP (Warning|Notice|Deprecated|Fatal|Parse)|Segmentation|core dumped/i', $log) !== 1, "server log is clean:\n{$log}");
});

T::finish();
