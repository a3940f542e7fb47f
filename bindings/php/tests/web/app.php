<?php

declare(strict_types=1);

// The web app of workers_test.php (`php -S` with several workers) and of
// tests/php_fpm.rs (nginx and php-fpm): PHP's native sessions in authkv
// through Authkv\SessionHandler, on the engine each worker keeps open
// (Engine::shared), and the browser's user decided by Authkv\Guard from
// the session cookie (a same-origin request: Origin names the Host).
//
//   GET  /ping          "pong" and the ffi.enable setting, before any
//                       session (a readiness probe)
//   GET  /login?user=N  log user N in: the session rotates (a new cookie)
//                       and is bound to N; $_SESSION['count'] = 0; the
//                       answer names the new CSRF token and how many
//                       sessions N has
//   GET  /count         the Guard's user, $_SESSION['count'] + 1 (401
//                       before a login)
//   POST /logout        log out (X-CSRF-TOKEN: the token of the login): a
//                       new anonymous session, the data flushed
//   GET  /api           the bearer token's user, no session: 401 without a
//                       valid token, 429 for one over its rate limit or
//                       quota, with Retry-After when the wait is known
//
// Each answer ends with the worker's pid and how many lookups its engine
// has served, to show the engine lived on from one request to the next.
//
// The database is $AUTHKV_WEB_DB.

require __DIR__ . '/../../src/autoload.php';

ini_set('session.gc_probability', '0');
header('Content-Type: text/plain');

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path === '/ping') {
    echo 'pong pid ', getmypid(), ' ffi.enable ', ini_get('ffi.enable'), " \n";
    return;
}

$engine = Authkv\Engine::shared((string) getenv('AUTHKV_WEB_DB'), ['same_host_is_stateful' => true]);

if ($path === '/api') {
    try {
        $who = (new Authkv\Guard($engine))->authenticate();
        echo "user {$who->userId} token {$who->tokenId}";
    } catch (Authkv\Unauthenticated) {
        http_response_code(401);
        header('WWW-Authenticate: Bearer');
        echo 'no user';
    } catch (Authkv\RateLimited | Authkv\QuotaExhausted $limited) {
        http_response_code(429);
        if ($limited->retryAfter !== null) {
            header("Retry-After: {$limited->retryAfter}");
        }
        echo 'Too Many Attempts.';
    }
    echo ' pid ', getmypid(), "\n";
    return;
}
$handler = new Authkv\SessionHandler($engine, $_SERVER['REMOTE_ADDR'] ?? '', $_SERVER['HTTP_USER_AGENT'] ?? '');
$handler->register();
session_name('authkv_session'); // the cookie the guard reads (the engine's session_cookie)
session_start();

/** The user the guard finds for this request, or null (401/419 sent). */
function user(Authkv\Engine $engine): ?int
{
    try {
        return (new Authkv\Guard($engine))->authenticate()->userId;
    } catch (Authkv\Unauthenticated) {
        http_response_code(401);
        echo 'no user';
    } catch (Authkv\CsrfMismatch) {
        http_response_code(419);
        echo 'CSRF token mismatch';
    }
    return null;
}

switch ($_SERVER['REQUEST_METHOD'] . ' ' . $path) {
    case 'GET /login':
        $user = (int) ($_GET['user'] ?? 0);
        $new = $handler->login($user);
        $_SESSION['count'] = 0;
        echo "user {$user} csrf {$new->csrfToken} sessions ", count($engine->userSessions($user));
        break;
    case 'GET /count':
        $user = user($engine);
        if ($user !== null) {
            $_SESSION['count']++;
            echo "count {$_SESSION['count']} user {$user}";
        }
        break;
    case 'POST /logout':
        if (user($engine) !== null) {
            $handler->logout();
            echo 'logged out';
        }
        break;
    default:
        http_response_code(404);
        echo 'not found';
}
echo ' pid ', getmypid(), ' lookups ', $engine->stats()['lookups'], "\n";
