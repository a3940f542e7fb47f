// Types of `authkv/express` (express.js).
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine, Principal, Session, Id, IdInput } from './index';

type Request = IncomingMessage & { [key: string]: any };
type Response = ServerResponse;
type Next = (error?: unknown) => void;
type Middleware = (req: Request, res: Response, next: Next) => void;

/** The express-session store over authkv (ids made by authkv). */
export class AuthkvStore extends EventEmitter {
  constructor(engine: Engine, options?: { expressSession?: unknown; versionCheck?: boolean });
  readonly engine: Engine;
  get(sid: string, callback: (error: unknown, session?: object | null) => void): void;
  set(sid: string, session: object, callback?: (error?: unknown) => void): void;
  destroy(sid: string, callback?: (error?: unknown) => void): void;
  touch(sid: string, session: object, callback?: (error?: unknown) => void): void;
  length(callback: (error: unknown, count?: number) => void): void;
  regenerate(req: Request, callback: (error?: unknown) => void): void;
  load(sid: string, callback: (error: unknown, session?: object) => void): void;
  createSession(req: Request, session: object): object;
}

/** express-session with authkv's store and the engine's secure cookie
 * settings; any express-session option may be given. */
export function session(
  engine: Engine,
  options: { secret: string | string[]; expressSession?: unknown; versionCheck?: boolean; [option: string]: unknown },
): Middleware & { store: AuthkvStore };

/** The auth:sanctum guard: `req.auth` is the Principal; JSON 401/419/403,
 * and 429 (with Retry-After when known) for a token over its limits. */
export function guard(engine: Engine, options?: { abilities?: Iterable<string>; any?: Iterable<string> }): Middleware;
/** Sets the XSRF-TOKEN cookie, making the session's row when needed. */
export function csrfCookie(engine: Engine): Middleware;
/** The guard's CSRF check alone, in the engine's `csrfMode`: JSON 419 for
 * an unsafe method that fails it (without the session's CSRF token in
 * token mode), 400 for a header the parser refuses. */
export function verifyCsrf(engine: Engine): Middleware;
/** Rotate the id and CSRF token and bind the session to the user. */
export function login(req: Request, userId: IdInput): Promise<Session>;
/** Clear user and data, rotate id and CSRF token; null without a row. */
export function logout(req: Request): Promise<Session | null>;
/** The session's authkv row, made now when needed. */
export function ensureSession(req: Request, store?: AuthkvStore): Promise<{ id: string; userId: Id | null; csrfToken: string; version: number }>;
/** The user authkv has bound to this request's session, or null. */
export function userOf(req: Request): Id | null;
export function setSessionCookies(res: Response, engine: Engine, session: Pick<Session, 'id' | 'csrfToken'>): void;
export function clearSessionCookie(res: Response, engine: Engine): void;

declare global {
  namespace Express {
    interface Request {
      /** Set by `guard`. */
      auth?: Principal;
    }
  }
}
