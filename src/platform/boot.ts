import "reflect-metadata";
import type { DataSource } from "typeorm";
import type { AppConfig } from "../config/config";
import { type DataSourceExtras, createDataSource } from "./data-source";

/** Opens the database and applies pending migrations: what every process does first. */
export async function openDatabase(config: Pick<AppConfig, "database">, extras: DataSourceExtras = {}): Promise<DataSource> {
  const ds = createDataSource(config.database, extras);
  await ds.initialize();
  await ds.runMigrations({ transaction: "each" });
  return ds;
}
