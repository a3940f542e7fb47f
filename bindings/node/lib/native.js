'use strict';
// Loads the addon: $AUTHKV_NODE_ADDON when set, else the build that
// `npm install` (scripts/build.js) made from the crate of this repository,
// at <repository>/target/node/authkv.node.

const path = require('node:path');

const ADDON = process.env.AUTHKV_NODE_ADDON
  || path.resolve(__dirname, '..', '..', '..', 'target', 'node', 'authkv.node');

let addon;
try {
  addon = require(ADDON);
} catch (error) {
  const hint = new Error(
    `authkv: cannot load the native addon ${ADDON} (${error.message}); ` +
      'build it with `npm install` in bindings/node (or `node scripts/build.js`), ' +
      'or set AUTHKV_NODE_ADDON to its path',
  );
  hint.cause = error;
  throw hint;
}

// The guard's fast entry points (src/fast.rs: guard, verifyRequestCsrf),
// kept beside the classes.
addon.fast = addon.fastFunctions();

module.exports = addon;
