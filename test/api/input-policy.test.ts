import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

const t = await setupApp();
const raw = (method: string, path: string, text: string, token?: string) =>
  t.request(method, path, { raw: text, token, headers: { "content-type": "application/json" } });

const expectBadField = (response: { status: number; body: any }, field: string) => {
  expect(response.status).toBe(400);
  expect(response.body.code).toBe("validation_error");
  expect(Object.keys(response.body.fields)).toContain(field);
};

describe("control characters are a 400 naming the field, in every string of every route", () => {
  for (const character of ["\\u0000", "\\u0007", "\\n", "\\u001f", "\\u007f"]) {
    test(`${character} in an email or password at login and register`, async () => {
      expectBadField(await raw("POST", "/api/login/", `{"email": "a${character}@example.com", "password": "password123"}`), "email");
      expectBadField(await raw("POST", "/api/login/", `{"email": "a@example.com", "password": "pass${character}word123"}`), "password");
      expectBadField(await raw("POST", "/api/register/", `{"email": "a${character}@example.com", "password": "password123"}`), "email");
    });
  }

  test("a NUL byte in a refresh token, an access token to verify, a name", async () => {
    expectBadField(await raw("POST", "/api/refresh/", '{"refresh_token": "abc\\u0000"}'), "refresh_token");
    expectBadField(await raw("POST", "/api/token/verify/", '{"token": "\\u0000"}'), "token");
    const { access_token } = await t.account();
    expectBadField(await raw("PATCH", "/api/me/", '{"first_name": "Ada\\u0000"}', access_token), "first_name");
  });

  test("inside nested objects the field is named by its path; keys are checked too", async () => {
    const nested = await raw("POST", "/api/login/", '{"email": "a@example.com", "password": "password123", "extra": {"list": ["ok", "b\\u0000d"]}}');
    expectBadField(nested, "extra.list.1");
    const badKey = await raw("POST", "/api/login/", '{"email": "a@example.com", "password": "password123", "k\\u0000": 1}');
    expect(badKey.status).toBe(400);
  });

  test("a lone surrogate is a 400, not a database error", async () => {
    expectBadField(await raw("POST", "/api/login/", '{"email": "\\ud800@example.com", "password": "password123"}'), "email");
    expectBadField(await raw("POST", "/api/register/", '{"email": "a@example.com", "password": "password\\udfff123"}'), "password");
  });
});

describe("wrong JSON types are a 400 naming the field", () => {
  for (const value of ["1", "[]", '{"a": 1}', "null", "true"]) {
    test(`${value} where a string belongs`, async () => {
      expectBadField(await raw("POST", "/api/token/verify/", `{"token": ${value}}`), "token");
      expectBadField(await raw("POST", "/api/login/", `{"email": ${value}, "password": "password123"}`), "email");
      expectBadField(await raw("POST", "/api/refresh/", `{"refresh_token": ${value}}`), "refresh_token");
    });
  }
});

describe("bodies that are not a JSON object", () => {
  for (const body of ['"a string"', "[1, 2]", "null", "42", "true"]) {
    test(`${body} is a 400 validation_error`, async () => {
      const response = await raw("POST", "/api/register/", body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: "validation_error", fields: { non_field_errors: ["Expected a JSON object."] } });
    });
  }

  test("deep nesting is a 4xx, never a 500", async () => {
    for (const depth of [1_000, 20_000]) {
      const response = await raw("POST", "/api/login/", `{"email": "a@example.com", "password": "password123", "x": ${"[".repeat(depth)}${"]".repeat(depth)}}`);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.body.code).toBeString();
    }
  });

  test("prototype keys are plain data", async () => {
    const response = await raw("POST", "/api/login/", '{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {}}, "email": "a@example.com", "password": "password123"}');
    expect(response.status).toBe(401);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
