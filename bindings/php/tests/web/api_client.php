<?php

declare(strict_types=1);

// An API client of workers_test.php: ROUNDS rounds of one GET /api per
// bearer token, one request after another; one JSON line per request: the
// token's index, the HTTP status, the Retry-After header (null when
// absent) and the body.
//
// Usage: php api_client.php PORT ROUNDS TOKEN...

[, $port, $rounds] = $argv;
$tokens = array_slice($argv, 3);

for ($round = 0; $round < (int) $rounds; $round++) {
    foreach ($tokens as $index => $token) {
        $context = stream_context_create(['http' => [
            'method' => 'GET',
            'header' => ["Authorization: Bearer {$token}"],
            'ignore_errors' => true, // the body and status of a 429 too
            'timeout' => 30,
        ]]);
        $body = file_get_contents("http://127.0.0.1:{$port}/api", false, $context);
        $headers = $http_response_header ?? [];
        $status = preg_match('#^HTTP/\S+ (\d{3})#', $headers[0] ?? '', $m) === 1 ? (int) $m[1] : 0;
        $retryAfter = null;
        foreach ($headers as $header) {
            if (preg_match('/^Retry-After:\s*(\S+)/i', $header, $m) === 1) {
                $retryAfter = $m[1];
            }
        }
        echo json_encode(['token' => $index, 'status' => $status, 'retryAfter' => $retryAfter, 'body' => $body]), "\n";
    }
}
