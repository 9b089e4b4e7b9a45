import { readMigrationFiles } from "drizzle-orm/migrator";

/**
 * Imported as a Bun macro (`with { type: "macro" }`): runs when the code is transpiled, so
 * the SQL of `drizzle/` is inlined into `bun run`, `bun test` and the compiled binary alike.
 * The hashes are drizzle-kit's, so drizzle-kit and authd agree on what is applied.
 */
export function bundledMigrations() {
  return readMigrationFiles({ migrationsFolder: `${import.meta.dir}/../../drizzle` });
}
