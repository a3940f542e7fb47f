<?php

declare(strict_types=1);

namespace Authkv;

/**
 * PHP's native sessions ($_SESSION, session_start()) stored in authkv.
 *
 *     $engine = Authkv\Engine::shared('/var/lib/app/auth.redb');
 *     $handler = new Authkv\SessionHandler($engine, $_SERVER['REMOTE_ADDR'] ?? '', $_SERVER['HTTP_USER_AGENT'] ?? '');
 *     $handler->register();   // strict mode + session_set_save_handler()
 *     session_start();
 *
 * The handler is made anew in every request and holds no state of its
 * own; the engine is the worker's (Engine::shared()), and close() leaves
 * it open for the next request.
 *
 * Session ids are authkv's: create_sid() makes the session in authkv and
 * returns its id, and validateId() accepts only ids of live authkv
 * sessions, so an id a client made up is never adopted (with
 * session.use_strict_mode on, which register() sets, PHP then issues a new
 * one). session_regenerate_id(true) gets a new authkv session and destroys
 * the old row. The payload is PHP's serialized $_SESSION, stored as
 * authkv's opaque session payload; gc() runs authkv's collection.
 */
final class SessionHandler implements \SessionHandlerInterface, \SessionIdInterface, \SessionUpdateTimestampHandlerInterface
{
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

    public function open(string $path, string $name): bool
    {
        return true;
    }

    /** The engine stays open: it serves this worker's next requests. */
    public function close(): bool
    {
        return true;
    }

    /** A new authkv session; its id becomes PHP's session id. */
    public function create_sid(): string
    {
        return $this->engine->createSession($this->ip, $this->userAgent)->id;
    }

    /** Only the id of a live authkv session is valid. */
    public function validateId(string $id): bool
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
        return $this->validateId($id);
    }

    public function destroy(string $id): bool
    {
        try {
            $this->engine->destroySession($id);
        } catch (NotFound) {
            // Already gone: what destroy asked for.
        }
        return true;
    }

    /** authkv's collection: returns the number of sessions deleted. */
    public function gc(int $max_lifetime): int|false
    {
        return $this->engine->gc()['sessions_deleted'];
    }
}
