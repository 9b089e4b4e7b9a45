import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { containing } from "../../db/like";
import { type User, users } from "../../db/schema";
import { ApiError } from "../../errors";
import type { Page } from "../../pagination";
import type { PasswordHasher } from "../../passwords";
import { usernameKey, usernameSkeleton } from "../../usernames";
import type { ProfileSummary, ProfileUpdate } from "./model";

const hasUsername = ne(users.usernameKey, "");
const profileSummary = { id: users.id, username: users.username, avatar: users.avatar, privacy: users.privacy };
type ProfileSummaryRow = typeof ProfileSummary.static;
const usernameIs = (username: string) => and(hasUsername, eq(users.usernameKey, usernameKey(username)))!;

/** The columns a username is stored in: itself, its lookup key and its skeleton ("" for both while unset). */
export async function usernameColumns(username: string) {
  if (!username) return { username, usernameKey: "", usernameSkeleton: "" };
  return { username, usernameKey: usernameKey(username), usernameSkeleton: await usernameSkeleton(username) };
}

export interface NewUser {
  email: string;
  password: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_active?: boolean;
  is_staff?: boolean;
  is_superuser?: boolean;
  email_verified?: boolean;
}


const UNIQUE_VIOLATION = "23505";

type Transaction = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** A profile change as the columns it sets (undefined: left as it is). */
export const profileColumns = async (changes: ProfileUpdate) => ({
  ...(changes.username === undefined ? {} : await usernameColumns(changes.username)),
  firstName: changes.first_name,
  lastName: changes.last_name,
  bio: changes.bio,
  location: changes.location,
  avatar: changes.avatar,
  privacy: changes.privacy,
  metadata: changes.metadata,
});

/** Postgres unique violations, from either driver, turned into the API's 409s. */
export function conflictOf(error: unknown): ApiError | undefined {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const { code, constraint_name, constraint } = (cause ?? {}) as Record<string, string | undefined>;
  if (code !== UNIQUE_VIOLATION) return undefined;
  const name = constraint_name ?? constraint ?? "";
  // No `fields`: those are for validation errors only (the one error shape).
  if (name === "users_username_key" || name === "users_username_skeleton_key")
    return new ApiError("username_taken", "A user with that username (or one that looks the same) already exists.");
  return new ApiError("email_taken", "A user with that email already exists.");
}

export class UserService {
  private readonly byId;

  constructor(
    private readonly db: Db,
    private readonly passwords: PasswordHasher,
  ) {
    this.byId = db.select().from(users).where(eq(users.id, sql.placeholder("id"))).prepare("user_by_id");
  }

  async findById(id: number): Promise<User | undefined> {
    return (await this.byId.execute({ id }))[0];
  }

  /**
   * Creates a user; `alongside` runs in the same transaction (a verification mail queued with
   * the account, so a crash cannot keep one without the other).
   */
  async create(input: NewUser, alongside?: (tx: Transaction, user: User) => Promise<void>): Promise<User> {
    const passwordHash = await this.passwords.hash(input.password);
    try {
      if (!alongside) return await this.insertUser(this.db, input, passwordHash);
      return await this.db.transaction(async (tx) => {
        const user = await this.insertUser(tx, input, passwordHash);
        await alongside(tx, user);
        return user;
      });
    } catch (error) {
      throw conflictOf(error) ?? error;
    }
  }

  private async insertUser(executor: Pick<Db, "insert">, input: NewUser, passwordHash: string): Promise<User> {
    const [user] = await executor
      .insert(users)
      .values({
        email: input.email,
        passwordHash,
        ...(await usernameColumns(input.username ?? "")),
        firstName: input.first_name ?? "",
        lastName: input.last_name ?? "",
        isActive: input.is_active ?? true,
        isStaff: input.is_staff ?? false,
        isSuperuser: input.is_superuser ?? false,
        emailVerifiedAt: input.email_verified ? sql`now()` : null,
      })
      .returning();
    return user!;
  }

  /** Marks the email verified (once: a later verification keeps the first time). */
  async markEmailVerified(id: number, executor: Pick<Db, "update"> = this.db): Promise<void> {
    await executor.update(users).set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` }).where(eq(users.id, id));
  }

  /** Sets a new password hash; with `executor`, inside the caller's transaction. */
  async setPasswordHash(id: number, passwordHash: string, executor: Pick<Db, "update"> = this.db): Promise<void> {
    await executor.update(users).set({ passwordHash }).where(eq(users.id, id));
  }

  /** Makes an existing account a superuser (and active again); undefined when there is none. */
  async promoteToSuperuser(email: string): Promise<User | undefined> {
    const [user] = await this.db
      .update(users)
      .set({ isStaff: true, isSuperuser: true, isActive: true, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(eq(users.email, email))
      .returning();
    return user;
  }

  /** Creates a superuser, or promotes an existing account and sets its password, in one statement. */
  async upsertSuperuser(email: string, password: string): Promise<{ user: User; created: boolean }> {
    const passwordHash = await this.passwords.hash(password);
    const [row] = await this.db
      .insert(users)
      // The operator's own address counts as verified: require_email_verification never locks them out.
      .values({ email, passwordHash, isStaff: true, isSuperuser: true, emailVerifiedAt: sql`now()` })
      .onConflictDoUpdate({
        target: users.email,
        set: { passwordHash, isStaff: true, isSuperuser: true, isActive: true, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` },
      })
      .returning({ id: users.id, created: sql<boolean>`xmax = 0` });
    return { user: (await this.findById(row!.id))!, created: row!.created };
  }

  /** The user with this (non-empty) username, in any letter case or width. */
  async findByUsername(username: string): Promise<User | undefined> {
    if (!usernameKey(username)) return undefined;
    const [user] = await this.db.select().from(users).where(usernameIs(username));
    return user;
  }

  /**
   * Users whose username contains `query` in any letter case (every user with a username when
   * it is empty), ordered by username in any letter case, and how many match in all.
   */
  async searchByUsername(query: string, { limit, offset }: Page): Promise<{ total: number; users: ProfileSummaryRow[] }> {
    if (!query) {
      // Walks the username index in order and stops at the page.
      const [page, [all]] = await Promise.all([
        this.db.select(profileSummary).from(users).where(hasUsername).orderBy(asc(users.usernameKey)).limit(limit).offset(offset),
        this.db.select({ total: count() }).from(users).where(hasUsername),
      ]);
      return { total: all!.total, users: page };
    }
    // The matches first, through the trigram index, then sorted. "offset 0" keeps PostgreSQL
    // from merging the two: for a pattern it guesses common it would walk the username index
    // in order and filter, reading every row (75 ms at 100k users instead of 2).
    const matches = sql`(${this.db
      .select({ ...profileSummary, usernameKey: users.usernameKey })
      .from(users)
      .where(and(hasUsername, sql`${users.usernameKey} like ${containing(usernameKey(query))}`))} offset 0) as matches`;
    const rows = await this.db
      .select({
        id: sql<number>`matches.id`,
        username: sql<string>`matches.username`,
        avatar: sql<string>`matches.avatar`,
        privacy: sql<boolean>`matches.privacy`,
        total: sql<number>`count(*) over ()`.mapWith(Number),
      })
      .from(matches)
      .orderBy(sql`matches.username_key`)
      .limit(limit)
      .offset(offset);
    if (!rows.length) return { total: offset > 0 ? (await this.searchByUsername(query, { limit: 1, offset: 0 })).total : 0, users: [] };
    return { total: rows[0]!.total, users: rows.map(({ total: _, ...summary }) => summary) };
  }

  async updateProfile(id: number, changes: ProfileUpdate): Promise<User> {
    const values = await profileColumns(changes);
    if (Object.values(values).every((value) => value === undefined)) {
      const user = await this.findById(id);
      if (!user) throw new ApiError("not_found", "User not found.");
      return user;
    }
    try {
      const [user] = await this.db.update(users).set(values).where(eq(users.id, id)).returning();
      if (!user) throw new ApiError("not_found", "User not found.");
      return user;
    } catch (error) {
      throw conflictOf(error) ?? error;
    }
  }
}

/**
 * Gives every set username its lookup key and skeleton where they are missing: rows from
 * before they existed (the migration can only approximate the key with SQL's lower()), or
 * written meanwhile by an older authd in a rolling upgrade. Runs at start, in batches. A row
 * whose form another user already holds (two names that only now count as the same) keeps
 * what it has and is reported: the name stays, and its owner or an admin can change it.
 */
export async function completeUsernameForms(db: Db): Promise<{ completed: number; clashes: Array<{ id: number; username: string }> }> {
  let completed = 0;
  const clashes: Array<{ id: number; username: string }> = [];
  for (let after = 0; ; ) {
    const batch = await db
      .select({ id: users.id, username: users.username })
      .from(users)
      .where(and(ne(users.username, ""), eq(users.usernameSkeleton, ""), sql`${users.id} > ${after}`))
      .orderBy(asc(users.id))
      .limit(500);
    if (!batch.length) return { completed, clashes };
    for (const { id, username } of batch) {
      after = id;
      try {
        await db.update(users).set(await usernameColumns(username)).where(eq(users.id, id));
        completed++;
      } catch (error) {
        if (!conflictOf(error)) throw error;
        clashes.push({ id, username });
      }
    }
  }
}
