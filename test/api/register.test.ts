import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

const t = await setupApp();

const USER_FIELDS = [
  "avatar",
  "bio",
  "date_joined",
  "email",
  "email_verified",
  "first_name",
  "id",
  "is_active",
  "is_staff",
  "is_superuser",
  "last_login",
  "last_name",
  "location",
  "metadata",
  "privacy",
  "username",
];

describe("POST /api/register/", () => {
  for (const path of ["/api/register/", "/api/register"]) {
    test(`creates an account and answers 201 with the user (${path})`, async () => {
      const email = t.uniqueEmail();
      const response = await t.request("POST", path, { body: { email, password: "password123" } });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(USER_FIELDS);
      expect(response.body).toMatchObject({ email, username: "", first_name: "", last_name: "", is_staff: false });
      expect(typeof response.body.id).toBe("number");
    });
  }

  test("stores the email trimmed and lower-cased", async () => {
    const response = await t.request("POST", "/api/register/", {
      body: { email: "  Grace.Hopper@Example.COM ", password: "password123" },
    });
    expect(response.status).toBe(201);
    expect(response.body.email).toBe("grace.hopper@example.com");
  });

  test("accepts optional username and names", async () => {
    const response = await t.request("POST", "/api/register/", {
      body: { email: t.uniqueEmail(), password: "password123", username: "ada_l", first_name: "Ada", last_name: "L" },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ username: "ada_l", first_name: "Ada", last_name: "L" });
  });

  test("ignores privileged fields in the body", async () => {
    const response = await t.request("POST", "/api/register/", {
      body: { email: t.uniqueEmail(), password: "password123", is_superuser: true, is_staff: true },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ is_superuser: false, is_staff: false });
  });

  test("a duplicate email in any letter case is 409 email_taken", async () => {
    const { email } = await t.register();
    const response = await t.request("POST", "/api/register", { body: { email: email.toUpperCase(), password: "password123" } });
    expect(response.status).toBe(409);
    // `fields` only on validation errors (SPEC §5).
    expect(response.body).toEqual({ detail: expect.any(String), code: "email_taken" });
  });

  test("20 identical registrations racing create one account; the rest are 409", async () => {
    const email = t.uniqueEmail("race");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => t.request("POST", "/api/register/", { body: { email, password: "password123" } })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    for (const response of responses.filter((r) => r.status === 409)) expect(response.body.code).toBe("email_taken");
  });

  test("a username taken in another letter case is 409 username_taken", async () => {
    await t.register(t.uniqueEmail(), "password123", { username: "Linus" });
    const response = await t.request("POST", "/api/register/", {
      body: { email: t.uniqueEmail(), password: "password123", username: "linus" },
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe("username_taken");
  });

  const invalid: Array<[string, unknown, string, string]> = [
    ["an invalid email", { email: "not-an-email", password: "password123" }, "email", "Enter a valid email address."],
    ["a password shorter than 8", { email: "a@example.com", password: "short12" }, "password", "Ensure this field has at least 8 characters."],
    ["a password longer than 128", { email: "a@example.com", password: "x".repeat(129) }, "password", "Ensure this field has at most 128 characters."],
    ["a missing email", { password: "password123" }, "email", "This field is required."],
    ["a missing password", { email: "a@example.com" }, "password", "This field is required."],
    ["a number as email", { email: 42, password: "password123" }, "email", "Must be a string."],
    ["a number as password", { email: "a@example.com", password: 12345678 }, "password", "Must be a string."],
  ];
  for (const [name, body, field, message] of invalid) {
    test(`${name} is 400 validation_error naming the field`, async () => {
      const response = await t.request("POST", "/api/register/", { body });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("validation_error");
      expect(typeof response.body.detail).toBe("string");
      expect(response.body.fields[field]).toContain(message);
    });
  }

  test("passwords of exactly 8 and 128 characters are accepted", async () => {
    for (const password of ["x".repeat(8), "y".repeat(128)]) {
      const response = await t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password } });
      expect(response.status).toBe(201);
    }
  });
});
