// ESM all the way: client-node 1.x, execa 9 and chokidar 5 ship only ES modules.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }] },
  // e2e/harness's own unit tests (pure parts of the cluster harness) run here; its e2e files do not.
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts', '<rootDir>/e2e/harness/**/*.test.ts'],
  // test/image/ runs the built container image: npm run image:test (jest.image.config.js).
  testPathIgnorePatterns: ['/node_modules/', '\\.image\\.test\\.ts$'],
  testTimeout: 30000,
};
