import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";
import { type DatabaseConfig, parseDatabaseUrl } from "../../src/config/config";

export type TestDriver = "sqlite" | "mariadb";

/** Which database this jest project runs against (see jest.config.js). */
export function testDriver(): TestDriver {
  const fromGlobals = (globalThis as { ROSTER_TEST_DRIVER?: string }).ROSTER_TEST_DRIVER;
  return (fromGlobals ?? process.env.ROSTER_TEST_DRIVER ?? "sqlite") as TestDriver;
}

export const testDatabaseUrl = () => process.env.TEST_DATABASE_URL ?? "mariadb://root@127.0.0.1:3306/test";

export interface TestDatabase {
  config: DatabaseConfig;
  url: string;
  drop(): Promise<void>;
}

/** A database of this test file's own, so that files run in parallel without seeing each other. */
export async function createTestDatabase(driver: TestDriver = testDriver()): Promise<TestDatabase> {
  const suffix = `${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  if (driver === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "roster-test-"));
    const file = path.join(dir, `roster_${suffix}.sqlite`);
    return { config: { driver: "sqlite", file }, url: `sqlite:${file}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const server = parseDatabaseUrl(testDatabaseUrl());
  if (server.driver === "sqlite") throw new Error("TEST_DATABASE_URL must be a mariadb:// or mysql:// URL");
  const name = `roster_t_${suffix}`;
  const admin = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const config: DatabaseConfig = { ...server, database: name };
  const auth = server.password ? `${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}` : encodeURIComponent(server.user);
  return {
    config,
    url: `${server.driver}://${auth}@${server.host}:${server.port}/${name}`,
    drop: async () => {
      const c = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
