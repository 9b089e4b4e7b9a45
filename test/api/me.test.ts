import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { users } from "../../src/db/schema";
import { setupApp } from "../support/helpers";

const t = await setupApp();

describe("GET /api/me/", () => {
  for (const path of ["/api/me/", "/api/me"]) {
    test(`answers 200 with the user; username is "" until set (${path})`, async () => {
      const { access_token, email, user } = await t.account();
      const response = await t.request("GET", path, { token: access_token });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: user.id, email, username: "", first_name: "", last_name: "" });
      expect(response.text).not.toContain("password");
      expect(response.text).not.toContain("$argon2");
    });
  }

  test("without a token is 401 not_authenticated", async () => {
    const response = await t.request("GET", "/api/me/");
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ detail: expect.any(String), code: "not_authenticated" });
  });

  test("a malformed Authorization header is 401 not_authenticated", async () => {
    const response = await t.request("GET", "/api/me/", { headers: { authorization: "Token abc" } });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("not_authenticated");
  });

  test("a deactivated user's access token stops working at once", async () => {
    const { access_token, user } = await t.account();
    await t.inDatabase((db) => db.update(users).set({ isActive: false }).where(eq(users.id, user.id)));
    const response = await t.request("GET", "/api/me/", { token: access_token });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("token_not_valid");
  });

  test("a deleted user's access token stops working at once", async () => {
    const { access_token, user } = await t.account();
    await t.inDatabase((db) => db.delete(users).where(eq(users.id, user.id)));
    expect((await t.request("GET", "/api/me/", { token: access_token })).status).toBe(401);
  });
});

for (const method of ["PUT", "PATCH"]) {
  describe(`${method} /api/me/`, () => {
    for (const path of ["/api/me/", "/api/me"]) {
      test(`updates username and names and answers 200 with the user (${path})`, async () => {
        const { access_token } = await t.account();
        const username = `u${crypto.randomUUID().slice(0, 8)}`;
        const response = await t.request(method, path, {
          token: access_token,
          body: { username, first_name: "Ada", last_name: "Lovelace" },
        });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ username, first_name: "Ada", last_name: "Lovelace" });
        const me = await t.request("GET", "/api/me/", { token: access_token });
        expect(me.body).toMatchObject({ username, first_name: "Ada", last_name: "Lovelace" });
      });
    }

    test("changes only the fields sent", async () => {
      const { access_token } = await t.account({ first_name: "Keep", last_name: "Me" });
      const response = await t.request(method, "/api/me/", { token: access_token, body: { last_name: "Changed" } });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ first_name: "Keep", last_name: "Changed" });
    });

    test("never changes email, flags or password", async () => {
      const { access_token, email, password } = await t.account();
      const response = await t.request(method, "/api/me/", {
        token: access_token,
        body: { email: "evil@example.com", is_staff: true, is_superuser: true, is_active: false, password: "newpassword1" },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ email, is_staff: false, is_superuser: false, is_active: true });
      expect((await t.request("POST", "/api/login/", { body: { email, password } })).status).toBe(200);
    });

    test("a username taken by someone else is 409 username_taken", async () => {
      await t.account({ username: `taken_${method}` });
      const { access_token } = await t.account();
      const response = await t.request(method, "/api/me/", { token: access_token, body: { username: `TAKEN_${method}` } });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe("username_taken");
    });

    test("a wrong type or invalid username is 400", async () => {
      const { access_token } = await t.account();
      const wrongType = await t.request(method, "/api/me/", { token: access_token, body: { first_name: 5 } });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.fields.first_name).toEqual(["Must be a string."]);
      const invalid = await t.request(method, "/api/me/", { token: access_token, body: { username: "x".repeat(151) } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.fields.username).toEqual([expect.stringContaining("150 characters")]);
    });

    test("without a token is 401", async () => {
      const response = await t.request(method, "/api/me/", { body: { first_name: "x" } });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe("not_authenticated");
    });
  });
}
