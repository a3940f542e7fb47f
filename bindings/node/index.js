'use strict';
// authkv for Node.js: sessions, CSRF tokens, personal access tokens,
// passwords, login throttles and remember-me in one file, in process.
// `authkv/express` has the express-session store and the request guard.

const { Engine, Session } = require('./lib/engine');
const { Principal, Token } = require('./lib/principal');
const errors = require('./lib/errors');

const { fromNative, ...errorClasses } = errors;

module.exports = { Engine, Session, Principal, Token, ...errorClasses };
