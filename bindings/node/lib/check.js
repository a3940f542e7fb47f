'use strict';
// Argument checks made before any call into the addon: a wrong type is an
// ArgumentTypeError, a value out of range an InvalidArgument, both named
// after the argument.

const { ArgumentTypeError, InvalidArgument } = require('./errors');

const U64_MAX = (1n << 64n) - 1n;

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `${typeof value} ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value)}`;
}

function text(value, name) {
  if (typeof value !== 'string') {
    throw new ArgumentTypeError(`${name} must be a string, not ${describe(value)}`);
  }
  return value;
}

function optionalText(value, name) {
  return value === undefined || value === null ? undefined : text(value, name);
}

/** A user, token or version number: a non-negative integer number, or a
 * bigint below 2^64. */
function id(value, name) {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw new InvalidArgument(
      `${name} must be an integer from 0 to Number.MAX_SAFE_INTEGER (a bigint above), not ${value}`,
    );
  }
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= U64_MAX) return value;
    throw new InvalidArgument(`${name} must be a bigint from 0 to 2^64 - 1, not ${value}`);
  }
  throw new ArgumentTypeError(`${name} must be a number or a bigint, not ${describe(value)}`);
}

function optionalId(value, name) {
  return value === undefined || value === null ? undefined : id(value, name);
}

function bool(value, name) {
  if (typeof value !== 'boolean') {
    throw new ArgumentTypeError(`${name} must be a boolean, not ${describe(value)}`);
  }
  return value;
}

/** Session payload: a Buffer or Uint8Array as is, a string as UTF-8. */
function payload(value, name = 'payload') {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new ArgumentTypeError(`${name} must be a Buffer, a Uint8Array or a string, not ${describe(value)}`);
}

/** A list of strings from an array or any iterable (not a lone string). */
function strings(value, name) {
  if (typeof value === 'string' || value === null || value === undefined
      || typeof value[Symbol.iterator] !== 'function') {
    throw new ArgumentTypeError(`${name} must be an array of strings, not ${describe(value)}`);
  }
  const list = Array.from(value);
  list.forEach((item, i) => text(item, `${name}[${i}]`));
  return list;
}

function object(value, name) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ArgumentTypeError(`${name} must be an object, not ${describe(value)}`);
  }
  return value;
}

module.exports = { describe, text, optionalText, id, optionalId, bool, payload, strings, object };
