<?php

declare(strict_types=1);

namespace Authkv;

use FFI;

/** Passwords (set, throttled attempt, confirm, change) and remember-me tokens. */
trait CredentialCalls
{
    /** Set the user's login and password (argon2id); AlreadyExists when taken. */
    public function setPassword(int $userId, string $login, string $password): void
    {
        $this->call('password_set', Library::u64($userId, 'userId'), $login, strlen($login), $password, strlen($password));
    }

    /**
     * Log in: the user id, or InvalidCredentials, or Throttled with the
     * seconds to wait in $retryAfter.
     */
    public function attempt(string $login, string $password, string $ip): int
    {
        $user = $this->ffi->new('uint64_t');
        $retryAfter = $this->ffi->new('uint64_t');
        try {
            $this->call(
                'password_attempt',
                $login,
                strlen($login),
                $password,
                strlen($password),
                $ip,
                strlen($ip),
                FFI::addr($user),
                FFI::addr($retryAfter),
            );
        } catch (Throttled $throttled) {
            $throttled->retryAfter = $retryAfter->cdata;
            throw $throttled;
        }
        return $user->cdata;
    }

    /**
     * Confirm the password of the user logged in on session $id before a
     * sensitive action: the session is fresh from now. Throws
     * InvalidCredentials (counted), Throttled with $retryAfter, NotFound,
     * or Unauthenticated for a guest's session.
     */
    public function confirmPassword(string $id, string $password): void
    {
        $retryAfter = $this->ffi->new('uint64_t');
        try {
            $this->call('session_confirm_password', $id, strlen($id), $password, strlen($password), FFI::addr($retryAfter));
        } catch (Throttled $throttled) {
            $throttled->retryAfter = $retryAfter->cdata;
            throw $throttled;
        }
    }

    /** Whether the user on session $id proved the password within $maxAgeSecs. */
    public function isFresh(string $id, int $maxAgeSecs): bool
    {
        $fresh = $this->ffi->new('bool');
        $this->call('session_is_fresh', $id, strlen($id), Library::u64($maxAgeSecs, 'maxAgeSecs'), FFI::addr($fresh));
        return $fresh->cdata;
    }

    /** Whether $password is the user's (one argon2 run; not throttled). */
    public function verifyPassword(int $userId, string $password): bool
    {
        try {
            $this->call('password_verify', Library::u64($userId, 'userId'), $password, strlen($password));
            return true;
        } catch (InvalidCredentials) {
            return false;
        }
    }

    /**
     * Store a new password; revoke every other session ($keepSession
     * survives), every remember-me token and, with $revokeTokens, every
     * personal access token of the user.
     */
    public function changePassword(int $userId, string $newPassword, ?string $keepSession = null, bool $revokeTokens = false): void
    {
        $this->call(
            'password_change',
            Library::u64($userId, 'userId'),
            $newPassword,
            strlen($newPassword),
            $keepSession,
            strlen($keepSession ?? ''),
            $revokeTokens,
        );
    }

    /** A remember-me token for the user's cookie. */
    public function createRememberToken(int $userId): string
    {
        $out = $this->buffer(Abi::REMEMBER_TOKEN_SIZE);
        $this->call('remember_create', Library::u64($userId, 'userId'), $out, Abi::REMEMBER_TOKEN_SIZE, null);
        return FFI::string($out);
    }

    /**
     * Log in with a remember-me cookie: [userId, rotatedToken].
     * Unauthenticated when it is not valid; TheftDetected (with $userId)
     * when an old copy was replayed.
     *
     * @return array{0: int, 1: string}
     */
    public function consumeRememberToken(string $token): array
    {
        $user = $this->ffi->new('uint64_t');
        $out = $this->buffer(Abi::REMEMBER_TOKEN_SIZE);
        try {
            $this->call('remember_consume', $token, strlen($token), FFI::addr($user), $out, Abi::REMEMBER_TOKEN_SIZE, null);
        } catch (TheftDetected $theft) {
            $theft->userId = $user->cdata;
            throw $theft;
        }
        return [$user->cdata, FFI::string($out)];
    }

    /** Delete every remember-me token of the user; returns how many. */
    public function revokeRememberTokens(int $userId): int
    {
        $revoked = $this->ffi->new('size_t');
        $this->call('remember_revoke_user', Library::u64($userId, 'userId'), FFI::addr($revoked));
        return $revoked->cdata;
    }
}
