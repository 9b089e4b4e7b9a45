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
