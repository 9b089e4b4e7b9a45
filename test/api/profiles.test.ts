import { describe, expect, test } from "bun:test";
import { users } from "../../src/db/schema";
import { setupApp } from "../support/helpers";

const t = await setupApp();
const tag = crypto.randomUUID().slice(0, 6);

/** A logged-in user with this username. */
async function member(username: string, profile: Record<string, unknown> = {}) {
  const account = await t.account({ username });
  if (Object.keys(profile).length) await t.request("PATCH", "/api/me/", { token: account.access_token, body: profile });
  return account;
}
const profilePath = (username: string) => `/api/users/${encodeURIComponent(username)}/`;

const ada = await member(`Ada Lovelace ${tag}`, { bio: "Mathematician.", location: "London", metadata: { fav_sport_1: "chess" } });
const grace = await member(`Grace Hopper ${tag}`);
const hidden = await member(`Hidden Person ${tag}`, { privacy: true });
const staff = await t.account();
await t.setStaff([staff.user.id]);

describe("GET /api/users/{username}/", () => {
  for (const slash of ["/", ""]) {
    test(`anyone reads a public profile; the username has spaces, URL-encoded, any case (slash: "${slash}")`, async () => {
      const response = await t.request("GET", profilePath(ada.user.username.toUpperCase()).slice(0, slash ? undefined : -1));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        id: ada.user.id,
        username: `Ada Lovelace ${tag}`,
        first_name: "",
        last_name: "",
        bio: "Mathematician.",
        location: "London",
        avatar: "",
        privacy: false,
        metadata: { fav_sport_1: "chess" },
      });
    });
  }

  test("an unknown username is 404", async () => {
    const response = await t.request("GET", profilePath("nobody by that name"));
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("not_found");
  });

  test("a private profile is 404 to anonymous and other users, 200 to its owner and to staff", async () => {
    const path = profilePath(hidden.user.username);
    expect((await t.request("GET", path)).status).toBe(404);
    expect((await t.request("GET", path, { token: grace.access_token })).status).toBe(404);
    const own = await t.request("GET", path, { token: hidden.access_token });
    expect(own.status).toBe(200);
    expect(own.body.privacy).toBe(true);
    expect((await t.request("GET", path, { token: staff.access_token })).status).toBe(200);
  });

  test("a bad token is 401, not anonymous", async () => {
    expect((await t.request("GET", profilePath(ada.user.username), { token: "not-a-token" })).status).toBe(401);
  });
});

for (const method of ["PUT", "PATCH"]) {
  describe(`${method} /api/users/{username}/`, () => {
    test("the owner edits their profile and gets it back", async () => {
      const changes = { first_name: "Ada", bio: `Analyst ${method}`, avatar: "https://example.com/ada.png", metadata: { fav_sport_2: "rowing" } };
      const response = await t.request(method, profilePath(ada.user.username), { token: ada.access_token, body: changes });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject(changes);
      expect((await t.request("GET", "/api/me/", { token: ada.access_token })).body).toMatchObject(changes);
    });

    test("another user is 403 and nothing changes; anonymous is 401", async () => {
      const before = (await t.request("GET", profilePath(ada.user.username))).body;
      const other = await t.request(method, profilePath(ada.user.username), { token: grace.access_token, body: { bio: "hacked" } });
      expect(other.status).toBe(403);
      expect(other.body.code).toBe("permission_denied");
      const anonymous = await t.request(method, profilePath(ada.user.username), { body: { bio: "hacked" } });
      expect(anonymous.status).toBe(401);
      expect((await t.request("GET", profilePath(ada.user.username))).body).toEqual(before);
    });

    test("metadata over 4 KiB is 400 naming it; 4 KiB fits", async () => {
      const tooBig = await t.request(method, profilePath(grace.user.username), {
        token: grace.access_token,
        body: { metadata: { notes: "x".repeat(4096) } },
      });
      expect(tooBig.status).toBe(400);
      expect(Object.keys(tooBig.body.fields)).toEqual(["metadata"]);
      const fits = await t.request(method, profilePath(grace.user.username), {
        token: grace.access_token,
        body: { metadata: { notes: "x".repeat(4096 - 12) } },
      });
      expect(fits.status).toBe(200);
    });

    test("bad fields are 400 naming them: an avatar that is not a URL, a non-boolean privacy, metadata that is not an object", async () => {
      for (const [field, value] of [["avatar", "javascript:alert(1)"], ["privacy", "yes"], ["metadata", [1, 2]], ["bio", "x".repeat(2001)]] as const) {
        const response = await t.request(method, profilePath(grace.user.username), { token: grace.access_token, body: { [field]: value } });
        expect(response.status, field).toBe(400);
        expect(Object.keys(response.body.fields), field).toEqual([field]);
      }
    });

    test("an unknown username is 404", async () => {
      const response = await t.request(method, profilePath("nobody by that name"), { token: grace.access_token, body: { bio: "x" } });
      expect(response.status).toBe(404);
    });
  });
}

describe("GET /api/users/?query=", () => {
  test("finds usernames containing the query in any letter case, ordered by username, with X-Total-Count", async () => {
    const response = await t.request("GET", `/api/users/?query=${tag.toUpperCase()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-total-count")).toBe("3");
    expect(response.body).toEqual([
      { id: ada.user.id, username: `Ada Lovelace ${tag}`, avatar: expect.any(String), privacy: false },
      { id: grace.user.id, username: `Grace Hopper ${tag}`, avatar: "", privacy: false },
      { id: hidden.user.id, username: `Hidden Person ${tag}`, avatar: "", privacy: true },
    ]);
    const spaced = await t.request("GET", `/api/users/?query=${encodeURIComponent(`ce hop`)}`);
    expect(spaced.body.map((hit: { id: number }) => hit.id)).toContain(grace.user.id);
  });

  test("limit and offset page through the matches; the total stays", async () => {
    const page = await t.request("GET", `/api/users?query=${tag}&limit=1&offset=1`);
    expect(page.status).toBe(200);
    expect(page.body.map((hit: { id: number }) => hit.id)).toEqual([grace.user.id]);
    expect(page.headers.get("x-total-count")).toBe("3");
  });

  test("users without a username are not listed; LIKE wildcards are literal", async () => {
    const everyone = await t.request("GET", "/api/users/?limit=500");
    expect(everyone.body.some((hit: { username: string }) => hit.username === "")).toBe(false);
    expect(everyone.body.length).toBe(Number(everyone.headers.get("x-total-count")));
    expect((await t.request("GET", "/api/users/?query=%25")).body).toEqual([]);
    expect((await t.request("GET", "/api/users/?query=_")).body).toEqual([]);
  });

  for (const bad of ["limit=0", "limit=501", "limit=abc", "offset=-1", "limit=1.5"]) {
    test(`${bad} is a 400`, async () => {
      const response = await t.request("GET", `/api/users/?${bad}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("validation_error");
    });
  }

  test("a control character in the query is a 400, not a database error", async () => {
    expect((await t.request("GET", "/api/users/?query=%00")).status).toBe(400);
    expect((await t.request("GET", "/api/users/a%00b/")).status).toBe(400);
  });
});

describe("/api/me/ shows and edits the profile", () => {
  test("GET has every profile field; PUT changes them; email and flags never change there", async () => {
    const { access_token, email } = await t.account();
    const me = await t.request("GET", "/api/me/", { token: access_token });
    expect(me.body).toMatchObject({ bio: "", location: "", avatar: "", privacy: false, metadata: {} });
    const changed = await t.request("PUT", "/api/me/", {
      token: access_token,
      body: { location: "Paris", privacy: true, email: "other@example.com", is_staff: true, is_superuser: true, password: "hacked-password" },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ location: "Paris", privacy: true, email, is_staff: false, is_superuser: false });
    expect((await t.request("POST", "/api/login/", { body: { email, password: "password123" } })).status).toBe(200);
  });
});
