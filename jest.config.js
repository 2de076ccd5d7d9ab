/**
 * Jest transpiles TypeScript with ts-jest in isolated-modules mode: no type-check per file
 * (`npm run typecheck` does that once), so the suite starts fast.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  testTimeout: 30000,
  // Two cores: two workers keep PostgreSQL and the test processes from starving each other.
  maxWorkers: 2,
};
