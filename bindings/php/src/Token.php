<?php

declare(strict_types=1);

namespace Authkv;

use FFI\CData;

/**
 * A token that authenticated: its id, user and abilities. Holds the
 * library's object (freed when this is destroyed) because can() and cant()
 * ask the library.
 */
final class Token
{
    public readonly int $id;
    public readonly int $userId;
    /** @var list<string> */
    public readonly array $abilities;

    public function __construct(private CData $token)
    {
        $this->id = $token->id;
        $this->userId = $token->user_id;
        $this->abilities = Library::abilities($token->abilities);
    }

    /** Whether the token grants $ability (exactly, or through "*"). */
    public function can(string $ability): bool
    {
        $answer = Library::ffi()->new('bool');
        Library::check(Library::ffi()->authkv_token_can($this->token, $ability, strlen($ability), \FFI::addr($answer)));
        return $answer->cdata;
    }

    /** Whether the token lacks $ability. */
    public function cant(string $ability): bool
    {
        $answer = Library::ffi()->new('bool');
        Library::check(Library::ffi()->authkv_token_cant($this->token, $ability, strlen($ability), \FFI::addr($answer)));
        return $answer->cdata;
    }

    public function __destruct()
    {
        Library::ffi()->authkv_token_free($this->token);
    }
}
