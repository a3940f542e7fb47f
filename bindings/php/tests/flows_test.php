<?php

declare(strict_types=1);

// The quickstart flows through the PHP binding: sessions, tokens and
// their rate limits and quotas, a password login with throttling,
// remember-me rotation, the guard over $_SERVER, and the Set-Cookie values.

require __DIR__ . '/harness.php';

use Authkv\Engine;
use Authkv\Guard;
use Authkv\Quota;
use Authkv\RateLimit;
use Authkv\TokenLimits;

T::test('sessions: create, save, login, CSRF, devices, logout', function (): void {
    $e = T::engine('sessions');
    $visitor = $e->createSession('203.0.113.9', 'Mozilla/5.0');
    T::same(40, strlen($visitor->id), 'id length');
    $s = $e->loadSession($visitor->id);
    T::same(null, $s->userId, 'no user');
    T::same(['', 0, T::T0], [$s->payload, $s->version, $s->createdAt], 'fresh session');
    T::same(1, $e->saveSession($visitor->id, "cart\0=3", 0), 'binary payload saved');
    T::same("cart\0=3", $e->loadSession($visitor->id)->payload, 'payload read back');
    T::throws(Authkv\Conflict::class, fn () => $e->saveSession($visitor->id, 'x', 0), 'expected version 0');

    $user = $e->login($visitor->id, 42);
    T::throws(Authkv\NotFound::class, fn () => $e->loadSession($visitor->id));
    T::same(42, $e->loadSession($user->id)->userId, 'logged in');
    T::check($e->verifyCsrf($user->id, $user->csrfToken), 'CSRF matches');
    T::check(!$e->verifyCsrf($user->id, $visitor->csrfToken), 'old CSRF does not');
    $rotated = $e->rotateCsrf($user->id);
    T::same($rotated, $e->csrfToken($user->id), 'rotated CSRF');

    $e->setTime(T::T0 + 10);
    $phone = $e->login($e->createSession('198.51.100.7', 'Phone')->id, 42);
    $devices = $e->userSessions(42);
    T::same(['Mozilla/5.0', 'Phone'], array_map(fn ($d) => $d->userAgent, $devices), 'devices');
    $e->revokeSession($devices[1]->handle);
    T::throws(Authkv\NotFound::class, fn () => $e->loadSession($phone->id));
    $e->login($e->createSession('', 'Tablet')->id, 42);
    T::same(1, $e->revokeUserSessions(42, $user->id), 'other devices out');

    $again = $e->regenerateSession($user->id);
    T::same(42, $e->loadSession($again->id)->userId, 'regenerated keeps the user');
    $anonymous = $e->invalidateSession($again->id);
    T::same(null, $e->loadSession($anonymous->id)->userId, 'logged out');
    $e->destroySession($anonymous->id);
    T::throws(Authkv\NotFound::class, fn () => $e->destroySession($anonymous->id));
    T::same([], $e->verify(), 'consistent');
});

T::test('tokens: create with abilities, authenticate, can, list, prune, revoke, import', function (): void {
    $e = T::engine('tokens', ['token_prefix' => 'akv_']);
    $new = $e->createToken(9, 'cli', ['orders:read', 'orders:write']);
    T::check(str_starts_with($new->plainText, "{$new->id}|akv_"), 'plain text shape');
    $token = $e->authenticateToken($new->plainText);
    T::same([$new->id, 9, ['orders:read', 'orders:write']], [$token->id, $token->userId, $token->abilities], 'token');
    T::check($token->can('orders:read') && $token->cant('orders:delete'), 'can / cant');

    $expiring = $e->createToken(9, 'deploy', ['*'], T::T0 + 100);
    $e->setTime(T::T0 + 101);
    T::throws(Authkv\Unauthenticated::class, fn () => $e->authenticateToken($expiring->plainText));
    $listed = $e->userTokens(9);
    T::same(['cli', 'deploy'], array_map(fn ($t) => $t->name, $listed), 'listed');
    T::check($listed[1]->expired && $listed[1]->expiresAt === T::T0 + 100, 'expired one');
    T::same(T::T0, $listed[0]->lastUsedAt, 'last use');
    T::same(1, $e->pruneTokens(0), 'pruned');
    $e->revokeToken($new->id);
    T::throws(Authkv\Unauthenticated::class, fn () => $e->authenticateToken($new->plainText));
    T::throws(Authkv\NotFound::class, fn () => $e->revokeToken($new->id));
    $e->createToken(9, 'a');
    T::same(1, $e->revokeUserTokens(9), 'revoked all');

    $secret = 'akv_Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5';
    $e->importSanctumToken(700, 3, 'legacy', hash('sha256', $secret), ['read'], T::T0);
    $imported = $e->authenticateToken("700|{$secret}");
    T::same([700, 3, ['read']], [$imported->id, $imported->userId, $imported->abilities], 'imported');
    T::throws(Authkv\AlreadyExists::class, fn () => $e->importSanctumToken(700, 3, 'x', hash('sha256', $secret)));
    T::same(701, $e->createToken(3, 'next')->id, 'ids continue after the import');
});

T::test('token rate limit: max per window, then RateLimited with the rest of the window', function (): void {
    $e = T::engine('rate');
    $guard = new Guard($e);
    $token = $e->createToken(9, 'api', ['orders:read'], rateLimit: new RateLimit(3, 60));
    T::check($e->tokenLimits($token->id) == new TokenLimits(new RateLimit(3, 60), null), 'read back');
    for ($i = 0; $i < 3; $i++) {
        T::same(9, $e->authenticateToken($token->plainText)->userId, "request {$i} admitted");
    }
    $e->setTime(T::T0 + 15);
    $limited = T::throws(Authkv\RateLimited::class, fn () => $e->authenticateToken($token->plainText), 'retry in 45 s');
    T::same([110, 45], [$limited->getStatus(), $limited->retryAfter], 'status and the rest of the window');
    $bearer = ['REQUEST_METHOD' => 'GET', 'HTTP_AUTHORIZATION' => "Bearer {$token->plainText}"];
    $e->setTime(T::T0 + 59);
    $limited = T::throws(Authkv\RateLimited::class, fn () => $guard->authenticate($bearer, []));
    T::same(1, $limited->retryAfter, 'the guard refuses the same way');
    $e->setTime(T::T0 + 60);
    T::same($token->id, $guard->authenticate($bearer, [])->tokenId, 'a new window');
    T::throws(Authkv\Unauthenticated::class, fn () => $e->authenticateToken('1|not-a-token'));
    T::same([], $e->verify(), 'consistent');
});

T::test('token quota: runs out for good without a refill, names the wait with one', function (): void {
    $e = T::engine('quota');
    $token = $e->createToken(9, 'metered', quota: new Quota(5));
    T::check($e->tokenLimits($token->id)?->quota == new Quota(5, 0, null), 'read back');
    $e->authenticateToken($token->plainText);
    $e->authenticate('GET', ['Authorization' => "Bearer {$token->plainText}"]); // the guard counts too
    T::same(3, $e->tokenLimits($token->id)?->quota?->remaining, 'remaining after 2 uses');
    for ($i = 0; $i < 3; $i++) {
        $e->authenticateToken($token->plainText);
    }
    T::same(0, $e->tokenLimits($token->id)?->quota?->remaining, 'used up');
    $exhausted = T::throws(Authkv\QuotaExhausted::class, fn () => $e->authenticateToken($token->plainText));
    T::same([111, null], [$exhausted->getStatus(), $exhausted->retryAfter], 'no refill: no wait');
    $e->setTime(T::T0 + 365 * 86400);
    T::throws(Authkv\QuotaExhausted::class, fn () => $e->authenticateToken($token->plainText));

    $hourly = $e->createToken(9, 'hourly', quota: new Quota(2, refillAmount: 4, refillInterval: 3600));
    $e->authenticateToken($hourly->plainText);
    $e->authenticateToken($hourly->plainText);
    T::same(3600, T::throws(Authkv\QuotaExhausted::class, fn () => $e->authenticateToken($hourly->plainText))->retryAfter, 'a full period');
    $e->setTime(T::T0 + 365 * 86400 + 600);
    T::same(3000, T::throws(Authkv\QuotaExhausted::class, fn () => $e->authenticateToken($hourly->plainText))->retryAfter, 'the rest of it');
    $e->setTime(T::T0 + 365 * 86400 + 3600);
    T::same(4, $e->tokenLimits($hourly->id)?->quota?->remaining, 'refilled');
});

T::test('setTokenLimits adds, replaces (counts start over) and removes limits', function (): void {
    $e = T::engine('set-limits');
    $token = $e->createToken(9, 'later');
    T::same(null, $e->tokenLimits($token->id), 'no limits');
    T::same(null, $e->tokenLimits(999), 'no such token: no limits either');
    $e->setTokenLimits($token->id, new RateLimit(2, 60));
    $e->authenticateToken($token->plainText);
    $e->authenticateToken($token->plainText);
    T::throws(Authkv\RateLimited::class, fn () => $e->authenticateToken($token->plainText));
    $e->setTokenLimits($token->id, new RateLimit(2, 60));
    $e->authenticateToken($token->plainText);
    $e->authenticateToken($token->plainText);
    T::throws(Authkv\RateLimited::class, fn () => $e->authenticateToken($token->plainText));
    $e->setTokenLimits($token->id, quota: new Quota(1));
    T::check($e->tokenLimits($token->id) == new TokenLimits(null, new Quota(1)), 'quota only');
    $e->authenticateToken($token->plainText);
    T::throws(Authkv\QuotaExhausted::class, fn () => $e->authenticateToken($token->plainText));
    $e->setTokenLimits($token->id);
    T::same(null, $e->tokenLimits($token->id), 'removed');
    for ($i = 0; $i < 10; $i++) {
        $e->authenticateToken($token->plainText);
    }
    T::same([], $e->verify(), 'consistent');
});

T::test('passwords: login, throttling, confirmation, change', function (): void {
    $e = T::engine('passwords', ['throttle_max_attempts' => 3]);
    $e->setPassword(42, 'ada@example.com', 'correct horse');
    T::throws(Authkv\AlreadyExists::class, fn () => $e->setPassword(43, 'ada@example.com', 'x'));
    T::same(42, $e->attempt('ada@example.com', 'correct horse', '192.0.2.5'), 'login');
    for ($i = 0; $i < 3; $i++) {
        T::throws(Authkv\InvalidCredentials::class, fn () => $e->attempt('ada@example.com', 'wrong', '192.0.2.5'));
    }
    $throttled = T::throws(Authkv\Throttled::class, fn () => $e->attempt('ada@example.com', 'correct horse', '192.0.2.5'));
    T::same(60, $throttled->retryAfter, 'retry after');
    T::same(42, $e->attempt('ada@example.com', 'correct horse', '192.0.2.6'), 'other address');
    $e->setTime(T::T0 + 60);
    T::same(42, $e->attempt('ada@example.com', 'correct horse', '192.0.2.5'), 'after the window');
    T::check($e->verifyPassword(42, 'correct horse') && !$e->verifyPassword(42, 'wrong'), 'confirmation');

    $here = $e->login($e->createSession('192.0.2.5', 'laptop')->id, 42);
    $there = $e->login($e->createSession('192.0.2.6', 'phone')->id, 42);
    $token = $e->createToken(42, 'app');
    $e->changePassword(42, 'new battery', $here->id, true);
    T::same(42, $e->loadSession($here->id)->userId, 'this session stays');
    T::throws(Authkv\NotFound::class, fn () => $e->loadSession($there->id));
    T::throws(Authkv\Unauthenticated::class, fn () => $e->authenticateToken($token->plainText));
    T::same(42, $e->attempt('ada@example.com', 'new battery', '192.0.2.5'), 'new password');
});

T::test('remember-me: rotation, and a replay is theft', function (): void {
    $e = T::engine('remember');
    $first = $e->createRememberToken(42);
    [$user, $second] = $e->consumeRememberToken($first);
    T::same(42, $user, 'remembered user');
    T::check(substr($first, 0, 16) === substr($second, 0, 16) && $first !== $second, 'rotated');
    $theft = T::throws(Authkv\TheftDetected::class, fn () => $e->consumeRememberToken($first));
    T::same([108, 42], [$theft->getStatus(), $theft->userId], 'theft names the user');
    T::throws(Authkv\Unauthenticated::class, fn () => $e->consumeRememberToken($second));
    $e->createRememberToken(42);
    T::same(1, $e->revokeRememberTokens(42), 'revoked');
});

T::test('a stale login needs the password again before a sensitive action', function (): void {
    $e = T::engine('fresh', ['stateful_domains' => ['spa.test'], 'idle_lifetime_secs' => 86400]);
    $guard = new Guard($e);
    $e->setPassword(42, 'ada', 'the right password');
    $user = $e->login($e->createSession('192.0.2.5', 'browser')->id, 42);
    $get = ['REQUEST_METHOD' => 'GET', 'HTTP_COOKIE' => "authkv_session={$user->id}", 'HTTP_REFERER' => 'https://spa.test/x'];
    $e->requireFresh($guard->authenticate($get, []), 3 * 3600);
    T::check($e->isFresh($user->id, 3 * 3600), 'fresh after login');
    $e->setTime(T::T0 + 3 * 3600 + 1);
    T::check(!$e->isFresh($user->id, 3 * 3600), 'stale');
    $stale = T::throws(Authkv\ConfirmationRequired::class, fn () => $e->requireFresh($guard->authenticate($get, []), 3 * 3600));
    T::same(109, $stale->getStatus(), 'status 109');
    T::throws(Authkv\InvalidCredentials::class, fn () => $e->confirmPassword($user->id, 'a wrong guess'));
    $e->confirmPassword($user->id, 'the right password');
    T::check($e->isFresh($user->id, 3 * 3600), 'fresh again');
});

T::test('fetch-metadata CSRF: same-origin writes pass without a token, cross-site ones do not', function (): void {
    $e = T::engine('fetch', ['stateful_domains' => ['spa.test'], 'csrf_mode' => 'fetch-metadata']);
    $guard = new Guard($e);
    $user = $e->login($e->createSession('192.0.2.5', 'browser')->id, 42);
    $post = ['REQUEST_METHOD' => 'POST', 'HTTP_COOKIE' => "authkv_session={$user->id}", 'HTTP_REFERER' => 'https://spa.test/x'];
    T::same(42, $guard->authenticate($post + ['HTTP_SEC_FETCH_SITE' => 'same-origin'], [])->userId, 'same-origin');
    T::throws(Authkv\CsrfMismatch::class, fn () => $guard->authenticate($post + ['HTTP_SEC_FETCH_SITE' => 'cross-site'], []));
    T::throws(Authkv\CsrfMismatch::class, fn () => $guard->authenticate($post, [])); // neither header
    T::throws(\ValueError::class, fn () => T::engine('bad', ['csrf_mode' => 'lenient']));
});

T::test('guard over $_SERVER: session, CSRF, bearer, abilities, cookies', function (): void {
    $e = T::engine('guard', ['stateful_domains' => ['spa.test']]);
    $guard = new Guard($e);
    $user = $e->login($e->createSession('192.0.2.5', 'browser')->id, 42);
    $browser = ['HTTP_COOKIE' => "theme=dark; authkv_session={$user->id}", 'HTTP_REFERER' => 'https://spa.test/x'];
    $who = $guard->authenticate(['REQUEST_METHOD' => 'GET'] + $browser, []);
    T::same([42, 'session', null, ['*']], [$who->userId, $who->via, $who->tokenId, $who->abilities], 'session user');
    T::same($user->csrfToken, $who->session?->csrfToken, 'the loaded session');
    T::throws(Authkv\CsrfMismatch::class, fn () => $guard->authenticate(['REQUEST_METHOD' => 'POST'] + $browser, []));
    T::same(42, $guard->authenticate(['REQUEST_METHOD' => 'POST', 'HTTP_X_XSRF_TOKEN' => $user->csrfToken] + $browser, [])->userId, 'header token');
    T::same(42, $guard->authenticate(['REQUEST_METHOD' => 'POST'] + $browser, ['_token' => $user->csrfToken])->userId, 'form token');

    $token = $e->createToken(9, 'cli', ['orders:read']);
    $api = $guard->authenticate(['REQUEST_METHOD' => 'DELETE', 'HTTP_AUTHORIZATION' => "Bearer {$token->plainText}"], []);
    T::same([9, 'token', $token->id, null], [$api->userId, $api->via, $api->tokenId, $api->session], 'token user');
    $api->require(['orders:read']);
    T::throws(Authkv\Forbidden::class, fn () => $api->require(['orders:read', 'orders:write']), 'missing ability orders:write');
    T::throws(Authkv\Forbidden::class, fn () => $api->require([], ['a', 'b']), 'a or b');
    $api->require([], ['a', 'orders:read']);
    T::same(9, $guard->authenticate(['REQUEST_METHOD' => 'GET', 'REDIRECT_HTTP_AUTHORIZATION' => "Bearer {$token->plainText}"], [])->userId, 'Apache redirect header');
    T::throws(Authkv\Unauthenticated::class, fn () => $guard->authenticate(['REQUEST_METHOD' => 'GET'], []));

    $cookie = $e->sessionCookie($user->id);
    T::same("authkv_session={$user->id}; Path=/; Max-Age=7200; Secure; HttpOnly; SameSite=Lax", $cookie, 'Set-Cookie');
    $sentBack = explode(';', $cookie)[0];
    T::same(42, $e->authenticate('GET', ['cookie' => $sentBack, 'ORIGIN' => 'https://spa.test'])->userId, 'cookie sent back');
    T::check(!str_contains($e->xsrfCookie($user->csrfToken), 'HttpOnly'), 'XSRF-TOKEN is readable by scripts');
    T::check(str_starts_with($e->clearSessionCookie(), 'authkv_session=; Path=/; Max-Age=0'), 'clearing cookie');
});

T::test('close is idempotent and a closed engine refuses calls', function (): void {
    $e = T::engine('closed');
    $e->close();
    $e->close();
    $closed = T::throws(Authkv\Closed::class, fn () => $e->createSession());
    T::same(303, $closed->getStatus(), 'status');
});

T::finish();
