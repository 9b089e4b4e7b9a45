import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { refreshTokens, sessions } from "../../src/db/schema";
import { hashOpaqueToken } from "../../src/tokens";
import { setupApp } from "../support/helpers";

const t = await setupApp();

describe("POST /api/logout/", () => {
  for (const path of ["/api/logout/", "/api/logout"]) {
    test(`answers 200 and revokes the session (${path})`, async () => {
      const { refresh_token } = await t.account();
      const response = await t.request("POST", path, { body: { refresh_token } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ success: "User logged out." });
      const session = await t.inDatabase(async (db) => {
        const [token] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashOpaqueToken(refresh_token)));
        return (await db.select().from(sessions).where(eq(sessions.id, token!.sessionId)))[0];
      });
      expect(session!.revokedAt).toBeInstanceOf(Date);
      const refresh = await t.request("POST", "/api/refresh/", { body: { refresh_token } });
      expect(refresh.status).toBe(401);
    });
  }

  test("other sessions of the user stay alive", async () => {
    const { email, refresh_token } = await t.account();
    const other = await t.login(email);
    await t.request("POST", "/api/logout/", { body: { refresh_token } });
    expect((await t.request("POST", "/api/refresh/", { body: { refresh_token: other.refresh_token } })).status).toBe(200);
  });

  test("logging out twice with the same token is 401 token_not_valid", async () => {
    const { refresh_token } = await t.account();
    expect((await t.request("POST", "/api/logout/", { body: { refresh_token } })).status).toBe(200);
    const again = await t.request("POST", "/api/logout/", { body: { refresh_token } });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe("token_not_valid");
  });

  test("an unknown token is 401 and a missing one is 400", async () => {
    const unknown = await t.request("POST", "/api/logout/", { body: { refresh_token: crypto.randomUUID() } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe("token_not_valid");
    const missing = await t.request("POST", "/api/logout/", { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe("validation_error");
  });
});

describe("a logout racing a refresh of the same token", () => {
  test("20 rounds: whichever wins, the session ends; no refresh token of it works afterwards", async () => {
    const { email } = await t.register();
    const outcomes = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const { refresh_token, access_token } = await t.login(email);
      const [refreshed, loggedOut] = await Promise.all([
        t.request("POST", "/api/refresh/", { body: { refresh_token } }),
        t.request("POST", "/api/logout/", { body: { refresh_token } }),
      ]);
      outcomes.add(`${refreshed.status}/${loggedOut.status}`);
      expect(loggedOut.status).toBe(200);
      const tokens = [refresh_token, ...(refreshed.status === 200 ? [refreshed.body.refresh_token as string] : [])];
      for (const token of tokens) expect((await t.request("POST", "/api/refresh/", { body: { refresh_token: token } })).status, `round ${round}`).toBe(401);
      for (const access of [access_token, ...(refreshed.status === 200 ? [refreshed.body.access_token as string] : [])])
        expect((await t.request("GET", "/api/me/", { token: access })).status).toBe(401);
    }
    // Both orders happen in 20 rounds on a real server; either way the logout answers 200.
    expect([...outcomes].every((outcome) => /^(200|401)\/200$/.test(outcome))).toBe(true);
  });

  test("a logout with a token a refresh has just spent ends the session its successor belongs to", async () => {
    const { refresh_token } = await t.account();
    const rotated = await t.request("POST", "/api/refresh/", { body: { refresh_token } });
    expect(rotated.status).toBe(200);
    expect((await t.request("POST", "/api/logout/", { body: { refresh_token } })).status).toBe(200);
    expect((await t.request("POST", "/api/refresh/", { body: { refresh_token: rotated.body.refresh_token } })).status).toBe(401);
  });
});
