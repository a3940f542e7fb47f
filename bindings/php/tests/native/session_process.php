<?php

declare(strict_types=1);

// One PHP process of the native-session round trip (driven by
// native_session_test.php): opens the engine file, runs one request's
// worth of session_start() through Authkv\SessionHandler, closes the
// engine so the next process can open the file.
//
// Usage: php session_process.php DB write              -> prints the new session id
//        php session_process.php DB read SESSION_ID    -> prints the id and $_SESSION as JSON
//        php session_process.php DB login SESSION_ID USER
//                                                      -> logs USER in, prints the new id
//        php session_process.php DB logout SESSION_ID  -> logs out, prints the new id

require __DIR__ . '/../../src/autoload.php';

ini_set('session.use_cookies', '0');
ini_set('session.use_only_cookies', '0');
ini_set('session.cache_limiter', '');
ini_set('session.gc_probability', '0');

[, $db, $mode] = $argv;
$engine = new Authkv\Engine($db, ['argon2_m_cost' => 64, 'argon2_t_cost' => 1]);
$handler = new Authkv\SessionHandler($engine, '192.0.2.8', "php-{$mode}");
$handler->register();

if ($mode === 'write') {
    session_start();
    $_SESSION['greeting'] = 'hello from process ' . getmypid();
    $_SESSION['cart'] = ['apples' => 3];
    echo session_id();
} elseif ($mode === 'read') {
    session_id($argv[3]);  // as if from the session cookie
    session_start();
    echo json_encode(['id' => session_id(), 'session' => $_SESSION]);
} else {
    session_id($argv[3]);
    session_start();
    if ($mode === 'login') {
        $handler->login((int) $argv[4]);
        $_SESSION['user'] = (int) $argv[4];
    } else {
        $handler->logout();
    }
    echo session_id();
}
session_write_close();
$engine->close();
