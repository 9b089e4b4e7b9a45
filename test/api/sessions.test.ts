import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { users } from "../../src/db/schema";
import { decodeJwt, setupApp } from "../support/helpers";

// Two proxies in front: each login names its client first, then the inner proxy (10.0.0.1).
const t = await setupApp({ TRUST_PROXY: "2" });

const me = (token: string) => t.request("GET", "/api/me/", { token });
const sessionIdOf = (accessToken: string) => decodeJwt(accessToken).payload.sid as string;

/** One user logged in on three devices. */
async function threeDevices() {
  const { email, password } = await t.register();
  const devices = [];
  for (const [agent, ip] of [["phone", "198.51.100.1"], ["laptop", "198.51.100.2"], ["tablet", "198.51.100.3"]]) {
    const response = await t.request("POST", "/api/login/", {
      body: { email, password },
      headers: { "user-agent": agent!, "x-forwarded-for": `${ip}, 10.0.0.1` },
    });
    devices.push(response.body as { access_token: string; refresh_token: string });
  }
  return { email, password, devices };
}

describe("GET /api/sessions/", () => {
  for (const path of ["/api/sessions/", "/api/sessions"]) {
    test(`lists exactly the live sessions, the caller's marked current (${path})`, async () => {
      const { devices } = await threeDevices();
      await t.request("POST", "/api/logout/", { body: { refresh_token: devices[2]!.refresh_token } });
      const response = await t.request("GET", path, { token: devices[0]!.access_token });
      expect(response.status).toBe(200);
      const listed = response.body as Array<Record<string, unknown>>;
      expect(listed.map((session) => session.id).sort()).toEqual(
        [sessionIdOf(devices[0]!.access_token), sessionIdOf(devices[1]!.access_token)].sort(),
      );
      const current = listed.find((session) => session.current)!;
      expect(current).toMatchObject({ id: sessionIdOf(devices[0]!.access_token), user_agent: "phone", ip: "198.51.100.1" });
      expect(listed.filter((session) => session.current)).toHaveLength(1);
      expect(Object.keys(current).sort()).toEqual(["created_at", "current", "id", "ip", "last_used_at", "user_agent"]);
    });
  }

  test("without a token is 401", async () => {
    expect((await t.request("GET", "/api/sessions/")).status).toBe(401);
  });
});

describe("DELETE /api/sessions/{id}/", () => {
  for (const slash of ["/", ""]) {
    test(`revokes one session: its access token fails on the next request, the others work (slash: "${slash}")`, async () => {
      const { devices } = await threeDevices();
      const target = sessionIdOf(devices[1]!.access_token);
      const response = await t.request("DELETE", `/api/sessions/${target}${slash}`, { token: devices[0]!.access_token });
      expect(response.status).toBe(204);
      expect(response.text).toBe("");
      expect((await me(devices[1]!.access_token)).status).toBe(401);
      expect((await t.request("POST", "/api/refresh/", { body: { refresh_token: devices[1]!.refresh_token } })).status).toBe(401);
      expect((await me(devices[0]!.access_token)).status).toBe(200);
      expect((await me(devices[2]!.access_token)).status).toBe(200);
    });
  }

  test("another user's session id is 404, and that session lives on", async () => {
    const mine = await t.account();
    const theirs = await t.account();
    const response = await t.request("DELETE", `/api/sessions/${sessionIdOf(theirs.access_token)}/`, { token: mine.access_token });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: expect.any(String), code: "not_found" });
    expect((await me(theirs.access_token)).status).toBe(200);
  });

  test("an unknown, malformed or already revoked id is 404", async () => {
    const { access_token, email } = await t.account();
    const other = await t.login(email);
    for (const id of [crypto.randomUUID(), "not-a-uuid", "1"]) {
      expect((await t.request("DELETE", `/api/sessions/${id}/`, { token: access_token })).status).toBe(404);
    }
    const otherId = sessionIdOf(other.access_token);
    expect((await t.request("DELETE", `/api/sessions/${otherId}/`, { token: access_token })).status).toBe(204);
    expect((await t.request("DELETE", `/api/sessions/${otherId}/`, { token: access_token })).status).toBe(404);
  });
});

describe("POST /api/logout-all/", () => {
  for (const path of ["/api/logout-all/", "/api/logout-all"]) {
    test(`revokes every session of the user, effective at once (${path})`, async () => {
      const { devices } = await threeDevices();
      const bystander = await t.account();
      const response = await t.request("POST", path, { token: devices[0]!.access_token });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ success: expect.any(String), revoked: 3 });
      for (const device of devices) {
        expect((await me(device.access_token)).status).toBe(401);
        expect((await t.request("POST", "/api/refresh/", { body: { refresh_token: device.refresh_token } })).status).toBe(401);
      }
      expect((await me(bystander.access_token)).status).toBe(200);
    });
  }

  test("without a token is 401", async () => {
    expect((await t.request("POST", "/api/logout-all/")).status).toBe(401);
  });
});

describe("revocation takes effect on the very next request", () => {
  test("logout with a refresh token ends that session's access token", async () => {
    const { devices } = await threeDevices();
    await t.request("POST", "/api/logout/", { body: { refresh_token: devices[0]!.refresh_token } });
    const response = await me(devices[0]!.access_token);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("token_not_valid");
    expect((await me(devices[1]!.access_token)).status).toBe(200);
  });

  test("deactivating a user ends all of their access tokens; other users keep working", async () => {
    const { devices } = await threeDevices();
    const bystander = await t.account();
    const userId = (await me(devices[0]!.access_token)).body.id;
    await t.inDatabase((db) => db.update(users).set({ isActive: false }).where(eq(users.id, userId)));
    for (const device of devices) expect((await me(device.access_token)).status).toBe(401);
    expect((await me(bystander.access_token)).status).toBe(200);
  });

  test("a reused refresh token ends the session's access tokens too", async () => {
    const { refresh_token, access_token } = await t.account();
    await t.request("POST", "/api/refresh/", { body: { refresh_token } });
    await t.request("POST", "/api/refresh/", { body: { refresh_token } });
    expect((await me(access_token)).status).toBe(401);
  });
});

describe("a session ends when its refresh lifetime runs out", () => {
  test("an access token living longer than its session's refresh token is 401 once the session has expired", async () => {
    const admin = await t.superuser();
    const configure = (body: Record<string, number>) => t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body });
    expect((await configure({ access_token_lifetime: 600, refresh_token_lifetime: 1 })).status).toBe(200);
    try {
      const { access_token, refresh_token } = await t.account();
      expect((await me(access_token)).status).toBe(200);
      await Bun.sleep(1_500);
      const afterExpiry = await me(access_token);
      expect(afterExpiry.status).toBe(401);
      expect(afterExpiry.body.code).toBe("token_not_valid");
      expect((await t.request("POST", "/api/refresh/", { body: { refresh_token } })).status).toBe(401);
    } finally {
      await configure({ access_token_lifetime: 30, refresh_token_lifetime: 2_592_000 });
    }
  });
});

describe("POST /api/password/change/", () => {
  for (const path of ["/api/password/change/", "/api/password/change"]) {
    test(`changes the password and revokes the user's other sessions, not this one (${path})`, async () => {
      const { email, password, devices } = await threeDevices();
      const response = await t.request("POST", path, {
        token: devices[0]!.access_token,
        body: { old_password: password, new_password: "a-brand-new-password" },
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ success: "Password changed.", revoked: 2 });
      expect((await me(devices[0]!.access_token)).status).toBe(200);
      expect((await me(devices[1]!.access_token)).status).toBe(401);
      expect((await me(devices[2]!.access_token)).status).toBe(401);
      expect((await t.request("POST", "/api/login/", { body: { email, password } })).status).toBe(401);
      expect((await t.request("POST", "/api/login/", { body: { email, password: "a-brand-new-password" } })).status).toBe(200);
    });
  }

  test("a wrong old password is 400 naming old_password, and nothing changes", async () => {
    const { email, password, access_token } = await t.account();
    const response = await t.request("POST", "/api/password/change/", {
      token: access_token,
      body: { old_password: "not-my-password", new_password: "a-brand-new-password" },
    });
    expect(response.status).toBe(400);
    expect(response.body.fields.old_password).toBeDefined();
    expect((await t.request("POST", "/api/login/", { body: { email, password } })).status).toBe(200);
  });

  test("a too short new password is 400; no token is 401", async () => {
    const { password, access_token } = await t.account();
    const short = await t.request("POST", "/api/password/change/", { token: access_token, body: { old_password: password, new_password: "short" } });
    expect(short.status).toBe(400);
    expect(short.body.fields.new_password).toEqual(["Ensure this field has at least 8 characters."]);
    const anonymous = await t.request("POST", "/api/password/change/", { body: { old_password: password, new_password: "long-enough-1" } });
    expect(anonymous.status).toBe(401);
  });
});

describe("POST /api/token/verify/", () => {
  for (const path of ["/api/token/verify/", "/api/token/verify"]) {
    test(`a valid access token is 200 {}; the same token after logout is 401 (${path})`, async () => {
      const { access_token, refresh_token } = await t.account();
      const valid = await t.request("POST", path, { body: { token: access_token } });
      expect(valid.status).toBe(200);
      expect(valid.body).toEqual({});
      await t.request("POST", "/api/logout/", { body: { refresh_token } });
      const revoked = await t.request("POST", path, { body: { token: access_token } });
      expect(revoked.status).toBe(401);
      expect(revoked.body.code).toBe("token_not_valid");
    });
  }

  test("garbage and refresh tokens are 401; a missing token is 400", async () => {
    const { refresh_token } = await t.account();
    for (const token of ["garbage", refresh_token, "a.b.c"]) {
      const response = await t.request("POST", "/api/token/verify/", { body: { token } });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe("token_not_valid");
    }
    expect((await t.request("POST", "/api/token/verify/", { body: {} })).status).toBe(400);
  });
});

describe("GET /api/", () => {
  test("answers the ping with name, api_version and message", async () => {
    const { access_token, email } = await t.account();
    for (const path of ["/api/", "/api"]) {
      const response = await t.request("GET", path, { token: access_token });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ name: "authd", api_version: "1", message: `Authenticated as ${email}.` });
    }
    expect((await t.request("GET", "/api/")).status).toBe(401);
  });
});
