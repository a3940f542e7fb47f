<?php

declare(strict_types=1);

// One browser of workers_test.php, with a cookie jar of its own: logs in
// as USER, counts COUNTS times, logs out, then counts once more. Requests
// go one after another; one JSON line per request: the path, the HTTP
// status, the body and the session id the request carried.
//
// Usage: php client.php PORT USER COUNTS

[, $port, $user, $counts] = $argv;
$session = null; // the jar: the PHPSESSID cookie

function get(string $port, string $path, ?string &$session): void
{
    $context = stream_context_create(['http' => [
        'header' => $session === null ? [] : ["Cookie: PHPSESSID={$session}"],
        'ignore_errors' => true, // the body and status of a 401 or a 500 too
        'timeout' => 30,
    ]]);
    $sent = $session;
    $body = file_get_contents("http://127.0.0.1:{$port}{$path}", false, $context);
    $headers = $http_response_header ?? [];
    $status = preg_match('#^HTTP/\S+ (\d{3})#', $headers[0] ?? '', $m) === 1 ? (int) $m[1] : 0;
    foreach ($headers as $header) {
        if (preg_match('/^Set-Cookie: PHPSESSID=([^;]*)/i', $header, $m) === 1) {
            $session = $m[1];
        }
    }
    echo json_encode(['path' => $path, 'status' => $status, 'body' => $body, 'sent' => $sent]), "\n";
}

get($port, "/login?user={$user}", $session);
for ($i = 0; $i < (int) $counts; $i++) {
    get($port, '/count', $session);
}
get($port, '/logout', $session);
get($port, '/count', $session);
