import { isNotNull, lt, or, sql } from "drizzle-orm";
import { deleteInBatches } from "./db/batches";
import type { Db } from "./db/client";
import { mailOutbox, oneTimeTokens, rateLimits } from "./db/schema";
import { type Logger, errorFields } from "./logger";
import { purgeEndedSessions } from "./session-store";

/**
 * Removes what can no longer be used: ended sessions and expired refresh tokens (the session
 * core decides which), ended rate-limit windows, spent or expired one-time tokens, and mails
 * older than two days. Live rows are never touched.
 */
export async function purgeExpired(db: Db, batchSize = 1000) {
  return {
    ...(await purgeEndedSessions(db, batchSize)),
    rateLimits: await deleteInBatches(db, rateLimits, rateLimits.key, lt(rateLimits.resetAt, sql`now()`), batchSize),
    oneTimeTokens: await deleteInBatches(
      db,
      oneTimeTokens,
      oneTimeTokens.id,
      or(lt(oneTimeTokens.expiresAt, sql`now()`), isNotNull(oneTimeTokens.usedAt))!,
      batchSize,
    ),
    // Delivered mails after a day; undelivered ones are given up after a day too (see outbox.ts).
    mails: await deleteInBatches(db, mailOutbox, mailOutbox.id, lt(mailOutbox.createdAt, sql`now() - interval '2 days'`), batchSize),
  };
}

/** Runs `purgeExpired` now and then every `intervalMs`; returns a function that stops it. */
export function scheduleMaintenance(db: Db, log: Logger, intervalMs = 10 * 60_000): () => void {
  const run = async () => {
    try {
      const purged = await purgeExpired(db);
      if (Object.values(purged).some(Boolean)) log.info("purged expired rows", purged);
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
