<?php

declare(strict_types=1);

require __DIR__ . '/../src/autoload.php';  // bindings/php/src/autoload.php

$engine = Authkv\Engine::shared('app.redb');  // one engine per worker, kept across requests

// PHP's own sessions ($_SESSION), stored in authkv with authkv's ids.
$ip = $_SERVER['REMOTE_ADDR'] ?? '203.0.113.9';
$sessions = new Authkv\SessionHandler($engine, $ip, $_SERVER['HTTP_USER_AGENT'] ?? '');
$sessions->register();
session_name('authkv_session');  // the cookie Guard reads
session_start();

// A password login, throttled per (login, address).
$engine->setPassword(42, 'ada@example.com', 'correct horse battery');
try {
    $user = $engine->attempt('ada@example.com', 'correct horse battery', $ip);
    $sessions->login($user);  // a new session id, bound to the user; the old one is dead
} catch (Authkv\InvalidCredentials) {
    http_response_code(401);
} catch (Authkv\Throttled $throttled) {
    header("Retry-After: {$throttled->retryAfter}", true, 429);
}

// The browser's next request, decided as auth:sanctum does (Guard reads
// $_SERVER and $_POST; here the headers are given explicitly).
$guard = new Authkv\Guard($engine);
$who = $guard->authenticate([
    'REQUEST_METHOD' => 'GET',
    'HTTP_COOKIE' => 'authkv_session=' . session_id(),
    'HTTP_REFERER' => 'http://localhost/orders',
]);
echo "browser: user {$who->userId} via {$who->via}, ", count($engine->userSessions(42)), " device\n";

// An API request with a bearer token.
$token = $engine->createToken(42, 'cli', ['orders:read']);
$who = $guard->authenticate([
    'REQUEST_METHOD' => 'GET',
    'HTTP_AUTHORIZATION' => "Bearer {$token->plainText}",
]);
$who->require(['orders:read']);  // throws Authkv\Forbidden otherwise
echo "api: user {$who->userId} via token {$who->tokenId}\n";

session_write_close();  // (a later request logs out with $sessions->logout())
$engine->close();
