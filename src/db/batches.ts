import { type SQL, inArray } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./client";

/**
 * Deletes at most `batchSize` rows matching `dead` per statement, until none are left, so a
 * long backlog never becomes one huge transaction. SKIP LOCKED: instances cleaning at the same
 * time, or a request touching a row, never wait on each other.
 */
export async function deleteInBatches(db: Db, table: PgTable, key: PgColumn, dead: SQL, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const batch = db.select({ key }).from(table).where(dead).limit(batchSize).for("update", { skipLocked: true });
    const deleted = await db.delete(table).where(inArray(key, batch)).returning({ key });
    total += deleted.length;
    if (deleted.length < batchSize) return total;
  }
}
