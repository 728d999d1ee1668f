/**
 * Unit tests (`*.spec.ts`, beside the code) and integration/end-to-end tests
 * (`test/**\/*.e2e-spec.ts`) run in one `npm test`. End-to-end suites spawn the
 * compiled services (`dist/`), so `npm test` builds first.
 */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@nixflex/common$': '<rootDir>/libs/common/src',
    '^@nixflex/common/(.*)$': '<rootDir>/libs/common/src/$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }] },
};

module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // Fault drills and timing measurements run alone (npm run test:faults): a pace cannot be measured on a loaded machine.
      testPathIgnorePatterns: ['<rootDir>/test/faults/', '<rootDir>/test/timing/'],
    },
  ],
};
