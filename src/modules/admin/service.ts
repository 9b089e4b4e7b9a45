import { and, asc, count, eq, ilike, ne, or, sql } from "drizzle-orm";
import type { AuditLog } from "../../audit";
import type { Db } from "../../db/client";
import { containing } from "../../db/like";
import { type User, users } from "../../db/schema";
import { ApiError } from "../../errors";
import { assertAcceptablePassword } from "../../password-policy";
import { lockoutCountersOf } from "../../login-limits";
import type { OneTimeTokens } from "../../one-time-tokens";
import type { Page } from "../../pagination";
import type { RateLimiter } from "../../rate-limit";
import type { PasswordHasher } from "../../passwords";
import type { SessionStore } from "../../session-store";
import type { Settings, SettingsStore } from "../../settings";
import { type ProfileUpdate, toPublicUser } from "../users/model";
import type { AdminModel } from "./model";
import { type NewUser, type UserService, conflictOf, profileColumns } from "../users/service";

type Transaction = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Who did it, for the audit log. */
export interface Actor {
  id: number;
  ip: string | null;
}

export type UserChanges = ProfileUpdate & {
  email?: string;
  password?: string;
  is_active?: boolean;
  is_staff?: boolean;
  is_superuser?: boolean;
  email_verified?: boolean;
};

/** Any constant shared by every instance: changes that may remove a superuser take it in turn. */
const SUPERUSER_CHANGES_LOCK = 0x61646d6e; // "admn"

const notFound = () => new ApiError("not_found", "User not found.");
const lastSuperuser = () =>
  new ApiError("last_superuser", "This is the last active superuser: make another one first (it cannot be deactivated, demoted or deleted).");

/** What the audit log keeps of a user: the admin view, never the password hash. */
const auditView = (user: User) => toPublicUser(user) as unknown as Record<string, unknown>;

/** User administration and settings changes, each write audited in its own transaction. */
export class AdminService {
  constructor(
    private readonly deps: {
      db: Db;
      users: UserService;
      sessions: SessionStore;
      passwords: PasswordHasher;
      settings: SettingsStore;
      audit: AuditLog;
      rateLimiter: RateLimiter;
      tokens: OneTimeTokens;
    },
  ) {}

  /** Users whose email, username, first or last name contains `query` in any case, by id. */
  async listUsers(query: string, { limit, offset }: Page) {
    const { db } = this.deps;
    const pattern = containing(query);
    const matches = query
      ? or(ilike(users.email, pattern), ilike(users.username, pattern), ilike(users.firstName, pattern), ilike(users.lastName, pattern))
      : undefined;
    const [results, [total]] = await Promise.all([
      db.select().from(users).where(matches).orderBy(asc(users.id)).limit(limit).offset(offset),
      db.select({ count: count() }).from(users).where(matches),
    ]);
    return { count: total!.count, results };
  }

  async getUser(id: number): Promise<User> {
    const user = await this.deps.users.findById(id);
    if (!user) throw notFound();
    return user;
  }

  async createUser(input: NewUser, actor: Actor): Promise<User> {
    const { users: userService, settings, audit } = this.deps;
    await assertAcceptablePassword(settings, input.password, "password");
    return userService.create(input, async (tx, user) => {
      await audit.record({ actorId: actor.id, action: "user.create", target: `user:${user.id}`, before: null, after: auditView(user), ip: actor.ip }, tx);
    });
  }

  /**
   * Changes a user. Deactivation and a new password end their sessions at once; a new password
   * or email ends the reset links mailed before, and a new email the verification links sent
   * to the old one (and is unverified, unless `email_verified` says otherwise); the last active
   * superuser cannot be deactivated or demoted (409); all in one transaction.
   */
  async updateUser(id: number, changes: UserChanges, actor: Actor): Promise<User> {
    const { db, passwords, sessions, settings, audit, tokens } = this.deps;
    if (changes.password !== undefined) await assertAcceptablePassword(settings, changes.password, "password");
    const passwordHash = changes.password === undefined ? undefined : await passwords.hash(changes.password);
    try {
      return await db.transaction(async (tx) => {
        const removesSuperuser = changes.is_active === false || changes.is_superuser === false;
        const before = await this.lockUser(tx, id, removesSuperuser);
        if (removesSuperuser && before.isSuperuser && before.isActive) await this.assertAnotherSuperuser(tx, id);
        const emailChanges = changes.email !== undefined && changes.email !== before.email;
        const verified = changes.email_verified ?? (emailChanges ? false : undefined);
        const values = {
          ...(await profileColumns(changes)),
          email: changes.email,
          passwordHash,
          isActive: changes.is_active,
          isStaff: changes.is_staff,
          isSuperuser: changes.is_superuser,
          emailVerifiedAt: verified === undefined ? undefined : verified ? sql`coalesce(${users.emailVerifiedAt}, now())` : null,
        };
        const [after] = Object.values(values).some((value) => value !== undefined)
          ? await tx.update(users).set(values).where(eq(users.id, id)).returning()
          : [before];
        if (changes.is_active === false || passwordHash !== undefined) await sessions.revokeAllOf(id, { executor: tx });
        if (passwordHash !== undefined || emailChanges)
          await tokens.endAll(id, emailChanges ? ["password_reset", "email_verification"] : ["password_reset"], tx);
        await audit.record(
          {
            actorId: actor.id,
            action: "user.update",
            target: `user:${id}`,
            before: auditView(before),
            after: { ...auditView(after!), ...(passwordHash !== undefined ? { password_changed: true } : {}) },
            ip: actor.ip,
          },
          tx,
        );
        return after!;
      });
    } catch (error) {
      throw conflictOf(error) ?? error;
    }
  }

  /** Deletes a user (their sessions and tokens go with them); never the last active superuser. */
  async deleteUser(id: number, actor: Actor): Promise<void> {
    const { db, audit } = this.deps;
    await db.transaction(async (tx) => {
      const before = await this.lockUser(tx, id, true);
      if (before.isSuperuser && before.isActive) await this.assertAnotherSuperuser(tx, id);
      // Recorded first: a superuser deleting their own account is its actor, and the entry's
      // actor_id is nulled with the account (an entry naming an already deleted actor fails).
      await audit.record({ actorId: actor.id, action: "user.delete", target: `user:${id}`, before: auditView(before), after: null, ip: actor.ip }, tx);
      await tx.delete(users).where(eq(users.id, id));
    });
  }

  async userSessions(id: number, page: Page) {
    await this.getUser(id);
    return this.deps.sessions.listOpen(id, page);
  }

  async revokeUserSessions(id: number, actor: Actor): Promise<number> {
    const { db, sessions, audit } = this.deps;
    await this.getUser(id);
    return db.transaction(async (tx) => {
      const revoked = await sessions.revokeAllOf(id, { executor: tx });
      await audit.record({ actorId: actor.id, action: "user.sessions.revoke", target: `user:${id}`, before: null, after: { revoked }, ip: actor.ip }, tx);
      return revoked;
    });
  }

  /**
   * Where a user's login lock-outs stand: the count across networks (locked past
   * login_account_rate_limit) and each network's count (locked past login_rate_limit).
   */
  async lockout(id: number): Promise<typeof AdminModel.lockout.static> {
    const { rateLimiter, settings } = this.deps;
    await this.getUser(id);
    const counters = lockoutCountersOf(id);
    const [windows, current] = await Promise.all([rateLimiter.openWindows([counters.account], [counters.eachNetwork]), settings.current()]);
    let lockedUntil: Date | null = null;
    let networks = 0;
    for (const [key, window] of windows) {
      const acrossNetworks = key === counters.account;
      const limit = acrossNetworks ? current.login_account_rate_limit : current.login_rate_limit;
      if (!acrossNetworks) networks++;
      if (limit > 0 && window.count >= limit && (!lockedUntil || window.resetAt > lockedUntil)) lockedUntil = window.resetAt;
    }
    return { locked_until: lockedUntil?.toISOString() ?? null, failures: windows.get(counters.account)?.count ?? 0, networks_with_failures: networks };
  }

  /** Ends a user's login lock-outs and failure counts (every network), and forgets the repeats; audited. */
  async liftLockout(id: number, actor: Actor): Promise<void> {
    const { db, rateLimiter, audit } = this.deps;
    const before = await this.lockout(id);
    const counters = lockoutCountersOf(id);
    await db.transaction(async (tx) => {
      await rateLimiter.clear([counters.account, counters.strikes], [counters.eachNetwork], tx);
      await audit.record({ actorId: actor.id, action: "user.lockout.lift", target: `user:${id}`, before: { ...before }, after: null, ip: actor.ip }, tx);
    });
  }

  /** Changes settings and audits it, in one transaction; every instance sees it within seconds. */
  async updateSettings(changes: Partial<Settings>, actor: Actor): Promise<Settings> {
    const { db, settings, audit } = this.deps;
    const before = await settings.reload();
    await db.transaction(async (tx) => {
      await settings.write(changes, actor.id, tx);
      const changed = Object.keys(changes) as (keyof Settings)[];
      await audit.record(
        {
          actorId: actor.id,
          action: "settings.update",
          target: "settings",
          before: Object.fromEntries(changed.map((key) => [key, before[key]])),
          after: changes,
          ip: actor.ip,
        },
        tx,
      );
    });
    return settings.reload();
  }

  /** The user row, locked for this transaction; with `superuserChange`, superuser changes queue up first. */
  private async lockUser(tx: Transaction, id: number, superuserChange: boolean): Promise<User> {
    if (superuserChange) await tx.execute(sql`select pg_advisory_xact_lock(${SUPERUSER_CHANGES_LOCK})`);
    const [user] = await tx.select().from(users).where(eq(users.id, id)).for("update");
    if (!user) throw notFound();
    return user;
  }

  private async assertAnotherSuperuser(tx: Transaction, id: number): Promise<void> {
    const [others] = await tx
      .select({ count: count() })
      .from(users)
      .where(and(eq(users.isSuperuser, true), eq(users.isActive, true), ne(users.id, id)));
    if (!others || others.count === 0) throw lastSuperuser();
  }
}
