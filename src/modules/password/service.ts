import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type Account, users } from "../../db/schema";
import { validationError } from "../../errors";
import type { PasswordHasher } from "../../passwords";
import type { SessionStore } from "../../session-store";
import type { UserService } from "../users/service";

export class PasswordService {
  constructor(
    private readonly db: Db,
    private readonly users: UserService,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionStore,
  ) {}

  /** Sets a new password after checking the old one; every other session of the user ends. */
  async change(user: Account, currentSessionId: string, oldPassword: string, newPassword: string): Promise<number> {
    const stored = await this.users.findById(user.id);
    if (!stored || !(await this.passwords.verify(oldPassword, stored.passwordHash)))
      throw validationError({ old_password: ["Your old password was entered incorrectly."] });
    const passwordHash = await this.passwords.hash(newPassword);
    return this.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
      return this.sessions.revokeAllOf(user.id, { except: currentSessionId, executor: tx });
    });
  }
}
