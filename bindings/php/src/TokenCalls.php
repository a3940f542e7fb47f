<?php

declare(strict_types=1);

namespace Authkv;

use FFI;

/** Personal access tokens: create, authenticate, list, revoke, prune, import. */
trait TokenCalls
{
    /**
     * A new token for $userId; its plain text is shown once.
     *
     * @param list<string> $abilities
     */
    public function createToken(int $userId, string $name, array $abilities = [], ?int $expiresAt = null): NewToken
    {
        $list = Library::abilityList($abilities);
        $id = $this->ffi->new('uint64_t');
        $out = $this->buffer(Abi::TOKEN_MAX_SIZE);
        $this->call(
            'token_create',
            Library::u64($userId, 'userId'),
            $name,
            strlen($name),
            $list,
            strlen($list),
            $expiresAt !== null,
            Library::u64($expiresAt ?? 0, 'expiresAt'),
            FFI::addr($id),
            $out,
            Abi::TOKEN_MAX_SIZE,
            null,
        );
        return new NewToken($id->cdata, FFI::string($out));
    }

    /** The token a client sent (throws Unauthenticated). */
    public function authenticateToken(string $plainText): Token
    {
        $out = $this->ffi->new('authkv_token*');
        $this->call('token_authenticate', $plainText, strlen($plainText), FFI::addr($out));
        return new Token($out);
    }

    /** @return list<TokenInfo> the user's stored tokens, oldest first */
    public function userTokens(int $userId): array
    {
        $out = $this->ffi->new('authkv_token_list*');
        $this->call('token_list_user', Library::u64($userId, 'userId'), FFI::addr($out));
        try {
            $list = [];
            for ($i = 0; $i < $out[0]->len; $i++) {
                $t = $out[0]->items[$i];
                $list[] = new TokenInfo(
                    $t->id,
                    Library::view($t->name),
                    Library::abilities($t->abilities),
                    $t->created_at,
                    $t->has_last_used_at ? $t->last_used_at : null,
                    $t->has_expires_at ? $t->expires_at : null,
                    $t->expired,
                );
            }
            return $list;
        } finally {
            $this->ffi->authkv_token_list_free($out);
        }
    }

    /** Delete one token (throws NotFound). */
    public function revokeToken(int $tokenId): void
    {
        $this->call('token_revoke', Library::u64($tokenId, 'tokenId'));
    }

    /** Delete every token of the user; returns how many. */
    public function revokeUserTokens(int $userId): int
    {
        $revoked = $this->ffi->new('size_t');
        $this->call('token_revoke_user', Library::u64($userId, 'userId'), FFI::addr($revoked));
        return $revoked->cdata;
    }

    /** Delete tokens expired for more than $hours; returns how many. */
    public function pruneTokens(int $hours): int
    {
        $pruned = $this->ffi->new('uint64_t');
        $this->call('token_prune', Library::u64($hours, 'hours'), FFI::addr($pruned));
        return $pruned->cdata;
    }

    /**
     * Store a personal_access_tokens row so its plain text keeps working
     * ($abilities is the decoded JSON column).
     *
     * @param list<string> $abilities
     */
    public function importSanctumToken(
        int $tokenId,
        int $userId,
        string $name,
        string $sha256Hex,
        array $abilities = [],
        int $createdAt = 0,
        ?int $lastUsedAt = null,
        ?int $expiresAt = null,
    ): void {
        $list = Library::abilityList($abilities);
        $this->call(
            'token_import_sanctum',
            Library::u64($tokenId, 'tokenId'),
            Library::u64($userId, 'userId'),
            $name,
            strlen($name),
            $sha256Hex,
            strlen($sha256Hex),
            $list,
            strlen($list),
            Library::u64($createdAt, 'createdAt'),
            $lastUsedAt !== null,
            Library::u64($lastUsedAt ?? 0, 'lastUsedAt'),
            $expiresAt !== null,
            Library::u64($expiresAt ?? 0, 'expiresAt'),
        );
    }
}
