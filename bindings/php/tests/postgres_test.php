<?php

declare(strict_types=1);

// The PostgreSQL backend from PHP: two engines on one database, as two
// hosts behind a load balancer would have. AUTHKV_TEST_DATABASE (set by
// tests/php_binding.rs when the library has the postgres feature) names a
// connection string with an empty schema.

require __DIR__ . '/harness.php';

$database = getenv('AUTHKV_TEST_DATABASE') ?: null;

T::test('a path and a url together, or neither, are refused', function (): void {
    T::throws(Authkv\InvalidArgument::class, fn () => new Authkv\Engine(T::dir() . '/x.redb', [], 'host=/nowhere'));
    T::throws(Authkv\InvalidArgument::class, fn () => new Authkv\Engine());
});

T::test('a logout on one host is refused by the other at once', function () use ($database): void {
    if ($database === null) {
        T::skip('AUTHKV_TEST_DATABASE names no database');
    }
    // This process is one host; another PHP process is the other.
    $here = Authkv\Engine::shared(url: $database, options: T::FAST);
    $id = $here->login($here->createSession('192.0.2.1', 'php')->id, 42)->id;
    $token = $here->createToken(7, 'deploy', ['read']);
    T::same(42, $here->loadSession($id)->userId, 'logged in');
    T::same(7, $here->authenticateToken($token->plainText)->userId, 'and cached');
    $other = '$e = new Authkv\Engine(url: $argv[1], options: unserialize($argv[4])); '
        . '$e->invalidateSession($argv[2]); $e->revokeToken((int) $argv[3]); echo "revoked";';
    $revoked = php_run($other, $database, $id, (string) $token->id, serialize(T::FAST));
    T::same('revoked', $revoked, 'the other host');
    T::throws(Authkv\NotFound::class, fn () => $here->loadSession($id));
    T::throws(Authkv\Unauthenticated::class, fn () => $here->authenticateToken($token->plainText));
    $here->close();
});

T::test('an unreachable server is Unavailable and its message hides the password', function () use ($database): void {
    if ($database === null) {
        T::skip('the library may be built without PostgreSQL');
    }
    $url = 'postgresql://app:hunter2-secret@localhost/app?host=/nonexistent&port=1';
    $error = T::throws(Authkv\Unavailable::class, fn () => new Authkv\Engine(url: $url));
    T::check(!str_contains($error->getMessage(), 'hunter2-secret'), 'no password in the message');
});

T::finish();
