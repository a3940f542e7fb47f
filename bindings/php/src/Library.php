<?php

declare(strict_types=1);

namespace Authkv;

use FFI;
use FFI\CData;

/**
 * The shared library behind every call: loaded once per process from
 * authkv.ffi.h (the flattened header) and libauthkv.so, plus the helpers
 * that move PHP values across the boundary.
 *
 * The library is looked for at $AUTHKV_LIBRARY, else at
 * ../../target/release/libauthkv.so relative to bindings/php/ (a build
 * in this repository), else by the system loader (libauthkv.so on its path).
 */
final class Library
{
    private static ?FFI $ffi = null;

    /** The FFI instance with every declaration of the header. */
    public static function ffi(): FFI
    {
        if (self::$ffi === null) {
            if (!extension_loaded('ffi')) {
                throw new \RuntimeException('authkv needs PHP\'s FFI extension (php-cli ships it on Debian 12)');
            }
            $declarations = file_get_contents(__DIR__ . '/../authkv.ffi.h');
            if ($declarations === false) {
                throw new \RuntimeException('cannot read authkv.ffi.h');
            }
            self::$ffi = FFI::cdef($declarations, self::path());
        }
        return self::$ffi;
    }

    /** Where libauthkv.so is loaded from. */
    public static function path(): string
    {
        $explicit = getenv('AUTHKV_LIBRARY');
        if (is_string($explicit) && $explicit !== '') {
            return $explicit;
        }
        $inTree = dirname(__DIR__, 3) . '/target/release/libauthkv.so';
        return is_file($inTree) ? $inTree : 'libauthkv.so';
    }

    /**
     * Throw the exception for a status other than OK, with what the library
     * left for it on this thread: the message and, for a token over its
     * limits, the seconds to wait (read right after the call, before
     * another call replaces them).
     */
    public static function check(int $status): void
    {
        if ($status !== Status::OK) {
            $ffi = self::ffi();
            $error = Exception::fromStatus($status, $ffi->authkv_last_error());
            if ($error instanceof RateLimited) {
                $error->retryAfter = $ffi->authkv_last_retry_after();
            } elseif ($error instanceof QuotaExhausted) {
                $wait = $ffi->authkv_last_retry_after();
                $error->retryAfter = $wait === 0 ? null : $wait; // 0: it never refills
            }
            throw $error;
        }
    }

    /**
     * A C copy of `$text` that a struct field can point to, with the pointer:
     * PHP strings only pass as `const char *` arguments, not as fields. The
     * returned buffer must be kept alive as long as the pointer is used.
     *
     * @return array{0: CData, 1: CData}
     */
    public static function cText(string $text): array
    {
        $ffi = self::ffi();
        $buffer = $ffi->new('char[' . (strlen($text) + 1) . ']');
        if ($text !== '') {
            FFI::memcpy($buffer, $text, strlen($text));
        }
        return [$buffer, $ffi->cast('const char *', $buffer)];
    }

    /**
     * A C copy of binary data for a `const uint8_t *` parameter (PHP passes
     * strings only as `const char *`), with the pointer; NULL for no bytes.
     * Keep the buffer alive while the pointer is used.
     *
     * @return array{0: ?CData, 1: ?CData}
     */
    public static function cBytes(string $data): array
    {
        if ($data === '') {
            return [null, null];
        }
        $ffi = self::ffi();
        $buffer = $ffi->new('uint8_t[' . strlen($data) . ']');
        FFI::memcpy($buffer, $data, strlen($data));
        return [$buffer, $ffi->cast('const uint8_t *', FFI::addr($buffer[0]))];
    }

    /** The bytes of a library-owned view (authkv_str / authkv_bytes). */
    public static function view(CData $view): string
    {
        return $view->len === 0 ? '' : FFI::string($view->ptr, $view->len);
    }

    /**
     * The abilities of an authkv_abilities list.
     *
     * @return list<string>
     */
    public static function abilities(CData $list): array
    {
        $out = [];
        for ($i = 0; $i < $list->len; $i++) {
            $out[] = self::view($list->items[$i]);
        }
        return $out;
    }

    /**
     * A list of abilities as the newline-separated text the C API takes.
     * An empty ability, or one holding a newline, cannot travel in that
     * form and is refused.
     *
     * @param list<string> $abilities
     */
    public static function abilityList(array $abilities, string $what = 'abilities'): string
    {
        foreach ($abilities as $index => $ability) {
            if (!is_string($ability)) {
                throw new \TypeError("{$what}[{$index}] must be a string, " . get_debug_type($ability) . ' given');
            }
            if ($ability === '' || str_contains($ability, "\n")) {
                throw new InvalidArgument(Status::INVALID_ARGUMENT, "{$what}[{$index}] is empty or contains a newline");
            }
        }
        return implode("\n", $abilities);
    }

    /** An id or count as the C API's uint64_t: an int of at least 0. */
    public static function u64(int $value, string $what): int
    {
        if ($value < 0) {
            throw new InvalidArgument(Status::INVALID_ARGUMENT, "{$what} = {$value} is negative");
        }
        return $value;
    }

    /** Free a library-owned authkv_string and return its text. */
    public static function takeString(CData $string): string
    {
        try {
            return self::view($string->text);
        } finally {
            self::ffi()->authkv_string_free($string);
        }
    }
}
