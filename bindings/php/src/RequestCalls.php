<?php

declare(strict_types=1);

namespace Authkv;

use FFI;

/** The request guard over a header map, and the Set-Cookie values of a response. */
trait RequestCalls
{
    /**
     * Who sent this request, as auth:sanctum decides: the session cookie
     * for first-party requests (Referer/Origin in stateful_domains; CSRF
     * checked on writes), else the bearer token. $headers maps header names
     * (any case) to values; the guard reads Cookie, Authorization, Origin,
     * Referer, Host, X-CSRF-TOKEN, X-XSRF-TOKEN and Sec-Fetch-Site. $formToken is the form's
     * `_token` field. See Guard for $_SERVER.
     *
     * Throws Unauthenticated, CsrfMismatch, InvalidArgument for a header
     * the parser refuses (over 8 KiB, too many cookies), or, for a valid
     * bearer token over its limits, RateLimited or QuotaExhausted (HTTP
     * 429, $retryAfter for Retry-After).
     *
     * @param array<string, string> $headers
     */
    public function authenticate(string $method, array $headers, ?string $formToken = null): Principal
    {
        $fields = [
            'cookie' => 'cookie', 'authorization' => 'authorization', 'origin' => 'origin',
            'referer' => 'referer', 'host' => 'host', 'x-csrf-token' => 'csrf_token',
            'x-xsrf-token' => 'xsrf_token', 'sec-fetch-site' => 'sec_fetch_site',
        ];
        $values = [];
        foreach ($headers as $name => $value) {
            $key = strtolower((string) $name);
            if (array_key_exists($key, $values)) {
                throw new \ValueError("header {$name} is given twice (names are case-insensitive)");
            }
            if (!is_string($value)) {
                throw new \TypeError("header {$name} must be a string, " . get_debug_type($value) . ' given');
            }
            $values[$key] = $value;
        }
        $request = $this->ffi->new('authkv_request');
        $keep = [];
        $set = function (string $field, ?string $value) use ($request, &$keep): void {
            if ($value === null) {
                return; // absent: (NULL, 0)
            }
            [$buffer, $pointer] = Library::cText($value);
            $keep[] = $buffer;
            $request->{$field} = $pointer;
            $request->{$field . '_len'} = strlen($value);
        };
        $set('method', $method);
        foreach ($fields as $header => $field) {
            $set($field, $values[$header] ?? null);
        }
        $set('form_token', $formToken);
        $out = $this->ffi->new('authkv_principal*');
        $this->call('guard_authenticate', FFI::addr($request), FFI::addr($out));
        return new Principal($out);
    }

    /**
     * Throw ConfirmationRequired (HTTP 423) unless the principal's user
     * proved the password within $maxAgeSecs (at login or by
     * confirmPassword()); a bearer token never carries that proof.
     */
    public function requireFresh(Principal $principal, int $maxAgeSecs): void
    {
        $this->call('principal_require_fresh', $principal->cdata(), Library::u64($maxAgeSecs, 'maxAgeSecs'));
    }

    /** The Set-Cookie value carrying $sessionId. */
    public function sessionCookie(string $sessionId): string
    {
        $out = $this->ffi->new('authkv_string*');
        $this->call('cookie_session', $sessionId, strlen($sessionId), FFI::addr($out));
        return Library::takeString($out);
    }

    /** The Set-Cookie value of the script-readable XSRF-TOKEN cookie. */
    public function xsrfCookie(string $csrfToken): string
    {
        $out = $this->ffi->new('authkv_string*');
        $this->call('cookie_xsrf', $csrfToken, strlen($csrfToken), FFI::addr($out));
        return Library::takeString($out);
    }

    /** The Set-Cookie value that removes the session cookie. */
    public function clearSessionCookie(): string
    {
        $out = $this->ffi->new('authkv_string*');
        $this->call('cookie_clear_session', FFI::addr($out));
        return Library::takeString($out);
    }
}
