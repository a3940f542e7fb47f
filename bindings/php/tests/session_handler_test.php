<?php

declare(strict_types=1);

// PHP's native sessions on authkv through Authkv\SessionHandler, in one
// process: ids are authkv's, a made-up id is never adopted, the payload
// round-trips, session_regenerate_id(true) rotates and deletes the old
// row, session_destroy() deletes, gc runs authkv's collection.

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

/** Start a session under a fresh authkv id (session_create_id() asks create_sid()). */
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
