import { afterAll, describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";
import { startSmtpServer, tokenIn } from "../support/smtp";

// A SimpleJWT client (seeds 003, 004), through its own routes only.
const smtp = await startSmtpServer();
afterAll(() => smtp.close());
const t = await setupApp({ SMTP_URL: smtp.url });

describe("the SimpleJWT flow", () => {
  test("create, obtain by username and by email, refresh with rotation, verify, reset by mail", async () => {
    const created = await t.request("POST", "/api/user/create/", { body: { username: "john", email: "John@Example.com", password: "password" } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ email: "john@example.com", username: "john" });

    for (const path of ["/api/token/", "/api/token/obtain/"]) {
      for (const credentials of [{ username: "JOHN", password: "password" }, { email: "john@example.com", password: "password" }, { username: "john@example.com", password: "password" }]) {
        const obtained = await t.request("POST", path, { body: credentials });
        expect(obtained.status).toBe(200);
        expect(Object.keys(obtained.body).sort()).toEqual(["access", "refresh"]);
      }
    }
    const { access, refresh } = (await t.request("POST", "/api/token/", { body: { username: "john", password: "password" } })).body;
    const wrong = await t.request("POST", "/api/token/", { body: { username: "john", password: "nope-nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe("invalid_credentials");

    const rotated = await t.request("POST", "/api/token/refresh/", { body: { refresh } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh).not.toBe(refresh);
    expect((await t.request("POST", "/api/token/verify/", { body: { token: rotated.body.access } })).body).toEqual({});
    const reused = await t.request("POST", "/api/token/refresh/", { body: { refresh } });
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe("token_reused");
    // Reuse revoked the whole session: its newer access token too.
    expect((await t.request("POST", "/api/token/verify/", { body: { token: rotated.body.access } })).status).toBe(401);
    expect((await t.request("POST", "/api/token/verify/", { body: { token: access } })).status).toBe(401);

    expect((await t.request("POST", "/api/password/reset/", { body: { email: "john@example.com" } })).status).toBe(200);
    const [mail] = await smtp.mailsTo("john@example.com", { subject: "Reset your password" });
    const confirmed = await t.request("POST", "/api/password/reset/confirm/", { body: { token: tokenIn(mail!), password: "seed-four-password" } });
    expect(confirmed.status).toBe(200);
    expect((await t.request("POST", "/api/token/", { body: { username: "john", password: "seed-four-password" } })).status).toBe(200);
  });

  test("a taken username or email is 409; missing fields 400", async () => {
    await t.request("POST", "/api/user/create/", { body: { username: "taken", email: "taken@example.com", password: "password" } });
    expect((await t.request("POST", "/api/user/create/", { body: { username: "TAKEN", email: "other@example.com", password: "password" } })).body.code).toBe("username_taken");
    expect((await t.request("POST", "/api/user/create/", { body: { username: "other", email: "taken@example.com", password: "password" } })).body.code).toBe("email_taken");
    expect((await t.request("POST", "/api/user/create/", { body: { email: "x@example.com", password: "password" } })).status).toBe(400);
    expect((await t.request("POST", "/api/token/", { body: { password: "password" } })).status).toBe(400);
  });
});
