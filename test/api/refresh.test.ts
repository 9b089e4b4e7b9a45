import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { refreshTokens, sessions } from "../../src/db/schema";
import { hashOpaqueToken } from "../../src/tokens";
import { setupApp } from "../support/helpers";

const t = await setupApp();

const refresh = (refresh_token: string, path = "/api/refresh/") => t.request("POST", path, { body: { refresh_token } });

describe("POST /api/refresh/", () => {
  for (const path of ["/api/refresh/", "/api/refresh"]) {
    test(`answers 200 with a new token pair (${path})`, async () => {
      const { refresh_token, access_token } = await t.account();
      const response = await refresh(refresh_token, path);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "token_type"]);
      expect(response.body.refresh_token).not.toBe(refresh_token);
      expect(response.body.access_token).not.toBe(access_token);
      const me = await t.request("GET", "/api/me/", { token: response.body.access_token });
      expect(me.status).toBe(200);
    });
  }

  test("refresh tokens are stored only as their SHA-256", async () => {
    const { refresh_token } = await t.account();
    const rows = await t.inDatabase((db) => db.select().from(refreshTokens));
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(refresh_token);
    expect(rows.map((row) => row.tokenHash)).toContain(hashOpaqueToken(refresh_token));
  });

  test("the old refresh token fails after rotation", async () => {
    const { refresh_token } = await t.account();
    expect((await refresh(refresh_token)).status).toBe(200);
    const again = await refresh(refresh_token);
    expect(again.status).toBe(401);
  });

  test("a reused refresh token revokes its session: the newest token fails too", async () => {
    const { refresh_token } = await t.account();
    const rotated = await refresh(refresh_token);
    expect(rotated.status).toBe(200);
    const reuse = await refresh(refresh_token);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual({ detail: expect.any(String), code: "token_reused" });
    const newest = await refresh(rotated.body.refresh_token);
    expect(newest.status).toBe(401);
    expect(newest.body.code).toBe("token_not_valid");
  });

  test("reuse revokes only that session; the user's other logins keep working", async () => {
    const { email, refresh_token } = await t.account();
    const other = await t.login(email);
    await refresh(refresh_token);
    await refresh(refresh_token);
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  test("20 concurrent refreshes of one token: exactly one 200, no 5xx", async () => {
    const { refresh_token } = await t.account();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(refresh_token)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status >= 500)).toHaveLength(0);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
  });

  test("replaying a spent token while the newest one is refreshed: no 5xx, no two successors", async () => {
    for (let round = 0; round < 5; round++) {
      const { refresh_token: spent } = await t.account();
      const newest = (await refresh(spent)).body.refresh_token;
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => refresh(i % 2 ? spent : newest)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(1);
      for (let i = 1; i < 10; i += 2) expect(responses[i]!.body.code).toBe("token_reused");
    }
  });

  test("an unknown refresh token is 401 token_not_valid", async () => {
    const response = await refresh(crypto.randomUUID());
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ detail: expect.any(String), code: "token_not_valid" });
  });

  test("an expired refresh token is 401 token_not_valid", async () => {
    const { refresh_token } = await t.account();
    await t.inDatabase((db) =>
      db.update(refreshTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(refreshTokens.tokenHash, hashOpaqueToken(refresh_token))),
    );
    const response = await refresh(refresh_token);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("token_not_valid");
  });

  test("rotation restarts the refresh lifetime from now", async () => {
    const { refresh_token } = await t.account();
    const rotated = await refresh(refresh_token);
    const [row] = await t.inDatabase((db) =>
      db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashOpaqueToken(rotated.body.refresh_token))),
    );
    const lifetime = (row!.expiresAt.getTime() - row!.createdAt.getTime()) / 1000;
    expect(Math.round(lifetime)).toBe(2_592_000);
  });

  test("a missing refresh_token is 400 validation_error", async () => {
    const response = await t.request("POST", "/api/refresh/", { body: {} });
    expect(response.status).toBe(400);
    expect(response.body.fields.refresh_token).toEqual(["This field is required."]);
  });

  test("a refresh token of a revoked session is 401", async () => {
    const { refresh_token } = await t.account();
    await t.inDatabase(async (db) => {
      const [token] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashOpaqueToken(refresh_token)));
      await db.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, token!.sessionId));
    });
    expect((await refresh(refresh_token)).status).toBe(401);
  });
});
