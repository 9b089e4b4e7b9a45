import { type Placeholder, type SQL, and, eq, gt, sql } from "drizzle-orm";
import { networkOf } from "./client-info";
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

/**
 * The per-IP key of a limit (an IPv6 client by its /64), or none for a client of unknown
 * address (a request handed to the app in-process). Behind a reverse proxy, set TRUST_PROXY so
 * that each client is counted by its own address rather than all of them by the proxy's.
 */
export const perIpKeys = (prefix: string, ip: string | null): string[] => (ip ? [`${prefix}:ip:${networkOf(ip)}`] : []);

export class RateLimiter {
  constructor(private readonly db: Db) {}

  /** Counts one event of `key` and gives its window; a window that has ended starts over. */
  private async count(key: string, windowSeconds: number): Promise<FailureWindow> {
    const windowEnd = sql`now() + make_interval(secs => ${windowSeconds})`;
    const expired = sql`${rateLimits.resetAt} <= now()`;
    const [window] = await this.db
      .insert(rateLimits)
      .values({ key, count: 1, resetAt: windowEnd })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`case when ${expired} then 1 else ${rateLimits.count} + 1 end`,
          resetAt: sql`case when ${expired} then ${windowEnd} else ${rateLimits.resetAt} end`,
        },
      })
      .returning({ count: rateLimits.count, resetAt: rateLimits.resetAt });
    return window!;
  }

  /** Counts one failure (login): the limit is checked before the next attempt. */
  async recordFailure(key: string, windowSeconds: number): Promise<void> {
    await this.count(key, windowSeconds);
  }

  /**
   * Counts one attempt of each key (registration per IP, reset per IP and per email…) and
   * throws 429 once any is past `limit` in its window, in one round trip per key. 0: no limit.
   */
  async attempt(keys: string[], limit: number, windowSeconds: number): Promise<void> {
    if (limit <= 0) return;
    const windows = await Promise.all(keys.map((key) => this.count(key, windowSeconds)));
    for (const window of windows) assertUnderLimit({ count: window.count - 1, resetAt: window.resetAt }, limit);
  }

  async reset(key: string): Promise<void> {
    await this.db.delete(rateLimits).where(eq(rateLimits.key, key));
  }
}
