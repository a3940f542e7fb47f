<?php

declare(strict_types=1);

// Bad calls through the PHP binding: wrong types and null are TypeError
// (strict types) before any call; negative ids are InvalidArgument; the
// library refuses over-limit lengths, invalid UTF-8 and malformed values
// with its status and message; nothing is stored.

require __DIR__ . '/harness.php';

use Authkv\Abi;
use Authkv\Library;
use Authkv\Status;

const BAD_UTF8 = "\xff\xfe";

T::test('the header and the library agree with the generated constants', function (): void {
    T::same(Abi::VERSION_NUMBER, Library::ffi()->authkv_version(), 'version');
    T::same([107, 108], [Status::INVALID_CREDENTIALS, Status::THEFT_DETECTED], 'new statuses');
    T::same([110, 111], [Status::RATE_LIMITED, Status::QUOTA_EXHAUSTED], 'token limit statuses');
    foreach ((new ReflectionClass(Status::class))->getConstants() as $name => $code) {
        if ($code !== Status::OK) {
            T::check(isset(Authkv\Exception::classes()[$code]), "status {$name} has an exception class");
        }
    }
});

T::test('wrong types and null are TypeError', function (): void {
    $e = T::engine('types');
    $s = $e->createSession('1.2.3.4', 'ua');
    $calls = [
        fn () => $e->createSession(null, 'ua'),
        fn () => $e->loadSession(null),
        fn () => $e->saveSession($s->id, null),
        fn () => $e->login($s->id, '42'),
        fn () => $e->login($s->id, null),
        fn () => $e->createToken(9, null),
        fn () => $e->createToken(9, 'cli', 'orders:read'),
        fn () => $e->createToken(9, 'cli', [42]),
        fn () => $e->createToken(9, 'cli', rateLimit: [3, 60]),
        fn () => $e->createToken(9, 'cli', quota: 5),
        fn () => $e->createToken(9, 'cli', rateLimit: new Authkv\RateLimit('3', 60)),
        fn () => $e->createToken(9, 'cli', quota: new Authkv\Quota(5, 5, 1.5)),
        fn () => $e->setTokenLimits(1, new Authkv\Quota(3)),
        fn () => $e->setTokenLimits('1'),
        fn () => $e->tokenLimits(null),
        fn () => $e->authenticateToken(null),
        fn () => $e->attempt('ada', 'pw', null),
        fn () => $e->changePassword(42, 'pw', null, 'yes'),
        fn () => $e->authenticate('GET', ['Cookie' => 42]),
        fn () => new Authkv\Engine(T::dir() . '/x.redb', ['manual_clock' => 'yes']),
        fn () => new Authkv\Engine(T::dir() . '/x.redb', ['exclusive' => 1]),
        fn () => new Authkv\Engine(T::dir() . '/x.redb', ['token_prefix' => null]),
        fn () => new Authkv\Engine(T::dir() . '/x.redb', ['no_such_option' => 1]),
        fn () => new Authkv\Engine(T::dir() . '/x.redb', ['token_prefix_len' => 3]),
    ];
    foreach ($calls as $index => $call) {
        try {
            $call();
            throw new CheckFailed("call {$index} did not throw");
        } catch (TypeError) {
        }
    }
    T::throws(Authkv\InvalidArgument::class, fn () => $e->login($s->id, -1), 'negative');
    T::throws(Authkv\InvalidArgument::class, fn () => T::engine('commas', ['stateful_domains' => ['a.test,b.test']]), 'commas');
    T::throws(ValueError::class, fn () => $e->authenticate('GET', ['Cookie' => 'a=1', 'cookie' => 'b=2']));
    T::same(1, $e->stats()['sessions'], 'nothing stored');
});

T::test('the library refuses over-limit, malformed and non-UTF-8 input and stores nothing', function (): void {
    $e = T::engine('refusals', ['max_payload' => 64]);
    $s = $e->createSession('1.2.3.4', 'ua');
    $token = $e->createToken(9, 'cli', ['read']);
    $e->setPassword(42, 'ada', 'pw');
    $remember = $e->createRememberToken(42);
    $before = $e->stats();

    T::throws(Authkv\InvalidArgument::class, fn () => $e->createSession(str_repeat('1', 46), 'ua'), '46 bytes');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createSession(BAD_UTF8, 'ua'), 'not valid UTF-8');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createSession("1.2\0.4", 'ua'), 'NUL byte');
    T::throws(Authkv\PayloadTooLarge::class, fn () => $e->saveSession($s->id, str_repeat('p', 65)), '65 bytes');
    T::throws(Authkv\NotFound::class, fn () => $e->loadSession('short'), 'malformed');
    T::throws(Authkv\NotFound::class, fn () => $e->loadSession(str_repeat('A', 38) . BAD_UTF8));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->revokeSession('zz' . str_repeat('0', 62)));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->revokeUserSessions(42, 'short'), 'keep_id is malformed');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createToken(9, str_repeat('n', 256)), '255');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createToken(9, ''), 'empty');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createToken(9, 'cli', array_fill(0, 65, 'a')), '65 token abilities');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createToken(9, 'cli', ["a\nb"]), 'newline');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createToken(9, 'cli', ['']), 'empty');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->createToken(9, BAD_UTF8));
    foreach (['', 'garbage', '0|' . str_repeat('A', 48), substr($token->plainText, 0, -1) . 'x', str_repeat('1', 200), BAD_UTF8] as $bad) {
        T::throws(Authkv\Unauthenticated::class, fn () => $e->authenticateToken($bad));
    }
    T::throws(Authkv\NotFound::class, fn () => $e->revokeToken(999));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->importSanctumToken(0, 1, 'n', str_repeat('0', 64)), 'ids start at 1');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->importSanctumToken(5, 1, 'n', 'zz'), '64 hex');
    T::throws(Authkv\AlreadyExists::class, fn () => $e->importSanctumToken($token->id, 1, 'n', str_repeat('0', 64)));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->setPassword(42, str_repeat('l', 321), 'pw'), '320');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->setPassword(42, 'ada', str_repeat('p', 4097)), '4096');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->setPassword(42, '', 'pw'), 'login must not be empty');
    T::throws(Authkv\AlreadyExists::class, fn () => $e->setPassword(43, 'ada', 'pw'));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->attempt('ada', 'pw', str_repeat('1', 46)), '46 bytes');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->attempt('ada', BAD_UTF8, 'ip'));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->verifyPassword(42, ''));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->changePassword(42, 'new', 'short'), 'keep_id is malformed');
    T::throws(Authkv\NotFound::class, fn () => $e->changePassword(77, 'new'), 'user 77');
    foreach (['', str_repeat('x', 57), substr($remember, 0, -1), $remember . 'x', str_repeat(BAD_UTF8, 28) . 'x'] as $bad) {
        T::throws(Authkv\Unauthenticated::class, fn () => $e->consumeRememberToken($bad));
    }
    T::throws(Authkv\InvalidArgument::class, fn () => $e->authenticate('', []), 'method is empty');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->authenticate('GET', ['Authorization' => str_repeat('b', 8193)]), '8193');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->authenticate('GET', ['Referer' => BAD_UTF8]), 'request.referer');
    T::throws(Authkv\InvalidArgument::class, fn () => $e->authenticate('GET', ['Cookie' => str_repeat('a=1;', 129), 'Origin' => 'http://localhost']), '128 cookie pairs');
    T::throws(Authkv\NotFound::class, fn () => $e->sessionCookie('short'));
    T::throws(Authkv\InvalidArgument::class, fn () => $e->xsrfCookie(str_repeat('x;', 20)), 'csrf_token is malformed');
    T::throws(Authkv\Misuse::class, fn () => new Authkv\Engine(T::dir() . '/refusals.redb', T::FAST), 'max_payload');
    $system = new Authkv\Engine(T::dir() . '/system.redb');
    T::throws(Authkv\Misuse::class, fn () => $system->setTime(5), 'system clock');
    $system->close();

    $after = $e->stats();
    T::same($before['write_commits'], $after['write_commits'], 'no commit');
    T::same([1, 1, 1], [$after['tokens'], $after['credentials'], $after['remember_tokens']], 'stored state');
    T::same([], $e->verify(), 'consistent');
    T::same(9, $e->authenticateToken($token->plainText)->userId, 'token still works');
    T::same(42, $e->consumeRememberToken($remember)[0], 'remember-me still works');
});

T::test('limits out of range and unknown tokens are refused, and nothing is stored', function (): void {
    $e = T::engine('limits');
    $token = $e->createToken(9, 'cli');
    $before = $e->stats();
    $cases = [
        [new Authkv\RateLimit(0, 60), null, 'max must be at least 1'],
        [new Authkv\RateLimit(3, 0), null, 'window'],
        [new Authkv\RateLimit(-1, 60), null, 'negative'],
        [null, new Authkv\Quota(5, 0, 60), 'refill_amount'],
        [null, new Authkv\Quota(5, 5, 0), 'refillInterval'],
        [null, new Authkv\Quota(-5), 'negative'],
    ];
    foreach ($cases as [$rateLimit, $quota, $message]) {
        T::throws(Authkv\InvalidArgument::class, fn () => $e->createToken(9, 'x', rateLimit: $rateLimit, quota: $quota), $message);
        T::throws(Authkv\InvalidArgument::class, fn () => $e->setTokenLimits($token->id, $rateLimit, $quota), $message);
    }
    T::throws(Authkv\NotFound::class, fn () => $e->setTokenLimits(999, quota: new Authkv\Quota(1)), '999');
    T::throws(Authkv\NotFound::class, fn () => $e->setTokenLimits(999));
    $after = $e->stats();
    T::same([$before['write_commits'], 1], [$after['write_commits'], $after['tokens']], 'nothing stored');
    T::same(null, $e->tokenLimits($token->id), 'the token keeps no limits');
    T::same([], $e->verify(), 'consistent');
});

T::test('bad options name their field', function (): void {
    $cases = [
        [['token_prefix' => 'a b'], 'token_prefix'],
        [['token_prefix' => str_repeat('p', 33)], 'at most 32 bytes'],
        [['stateful_domains' => ['ok.test', 'https://bad.test']], 'pattern #1'],
        [['session_cookie' => 'bad name'], 'session_cookie'],
        [['session_cookie' => BAD_UTF8], 'opts.session_cookie is not valid UTF-8'],
        [['cookie_same_site' => 9], 'cookie_same_site'],
        [['cookie_host_prefix' => true, 'cookie_domain' => 'example.com'], 'Domain'],
        [['argon2_m_cost' => 1], 'argon2'],
        [['throttle_max_attempts' => 0], 'throttle_max_attempts'],
        [['idle_lifetime_secs' => 0], 'idle_lifetime'],
    ];
    foreach ($cases as [$options, $message]) {
        T::throws(Authkv\InvalidArgument::class, fn () => T::engine('fresh', $options), $message);
    }
});

T::finish();
