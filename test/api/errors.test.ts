import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

const t = await setupApp();

describe("the one error shape", () => {
  test("malformed JSON is 400 validation_error", async () => {
    const response = await t.request("POST", "/api/login/", {
      raw: '{"email": "a@example.com", ',
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ detail: "Malformed JSON in request body.", code: "validation_error" });
  });

  test("a body that is not an object is 400 validation_error", async () => {
    const response = await t.request("POST", "/api/login/", { body: "just a string" });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_error");
  });

  test("an empty body is 400 naming the required fields", async () => {
    const response = await t.request("POST", "/api/register/", { raw: "", headers: { "content-type": "application/json" } });
    expect(response.status).toBe(400);
    expect(response.body.fields).toMatchObject({ email: ["This field is required."], password: ["This field is required."] });
  });

  test("a body that is not JSON is 415 unsupported_media_type", async () => {
    const response = await t.request("POST", "/api/login/", {
      raw: "email=a@example.com&password=password123",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ detail: expect.any(String), code: "unsupported_media_type" });
  });

  test("a 1 MB body is 413 payload_too_large", async () => {
    const response = await t.request("POST", "/api/register/", {
      raw: JSON.stringify({ email: "a@example.com", password: "x".repeat(1_000_000) }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ detail: expect.any(String), code: "payload_too_large" });
  });

  test("a large body without Content-Length is 413 too", async () => {
    const chunk = new TextEncoder().encode("x".repeat(100_000));
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await t.fetch("/api/register/", { method: "POST", headers: { "content-type": "application/json" }, body: stream });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe("payload_too_large");
  });

  for (const path of ["/nope", "/api/nope/", "/api/me/extra"]) {
    test(`an unknown route is 404 JSON (${path})`, async () => {
      const response = await t.request("GET", path);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(response.body).toEqual({ detail: "Not found.", code: "not_found" });
    });
  }

  test("errors carry the security headers too", async () => {
    const response = await t.request("GET", "/nope");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  test("no response ever contains a password hash", async () => {
    const { access_token, email, password } = await t.account();
    const responses = [
      await t.request("POST", "/api/register/", { body: { email: t.uniqueEmail(), password } }),
      await t.request("POST", "/api/login/", { body: { email, password } }),
      await t.request("GET", "/api/me/", { token: access_token }),
      await t.request("PUT", "/api/me/", { token: access_token, body: { first_name: "x" } }),
      await t.request("PATCH", "/api/me/", { token: access_token, body: { last_name: "y" } }),
    ];
    for (const response of responses) {
      expect(response.status).toBeLessThan(300);
      expect(response.text).not.toContain("argon2");
      expect(response.text).not.toContain("password_hash");
      expect(response.text).not.toContain("passwordHash");
    }
  });
});

describe("security headers and CORS", () => {
  test("every response has the security headers", async () => {
    const response = await t.request("GET", "/healthz");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  test("the docs page gets a policy that lets its own script and style load, and nothing else", async () => {
    const policy = (await t.request("GET", "/api-doc")).headers.get("content-security-policy")!;
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain("script-src");
    expect(policy).not.toMatch(/https?:/);
  });

  test("an origin not in CORS_ORIGINS gets no CORS headers", async () => {
    const response = await t.request("GET", "/healthz", { headers: { origin: "https://evil.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

/** One raw HTTP/1.1 request over a socket: the status line of the answer. */
async function statusLineOf(base: string, head: string): Promise<string> {
  const { hostname, port } = new URL(base);
  let received = "";
  const done = Promise.withResolvers<void>();
  await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      open: (socket) => void socket.write(head),
      data: (_, chunk) => void (received += chunk.toString()),
      close: () => done.resolve(),
      error: () => done.resolve(),
    },
  });
  await Promise.race([done.promise, Bun.sleep(3_000)]);
  return received.split("\r\n")[0]!;
}

describe("routing by the request's own path", () => {
  test("a Host header of 1 to 3 characters routes by the real path (no path read from a fixed offset)", async () => {
    const base = await t.listen();
    for (const host of ["x", "ab", "abc"]) {
      const get = (path: string) => statusLineOf(base, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      // Read from the 11th character on, "http://x/api/users/" was routed as /users/ (404),
      // and "http://x/zz/healthz" as /healthz (200).
      expect(await get("/api/users/?query=a"), host).toBe("HTTP/1.1 200 OK");
      expect(await get("/zz/healthz"), host).toBe("HTTP/1.1 404 Not Found");
    }
  });
});
