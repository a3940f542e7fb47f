<?php

declare(strict_types=1);

namespace Authkv;

use FFI;

/**
 * What this process keeps from one request to the next, for
 * Engine::shared().
 *
 * PHP frees every object, static or not, and the FFI instance (unloading
 * libauthkv.so) at the end of each request of php-fpm or `php -S`. An
 * engine closes with its last handle, so to keep it open across requests
 * the process holds one handle that PHP never sees and never closes, and
 * keeps the library loaded. Whether this process already holds one is
 * noted in its environment (through libc, which PHP does not restore as
 * it restores putenv()), with the pid, so a child of fork() (whose
 * inherited engine is unusable) takes its own.
 *
 * @internal
 */
final class Process
{
    private const RTLD_NOW = 0x2;
    private const RTLD_NOLOAD = 0x4;
    private const RTLD_NODELETE = 0x1000;

    /**
     * Run $open once per process for $key; it must leave a handle open
     * for the rest of the process.
     *
     * @param callable(): void $open
     */
    public static function once(string $key, callable $open): void
    {
        $libc = FFI::cdef('char *getenv(const char *name);'
            . ' int setenv(const char *name, const char *value, int overwrite);'
            . ' void *dlopen(const char *file, int mode);');
        $name = 'AUTHKV_PHP_HELD_' . md5($key);
        $pid = (string) getmypid();
        $held = $libc->getenv($name);
        if ($held !== null && FFI::string($held) === $pid) {
            return;
        }
        $open();
        // The engine now outlives this request: its code must stay mapped
        // when PHP releases the FFI instance.
        $libc->dlopen(Library::path(), self::RTLD_NOW | self::RTLD_NOLOAD | self::RTLD_NODELETE);
        $libc->setenv($name, $pid, 1);
    }
}
