import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { DEFAULT_SETTINGS } from "../../src/settings";
import { setupApp } from "../support/helpers";

const t = await setupApp();

describe("/api-doc", () => {
  test("/api-doc/json is a valid OpenAPI 3 document", async () => {
    const response = await t.request("GET", "/api-doc/json");
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(response.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("documents every route with tags, schemas and the bearer scheme", async () => {
    const spec = (await t.request("GET", "/api-doc/json")).body;
    const operations = [
      ["post", "/api/register/"],
      ["post", "/api/login/"],
      ["post", "/api/refresh/"],
      ["post", "/api/logout/"],
      ["get", "/api/me/"],
      ["put", "/api/me/"],
      ["patch", "/api/me/"],
      ["get", "/api/admin/config/"],
      ["put", "/api/admin/config/"],
      ["patch", "/api/admin/config/"],
      ["get", "/healthz"],
      ["get", "/readyz"],
      ["get", "/api/"],
      ["post", "/api/token/verify/"],
      ["get", "/api/sessions/"],
      ["delete", "/api/sessions/{id}/"],
      ["post", "/api/logout-all/"],
      ["post", "/api/password/change/"],
      ["get", "/.well-known/jwks.json"],
    ];
    for (const [method, path] of operations) {
      const operation = spec.paths[path!]?.[method!];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation.tags?.length, `${method} ${path} tags`).toBeGreaterThan(0);
      expect(operation.summary, `${method} ${path} summary`).toBeString();
      expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
    }
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [method, path] of [["get", "/api/me/"], ["patch", "/api/admin/config/"], ["delete", "/api/sessions/{id}/"], ["post", "/api/password/change/"]])
      expect(spec.paths[path!][method!].security).toEqual([{ bearerAuth: [] }]);
    expect(spec.paths["/api/login/"].post.security).toBeUndefined();
    expect(spec.paths["/api/register/"].post.requestBody.content["application/json"].schema.required).toEqual([
      "email",
      "password",
    ]);
    expect(Object.keys(spec.paths).some((path) => path.startsWith("/api-doc"))).toBe(false);
  });

  test("the settings body names every key with its type and bounds, and no other key", async () => {
    const spec = (await t.request("GET", "/api-doc/json")).body;
    for (const method of ["put", "patch"]) {
      const body = spec.paths["/api/admin/config/"][method].requestBody.content["application/json"].schema;
      expect(body.additionalProperties).toBe(false);
      expect(body.required ?? []).toEqual([]);
      expect(Object.keys(body.properties).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
      expect(body.properties.access_token_lifetime).toMatchObject({ type: "number", multipleOf: 1, minimum: 1, maximum: 86_400 });
      expect(body.properties.refresh_token_lifetime).toMatchObject({ type: "number", multipleOf: 1, minimum: 1 });
      expect(body.properties.require_email_verification).toMatchObject({ type: "boolean" });
      for (const [key, property] of Object.entries<any>(body.properties)) {
        expect(property.description, key).toBeString();
        if (property.type === "number") expect([property.minimum, property.maximum].every(Number.isInteger), key).toBe(true);
      }
    }
  });

  for (const path of ["/api-doc", "/api-doc/"]) {
    test(`the Swagger UI page at ${path} loads only same-origin assets that exist`, async () => {
      const page = await t.request("GET", path);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
      expect(urls.length).toBeGreaterThanOrEqual(3);
      for (const url of urls) {
        expect(url, url).toMatch(/^\/[^/]/);
        const asset = await t.fetch(new URL(url, `http://localhost${path}`).pathname);
        expect(asset.status, url).toBe(200);
        expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(0);
      }
      const init = await t.request("GET", "/api-doc/assets/swagger-init.js");
      expect(init.text).toContain('"/api-doc/json"');
    });
  }
});
