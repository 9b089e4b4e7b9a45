import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

setDefaultTimeout(60_000);

/** The real entry point on a real port, with data in DATA_DIR (PGlite). */
const dataDir = join(mkdtempSync(join(tmpdir(), "authd-server-")), "data");
const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
let server: Subprocess | undefined;

async function start() {
  server = Bun.spawn(["bun", "src/main.ts"], {
    cwd: join(import.meta.dir, ".."),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      DATABASE_URL: "",
      JWT_SECRET: "",
      LOG_LEVEL: "error",
      PASSWORD_MEMORY_COST: "1024",
      PASSWORD_TIME_COST: "1",
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error("server did not start");
}

async function stop() {
  server?.kill("SIGTERM");
  expect(await server?.exited).toBe(0);
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

afterAll(async () => {
  server?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the server process", () => {
  const credentials = { email: "persist@example.com", password: "password123" };
  let tokens: { access_token: string; refresh_token: string };

  test("serves the API on its port, with data in DATA_DIR", async () => {
    await start();
    expect((await post("/api/register/", credentials)).status).toBe(201);
    const login = await post("/api/login/", credentials);
    expect(login.status).toBe(200);
    tokens = (await login.json()) as typeof tokens;
    expect(statSync(join(dataDir, "jwt-secret")).mode & 0o777).toBe(0o600);
  });

  test("answers 413 in the error shape for a 1 MB body", async () => {
    const response = await post("/api/register/", { email: "big@example.com", password: "x".repeat(1_000_000) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ detail: expect.any(String), code: "payload_too_large" });
  });

  test("a restart keeps users, refresh tokens and the signing secret", async () => {
    await stop();
    await start();
    const me = await fetch(`${base}/api/me/`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(credentials.email);
    expect((await post("/api/refresh/", { refresh_token: tokens.refresh_token })).status).toBe(200);
    expect((await post("/api/login/", credentials)).status).toBe(200);
    await stop();
  });
});
