<?php

declare(strict_types=1);

// A minimal test harness for the plain PHP test scripts: named tests,
// checks that throw, a scratch directory, and a last line of
// "N passed, N failed" (", N skipped" after it when a test could not run
// here) with a non-zero exit status on any failure.
// Output is held back until the end so that session_start() can still
// send (in the CLI: pretend to send) its headers.

require_once __DIR__ . '/../src/autoload.php';

ob_start();

final class CheckFailed extends RuntimeException {}

final class Skipped extends RuntimeException {}

final class T
{
    public const T0 = 1_700_000_000;

    /** Options every test engine uses: a manual clock at T0, no fsync, cheap argon2. */
    public const FAST = [
        'manual_clock' => true,
        'manual_clock_start' => self::T0,
        'durable_commits' => false,
        'argon2_m_cost' => 64,
        'argon2_t_cost' => 1,
        'argon2_p_cost' => 1,
    ];

    private static int $passed = 0;
    /** @var list<string> */
    private static array $failures = [];
    /** @var list<string> */
    private static array $skips = [];
    private static ?string $dir = null;

    public static function test(string $name, callable $body): void
    {
        try {
            $body();
            self::$passed++;
        } catch (Skipped $skip) {
            self::$skips[] = "SKIP {$name}: {$skip->getMessage()}";
        } catch (Throwable $e) {
            self::$failures[] = "FAIL {$name}: " . get_class($e) . ': ' . $e->getMessage()
                . "\n  at " . $e->getFile() . ':' . $e->getLine();
        }
    }

    /** End the running test as skipped: what it needs is missing here. */
    public static function skip(string $reason): never
    {
        throw new Skipped($reason);
    }

    public static function check(bool $condition, string $what): void
    {
        if (!$condition) {
            throw new CheckFailed($what);
        }
    }

    public static function same(mixed $expected, mixed $actual, string $what): void
    {
        if ($expected !== $actual) {
            throw new CheckFailed("{$what}: expected " . var_export($expected, true) . ', got ' . var_export($actual, true));
        }
    }

    /**
     * $body must throw $class (whose status, when it is an authkv
     * exception, has that very class) with a message containing $message.
     */
    public static function throws(string $class, callable $body, ?string $message = null): Throwable
    {
        try {
            $body();
        } catch (Throwable $e) {
            if (!$e instanceof $class) {
                throw new CheckFailed("expected {$class}, got " . get_class($e) . ': ' . $e->getMessage());
            }
            if ($e instanceof Authkv\Exception) {
                self::same($class, Authkv\Exception::classes()[$e->getStatus()] ?? null, 'class of the status');
                self::check($e->getMessage() !== '', 'the library left a message');
            }
            if ($message !== null && !str_contains($e->getMessage(), $message)) {
                throw new CheckFailed("message \"{$e->getMessage()}\" does not mention \"{$message}\"");
            }
            return $e;
        }
        throw new CheckFailed("expected {$class}, nothing was thrown");
    }

    /** A scratch directory, removed at exit. */
    public static function dir(): string
    {
        if (self::$dir === null) {
            $dir = sys_get_temp_dir() . '/authkv-php-' . bin2hex(random_bytes(6));
            mkdir($dir);
            self::$dir = $dir;
            register_shutdown_function(static function () use ($dir): void {
                foreach (glob("{$dir}/*") ?: [] as $file) {
                    unlink($file);
                }
                rmdir($dir);
            });
        }
        return self::$dir;
    }

    /** @param array<string, mixed> $options */
    public static function engine(string $name, array $options = []): Authkv\Engine
    {
        return new Authkv\Engine(self::dir() . "/{$name}.redb", $options + self::FAST);
    }

    public static function finish(): never
    {
        $held = (string) ob_get_clean();
        echo $held;
        foreach ([...self::$skips, ...self::$failures] as $line) {
            echo $line, "\n";
        }
        $failed = count(self::$failures);
        $skipped = self::$skips === [] ? '' : ', ' . count(self::$skips) . ' skipped';
        echo self::$passed, ' passed, ', $failed, " failed{$skipped}\n";
        exit($failed === 0 && self::$passed > 0 ? 0 : 1);
    }
}

/** Output of `php -r $code $args...` with the binding loaded. */
function php_run(string $code, string ...$args): string
{
    $script = 'require ' . var_export(__DIR__ . '/../src/autoload.php', true) . ';' . $code;
    $command = [PHP_BINARY, '-d', 'display_errors=stderr', '-r', $script, ...$args];
    $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    if (!is_resource($process)) {
        throw new CheckFailed('cannot start php');
    }
    $out = (string) stream_get_contents($pipes[1]) . (string) stream_get_contents($pipes[2]);
    proc_close($process);
    return trim($out);
}
