import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

const t = await setupApp();
const bare = await setupApp({ COMPAT_ROUTES: "none" });
const some = await setupApp({ COMPAT_ROUTES: "v1" });

describe("one set of accounts and sessions behind every route set", () => {
  test("tokens from any set work on the native routes and the others; a logout through one ends the session everywhere", async () => {
    const { email } = await t.register(t.uniqueEmail(), "password123", { username: "Cross Over" });
    const simple = (await t.request("POST", "/api/token/", { body: { username: "cross over", password: "password123" } })).body;
    const v1 = (await t.request("POST", "/api/v1/auth/token/", { body: { email, password: "password123" } })).body;
    const dj = (await t.request("POST", "/dj-rest-auth/login/", { body: { email, password: "password123" } })).body;
    const native = (await t.request("POST", "/api/login/", { body: { email, password: "password123" } })).body;

    for (const access of [simple.access, v1.access, dj.access, native.access_token]) {
      expect((await t.request("GET", "/api/me/", { token: access })).status).toBe(200);
      expect((await t.request("GET", "/api/v1/account/", { token: access })).status).toBe(200);
      expect((await t.request("GET", "/dj-rest-auth/user/", { token: access })).status).toBe(200);
    }
    // A refresh token of one set rotates on another's route.
    const rotated = (await t.request("POST", "/api/refresh/", { body: { refresh_token: simple.refresh } })).body;
    const again = (await t.request("POST", "/dj-rest-auth/token/refresh/", { body: { refresh: rotated.refresh_token } })).body;
    expect(again.access).toBeString();

    await t.request("POST", "/dj-rest-auth/logout/", { body: { refresh: again.refresh } });
    expect((await t.request("GET", "/api/me/", { token: again.access })).status).toBe(401);
    expect((await t.request("GET", "/api/v1/account/", { token: simple.access })).status).toBe(401);
    expect((await t.request("GET", "/api/me/", { token: native.access_token })).status).toBe(200);

    const all = await t.request("GET", "/api/v1/auth/logout_all/", { token: native.access_token });
    expect(all.status).toBe(205);
    for (const access of [v1.access, dj.access, native.access_token]) expect((await t.request("GET", "/api/me/", { token: access })).status).toBe(401);
  });
});

describe("COMPAT_ROUTES", () => {
  test("none: those paths are 404 and absent from /api-doc/json; the native routes stay", async () => {
    for (const [method, path] of [["POST", "/api/token/"], ["POST", "/api/v1/auth/token/"], ["GET", "/api/v1/"], ["POST", "/dj-rest-auth/login/"], ["POST", "/api/user/create/"]] as const) {
      const response = await bare.request(method, path, { body: method === "POST" ? {} : undefined });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    const paths = Object.keys((await bare.request("GET", "/api-doc/json")).body.paths);
    expect(paths.some((path) => path.startsWith("/api/v1") || path.startsWith("/dj-rest-auth") || path === "/api/token/")).toBe(false);
    expect(paths).toContain("/api/token/verify/");
    expect((await bare.request("POST", "/api/login/", { body: { email: "x@example.com", password: "password123" } })).status).toBe(401);
  });

  test("a list mounts only those sets, each under its own tag in the document", async () => {
    expect((await some.request("POST", "/api/token/", { body: {} })).status).toBe(404);
    expect((await some.request("POST", "/api/v1/auth/token/", { body: {} })).status).toBe(400);
    const spec = (await t.request("GET", "/api-doc/json")).body;
    expect(spec.paths["/api/token/"].post.tags).toEqual(["compat: simplejwt"]);
    expect(spec.paths["/api/v1/auth/token/"].post.tags).toEqual(["compat: v1"]);
    expect(spec.paths["/dj-rest-auth/login/"].post.tags).toEqual(["compat: dj-rest-auth"]);
  });
});
