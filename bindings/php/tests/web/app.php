<?php

declare(strict_types=1);

// The web app of workers_test.php, served by `php -S` with several
// workers: PHP's native sessions in authkv through Authkv\SessionHandler,
// on the engine each worker keeps open (Engine::shared).
//
//   GET /login?user=N  a session for user N: $_SESSION['user'], and the
//                      authkv session bound to N (its id rotates)
//   GET /count         $_SESSION['count'] + 1 (401 before a login)
//   GET /logout        the session destroyed
//
// Each answer ends with the worker's pid and how many lookups its engine
// has served, to show the engine lived on from one request to the next.
//
// The database is $AUTHKV_WEB_DB.

require __DIR__ . '/../../src/autoload.php';

ini_set('session.gc_probability', '0');

$engine = Authkv\Engine::shared((string) getenv('AUTHKV_WEB_DB'));
(new Authkv\SessionHandler($engine, $_SERVER['REMOTE_ADDR'] ?? '', $_SERVER['HTTP_USER_AGENT'] ?? ''))->register();
session_start();

header('Content-Type: text/plain');
switch (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH)) {
    case '/login':
        $user = (int) ($_GET['user'] ?? 0);
        $_SESSION = ['user' => $user, 'count' => 0];
        // authkv's login rotates the id: store the data, log in, and go on
        // under the new id (PHP sends it in a new cookie).
        session_write_close();
        session_id($engine->login(session_id(), $user)->id);
        session_start();
        echo "user {$user}";
        break;
    case '/count':
        if (!isset($_SESSION['user'])) {
            http_response_code(401);
            echo 'no user';
            break;
        }
        $_SESSION['count']++;
        $bound = $engine->loadSession(session_id())->userId;
        echo "count {$_SESSION['count']} user {$_SESSION['user']} bound {$bound}";
        break;
    case '/logout':
        session_destroy();
        echo 'logged out';
        break;
    default:
        http_response_code(404);
        echo 'not found';
}
echo ' pid ', getmypid(), ' lookups ', $engine->stats()['lookups'], "\n";
