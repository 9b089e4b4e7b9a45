import { describe, expect, test } from "bun:test";
import { eq, inArray } from "drizzle-orm";
import { mailOutbox, oneTimeTokens, rateLimits, refreshTokens, sessions } from "../../src/db/schema";
import { purgeExpired } from "../../src/maintenance";
import { hashOpaqueToken } from "../../src/tokens";
import { decodeJwt, setupApp } from "../support/helpers";

const t = await setupApp();
const past = new Date(Date.now() - 60_000);
const future = new Date(Date.now() + 3_600_000);

describe("periodic cleanup", () => {
  test("deletes revoked and expired sessions, expired refresh tokens and ended rate-limit windows, nothing live", async () => {
    const live = await t.account();
    const liveSession = decodeJwt(live.access_token).payload.sid as string;
    const { email } = await t.account();
    const revoked = await t.login(email);
    const expired = await t.login(email);
    await t.request("POST", "/api/logout/", { body: { refresh_token: revoked.refresh_token } });
    const expiredSession = decodeJwt(expired.access_token).payload.sid as string;
    await t.db.update(sessions).set({ expiresAt: past }).where(eq(sessions.id, expiredSession));

    // In the live session: one refresh token past its expiry, and the current one.
    const rotated = (await t.request("POST", "/api/refresh/", { body: { refresh_token: live.refresh_token } })).body;
    await t.db.update(refreshTokens).set({ expiresAt: past }).where(eq(refreshTokens.tokenHash, hashOpaqueToken(live.refresh_token)));

    await t.db.insert(rateLimits).values([
      { key: "login:ended", count: 3, resetAt: past },
      { key: "login:running", count: 3, resetAt: future },
    ]);

    const userId = decodeJwt(live.access_token).payload.user_id as number;
    await t.db.insert(oneTimeTokens).values([
      { userId, purpose: "password_reset", tokenHash: "expired", expiresAt: past },
      { userId, purpose: "email_verification", tokenHash: "live", expiresAt: future },
    ]);
    await t.db.insert(mailOutbox).values([
      { kind: "password_reset", email: "old@example.com", createdAt: new Date(Date.now() - 3 * 86_400_000), sentAt: past },
      { kind: "password_reset", email: "new@example.com", sentAt: past },
    ]);

    const purged = await purgeExpired(t.db, 1);
    expect(purged).toEqual({ sessions: 2, refreshTokens: 1, rateLimits: 1, oneTimeTokens: 1, mails: 1 });
    expect((await t.db.select().from(oneTimeTokens)).map((row) => row.tokenHash)).toEqual(["live"]);
    expect((await t.db.select().from(mailOutbox)).map((row) => row.email)).toEqual(["new@example.com"]);

    const remaining = await t.db.select({ id: sessions.id }).from(sessions);
    expect(remaining.map((row) => row.id)).toContain(liveSession);
    expect(remaining.map((row) => row.id)).not.toContain(expiredSession);
    expect(remaining.map((row) => row.id)).not.toContain(decodeJwt(revoked.access_token).payload.sid);
    const tokens = await t.db
      .select({ hash: refreshTokens.tokenHash })
      .from(refreshTokens)
      .where(inArray(refreshTokens.tokenHash, [hashOpaqueToken(live.refresh_token), hashOpaqueToken(rotated.refresh_token)]));
    expect(tokens.map((row) => row.hash)).toEqual([hashOpaqueToken(rotated.refresh_token)]);
    expect((await t.db.select().from(rateLimits)).map((row) => row.key)).toEqual(["login:running"]);

    // What was live still works.
    expect((await t.request("GET", "/api/me/", { token: rotated.access_token })).status).toBe(200);
    expect((await t.request("POST", "/api/refresh/", { body: { refresh_token: rotated.refresh_token } })).status).toBe(200);
    expect(await purgeExpired(t.db)).toEqual({ sessions: 0, refreshTokens: 0, rateLimits: 0, oneTimeTokens: 0, mails: 0 });
  });
});
