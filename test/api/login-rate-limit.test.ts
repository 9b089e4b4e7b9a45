import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

const t = await setupApp({ TRUST_PROXY: "true" });
const admin = await t.superuser();

const setLimit = (login_rate_limit: number, login_rate_limit_window = 900) =>
  t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { login_rate_limit, login_rate_limit_window } });

const attempt = (email: string, password: string, ip = "203.0.113.7") =>
  t.request("POST", "/api/login/", { body: { email, password }, headers: { "x-forwarded-for": ip } });

describe("login brute-force limit", () => {
  test("after login_rate_limit failures the account is 429 for that IP, even with the right password", async () => {
    await setLimit(3);
    const { email, password } = await t.register();
    for (let i = 0; i < 3; i++) expect((await attempt(email, "wrong-password")).status).toBe(401);
    const blocked = await attempt(email, password);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ detail: expect.any(String), code: "rate_limited" });
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  test("other IPs and other accounts are not affected", async () => {
    await setLimit(2);
    const victim = await t.register();
    const other = await t.register();
    for (let i = 0; i < 2; i++) await attempt(victim.email, "wrong-password");
    expect((await attempt(victim.email, victim.password)).status).toBe(429);
    expect((await attempt(victim.email, victim.password, "198.51.100.1")).status).toBe(200);
    expect((await attempt(other.email, other.password)).status).toBe(200);
  });

  test("unknown emails are limited the same way (no account enumeration)", async () => {
    await setLimit(2);
    for (let i = 0; i < 2; i++) expect((await attempt("ghost@example.com", "whatever1")).status).toBe(401);
    expect((await attempt("ghost@example.com", "whatever1")).status).toBe(429);
  });

  test("a successful login clears the failures", async () => {
    await setLimit(3);
    const { email, password } = await t.register();
    for (let i = 0; i < 2; i++) await attempt(email, "wrong-password");
    expect((await attempt(email, password)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await attempt(email, "wrong-password")).status).toBe(401);
    expect((await attempt(email, password)).status).toBe(200);
  });

  test("the window ends: failures older than the window do not count", async () => {
    await setLimit(1, 1);
    const { email, password } = await t.register();
    await attempt(email, "wrong-password");
    expect((await attempt(email, password)).status).toBe(429);
    await Bun.sleep(1100);
    expect((await attempt(email, password)).status).toBe(200);
  });

  test("0 turns the limit off", async () => {
    await setLimit(0);
    const { email, password } = await t.register();
    for (let i = 0; i < 5; i++) expect((await attempt(email, "wrong-password")).status).toBe(401);
    expect((await attempt(email, password)).status).toBe(200);
  });
});
