import { and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "./db/client";
import { rateLimits } from "./db/schema";
import { ApiError } from "./errors";

/** Fixed-window failure counters in the database, so every instance enforces the same limit. */
export class RateLimiter {
  // Checked on every login attempt: prepared once.
  private readonly openWindow;

  constructor(private readonly db: Db) {
    this.openWindow = db
      .select({ count: rateLimits.count, resetAt: rateLimits.resetAt })
      .from(rateLimits)
      .where(and(eq(rateLimits.key, sql.placeholder("key")), gt(rateLimits.resetAt, sql`now()`)))
      .prepare("rate_limit_open_window");
  }

  /**
   * Throws 429 with Retry-After while `key` has `limit` or more failures in its window;
   * otherwise tells whether any failure is on record (so a success knows whether to reset).
   */
  async assertAllowed(key: string, limit: number): Promise<boolean> {
    if (limit <= 0) return false;
    const [row] = await this.openWindow.execute({ key });
    if (row && row.count >= limit) {
      const retryAfter = Math.max(1, Math.ceil((row.resetAt.getTime() - Date.now()) / 1000));
      throw new ApiError("rate_limited", `Too many attempts. Try again in ${retryAfter} seconds.`, undefined, {
        "retry-after": String(retryAfter),
      });
    }
    return row !== undefined;
  }

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
