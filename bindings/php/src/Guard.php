<?php

declare(strict_types=1);

namespace Authkv;

/**
 * auth:sanctum over PHP's request globals: reads REQUEST_METHOD,
 * HTTP_COOKIE, HTTP_AUTHORIZATION, HTTP_ORIGIN, HTTP_REFERER, HTTP_HOST,
 * HTTP_X_CSRF_TOKEN, HTTP_X_XSRF_TOKEN and HTTP_SEC_FETCH_SITE from
 * $_SERVER and `_token` from
 * $_POST, and asks the engine who sent the request.
 *
 *     $user = (new Authkv\Guard($engine))->authenticate();   // or 401/419/429
 *     $user->require(['orders:read']);                        // or 403
 *
 * A bearer token over its rate limit or quota is RateLimited or
 * QuotaExhausted: answer 429, with `Retry-After: $e->retryAfter` when
 * that is not null (a quota that never refills names no wait).
 *
 * (Apache without CGIPassAuth hides Authorization from PHP; the header is
 * then in REDIRECT_HTTP_AUTHORIZATION, which is read when
 * HTTP_AUTHORIZATION is absent.)
 */
final class Guard
{
    private const SERVER_HEADERS = [
        'HTTP_COOKIE' => 'Cookie',
        'HTTP_AUTHORIZATION' => 'Authorization',
        'HTTP_ORIGIN' => 'Origin',
        'HTTP_REFERER' => 'Referer',
        'HTTP_HOST' => 'Host',
        'HTTP_X_CSRF_TOKEN' => 'X-CSRF-TOKEN',
        'HTTP_X_XSRF_TOKEN' => 'X-XSRF-TOKEN',
        'HTTP_SEC_FETCH_SITE' => 'Sec-Fetch-Site',
    ];

    public function __construct(private readonly Engine $engine) {}

    /**
     * The principal of the current request ($server and $post default to
     * $_SERVER and $_POST). Throws Unauthenticated (401), CsrfMismatch
     * (419), InvalidArgument (400), or RateLimited / QuotaExhausted (429)
     * for a valid bearer token over its limits.
     *
     * @param array<string, mixed>|null $server
     * @param array<string, mixed>|null $post
     */
    public function authenticate(?array $server = null, ?array $post = null): Principal
    {
        $server ??= $_SERVER;
        $post ??= $_POST;
        [$method, $headers] = self::request($server);
        $formToken = isset($post['_token']) && is_string($post['_token']) ? $post['_token'] : null;
        return $this->engine->authenticate($method, $headers, $formToken);
    }

    /**
     * The method and the headers the guard reads, from a $_SERVER array.
     *
     * @param array<string, mixed> $server
     * @return array{0: string, 1: array<string, string>}
     */
    public static function request(array $server): array
    {
        if (!isset($server['HTTP_AUTHORIZATION']) && isset($server['REDIRECT_HTTP_AUTHORIZATION'])) {
            $server['HTTP_AUTHORIZATION'] = $server['REDIRECT_HTTP_AUTHORIZATION'];
        }
        $headers = [];
        foreach (self::SERVER_HEADERS as $key => $header) {
            if (isset($server[$key]) && is_string($server[$key])) {
                $headers[$header] = $server[$key];
            }
        }
        $method = is_string($server['REQUEST_METHOD'] ?? null) ? $server['REQUEST_METHOD'] : 'GET';
        return [$method, $headers];
    }
}
