<?php

declare(strict_types=1);

namespace Authkv;

use FFI;

/** Sessions: create, load, save, the three rotations, destroy, CSRF, devices. */
trait SessionCalls
{
    private function newSession(string $name, mixed ...$args): NewSession
    {
        $id = $this->buffer(Abi::SESSION_ID_SIZE);
        $csrf = $this->buffer(Abi::CSRF_TOKEN_SIZE);
        $this->call($name, ...[...$args, $id, Abi::SESSION_ID_SIZE, $csrf, Abi::CSRF_TOKEN_SIZE, null]);
        return new NewSession(FFI::string($id), FFI::string($csrf));
    }

    /** Start a visitor's session: a fresh id and CSRF token, no user. */
    public function createSession(string $ip = '', string $userAgent = ''): NewSession
    {
        return $this->newSession('session_create', $ip, strlen($ip), $userAgent, strlen($userAgent));
    }

    /** The live session with this id (throws NotFound). */
    public function loadSession(string $id): Session
    {
        $out = $this->ffi->new('authkv_session*');
        $this->call('session_load', $id, strlen($id), FFI::addr($out));
        try {
            return Session::fromC($out[0]);
        } finally {
            $this->ffi->authkv_session_free($out);
        }
    }

    /**
     * Replace the payload; with $expectedVersion only if nobody wrote since
     * (else Conflict). Returns the new version.
     */
    public function saveSession(string $id, string $payload, ?int $expectedVersion = null): int
    {
        $version = $this->ffi->new('uint64_t');
        [$buffer, $bytes] = Library::cBytes($payload);
        $this->call(
            'session_save',
            $id,
            strlen($id),
            $bytes,
            strlen($payload),
            $expectedVersion !== null,
            Library::u64($expectedVersion ?? 0, 'expectedVersion'),
            FFI::addr($version),
        );
        unset($buffer); // alive until here
        return $version->cdata;
    }

    /** Log $userId in: the id and CSRF token rotate; the old id dies. */
    public function login(string $id, int $userId): NewSession
    {
        return $this->newSession('session_login', $id, strlen($id), Library::u64($userId, 'userId'));
    }

    /** New id and CSRF token; user and payload kept. */
    public function regenerateSession(string $id): NewSession
    {
        return $this->newSession('session_regenerate', $id, strlen($id));
    }

    /** Log out: user and payload cleared, id and CSRF token rotated. */
    public function invalidateSession(string $id): NewSession
    {
        return $this->newSession('session_invalidate', $id, strlen($id));
    }

    /** Delete the session (throws NotFound when there was none). */
    public function destroySession(string $id): void
    {
        $this->call('session_destroy', $id, strlen($id));
    }

    /** The session's CSRF token. */
    public function csrfToken(string $id): string
    {
        $out = $this->buffer(Abi::CSRF_TOKEN_SIZE);
        $this->call('session_csrf_token', $id, strlen($id), $out, Abi::CSRF_TOKEN_SIZE, null);
        return FFI::string($out);
    }

    /** Whether $token is the session's CSRF token (constant time). */
    public function verifyCsrf(string $id, string $token): bool
    {
        try {
            $this->call('session_csrf_verify', $id, strlen($id), $token, strlen($token));
            return true;
        } catch (CsrfMismatch) {
            return false;
        }
    }

    /** Give the session a new CSRF token and return it. */
    public function rotateCsrf(string $id): string
    {
        $out = $this->buffer(Abi::CSRF_TOKEN_SIZE);
        $this->call('session_csrf_rotate', $id, strlen($id), $out, Abi::CSRF_TOKEN_SIZE, null);
        return FFI::string($out);
    }

    /** @return list<SessionInfo> the user's live sessions, oldest first */
    public function userSessions(int $userId): array
    {
        $out = $this->ffi->new('authkv_session_list*');
        $this->call('session_list_user', Library::u64($userId, 'userId'), FFI::addr($out));
        try {
            $list = [];
            for ($i = 0; $i < $out[0]->len; $i++) {
                $item = $out[0]->items[$i];
                $list[] = new SessionInfo(
                    FFI::string($item->handle),
                    Library::view($item->ip),
                    Library::view($item->user_agent),
                    $item->created_at,
                    $item->last_activity,
                );
            }
            return $list;
        } finally {
            $this->ffi->authkv_session_list_free($out);
        }
    }

    /** Delete one session by its public handle. */
    public function revokeSession(string $handle): void
    {
        $this->call('session_revoke', $handle, strlen($handle));
    }

    /** Delete every session of the user except $keep; returns how many. */
    public function revokeUserSessions(int $userId, ?string $keep = null): int
    {
        $revoked = $this->ffi->new('size_t');
        $this->call('session_revoke_user', Library::u64($userId, 'userId'), $keep, strlen($keep ?? ''), FFI::addr($revoked));
        return $revoked->cdata;
    }
}
