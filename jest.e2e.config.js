// The cluster e2e suite (npm run e2e): real etcd and kube-apiserver from scripts/e2e-setup.sh,
// one test file at a time. The same ESM setup as the unit and integration suite.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'],
  testTimeout: 180000,
  maxWorkers: 1,
};
