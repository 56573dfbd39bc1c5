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
  // Hooks and tests alike (none is timed: speed is the benchmark's). A beforeAll that makes RSA keys
  // and starts an app took longer than jest's default 5 s with the whole suite running on 2 cores,
  // failing every test of test/sso/saml.test.ts in 2 runs of about 15.
  testTimeout: 30_000,
  // Jest waits this long for its workers to exit at the end before killing them and warning of a leak.
  // With the default 500 ms it warned in every full run, while every worker had exited 1-4 ms after it
  // was asked to, with nothing but its stdio open (a probe in each worker, 2 full runs): the timer ran
  // late on a busy 2-core machine, before the exit was read. A real leak still warns, 5 s later.
  workerGracefulExitTimeout: 5_000,
  projects: [
    { ...common, displayName: "unit", roots: ["<rootDir>/src"], testMatch: ["**/*.spec.ts"] },
    { ...common, displayName: "sqlite", roots: ["<rootDir>/test"], testMatch: ["**/*.test.ts"],
      globals: { ROSTER_TEST_DRIVER: "sqlite" } },
    { ...common, displayName: "mariadb", roots: ["<rootDir>/test"], testMatch: ["**/*.test.ts"],
      globals: { ROSTER_TEST_DRIVER: "mariadb" } },
  ],
};
