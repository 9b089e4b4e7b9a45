import { describe, expect, test } from "bun:test";
import type { Logger } from "../../src/logger";
import { setupApp } from "../support/helpers";

const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
const record = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields });
const log: Logger = { debug: record, info: record, warn: record, error: record };
const t = await setupApp({ LOG_LEVEL: "info" }, log);

const requestLines = () => lines.filter((line) => line.message === "request").map((line) => line.fields!);

describe("request log", () => {
  test("one line per request with method, path, status and duration; never bodies or tokens", async () => {
    lines.length = 0;
    const { email, password, access_token, refresh_token } = await t.account();
    await t.request("GET", "/api/me/?secret=query", { token: access_token });
    await t.request("POST", "/api/login/", { body: { email, password: "wrong-password" } });
    await t.request("GET", "/nope");
    await Bun.sleep(10);
    const logged = requestLines();
    expect(logged.map((line) => `${line.method} ${line.path} ${line.status}`)).toEqual([
      "POST /api/register/ 201",
      "POST /api/login/ 200",
      "GET /api/me/ 200",
      "POST /api/login/ 401",
      "GET /nope 404",
    ]);
    for (const line of logged) expect(typeof line.duration_ms).toBe("number");
    const everything = JSON.stringify(lines);
    for (const secret of [password, access_token, refresh_token, "secret=query"]) expect(everything).not.toContain(secret);
    expect(everything).not.toContain(email);
  });
});

const quiet: string[] = [];
const quietLog: Logger = { debug: (m) => quiet.push(m), info: (m) => quiet.push(m), warn: (m) => quiet.push(m), error: (m) => quiet.push(m) };
const warnApp = await setupApp({ LOG_LEVEL: "warn" }, quietLog);

describe("request log above info", () => {
  test("at LOG_LEVEL=warn no request lines are written", async () => {
    await warnApp.request("GET", "/healthz");
    expect(quiet.filter((message) => message === "request")).toEqual([]);
  });
});
