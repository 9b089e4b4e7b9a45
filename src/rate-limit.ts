import { type Placeholder, type SQL, and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "./db/client";
import { rateLimits } from "./db/schema";
import { ApiError } from "./errors";

/**
 * Fixed-window failure counters in the database, so every instance enforces the same limit.
 * A caller reads a key's window in its own query (join on `openWindowOf`), so checking the
 * limit costs no round trip of its own, and passes it to `assertUnderLimit`.
 */

export interface FailureWindow {
  count: number;
  resetAt: Date;
}

/** The row of `key`'s window while it is open: a join or WHERE condition on rate_limits. */
export const openWindowOf = (key: string | Placeholder | SQL) =>
  and(eq(rateLimits.key, key), gt(rateLimits.resetAt, sql`now()`))!;

/** Throws 429 with Retry-After while `window` holds `limit` or more failures; a limit of 0 is none. */
export function assertUnderLimit(window: FailureWindow | null, limit: number): void {
  if (limit <= 0 || !window || window.count < limit) return;
  const retryAfter = Math.max(1, Math.ceil((window.resetAt.getTime() - Date.now()) / 1000));
  throw new ApiError("rate_limited", `Too many attempts. Try again in ${retryAfter} seconds.`, undefined, {
    "retry-after": String(retryAfter),
  });
}

export class RateLimiter {
  constructor(private readonly db: Db) {}

  /** Counts one failure; a window that has ended starts over. */
  async recordFailure(key: string, windowSeconds: number): Promise<void> {
    const windowEnd = sql`now() + make_interval(secs => ${windowSeconds})`;
    const expired = sql`${rateLimits.resetAt} <= now()`;
    await this.db
      .insert(rateLimits)
      .values({ key, count: 1, resetAt: windowEnd })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`case when ${expired} then 1 else ${rateLimits.count} + 1 end`,
          resetAt: sql`case when ${expired} then ${windowEnd} else ${rateLimits.resetAt} end`,
        },
      });
  }

  async reset(key: string): Promise<void> {
    await this.db.delete(rateLimits).where(eq(rateLimits.key, key));
  }
}
