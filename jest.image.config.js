// The image test (npm run image:test, after npm run image:build): runs the built image with crun, so it
// needs root and buildah's storage; one file at a time, apart from the unit and integration suite.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/image/**/*.image.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
  maxWorkers: 1,
};
