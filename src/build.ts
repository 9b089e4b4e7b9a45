/**
 * `bun run build`: the single binary, built twice. The first build runs once, briefly, as a
 * server (embedded mode; also on PostgreSQL when BUILD_DATABASE_URL names a server to create a
 * scratch database on) with a few requests, and records which functions ran
 * (BUN_BYTECODE_ORDER_OUT); the second lays their bytecode out first (--bytecode-order), so a
 * running authd touches fewer pages of its own executable: ~4 MiB less idle memory. Code
 * splitting keeps what is imported on demand (a database driver, nodemailer, prom-client's
 * process metrics) out of memory until it is.
 * `--arm64` cross-compiles (dist/authd-linux-arm64) without the training run: it cannot run here.
 * `--untrained --outfile=PATH` builds once, without the training run (the tests' own build).
 *
 * Minified but for identifiers: Elysia's compiled handlers tell a failed query decode by TypeBox's
 * error class name, and renamed classes let `?limit=0` reach the handler unchecked (an unbounded
 * list) and `?offset=-1` a 500. Bun's `--keep-names` keeps no class name yet (oven-sh/bun#40503);
 * the names cost 0.7 MB.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

const arm64 = process.argv.includes("--arm64");
const untrained = process.argv.includes("--untrained");
const outfile = process.argv.find((arg) => arg.startsWith("--outfile="))?.slice("--outfile=".length) ?? (arm64 ? "dist/authd-linux-arm64" : "dist/authd");
const base = ["bun", "build", "src/main.ts", "src/password-worker.ts", "--compile", "--splitting", "--minify-syntax", "--minify-whitespace", "--bytecode", "--format=esm"];
const scratch = mkdtempSync(join(tmpdir(), "authd-build-"));

async function run(command: string[], env: Record<string, string | undefined> = process.env) {
  const child = Bun.spawn(command, { env, stdout: "inherit", stderr: "inherit" });
  if ((await child.exited) !== 0) throw new Error(`${command.join(" ")} failed`);
}

/** Runs `binary serve` until it listens, sends a login's worth of requests, stops it; the order file it wrote. */
async function train(binary: string, name: string, env: Record<string, string>): Promise<string> {
  const order = join(scratch, `${name}.order`);
  const child = Bun.spawn([binary, "serve"], {
    cwd: scratch,
    env: { PATH: process.env.PATH, HOME: scratch, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", BUN_BYTECODE_ORDER_OUT: order, ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  // stderr is read to its end (a pipe left unread would block the server's logging).
  let output = "";
  const listening = new Promise<string | undefined>((resolve) => {
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        output += decoder.decode(chunk, { stream: true });
        const url = output.match(/"message":"listening","url":"([^"]+)"/)?.[1];
        if (url) resolve(url);
      }
      resolve(undefined);
    })();
  });
  const url = await listening;
  if (!url) throw new Error(`training run (${name}) did not start: ${output}`);
  const json = async (path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as Record<string, string>;
  };
  const account = { email: "build@example.com", password: "build-password-1" };
  await json("/healthz");
  await json("/api/register/", account);
  const tokens = await json("/api/login/", account);
  await json("/api/me/", undefined, tokens.access_token);
  await json("/api/refresh/", { refresh_token: tokens.refresh_token });
  child.kill("SIGTERM");
  await child.exited;
  return order;
}

try {
  if (arm64) {
    await run([...base, "--target=bun-linux-arm64", "--outfile", outfile]);
  } else if (untrained) {
    await run([...base, "--outfile", outfile]);
  } else {
    const first = join(scratch, "authd");
    await run([...base, "--outfile", first]);
    const orders: string[] = [];
    const serverUrl = process.env.BUILD_DATABASE_URL;
    if (serverUrl) {
      // PostgreSQL mode first: most important first, and the embedded run adds PGlite's code.
      const name = `authd_build_${process.pid}`;
      const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database "${name}"`);
      try {
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        orders.push(await train(first, "postgres", { DATABASE_URL: url.toString(), JWT_SECRET: crypto.randomUUID().repeat(2) }));
      } finally {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.end();
      }
    }
    orders.push(await train(first, "embedded", { DATA_DIR: join(scratch, "data") }));
    await run([...base, `--bytecode-order=${orders.join(",")}`, "--outfile", outfile]);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
