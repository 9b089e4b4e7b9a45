import { type Placeholder, type SQL, and, count, desc, eq, getTableColumns, gt, isNull, lt, ne, or, sql } from "drizzle-orm";
import { deleteInBatches } from "./db/batches";
import type { Database, Db } from "./db/client";
import { type Account, refreshTokens, sessions, users } from "./db/schema";
import type { Page } from "./pagination";
import { hashOpaqueToken } from "./tokens";

/**
 * The session core: the only code that reads or writes `sessions` and `refresh_tokens`.
 * A session is one login ("device"); its refresh tokens form a rotation chain and are valid only
 * while the session is live, so ending a session is one single-row write that ends every token
 * of that login. It knows nothing of HTTP: callers map outcomes to responses.
 */

/** A database handle or an open transaction: writes join the caller's transaction. */
export type Executor = Pick<Db, "select" | "update" | "insert">;

/** Not revoked and not past its expiry (which follows its newest refresh token). */
const sessionOpen = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`))!;

/** The one definition of a live session: open, and its user active (`users` joined on `user_id`). */
const sessionLive = and(sessionOpen, sql`${users.isActive}`)!;

/** A refresh token that may still be spent: unused and unexpired (its session checked apart). */
const refreshTokenUnspent = (tokenHash: string | Placeholder) =>
  and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt), gt(refreshTokens.expiresAt, sql`now()`))!;

const secondsFromNow = (seconds: number | SQL) => sql`now() + make_interval(secs => ${seconds})`;

const { passwordHash: _, usernameKey: _key, usernameSkeleton: _skeleton, ...accountColumns } = getTableColumns(users);
const accountColumnEntries = Object.entries(accountColumns);

/** A raw row to an Account, each value decoded by its Drizzle column (as Drizzle's own mapper does). */
function accountFromRow(row: Record<string, unknown>): Account {
  const account: Record<string, unknown> = {};
  for (const [key, column] of accountColumnEntries) {
    const value = row[column.name];
    account[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return account as Account;
}

export interface NewSession {
  userId: number;
  userAgent: string;
  ip: string | null;
  refreshToken: string;
  /** Seconds the session and its first refresh token live unless refreshed. */
  lifetime: number;
}

export interface RotationPolicy {
  /** Seconds the successor, and the session, live from now. */
  lifetime: number;
  /** Seconds in which the presented token may come back and get the same successor. */
  reuseInterval: number;
}

export type RotationOutcome =
  | { kind: "rotated"; userId: number; sessionId: string }
  /** Presented again after it was spent (outside the reuse interval): the session is now revoked. */
  | { kind: "reused" }
  /** Unknown, expired, or its session is no longer live. */
  | { kind: "invalid" };

export class SessionStore {
  private readonly db: Db;
  /** The bearer guard's one query per request, a raw prepared statement (see `Database.prepareRaw`). */
  private readonly liveUser: (values: { sessionId: string; userId: number }) => Promise<Record<string, unknown>[]>;
  /** A login's writes (session, first refresh token, last_login) in one prepared statement. */
  private readonly insertSession;
  /** A rotation's writes (token spent, session extended, successor stored): one raw prepared statement. */
  private readonly rotateLive: (values: { tokenHash: string; successorHash: string; lifetime: number }) => Promise<Array<{ id: string; user_id: number }>>;

  constructor(database: Database) {
    const { db } = database;
    this.db = db;
    // Written with Drizzle and rendered once, so the guard's SQL is built from `sessionLive` too.
    this.liveUser = database.prepareRaw<{ sessionId: string; userId: number }>(
      db
        .select(accountColumns)
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.id, sql.placeholder("sessionId")), eq(sessions.userId, sql.placeholder("userId")), sessionLive)),
    );

    const expiresAt = secondsFromNow(sql.placeholder("lifetime") as never);
    const session = db.$with("new_session").as(
      db
        .insert(sessions)
        .values({ userId: sql.placeholder("userId"), userAgent: sql.placeholder("userAgent"), ip: sql.placeholder("ip"), expiresAt })
        .returning({ id: sessions.id }),
    );
    const loggedIn = db.$with("logged_in").as(
      db.update(users).set({ lastLogin: sql`now()` }).where(eq(users.id, sql.placeholder("userId"))).returning({ id: users.id }),
    );
    this.insertSession = db
      .with(session, loggedIn)
      .insert(refreshTokens)
      .values({ sessionId: sql`(select ${session.id} from ${session})`, tokenHash: sql.placeholder("tokenHash"), expiresAt })
      .returning({ sessionId: refreshTokens.sessionId })
      .prepare("start_session");

    // One round trip, one implicit transaction: spend the token only if it is unspent and its
    // session live, extend that session, store the successor. A concurrent rotation of the
    // same token waits on its row and then finds it spent: exactly one wins.
    const spent = db.$with("spent").as(
      db
        .update(refreshTokens)
        .set({ usedAt: sql`now()` })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(refreshTokenUnspent(sql.placeholder("tokenHash")), eq(sessions.id, refreshTokens.sessionId), sessionLive))
        .returning({ sessionId: refreshTokens.sessionId }),
    );
    const extended = db.$with("extended").as(
      db
        .update(sessions)
        .set({ lastUsedAt: sql`now()`, expiresAt })
        .where(and(eq(sessions.id, sql`(select ${spent.sessionId} from ${spent})`), sessionOpen))
        .returning({ sessionId: sessions.id, userId: sessions.userId }),
    );
    const stored = db.$with("stored").as(
      db
        .insert(refreshTokens)
        .select(
          db
            .select({
              id: sql`gen_random_uuid()`.as("id"),
              sessionId: extended.sessionId,
              tokenHash: sql`${sql.placeholder("successorHash")}`.as("token_hash"),
              createdAt: sql`now()`.as("created_at"),
              expiresAt: sql`${expiresAt}`.as("expires_at"),
              usedAt: sql`null::timestamptz`.as("used_at"),
            })
            .from(extended),
        ),
    );
    this.rotateLive = database.prepareRaw(
      db.with(spent, extended, stored).select({ sessionId: extended.sessionId, userId: extended.userId }).from(extended),
    );
  }

  /** Starts a login: its session, its first refresh token, the user's last_login. Returns the session id. */
  async start({ userId, userAgent, ip, refreshToken, lifetime }: NewSession): Promise<string> {
    const [stored] = await this.insertSession.execute({ userId, userAgent, ip, tokenHash: hashOpaqueToken(refreshToken), lifetime });
    return stored!.sessionId;
  }

  /** The user behind a live session of theirs (the guard's question), or undefined. */
  async liveSessionUser(sessionId: string, userId: number): Promise<Account | undefined> {
    const [row] = await this.liveUser({ sessionId, userId });
    return row && accountFromRow(row);
  }

  /**
   * Spends `presented` and stores `successor` in its place. Spending is one conditional UPDATE,
   * so of any number of concurrent rotations exactly one wins. Presented again within the reuse
   * interval it answers as rotated to the same successor (tabs racing end up holding one live
   * token); later, it is taken as stolen and its whole session is revoked.
   * Lock order everywhere: refresh-token row, then session row.
   */
  async rotate(presented: string, successor: string, policy: RotationPolicy): Promise<RotationOutcome> {
    const tokenHash = hashOpaqueToken(presented);
    const [rotated] = await this.rotateLive({ tokenHash, successorHash: hashOpaqueToken(successor), lifetime: policy.lifetime });
    if (rotated) return { kind: "rotated", sessionId: rotated.id, userId: rotated.user_id };
    return this.rotateSpentOrDead(tokenHash, policy);
  }

  /**
   * The rare rest, when the one-statement rotation found nothing to spend: the token is spent
   * (reuse, or a retry within the reuse interval), or unknown, expired, or of a dead session.
   */
  private rotateSpentOrDead(tokenHash: string, { lifetime, reuseInterval }: RotationPolicy): Promise<RotationOutcome> {
    return this.db.transaction(async (tx): Promise<RotationOutcome> => {
      // clock_timestamp(), not now(): now() is when this transaction began, possibly before
      // the winner's, whose used_at would then look younger than it is.
      const [earlier] = await tx
        .select({
          sessionId: refreshTokens.sessionId,
          inGrace:
            reuseInterval > 0
              ? sql<boolean>`${refreshTokens.usedAt} > clock_timestamp() - make_interval(secs => ${reuseInterval})`
              : sql<boolean>`false`,
        })
        .from(refreshTokens)
        .where(and(eq(refreshTokens.tokenHash, tokenHash), sql`${refreshTokens.usedAt} is not null`));
      if (!earlier) return { kind: "invalid" };
      if (earlier.inGrace) {
        // The successor was stored by the rotation that spent this token, in its statement.
        const owner = await this.extendLive(tx, earlier.sessionId, lifetime);
        return owner ? { kind: "rotated", ...owner } : { kind: "invalid" };
      }
      await this.revoke(earlier.sessionId, tx);
      return { kind: "reused" };
    });
  }

  /** Marks a live session used and extends it; undefined when it is not live. */
  private async extendLive(tx: Executor, sessionId: string, lifetime: number) {
    const [owner] = await tx
      .update(sessions)
      .set({ lastUsedAt: sql`now()`, expiresAt: secondsFromNow(lifetime) })
      .from(users)
      .where(and(eq(sessions.id, sessionId), eq(users.id, sessions.userId), sessionLive))
      .returning({ userId: sessions.userId, sessionId: sessions.id });
    return owner;
  }

  /**
   * Ends the session of an unexpired refresh token (logout); false when there is no such token
   * or open session. A token its session has spent counts too: a logout racing a refresh of
   * the same token would otherwise find it spent and leave the successor, and the session, alive.
   */
  async revokeByRefreshToken(presented: string): Promise<boolean> {
    const owning = this.db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.tokenHash, hashOpaqueToken(presented)), gt(refreshTokens.expiresAt, sql`now()`)));
    const revoked = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sql`(${owning})`), sessionOpen))
      .returning({ id: sessions.id });
    return revoked.length > 0;
  }

  /** A page of a user's open sessions, most recently used first, and how many there are in all. */
  async listOpen(userId: number, { limit, offset }: Page) {
    const open = and(eq(sessions.userId, userId), sessionOpen);
    const [page, [all]] = await Promise.all([
      this.db
        .select({ id: sessions.id, createdAt: sessions.createdAt, lastUsedAt: sessions.lastUsedAt, userAgent: sessions.userAgent, ip: sessions.ip })
        .from(sessions)
        .where(open)
        .orderBy(desc(sessions.lastUsedAt), desc(sessions.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(sessions).where(open),
    ]);
    return { total: all!.total, sessions: page };
  }

  /** Ends one open session of this user; false when it is not theirs or not open. */
  async revokeOwn(userId: number, sessionId: string): Promise<boolean> {
    const revoked = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), sessionOpen))
      .returning({ id: sessions.id });
    return revoked.length > 0;
  }

  /** Ends every open session of a user but `except` (the caller's own, say); returns how many. */
  async revokeAllOf(userId: number, { except, executor = this.db }: { except?: string; executor?: Executor } = {}) {
    const revoked = await executor
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.userId, userId), sessionOpen, except ? ne(sessions.id, except) : undefined))
      .returning({ id: sessions.id });
    return revoked.length;
  }

  /** Ends one session, and with it every refresh token of that login. */
  async revoke(sessionId: string, executor: Executor = this.db): Promise<void> {
    await executor
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  }
}

/**
 * Deletes what can never be used again: sessions revoked or run out (their refresh tokens go
 * with them) and expired refresh tokens of open sessions. Open sessions are never touched.
 */
export async function purgeEndedSessions(db: Db, batchSize: number) {
  const ended = or(sql`${sessions.revokedAt} is not null`, lt(sessions.expiresAt, sql`now()`))!;
  return {
    sessions: await deleteInBatches(db, sessions, sessions.id, ended, batchSize),
    refreshTokens: await deleteInBatches(db, refreshTokens, refreshTokens.id, lt(refreshTokens.expiresAt, sql`now()`), batchSize),
  };
}
