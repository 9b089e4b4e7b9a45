import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { authdEnv, jsonRequest, lonelyBinary, runAuthd, startAuthd } from "../support/binary-helpers";
import { createServerDatabase, decodeJwt } from "../support/helpers";

/**
 * The compiled binary, copied alone into an empty directory, as someone would run it on a VPS.
 * Embedded PGlite by default; PostgreSQL when TEST_DATABASE_URL is set.
 */
setDefaultTimeout(120_000);

const serverUrl = process.env.TEST_DATABASE_URL;
const mode = serverUrl ? "PostgreSQL" : "PGlite";
const SECRET = "binary-test-secret-of-at-least-32-bytes!";
const ED25519_PEM = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const journal = (await Bun.file(join(import.meta.dir, "../../drizzle/meta/_journal.json")).json()) as { entries: unknown[] };

let dir: string;
let bin: string;
let env: Record<string, string>;
const cleanups: Array<() => Promise<void>> = [];

async function databaseEnv(): Promise<Record<string, string>> {
  if (!serverUrl) return {};
  const database = await createServerDatabase(serverUrl);
  cleanups.push(database.drop);
  return { DATABASE_URL: database.url, JWT_SECRET: SECRET };
}

beforeAll(async () => {
  ({ dir, bin } = await lonelyBinary());
  env = authdEnv(await databaseEnv());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const admin = { email: "admin@example.com", password: "admin-password" };
const user = { email: "user@example.com", password: "user-password" };

describe(`the binary alone in an empty directory (${mode})`, () => {
  let userTokens: { access_token: string; refresh_token: string };

  test("createsuperuser, then register, login, me, refresh, logout and an admin setting change", async () => {
    const created = await runAuthd(bin, ["createsuperuser", "--email", admin.email, "--password", admin.password], { cwd: dir, env });
    expect(created).toMatchObject({ exitCode: 0, stdout: `Created superuser ${admin.email}.\n` });

    const server = await startAuthd(bin, { cwd: dir, env });
    try {
      const { base } = server;
      expect((await jsonRequest(base, "POST", "/api/register/", user)).status).toBe(201);
      const login = await jsonRequest(base, "POST", "/api/login/", user);
      expect(login.status).toBe(200);
      const tokens = (await login.json()) as { access_token: string; refresh_token: string };
      const me = await jsonRequest(base, "GET", "/api/me/", undefined, tokens.access_token);
      expect(((await me.json()) as { email: string }).email).toBe(user.email);
      const refreshed = await jsonRequest(base, "POST", "/api/refresh/", { refresh_token: tokens.refresh_token });
      expect(refreshed.status).toBe(200);
      const rotated = (await refreshed.json()) as { refresh_token: string };
      expect((await jsonRequest(base, "POST", "/api/logout/", { refresh_token: rotated.refresh_token })).status).toBe(200);
      expect((await jsonRequest(base, "POST", "/api/refresh/", { refresh_token: rotated.refresh_token })).status).toBe(401);

      const adminLogin = (await (await jsonRequest(base, "POST", "/api/login/", admin)).json()) as { access_token: string };
      const change = await jsonRequest(base, "PATCH", "/api/admin/config/", { access_token_lifetime: 600 }, adminLogin.access_token);
      expect(change.status).toBe(200);
      userTokens = (await (await jsonRequest(base, "POST", "/api/login/", user)).json()) as typeof userTokens;
      const { payload } = decodeJwt(userTokens.access_token);
      expect(payload.exp - payload.iat).toBe(600);

      const huge = await jsonRequest(base, "POST", "/api/register/", { email: "big@example.com", password: "x".repeat(1_000_000) });
      expect(huge.status).toBe(413);
      expect(((await huge.json()) as { code: string }).code).toBe("payload_too_large");
      // Past Bun's own default limits too, with a declared length and chunked: still the JSON shape.
      const twoMiB = JSON.stringify({ email: "big@example.com", password: "x".repeat(2 * 1024 * 1024) });
      const chunked = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(twoMiB));
          controller.close();
        },
      });
      for (const body of [twoMiB, chunked]) {
        const response = await fetch(`${base}/api/register/`, { method: "POST", headers: { "content-type": "application/json" }, body });
        expect(response.status).toBe(413);
        expect(((await response.json()) as { code: string }).code).toBe("payload_too_large");
      }
      const nul = await fetch(`${base}/api/login/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"email": "user@example.com\\u0000", "password": "x\\u0000"}',
      });
      expect(nul.status).toBe(400);

      const docs = await fetch(`${base}/api-doc/`);
      expect(docs.status).toBe(200);
      expect((await fetch(`${base}/api-doc/assets/swagger-ui-bundle.js`)).status).toBe(200);
      expect(server.logs.some((line) => line.message === "request" && line.path === "/api/login/")).toBe(true);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test("a restart keeps users, settings and the validity of unexpired tokens", async () => {
    const server = await startAuthd(bin, { cwd: dir, env });
    try {
      const { base } = server;
      const me = await jsonRequest(base, "GET", "/api/me/", undefined, userTokens.access_token);
      expect(me.status).toBe(200);
      const refreshed = await jsonRequest(base, "POST", "/api/refresh/", { refresh_token: userTokens.refresh_token });
      expect(refreshed.status).toBe(200);
      const { payload } = decodeJwt(((await refreshed.json()) as { access_token: string }).access_token);
      expect(payload.exp - payload.iat).toBe(600);
      expect((await jsonRequest(base, "POST", "/api/login/", user)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  if (!serverUrl) {
    test("a first start with no database yet creates it (initdb and migrations in a child process), then serves", async () => {
      const fresh = await lonelyBinary();
      const server = await startAuthd(fresh.bin, { cwd: fresh.dir, env });
      try {
        const created = server.logs.filter((line) => line.message === "embedded database created");
        expect(created).toEqual([expect.objectContaining({ data_dir: "./authd-data", migrations: journal.entries.length })]);
        expect(server.logs.some((line) => line.message === "migrations applied")).toBe(false);
        expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
        expect((await jsonRequest(server.base, "POST", "/api/register/", user)).status).toBe(201);
      } finally {
        expect(await server.stop()).toBe(0);
      }
      expect(await Bun.file(join(fresh.dir, "authd-data", "pgdata", "PG_VERSION")).exists()).toBe(true);
    });

    test("keeps its data in ./authd-data and the generated secret private", async () => {
      const stat = await Bun.file(join(dir, "authd-data", "jwt-secret")).stat();
      expect(stat.mode & 0o777).toBe(0o600);
      expect(await Bun.file(join(dir, "authd-data", "pgdata", "PG_VERSION")).exists()).toBe(true);
    });

    test("a second binary on the same DATA_DIR exits with a clear message", async () => {
      const first = await startAuthd(bin, { cwd: dir, env });
      try {
        const second = await runAuthd(bin, ["serve"], { cwd: dir, env });
        expect(second.exitCode).toBe(1);
        expect(second.stderr).toMatch(/^authd: DATA_DIR \.\/authd-data is in use by another authd process \(pid \d+\)\n$/);
        expect((await fetch(`${first.base}/healthz`)).status).toBe(200);
      } finally {
        expect(await first.stop()).toBe(0);
      }
      // The lock goes with the process: the next start succeeds.
      const next = await startAuthd(bin, { cwd: dir, env });
      expect(await next.stop()).toBe(0);
    });
  } else {
    test("two binaries started at once on one PostgreSQL both come up; migrations apply once", async () => {
      const shared = authdEnv(await databaseEnv());
      const servers = await Promise.all([startAuthd(bin, { cwd: dir, env: shared }), startAuthd(bin, { cwd: dir, env: shared })]);
      try {
        for (const server of servers) expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
        const sql = postgres(shared.DATABASE_URL!, { max: 1, onnotice: () => {} });
        const [row] = await sql`select count(*)::int as applied from drizzle.__drizzle_migrations`;
        await sql.end();
        expect(row!.applied).toBe(journal.entries.length);
        const applied = servers.flatMap((server) => server.logs.filter((line) => line.message === "migrations applied"));
        expect(applied).toHaveLength(1);
      } finally {
        for (const server of servers) expect(await server.stop()).toBe(0);
      }
    });
  }

  test("SIGTERM during a slow request lets it complete, then the process exits 0", async () => {
    // Registration hashes the password; this cost makes that take a good fraction of a second.
    const slowEnv = { ...env, PASSWORD_MEMORY_COST: "65536", PASSWORD_TIME_COST: "8" };
    const server = await startAuthd(bin, { cwd: dir, env: slowEnv });
    const slow = jsonRequest(server.base, "POST", "/api/register/", { email: "slow@example.com", password: "password123" });
    await Bun.sleep(100);
    server.process.kill("SIGTERM");
    const response = await slow;
    expect(response.status).toBe(201);
    expect(await server.exited).toBe(0);
    const shutdown = server.logs.find((line) => line.message === "shutting down");
    expect(shutdown?.in_flight).toBe(1);
    const request = server.logs.find((line) => line.message === "request" && line.path === "/api/register/");
    expect(request).toMatchObject({ status: 201 });
    expect(request!.duration_ms as number).toBeGreaterThan(100);
  });

  test("SIGTERM while serving a client that hung up: its request still completes before the pool closes", async () => {
    const slowEnv = { ...env, PASSWORD_MEMORY_COST: "65536", PASSWORD_TIME_COST: "8" };
    const server = await startAuthd(bin, { cwd: dir, env: slowEnv });
    const hungUp = new AbortController();
    const abandoned = { email: "hung-up@example.com", password: "password123" };
    const request = fetch(`${server.base}/api/register/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(abandoned),
      signal: hungUp.signal,
    }).catch(() => "aborted");
    await Bun.sleep(100);
    hungUp.abort();
    expect(await request).toBe("aborted");
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.logs.filter((line) => line.level === "error")).toEqual([]);

    const again = await startAuthd(bin, { cwd: dir, env });
    try {
      expect((await jsonRequest(again.base, "POST", "/api/login/", abandoned)).status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });

  test("createsuperuser works while the server runs, and promotes an existing user instead of making a second account", async () => {
    const server = await startAuthd(bin, { cwd: dir, env });
    try {
      const { base } = server;
      const member = { email: "member-while-running@example.com", password: "member-password" };
      expect((await jsonRequest(base, "POST", "/api/register/", member)).status).toBe(201);
      const promoted = await runAuthd(bin, ["createsuperuser", "--email", member.email.toUpperCase()], { cwd: dir, env });
      expect(promoted).toMatchObject({ exitCode: 0, stdout: `Promoted ${member.email} to superuser.\n` });
      const created = await runAuthd(bin, ["createsuperuser", "--email", "live-root@example.com", "--password", "live-root-password"], { cwd: dir, env });
      expect(created).toMatchObject({ exitCode: 0, stdout: "Created superuser live-root@example.com.\n" });
      for (const account of [member, { email: "live-root@example.com", password: "live-root-password" }]) {
        const { access_token } = (await (await jsonRequest(base, "POST", "/api/login/", account)).json()) as { access_token: string };
        expect((await jsonRequest(base, "GET", "/api/admin/config/", undefined, access_token)).status).toBe(200);
      }
      const { access_token } = (await (await jsonRequest(base, "POST", "/api/login/", member)).json()) as { access_token: string };
      const list = (await (await jsonRequest(base, "GET", `/api/admin/users/?query=${member.email}`, undefined, access_token)).json()) as { count: number };
      expect(list.count).toBe(1);
      if (!serverUrl) expect(statSync(join(dir, "authd-data", "authd.sock")).mode & 0o777).toBe(0o600);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test("createsuperuser reads the password from standard input and promotes existing users", async () => {
    const fromStdin = await runAuthd(bin, ["createsuperuser", "--email", "piped@example.com"], {
      cwd: dir,
      env,
      stdin: "piped-password\n",
    });
    expect(fromStdin).toMatchObject({ exitCode: 0, stdout: "Created superuser piped@example.com.\n" });
    const promoted = await runAuthd(bin, ["createsuperuser", "--email", user.email], { cwd: dir, env });
    expect(promoted).toMatchObject({ exitCode: 0, stdout: `Promoted ${user.email} to superuser.\n` });

    const server = await startAuthd(bin, { cwd: dir, env });
    try {
      const login = await jsonRequest(server.base, "POST", "/api/login/", { email: "piped@example.com", password: "piped-password" });
      const { access_token } = (await login.json()) as { access_token: string };
      expect((await jsonRequest(server.base, "GET", "/api/admin/config/", undefined, access_token)).status).toBe(200);
      const userLogin = (await (await jsonRequest(server.base, "POST", "/api/login/", user)).json()) as { access_token: string };
      expect((await jsonRequest(server.base, "GET", "/api/admin/config/", undefined, userLogin.access_token)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test("migrate applies nothing more on an up-to-date database", async () => {
    const result = await runAuthd(bin, ["migrate"], { cwd: dir, env });
    expect(result).toMatchObject({ exitCode: 0, stdout: "No pending migrations.\n" });
  });
});

describe(`CLI errors: one clear line and a non-zero exit (${mode})`, () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp, string?]> = [
    ["an unknown command", ["bogus"], {}, /^authd: unknown command "bogus" \(see authd --help\)$/],
    ["extra arguments to serve", ["serve", "now"], {}, /^authd: serve takes no arguments/],
    ["a bad PORT", [], { PORT: "http" }, /^authd: invalid PORT "http"/],
    ["an out-of-range PORT", [], { PORT: "70000" }, /^authd: invalid PORT "70000"/],
    ["a bad LOG_LEVEL", [], { LOG_LEVEL: "loud" }, /^authd: invalid LOG_LEVEL "loud"/],
    ["a TRUST_PROXY that is no count, boolean or address list", [], { TRUST_PROXY: "10.0.0.0/8, proxy.internal" }, /^authd: invalid TRUST_PROXY "10\.0\.0\.0\/8, proxy\.internal": "proxy\.internal" is neither an IP address nor a CIDR range/],
    ["a TRUST_PROXY CIDR with too many bits", [], { TRUST_PROXY: "10.0.0.0/33" }, /^authd: invalid TRUST_PROXY "10\.0\.0\.0\/33"/],
    ["a JWT_SECRET under 32 bytes", [], { JWT_SECRET: "too-short" }, /^authd: invalid JWT_SECRET: must be at least 32 bytes$/],
    ["DATABASE_URL without JWT_SECRET", [], { DATABASE_URL: "postgres://u@127.0.0.1/db", JWT_SECRET: "" }, /^authd: JWT_SECRET is required when DATABASE_URL is set/],
    ["a DATABASE_URL that is not postgres", [], { DATABASE_URL: "mysql://x", JWT_SECRET: SECRET }, /^authd: invalid DATABASE_URL/],
    ["a JWT_SECRET_PREVIOUS under 32 bytes", [], { JWT_SECRET_PREVIOUS: "short" }, /^authd: invalid JWT_SECRET_PREVIOUS: must be at least 32 bytes$/],
    ["an unsupported JWT_ALGORITHM", [], { JWT_ALGORITHM: "RS256" }, /^authd: invalid JWT_ALGORITHM "RS256"/],
    ["EdDSA without a private key", [], { JWT_ALGORITHM: "EdDSA" }, /^authd: JWT_ALGORITHM=EdDSA needs JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE$/],
    ["ES256 with an Ed25519 key", [], { JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: ED25519_PEM }, /^authd: invalid JWT_PRIVATE_KEY: JWT_ALGORITHM=ES256 needs a P-256 EC key$/],
    ["an unreadable JWT_PRIVATE_KEY_FILE", [], { JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY_FILE: "/nonexistent/key.pem" }, /^authd: invalid JWT_PRIVATE_KEY_FILE: cannot read \/nonexistent\/key\.pem \(ENOENT\)$/],
    ["createsuperuser without --email", ["createsuperuser"], {}, /^authd: createsuperuser needs --email$/],
    ["createsuperuser with a bad email", ["createsuperuser", "--email", "nope", "--password", "password123"], {}, /^authd: invalid email "nope"$/],
    ["createsuperuser with a short password", ["createsuperuser", "--email", "a@example.com", "--password", "short"], {}, /^authd: invalid password: it must be 8 to 128 characters$/],
    ["createsuperuser with an unknown option", ["createsuperuser", "--email", "a@example.com", "--admin"], {}, /^authd: .*--admin/],
    ["createsuperuser with nothing on stdin", ["createsuperuser", "--email", "new@example.com"], {}, /^authd: no password given: pass --password or send it on standard input$/, ""],
    ["createsuperuser with a short password on stdin", ["createsuperuser", "--email", "new@example.com"], {}, /^authd: invalid password/, "short\n"],
    ["an unreachable database", ["migrate"], { DATABASE_URL: "postgres://postgres:pw@127.0.0.1:1/none", JWT_SECRET: SECRET, STARTUP_TIMEOUT: "1" }, /^authd: database unreachable at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none: ECONNREFUSED/],
  ];
  if (!serverUrl)
    // The child process that creates the database fails; its reason is the one line.
    cases.push(["a DATA_DIR that cannot be created", [], { DATA_DIR: "./authd/data" }, /^authd: .*ENOTDIR/]);
  for (const [name, args, extra, expected, stdin] of cases) {
    test(name, async () => {
      const result = await runAuthd(bin, args, { cwd: dir, env: { ...env, LOG_LEVEL: "error", ...extra }, stdin });
      expect(result.exitCode).not.toBe(0);
      expect(result.stdout).toBe("");
      const lines = result.stderr.split("\n").filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
    });
  }

  test("an unreachable database is retried with backoff, logged as warnings, before giving up", async () => {
    const started = performance.now();
    const result = await runAuthd(bin, ["serve"], {
      cwd: dir,
      env: { ...env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", JWT_SECRET: SECRET, STARTUP_TIMEOUT: "2" },
    });
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.split("\n").filter(Boolean);
    const retries = lines.filter((line) => line.includes("database unreachable, retrying"));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(/^authd: database unreachable/);
    expect(performance.now() - started).toBeGreaterThan(1500);
  });

  test("a port already in use", async () => {
    const blocker = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("taken") });
    try {
      const result = await runAuthd(bin, ["serve"], { cwd: dir, env: { ...env, LOG_LEVEL: "error", PORT: String(blocker.port) } });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe(`authd: port ${blocker.port} on 127.0.0.1 is already in use\n`);
    } finally {
      blocker.stop(true);
    }
  });

  test("--help and --version answer on stdout and exit 0", async () => {
    const help = await runAuthd(bin, ["--help"], { cwd: dir, env });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("authd createsuperuser --email E [--password P]");
    for (const command of ["serve", "migrate", "createsuperuser"]) {
      const commandHelp = await runAuthd(bin, [command, "--help"], { cwd: dir, env });
      expect(commandHelp.exitCode).toBe(0);
      expect(commandHelp.stdout).toStartWith(`Usage: authd ${command}`);
    }
    const version = await runAuthd(bin, ["--version"], { cwd: dir, env });
    expect(version).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^authd \d+\.\d+\.\d+\n$/) });
  });
});
