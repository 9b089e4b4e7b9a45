import { describe, expect, test } from "bun:test";
import { onBinary, setupApp } from "../support/helpers";

const t = await setupApp();

describe("probes", () => {
  test("/healthz answers 200", async () => {
    const response = await t.request("GET", "/healthz");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok" });
  });

  test("/readyz answers 200 while the database answers", async () => {
    const response = await t.request("GET", "/readyz");
    expect(response.status).toBe(200);
  });

  // Against the binary, test/ops/operations.test.ts stops a real PostgreSQL under it.
  test.skipIf(onBinary)("/readyz is 503 service_unavailable once the database is gone", async () => {
    await t.database.close();
    const response = await t.request("GET", "/readyz");
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ detail: expect.any(String), code: "service_unavailable" });
  });
});
