import { type SQL, inArray, lt, or, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./db/client";
import { rateLimits, refreshTokens, sessions } from "./db/schema";
import { type Logger, errorFields } from "./logger";

/**
 * Deletes at most `batchSize` rows matching `dead` per statement, until none are left, so a
 * long backlog never becomes one huge transaction. SKIP LOCKED: instances cleaning at the same
 * time, or a request touching a row, never wait on each other.
 */
async function deleteInBatches(db: Db, table: PgTable, key: PgColumn, dead: SQL, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const batch = db.select({ key }).from(table).where(dead).limit(batchSize).for("update", { skipLocked: true });
    const deleted = await db.delete(table).where(inArray(key, batch)).returning({ key });
    total += deleted.length;
    if (deleted.length < batchSize) return total;
  }
}

/**
 * Removes what can no longer be used: sessions that were revoked or ran out (their refresh
 * tokens go with them), expired refresh tokens of live sessions, and ended rate-limit windows.
 * Live rows are never touched.
 */
export async function purgeExpired(db: Db, batchSize = 1000) {
  return {
    sessions: await deleteInBatches(
      db,
      sessions,
      sessions.id,
      or(sql`${sessions.revokedAt} is not null`, lt(sessions.expiresAt, sql`now()`))!,
      batchSize,
    ),
    refreshTokens: await deleteInBatches(db, refreshTokens, refreshTokens.id, lt(refreshTokens.expiresAt, sql`now()`), batchSize),
    rateLimits: await deleteInBatches(db, rateLimits, rateLimits.key, lt(rateLimits.resetAt, sql`now()`), batchSize),
  };
}

/** Runs `purgeExpired` now and then every `intervalMs`; returns a function that stops it. */
export function scheduleMaintenance(db: Db, log: Logger, intervalMs = 10 * 60_000): () => void {
  const run = async () => {
    try {
      const purged = await purgeExpired(db);
      if (purged.sessions || purged.refreshTokens || purged.rateLimits) log.info("purged expired rows", purged);
    } catch (error) {
      log.warn("cleanup failed", errorFields(error));
    }
  };
  const first = setTimeout(run, 5_000);
  const timer = setInterval(run, intervalMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
