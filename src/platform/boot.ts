import "reflect-metadata";
import { type DataSource, MigrationExecutor } from "typeorm";
import type { AppConfig } from "../config/config";
import { type DataSourceExtras, createDataSource, isSqlite } from "./data-source";

export interface MigrationPolicy {
  /**
   * `all` (servers, `roster migrate`): apply whatever is pending. `fresh-only` (the other CLI
   * commands): set up an empty database, but refuse (SchemaBehindError) to upgrade one that has a
   * schema, under servers of the release that made it.
   */
  apply: "all" | "fresh-only";
  /** Told the names of the migrations applied (none when the schema was up to date). */
  onApplied?: (names: string[]) => void;
}

/** The database's schema is older than this code, and the policy did not allow upgrading it. */
export class SchemaBehindError extends Error {
  constructor(readonly pending: string[]) {
    super(`the database's schema is older than this release: ${pending.length} migration${pending.length === 1 ? " is" : "s are"} pending (${pending.join(", ")})`);
  }
}

/**
 * Opens the database and applies pending migrations: what every process does first. On MariaDB /
 * MySQL, instances starting together take turns (a named lock, GET_LOCK, per database), so two of
 * them never run the same migration at once; the second finds nothing left to do.
 */
export async function openDatabase(config: Pick<AppConfig, "database">, extras: DataSourceExtras = {}, policy: MigrationPolicy = { apply: "all" }): Promise<DataSource> {
  const ds = createDataSource(config.database, extras);
  await ds.initialize();
  if (isSqlite(ds)) {
    await migrate(ds, policy).catch(async (err: unknown) => {
      await ds.destroy().catch(() => undefined);
      throw err;
    });
    return ds;
  }
  const lock = ds.createQueryRunner();
  try {
    await lock.connect();
    const name = `roster_migrations:${String(ds.options.database)}`.slice(0, 64);
    const [row] = (await lock.query("SELECT GET_LOCK(?, 120) AS got", [name])) as { got: number | string | null }[];
    if (Number(row?.got) !== 1) throw new Error("timed out waiting for another instance to finish the migrations");
    try {
      await migrate(ds, policy);
    } finally {
      await lock.query("SELECT RELEASE_LOCK(?)", [name]).catch(() => undefined);
    }
  } catch (err) {
    await ds.destroy().catch(() => undefined);
    throw err;
  } finally {
    await lock.release().catch(() => undefined);
  }
  return ds;
}

async function migrate(ds: DataSource, policy: MigrationPolicy): Promise<void> {
  if (policy.apply === "fresh-only") {
    const executor = new MigrationExecutor(ds);
    if ((await executor.getExecutedMigrations()).length > 0) {
      const pending = await executor.getPendingMigrations();
      if (pending.length > 0) throw new SchemaBehindError(pending.map((m) => m.name));
    }
  }
  const applied = await ds.runMigrations({ transaction: "each" });
  policy.onApplied?.(applied.map((m) => m.name));
}
