import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

/**
 * Usernames are display names that nobody can pass for someone else's: compared after NFKC
 * and case folding, look-alikes (Unicode TS #39 skeletons) count as taken, and characters that
 * show nothing or turn the text around are refused. On every route that sets one.
 */
const t = await setupApp();
const admin = await t.superuser();
const alice = await t.account({ username: "alice" });
await t.account({ username: "admin" });
await t.account({ username: "modern" });
await t.account({ username: "Zoë Ω 测试" });

/** Every way a client sets a username, as one function each. */
const setters: Record<string, (username: string) => Promise<{ status: number; body: any }>> = {
  "POST /api/register/": (username) => t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password: "password123", username } }),
  "PATCH /api/me/": async (username) => {
    const { access_token } = await t.account();
    return t.request("PATCH", "/api/me/", { token: access_token, body: { username } });
  },
  "PATCH /api/admin/users/{id}/": async (username) => {
    const { user } = await t.register();
    return t.request("PATCH", `/api/admin/users/${user.id}/`, { token: admin.access_token, body: { username } });
  },
  "POST /api/user/create/": (username) => t.request("POST", "/api/user/create/", { body: { email: t.uniqueEmail(), password: "password123", username } }),
  "POST /dj-rest-auth/registration/": (username) =>
    t.request("POST", "/dj-rest-auth/registration/", { body: { email: t.uniqueEmail(), password1: "password123", password2: "password123", username } }),
};
const compatMounted = process.env.COMPAT_ROUTES !== "none";

const lookAlikes: Array<[string, string]> = [
  ["fullwidth letters", "ａｌｉｃｅ"],
  ["a Cyrillic а", "\u0430lice"],
  ["another letter case", "ALICE"],
  ["spaces around it", "  Alice  "],
  ['"rn" for "m"', "rnodern"],
  ["a non-ASCII name in capitals", "ZOË Ω 测试"],
  ["a doubled inner space", "Zoë  Ω 测试"],
  ["a no-break space", "Zoë\u00a0Ω 测试"],
];
const hidden: Array<[string, string]> = [
  ["a zero-width space", "admin\u200b"],
  ["a zero-width joiner", "ad\u200dmin"],
  ["a right-to-left override", "\u202eadmin"],
  ["a left-to-right isolate", "\u2066admin\u2069"],
  ["a C1 control", "\u0085admin"],
  ["a soft hyphen", "ad\u00admin"],
  ["a Hangul filler", "admin\u3164"],
  ["a byte-order mark inside", "ad\ufeffmin"],
];

for (const [route, setUsername] of Object.entries(setters)) {
  const mounted = !route.includes("/user/create/") && !route.includes("dj-rest-auth") ? true : compatMounted;
  describe.skipIf(!mounted)(route, () => {
    for (const [what, username] of lookAlikes) {
      test(`${what} (${JSON.stringify(username)}) is 409 username_taken`, async () => {
        const response = await setUsername(username);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe("username_taken");
      });
    }
    for (const [what, username] of hidden) {
      test(`${what} is a 400 naming the username`, async () => {
        const response = await setUsername(username);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe("validation_error");
        expect(Object.keys(response.body.fields)).toEqual(["username"]);
      });
    }
    test('display names still work: "John Smith", "Zoë Ω 测试"-like names in any script', async () => {
      const suffix = crypto.randomUUID().slice(0, 4);
      for (const username of [`John Smith ${suffix}`, `Zoë Ω ${suffix} 测试`, `Ádám ${suffix}`, `محمد ${suffix}`]) {
        const response = await setUsername(username);
        expect(response.status, username).toBeLessThan(300);
      }
    });
  });
}

describe("a username is found in any form that folds to it", () => {
  test("the profile and a login by username, in capitals or fullwidth", async () => {
    for (const form of ["ALICE", "ａｌｉｃｅ", " alice "]) {
      const profile = await t.request("GET", `/api/users/${encodeURIComponent(form)}/`);
      expect(profile.status, form).toBe(200);
      expect(profile.body.id).toBe(alice.user.id);
      const login = await t.request("POST", "/api/login/", { body: { username: form, password: "password123" } });
      expect(login.status, form).toBe(200);
    }
    // A look-alike finds nobody: only the same name in another case or width is the same name.
    expect((await t.request("GET", `/api/users/${encodeURIComponent("\u0430lice")}/`)).status).toBe(404);
  });

  test("the search matches any letter case, non-ASCII ones too", async () => {
    const found = await t.request("GET", `/api/users/?query=${encodeURIComponent("ZOË")}`);
    expect(found.body.map((profile: { username: string }) => profile.username)).toContain("Zoë Ω 测试");
  });
});
