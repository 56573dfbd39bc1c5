import type { AddressInfo } from "node:net";
import type { DataSource, Logger as TypeormLogger } from "typeorm";
import { createApp } from "../../src/app";
import { type AppConfig, loadConfig } from "../../src/config/config";
import type { Organisation } from "../../src/domain/organisations/organisation.entity";
import { type Services, createServices } from "../../src/domain/services";
import { openDatabase } from "../../src/platform/boot";
import { Database } from "../../src/platform/database";
import { newRequestId } from "../../src/platform/ids";
import { createHttpServer, setServerTimeouts } from "../../src/platform/listen";
import { type Logger, createLogger } from "../../src/platform/logger";
import { RedisConnection } from "../../src/platform/redis";
import { type RequestContext, systemActor } from "../../src/platform/request-context";
import { NOT_THE_REQUESTS, type RecordedStatements, RequestStatements } from "./request-statements";
import { type TestDatabase, createTestDatabase } from "./test-database";

/**
 * Every SQL statement the app sends (background work included), for tests of that work; a test that
 * counts what a request costs uses `TestApp.statementsOf` (request-statements.ts).
 */
export class QueryCounter implements TypeormLogger {
  /** Attributes statements to the HTTP requests that sent them. */
  readonly requests = new RequestStatements();
  count = 0;
  statements: string[] = [];
  /** The bound values of each statement, in the same order. */
  parameters: unknown[][] = [];
  logQuery(query: string, parameters?: unknown[]) {
    this.requests.observe(query, parameters);
    if (NOT_THE_REQUESTS[0].statement.test(query)) return;
    this.count++;
    this.statements.push(query);
    this.parameters.push(parameters ?? []);
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
  reset() {
    this.count = 0;
    this.statements = [];
    this.parameters = [];
  }
}

export interface TestTenant {
  organisation: Organisation;
  adminToken: string;
  scimToken: string;
  ctx: RequestContext;
}

export interface TestApp {
  url: string;
  config: AppConfig;
  services: Services;
  dataSource: DataSource;
  database: TestDatabase;
  queries: QueryCounter;
  /**
   * The statements of the HTTP requests `send` makes, and only theirs: background work, and work a
   * request leaves behind after its response, are left out by construction (request-statements.ts).
   */
  statementsOf<T>(send: () => Promise<T>): Promise<RecordedStatements & { result: T }>;
  /**
   * The statements a call the test makes on the services sends itself (a purge, a check), all of
   * them: background work and requests served meanwhile are left out by construction (request-statements.ts).
   */
  statementsOfCall<T>(call: () => Promise<T>): Promise<RecordedStatements & { result: T }>;
  /** A fresh organisation with an admin and a SCIM token. */
  tenant(slug?: string): Promise<TestTenant>;
  /** Begins shutdown as SIGTERM would: /readyz turns 503. */
  drain(): void;
  gql<T = Record<string, unknown>>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: GqlError[]; status: number }>;
  close(): Promise<void>;
}

export interface GqlError {
  message: string;
  extensions?: { code?: string; field?: string; fields?: { field: string; message: string }[] };
}

let tenantCounter = 0;

/** A real Roster on a real database of its own, listening on a loopback port. */
export interface TestAppOptions {
  /** Reach the database through another address (e.g. a proxy a test can cut). */
  rewriteDatabaseUrl?: (url: string) => string;
  /** Where the app's pino logger writes (a test can capture and inspect every log line). */
  logDestination?: { write(line: string): void };
  /** The app's logger itself (a test can watch how it is used); `logDestination` is then unused. */
  logger?: Logger;
  /** A second instance: this app uses that app's database (and does not drop it on close), as N instances behind a load balancer do. */
  shareDatabaseOf?: TestApp;
}

/**
 * Rate limits stay on in tests (every request goes through the shared counters) but high enough that
 * only the tests that set them low (test/reliability/limits.test.ts) ever meet them.
 */
const TEST_RATE_LIMITS = {
  SCIM_RATE_LIMIT_PER_TOKEN: "1000000",
  SCIM_RATE_LIMIT_PER_IP: "1000000",
  GRAPHQL_RATE_LIMIT_PER_IP: "1000000",
  AUTH_RATE_LIMIT_PER_IP: "1000000",
  AUTH_FAILURE_LIMIT_PER_IP: "1000000",
};

export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.shareDatabaseOf ? { ...options.shareDatabaseOf.database, drop: async () => undefined } : await createTestDatabase();
  // The server as main makes it (createHttpServer), timeouts set once the configuration is read. With
  // Node's default 5 s keep-alive, the test's own synchronous SQLite work (same process) could outlast
  // an idle connection's expiry: the next request went out on it as the server closed it (ECONNRESET).
  const server = createHttpServer(undefined, 1000);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ DATABASE_URL: options.rewriteDatabaseUrl ? options.rewriteDatabaseUrl(database.url) : database.url, PUBLIC_URL: url, LOG_LEVEL: process.env.LOG_LEVEL ?? "silent", BOOTSTRAP_DEFAULT_ORG: "false", ...TEST_RATE_LIMITS, ...env });
  setServerTimeouts(server, config.requestTimeoutMs);
  const queries = new QueryCounter();
  const dataSource = await openDatabase(config, { logger: queries });
  // REDIS_URL given: as main does, a connection that cannot be made is a start error.
  const redis = config.redis
    ? await RedisConnection.connect(config.redis.url, config.redis.keyPrefix).catch(async (err: unknown) => {
        server.close();
        await dataSource.destroy();
        if (!options.shareDatabaseOf) await database.drop();
        throw err;
      })
    : null;
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  // As main does.
  const db = new Database(dataSource, {
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    onStatementTimeout: (err) => logger.warn({ err: { message: err.message } }, "the database did not answer a statement in time: its connection was closed"),
  });
  const services = createServices(db, { provisioningLogRetention: config.scim.logRetention, oauth: { issuer: config.publicUrl, ...config.oauth }, redis, tokenCacheMs: config.tokenCacheMs, allowPrivateOutboundHosts: config.allowPrivateOutboundHosts });
  const app = await createApp({ config, services, logger });
  server.on("request", queries.requests.serve(app.handler));

  const tenant = async (slug?: string): Promise<TestTenant> => {
    const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
    const organisation = await services.organisations.create(sys, { slug: slug ?? `org-${process.pid}-${++tenantCounter}`, name: "Test organisation" });
    const ctx: RequestContext = { ...sys, organisationId: organisation.id };
    const admin = await services.tokens.create(ctx, { name: "test admin", scope: "admin" });
    const scim = await services.tokens.create(ctx, { name: "test scim", scope: "scim" });
    return { organisation, adminToken: admin.secret, scimToken: scim.secret, ctx };
  };

  const gql = async <T>(token: string | null, query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: GqlError[] };
    return { ...body, status: res.status };
  };

  return {
    url,
    config,
    services,
    dataSource,
    database,
    queries,
    statementsOf: (send) => queries.requests.record(send),
    statementsOfCall: (call) => queries.requests.recordCall(call),
    tenant,
    gql,
    drain: () => app.drain(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.stop();
      await redis?.close();
      await dataSource.destroy();
      await database.drop();
    },
  };
}
