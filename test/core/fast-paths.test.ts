import { describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { FormatRegistry } from "elysia/type-system";
import { fullFormats } from "elysia/type-system/format";
import { trustedResponse } from "../../src/fast-paths";
import { setupApp } from "../support/helpers";

const app = await setupApp();

/** What Elysia's own checker for a format says (the behaviour each fast path must keep). */
const reference = (format: string, value: string) => {
  const check = fullFormats[format as keyof typeof fullFormats] as RegExp | ((value: string) => boolean);
  return check instanceof RegExp ? check.test(value) : check(value);
};
const installed = (format: string) => FormatRegistry.Get(format)!;

describe("string formats, as installed once the app (and @elysiajs/openapi) is loaded", () => {
  const emails: Array<[string, boolean]> = [
    ["ada@example.com", true],
    ["a.b+tag@sub.example.co.uk", true],
    ["user@example.com", true],
    ["x@y", false],
    ["no-at-sign.example.com", false],
    ["two@@example.com", false],
    ["spaces in@example.com", false],
    ["", false],
    ["ada@example.com\u0000", false],
  ];
  for (const [email, valid] of emails) {
    test(`email ${JSON.stringify(email)} is ${valid ? "valid" : "invalid"}, as Elysia's own checker says`, () => {
      expect(installed("email")(email)).toBe(valid);
      expect(reference("email", email)).toBe(valid);
    });
  }

  const dateTimes: Array<[string, boolean]> = [
    ["2026-01-01T00:00:00.000Z", true],
    ["2024-02-29T12:30:00Z", true],
    ["2023-02-29T12:30:00Z", false],
    ["2024-02-30T12:30:00Z", false],
    ["2026-04-31T00:00:00Z", false],
    ["2026-12-31T23:59:60Z", true],
    ["2026-12-31T23:59:59+05:30", true],
    ["2026-12-31 23:59:59z", true],
    ["2026-13-01T00:00:00Z", false],
    ["2026-01-01T24:00:00Z", false],
    ["2026-01-01", false],
    ["2026-01-01T00:00:00", false],
    ["not a date", false],
  ];
  for (const [value, valid] of dateTimes) {
    test(`date-time ${JSON.stringify(value)} is ${valid ? "valid" : "invalid"}, as Elysia's own checker says`, () => {
      expect(installed("date-time")(value)).toBe(valid);
      expect(reference("date-time", value)).toBe(valid);
    });
  }

  test("uuid is classified as Elysia's own checker says", () => {
    for (const value of [crypto.randomUUID(), "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "not-a-uuid", "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d"])
      expect(installed("uuid")(value)).toBe(reference("uuid", value));
  });

  test("through HTTP: an invalid email is still a 400 naming the field, a valid one registers", async () => {
    const bad = await app.request("POST", "/api/register/", { body: { email: "x@y", password: "password123" } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(["email"]);
    expect((await app.request("POST", "/api/register/", { body: { email: app.uniqueEmail(), password: "password123" } })).status).toBe(201);
  });
});

describe("trustedResponse", () => {
  test("still strips what the schema does not declare", async () => {
    const schema = trustedResponse(t.Object({ id: t.Number() }));
    const probe = new Elysia().get("/", () => ({ id: 1, password_hash: "secret" }) as { id: number }, { response: { 200: schema } });
    const response = await probe.handle(new Request("http://localhost/"));
    expect(await response.json()).toEqual({ id: 1 });
  });

  test("GET /api/me/ answers no field beyond the public user", async () => {
    const account = await app.account();
    const response = await app.request("GET", "/api/me/", { token: account.access_token });
    expect(response.status).toBe(200);
    expect(response.text).not.toContain("password");
    expect(response.text).not.toContain("argon2");
  });
});
