// Native ESM Jest (NestJS 12 packages are ESM-only): run through `node --experimental-vm-modules`.
const tsJest = ['ts-jest', { useESM: true }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: 'test', testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
