#!/usr/bin/env node
'use strict';
// The TypeScript CLI runs as is: tsx's CommonJS hook compiles cli/ and what it loads (the
// configuration file included) on the fly, so there is no build step.
require('tsx/cjs');
require('../cli/index.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
