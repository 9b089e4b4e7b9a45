import { afterAll, describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";
import { type ReceivedMail, startSmtpServer, tokenIn } from "../support/smtp";

// A dj-rest-auth front-end (seed 002, JWT mode), through /dj-rest-auth/ only.
const smtp = await startSmtpServer();
afterAll(() => smtp.close());
const t = await setupApp({ SMTP_URL: smtp.url });
const admin = await t.superuser();
const uidIn = (mail: ReceivedMail) => mail.body.match(/uid=(\w+)/)?.[1];
const post = (path: string, body: unknown, token?: string) => t.request("POST", `/dj-rest-auth/${path}`, { body, token });

describe("the dj-rest-auth flow", () => {
  test("registration with password1/2, verify-email with key, login, user, refresh, verify, change, logout", async () => {
    const mismatch = await post("registration/", { username: "dj", email: "dj@example.com", password1: "password123", password2: "password124" });
    expect(mismatch.status).toBe(400);
    expect(Object.keys(mismatch.body.fields)).toEqual(["password2"]);

    const registered = await post("registration/", { username: "dj", email: "DJ@example.com", password1: "password123", password2: "password123" });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ access: expect.any(String), refresh: expect.any(String), user: { username: "dj", email: "dj@example.com", first_name: "", last_name: "" } });
    const [verification] = await smtp.mailsTo("dj@example.com", { subject: "Verify your email" });
    expect((await post("registration/verify-email/", { key: tokenIn(verification!) })).body).toEqual({ detail: "ok" });
    expect((await post("registration/verify-email/", { key: tokenIn(verification!) })).status).toBe(400);
    expect((await post("registration/resend-email/", { email: "nobody@example.com" })).body).toEqual({ detail: "ok" });

    const login = await post("login/", { username: "DJ", password: "password123" });
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual({ pk: registered.body.user.pk, username: "dj", email: "dj@example.com", first_name: "", last_name: "" });
    expect((await post("login/", { email: "dj@example.com", password: "password123" })).status).toBe(200);
    const { access, refresh } = login.body;

    const user = await t.request("GET", "/dj-rest-auth/user/", { token: access });
    expect(user.body).toEqual(login.body.user);
    const changed = await t.request("PATCH", "/dj-rest-auth/user/", { token: access, body: { first_name: "Django", email: "other@example.com" } });
    expect(changed.body).toMatchObject({ first_name: "Django", email: "dj@example.com" });

    expect((await post("token/verify/", { token: access })).body).toEqual({});
    const rotated = await post("token/refresh/", { refresh });
    expect(rotated.status).toBe(200);

    const badChange = await post("password/change/", { old_password: "password123", new_password1: "new-password-1", new_password2: "new-password-2" }, rotated.body.access);
    expect(Object.keys(badChange.body.fields)).toEqual(["new_password2"]);
    const change = await post("password/change/", { old_password: "password123", new_password1: "new-password-1", new_password2: "new-password-1" }, rotated.body.access);
    expect(change.body).toEqual({ detail: "New password has been saved." });

    expect((await post("logout/", { refresh: rotated.body.refresh })).body).toEqual({ detail: "Successfully logged out." });
    expect((await post("token/verify/", { token: rotated.body.access })).status).toBe(401);
  });

  test("password reset by mail with uid and token; new_password1/2 must match", async () => {
    await t.register("reset-dj@example.com", "password123");
    expect((await post("password/reset/", { email: "reset-dj@example.com" })).body).toEqual({ detail: "Password reset e-mail has been sent." });
    expect((await post("password/reset/", { email: "nobody@example.com" })).body).toEqual({ detail: "Password reset e-mail has been sent." });
    const [mail] = await smtp.mailsTo("reset-dj@example.com", { subject: "Reset your password" });
    const uid = uidIn(mail!)!;
    const token = tokenIn(mail!)!;
    const mismatch = await post("password/reset/confirm/", { uid, token, new_password1: "reset-password-1", new_password2: "reset-password-2" });
    expect(Object.keys(mismatch.body.fields)).toEqual(["new_password2"]);
    const wrongUid = await post("password/reset/confirm/", { uid: "MQ", token, new_password1: "reset-password-1", new_password2: "reset-password-1" });
    expect(wrongUid.status).toBe(400);
    const confirmed = await post("password/reset/confirm/", { uid, token, new_password1: "reset-password-1", new_password2: "reset-password-1" });
    expect(confirmed.body).toEqual({ detail: "Password has been reset with the new password." });
    expect((await post("login/", { email: "reset-dj@example.com", password: "reset-password-1" })).status).toBe(200);
  });

  test("with require_email_verification on, registration answers that a mail was sent", async () => {
    await t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { require_email_verification: true } });
    try {
      const registered = await post("registration/", { email: "pending@example.com", password1: "password123", password2: "password123" });
      expect(registered.status).toBe(201);
      expect(registered.body).toEqual({ detail: "Verification e-mail sent." });
    } finally {
      await t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { require_email_verification: false } });
    }
  });

  test("logout with only the Bearer token ends that session", async () => {
    const { access_token } = await t.account();
    expect((await post("logout/", {}, access_token)).status).toBe(200);
    expect((await t.request("GET", "/dj-rest-auth/user/", { token: access_token })).status).toBe(401);
    expect((await post("logout/", {})).status).toBe(401);
  });
});
