<?php

declare(strict_types=1);

// One browser of workers_test.php, with a cookie jar of its own: logs in
// as USER, counts COUNTS times, logs out (a POST with the CSRF token the
// login answered with), then counts once more. Requests go one after
// another, each with the Origin of the site (same-origin requests); one
// JSON line per request: the path, the HTTP status, the body and the
// session id the request carried.
//
// Usage: php client.php PORT USER COUNTS

[, $port, $user, $counts] = $argv;
$session = null; // the jar: the authkv_session cookie
$csrf = '';

function request(string $port, string $method, string $path, ?string &$session, array $headers = []): string
{
    $headers[] = "Origin: http://127.0.0.1:{$port}";
    if ($session !== null) {
        $headers[] = "Cookie: authkv_session={$session}";
    }
    $context = stream_context_create(['http' => [
        'method' => $method,
        'header' => $headers,
        'ignore_errors' => true, // the body and status of a 401 or a 500 too
        'timeout' => 30,
    ]]);
    $sent = $session;
    $body = file_get_contents("http://127.0.0.1:{$port}{$path}", false, $context);
    $responseHeaders = $http_response_header ?? [];
    $status = preg_match('#^HTTP/\S+ (\d{3})#', $responseHeaders[0] ?? '', $m) === 1 ? (int) $m[1] : 0;
    foreach ($responseHeaders as $header) {
        if (preg_match('/^Set-Cookie: authkv_session=([^;]*)/i', $header, $m) === 1) {
            $session = $m[1];
        }
    }
    echo json_encode(['path' => $path, 'status' => $status, 'body' => $body, 'sent' => $sent]), "\n";
    return (string) $body;
}

$login = request($port, 'GET', "/login?user={$user}", $session);
$csrf = preg_match('/ csrf (\S+)/', $login, $m) === 1 ? $m[1] : '';
for ($i = 0; $i < (int) $counts; $i++) {
    request($port, 'GET', '/count', $session);
}
request($port, 'POST', '/logout', $session, ["X-CSRF-TOKEN: {$csrf}"]);
request($port, 'GET', '/count', $session);
