// @ts-check
/**
 * Mutation testing of the alerting core: `npm run mutate` (Stryker, jest runner). Only the routing
 * and dispatch tests run (the testMatch below, and per mutant only the tests that cover it), two
 * workers at most. One file: `npx stryker run --mutate domain/routing/grouping.ts`. The report is
 * reports/mutation/index.html; the sandboxes live in .stryker-tmp/ (ignored by jest, git, biome).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: {
      testMatch: ['**/test/unit/routing*.test.ts', '**/test/unit/dispatch.test.ts', '**/test/integ/dispatch.test.ts'],
    },
    enableFindRelatedTests: true,
  },
  coverageAnalysis: 'perTest',
  checkers: [],
  mutate: [
    'domain/routing/routing.ts',
    'domain/routing/grouping.ts',
    'domain/routing/inhibition.ts',
    'domain/routing/silences.ts',
    'domain/routing/decide.ts',
    'domain/routing/intake.ts',
    'domain/routing/calendar.ts',
    'lambdas/shared/dispatch.ts',
  ],
  ignorePatterns: ['build', 'test-artifacts', 'cdk.out', 'dist', 'coverage', 'reports', 'bench', '.bench-tmp'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  concurrency: 2,
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: {
    fileName: 'reports/mutation/index.html',
  },
  jsonReporter: {
    fileName: 'reports/mutation/mutation.json',
  },
  thresholds: {
    high: 90,
    low: 85,
    break: null,
  },
};
