import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { users } from "../../src/db/schema";
import { setupApp } from "../support/helpers";
import { startSmtpServer, tokenIn } from "../support/smtp";

setDefaultTimeout(30_000);

const smtp = await startSmtpServer();
afterAll(() => smtp.close());
const t = await setupApp({ SMTP_URL: smtp.url, MAIL_RETRY_BASE_SECONDS: "1" });
const admin = await t.superuser();
const configure = (body: Record<string, unknown>) => t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body });
const VERIFY = "Verify your email";
const verify = (token: unknown) => t.request("POST", "/api/email/verify/", { body: { token } });
const verificationToken = async (email: string, count = 1) =>
  tokenIn((await smtp.mailsTo(email, { count, subject: VERIFY }))[count - 1]!)!;

describe("POST /api/email/verify/", () => {
  test("registration mails a token; it verifies the address once", async () => {
    const { email, user } = await t.register();
    const [mail] = await smtp.mailsTo(email, { subject: VERIFY });
    expect(mail!.body).toMatch(/\/verify-email\?uid=\w+&token=/);
    const first = await verify(tokenIn(mail!));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: "OK" });
    const { access_token } = await t.login(email);
    expect((await t.request("GET", "/api/me/", { token: access_token })).body.email_verified).toBe(true);
    expect((await verify(tokenIn(mail!))).status).toBe(400);
    expect(user.email_verified).toBe(false);
  });

  test("unknown tokens and wrong types are 400", async () => {
    const unknown = await verify("x".repeat(43));
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.body.fields)).toEqual(["token"]);
    expect((await verify({ a: 1 })).status).toBe(400);
  });
});

describe("POST /api/email/verify/resend/", () => {
  test("mails a new token that ends the first; needs a token", async () => {
    const { email, access_token } = await t.account();
    const first = await verificationToken(email);
    const resent = await t.request("POST", "/api/email/verify/resend/", { token: access_token });
    expect(resent.status).toBe(200);
    const second = await verificationToken(email, 2);
    expect(second).not.toBe(first);
    expect((await verify(first)).status).toBe(400);
    expect((await verify(second)).status).toBe(200);
    expect((await t.request("POST", "/api/email/verify/resend/")).status).toBe(401);
  });
});

describe("require_email_verification", () => {
  test("blocks login of a new unverified account with 403 email_not_verified (after the password check) until verified", async () => {
    await configure({ require_email_verification: true });
    try {
      const { email, password } = await t.register();
      const wrongPassword = await t.request("POST", "/api/login/", { body: { email, password: "not-the-password" } });
      expect(wrongPassword.status).toBe(401);
      const blocked = await t.request("POST", "/api/login/", { body: { email, password } });
      expect(blocked.status).toBe(403);
      expect(blocked.body.code).toBe("email_not_verified");
      expect((await verify(await verificationToken(email))).status).toBe(200);
      expect((await t.request("POST", "/api/login/", { body: { email, password } })).status).toBe(200);
    } finally {
      await configure({ require_email_verification: false });
    }
  });

  test("never locks out accounts that joined before it was turned on, the operator's included", async () => {
    const { email, password, user } = await t.register();
    await t.inDatabase((db) => db.update(users).set({ dateJoined: new Date(Date.now() - 60_000) }).where(eq(users.id, user.id)));
    await configure({ require_email_verification: false });
    await configure({ require_email_verification: true });
    try {
      expect((await t.request("POST", "/api/login/", { body: { email, password } })).status).toBe(200);
      expect((await t.request("POST", "/api/login/", { body: { email: admin.email, password: "password123" } })).status).toBe(200);
      // Saving the settings again (same value) does not move the switch time.
      await configure({ require_email_verification: true });
      const late = await t.register();
      expect((await t.request("POST", "/api/login/", { body: { email: late.email, password: late.password } })).status).toBe(403);
    } finally {
      await configure({ require_email_verification: false });
    }
  });
});
