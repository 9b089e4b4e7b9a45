/**
 * SPEC §7 "Operations", against the compiled binary on a PostgreSQL cluster of the test's own
 * (test/pg-cluster.ts) that it stops, starts and shares between instances. It runs in the
 * PostgreSQL pass of the suite (TEST_DATABASE_URL set): on PGlite there is no server to stop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { type RunningAuthd, authdEnv, buildBinary, jsonRequest, runAuthd, startAuthd } from "../support/binary-helpers";
import { ThrowawayCluster, postgresBinaries } from "../support/pg-cluster";

const SECRET = "operations-test-secret-at-least-32-bytes";
const PASSWORD = "password123";
const available = Boolean(process.env.TEST_DATABASE_URL) && (postgresBinaries() !== undefined || Boolean(process.env.CI));

let cluster: ThrowawayCluster;
let bin: string;
const running: RunningAuthd[] = [];
const work = mkdtempSync(join(tmpdir(), "authd-ops-"));

async function database(name: string): Promise<string> {
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}

async function authdOn(databaseUrl: string, extra: Record<string, string> = {}): Promise<RunningAuthd> {
  const instance = await startAuthd(bin, { cwd: work, env: authdEnv({ DATABASE_URL: databaseUrl, JWT_SECRET: SECRET, ...extra }) });
  running.push(instance);
  return instance;
}

async function json(base: string, method: string, path: string, body?: unknown, token?: string) {
  const response = await jsonRequest(base, method, path, body, token);
  return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
}

async function superuserToken(databaseUrl: string, base: string, email = "admin@example.com"): Promise<string> {
  const created = await runAuthd(bin, ["createsuperuser", "--email", email, "--password", PASSWORD], {
    cwd: work,
    env: authdEnv({ DATABASE_URL: databaseUrl, JWT_SECRET: SECRET }),
  });
  expect(created.exitCode).toBe(0);
  const login = await json(base, "POST", "/api/login/", { email, password: PASSWORD });
  expect(login.status).toBe(200);
  return login.body.access_token;
}

const tokenLifetime = (accessToken: string) => {
  const payload = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString());
  return payload.exp - payload.iat;
};

const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");

beforeAll(async () => {
  if (!available) return;
  [cluster, bin] = await Promise.all([ThrowawayCluster.create(), buildBinary()]);
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((instance) => instance.stop("SIGKILL").catch(() => {})));
  await cluster?.destroy();
});

/** Sets the access lifetime through `via`, then logs in on `on` until its tokens carry it: the ms that took (well under the 2 s re-read only by NOTIFY). */
async function lifetimeChangeSeen(via: RunningAuthd, on: RunningAuthd, adminToken: string, lifetime: number, email: string) {
  // A login just before fills `on`'s settings cache: for 2 s only a NOTIFY can change it.
  const before = await json(on.base, "POST", "/api/login/", { email, password: PASSWORD });
  expect(tokenLifetime(before.body.access_token)).not.toBe(lifetime);
  const changed = await json(via.base, "PATCH", "/api/admin/config/", { access_token_lifetime: lifetime }, adminToken);
  expect(changed.status).toBe(200);
  const changedAt = performance.now();
  while (performance.now() - changedAt < 3_000) {
    const login = await json(on.base, "POST", "/api/login/", { email, password: PASSWORD });
    if (tokenLifetime(login.body.access_token) === lifetime) return performance.now() - changedAt;
    await Bun.sleep(25);
  }
  return Number.POSITIVE_INFINITY;
}

describe.skipIf(!available)("two instances on one database", () => {
  test("settings reach the other instance within 1 s; a logout on one ends the token on the other; login limits are shared", async () => {
    const url = await database("two_instances");
    const a = await authdOn(url);
    const b = await authdOn(url);
    const admin = await superuserToken(url, a.base);
    await json(b.base, "POST", "/api/register/", { email: "user@example.com", password: PASSWORD });

    expect(tokenLifetime((await json(b.base, "POST", "/api/login/", { email: "user@example.com", password: PASSWORD })).body.access_token)).toBe(30);
    const seenAfter = await lifetimeChangeSeen(a, b, admin, 123, "user@example.com");
    console.log(`settings change on A seen in a token from B after ${Math.round(seenAfter)} ms`);
    expect(seenAfter).toBeLessThan(1_000);

    const onB = (await json(b.base, "POST", "/api/login/", { email: "user@example.com", password: PASSWORD })).body;
    expect((await json(b.base, "GET", "/api/me/", undefined, onB.access_token)).status).toBe(200);
    expect((await json(a.base, "POST", "/api/logout/", { refresh_token: onB.refresh_token }, onB.access_token)).status).toBeLessThan(300);
    const afterLogout = await json(b.base, "GET", "/api/me/", undefined, onB.access_token);
    expect(afterLogout.status).toBe(401);

    expect((await json(a.base, "PATCH", "/api/admin/config/", { login_rate_limit: 4 }, admin)).status).toBe(200);
    await Bun.sleep(1_000);
    const wrong = { email: "user@example.com", password: "wrong-password" };
    const statuses = [];
    for (const instance of [a, b, a, b, a, b]) statuses.push((await json(instance.base, "POST", "/api/login/", wrong)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  }, 60_000);
});

interface Call {
  path: string;
  status: number;
  code?: string;
  startedAt: number;
  ms: number;
}

describe.skipIf(!available)("PostgreSQL stopped for 5 s under load", () => {
  test("503s within about a second while it is down, 2xx again after, nothing answered lost or spent twice", async () => {
    const url = await database("outage");
    const authd = await authdOn(url);
    const other = await authdOn(url); // sees no load: its LISTEN must come back after the outage
    const admin = await superuserToken(url, authd.base);
    // A refresh whose COMMIT landed just as PostgreSQL cut the connection is answered 503 yet
    // spent; the reuse interval lets its retry get the same successor instead of looking stolen.
    const settings = { access_token_lifetime: 3600, refresh_reuse_interval: 30 };
    expect((await json(authd.base, "PATCH", "/api/admin/config/", settings, admin)).status).toBe(200);

    const calls: Call[] = [];
    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const startedAt = performance.now();
      let result: { status: number; body: any } = { status: -1, body: undefined };
      try {
        result = await json(authd.base, method, path, body, token);
      } catch {} // -1: no HTTP answer at all
      calls.push({ path, status: result.status, code: result.body?.code, startedAt, ms: performance.now() - startedAt });
      return result;
    };

    const WORKERS = 4;
    const successors = new Map<string, Set<string>>(); // presented refresh token -> successors answered 200
    const answered: string[] = []; // every refresh token handed out with a 2xx
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, async (_, index) => {
        const email = `worker${index}@example.com`;
        expect((await call("POST", "/api/register/", { email, password: PASSWORD })).status).toBe(201);
        const login = await call("POST", "/api/login/", { email, password: PASSWORD });
        answered.push(login.body.refresh_token);
        return { email, access: login.body.access_token as string, refresh: login.body.refresh_token as string };
      }),
    );

    let loading = true;
    const load = workers.map(async (worker) => {
      for (let round = 0; loading; round++) {
        await call("GET", "/api/me/", undefined, worker.access);
        const presented = worker.refresh;
        const rotated = await call("POST", "/api/refresh/", { refresh_token: presented });
        if (rotated.status === 200) {
          successors.set(presented, (successors.get(presented) ?? new Set()).add(rotated.body.refresh_token));
          answered.push(rotated.body.refresh_token);
          worker.refresh = rotated.body.refresh_token;
          worker.access = rotated.body.access_token;
        }
        if (round % 5 === 0) {
          const login = await call("POST", "/api/login/", { email: worker.email, password: PASSWORD });
          if (login.status === 200) answered.push(login.body.refresh_token);
        }
        await Bun.sleep(20);
      }
    });
    const readiness: Call[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const startedAt = performance.now();
        const response = await fetch(`${authd.base}/readyz`).catch(() => undefined);
        readiness.push({ path: "/readyz", status: response?.status ?? -1, startedAt, ms: performance.now() - startedAt });
        await Bun.sleep(100);
      }
    })();

    await Bun.sleep(2_000);
    const stoppingAt = performance.now();
    await cluster.stop();
    const stoppedAt = performance.now();
    await Bun.sleep(5_000);
    const restartingAt = performance.now();
    await cluster.start();
    const startedAt = performance.now();
    let readyAt = Number.POSITIVE_INFINITY;
    while (performance.now() - startedAt < 10_000) {
      const ready = readiness.findLast((entry) => entry.startedAt > startedAt && entry.status === 200);
      if (ready) {
        readyAt = ready.startedAt + ready.ms;
        break;
      }
      await Bun.sleep(20);
    }
    await Bun.sleep(4_000);
    loading = false;
    probing = false;
    await Promise.all([...load, probe]);

    if (authd.process.exitCode !== null) console.log(authd.lines.slice(-20).join("\n")); // why it died
    expect(authd.process.exitCode).toBeNull(); // still running
    expect(calls.filter((entry) => entry.status === 500 || entry.status === -1)).toEqual([]);
    const duringOutage = calls.filter((entry) => entry.startedAt > stoppedAt && entry.startedAt + entry.ms < restartingAt);
    expect(duringOutage.length).toBeGreaterThan(10);
    for (const entry of duringOutage) {
      expect(entry.status).toBe(503);
      expect(entry.code).toBe("service_unavailable");
    }
    const slowest = Math.max(...duringOutage.map((entry) => entry.ms));
    expect(slowest).toBeLessThan(2_000);
    const readyDuring = readiness.filter((entry) => entry.startedAt > stoppedAt && entry.startedAt + entry.ms < restartingAt);
    expect(readyDuring.length).toBeGreaterThan(0);
    for (const entry of readyDuring) expect(entry.status).toBe(503);
    expect((await fetch(`${authd.base}/healthz`)).status).toBe(200);

    expect(readyAt).toBeLessThan(Number.POSITIVE_INFINITY);
    const afterRecovery = calls.filter((entry) => entry.startedAt > readyAt);
    expect(afterRecovery.length).toBeGreaterThan(10);
    const failedAfter = afterRecovery.filter((entry) => entry.status >= 300);
    expect(failedAfter, "after recovery").toEqual([]);
    const beforeOutage = calls.filter((entry) => entry.startedAt + entry.ms < stoppingAt);
    expect(beforeOutage.filter((entry) => entry.status >= 300), "before the outage").toEqual([]);
    const unavailable = calls.filter((entry) => entry.status === 503);
    console.log(
      `outage: ${duringOutage.length} requests answered 503 (slowest ${Math.round(slowest)} ms, ` +
        `503 phase ${Math.round(unavailable.at(-1)!.startedAt - unavailable[0]!.startedAt)} ms); ` +
        `ready ${Math.round(readyAt - startedAt)} ms after PostgreSQL accepted connections again; ` +
        `${calls.length} requests in all, ${successors.size} rotations`,
    );

    // Nothing spent twice: each presented token got one successor. Nothing answered lost: every
    // token handed out is in the database, and each worker's last one rotates exactly once.
    for (const [presented, next] of successors) expect(next.size, presented).toBe(1);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const [{ stored }] = (await sql`select count(*)::int as stored from refresh_tokens where token_hash = any(${answered.map(sha256)})`) as unknown as [{ stored: number }];
    await sql.end();
    expect(stored).toBe(answered.length);
    // The other instance listens again: a settings change reaches it by NOTIFY (under 1 s), not
    // only by its 2 s re-read.
    const seenAfter = await lifetimeChangeSeen(authd, other, admin, 1800, workers[0]!.email);
    console.log(`after the outage, a settings change reached the other instance in ${Math.round(seenAfter)} ms`);
    expect(seenAfter).toBeLessThan(1_000);

    for (const worker of workers) {
      const first = await json(authd.base, "POST", "/api/refresh/", { refresh_token: worker.refresh });
      const again = await json(authd.base, "POST", "/api/refresh/", { refresh_token: worker.refresh });
      expect(first.status).toBe(200);
      expect(again.body.refresh_token).toBe(first.body.refresh_token); // one successor, within the reuse interval
    }
  }, 90_000);
});

/**
 * Starts authd, fires registrations and refreshes at it, kills it with SIGKILL while part of
 * them are answered and the rest in flight, starts it again over the same data: every 201 can
 * log in, every refresh answered 200 has a usable successor.
 */
async function killDuringBurst(start: () => Promise<RunningAuthd>) {
  let authd = await start();
  await json(authd.base, "POST", "/api/register/", { email: "owner@example.com", password: PASSWORD });
  const tokens: string[] = [];
  for (let i = 0; i < 150; i++)
    tokens.push((await json(authd.base, "POST", "/api/login/", { email: "owner@example.com", password: PASSWORD })).body.refresh_token);

  const registered: string[] = [];
  const successors: string[] = [];
  const base = authd.base;
  const attempt = async <T>(work: () => Promise<T>) => work().catch(() => undefined); // cut off by the kill
  const burst = [
    ...Array.from({ length: 150 }, (_, i) =>
      attempt(async () => {
        const email = `burst${i}@example.com`;
        if ((await json(base, "POST", "/api/register/", { email, password: PASSWORD })).status === 201) registered.push(email);
      }),
    ),
    ...tokens.map((token) =>
      attempt(async () => {
        const rotated = await json(base, "POST", "/api/refresh/", { refresh_token: token });
        if (rotated.status === 200) successors.push(rotated.body.refresh_token);
      }),
    ),
  ];
  while (registered.length < 10 || successors.length < 10) await Bun.sleep(1);
  authd.process.kill("SIGKILL");
  await Promise.all(burst);
  await authd.exited;
  console.log(`kill -9 after ${registered.length} registrations and ${successors.length} refreshes were answered`);
  expect(registered.length + successors.length).toBeLessThan(150 + tokens.length); // some were cut off

  authd = await start();
  for (const email of registered) expect((await json(authd.base, "POST", "/api/login/", { email, password: PASSWORD })).status, email).toBe(200);
  for (const token of successors) expect((await json(authd.base, "POST", "/api/refresh/", { refresh_token: token })).status).toBe(200);
}

describe("kill -9 of authd during a burst of registrations and refreshes: nothing answered is lost", () => {
  test.skipIf(!available)("on PostgreSQL", async () => {
    const url = await database("kill9");
    await killDuringBurst(() => authdOn(url));
  }, 60_000);

  // The PGlite pass of the suite covers the embedded database.
  test.skipIf(Boolean(process.env.TEST_DATABASE_URL))("embedded (PGlite in DATA_DIR)", async () => {
    bin ??= await buildBinary();
    const dataDir = join(work, "embedded");
    await killDuringBurst(async () => {
      const instance = await startAuthd(bin, { cwd: work, env: authdEnv({ DATA_DIR: dataDir }) });
      running.push(instance);
      return instance;
    });
  }, 90_000);
});
