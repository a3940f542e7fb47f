<?php

declare(strict_types=1);

// Engine::shared(), the engine of a worker process: one object per path and
// options in a process, a new one after close() and in a child of fork(),
// where the inherited engine refuses every call with Misuse. And the file
// open in several processes at once, or, with 'exclusive', in one only.

require __DIR__ . '/harness.php';

T::test('shared() is one engine per path and options in a process', function (): void {
    $path = T::dir() . '/shared.redb';
    $a = Authkv\Engine::shared($path, T::FAST);
    T::check($a === Authkv\Engine::shared($path, array_reverse(T::FAST, true)), 'options in another order: the same engine');
    $id = $a->createSession('192.0.2.1', 'shared')->id;
    T::throws(Authkv\Misuse::class, fn () => Authkv\Engine::shared($path, ['durable_commits' => true] + T::FAST), 'durable_commits');

    $a->close();
    T::throws(Authkv\Closed::class, fn () => $a->loadSession($id));
    $b = Authkv\Engine::shared($path, T::FAST);
    T::check($b !== $a, 'a closed engine is replaced');
    T::same('shared', $b->loadSession($id)->userAgent, 'the same file');
});

T::test('several processes have the file open at once', function (): void {
    $path = T::dir() . '/together.redb';
    $engine = new Authkv\Engine($path); // the system clock, as the other process
    $id = $engine->createSession('192.0.2.2', 'first')->id;
    $out = php_run('$e = new Authkv\Engine($argv[1]); echo $e->loadSession($argv[2])->userAgent, " ", $e->createSession("192.0.2.3", "second")->id;', $path, $id);
    T::check(preg_match('/^first ([A-Za-z0-9]{40})$/', $out, $m) === 1, "the other process read and wrote: {$out}");
    T::same('second', $engine->loadSession($m[1])->userAgent, 'its session, seen at once');
    $engine->close();
});

T::test("'exclusive' keeps other processes out until closed", function (): void {
    $path = T::dir() . '/exclusive.redb';
    $engine = T::engine('exclusive', ['exclusive' => true, 'quick_repair' => true]);
    $open = 'try { new Authkv\Engine($argv[1]); echo "opened"; }'
        . ' catch (Authkv\Locked $l) { echo "Locked ", $l->getStatus(), " ", $l->getMessage(); }';
    $out = php_run($open, $path);
    T::check(str_starts_with($out, 'Locked 200') && str_contains($out, 'locked by another process'), "the other process said: {$out}");
    $engine->close();
    T::same('opened', php_run($open, $path), 'after close');
});

T::test('a child of fork() gets Misuse from the inherited engine and opens its own', function (): void {
    if (!function_exists('pcntl_fork')) {
        T::skip('the pcntl extension is not loaded');
    }
    $path = T::dir() . '/forked.redb';
    $parent = Authkv\Engine::shared($path, T::FAST);
    $id = $parent->createSession('192.0.2.4', 'parent')->id;
    $report = T::dir() . '/child.json';

    $pid = pcntl_fork();
    T::check($pid >= 0, 'forked');
    if ($pid === 0) {
        $seen = [];
        try {
            try {
                $parent->loadSession($id);
                $seen['inherited'] = 'no exception';
            } catch (Authkv\Exception $e) {
                $seen['inherited'] = [get_class($e), $e->getStatus(), $e->getMessage()];
            }
            $own = Authkv\Engine::shared($path, T::FAST);
            $seen['reopened'] = $own !== $parent;
            $seen['read'] = $own->loadSession($id)->userAgent;
            $seen['wrote'] = $own->createSession('192.0.2.5', 'child')->id;
            $own->close();
            $parent->close(); // an inherited handle closes without touching the file
            $seen['closed'] = true;
        } catch (Throwable $e) {
            $seen['error'] = get_class($e) . ': ' . $e->getMessage();
        }
        file_put_contents($report, json_encode($seen));
        // Leave at once: no shutdown functions (the parent's scratch
        // directory), no destructors, no held-back output.
        FFI::cdef('void _exit(int status);')->_exit(0);
    }

    pcntl_waitpid($pid, $status);
    T::check(pcntl_wifexited($status) && pcntl_wexitstatus($status) === 0, 'the child exited normally');
    $seen = json_decode((string) file_get_contents($report), true, flags: JSON_THROW_ON_ERROR);
    T::same(null, $seen['error'] ?? null, 'the child failed');
    [$class, $code, $message] = $seen['inherited'];
    T::same([Authkv\Misuse::class, Authkv\Status::MISUSE], [$class, $code], 'the inherited engine refused');
    T::check(str_contains($message, "used in pid {$pid}") && str_contains($message, 'open it again in the child'), "message: {$message}");
    T::same(true, $seen['reopened'], 'shared() opened a new engine in the child');
    T::same('parent', $seen['read'], 'which reads the file');
    T::same(true, $seen['closed'], 'the inherited engine closed quietly');

    T::same('child', $parent->loadSession($seen['wrote'])->userAgent, "the parent sees the child's session");
    T::same($parent, Authkv\Engine::shared($path, T::FAST), 'the parent keeps its engine');
    T::same([], $parent->verify(), 'consistent');
});

T::finish();
