import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { mailOutbox } from "../../src/db/schema";
import { setupApp } from "../support/helpers";
import { freePort } from "../support/pg-cluster";
import { startSmtpServer, tokenIn } from "../support/smtp";

setDefaultTimeout(30_000);

const smtp = await startSmtpServer();
afterAll(() => smtp.close());
const t = await setupApp({ SMTP_URL: smtp.url, MAIL_RETRY_BASE_SECONDS: "1", PUBLIC_URL: "https://auth.example.com" });
const admin = await t.superuser();
const configure = (body: Record<string, unknown>) => t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body });
await configure({ password_reset_rate_limit: 1000 });

const RESET = "Reset your password";
const requestReset = (email: string, headers: Record<string, string> = {}) =>
  t.request("POST", "/api/password/reset/", { body: { email }, headers });
const confirm = (body: Record<string, unknown>) => t.request("POST", "/api/password/reset/confirm/", { body });

async function resetTokenFor(email: string, nth = 1) {
  const mails = await smtp.mailsTo(email, { count: nth, subject: RESET });
  expect(mails.length).toBeGreaterThanOrEqual(nth);
  return tokenIn(mails[nth - 1]!)!;
}

describe("POST /api/password/reset/", () => {
  for (const path of ["/api/password/reset/", "/api/password/reset"]) {
    test(`a known and an unknown email both get 200 {status: "OK"}; only the known one gets mail (${path})`, async () => {
      const { email, user } = await t.register();
      const known = await t.request("POST", path, { body: { email: email.toUpperCase() } });
      const unknown = await t.request("POST", path, { body: { email: "nobody-here@example.com" } });
      expect(known.status).toBe(200);
      expect(known.body).toEqual({ status: "OK" });
      expect(unknown.body).toEqual(known.body);
      const [mail] = await smtp.mailsTo(email, { subject: RESET });
      expect(mail!.subject).toBe(RESET);
      expect(mail!.body).toContain(`https://auth.example.com/reset-password?uid=${Buffer.from(String(user.id)).toString("base64url")}&token=`);
      expect(mail!.body).toContain(`&token=${tokenIn(mail!)}`);
      expect(tokenIn(mail!)!.length).toBeGreaterThanOrEqual(32);
      await Bun.sleep(200);
      expect(await smtp.mailsTo("nobody-here@example.com", { timeoutMs: 0 })).toEqual([]);
    });
  }

  test("an invalid email is a 400; an inactive account gets no mail", async () => {
    expect((await requestReset("not an email")).status).toBe(400);
  });
});

describe("POST /api/password/reset/confirm/", () => {
  test("the mailed token sets the password once, ends every session, and does not log in", async () => {
    const { email, access_token, refresh_token } = await t.account();
    await requestReset(email);
    const token = await resetTokenFor(email);
    const confirmed = await confirm({ token, new_password: "brand-new-password" });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({ status: "OK" });
    expect((await t.request("GET", "/api/me/", { token: access_token })).status).toBe(401);
    expect((await t.request("POST", "/api/refresh/", { body: { refresh_token } })).status).toBe(401);
    expect((await t.request("POST", "/api/login/", { body: { email, password: "password123" } })).status).toBe(401);
    expect((await t.request("POST", "/api/login/", { body: { email, password: "brand-new-password" } })).status).toBe(200);
    const again = await confirm({ token, new_password: "another-password" });
    expect(again.status).toBe(400);
    expect(Object.keys(again.body.fields)).toEqual(["token"]);
  });

  test("seed 004 clients send `password` instead of `new_password`", async () => {
    const { email } = await t.register();
    await requestReset(email);
    expect((await confirm({ token: await resetTokenFor(email), password: "seed-004-password" })).status).toBe(200);
    expect((await t.request("POST", "/api/login/", { body: { email, password: "seed-004-password" } })).status).toBe(200);
  });

  test("a newer token ends the older one", async () => {
    const { email } = await t.register();
    await requestReset(email);
    const first = await resetTokenFor(email, 1);
    await requestReset(email);
    const second = await resetTokenFor(email, 2);
    expect(second).not.toBe(first);
    expect((await confirm({ token: first, new_password: "older-token-password" })).status).toBe(400);
    expect((await confirm({ token: second, new_password: "newer-token-password" })).status).toBe(200);
  });

  test("an expired token (password_reset_lifetime 1 s) is a 400", async () => {
    await configure({ password_reset_lifetime: 1 });
    try {
      const { email } = await t.register();
      await requestReset(email);
      const token = await resetTokenFor(email);
      await Bun.sleep(1_500);
      expect((await confirm({ token, new_password: "too-late-password" })).status).toBe(400);
    } finally {
      await configure({ password_reset_lifetime: 900 });
    }
  });

  test("unknown tokens, a short password, no password: 400", async () => {
    expect((await confirm({ token: "x".repeat(43), new_password: "long-enough-password" })).status).toBe(400);
    expect((await confirm({ token: "x".repeat(43), new_password: "short" })).status).toBe(400);
    expect((await confirm({ token: "x".repeat(43) })).status).toBe(400);
  });
});

describe("a reset link ends when it no longer fits the account", () => {
  test("a password change ends a reset link mailed before it", async () => {
    const { email, access_token } = await t.account();
    await requestReset(email);
    const token = await resetTokenFor(email);
    const change = await t.request("POST", "/api/password/change/", { token: access_token, body: { old_password: "password123", new_password: "changed-password-1" } });
    expect(change.status).toBe(200);
    const response = await confirm({ token, new_password: "after-the-change" });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_error");
    expect((await t.request("POST", "/api/login/", { body: { email, password: "changed-password-1" } })).status).toBe(200);
  });

  test("a password set by an admin ends it", async () => {
    const { email, user } = await t.register();
    await requestReset(email);
    const token = await resetTokenFor(email);
    expect((await t.request("PATCH", `/api/admin/users/${user.id}/`, { token: admin.access_token, body: { password: "set-by-the-admin" } })).status).toBe(200);
    expect((await confirm({ token, new_password: "after-the-admin" })).status).toBe(400);
    expect((await t.request("POST", "/api/login/", { body: { email, password: "set-by-the-admin" } })).status).toBe(200);
  });

  test("an email change ends it and the verification link sent to the old address; the new address is unverified", async () => {
    const { email, user } = await t.register();
    const [verification] = await smtp.mailsTo(email, { subject: "Verify your email" });
    await t.request("PATCH", `/api/admin/users/${user.id}/`, { token: admin.access_token, body: { email_verified: true } });
    await requestReset(email);
    const token = await resetTokenFor(email);
    const moved = t.uniqueEmail("moved");
    const changed = await t.request("PATCH", `/api/admin/users/${user.id}/`, { token: admin.access_token, body: { email: moved } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ email: moved, email_verified: false });
    expect((await confirm({ token, new_password: "after-the-move" })).status).toBe(400);
    expect((await t.request("POST", "/api/email/verify/", { body: { token: tokenIn(verification!) } })).status).toBe(400);
    // Unless the same change says the new address is verified.
    const vouched = await t.request("PATCH", `/api/admin/users/${user.id}/`, { token: admin.access_token, body: { email: t.uniqueEmail("vouched"), email_verified: true } });
    expect(vouched.body.email_verified).toBe(true);
  });
});

describe("mail survives an SMTP outage and an authd restart", () => {
  test("SMTP down at the request: still 200; the mail arrives once the server is back, sent by the restarted authd", async () => {
    const port = await freePort();
    const outage = await setupApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_RETRY_BASE_SECONDS: "1" });
    const { email } = await outage.register();
    const response = await outage.request("POST", "/api/password/reset/", { body: { email } });
    expect(response.status).toBe(200);
    await Bun.sleep(1_500); // past the outbox's next poll (1 s): a reset by email is not sent at once
    const queued = await outage.inDatabase(async (db) => (await db.select().from(mailOutbox).where(eq(mailOutbox.kind, "password_reset")))[0]);
    expect(queued!.sentAt).toBeNull();
    expect(queued!.attempts).toBeGreaterThanOrEqual(1);

    await outage.restart(); // with the mail undelivered
    const back = await startSmtpServer(port);
    try {
      const [mail] = await back.mailsTo(email, { timeoutMs: 15_000, subject: RESET });
      expect(mail?.subject).toBe("Reset your password");
      expect((await outage.request("POST", "/api/password/reset/confirm/", { body: { token: tokenIn(mail!), new_password: "after-the-outage" } })).status).toBe(200);
    } finally {
      await back.close();
    }
  });
});

describe("limits", () => {
  test("repeated resets for one email are 429 with Retry-After; other emails and IPs are unaffected", async () => {
    await configure({ password_reset_rate_limit: 3 });
    try {
      const { email } = await t.register();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await requestReset(email)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await requestReset(email);
      expect(limited.body.code).toBe("rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await requestReset(t.uniqueEmail())).status).toBe(200);
    } finally {
      await configure({ password_reset_rate_limit: 1000 });
    }
  });
});
