import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

const t = await setupApp();
const admin = await t.superuser();

const setInterval_ = (refresh_reuse_interval: number) =>
  t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { refresh_reuse_interval } });
const refresh = (refresh_token: string) => t.request("POST", "/api/refresh/", { body: { refresh_token } });
const me = (token: string) => t.request("GET", "/api/me/", { token });

describe("refresh_reuse_interval", () => {
  test("inside the window, two refreshes of one token both succeed with the same refresh token; the session lives", async () => {
    await setInterval_(10);
    const { refresh_token } = await t.account();
    const first = await refresh(refresh_token);
    const second = await refresh(refresh_token);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).toBe(first.body.refresh_token);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect((await me(first.body.access_token)).status).toBe(200);
    expect((await me(second.body.access_token)).status).toBe(200);
    const next = await refresh(second.body.refresh_token);
    expect(next.status).toBe(200);
  });

  test("tabs racing inside the window all succeed and end up holding one live token", async () => {
    await setInterval_(10);
    const { refresh_token } = await t.account();
    const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(refresh_token)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map((response) => response.body.refresh_token)).size).toBe(1);
    expect((await refresh(responses[0]!.body.refresh_token)).status).toBe(200);
  });

  test("a reuse after the window revokes the session", async () => {
    await setInterval_(1);
    const { refresh_token, access_token } = await t.account();
    const rotated = await refresh(refresh_token);
    expect(rotated.status).toBe(200);
    await Bun.sleep(1_100);
    const late = await refresh(refresh_token);
    expect(late.status).toBe(401);
    expect(late.body.code).toBe("token_reused");
    expect((await refresh(rotated.body.refresh_token)).status).toBe(401);
    expect((await me(rotated.body.access_token)).status).toBe(401);
    expect((await me(access_token)).status).toBe(401);
  });

  test("a replay inside the window of a logged-out session is refused", async () => {
    await setInterval_(10);
    const { refresh_token } = await t.account();
    const rotated = await refresh(refresh_token);
    await t.request("POST", "/api/logout/", { body: { refresh_token: rotated.body.refresh_token } });
    const replay = await refresh(refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe("token_not_valid");
  });

  test("with the window at 0, 50 concurrent refreshes of one token give exactly one 200 and no 5xx", async () => {
    await setInterval_(0);
    const { refresh_token } = await t.account();
    const responses = await Promise.all(Array.from({ length: 50 }, () => refresh(refresh_token)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    for (const response of responses.filter((r) => r.status !== 200)) expect(response.body.code).toBe("token_reused");
  });
});
