// Two projects run the same integration suite against SQLite and against MariaDB; pure unit specs
// (beside the code, *.spec.ts) run once. test/run-suite.mjs chooses which projects to run.
const swc = ["@swc/jest", {
  jsc: {
    parser: { syntax: "typescript", decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: "es2023",
  },
  module: { type: "commonjs" },
}];
const common = {
  testEnvironment: "node",
  transform: {
    "^.+\\.ts$": swc,
    // ESM-only dependencies become CommonJS: jest only supports require(esm) natively on Node >= 24.9
    "^.+\\.m?js$": ["@swc/jest", { jsc: { target: "es2023" }, module: { type: "commonjs" } }],
  },
  transformIgnorePatterns: ["/node_modules/(?!(openid-client|oauth4webapi|jose|oidc-provider)/)"],
  setupFiles: ["<rootDir>/test/support/setup-env.ts"],
};
module.exports = {
  // Test files are I/O-bound (HTTP and SQL): more workers than the 2 cores keep both busy.
  maxWorkers: 3,
  projects: [
    { ...common, displayName: "unit", roots: ["<rootDir>/src"], testMatch: ["**/*.spec.ts"] },
    { ...common, displayName: "sqlite", roots: ["<rootDir>/test"], testMatch: ["**/*.test.ts"],
      globals: { ROSTER_TEST_DRIVER: "sqlite" } },
    { ...common, displayName: "mariadb", roots: ["<rootDir>/test"], testMatch: ["**/*.test.ts"],
      globals: { ROSTER_TEST_DRIVER: "mariadb" } },
  ],
};
