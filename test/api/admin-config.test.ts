import { describe, expect, test } from "bun:test";
import { config } from "../../src/db/schema";
import { DEFAULT_SETTINGS } from "../../src/settings";
import { decodeJwt, onEmbeddedBinary, setupApp } from "../support/helpers";

const t = await setupApp();
const admin = await t.superuser();
const staff = await t.account();
await t.setStaff([staff.user.id]);
const configRows = () => t.inDatabase((db) => db.select().from(config));
/** What a settings write would change: the settings, and the audit log that records every write. */
const writtenState = async () => ({
  settings: (await t.request("GET", "/api/admin/config/", { token: admin.access_token })).body,
  audited: (await t.request("GET", "/api/admin/audit/?limit=1", { token: admin.access_token })).body.count,
});

describe("GET /api/admin/config/", () => {
  for (const path of ["/api/admin/config/", "/api/admin/config"]) {
    test(`a superuser reads every setting as a flat object (${path})`, async () => {
      const response = await t.request("GET", path, { token: admin.access_token });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(DEFAULT_SETTINGS);
      expect(response.body.access_token_lifetime).toBe(30);
      expect(response.body.refresh_token_lifetime).toBe(2_592_000);
    });
  }

  test("anonymous is 401 not_authenticated", async () => {
    const response = await t.request("GET", "/api/admin/config/");
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("not_authenticated");
  });

  test("a plain user is 403 permission_denied", async () => {
    const { access_token } = await t.account();
    const response = await t.request("GET", "/api/admin/config/", { token: access_token });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ detail: expect.any(String), code: "permission_denied" });
  });
});

for (const method of ["PUT", "PATCH"]) {
  describe(`${method} /api/admin/config/`, () => {
    test("a new access lifetime applies to the next token issued, without restart", async () => {
      const lifetime = method === "PUT" ? 120 : 45;
      const response = await t.request(method, "/api/admin/config/", {
        token: admin.access_token,
        body: { access_token_lifetime: lifetime },
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ ...DEFAULT_SETTINGS, access_token_lifetime: lifetime });

      const tokens = await t.login(admin.email);
      const { payload } = decodeJwt(tokens.access_token);
      expect(payload.exp - payload.iat).toBe(lifetime);
      expect(tokens.expires_in).toBe(lifetime);
      const refreshed = await t.request("POST", "/api/refresh/", { body: { refresh_token: tokens.refresh_token } });
      const refreshedPayload = decodeJwt(refreshed.body.access_token).payload;
      expect(refreshedPayload.exp - refreshedPayload.iat).toBe(lifetime);
    });

    test("changes only the keys sent: the others keep their stored values", async () => {
      await t.request(method, "/api/admin/config/", { token: admin.access_token, body: { refresh_reuse_interval: 7 } });
      const othersBefore = (await configRows()).filter((row) => row.key !== "access_token_lifetime");
      const response = await t.request(method, "/api/admin/config/", { token: admin.access_token, body: { access_token_lifetime: 61 } });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ refresh_reuse_interval: 7, access_token_lifetime: 61 });
      const othersAfter = (await configRows()).filter((row) => row.key !== "access_token_lifetime");
      expect(othersAfter).toEqual(othersBefore);
      await t.request(method, "/api/admin/config/", { token: admin.access_token, body: { refresh_reuse_interval: 0, access_token_lifetime: 30 } });
    });

    test("is all or nothing: one bad value is a 400 naming it and nothing is written", async () => {
      const before = await writtenState();
      const response = await t.request(method, "/api/admin/config/", {
        token: admin.access_token,
        body: { refresh_token_lifetime: 3600, access_token_lifetime: -5 },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("validation_error");
      expect(Object.keys(response.body.fields)).toEqual(["access_token_lifetime"]);
      expect(await writtenState()).toEqual(before);
    });

    test("an unknown key is a 400 naming it", async () => {
      const response = await t.request(method, "/api/admin/config/", {
        token: admin.access_token,
        body: { access_token_lifetime: 60, no_such_setting: 1 },
      });
      expect(response.status).toBe(400);
      expect(response.body.fields).toEqual({ no_such_setting: ["Unknown field."] });
    });

    const bad: Array<[string, unknown]> = [
      ["access_token_lifetime", "60"],
      ["access_token_lifetime", 1.5],
      ["access_token_lifetime", 0],
      ["refresh_reuse_interval", 61],
      ["require_email_verification", "yes"],
      ["refresh_token_lifetime", 10 ** 12],
    ];
    for (const [key, value] of bad) {
      test(`${key} = ${JSON.stringify(value)} is rejected`, async () => {
        const response = await t.request(method, "/api/admin/config/", { token: admin.access_token, body: { [key]: value } });
        expect(response.status).toBe(400);
        expect(Object.keys(response.body.fields)).toEqual([key]);
      });
    }

    for (const body of [[1, 2], "access_token_lifetime", null, 60]) {
      test(`a body that is not an object (${JSON.stringify(body)}) is 400 and nothing is written`, async () => {
        const before = await writtenState();
        const response = await t.request(method, "/api/admin/config/", { token: admin.access_token, body });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe("validation_error");
        expect(await writtenState()).toEqual(before);
      });
    }

    test("every lifetime accepts 1 second", async () => {
      const lifetimes = { access_token_lifetime: 1, refresh_token_lifetime: 1, password_reset_lifetime: 1, login_rate_limit_window: 1 };
      const response = await t.request(method, "/api/admin/config/", { token: admin.access_token, body: lifetimes });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject(lifetimes);
      const defaults = Object.fromEntries(Object.keys(lifetimes).map((key) => [key, DEFAULT_SETTINGS[key as keyof typeof DEFAULT_SETTINGS]]));
      expect((await t.request(method, "/api/admin/config/", { token: admin.access_token, body: defaults })).status).toBe(200);
    });

    test("staff may not change settings (403), anonymous is 401", async () => {
      const asStaff = await t.request(method, "/api/admin/config/", {
        token: staff.access_token,
        body: { access_token_lifetime: 60 },
      });
      expect(asStaff.status).toBe(403);
      const anonymous = await t.request(method, "/api/admin/config/", { body: { access_token_lifetime: 60 } });
      expect(anonymous.status).toBe(401);
    });
  });
}

describe("settings are shared through the database", () => {
  test.skipIf(!process.env.TEST_DATABASE_URL)("PostgreSQL: another instance learns of a change within a second, by LISTEN/NOTIFY, not its cache age", async () => {
    const { SettingsStore } = await import("../../src/settings");
    const other = new SettingsStore(t.db, 60_000); // without the notification it would wait a minute
    await other.watch(t.database);
    expect((await other.current()).password_reset_lifetime).toBe(900);
    const changedAt = Date.now();
    await t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { password_reset_lifetime: 901 } });
    while ((await other.current()).password_reset_lifetime !== 901 && Date.now() - changedAt < 1_000) await Bun.sleep(10);
    expect((await other.current()).password_reset_lifetime).toBe(901);
    await t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { password_reset_lifetime: 900 } });
  });

  test.skipIf(onEmbeddedBinary)("a second app instance on the same database sees a change within its cache age", async () => {
    const { SettingsStore } = await import("../../src/settings");
    const other = new SettingsStore(t.db, 0);
    await t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { refresh_reuse_interval: 7 } });
    expect((await other.current()).refresh_reuse_interval).toBe(7);
  });
});
