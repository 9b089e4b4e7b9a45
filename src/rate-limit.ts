import { type Placeholder, type SQL, and, eq, gt, inArray, like, or, sql } from "drizzle-orm";
import { networkOf } from "./client-info";
import type { Db } from "./db/client";
import { startingWith } from "./db/like";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { rateLimits } from "./db/schema";
import { ApiError } from "./errors";

/**
 * Fixed-window counters in the database, so every instance enforces the same limit.
 * A caller reads a key's window in its own query (join on `openWindowOf`), so checking the
 * limit costs no round trip of its own, and passes it to `assertUnderLimits`.
 */

export interface FailureWindow {
  count: number;
  resetAt: Date;
}

/** The row of `key`'s window while it is open: a join or WHERE condition on rate_limits. */
export const openWindowOf = (key: string | Placeholder | SQL, table: { key: AnyPgColumn; resetAt: AnyPgColumn } = rateLimits) =>
  and(eq(table.key, key), gt(table.resetAt, sql`now()`))!;

const tooMany = (resetAt: Date) => {
  const retryAfter = Math.max(1, Math.ceil((resetAt.getTime() - Date.now()) / 1000));
  return new ApiError("rate_limited", `Too many attempts. Try again in ${retryAfter} seconds.`, undefined, { "retry-after": String(retryAfter) });
};

/** Throws 429 if any window holds its limit or more, with the Retry-After of the one that ends last; a limit of 0 is none. */
export function assertUnderLimits(checks: Array<[FailureWindow | null, number]>): void {
  let latest: Date | undefined;
  for (const [window, limit] of checks) {
    if (limit > 0 && window && window.count >= limit && (!latest || window.resetAt > latest)) latest = window.resetAt;
  }
  if (latest) throw tooMany(latest);
}

/**
 * The per-IP key of a limit (an IPv6 client by its /64), or none for a client of unknown
 * address (a request handed to the app in-process). Behind a reverse proxy, set TRUST_PROXY so
 * that each client is counted by its own address rather than all of them by the proxy's.
 */
export const perIpKeys = (prefix: string, ip: string | null): string[] => (ip ? [`${prefix}:ip:${networkOf(ip)}`] : []);

const LONGEST_LOCK_SECONDS = 86_400;

export class RateLimiter {
  constructor(private readonly db: Db) {}

  /** Counts one event of each key, in one statement, and gives their windows; a window that has ended starts over. */
  private async countAll(keys: string[], windowSeconds: number): Promise<Map<string, FailureWindow>> {
    const windowEnd = sql`now() + make_interval(secs => ${windowSeconds})`;
    const expired = sql`${rateLimits.resetAt} <= now()`;
    const windows = await this.db
      .insert(rateLimits)
      .values(keys.map((key) => ({ key, count: 1, resetAt: windowEnd })))
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`case when ${expired} then 1 else ${rateLimits.count} + 1 end`,
          resetAt: sql`case when ${expired} then excluded.reset_at else ${rateLimits.resetAt} end`,
        },
      })
      .returning({ key: rateLimits.key, count: rateLimits.count, resetAt: rateLimits.resetAt });
    return new Map(windows.map(({ key, ...window }) => [key, window]));
  }

  /** Counts one failure of each key (a login): the limits are checked before the next attempt. */
  async recordFailures(keys: string[], windowSeconds: number): Promise<Map<string, FailureWindow>> {
    return keys.length ? this.countAll(keys, windowSeconds) : new Map();
  }

  /**
   * Counts one attempt of each key (registration per IP, reset per IP and per email…) and
   * throws 429 once any is past `limit` in its window, in one round trip. 0: no limit.
   */
  async attempt(keys: string[], limit: number, windowSeconds: number): Promise<void> {
    if (limit <= 0 || !keys.length) return;
    const windows = await this.countAll(keys, windowSeconds);
    assertUnderLimits([...windows.values()].map((window) => [{ count: window.count - 1, resetAt: window.resetAt }, limit]));
  }

  /**
   * Keeps `key`'s window closed for longer each time it fills within a day: `windowSeconds`,
   * then twice, four times… as long, at most a day. `strikesKey` counts the times, forgotten a
   * day after the last. Returns when the window now ends.
   */
  async extendLockout(key: string, strikesKey: string, windowSeconds: number): Promise<Date> {
    const day = sql`now() + make_interval(secs => ${LONGEST_LOCK_SECONDS})`;
    const strikes = this.db.$with("strikes").as(
      this.db
        .insert(rateLimits)
        .values({ key: strikesKey, count: 1, resetAt: day })
        .onConflictDoUpdate({
          target: rateLimits.key,
          set: { count: sql`case when ${rateLimits.resetAt} <= now() then 1 else ${rateLimits.count} + 1 end`, resetAt: day },
        })
        .returning({ count: rateLimits.count }),
    );
    const seconds = sql`least(${LONGEST_LOCK_SECONDS}, ${windowSeconds} * power(2, (select ${strikes.count} from ${strikes}) - 1))`;
    const [locked] = await this.db
      .with(strikes)
      .update(rateLimits)
      .set({ resetAt: sql`now() + make_interval(secs => ${seconds})` })
      .where(eq(rateLimits.key, key))
      .returning({ resetAt: rateLimits.resetAt });
    return locked!.resetAt;
  }

  /** The open windows of these keys and of every key starting with one of `prefixes`. */
  async openWindows(keys: string[], prefixes: string[] = []): Promise<Map<string, FailureWindow>> {
    const rows = await this.db
      .select({ key: rateLimits.key, count: rateLimits.count, resetAt: rateLimits.resetAt })
      .from(rateLimits)
      .where(and(gt(rateLimits.resetAt, sql`now()`), this.matching(keys, prefixes)));
    return new Map(rows.map(({ key, ...window }) => [key, window]));
  }

  /** Ends these windows and those of every key starting with one of `prefixes` (in the caller's transaction, if given). */
  async clear(keys: string[], prefixes: string[] = [], executor: Pick<Db, "delete"> = this.db): Promise<void> {
    await executor.delete(rateLimits).where(this.matching(keys, prefixes));
  }

  private matching(keys: string[], prefixes: string[]) {
    return or(keys.length ? inArray(rateLimits.key, keys) : undefined, ...prefixes.map((prefix) => like(rateLimits.key, startingWith(prefix))))!;
  }
}
