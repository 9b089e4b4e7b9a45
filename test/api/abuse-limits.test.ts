import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { setupApp } from "../support/helpers";

setDefaultTimeout(60_000);

const t = await setupApp({ TRUST_PROXY: "true" });
const admin = await t.superuser();
const configure = (body: Record<string, unknown>) => t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body });
const from = (ip: string) => ({ "x-forwarded-for": ip });

describe("registration limit (register_rate_limit per client IP an hour)", () => {
  test("past the limit one IP gets 429 with Retry-After; another IP still registers", async () => {
    await configure({ register_rate_limit: 3 });
    const register = (ip: string) => t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password: "password123" }, headers: from(ip) });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await register("198.51.100.7")).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await register("198.51.100.7");
    expect(limited.body.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(3000);
    expect((await register("198.51.100.8")).status).toBe(201);
    // A client of unknown address (a request handed in-process) is not counted per IP.
    expect((await t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password: "password123" } })).status).toBe(201);
    await configure({ register_rate_limit: 20 });
  });
});

describe("password reset limit per client IP", () => {
  test("past password_reset_rate_limit one IP is 429 whatever the email; another IP is not", async () => {
    await configure({ password_reset_rate_limit: 2 });
    const reset = (ip: string) => t.request("POST", "/api/password/reset/", { body: { email: t.uniqueEmail() }, headers: from(ip) });
    expect([(await reset("203.0.113.5")).status, (await reset("203.0.113.5")).status, (await reset("203.0.113.5")).status]).toEqual([200, 200, 429]);
    expect((await reset("203.0.113.6")).status).toBe(200);
    await configure({ password_reset_rate_limit: 1000 });
  });
});

describe("no account enumeration by timing", () => {
  test("a reset for an unknown email takes the same median time as for a known one (within 25 %, 30 tries each)", async () => {
    await configure({ password_reset_rate_limit: 0 });
    const known = (await t.register()).email;
    const time = async (email: string) => {
      const started = performance.now();
      const response = await t.request("POST", "/api/password/reset/", { body: { email } });
      expect(response.status).toBe(200);
      return performance.now() - started;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    // A statistical test: interleaved so both see the same machine, warmed up, and retried
    // twice before it fails, so a stray pause elsewhere cannot fail it alone.
    let ratio = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      for (let i = 0; i < 10; i++) await Promise.all([time(known), time("nobody@example.com")]);
      const knownTimes: number[] = [];
      const unknownTimes: number[] = [];
      for (let i = 0; i < 30; i++) {
        knownTimes.push(await time(known));
        unknownTimes.push(await time(`nobody-${i}@example.com`));
      }
      ratio = median(knownTimes) / median(unknownTimes);
      if (ratio > 0.8 && ratio < 1.25) break;
    }
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });
});

describe("reject_common_passwords", () => {
  test("off by default: the seed's own example registers with \"password\"", async () => {
    expect((await t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password: "password" } })).status).toBe(201);
  });

  test("on: register, change and reset refuse a common password, naming the field", async () => {
    const { access_token } = await t.account();
    await configure({ reject_common_passwords: true });
    try {
      const register = await t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password: "Password" } });
      expect(register.status).toBe(400);
      expect(register.body.fields).toEqual({ password: ["This password is too common."] });
      const change = await t.request("POST", "/api/password/change/", {
        token: access_token,
        body: { old_password: "password123", new_password: "iloveyou" },
      });
      expect(change.status).toBe(400);
      expect(Object.keys(change.body.fields)).toEqual(["new_password"]);
      const confirm = await t.request("POST", "/api/password/reset/confirm/", { body: { token: "x".repeat(43), new_password: "qwertyuiop" } });
      expect(Object.keys(confirm.body.fields)).toEqual(["new_password"]);
      expect((await t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password: "a quite uncommon passphrase" } })).status).toBe(201);
    } finally {
      await configure({ reject_common_passwords: false });
    }
  });
});
