import "reflect-metadata";
import http from "node:http";
import { createApp } from "./app";
import { bootstrapIfEmpty } from "./bootstrap";
import { ConfigError, loadConfig } from "./config/config";
import { createServices } from "./domain/services";
import { openDatabase } from "./platform/boot";
import { Database } from "./platform/database";
import { createLogger } from "./platform/logger";

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
  const dataSource = await openDatabase(config);
  const services = createServices(new Database(dataSource), { provisioningLogRetentionDays: config.scim.logRetentionDays, oauth: { issuer: config.publicUrl, ...config.oauth } });
  const first = config.bootstrapDefaultOrganisation ? await bootstrapIfEmpty(services) : null;
  const app = await createApp({ config, services, logger });
  const server = http.createServer(app.express);
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));

  const where = config.database.driver === "sqlite" ? `SQLite ${config.database.file}` : `${config.database.driver} ${config.database.host}:${config.database.port}/${config.database.database}`;
  const lines = [`Roster is listening on port ${config.port} (${where})`, `  GraphQL: ${config.publicUrl}/graphql`, `  SCIM:    ${config.publicUrl}/scim/v2`];
  if (first) {
    lines.push(
      "",
      `Created organisation "${first.organisation.slug}". These secrets are shown once; store them now:`,
      `  admin token (GraphQL, Authorization: Bearer …): ${first.adminToken}`,
      `  SCIM token  (IdP "Secret Token"):              ${first.scimToken}`,
    );
  }
  console.log(lines.join("\n"));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: no new connections, finishing requests in flight");
    server.close(async () => {
      await app.stop().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
      logger.info("stopped");
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  console.error("Roster failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
