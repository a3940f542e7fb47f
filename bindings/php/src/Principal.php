<?php

declare(strict_types=1);

namespace Authkv;

use FFI\CData;

/**
 * Who sent a request, as the guard decided. Holds the library's object
 * (freed when this is destroyed) because require() asks the library.
 */
final class Principal
{
    /** The authenticated user. */
    public readonly int $userId;
    /** 'session' or 'token'. */
    public readonly string $via;
    /** The token's id when $via is 'token', else null. */
    public readonly ?int $tokenId;
    /** @var list<string> ['*'] for a session user, the token's abilities otherwise. */
    public readonly array $abilities;
    /** The loaded session when $via is 'session', else null. */
    public readonly ?Session $session;

    public function __construct(private CData $principal)
    {
        $this->userId = $principal->user_id;
        $byToken = $principal->via === Abi::VIA_TOKEN;
        $this->via = $byToken ? 'token' : 'session';
        $this->tokenId = $byToken ? $principal->token_id : null;
        $this->abilities = Library::abilities($principal->abilities);
        $this->session = \FFI::isNull($principal->session) ? null : Session::fromC($principal->session[0]);
    }

    /**
     * Throw Forbidden unless the principal has every ability in $all and,
     * when $any is not empty, one in $any (Sanctum's `abilities` and
     * `ability` middleware).
     *
     * @param list<string> $all
     * @param list<string> $any
     */
    public function require(array $all = [], array $any = []): void
    {
        $every = Library::abilityList($all, 'all');
        $oneOf = Library::abilityList($any, 'any');
        Library::check(Library::ffi()->authkv_principal_require(
            $this->principal,
            $every,
            strlen($every),
            $oneOf,
            strlen($oneOf),
        ));
    }

    /** The C principal, for the engine's calls that read it. */
    public function cdata(): CData
    {
        return $this->principal;
    }

    public function __destruct()
    {
        Library::ffi()->authkv_principal_free($this->principal);
    }
}
