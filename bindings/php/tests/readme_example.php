<?php

declare(strict_types=1);

require __DIR__ . '/../src/autoload.php';  // bindings/php/src/autoload.php

$engine = Authkv\Engine::shared('app.redb');  // one engine per worker, kept across requests

// PHP's own sessions ($_SESSION), stored in authkv with authkv's ids.
$ip = $_SERVER['REMOTE_ADDR'] ?? '203.0.113.9';
(new Authkv\SessionHandler($engine, $ip, $_SERVER['HTTP_USER_AGENT'] ?? ''))->register();
session_start();

// A password login, throttled per (login, address).
$engine->setPassword(42, 'ada@example.com', 'correct horse battery');
try {
    $_SESSION['user'] = $engine->attempt('ada@example.com', 'correct horse battery', $ip);
    session_regenerate_id(true);  // a new id at login; the old row is deleted
} catch (Authkv\InvalidCredentials) {
    http_response_code(401);
} catch (Authkv\Throttled $throttled) {
    header("Retry-After: {$throttled->retryAfter}", true, 429);
}
echo "browser: user {$_SESSION['user']}\n";

// An API request with a bearer token, decided as auth:sanctum does
// (Guard reads $_SERVER and $_POST; here the header is given explicitly).
$token = $engine->createToken(42, 'cli', ['orders:read']);
$who = (new Authkv\Guard($engine))->authenticate([
    'REQUEST_METHOD' => 'GET',
    'HTTP_AUTHORIZATION' => "Bearer {$token->plainText}",
]);
$who->require(['orders:read']);  // throws Authkv\Forbidden otherwise
echo "api: user {$who->userId} via token {$who->tokenId}\n";

session_write_close();
$engine->close();
