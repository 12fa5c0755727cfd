// Our bundle as a user ships it: the core's public entry point plus middy.

export { default as middy } from '@middy/core';
export * as core from '../../layers/instrumentation/index';
