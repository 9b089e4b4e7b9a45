import type { ClientInfo } from "../../client-info";
import type { Db } from "../../db/client";
import type { Account } from "../../db/schema";
import { validationError } from "../../errors";
import type { MailOutbox } from "../../mail/outbox";
import type { OneTimeTokens } from "../../one-time-tokens";
import { assertAcceptablePassword } from "../../password-policy";
import type { PasswordHasher } from "../../passwords";
import { type RateLimiter, perIpKeys } from "../../rate-limit";
import type { SessionStore } from "../../session-store";
import type { SettingsStore } from "../../settings";
import type { UserService } from "../users/service";

const HOUR = 3600;

export interface PasswordDependencies {
  db: Db;
  users: UserService;
  passwords: PasswordHasher;
  sessions: SessionStore;
  settings: SettingsStore;
  rateLimiter: RateLimiter;
  tokens: OneTimeTokens;
  outbox: MailOutbox;
}

/** Changing a password (logged in) and resetting a forgotten one (by mail). */
export class PasswordService {
  constructor(private readonly deps: PasswordDependencies) {}

  /** Sets a new password after checking the old one; every other session of the user ends, and every reset link mailed before. */
  async change(user: Account, currentSessionId: string, oldPassword: string, newPassword: string): Promise<number> {
    const { db, users, passwords, sessions, settings, tokens } = this.deps;
    const stored = await users.findById(user.id);
    if (!stored || !(await passwords.verify(oldPassword, stored.passwordHash)))
      throw validationError({ old_password: ["Your old password was entered incorrectly."] });
    await assertAcceptablePassword(settings, newPassword, "new_password");
    const passwordHash = await passwords.hash(newPassword);
    return db.transaction(async (tx) => {
      await users.setPasswordHash(user.id, passwordHash, tx);
      await tokens.endAll(user.id, ["password_reset"], tx);
      return sessions.revokeAllOf(user.id, { except: currentSessionId, executor: tx });
    });
  }

  /**
   * Queues a reset mail to the active account with this email, if there is one. The same
   * work and the same answer either way (no account enumeration); limited per IP and per email.
   */
  async requestReset(email: string, client: ClientInfo): Promise<void> {
    await this.queueLimited("password_reset", email, client);
  }

  /** Queues a verification mail by email (dj-rest-auth's resend), limited as resets are. */
  async requestVerification(email: string, client: ClientInfo): Promise<void> {
    await this.queueLimited("email_verification", email, client);
  }

  private async queueLimited(kind: "password_reset" | "email_verification", email: string, client: ClientInfo): Promise<void> {
    const { settings, rateLimiter, outbox } = this.deps;
    const limit = (await settings.current()).password_reset_rate_limit;
    await rateLimiter.attempt([...perIpKeys(kind, client.ip), `${kind}:email:${email}`], limit, HOUR);
    await outbox.enqueueForEmail(kind, email);
  }

  /**
   * Sets the password of the user a live reset token belongs to, spends the token and ends
   * every session of that user, all in one transaction. It does not log anyone in.
   */
  async confirmReset(token: string, newPassword: string, passwordField: string, expectedUserId?: number): Promise<void> {
    const { db, users, passwords, sessions, settings, tokens } = this.deps;
    await assertAcceptablePassword(settings, newPassword, passwordField);
    const passwordHash = await passwords.hash(newPassword);
    await db.transaction(async (tx) => {
      const userId = await tokens.consume(token, "password_reset", tx);
      // dj-rest-auth clients send the uid of the mail too: it must name the token's user.
      if (userId === undefined || (expectedUserId !== undefined && userId !== expectedUserId)) throw invalidToken();
      await users.setPasswordHash(userId, passwordHash, tx);
      await sessions.revokeAllOf(userId, { executor: tx });
    });
  }
}

export const invalidToken = () => validationError({ token: ["This link is invalid, used or expired."] }, "Invalid or expired token.");
