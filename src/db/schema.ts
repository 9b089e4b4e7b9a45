import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const users = pgTable(
  "users",
  {
    id: serial("id").primaryKey(),
    // Stored trimmed and lower-cased, so a plain unique index is a case-insensitive one.
    email: text("email").notNull(),
    username: text("username").notNull().default(""),
    // Computed from the username in src/usernames.ts (not by SQL, whose lower() folds only ASCII
    // in some locales): the form it is looked up by, and its confusable skeleton. Each is unique
    // among set usernames; "" while the username is "" (or before an older row was backfilled).
    usernameKey: text("username_key").notNull().default(""),
    usernameSkeleton: text("username_skeleton").notNull().default(""),
    firstName: text("first_name").notNull().default(""),
    lastName: text("last_name").notNull().default(""),
    passwordHash: text("password_hash").notNull(),
    isActive: boolean("is_active").notNull().default(true),
    isStaff: boolean("is_staff").notNull().default(false),
    isSuperuser: boolean("is_superuser").notNull().default(false),
    emailVerifiedAt: timestamptz("email_verified_at"),
    dateJoined: timestamptz("date_joined").notNull().defaultNow(),
    lastLogin: timestamptz("last_login"),
    // The profile (seed 004): shown at /api/users/{username}/ unless private.
    bio: text("bio").notNull().default(""),
    location: text("location").notNull().default(""),
    avatar: text("avatar").notNull().default(""),
    privacy: boolean("privacy").notNull().default(false),
    /** An app's own profile fields (at most 4 KiB of JSON, checked at the edge). */
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
  },
  (table) => [
    uniqueIndex("users_email_key").on(table.email),
    // Usernames are optional: only set ones must be unique, in any letter case or look-alike form.
    uniqueIndex("users_username_key").on(table.usernameKey).where(sql`${table.usernameKey} <> ''`),
    uniqueIndex("users_username_skeleton_key").on(table.usernameSkeleton).where(sql`${table.usernameSkeleton} <> ''`),
    // Profile search: a case-insensitive substring match stays an index scan at millions of users.
    index("users_username_trgm_idx").using("gin", sql`${table.usernameKey} gin_trgm_ops`),
    check("users_email_lower_case", sql`${table.email} = lower(${table.email})`),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    lastUsedAt: timestamptz("last_used_at").notNull().defaultNow(),
    userAgent: text("user_agent").notNull().default(""),
    ip: text("ip"),
    // When its newest refresh token expires: past this, the login is over.
    expiresAt: timestamptz("expires_at").notNull(),
    revokedAt: timestamptz("revoked_at"),
  },
  (table) => [index("sessions_user_id_idx").on(table.userId), index("sessions_expires_at_idx").on(table.expiresAt)],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    // SHA-256 (hex) of the token handed to the client; the token itself is never stored.
    tokenHash: text("token_hash").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    expiresAt: timestamptz("expires_at").notNull(),
    usedAt: timestamptz("used_at"),
    // No revoked_at of its own: a refresh token is live only while its session is, so revoking
    // the session row revokes every token of that login in one single-row write.
  },
  (table) => [
    uniqueIndex("refresh_tokens_token_hash_key").on(table.tokenHash),
    index("refresh_tokens_session_id_idx").on(table.sessionId),
    index("refresh_tokens_expires_at_idx").on(table.expiresAt),
  ],
);

export const config = pgTable("config", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  updatedBy: integer("updated_by").references(() => users.id, { onDelete: "set null" }),
});

export type User = typeof users.$inferSelect;
/** A user as an authenticated request sees it: everything but the password hash and the username's derived forms. */
export type Account = Omit<User, "passwordHash" | "usernameKey" | "usernameSkeleton">;
export type Session = typeof sessions.$inferSelect;

/** Fixed-window counters for brute-force limits, shared by every instance. */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  resetAt: timestamptz("reset_at").notNull(),
});

/**
 * Single-use secrets mailed to a user (password reset, email verification). Only the SHA-256
 * is stored; issuing one ends the user's earlier ones of the same purpose.
 */
export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose").$type<"password_reset" | "email_verification">().notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    expiresAt: timestamptz("expires_at").notNull(),
    usedAt: timestamptz("used_at"),
  },
  (table) => [
    uniqueIndex("one_time_tokens_token_hash_key").on(table.tokenHash),
    index("one_time_tokens_user_purpose_idx").on(table.userId, table.purpose),
    index("one_time_tokens_expires_at_idx").on(table.expiresAt),
  ],
);

/**
 * Mails accepted by the API and not yet handed to the SMTP server: a restart or an SMTP outage
 * loses none. A row holds what to send, never a secret: the token of a reset or verification
 * mail is made when the mail is sent.
 */
export const mailOutbox = pgTable(
  "mail_outbox",
  {
    id: serial("id").primaryKey(),
    kind: text("kind").$type<"password_reset" | "email_verification">().notNull(),
    // The recipient: a user, or (a reset request) the email asked for, looked up when sending,
    // so a request writes the same row whether or not the account exists.
    userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
    email: text("email"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamptz("next_attempt_at").notNull().defaultNow(),
    sentAt: timestamptz("sent_at"),
    lastError: text("last_error"),
  },
  (table) => [
    index("mail_outbox_due_idx").on(table.nextAttemptAt).where(sql`${table.sentAt} is null`),
    check("mail_outbox_recipient", sql`(${table.userId} is null) <> (${table.email} is null)`),
  ],
);

/**
 * Every admin write and settings change: who, what, on what, the values before and after
 * (never a password hash or token), and from where. Append-only.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: serial("id").primaryKey(),
    at: timestamptz("at").notNull().defaultNow(),
    actorId: integer("actor_id").references(() => users.id, { onDelete: "set null" }),
    action: text("action").notNull(),
    target: text("target").notNull(),
    before: jsonb("before").$type<Record<string, unknown> | null>(),
    after: jsonb("after").$type<Record<string, unknown> | null>(),
    ip: text("ip"),
  },
  (table) => [index("audit_log_at_idx").on(table.at)],
);
