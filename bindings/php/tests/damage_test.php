<?php

declare(strict_types=1);

// Damaged files through the PHP binding: each is Authkv\Corrupt, never
// another record's data, and is left exactly as found.

require __DIR__ . '/harness.php';

/** Abi's AUTHKV_CREATE_IF_MISSING_OR_EMPTY: make a database in an empty file. */
const CREATE_IF_MISSING_OR_EMPTY = 1;

T::test('an empty or truncated file is Corrupt and left as found', function (): void {
    $e = T::engine('whole');
    for ($i = 0; $i < 20; $i++) {
        $e->createSession('1.2.3.4', 'ua');
    }
    $e->close();
    $whole = file_get_contents(T::dir() . '/whole.redb');
    foreach ([0, 100, intdiv(strlen($whole), 2)] as $cut) {
        $path = T::dir() . "/cut-{$cut}.redb";
        file_put_contents($path, substr($whole, 0, $cut));
        T::throws(Authkv\Corrupt::class, fn () => new Authkv\Engine($path, T::FAST), null);
        T::same(substr($whole, 0, $cut), file_get_contents($path), "cut at {$cut}: unchanged");
    }
    $empty = T::dir() . '/empty.redb';
    file_put_contents($empty, '');
    (new Authkv\Engine($empty, ['create' => CREATE_IF_MISSING_OR_EMPTY] + T::FAST))->close();
});

T::test('a flipped byte in a record is Corrupt, never other data', function (): void {
    $e = T::engine('flip');
    $session = $e->login($e->createSession('1.2.3.4', 'ua')->id, 42);
    $payload = 'the payload of user 42: ' . implode('', array_map('chr', range(32, 126)));
    $e->saveSession($session->id, $payload);
    $e->close();
    $path = T::dir() . '/flip.redb';
    $data = file_get_contents($path);
    $at = strpos($data, $payload);
    T::check($at !== false, 'the payload is stored as written');
    while ($at !== false) { // every copy redb keeps
        $data[$at + 30] = chr(ord($data[$at + 30]) ^ 1);
        $at = strpos($data, $payload, $at + 1);
    }
    file_put_contents($path, $data);
    $e = T::engine('flip');
    T::throws(Authkv\Corrupt::class, fn () => $e->loadSession($session->id), null);
    // From the first sign of damage the file is only read.
    T::throws(Authkv\Corrupt::class, fn () => $e->createSession('1.2.3.4', 'ua'), null);
    $e->close();
});

T::finish();
