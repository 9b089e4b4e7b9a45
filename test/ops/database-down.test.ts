import { afterAll, describe, expect, test } from "bun:test";
import { appOn, setupApp } from "../support/helpers";
import { openDatabase } from "../../src/db/client";
import { freePort } from "../support/pg-cluster";

// A database that is not there: a port nothing listens on. (Stopping and restarting a real
// PostgreSQL under load is issue 15's fault test.)
const t = await setupApp();
const { access_token } = await t.account();
const port = await freePort();
const gone = await openDatabase({ kind: "postgres", url: `postgres://authd@127.0.0.1:${port}/authd`, maxConnections: 2 });
afterAll(() => gone.close());
const down = appOn(gone);

describe("the database unavailable", () => {
  test("requests that need it fail fast with 503 service_unavailable in the error shape; /healthz stays 200", async () => {
    for (const [method, path, body, token] of [
      ["GET", "/api/me/", undefined, access_token],
      ["POST", "/api/login/", { email: "a@example.com", password: "password123" }, undefined],
      ["POST", "/api/refresh/", { refresh_token: "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" }, undefined],
      ["GET", "/readyz", undefined, undefined],
    ] as const) {
      const started = performance.now();
      const response = await down.request(method, path, { body, token });
      expect(performance.now() - started, path).toBeLessThan(2_500);
      expect(response.status, path).toBe(503);
      expect(response.body.code, path).toBe("service_unavailable");
      expect(response.body.detail).toBeString();
    }
    expect((await down.request("GET", "/healthz")).status).toBe(200);
  });
});
