import "reflect-metadata";
import type { DataSource } from "typeorm";
import type { AppConfig } from "../config/config";
import { type DataSourceExtras, createDataSource, isSqlite } from "./data-source";

/**
 * Opens the database and applies pending migrations: what every process does first. On MariaDB /
 * MySQL, instances starting together take turns (a named lock, GET_LOCK, per database), so two of
 * them never run the same migration at once; the second finds nothing left to do.
 */
export async function openDatabase(config: Pick<AppConfig, "database">, extras: DataSourceExtras = {}): Promise<DataSource> {
  const ds = createDataSource(config.database, extras);
  await ds.initialize();
  if (isSqlite(ds)) {
    await ds.runMigrations({ transaction: "each" });
    return ds;
  }
  const lock = ds.createQueryRunner();
  try {
    await lock.connect();
    const name = `roster_migrations:${String(ds.options.database)}`.slice(0, 64);
    const [row] = (await lock.query("SELECT GET_LOCK(?, 120) AS got", [name])) as { got: number | string | null }[];
    if (Number(row?.got) !== 1) throw new Error("timed out waiting for another instance to finish the migrations");
    try {
      await ds.runMigrations({ transaction: "each" });
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
