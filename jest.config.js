/** Jest with the SWC transform (fast, no type checks: `npm run typecheck` does those). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' } }],
    // @middy/core ships ESM only: compile it to CommonJS like our own files.
    '/node_modules/@middy/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleNameMapper: {
    '^#core$': '<rootDir>/layers/instrumentation/index.ts',
    '^#core/(.*)$': '<rootDir>/layers/instrumentation/$1',
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 60000,
};
