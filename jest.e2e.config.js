// The cluster e2e suite (npm run e2e): real etcd and kube-apiserver from scripts/e2e-setup.sh,
// one test file at a time. ESM like jest.config.js.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }] },
  testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'],
  testTimeout: 180000,
  maxWorkers: 1,
};
