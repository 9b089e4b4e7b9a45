import { describe, expect, test } from "bun:test";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { errorFields } from "../../src/logger";

describe("errorFields", () => {
  test("a failed query is logged with its SQL and the database's message, never its parameters", () => {
    const cause = new Error('invalid byte sequence for encoding "UTF8": 0x00');
    const error = new DrizzleQueryError('select * from "users" where "email" = $1 and "ip" = $2', ["ada@example.com", "203.0.113.9"], cause);
    const fields = errorFields(error);
    const logged = JSON.stringify(fields);
    expect(logged).not.toContain("ada@example.com");
    expect(logged).not.toContain("203.0.113.9");
    expect(fields.error).toContain('select * from "users"');
    expect(fields.cause).toBe('invalid byte sequence for encoding "UTF8": 0x00');
    expect(fields.stack).toContain("    at ");
  });

  test("other errors keep their message and stack", () => {
    const fields = errorFields(new TypeError("boom"));
    expect(fields).toMatchObject({ error: "boom", cause: "" });
    expect(fields.stack).toStartWith("TypeError: boom\n    at ");
  });
});
