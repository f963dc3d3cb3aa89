// The browser suite (`npm run test:browser`): Swagger UI in headless Chromium, kept out of `npm test`.
// Same native-ESM ts-jest setup as jest.config.js.
const tsJest = ['ts-jest', { useESM: true }];
export default {
  displayName: 'browser',
  rootDir: 'test',
  testMatch: ['**/*.browser-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  testTimeout: 120_000,
};
