import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

// A client of seed 001's /api/v1, through its own routes only.
const t = await setupApp();
const root = await t.superuser();
const rootToken = (await t.request("POST", "/api/v1/auth/token/", { body: { email: root.email, password: "password123" } })).body.access;

describe("the /api/v1 flow", () => {
  test("token, refresh, ping, account, logout, logout_all (205, empty)", async () => {
    const { email } = await t.register(t.uniqueEmail(), "password123", { username: "Vee One" });
    const obtained = await t.request("POST", "/api/v1/auth/token/", { body: { username: "vee one", password: "password123" } });
    expect(obtained.status).toBe(200);
    const { access, refresh } = obtained.body;
    expect((await t.request("GET", "/api/v1/", { token: access })).body).toEqual({ name: "authd", api_version: "v1", message: "Welcome!" });
    expect((await t.request("GET", "/api/v1/")).status).toBe(401);
    expect((await t.request("GET", "/api/v1/account/", { token: access })).body).toMatchObject({ email, username: "Vee One" });

    const rotated = (await t.request("POST", "/api/v1/auth/token/refresh/", { body: { refresh } })).body;
    expect(rotated.refresh).not.toBe(refresh);
    const logout = await t.request("POST", "/api/v1/auth/logout/", { token: rotated.access, body: { refresh: rotated.refresh } });
    expect(logout.status).toBe(200);
    expect((await t.request("GET", "/api/v1/account/", { token: rotated.access })).status).toBe(401);

    const second = (await t.request("POST", "/api/v1/auth/token/", { body: { email, password: "password123" } })).body;
    const third = (await t.request("POST", "/api/v1/auth/token/", { body: { email, password: "password123" } })).body;
    const all = await t.request("GET", "/api/v1/auth/logout_all/", { token: second.access });
    expect(all.status).toBe(205);
    expect(all.text).toBe("");
    for (const token of [second.access, third.access]) expect((await t.request("GET", "/api/v1/account/", { token })).status).toBe(401);
  });

  test("staff list and read; a superuser creates, updates and deletes", async () => {
    const plain = await t.account();
    expect((await t.request("GET", "/api/v1/account/management/", { token: plain.access_token })).status).toBe(403);
    const list = await t.request("GET", "/api/v1/account/management/", { token: rootToken });
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((user: { id: number }) => user.id)).toContain(plain.user.id);

    const created = await t.request("POST", "/api/v1/account/management/create/", { token: rootToken, body: { email: "made@example.com", password: "password123", is_staff: true } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: "made@example.com", is_staff: true });
    const id = created.body.id;
    expect((await t.request("GET", `/api/v1/account/management/${id}/`, { token: rootToken })).body.email).toBe("made@example.com");
    for (const method of ["PUT", "PATCH"]) {
      const updated = await t.request(method, `/api/v1/account/management/${id}/update/`, { token: rootToken, body: { first_name: method } });
      expect(updated.status).toBe(200);
      expect(updated.body.first_name).toBe(method);
    }
    expect((await t.request("DELETE", `/api/v1/account/management/${id}/delete/`, { token: rootToken })).status).toBe(204);
    expect((await t.request("GET", `/api/v1/account/management/${id}/`, { token: rootToken })).status).toBe(404);
  });

  test("/api/v1/swagger/ui/ is the Swagger UI", async () => {
    const page = await t.request("GET", "/api/v1/swagger/ui/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("swagger-ui");
  });
});
