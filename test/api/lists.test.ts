import { describe, expect, test } from "bun:test";
import { setupApp } from "../support/helpers";

/**
 * Every list takes `limit` (1–500) and `offset` (≥ 0); anything else is a 400 naming the
 * parameter. The lists are read off the OpenAPI document, so a new one is checked too.
 */
const t = await setupApp();
const admin = await t.superuser();
await t.register(t.uniqueEmail(), "password123", { username: "Listed Person" });
await t.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { access_token_lifetime: 30 } }); // an audit entry

type Operation = { parameters?: Array<{ name: string; in: string }>; responses: Record<string, { content?: Record<string, { schema: any }> }> };
const spec = (await t.request("GET", "/api-doc/json")).body as { paths: Record<string, Record<string, Operation>> };

/** A 200 that is an array, or a `{count, results: [...]}` page. */
const answersAList = (operation: Operation) => {
  const schema = operation.responses["200"]?.content?.["application/json"]?.schema;
  return schema?.type === "array" || schema?.properties?.results?.type === "array";
};
const lists = Object.entries(spec.paths).flatMap(([path, methods]) => (methods.get && answersAList(methods.get) ? [{ path, operation: methods.get }] : []));
const concrete = (path: string) => path.replace("{id}", String(admin.user.id));

describe("every list of the API document", () => {
  test("there are lists, and each takes limit and offset as query parameters", () => {
    expect(lists.map((list) => list.path).sort()).toEqual(
      ["/api/admin/audit/", "/api/admin/users/", "/api/admin/users/{id}/sessions/", "/api/sessions/", "/api/users/", "/api/v1/account/management/"].filter(
        (path) => path in spec.paths,
      ),
    );
    for (const { path, operation } of lists) {
      const query = (operation.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => parameter.name);
      expect(query, path).toEqual(expect.arrayContaining(["limit", "offset"]));
    }
  });

  const bad: Array<[string, string]> = [
    ["limit", "0"],
    ["limit", "-1"],
    ["limit", "1.5"],
    ["limit", "1e400"],
    ["limit", "abc"],
    ["limit", "501"],
    ["limit", ""],
    ["offset", "-1"],
    ["offset", "1.5"],
    ["offset", "1e400"],
    ["offset", "abc"],
    ["offset", "99999999999999999999"],
  ];
  for (const [parameter, value] of bad) {
    test(`?${parameter}=${value} is a 400 naming ${parameter} on every list`, async () => {
      for (const { path } of lists) {
        const response = await t.request("GET", `${concrete(path)}?${parameter}=${value}`, { token: admin.access_token });
        expect(response.status, path).toBe(400);
        expect(response.body.code, path).toBe("validation_error");
        expect(Object.keys(response.body.fields), path).toEqual([parameter]);
      }
    });
  }

  test("limit=1 gives one item, and the total of all in X-Total-Count or count", async () => {
    await t.login(admin.email);
    for (const { path } of lists) {
      const response = await t.request("GET", `${concrete(path)}?limit=1&offset=0`, { token: admin.access_token });
      expect(response.status, path).toBe(200);
      const items = Array.isArray(response.body) ? response.body : response.body.results;
      expect(items.length, path).toBe(1);
      const total = Array.isArray(response.body) ? Number(response.headers.get("x-total-count")) : response.body.count;
      expect(total, path).toBeGreaterThanOrEqual(1);
    }
  });
});
