import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

const t = await setupApp({ CORS_ORIGINS: "https://app.example" });

describe("CORS", () => {
  test("an allowed origin is echoed on responses", async () => {
    const response = await t.request("GET", "/healthz", { headers: { origin: "https://app.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  test("a preflight from an allowed origin is 204 with the allowed methods and headers", async () => {
    const response = await t.request("OPTIONS", "/api/login/", {
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(response.headers.get("access-control-allow-headers")).toContain("Authorization");
  });

  test("a preflight from another origin gets no CORS headers", async () => {
    const response = await t.request("OPTIONS", "/api/login/", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});
