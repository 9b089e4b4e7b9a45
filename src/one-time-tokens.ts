import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "./db/client";
import { oneTimeTokens } from "./db/schema";
import { hashOpaqueToken } from "./tokens";

export type TokenPurpose = (typeof oneTimeTokens.$inferSelect)["purpose"];

/** A database handle or an open transaction. */
type Executor = Pick<Db, "update" | "insert">;

/** 256 random bits, URL-safe: what a reset or verification mail carries. */
const newSecret = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/**
 * Single-use secrets sent by mail: password reset, email verification. Only their SHA-256 is
 * stored; a new one ends the user's earlier unused ones of the same purpose.
 */
export class OneTimeTokens {
  constructor(private readonly db: Db) {}

  async issue(userId: number, purpose: TokenPurpose, lifetimeSeconds: number): Promise<string> {
    const secret = newSecret();
    await this.db.transaction(async (tx) => {
      await tx
        .update(oneTimeTokens)
        .set({ usedAt: sql`now()` })
        .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt)));
      await tx.insert(oneTimeTokens).values({
        userId,
        purpose,
        tokenHash: hashOpaqueToken(secret),
        expiresAt: sql`now() + make_interval(secs => ${lifetimeSeconds})`,
      });
    });
    return secret;
  }

  /**
   * Ends a user's outstanding secrets of these purposes: a reset link mailed before the
   * password changed, a verification link mailed to an address the account no longer has.
   */
  async endAll(userId: number, purposes: TokenPurpose[], executor: Executor = this.db): Promise<void> {
    await executor
      .update(oneTimeTokens)
      .set({ usedAt: sql`now()` })
      .where(and(eq(oneTimeTokens.userId, userId), inArray(oneTimeTokens.purpose, purposes), isNull(oneTimeTokens.usedAt)));
  }

  /**
   * Spends a live secret of this purpose and names its user; undefined when it is unknown,
   * used or expired. One conditional UPDATE: of two concurrent uses, one wins.
   */
  async consume(secret: string, purpose: TokenPurpose, executor: Executor = this.db): Promise<number | undefined> {
    const [spent] = await executor
      .update(oneTimeTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(oneTimeTokens.tokenHash, hashOpaqueToken(secret)),
          eq(oneTimeTokens.purpose, purpose),
          isNull(oneTimeTokens.usedAt),
          gt(oneTimeTokens.expiresAt, sql`now()`),
        ),
      )
      .returning({ userId: oneTimeTokens.userId });
    return spent?.userId;
  }
}
