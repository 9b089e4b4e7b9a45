import { and, desc, eq, getTableColumns, gt, isNull, ne, sql } from "drizzle-orm";
import type { Database, Db } from "../../db/client";
import { type Account, sessions, users } from "../../db/schema";

/** A database handle or an open transaction: revocation joins the caller's transaction. */
type Executor = Pick<Db, "update">;

const isLive = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`));

const accountColumns = Object.entries(getTableColumns(users)).filter(([key]) => key !== "passwordHash");

/** A raw row to an Account, each value decoded by its Drizzle column (as Drizzle's own mapper does). */
function accountFromRow(row: Record<string, unknown>): Account {
  const account: Record<string, unknown> = {};
  for (const [key, column] of accountColumns) {
    const value = row[key];
    account[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return account as Account;
}

/** Logins ("devices"): which are live, and revoking them, which ends every token of that login. */
export class SessionService {
  private readonly activeUser: (params: [string, number]) => Promise<Record<string, unknown>[]>;
  private readonly db: Db;

  constructor(database: Database) {
    this.db = database.db;
    // The bearer guard's one query per request: two primary-key lookups, as a raw prepared
    // statement whose select list (aliased to Account's keys) is generated from the Drizzle table.
    const select = accountColumns
      .map(([key, column]) => `u."${column.name}" as "${key}"`)
      .join(", ");
    this.activeUser = database.prepareRaw(
      `select ${select} from sessions s join users u on u.id = s.user_id
       where s.id = $1 and s.user_id = $2 and s.revoked_at is null and u.is_active`,
    );
  }

  /** The user behind a live session of theirs, if the user is still active. */
  async activeSessionUser(sessionId: string, userId: number): Promise<Account | undefined> {
    const [row] = await this.activeUser([sessionId, userId]);
    return row && accountFromRow(row);
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
