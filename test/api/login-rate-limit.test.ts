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

const configure = (body: Record<string, number>) => t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body });
const loginAs = (identifier: Record<string, string>, password: string, ip = "203.0.113.7", path = "/api/login/") =>
  t.request("POST", path, { body: { ...identifier, password }, headers: { "x-forwarded-for": ip } });
const fullwidth = (text: string) => text.replace(/[a-z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) + 0xfee0));

describe("one counter per account, whatever names it", () => {
  test("failures through its email, its username, their letter cases and widths, and the compat routes share one limit: the 11th is 429", async () => {
    await configure({ login_rate_limit: 10, login_rate_limit_window: 900 });
    const username = `victim${crypto.randomUUID().slice(0, 4)}`;
    const { email, password } = await t.register(t.uniqueEmail(), "password123", { username });
    const names: Array<Record<string, string>> = [{ email }, { email: email.toUpperCase() }, { username }, { username: username.toUpperCase() }, { username: fullwidth(username) }];
    for (let i = 0; i < 8; i++) expect((await loginAs(names[i % names.length]!, "wrong-password")).status).toBe(401);
    if (process.env.COMPAT_ROUTES !== "none") {
      expect((await loginAs({ username }, "wrong-password", "203.0.113.7", "/api/token/")).status).toBe(401);
      expect((await loginAs({ username: email }, "wrong-password", "203.0.113.7", "/dj-rest-auth/login/")).status).toBe(401);
    } else for (let i = 0; i < 2; i++) expect((await loginAs({ username }, "wrong-password")).status).toBe(401);
    for (const name of names) expect((await loginAs(name, password)).status).toBe(429);
    // Another network is another counter (login_account_rate_limit, across networks, is 50).
    expect((await loginAs({ username }, password, "198.51.100.77")).status).toBe(200);
  });
});

describe("per client IP across accounts (credential stuffing)", () => {
  test("one try at each of many accounts from one IP: past login_ip_rate_limit the IP is 429 for every account", async () => {
    await configure({ login_ip_rate_limit: 5, login_rate_limit: 10 });
    try {
      const accounts = await Promise.all(Array.from({ length: 6 }, () => t.register()));
      const ip = "198.51.100.88";
      for (const account of accounts.slice(0, 3)) expect((await loginAs({ email: account.email }, "wrong-password", ip)).status).toBe(401);
      for (const ghost of ["ghost-1@example.com", "ghost-2@example.com"]) expect((await loginAs({ email: ghost }, "wrong-password", ip)).status).toBe(401);
      const blocked = await loginAs({ email: accounts[5]!.email }, "password123", ip);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await loginAs({ email: accounts[5]!.email }, "password123", "198.51.100.89")).status).toBe(200);
    } finally {
      await configure({ login_ip_rate_limit: 50 });
    }
  });
});

describe("per account across IPs, with a wait that grows but ends", () => {
  test("past login_account_rate_limit the owner waits a window; the next time it fills, twice as long; then logs in", async () => {
    await configure({ login_account_rate_limit: 4, login_rate_limit: 10, login_rate_limit_window: 1 });
    try {
      const { email, password } = await t.register();
      const spread = async (from: number) => {
        for (let i = 0; i < 4; i++) expect((await loginAs({ email }, "wrong-password", `192.0.2.${from + i}`)).status).toBe(401);
      };
      await spread(10);
      const first = await loginAs({ email }, password, "198.51.100.90");
      expect(first.status).toBe(429);
      expect(Number(first.headers.get("retry-after"))).toBe(1);
      await Bun.sleep(1_100);
      await spread(20);
      const second = await loginAs({ email }, password, "198.51.100.91");
      expect(second.status).toBe(429);
      expect(Number(second.headers.get("retry-after"))).toBe(2);
      await Bun.sleep(1_100);
      expect((await loginAs({ email }, password, "198.51.100.92")).status).toBe(429);
      await Bun.sleep(1_000);
      expect((await loginAs({ email }, password, "198.51.100.93")).status).toBe(200);
    } finally {
      await configure({ login_account_rate_limit: 50, login_rate_limit_window: 900 });
    }
  });
});

describe("a superuser lifts a lock-out", () => {
  test("GET /api/admin/users/{id}/lockout/ shows it; DELETE lifts it (superuser only, audited); the owner logs in at once", async () => {
    await configure({ login_account_rate_limit: 3, login_rate_limit_window: 900 });
    try {
      const { email, password, user } = await t.register();
      const staff = await t.account();
      await t.setStaff([staff.user.id]);
      for (let i = 0; i < 3; i++) await loginAs({ email }, "wrong-password", `192.0.2.${50 + i}`);
      expect((await loginAs({ email }, password)).status).toBe(429);

      const shown = await t.request("GET", `/api/admin/users/${user.id}/lockout/`, { token: staff.access_token });
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ failures: 3, networks_with_failures: 3 });
      expect(Date.parse(shown.body.locked_until)).toBeGreaterThan(Date.now());
      expect((await t.request("DELETE", `/api/admin/users/${user.id}/lockout/`, { token: staff.access_token })).status).toBe(403);
      expect((await t.request("DELETE", `/api/admin/users/${user.id}/lockout/`)).status).toBe(401);
      expect((await t.request("DELETE", "/api/admin/users/999999/lockout/", { token: admin.access_token })).status).toBe(404);

      const lifted = await t.request("DELETE", `/api/admin/users/${user.id}/lockout/`, { token: admin.access_token });
      expect(lifted.status).toBe(204);
      expect((await loginAs({ email }, password)).status).toBe(200);
      expect((await t.request("GET", `/api/admin/users/${user.id}/lockout/`, { token: admin.access_token })).body).toEqual({
        locked_until: null,
        failures: 0,
        networks_with_failures: 0,
      });
      const audit = await t.request("GET", "/api/admin/audit/?limit=5", { token: admin.access_token });
      expect(audit.body.results[0]).toMatchObject({ action: "user.lockout.lift", target: `user:${user.id}`, actor_id: admin.user.id, after: null });
      expect(audit.body.results[0].before).toMatchObject({ failures: 3 });
    } finally {
      await configure({ login_account_rate_limit: 50 });
    }
  });
});
