import { afterAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { refreshTokens, sessions, users } from "../../src/db/schema";
import { SessionStore, purgeEndedSessions } from "../../src/session-store";
import { hashOpaqueToken, newOpaqueToken } from "../../src/tokens";
import { freshDatabase } from "../support/helpers";

// The session core on its own: no HTTP, no services, a real database.
const database = await freshDatabase();
afterAll(() => database.close());
const { db } = database;
const store = new SessionStore(database);
const past = new Date(Date.now() - 60_000);
const day = 86_400;

async function newUser() {
  const [user] = await db
    .insert(users)
    .values({ email: `${crypto.randomUUID()}@example.com`, passwordHash: "not-a-real-hash" })
    .returning();
  return user!;
}

async function login(userId: number, lifetime = day) {
  const refreshToken = newOpaqueToken();
  const sessionId = await store.start({ userId, userAgent: "test", ip: "192.0.2.1", refreshToken, lifetime });
  return { sessionId, refreshToken };
}

const rotateOnce = (presented: string, reuseInterval = 0) => store.rotate(presented, newOpaqueToken(), { lifetime: day, reuseInterval });

describe("start", () => {
  test("stores the session and only the hash of its first refresh token, and sets last_login", async () => {
    const user = await newUser();
    const { sessionId, refreshToken } = await login(user.id);
    const [token] = await db.select().from(refreshTokens).where(eq(refreshTokens.sessionId, sessionId));
    expect(token!.tokenHash).toBe(hashOpaqueToken(refreshToken));
    expect(JSON.stringify(await db.select().from(refreshTokens))).not.toContain(refreshToken);
    const [stored] = await db.select().from(users).where(eq(users.id, user.id));
    expect(stored!.lastLogin).toBeInstanceOf(Date);
  });
});

describe("liveSessionUser", () => {
  test("gives the account of a live session, without its password hash", async () => {
    const user = await newUser();
    const { sessionId } = await login(user.id);
    const account = await store.liveSessionUser(sessionId, user.id);
    expect(account).toMatchObject({ id: user.id, email: user.email, isActive: true, username: "" });
    expect(account!.dateJoined).toBeInstanceOf(Date);
    expect(account).not.toHaveProperty("passwordHash");
  });

  test("gives nothing for another user's id, a revoked or expired session, or an inactive user", async () => {
    const user = await newUser();
    const other = await newUser();
    const live = await login(user.id);
    expect(await store.liveSessionUser(live.sessionId, other.id)).toBeUndefined();

    const revoked = await login(user.id);
    await store.revoke(revoked.sessionId);
    expect(await store.liveSessionUser(revoked.sessionId, user.id)).toBeUndefined();

    const expired = await login(user.id);
    await db.update(sessions).set({ expiresAt: past }).where(eq(sessions.id, expired.sessionId));
    expect(await store.liveSessionUser(expired.sessionId, user.id)).toBeUndefined();

    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id));
    expect(await store.liveSessionUser(live.sessionId, user.id)).toBeUndefined();
  });
});

describe("rotate", () => {
  test("spends the token, stores the successor's hash, and extends the session", async () => {
    const user = await newUser();
    const { sessionId, refreshToken } = await login(user.id, 60);
    const successor = newOpaqueToken();
    expect(await store.rotate(refreshToken, successor, { lifetime: day, reuseInterval: 0 })).toEqual({
      kind: "rotated",
      userId: user.id,
      sessionId,
    });
    const [session] = await db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(session!.expiresAt.getTime()).toBeGreaterThan(Date.now() + (day - 60) * 1000);
    expect((await rotateOnce(successor)).kind).toBe("rotated");
  });

  test("a spent token presented again is reused and revokes the whole session", async () => {
    const user = await newUser();
    const { sessionId, refreshToken } = await login(user.id);
    const successor = newOpaqueToken();
    await store.rotate(refreshToken, successor, { lifetime: day, reuseInterval: 0 });
    expect(await rotateOnce(refreshToken)).toEqual({ kind: "reused" });
    expect(await store.liveSessionUser(sessionId, user.id)).toBeUndefined();
    expect(await rotateOnce(successor)).toEqual({ kind: "invalid" });
  });

  test("within the reuse interval a spent token rotates again in the same session", async () => {
    const user = await newUser();
    const { sessionId, refreshToken } = await login(user.id);
    await rotateOnce(refreshToken, 10);
    expect(await rotateOnce(refreshToken, 10)).toEqual({ kind: "rotated", userId: user.id, sessionId });
    expect(await store.liveSessionUser(sessionId, user.id)).toBeDefined();
  });

  test("an unknown or expired token, or one of a revoked session, is invalid", async () => {
    const user = await newUser();
    expect(await rotateOnce(newOpaqueToken())).toEqual({ kind: "invalid" });
    const expired = await login(user.id);
    await db.update(refreshTokens).set({ expiresAt: past }).where(eq(refreshTokens.sessionId, expired.sessionId));
    expect(await rotateOnce(expired.refreshToken)).toEqual({ kind: "invalid" });
    const revoked = await login(user.id);
    await store.revoke(revoked.sessionId);
    expect(await rotateOnce(revoked.refreshToken)).toEqual({ kind: "invalid" });
  });

  test("of 20 concurrent rotations of one token exactly one wins", async () => {
    const user = await newUser();
    const { refreshToken } = await login(user.id);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => rotateOnce(refreshToken)));
    expect(outcomes.filter((outcome) => outcome.kind === "rotated")).toHaveLength(1);
  });
});

describe("revocation", () => {
  test("revokeByRefreshToken ends the session of an unspent token once", async () => {
    const user = await newUser();
    const { sessionId, refreshToken } = await login(user.id);
    expect(await store.revokeByRefreshToken(refreshToken)).toBe(true);
    expect(await store.revokeByRefreshToken(refreshToken)).toBe(false);
    expect(await store.liveSessionUser(sessionId, user.id)).toBeUndefined();
    expect(await store.revokeByRefreshToken(newOpaqueToken())).toBe(false);
  });

  test("revokeAllOf ends every open session but the one excepted, and counts them", async () => {
    const user = await newUser();
    const [kept, ...others] = [await login(user.id), await login(user.id), await login(user.id)];
    expect(await store.revokeAllOf(user.id, { except: kept!.sessionId })).toBe(2);
    expect((await store.listOpen(user.id, { limit: 50, offset: 0 })).sessions.map((session) => session.id)).toEqual([kept!.sessionId]);
    for (const other of others) expect(await store.liveSessionUser(other.sessionId, user.id)).toBeUndefined();
    expect(await store.revokeAllOf(user.id)).toBe(1);
  });

  test("revokeOwn ends only the user's own open session", async () => {
    const user = await newUser();
    const intruder = await newUser();
    const { sessionId } = await login(user.id);
    expect(await store.revokeOwn(intruder.id, sessionId)).toBe(false);
    expect(await store.revokeOwn(user.id, sessionId)).toBe(true);
    expect(await store.revokeOwn(user.id, sessionId)).toBe(false);
  });

  test("revocation joins the caller's transaction: rolled back, the session lives", async () => {
    const user = await newUser();
    const { sessionId } = await login(user.id);
    await db
      .transaction(async (tx) => {
        await store.revokeAllOf(user.id, { executor: tx });
        throw new Error("roll back");
      })
      .catch(() => {});
    expect(await store.liveSessionUser(sessionId, user.id)).toBeDefined();
  });
});

describe("purgeEndedSessions", () => {
  test("deletes ended sessions and expired tokens, never an open session", async () => {
    const user = await newUser();
    const open = await login(user.id);
    const revoked = await login(user.id);
    await store.revoke(revoked.sessionId);
    const purged = await purgeEndedSessions(db, 1);
    expect(purged.sessions).toBeGreaterThanOrEqual(1);
    const remaining = (await db.select({ id: sessions.id }).from(sessions)).map((row) => row.id);
    expect(remaining).toContain(open.sessionId);
    expect(remaining).not.toContain(revoked.sessionId);
  });
});
