<?php

declare(strict_types=1);

namespace Authkv;

/**
 * PHP's native sessions ($_SESSION, session_start()) stored in authkv.
 *
 *     $engine = Authkv\Engine::shared('/var/lib/app/auth.redb');
 *     $handler = new Authkv\SessionHandler($engine, $_SERVER['REMOTE_ADDR'] ?? '', $_SERVER['HTTP_USER_AGENT'] ?? '');
 *     $handler->register();   // strict mode + session_set_save_handler()
 *     session_name('authkv_session');  // the cookie Guard reads (the engine's session_cookie)
 *     session_start();
 *     ...
 *     $handler->login($userId);   // after checking the password: new id, bound to the user
 *     $handler->logout();         // new id, no user, $_SESSION emptied
 *
 * The handler is made anew in every request; the engine is the worker's
 * (Engine::shared()), and close() leaves it open for the next request.
 *
 * Session ids are authkv's: create_sid() makes the session in authkv and
 * returns its id, and validateId() accepts only ids of live authkv
 * sessions, so an id a client made up is never adopted (with
 * session.use_strict_mode on, which register() sets, PHP then issues a new
 * one). The payload is PHP's serialized $_SESSION, stored as authkv's
 * opaque session payload; gc() runs authkv's collection.
 *
 * authkv's three rotations of the current session are login(),
 * regenerate() and logout(): each gives the session a new id and CSRF
 * token in authkv, then moves PHP's session to that id (through
 * session_regenerate_id(), which sends the new cookie). Only login()
 * binds the session to a user, which is what userSessions() lists and
 * what Guard authenticates. PHP's own session_regenerate_id(true) makes a
 * new anonymous authkv session (the data moves, a user would not) and
 * deletes the old one.
 */
final class SessionHandler implements \SessionHandlerInterface, \SessionIdInterface, \SessionUpdateTimestampHandlerInterface
{
    /** The id create_sid() returned last, until PHP validates or reads it. */
    private ?string $created = null;
    /** The id of a rotation done in authkv, for create_sid() to hand to PHP. */
    private ?string $rotated = null;

    public function __construct(
        private readonly Engine $engine,
        private readonly string $ip = '',
        private readonly string $userAgent = '',
    ) {}

    /** Turn on strict mode and install this handler for session_start(). */
    public function register(): void
    {
        ini_set('session.use_strict_mode', '1');
        session_set_save_handler($this, true);
    }

    /**
     * Log $userId in on the current session (authkv's login): the session
     * gets a new id and CSRF token and belongs to the user from now on;
     * $_SESSION is kept, the old id is dead. Call it once the credentials
     * are checked, before any output (a new cookie is sent). Returns the
     * new id (also session_id() now) and CSRF token.
     *
     * Throws Misuse when no session is active or output has started (the
     * session is then left as it was), NotFound when the active session
     * is not a live session of this engine (another save handler's, or
     * revoked meanwhile).
     */
    public function login(int $userId): NewSession
    {
        return $this->rotate('login', fn (string $id) => $this->engine->login($id, $userId));
    }

    /**
     * A new id and CSRF token for the current session, keeping its user
     * and $_SESSION (authkv's regenerate), e.g. after a privilege change.
     */
    public function regenerate(): NewSession
    {
        return $this->rotate('regenerate', fn (string $id) => $this->engine->regenerateSession($id));
    }

    /**
     * Log out (authkv's invalidate): the session loses its user and its
     * data ($_SESSION is emptied) and gets a new id and CSRF token; the
     * old id is dead.
     */
    public function logout(): NewSession
    {
        $new = $this->rotate('logout', fn (string $id) => $this->engine->invalidateSession($id));
        $_SESSION = [];
        return $new;
    }

    /**
     * Rotate the active session in authkv with $rotation, then move PHP's
     * session to the new id: session_regenerate_id(true) destroys the old
     * id (authkv already retired it, so that is a no-op), asks
     * create_sid() for the new one, which returns the rotated id, and
     * sends it in a new cookie. $_SESSION stays as it is and is written
     * under the new id when the session closes.
     *
     * @param \Closure(string): NewSession $rotation
     */
    private function rotate(string $what, \Closure $rotation): NewSession
    {
        if (session_status() !== PHP_SESSION_ACTIVE) {
            throw new Misuse(Status::MISUSE, "SessionHandler::{$what}() needs an active session: call session_start() first");
        }
        if (headers_sent($file, $line)) {
            throw new Misuse(Status::MISUSE, "SessionHandler::{$what}() sends a new session cookie, but output started at {$file}:{$line}");
        }
        $new = $rotation(session_id());
        $this->rotated = $new->id;
        try {
            $regenerated = session_regenerate_id(true);
        } finally {
            $this->rotated = null;
        }
        if (!$regenerated || session_id() !== $new->id) {
            throw new Misuse(Status::MISUSE, "SessionHandler::{$what}(): the active session is not stored by this handler (call register() before session_start())");
        }
        return $new;
    }

    public function open(string $path, string $name): bool
    {
        return true;
    }

    /** The engine stays open: it serves this worker's next requests. */
    public function close(): bool
    {
        return true;
    }

    /**
     * A new authkv session, whose id becomes PHP's session id; within
     * login(), regenerate() and logout(), the id authkv's rotation issued.
     */
    public function create_sid(): string
    {
        $id = $this->rotated ?? $this->engine->createSession($this->ip, $this->userAgent)->id;
        $this->rotated = null;
        return $this->created = $id;
    }

    /**
     * Only the id of a live authkv session is valid. An id create_sid()
     * has just made is the exception: PHP validates it only to detect a
     * collision (in session_regenerate_id() and session_create_id(), where
     * "valid" means "taken, make another"), and authkv made it new.
     */
    public function validateId(string $id): bool
    {
        if ($id === $this->created) {
            $this->created = null;
            return false;
        }
        return $this->isLive($id);
    }

    private function isLive(string $id): bool
    {
        try {
            $this->engine->loadSession($id);
            return true;
        } catch (NotFound) {
            return false;
        }
    }

    /** The stored payload ('' for a session that is not live). */
    public function read(string $id): string|false
    {
        $this->created = null;
        try {
            return $this->engine->loadSession($id)->payload;
        } catch (NotFound) {
            return '';
        }
    }

    /** Store the payload; false when the session is gone (never adopted). */
    public function write(string $id, string $data): bool
    {
        try {
            $this->engine->saveSession($id, $data);
            return true;
        } catch (NotFound) {
            return false;
        }
    }

    /** Unchanged data: a load, which moves last activity when it is due. */
    public function updateTimestamp(string $id, string $data): bool
    {
        return $this->isLive($id);
    }

    public function destroy(string $id): bool
    {
        try {
            $this->engine->destroySession($id);
        } catch (NotFound) {
            // Already gone (or rotated away): what destroy asked for.
        }
        return true;
    }

    /** authkv's collection: returns the number of sessions deleted. */
    public function gc(int $max_lifetime): int|false
    {
        return $this->engine->gc()['sessions_deleted'];
    }
}
