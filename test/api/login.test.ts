import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { users } from "../../src/db/schema";
import { decodeJwt, setupApp } from "../support/helpers";

const t = await setupApp();

describe("POST /api/login/", () => {
  for (const path of ["/api/login/", "/api/login"]) {
    test(`answers 200 with a token pair (${path})`, async () => {
      const { email, password } = await t.register();
      const response = await t.request("POST", path, { body: { email, password } });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "token_type"]);
      expect(response.body.token_type).toBe("Bearer");
      expect(response.body.expires_in).toBe(30);
      expect(response.body.refresh_token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
  }

  test("the access token has the claims and header of the contract", async () => {
    const { user, access_token } = await t.account();
    const { header, payload } = decodeJwt(access_token);
    expect(header).toMatchObject({ alg: "HS256", typ: "JWT", kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: String(user.id), user_id: user.id, type: "access", jti: expect.any(String) });
    expect(payload.exp - payload.iat).toBe(30);
  });

  test("the email matches in any letter case and with spaces around it", async () => {
    const { email, password } = await t.register();
    const response = await t.request("POST", "/api/login/", { body: { email: ` ${email.toUpperCase()} `, password } });
    expect(response.status).toBe(200);
  });

  test("records last_login", async () => {
    const { user, email } = await t.register();
    expect(user.last_login).toBeNull();
    await t.login(email);
    const [row] = await t.inDatabase((db) => db.select().from(users).where(eq(users.id, user.id)));
    expect(row!.lastLogin).toBeInstanceOf(Date);
  });

  test("a wrong password, an unknown email and an inactive account all get the same 401", async () => {
    const { email } = await t.register();
    const inactive = await t.register();
    await t.inDatabase((db) => db.update(users).set({ isActive: false }).where(eq(users.id, inactive.user.id)));
    const attempts = [
      { email, password: "wrong-password" },
      { email: "nobody@example.com", password: "password123" },
      { email: inactive.email, password: "password123" },
    ];
    const bodies = [];
    for (const body of attempts) {
      const response = await t.request("POST", "/api/login/", { body });
      expect(response.status).toBe(401);
      bodies.push(response.body);
    }
    expect(bodies[0]).toEqual({ detail: expect.any(String), code: "invalid_credentials" });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  test("missing fields are 400 validation_error", async () => {
    const response = await t.request("POST", "/api/login/", { body: { email: "a@example.com" } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "validation_error", fields: { password: ["This field is required."] } });
  });

  test("a password longer than 128 characters is 400 before any hashing", async () => {
    const response = await t.request("POST", "/api/login/", { body: { email: "a@example.com", password: "x".repeat(129) } });
    expect(response.status).toBe(400);
    expect(response.body.fields.password).toBeDefined();
  });
});

describe("POST /api/login/ by username (clients of seeds 001 and 004)", () => {
  test("logs in with {username, password}, the username matched in any letter case and trimmed", async () => {
    const username = `John Smith ${crypto.randomUUID().slice(0, 6)}`;
    const { user, password } = await t.register(t.uniqueEmail(), "password123", { username });
    for (const given of [username, username.toUpperCase(), `  ${username.toLowerCase()} `]) {
      const response = await t.request("POST", "/api/login/", { body: { username: given, password } });
      expect(response.status).toBe(200);
      expect(decodeJwt(response.body.access_token).payload.user_id).toBe(user.id);
    }
  });

  test("a wrong password, an unknown username, an inactive account: the same 401", async () => {
    const username = `zoë ${crypto.randomUUID().slice(0, 6)}`;
    const { user } = await t.register(t.uniqueEmail(), "password123", { username });
    const wrong = await t.request("POST", "/api/login/", { body: { username, password: "not-the-password" } });
    const unknown = await t.request("POST", "/api/login/", { body: { username: "nobody at all", password: "password123" } });
    await t.inDatabase((db) => db.update(users).set({ isActive: false }).where(eq(users.id, user.id)));
    const inactive = await t.request("POST", "/api/login/", { body: { username, password: "password123" } });
    for (const response of [wrong, unknown, inactive]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual(wrong.body);
      expect(response.body.code).toBe("invalid_credentials");
    }
  });

  test("an empty username never matches the accounts that have none", async () => {
    await t.register();
    const response = await t.request("POST", "/api/login/", { body: { username: " ", password: "password123" } });
    expect(response.status).toBe(401);
  });

  test("neither email nor username is a 400 naming email", async () => {
    const response = await t.request("POST", "/api/login/", { body: { password: "password123" } });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields)).toEqual(["email"]);
  });
});
