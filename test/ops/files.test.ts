import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { authdEnv, jsonRequest, lonelyBinary, runAuthd, startAuthd } from "../support/binary-helpers";

/**
 * The embedded database's files, as another local account would meet them: the compiled
 * binary, started under the loosest umask there is (000).
 */
setDefaultTimeout(60_000);

const { dir, bin } = await lonelyBinary();
// Reachable by anyone: only DATA_DIR's own modes may keep others out.
chmodSync(dir, 0o755);
const dataDir = join(dir, "authd-data");
const env = authdEnv();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `find DATA_DIR ! -user $(id -u) -o -perm /077` prints: entries not ours or open to group/others. */
async function exposed(): Promise<string[]> {
  const uid = process.getuid!();
  const output = await Bun.$`find ${dataDir} ${["(", "!", "-user", String(uid), "-o", "-perm", "/077", ")", "-print"]}`.text();
  return output.split("\n").filter(Boolean);
}

async function serveOnce(check: (base: string) => Promise<void> = async () => {}) {
  const server = await startAuthd(bin, { cwd: dir, env, umask: "000" });
  try {
    await check(server.base);
  } finally {
    expect(await server.stop()).toBe(0);
  }
  return server;
}

describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))("DATA_DIR is the owner's alone (embedded database)", () => {
  test("after a first start under umask 000, nothing under DATA_DIR is open to group or others", async () => {
    await serveOnce(async (base) => {
      expect((await jsonRequest(base, "POST", "/api/register/", { email: "files@example.com", password: "password123" })).status).toBe(201);
      expect(await exposed()).toEqual([]);
    });
    expect(((await Bun.file(dataDir).stat()).mode & 0o777).toString(8)).toBe("700");
    expect(await exposed()).toEqual([]);
  });

  test("after a restart (new WAL and catalog files written), still nothing", async () => {
    await serveOnce(async (base) => {
      for (let i = 0; i < 20; i++) await jsonRequest(base, "POST", "/api/register/", { email: `more-${i}@example.com`, password: "password123" });
    });
    expect(await exposed()).toEqual([]);
  });

  test("a directory left 0755/0666 by an older authd is tightened at start, and says so once", async () => {
    await Bun.$`chmod -R go+rwX ${dataDir}`;
    expect((await exposed()).length).toBeGreaterThan(900);
    const server = await serveOnce();
    expect(await exposed()).toEqual([]);
    const warnings = server.logs.filter((line) => line.message === "DATA_DIR had files readable or writable by others: made owner-only");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.tightened as number).toBeGreaterThan(900);
    expect((await serveOnce()).logs.some((line) => String(line.message).startsWith("DATA_DIR had files"))).toBe(false);
  });

  const asNobody = process.getuid?.() === 0 && Bun.which("runuser") !== null;
  test.skipIf(!asNobody)("another local account can read nothing of it: not the WAL, not pg_control, not the secret", async () => {
    for (const path of ["pgdata/pg_wal/000000010000000000000001", "pgdata/global/pg_control", "jwt-secret", "pgdata/pg_hba.conf"]) {
      const attempt = await Bun.$`runuser -u nobody -- cat ${join(dataDir, path)}`.nothrow().quiet();
      expect(attempt.exitCode, path).not.toBe(0);
      expect(attempt.stderr.toString(), path).toContain("Permission denied");
    }
    const listing = await Bun.$`runuser -u nobody -- ls ${dataDir}`.nothrow().quiet();
    expect(listing.exitCode).not.toBe(0);
  });

  test("a jwt-secret shorter than 32 bytes is refused: exit 2, one line naming the file", async () => {
    const secret = join(dataDir, "jwt-secret");
    const kept = await Bun.file(secret).text();
    writeFileSync(secret, "abc\n", { mode: 0o600 });
    try {
      const result = await runAuthd(bin, ["serve"], { cwd: dir, env });
      expect(result.exitCode).toBe(2);
      const lines = result.stderr.split("\n").filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^authd: invalid (\.\/)?authd-data\/jwt-secret: the JWT secret must be at least 32 bytes/);
    } finally {
      writeFileSync(secret, kept, { mode: 0o600 });
    }
  });
});
