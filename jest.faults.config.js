/**
 * The slow fault drills (`npm run test:faults`): kill -9 each service under
 * load, restart RabbitMQ and Postgres under load, Twilio outages; and the
 * timing measurements (test/timing: per-sender pacing measured at the
 * sandbox), which need the machine to themselves. They stop
 * and start the machine's shared RabbitMQ and Postgres, so they run one file
 * at a time and never alongside `npm test`.
 */
const base = require('./jest.config.js');
const e2e = base.projects.find((p) => p.displayName === 'e2e');

module.exports = {
  testTimeout: 600000,
  maxWorkers: 1,
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  projects: [
    {
      ...e2e,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.e2e-spec.ts', '<rootDir>/test/timing/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: [],
    },
  ],
};
