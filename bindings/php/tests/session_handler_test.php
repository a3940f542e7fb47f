<?php

declare(strict_types=1);

// PHP's native sessions on authkv through Authkv\SessionHandler, in one
// process: ids are authkv's, a made-up id is never adopted, the payload
// round-trips, session_regenerate_id(true) rotates and deletes the old
// row, session_destroy() deletes, gc runs authkv's collection; login(),
// regenerate() and logout() rotate the session in authkv and PHP's
// session id follows.

require __DIR__ . '/harness.php';

ini_set('session.use_cookies', '0');
ini_set('session.use_only_cookies', '0');
ini_set('session.cache_limiter', '');
ini_set('session.gc_probability', '0'); // gc runs only when the test calls it

$engine = T::engine('native');
$handler = new Authkv\SessionHandler($engine, '192.0.2.7', 'php-cli');
$handler->register();

T::test('register turns on strict mode', function (): void {
    T::same('1', ini_get('session.use_strict_mode'), 'strict mode');
});

T::test('session_start issues an authkv id and the payload round-trips', function () use ($engine): void {
    T::check(session_start(), 'started');
    $id = session_id();
    T::same(40, strlen($id), 'an authkv id');
    $stored = $engine->loadSession($id);
    T::same(['192.0.2.7', 'php-cli'], [$stored->ip, $stored->userAgent], 'created by create_sid');
    $_SESSION['cart'] = [3, 'apples'];
    session_write_close();
    T::same('cart|a:2:{i:0;i:3;i:1;s:6:"apples";}', $engine->loadSession($id)->payload, 'payload stored');

    session_id($id);
    session_start();
    T::same([3, 'apples'], $_SESSION['cart'] ?? null, 'payload read back');
    session_write_close();
});

T::test('a made-up id is never adopted', function () use ($engine): void {
    $madeUp = str_repeat('A', 40);
    session_id($madeUp);
    session_start();
    T::check(session_id() !== $madeUp, 'a new id was issued');
    T::same([], $_SESSION, 'empty session');
    $_SESSION['x'] = 1;
    session_write_close();
    T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($madeUp));
});

/** Start a new session (PHP's id is unknown to authkv, so create_sid() makes one). */
function fresh_session(): void
{
    session_id((string) session_create_id());
    session_start();
}

T::test('session_regenerate_id(true) rotates the id and deletes the old row', function () use ($engine): void {
    fresh_session();
    T::same([], $_SESSION, 'a fresh session');
    $old = session_id();
    $_SESSION['user'] = 42;
    T::check(session_regenerate_id(true), 'regenerated');
    $new = session_id();
    T::check($new !== $old && strlen($new) === 40, 'a new authkv id');
    session_write_close();
    T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($old));
    T::same('user|i:42;', $engine->loadSession($new)->payload, 'data moved to the new id');
});

T::test('session_regenerate_id and session_create_id make one authkv session each', function () use ($engine): void {
    fresh_session();
    $sessions = $engine->stats()['sessions'];
    // PHP checks the new id for a collision (validateId); the handler must
    // not answer "taken" for the id it just made, or PHP makes more.
    T::check(session_regenerate_id(false), 'regenerated');
    T::same($sessions + 1, $engine->stats()['sessions'], 'the old session kept, one new');
    T::check(session_regenerate_id(true), 'regenerated');
    T::same($sessions + 1, $engine->stats()['sessions'], 'the old session deleted, one new');
    $id = session_create_id();
    T::check(is_string($id) && strlen($id) === 40, 'session_create_id() in an active session gives an authkv id');
    T::same($sessions + 2, $engine->stats()['sessions'], 'one more');
    $current = session_id();
    session_write_close();
    session_id($id);
    session_start();
    T::same($id, session_id(), 'the created id is adopted by a later session_start()');
    session_write_close();
    session_id($current);
    session_start();
    T::same($current, session_id(), 'a session restarted under its own id keeps it');
    session_write_close();
});

/**
 * Who the guard says sent a first-party GET with this session cookie
 * (null when nobody: Unauthenticated).
 */
function cookie_user(Authkv\Engine $engine, string $id): ?int
{
    try {
        return (new Authkv\Guard($engine))->authenticate([
            'REQUEST_METHOD' => 'GET',
            'HTTP_COOKIE' => "authkv_session={$id}",
            'HTTP_REFERER' => 'http://localhost/account',
        ], [])->userId;
    } catch (Authkv\Unauthenticated) {
        return null;
    }
}

T::test('login() binds the session to the user and moves PHP to the new id', function () use ($engine, $handler): void {
    fresh_session();
    $visitor = session_id();
    $_SESSION['cart'] = ['pears'];
    T::same(null, cookie_user($engine, $visitor), 'a visitor is nobody');
    $sessions = $engine->stats()['sessions'];

    $new = $handler->login(42);
    T::same($new->id, session_id(), "PHP's session id is authkv's new id");
    T::check($new->id !== $visitor, 'the id rotated');
    T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($visitor));
    T::same($sessions, $engine->stats()['sessions'], 'no session made or left behind');
    $_SESSION['user'] = 42;
    session_write_close();

    $stored = $engine->loadSession($new->id);
    T::same(42, $stored->userId, 'the stored session has the user');
    T::same($new->csrfToken, $stored->csrfToken, 'login returned the new CSRF token');
    T::same(['192.0.2.7', 'php-cli'], [$stored->ip, $stored->userAgent], 'the device is kept');
    T::same('cart|a:1:{i:0;s:5:"pears";}user|i:42;', $stored->payload, '$_SESSION kept and written under the new id');
    $devices = $engine->userSessions(42);
    T::same(1, count($devices), "userSessions(42) lists it");
    T::same('php-cli', $devices[0]->userAgent, 'the device');
    T::same(42, cookie_user($engine, $new->id), 'Guard authenticates the cookie');
    T::same(null, cookie_user($engine, $visitor), 'not the old one');

    session_id($new->id);
    session_start();
    T::same(['cart' => ['pears'], 'user' => 42], $_SESSION, 'the next request reads it');
    $again = $handler->regenerate();
    T::same($again->id, session_id(), 'regenerate(): PHP follows');
    session_write_close();
    T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($new->id));
    T::same(42, cookie_user($engine, $again->id), 'regenerate() keeps the user');
    T::same('cart|a:1:{i:0;s:5:"pears";}user|i:42;', $engine->loadSession($again->id)->payload, 'and the data');
    T::same(1, count($engine->userSessions(42)), 'still one device');

    session_id($again->id);
    session_start();
    $out = $handler->logout();
    T::same($out->id, session_id(), 'logout(): PHP follows');
    T::same([], $_SESSION, '$_SESSION emptied');
    $_SESSION['flash'] = 'bye';
    session_write_close();
    T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($again->id));
    $stored = $engine->loadSession($out->id);
    T::same([null, 'flash|s:3:"bye";'], [$stored->userId, $stored->payload], 'no user, only what was set after logout');
    T::same([], $engine->userSessions(42), 'no device left');
    T::same(null, cookie_user($engine, $out->id), 'Guard: nobody');
    T::same($sessions, $engine->stats()['sessions'], 'no session made or left behind');
    T::same([], $engine->verify(), 'consistent');
});

T::test('login() needs an active session of this handler', function () use ($engine, $handler): void {
    T::same(PHP_SESSION_NONE, session_status(), 'no session');
    T::throws(Authkv\Misuse::class, fn () => $handler->login(42), 'session_start()');
    T::throws(Authkv\Misuse::class, fn () => $handler->logout(), 'session_start()');

    // A session another handler stores is unknown to authkv.
    $other = new Authkv\SessionHandler(T::engine('other'));
    fresh_session();
    $id = session_id();
    T::throws(Authkv\NotFound::class, fn () => $other->login(42));
    T::same($id, session_id(), 'the session is left as it was');
    T::same(PHP_SESSION_ACTIVE, session_status(), 'and active');
    session_write_close();
    T::same([], $engine->userSessions(42), 'nobody logged in');
});

T::test('session_destroy deletes the row, gc collects expired ones', function () use ($engine): void {
    fresh_session();
    $id = session_id();
    $_SESSION['a'] = 1;
    session_write_close();
    session_id($id);
    session_start();
    session_destroy();
    T::throws(Authkv\NotFound::class, fn () => $engine->loadSession($id));

    $before = $engine->stats()['sessions'];
    T::check($before > 0, 'sessions remain');
    $engine->setTime(T::T0 + 7201);
    fresh_session();
    $collected = session_gc();
    session_write_close();
    T::same($before, $collected, 'every earlier session expired and was collected');
    T::same(1, $engine->stats()['sessions'], 'only the session started after the expiry is left');
    T::same([], $engine->verify(), 'consistent');
});

T::finish();
