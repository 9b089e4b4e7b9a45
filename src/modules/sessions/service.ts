import { and, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type User, sessions, users } from "../../db/schema";

/** A database handle or an open transaction: revocation joins the caller's transaction. */
type Executor = Pick<Db, "update">;

const isLive = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`));

/** Logins ("devices"): which are live, and revoking them, which ends every token of that login. */
export class SessionService {
  private readonly activeUser;

  constructor(private readonly db: Db) {
    // The bearer guard's one query per request: primary-key lookups of the session and its user.
    this.activeUser = db
      .select({ user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.id, sql.placeholder("sessionId")),
          eq(sessions.userId, sql.placeholder("userId")),
          isNull(sessions.revokedAt),
          eq(users.isActive, true),
        ),
      )
      .prepare("active_session_user");
  }

  /** The user behind a live session of theirs, if the user is still active. */
  async activeSessionUser(sessionId: string, userId: number): Promise<User | undefined> {
    return (await this.activeUser.execute({ sessionId, userId }))[0]?.user;
  }

  async listLive(userId: number) {
    return this.db
      .select({
        id: sessions.id,
        createdAt: sessions.createdAt,
        lastUsedAt: sessions.lastUsedAt,
        userAgent: sessions.userAgent,
        ip: sessions.ip,
      })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isLive))
      .orderBy(desc(sessions.lastUsedAt));
  }

  /** Revokes one session of this user; false when it is not theirs or not live. */
  async revokeOwn(userId: number, sessionId: string): Promise<boolean> {
    const revoked = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isLive))
      .returning({ id: sessions.id });
    return revoked.length > 0;
  }

  /** Revokes every live session of a user, but `except` (the caller's own, say); returns how many. */
  async revokeAllOf(userId: number, { except, executor = this.db }: { except?: string; executor?: Executor } = {}) {
    const revoked = await executor
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined))
      .returning({ id: sessions.id });
    return revoked.length;
  }

  /**
   * Revokes one session by id. Its refresh tokens are valid only while it is live, so this one
   * single-row write ends them all. Lock order everywhere: refresh-token row, then session row.
   */
  async revoke(sessionId: string, executor: Executor = this.db): Promise<void> {
    await executor
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  }
}
