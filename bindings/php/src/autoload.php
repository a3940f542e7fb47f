<?php

declare(strict_types=1);

// Loads the authkv PHP binding: require this file, then use Authkv\Engine.
// (No Composer needed; the classes have no dependencies besides ext-ffi.)

foreach ([
    'Abi', 'Status', 'Exception', 'Errors', 'Library', 'Records', 'Token', 'Principal',
    'SessionCalls', 'TokenCalls', 'CredentialCalls', 'RequestCalls', 'Process', 'Engine',
    'SessionHandler', 'Guard',
] as $file) {
    require_once __DIR__ . "/{$file}.php";
}
