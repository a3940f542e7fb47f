<?php

declare(strict_types=1);

// PHP's native sessions across processes: one php process writes session
// data through Authkv\SessionHandler, a second php process reads it back
// under the same id, a third, shown an id authkv never issued, gets a new
// empty session; a login in one process and a logout in another reach
// authkv. The engine file is shared sequentially: each process opens it,
// serves one request and closes it.

require __DIR__ . '/harness.php';

function php_process(string ...$args): string
{
    $command = array_merge([PHP_BINARY, __DIR__ . '/native/session_process.php'], $args);
    $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    if (!is_resource($process)) {
        throw new CheckFailed('cannot start php');
    }
    $out = (string) stream_get_contents($pipes[1]);
    $err = (string) stream_get_contents($pipes[2]);
    $status = proc_close($process);
    if ($status !== 0) {
        throw new CheckFailed("php session_process.php {$args[1]} exited with {$status}: {$err}{$out}");
    }
    return $out;
}

T::test('a second php process reads what the first one wrote', function (): void {
    $db = T::dir() . '/shared.redb';
    $id = php_process($db, 'write');
    T::check(preg_match('/^[A-Za-z0-9]{40}$/', $id) === 1, "the writer printed an authkv id: {$id}");

    $read = json_decode(php_process($db, 'read', $id), true, flags: JSON_THROW_ON_ERROR);
    T::same($id, $read['id'], 'the reader kept the id');
    T::same(['apples' => 3], $read['session']['cart'] ?? null, 'the cart');
    T::check(str_starts_with($read['session']['greeting'] ?? '', 'hello from process '), 'the greeting');

    $foreign = json_decode(php_process($db, 'read', str_repeat('B', 40)), true, flags: JSON_THROW_ON_ERROR);
    T::check($foreign['id'] !== str_repeat('B', 40), 'a foreign id is not adopted');
    T::same([], $foreign['session'], 'and gets an empty session');

    $engine = new Authkv\Engine($db);
    $stored = $engine->loadSession($id);
    T::same(['192.0.2.8', 'php-write'], [$stored->ip, $stored->userAgent], 'the row the writer made');
    T::same([], $engine->verify(), 'consistent');
    $engine->close();
});

T::test('a login in one process, the user in the next, a logout in a third', function (): void {
    $db = T::dir() . '/login.redb';
    $visitor = php_process($db, 'write');
    $user = php_process($db, 'login', $visitor, '7');
    T::check(preg_match('/^[A-Za-z0-9]{40}$/', $user) === 1 && $user !== $visitor, "a new authkv id: {$user}");

    $read = json_decode(php_process($db, 'read', $user), true, flags: JSON_THROW_ON_ERROR);
    T::same($user, $read['id'], 'the reader kept the new id');
    T::same(['apples' => 3], $read['session']['cart'] ?? null, 'the data from before the login');
    T::same(7, $read['session']['user'] ?? null, 'and from the login');

    $engine = new Authkv\Engine($db);
    T::same(7, $engine->loadSession($user)->userId, 'the stored session has the user');
    T::same(1, count($engine->userSessions(7)), 'userSessions(7) lists it');
    $who = (new Authkv\Guard($engine))->authenticate(
        ['REQUEST_METHOD' => 'GET', 'HTTP_COOKIE' => "authkv_session={$user}", 'HTTP_ORIGIN' => 'http://localhost'],
        [],
    );
    T::same([7, 'session'], [$who->userId, $who->via], 'Guard authenticates the cookie');
    $engine->close();

    $anonymous = php_process($db, 'logout', $user);
    $engine = new Authkv\Engine($db);
    T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($user));
    T::same([null, ''], [$engine->loadSession($anonymous)->userId, $engine->loadSession($anonymous)->payload], 'logged out, data flushed');
    T::same([], $engine->userSessions(7), 'no device left');
    T::same([], $engine->verify(), 'consistent');
    $engine->close();
});

T::finish();
