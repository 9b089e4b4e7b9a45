import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

// The primary seed's own example session, request bodies verbatim (ids and tokens vary).
const t = await setupApp();
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the seed's examples, exactly as written", () => {
  test("register, login, refresh, logout, me, and PUT /api/me/ {\"username\": \"John Smith\"}", async () => {
    const registered = await t.request("POST", "/api/register/", { raw: '{"password": "password", "email": "user@example.com"}', headers: { "content-type": "application/json" } });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ id: expect.any(Number), email: "user@example.com" });
    const id = registered.body.id;

    const login = await t.request("POST", "/api/login/", { raw: '{"email": "user@example.com", "password": "password"}', headers: { "content-type": "application/json" } });
    expect(login.status).toBe(200);
    expect(login.body.access_token).toStartWith("eyJ");
    expect(login.body.refresh_token).toMatch(UUID_V4);

    const refreshed = await t.request("POST", "/api/refresh/", { raw: `{"refresh_token": "${login.body.refresh_token}"}`, headers: { "content-type": "application/json" } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).toStartWith("eyJ");
    expect(refreshed.body.refresh_token).toMatch(UUID_V4);
    expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token);

    const loggedOut = await t.request("POST", "/api/logout/", { raw: `{"refresh_token": "${refreshed.body.refresh_token}"}`, headers: { "content-type": "application/json" } });
    expect(loggedOut.status).toBe(200);
    expect(loggedOut.body).toEqual({ success: "User logged out." });

    const { access_token } = (await t.request("POST", "/api/login/", { body: { email: "user@example.com", password: "password" } })).body;
    const me = await t.request("GET", "/api/me/", { token: access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id, username: "", email: "user@example.com" });

    const renamed = await t.request("PUT", "/api/me/", { token: access_token, raw: '{"username": "John Smith"}', headers: { "content-type": "application/json" } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, username: "John Smith", email: "user@example.com" });
    expect((await t.request("GET", "/api/me/", { token: access_token })).body.username).toBe("John Smith");
  });

  test("a Unicode username round-trips exactly, and is unique regardless of case", async () => {
    const first = await t.account();
    const name = "Zoë Ω 测试 ✓";
    const renamed = await t.request("PATCH", "/api/me/", { token: first.access_token, body: { username: name } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.username).toBe(name);
    expect((await t.request("GET", "/api/me/", { token: first.access_token })).body.username).toBe(name);
    const second = await t.account();
    const clash = await t.request("PATCH", "/api/me/", { token: second.access_token, body: { username: "john smith" } });
    expect(clash.status).toBe(409);
    expect(clash.body).toEqual({ detail: expect.any(String), code: "username_taken" });
  });

  test("usernames are trimmed; 150 characters (of any script) fit, 151 do not; \"\" unsets", async () => {
    const { access_token } = await t.account();
    const put = (username: unknown) => t.request("PUT", "/api/me/", { token: access_token, body: { username } });
    expect((await put("  Ada Lovelace  ")).body.username).toBe("Ada Lovelace");
    const longest = "测".repeat(150);
    expect((await put(longest)).body.username).toBe(longest);
    const tooLong = await put("😀".repeat(151));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.fields.username[0]).toContain("150");
    expect((await put("")).body.username).toBe("");
    for (const bad of ["tab\there", "nul\u0000"]) expect((await put(bad)).status).toBe(400);
  });
});
