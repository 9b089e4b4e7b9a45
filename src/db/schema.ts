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
    // Usernames are optional: only non-empty ones must be unique, whatever their letter case.
    uniqueIndex("users_username_key")
      .on(sql`lower(${table.username})`)
      .where(sql`${table.username} <> ''`),
    // Profile search: a case-insensitive substring match stays an index scan at millions of users.
    index("users_username_trgm_idx").using("gin", sql`lower(${table.username}) gin_trgm_ops`),
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
/** A user as an authenticated request sees it: everything but the password hash. */
export type Account = Omit<User, "passwordHash">;
export type Session = typeof sessions.$inferSelect;

/** Fixed-window counters for brute-force limits, shared by every instance. */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  resetAt: timestamptz("reset_at").notNull(),
});
