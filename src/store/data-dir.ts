/** Troop's data folder (repository checkouts, artifacts): `dataDir`, or `troop-data` next to the database. @module */
import { dirname, join, resolve } from "node:path";

/** The absolute data folder for a service config. */
export function dataDirOf(config: { dataDir?: string | undefined; database: string }): string {
  return resolve(config.dataDir ?? join(dirname(config.database), "troop-data"));
}
