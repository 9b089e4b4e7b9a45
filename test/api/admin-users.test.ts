import { describe, expect, test } from "bun:test";
import { users } from "../../src/db/schema";
import { setupApp } from "../support/helpers";

const t = await setupApp();
const root = await t.superuser();
const staff = await t.account({ first_name: "Stella" });
await t.setStaff([staff.user.id]);
const plain = await t.account();
const tag = crypto.randomUUID().slice(0, 6);

const as = (token: string | undefined) => ({
  get: (path: string) => t.request("GET", path, { token }),
  post: (path: string, body: unknown) => t.request("POST", path, { token, body }),
  patch: (path: string, body: unknown) => t.request("PATCH", path, { token, body }),
  del: (path: string) => t.request("DELETE", path, { token }),
});
const rootApi = as(root.access_token);
const me = (token: string) => t.request("GET", "/api/me/", { token });

describe("roles", () => {
  test("anonymous 401, a plain user 403, staff may read but not write, a superuser writes", async () => {
    const target = `/api/admin/users/${plain.user.id}/`;
    expect((await as(undefined).get("/api/admin/users/")).status).toBe(401);
    expect((await as(plain.access_token).get("/api/admin/users/")).status).toBe(403);
    expect((await as(staff.access_token).get("/api/admin/users/")).status).toBe(200);
    expect((await as(staff.access_token).get(target)).status).toBe(200);
    expect((await as(staff.access_token).get(`${target}sessions/`)).status).toBe(200);
    expect((await as(staff.access_token).get("/api/admin/audit/")).status).toBe(200);
    expect((await as(staff.access_token).patch(target, { first_name: "x" })).status).toBe(403);
    expect((await as(staff.access_token).del(target)).status).toBe(403);
    expect((await as(staff.access_token).post("/api/admin/users/", { email: t.uniqueEmail(), password: "password123" })).status).toBe(403);
    expect((await rootApi.patch(target, { first_name: "Plain" })).status).toBe(200);
  });
});

describe("GET /api/admin/users/", () => {
  test("searches email, username, first and last name in any letter case; {count, results} by id", async () => {
    const a = await t.account({ username: `Searchable ${tag}` });
    const b = await t.account({ last_name: `SEARCHABLE-${tag}` });
    for (const path of [`/api/admin/users/?query=searchable ${tag}`, `/api/admin/users?query=${tag.toUpperCase()}`]) {
      const response = await rootApi.get(path.replace(" ", "%20"));
      expect(response.status).toBe(200);
      expect(response.body.results.map((user: { id: number }) => user.id)).toEqual(path.includes("searchable ") ? [a.user.id] : [a.user.id, b.user.id]);
    }
    const byEmail = await rootApi.get(`/api/admin/users/?query=${encodeURIComponent(a.email.toUpperCase())}`);
    expect(byEmail.body).toMatchObject({ count: 1, results: [{ id: a.user.id, email: a.email, is_staff: false, email_verified: false }] });
    expect(byEmail.body.results[0]).not.toHaveProperty("password_hash");
  });

  test("limit and offset page by id; bad values are 400", async () => {
    const all = (await rootApi.get("/api/admin/users/?limit=500")).body;
    const page = (await rootApi.get("/api/admin/users/?limit=2&offset=1")).body;
    expect(page.count).toBe(all.count);
    expect(page.results.map((user: { id: number }) => user.id)).toEqual(all.results.slice(1, 3).map((user: { id: number }) => user.id));
    for (const bad of ["limit=0", "limit=501", "limit=x", "offset=-1"]) expect((await rootApi.get(`/api/admin/users/?${bad}`)).status).toBe(400);
  });
});

describe("POST /api/admin/users/", () => {
  test("creates a user with flags (201); a taken email is 409 email_taken; bad input 400", async () => {
    const email = t.uniqueEmail("created");
    const created = await rootApi.post("/api/admin/users/", { email: ` ${email.toUpperCase()} `, password: "password123", is_staff: true, email_verified: true });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email, is_staff: true, is_superuser: false, email_verified: true });
    const taken = await rootApi.post("/api/admin/users/", { email, password: "password123" });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ detail: expect.any(String), code: "email_taken" });
    expect((await rootApi.post("/api/admin/users/", { email: "nope", password: "short" })).status).toBe(400);
    expect((await t.request("POST", "/api/login/", { body: { email, password: "password123" } })).status).toBe(200);
  });
});

describe("PATCH and DELETE /api/admin/users/{id}/", () => {
  test("deactivation ends the user's tokens at once; login is then 401 invalid_credentials; reactivation restores login", async () => {
    const victim = await t.account();
    const path = `/api/admin/users/${victim.user.id}/`;
    expect((await rootApi.patch(path, { is_active: false })).body.is_active).toBe(false);
    expect((await me(victim.access_token)).status).toBe(401);
    expect((await t.request("POST", "/api/refresh/", { body: { refresh_token: victim.refresh_token } })).status).toBe(401);
    const login = await t.request("POST", "/api/login/", { body: { email: victim.email, password: victim.password } });
    expect(login.status).toBe(401);
    expect(login.body.code).toBe("invalid_credentials");
    await rootApi.patch(path, { is_active: true });
    expect((await t.request("POST", "/api/login/", { body: { email: victim.email, password: victim.password } })).status).toBe(200);
  });

  test("a password set by an admin ends the user's sessions; the new password logs in", async () => {
    const victim = await t.account();
    expect((await rootApi.patch(`/api/admin/users/${victim.user.id}/`, { password: "set-by-the-admin" })).status).toBe(200);
    expect((await me(victim.access_token)).status).toBe(401);
    expect((await t.request("POST", "/api/login/", { body: { email: victim.email, password: "set-by-the-admin" } })).status).toBe(200);
  });

  test("email_verified, names and flags change; a taken email or username is 409", async () => {
    const other = await t.account({ username: `Taken ${tag}` });
    const target = await t.account();
    const path = `/api/admin/users/${target.user.id}/`;
    expect((await rootApi.patch(path, { email_verified: true, first_name: "Ada", is_staff: true })).body).toMatchObject({
      email_verified: true,
      first_name: "Ada",
      is_staff: true,
    });
    expect((await rootApi.patch(path, { email: other.email })).body.code).toBe("email_taken");
    expect((await rootApi.patch(path, { username: `taken ${tag}` })).body.code).toBe("username_taken");
  });

  test("deletion ends the user's tokens at once and login is 401; an unknown id is 404", async () => {
    const victim = await t.account();
    const deleted = await rootApi.del(`/api/admin/users/${victim.user.id}/`);
    expect(deleted.status).toBe(204);
    expect((await me(victim.access_token)).status).toBe(401);
    expect((await t.request("POST", "/api/login/", { body: { email: victim.email, password: victim.password } })).body.code).toBe("invalid_credentials");
    for (const id of [victim.user.id, 999999, "abc", "-1", "1.5"]) expect((await rootApi.get(`/api/admin/users/${id}/`)).status).toBe(404);
  });

  test("a superuser may delete their own account while another superuser remains; the deletion is audited", async () => {
    const leaving = await rootApi.post("/api/admin/users/", { email: t.uniqueEmail("leaving"), password: "password123", is_superuser: true, is_staff: true });
    const { access_token } = await t.login(leaving.body.email);
    const deleted = await t.request("DELETE", `/api/admin/users/${leaving.body.id}/`, { token: access_token });
    expect(deleted.status).toBe(204);
    expect((await me(access_token)).status).toBe(401);
    const audit = await rootApi.get("/api/admin/audit/?limit=1");
    // The actor is gone with the account; the entry keeps whom it deleted.
    expect(audit.body.results[0]).toMatchObject({ action: "user.delete", target: `user:${leaving.body.id}`, actor_id: null });
    expect(audit.body.results[0].before.email).toBe(leaving.body.email);
  });

  test("the last active superuser cannot be deactivated, demoted or deleted (409); with a second one it can be demoted", async () => {
    const path = `/api/admin/users/${root.user.id}/`;
    for (const change of [{ is_active: false }, { is_superuser: false }]) {
      const response = await rootApi.patch(path, change);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe("last_superuser");
    }
    expect((await rootApi.del(path)).status).toBe(409);
    const second = await rootApi.post("/api/admin/users/", { email: t.uniqueEmail("second"), password: "password123", is_superuser: true });
    expect((await rootApi.patch(`/api/admin/users/${second.body.id}/`, { is_superuser: false })).status).toBe(200);
    expect((await rootApi.patch(path, { is_superuser: false })).status).toBe(409);
  });
});

describe("sessions of a user", () => {
  test("staff lists them; a superuser revokes them all at once", async () => {
    const victim = await t.account();
    await t.login(victim.email);
    const listed = await as(staff.access_token).get(`/api/admin/users/${victim.user.id}/sessions/`);
    expect(listed.body).toHaveLength(2);
    expect((await rootApi.del(`/api/admin/users/${victim.user.id}/sessions/`)).status).toBe(204);
    expect((await me(victim.access_token)).status).toBe(401);
    expect((await rootApi.get(`/api/admin/users/${victim.user.id}/sessions/`)).body).toEqual([]);
  });
});

describe("mass assignment", () => {
  test("register and /api/me/ never set flags, email or password", async () => {
    const email = t.uniqueEmail();
    const registered = await t.request("POST", "/api/register/", {
      body: { email, password: "password123", is_staff: true, is_superuser: true, is_active: false, email_verified: true },
    });
    expect(registered.body).toMatchObject({ is_staff: false, is_superuser: false, is_active: true, email_verified: false });
    const { access_token } = await t.login(email);
    const changed = await t.request("PATCH", "/api/me/", { token: access_token, body: { is_staff: true, is_superuser: true, email: "x@example.com" } });
    expect(changed.body).toMatchObject({ is_staff: false, is_superuser: false, email });
  });
});

describe("GET /api/admin/audit/", () => {
  test("every admin write and settings change is there, newest first, with actor and IP, and no secret", async () => {
    const target = await t.account();
    await rootApi.patch(`/api/admin/users/${target.user.id}/`, { password: "audited-new-password", first_name: "Audited" });
    await t.request("PATCH", "/api/admin/config/", { token: root.access_token, body: { refresh_reuse_interval: 5 } });
    const log = await as(staff.access_token).get("/api/admin/audit/?limit=500");
    expect(log.status).toBe(200);
    const [settingsEntry, userEntry] = log.body.results;
    expect(settingsEntry).toMatchObject({ action: "settings.update", target: "settings", actor_id: root.user.id, before: { refresh_reuse_interval: 0 }, after: { refresh_reuse_interval: 5 } });
    expect(userEntry).toMatchObject({ action: "user.update", target: `user:${target.user.id}`, actor_id: root.user.id, after: { first_name: "Audited", password_changed: true } });
    const actions = log.body.results.map((entry: { action: string }) => entry.action);
    for (const action of ["user.create", "user.update", "user.delete", "user.sessions.revoke", "settings.update"]) expect(actions).toContain(action);
    expect(log.body.count).toBe(log.body.results.length);
    const text = JSON.stringify(log.body);
    expect(text).not.toContain("argon2");
    expect(text).not.toContain("audited-new-password");
    expect(text).not.toContain("password_hash");
    expect((await as(staff.access_token).get("/api/admin/audit/?limit=0")).status).toBe(400);
  });
});
