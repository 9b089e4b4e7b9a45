/**
 * Start-up cost of the compiled binary: size, exec → first 200, idle RSS, on PGlite (first and
 * later starts) and PostgreSQL. On demand: `bun run bench:startup` (PostgreSQL on
 * BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authdEnv, buildBinary } from "../support/binary-helpers";
import { createServerDatabase } from "../support/helpers";

const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SECRET = "bench-secret-of-at-least-thirty-two-bytes";

const rssMiB = (pid: number) => {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) / 1024 : Number.NaN;
};

async function measure(bin: string, cwd: string, env: Record<string, string>, port: number) {
  const started = performance.now();
  const child = Bun.spawn([bin, "serve"], { cwd, env: { ...env, PORT: String(port), LOG_LEVEL: "warn" }, stdout: "ignore", stderr: "inherit" });
  let firstOk = Number.NaN;
  while (performance.now() - started < 60_000) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) {
        firstOk = performance.now() - started;
        break;
      }
    } catch {}
    await Bun.sleep(2);
  }
  await Bun.sleep(3000); // settle: the RSS of an idle server
  const rss = rssMiB(child.pid);
  child.kill("SIGTERM");
  await child.exited;
  return { firstOk, rss };
}

const bin = await buildBinary();
const dir = mkdtempSync(join(tmpdir(), "authd-startup-"));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const rows: string[][] = [];
const ms = (value: number) => `${value.toFixed(0)} ms`;
const mib = (value: number) => `${value.toFixed(0)} MiB`;

const pgliteEnv = authdEnv({ DATA_DIR: join(dir, "data") });
const first = await measure(bin, dir, pgliteEnv, port);
rows.push(["PGlite, first start (initdb + migrations)", ms(first.firstOk), mib(first.rss)]);
const later = await measure(bin, dir, pgliteEnv, port);
rows.push(["PGlite, later start", ms(later.firstOk), mib(later.rss)]);

const database = await createServerDatabase(serverUrl);
try {
  const pgEnv = authdEnv({ DATABASE_URL: database.url, JWT_SECRET: SECRET });
  const pgFirst = await measure(bin, dir, pgEnv, port);
  rows.push(["PostgreSQL, first start (migrations)", ms(pgFirst.firstOk), mib(pgFirst.rss)]);
  const pgLater = await measure(bin, dir, pgEnv, port);
  rows.push(["PostgreSQL, later start", ms(pgLater.firstOk), mib(pgLater.rss)]);
} finally {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`binary: ${(statSync(bin).size / 1024 / 1024).toFixed(1)} MiB (${bin})\n`);
console.log("| start | exec → first 200 | idle RSS |\n|---|---|---|");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
