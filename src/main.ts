import "reflect-metadata";
import http from "node:http";
import { createApp } from "./app";
import { bootstrapIfEmpty } from "./bootstrap";
import { ConfigError, loadConfig, unknownVariableWarnings } from "./config/config";
import { createServices } from "./domain/services";
import { openDatabase } from "./platform/boot";
import { Database } from "./platform/database";
import { createHttpServer, listen } from "./platform/listen";
import { createLogger } from "./platform/logger";
import { RedisConnection, redactRedisUrl } from "./platform/redis";

/** Boot only: configuration → database and migrations → app → listen. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  for (const warning of unknownVariableWarnings(process.env)) logger.warn(warning);
  const db = config.database.driver === "sqlite" ? `SQLite ${config.database.file}` : `${config.database.driver} ${config.database.host}:${config.database.port}/${config.database.database}`;
  // "connect ETIMEDOUT" or "Unknown database" alone named neither the variable nor the server.
  const dataSource = await openDatabase(config).catch((err: unknown) => {
    throw new Error(`could not open the database, ${db} (DATABASE_URL): ${err instanceof Error ? err.message : String(err)}`);
  });
  // REDIS_URL set: sessions, the replay cache and rate-limit counters live there; unreachable now → no start.
  const redis = config.redis
    ? await RedisConnection.connect(config.redis.url, config.redis.keyPrefix, (err) => logger.warn({ err: { message: (err as Error)?.message } }, "redis connection error")).catch(async (err: unknown) => {
        await dataSource.destroy().catch(() => undefined);
        throw err;
      })
    : null;
  const database = new Database(dataSource, {
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    onStatementTimeout: (err) => logger.warn({ err: { message: err.message } }, "the database did not answer a statement in time: its connection was closed"),
  });
  const services = createServices(database, { provisioningLogRetention: config.scim.logRetention, oauth: { issuer: config.publicUrl, ...config.oauth }, redis, tokenCacheMs: config.tokenCacheMs, allowPrivateOutboundHosts: config.allowPrivateOutboundHosts });
  const app = await createApp({ config, services, logger });
  const server = createHttpServer(app.handler, config.requestTimeoutMs);
  const port = await listen(server, config.port, config.host);
  // Only once the port is ours: created before a failed listen (the port in use), the first start's
  // secrets were never printed, and every later start found the organisation and printed none.
  const first = config.bootstrapDefaultOrganisation ? await bootstrapIfEmpty(services) : null;

  const where = config.redis ? `${db}; sessions, replay cache and rate limits in Redis ${redactRedisUrl(config.redis.url)}` : db;
  const lines = [`Roster is listening on port ${port} (${where})`, `  GraphQL: ${config.publicUrl}/graphql`, `  SCIM:    ${config.publicUrl}/scim/v2`, `  Admin:   ${config.publicUrl}/admin/`];
  if (first) {
    lines.push(
      "",
      `Created organisation "${first.organisation.slug}". These secrets are shown once; store them now:`,
      `  admin token (GraphQL, Authorization: Bearer …): ${first.adminToken}`,
      `  SCIM token  (IdP "Secret Token"):              ${first.scimToken}`,
    );
  }
  console.log(lines.join("\n"));

  // Responses in flight, so that shutdown can ask their keep-alive connections to close.
  const inFlight = new Set<http.ServerResponse>();
  let stopping = false;
  server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    if (stopping && !res.headersSent) res.setHeader("Connection", "close");
  });

  /**
   * Graceful shutdown: /readyz turns 503, the listening socket closes (new connections are refused),
   * requests in flight finish and their connections close after the response, background writes
   * (provisioning log) settle, then the database pool is closed and the process exits 0. After
   * SHUTDOWN_TIMEOUT_SECONDS it exits 1 whatever is left. The Redis connection (REDIS_URL) closes with the app.
   */
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.drain();
    for (const res of inFlight) if (!res.headersSent) res.setHeader("Connection", "close");
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    server.close(async () => {
      clearInterval(idle);
      // A response's 'finish' (request log, provisioning-log write) can come after its socket closed.
      while (inFlight.size) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setImmediate(resolve));
      logger.info("http server closed: every request has been answered");
      let code = 0;
      await app.stop().catch((err: unknown) => {
        logger.error({ err }, "error while stopping the app");
        code = 1;
      });
      if (redis) await redis.close().catch(() => undefined);
      logger.info("app stopped; closing the database pool");
      await dataSource.destroy().then(
        () => logger.info("database pool closed"),
        (err: unknown) => {
          logger.error({ err }, "could not close the database pool");
          code = 1;
        },
      );
      logger.info({ code }, "stopped");
      logger.flush(() => process.exit(code));
    });
    server.closeIdleConnections();
    logger.info({ signal, inFlight: inFlight.size }, "shutting down: no new connections, finishing requests in flight");
    setTimeout(() => {
      logger.error({ inFlight: inFlight.size }, "shutdown timed out: exiting with requests still in flight");
      logger.flush(() => process.exit(1));
    }, config.shutdownTimeoutMs).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  console.error("Roster failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
