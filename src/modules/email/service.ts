import type { Db } from "../../db/client";
import type { Account } from "../../db/schema";
import type { MailOutbox } from "../../mail/outbox";
import type { OneTimeTokens } from "../../one-time-tokens";
import type { RateLimiter } from "../../rate-limit";
import type { UserService } from "../users/service";
import { invalidToken } from "../password/service";

/** Verification mails a user may ask for per hour. */
const RESENDS_PER_HOUR = 5;

/** Email verification: a mailed single-use token proves the address. */
export class EmailVerificationService {
  constructor(
    private readonly deps: { db: Db; users: UserService; tokens: OneTimeTokens; outbox: MailOutbox; rateLimiter: RateLimiter },
  ) {}

  /** Marks the address of the token's user verified; a used, expired or unknown token is a 400. */
  async verify(token: string): Promise<void> {
    const { db, users, tokens } = this.deps;
    await db.transaction(async (tx) => {
      const userId = await tokens.consume(token, "email_verification", tx);
      if (userId === undefined) throw invalidToken();
      await users.markEmailVerified(userId, tx);
    });
  }

  /** Mails a new verification link (ending the earlier ones), unless the address is verified. */
  async resend(user: Account): Promise<void> {
    await this.deps.rateLimiter.attempt([`verify-resend:user:${user.id}`], RESENDS_PER_HOUR, 3600);
    if (user.emailVerifiedAt) return;
    await this.deps.outbox.enqueue("email_verification", user.id);
  }
}
