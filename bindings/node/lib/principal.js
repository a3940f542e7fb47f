'use strict';
// Who sent a request (Principal) and a token that authenticated (Token):
// plain values, with the ability checks of the crate (exact match, `*`
// grants everything).

const check = require('./check');
const { Forbidden } = require('./errors');

const ALL = Object.freeze(['*']);

function can(abilities, ability) {
  for (const a of abilities) if (a === '*' || a === ability) return true;
  return false;
}

class Token {
  constructor(id, userId, abilities) {
    /** The token's id. */
    this.id = id;
    /** The user the token acts for. */
    this.userId = userId;
    /** What the token may do (`'*'` grants everything). */
    this.abilities = Object.freeze(abilities);
  }

  /** Whether the token grants `ability` (exactly, or through `*`). */
  can(ability) {
    return can(this.abilities, check.text(ability, 'ability'));
  }

  /** Whether the token lacks `ability`. */
  cant(ability) {
    return !this.can(ability);
  }
}

class Principal {
  // The engine and Cookie header the session id is read from, on demand.
  #engine;
  #cookie;

  constructor(userId, via, tokenId, abilities, engine, cookie) {
    /** The authenticated user. */
    this.userId = userId;
    /** `'session'` or `'token'`. */
    this.via = via;
    /** The token's id when `via === 'token'`, else `null`. */
    this.tokenId = tokenId;
    /** `['*']` for a session user, the token's abilities otherwise. */
    this.abilities = abilities === ALL ? ALL : Object.freeze(abilities);
    this.#engine = engine;
    this.#cookie = cookie;
  }

  /** The session id the request authenticated with (`via === 'session'`),
   * else `null`. Handle with care: it is the cookie's secret. */
  get sessionId() {
    if (this.via !== 'session' || !this.#engine) return null;
    return this.#engine._sessionIdOf(this.#cookie);
  }

  /** Whether the principal may do `ability`. */
  can(ability) {
    return can(this.abilities, check.text(ability, 'ability'));
  }

  /** Whether the principal may not do `ability`. */
  cant(ability) {
    return !this.can(ability);
  }

  /** Throw Forbidden unless the principal has every ability in `all` and,
   * when `any` is not empty, one in `any` (Sanctum's `abilities` and
   * `ability` middleware). */
  require({ all = [], any = [] } = {}) {
    const every = check.strings(all, 'all');
    const oneOf = check.strings(any, 'any');
    const missing = every.find((a) => !can(this.abilities, a));
    if (missing !== undefined) throw new Forbidden(`forbidden: missing ability ${missing}`);
    if (oneOf.length > 0 && !oneOf.some((a) => can(this.abilities, a))) {
      throw new Forbidden(`forbidden: missing ability ${oneOf.join(' or ')}`);
    }
  }

  toJSON() {
    return { userId: this.userId, via: this.via, tokenId: this.tokenId, abilities: this.abilities };
  }
}

module.exports = { Principal, Token, ALL };
