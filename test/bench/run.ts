/**
 * `bun run bench`: the compiled binary on a fresh PostgreSQL database under wrk, each scenario
 * beside its ceiling measured in the same run on the same machine. Run on demand, never in CI.
 *
 * Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS
 * (per scenario, default 10), AUTHD_BINARY (skip the build), BENCH_OUT (JSON, default
 * dist/bench.json), BENCH_ONLY (comma-separated scenario names to run, for quick iterations).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createServerDatabase } from "../support/helpers";

const ROOT = join(import.meta.dir, "../..");
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const LOGIN_WARMUP_SECONDS = 10;
/**
 * A scenario with a ceiling is measured in SLICES slices of SECONDS / 2 each, interleaved with
 * slices of its ceiling: this machine's throughput drifts by 10-15 % over tens of seconds (other
 * tenants' load), and interleaving lets both see the same machine.
 */
const SLICES = 5;
const SLICE_SECONDS = Math.max(1, Math.round(SECONDS / 2));
const SECRET = "bench-secret-of-at-least-thirty-two-bytes!!";
const PASSWORD = "bench-password-1";
const ACCOUNTS = 64;
const work = mkdtempSync(join(tmpdir(), "authd-bench-"));

const log = (message: string) => console.error(`[bench] ${message}`);

async function run(command: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const child = Bun.spawn(command, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`${command.join(" ")} exited ${code}: ${stderr || stdout}`);
  return stdout;
}

async function ensureWrk() {
  if (Bun.which("wrk")) return;
  log("installing wrk (Debian package)");
  await run(["sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk"]);
}

async function waitFor(url: string) {
  for (let attempt = 0; attempt < 400; attempt++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await Bun.sleep(25);
  }
  throw new Error(`${url} did not answer`);
}

/** A process's resident memory now, in MiB: all of it, and the pages of its executable and libraries. */
function resident(pid: number): { rss: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rss: kib("VmRSS") / 1024, file: kib("RssFile") / 1024 };
}

const FOOTPRINT = "idle RSS";
/** Idle and peak resident memory by mode and moment, in MiB (the README's footprint table). */
const footprint: Record<string, { rss: number; file?: number }> = {};

/**
 * Embedded mode as a new user meets it: the binary in an empty directory, started (initdb),
 * restarted, then some load (logins, GET /api/me/, refreshes) and 30 s of idling.
 */
async function embeddedFootprint(binary: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "authd-bench-embedded-"));
  const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port + 3), HOST: "127.0.0.1", LOG_LEVEL: "warn" };
  const embeddedBase = `http://127.0.0.1:${port + 3}`;
  const start = async () => {
    const child = Bun.spawn([binary, "serve"], { cwd: dataDir, env, stdout: "ignore", stderr: "inherit" });
    await waitFor(`${embeddedBase}/healthz`);
    await Bun.sleep(3_000);
    return child;
  };
  let child = await start();
  footprint["embedded, idle after the first start (initdb)"] = resident(child.pid);
  child.kill("SIGTERM");
  await child.exited;
  child = await start();
  footprint["embedded, idle after a restart"] = resident(child.pid);
  try {
    const stopSampling = rssSampler(child.pid);
    const json = { "content-type": "application/json" };
    await fetch(`${embeddedBase}/api/register/`, { method: "POST", headers: json, body: JSON.stringify({ email: "footprint@example.com", password: PASSWORD }) });
    const logins = await Promise.all(
      Array.from({ length: 16 }, () =>
        fetch(`${embeddedBase}/api/login/`, { method: "POST", headers: json, body: JSON.stringify({ email: "footprint@example.com", password: PASSWORD }) }).then(
          (response) => response.json() as Promise<{ access_token: string; refresh_token: string }>,
        ),
      ),
    );
    await wrk(`${embeddedBase}/api/me/`, "me", [logins[0]!.access_token], { seconds: 10 });
    for (const { refresh_token } of logins)
      await fetch(`${embeddedBase}/api/refresh/`, { method: "POST", headers: json, body: JSON.stringify({ refresh_token }) });
    footprint["embedded, peak under that load"] = { rss: stopSampling() };
    await Bun.sleep(30_000);
    footprint["embedded, idle 30 s after the load"] = resident(child.pid);
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

/** Samples a process's resident memory every 100 ms; `stop()` gives the peak in MiB. */
function rssSampler(pid: number) {
  let peak = 0;
  const sample = () => {
    try {
      const kib = Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
      peak = Math.max(peak, kib / 1024);
    } catch {}
  };
  sample();
  const timer = setInterval(sample, 100);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

interface WrkResult {
  requests: number;
  duration_us: number;
  non2xx: number;
  socket_errors: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
}

async function wrk(url: string, script: string, args: string[], { connections = 64, threads = 2, seconds = SECONDS } = {}) {
  const scriptPath = join(work, `${script}.lua`);
  await Bun.write(scriptPath, `${await Bun.file(join(import.meta.dir, "wrk", `${script}.lua`)).text()}\n${await Bun.file(join(import.meta.dir, "wrk", "report.lua")).text()}`);
  const output = await run(["wrk", `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "-s", scriptPath, url, "--", ...args]);
  const result = JSON.parse(output.trim().split("\n").at(-1)!) as WrkResult;
  return { ...result, rps: result.requests / (result.duration_us / 1e6) };
}

const only = process.env.BENCH_ONLY?.split(",");
const selected = (name: string) => !only || only.some((part) => name.includes(part));

const HASH_CEILING = "ceiling: Bun.password.verify";

/** Bun.password.verify throughput at authd's cost (ceiling-hash.ts), as `rps`. */
async function hashCeiling(seconds = Math.min(SECONDS, 5)) {
  const result = JSON.parse(await run(["bun", join(import.meta.dir, "ceiling-hash.ts")], { env: { SECONDS: String(seconds) } })) as {
    verified: number;
    duration_us: number;
    memoryCost: number;
    timeCost: number;
  };
  return { ...result, requests: result.verified, rps: result.verified / (result.duration_us / 1e6) };
}

const PROFILES = 100_000;
const PROFILE_SEARCH = `GET /api/users/?query= over ${PROFILES / 1000}k profiles at 100 req/s`;
const ME_DURING_LOGINS = "GET /api/me/ at ≤1,000 req/s while login is saturated";

const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

/** A response as the bench compares them: status, body, and every header but Date. */
async function snapshot(url: string, token: string) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const headers = [...response.headers].filter(([name]) => name !== "date").sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify({ status: response.status, headers, body: await response.text() });
}

/** A ceiling server (a script beside this one) on its own port, over authd's own database. */
async function startCeiling(script: string, ceilingPort: number, databaseUrl: string, ready: (base: string) => Promise<boolean>) {
  const child = Bun.spawn(["bun", join(import.meta.dir, script)], {
    env: { ...process.env, PORT: String(ceilingPort), DATABASE_URL: databaseUrl, JWT_SECRET: SECRET },
    stdout: "ignore",
    stderr: "inherit",
  });
  const ceilingBase = `http://127.0.0.1:${ceilingPort}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await ready(ceilingBase).catch(() => false)) break;
    await Bun.sleep(25);
  }
  return {
    base: ceilingBase,
    process: child,
    async stop() {
      child.kill();
      await child.exited;
    },
  };
}

/**
 * What a refresh left in the database: the presented token spent, the successor stored in the
 * same session with the refresh lifetime, the session used now and extended as far.
 */
async function rotationEffects(databaseUrl: string, presented: string, successor: string) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const hash = (token: string) => createHash("sha256").update(token).digest("hex");
  const [row] = await sql`
    select old.used_at is not null as presented_spent,
      new.used_at is null as successor_unspent,
      new.session_id = old.session_id as same_session,
      round(extract(epoch from new.expires_at - now()) / 60) as successor_minutes_left,
      round(extract(epoch from s.expires_at - now()) / 60) as session_minutes_left,
      s.last_used_at > now() - interval '1 minute' as session_used_now,
      (select count(*) from refresh_tokens where session_id = old.session_id)::int as tokens_in_session
    from refresh_tokens old join refresh_tokens new on new.token_hash = ${hash(successor)} join sessions s on s.id = old.session_id
    where old.token_hash = ${hash(presented)}`;
  await sql.end();
  return JSON.stringify(row ?? null);
}

/**
 * The POST /api/refresh/ ceiling (ceiling-refresh.ts). Before it is measured, one refresh through
 * each must leave the same rows behind (see `rotationEffects`) and answer the same shape.
 */
async function startRefreshCeiling(databaseUrl: string, [forAuthd, forCeiling]: [string, string]) {
  const ceiling = await startCeiling("ceiling-refresh.ts", port + 2, databaseUrl, async (url) =>
    (await fetch(url, { method: "POST", body: "{}" })).status === 400,
  );
  const refreshAt = async (url: string, token: string) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token: token }) });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, keys: Object.keys(body).sort().join(","), successor: body.refresh_token as string };
  };
  const ours = await refreshAt(`${base}/api/refresh/`, forAuthd);
  const theirs = await refreshAt(`${ceiling.base}/`, forCeiling);
  const [ourRows, theirRows] = await Promise.all([
    rotationEffects(databaseUrl, forAuthd, ours.successor),
    rotationEffects(databaseUrl, forCeiling, theirs.successor),
  ]);
  if (ours.status !== theirs.status || ours.keys !== theirs.keys || ourRows !== theirRows) {
    await ceiling.stop();
    throw new Error(`the refresh ceiling does other work:\n  authd:   ${ours.status} ${ours.keys} ${ourRows}\n  ceiling: ${theirs.status} ${theirs.keys} ${theirRows}`);
  }
  return ceiling;
}

/**
 * The GET /api/me/ ceiling (ceiling-me.ts) on its own port, over authd's own database. It
 * verifies the very token authd is measured with and must answer byte for byte what
 * /api/me/ answers (but the Date header): the same work for the client, minus authd's own.
 */
async function startMeCeiling(databaseUrl: string, token: string) {
  const ceiling = await startCeiling("ceiling-me.ts", port + 1, databaseUrl, async (url) =>
    (await fetch(`${url}/`, { headers: { authorization: `Bearer ${token}` } })).ok,
  );
  const [ours, theirs] = await Promise.all([snapshot(`${base}/api/me/`, token), snapshot(`${ceiling.base}/`, token)]);
  if (ours !== theirs) {
    await ceiling.stop();
    throw new Error(`the /api/me/ ceiling answers differently:\n  authd:   ${ours}\n  ceiling: ${theirs}`);
  }
  return ceiling;
}

async function main() {
  await ensureWrk();
  let binary = process.env.AUTHD_BINARY;
  if (!binary) {
    log("building the binary");
    await run(["bun", "run", "build"], { env: { BUILD_DATABASE_URL: SERVER_URL } });
    binary = join(ROOT, "dist/authd");
  }
  let ceiling: Awaited<ReturnType<typeof startMeCeiling>> | undefined;
  const database = await createServerDatabase(SERVER_URL);
  const env = {
    DATABASE_URL: database.url,
    JWT_SECRET: SECRET,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
  };
  const results: Record<string, unknown> = {};
  let server: ReturnType<typeof Bun.spawn> | undefined;
  try {
    await run([binary, "createsuperuser", "--email", "admin@example.com", "--password", PASSWORD], { env, cwd: work });
    server = Bun.spawn([binary, "serve"], { cwd: work, env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
    await waitFor(`${base}/healthz`);
    await Bun.sleep(3_000);
    footprint["PostgreSQL mode, idle after start"] = resident(server.pid);
    const wholeRun = rssSampler(server.pid);
    const post = (path: string, body: unknown, token?: string, method = "POST") =>
      fetch(`${base}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      }).then(async (response) => {
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
        return response.json() as Promise<any>;
      });

    log("seeding");
    const admin = await post("/api/login/", { email: "admin@example.com", password: PASSWORD });
    // Default settings (the login rate limit stays on: only failures count, and none fail),
    // but for an access token that outlives the run.
    // The bench registers its accounts from one address: no registration limit for it.
    await post("/api/admin/config/", { access_token_lifetime: 3600, register_rate_limit: 0 }, admin.access_token, "PATCH");
    const emails = Array.from({ length: ACCOUNTS }, (_, i) => `seed-${i}@example.com`);
    for (let i = 0; i < emails.length; i += 8)
      await Promise.all(emails.slice(i, i + 8).map((email) => post("/api/register/", { email, password: PASSWORD })));
    const accountsFile = join(work, "accounts.txt");
    await Bun.write(accountsFile, emails.map((email) => `${email} ${PASSWORD}`).join("\n"));
    const { access_token: meToken } = await post("/api/login/", { email: emails[0], password: PASSWORD });

    // Refresh tokens issued straight into the database, as logins would (hash only), one
    // session each: thousands of logins would take minutes of argon2 work.
    const sql = postgres(database.url, { max: 4, onnotice: () => {} });
    const [{ id: userId }] = (await sql`select id from users where email = ${emails[0]!}`) as unknown as [{ id: number }];
    async function tokenPool(count: number, name: string) {
      const tokens = Array.from({ length: count }, () => crypto.randomUUID());
      for (let i = 0; i < tokens.length; i += 5000) {
        const slice = tokens.slice(i, i + 5000).map((token) => ({ token, session: crypto.randomUUID() }));
        await sql`insert into sessions ${sql(slice.map(({ session }) => ({ id: session, user_id: userId, expires_at: sql`now() + interval '30 days'` as never })))}`;
        await sql`insert into refresh_tokens ${sql(
          slice.map(({ token, session }) => ({
            session_id: session,
            token_hash: createHash("sha256").update(token).digest("hex"),
            expires_at: sql`now() + interval '30 days'` as never,
          })),
        )}`;
      }
      const file = join(work, `${name}.txt`);
      await Bun.write(file, tokens.join("\n"));
      return { file, tokens };
    }
    // Refresh and its ceiling spend disjoint pools, one per wrk run (a run starts at its file's
    // first token): warm-ups and SLICES slices each, at up to 12,000 rotations a second (a
    // quiet machine ran slices at ~6,000 through authd, and past the 6,000 the pools once held).
    const refreshPools: string[] = [];
    if (selected("POST /api/refresh/"))
      for (let index = 0; index < 2 * (SLICES + 1); index++)
        refreshPools.push((await tokenPool(Math.ceil(Math.max(SLICE_SECONDS, WARMUP_SECONDS) * 12_000), `refresh-${index}`)).file);
    const ceilingCheckTokens = (await tokenPool(2, "refresh-check")).tokens as [string, string];
    // Profiles to search: 100k usernames like "Member 4711 3f9a0c", inserted as rows (no hashing).
    await sql`insert into users (email, password_hash, username)
      select 'member' || g || '@example.com', 'not-a-hash', 'Member ' || g || ' ' || substr(md5(g::text), 1, 6)
      from generate_series(1, ${PROFILES}) g`;
    await sql.end();
    // Settle the database before measuring: autovacuum's analyze of the freshly seeded tables
    // and a checkpoint of their WAL would otherwise land in whichever slice runs at the time.
    const settle = async () => {
      const settling = postgres(database.url, { max: 1, onnotice: () => {} });
      await settling.unsafe("vacuum analyze");
      await settling.unsafe("checkpoint");
      await settling.end();
    };
    await settle();
    ceiling = await startMeCeiling(database.url, meToken);

    /** Slices measured one after another, as one rate: summed counts over summed time. */
    const summed = (slices: Array<{ requests: number; duration_us: number }>) => {
      const requests = slices.reduce((total, slice) => total + slice.requests, 0);
      const duration_us = slices.reduce((total, slice) => total + slice.duration_us, 0);
      const rate = (counted: { requests: number; duration_us: number }) => counted.requests / (counted.duration_us / 1e6);
      return { requests, duration_us, rps: rate({ requests, duration_us }), slices: slices.map((slice) => Math.round(rate(slice))) };
    };
    /** wrk slices as one result: summed counts, the median p50, the worst p99. */
    const combine = (slices: Array<WrkResult & { peak_rss_mib?: number }>) => {
      const p50s = slices.map((slice) => slice.p50_us).sort((a, b) => a - b);
      return {
        ...summed(slices),
        non2xx: slices.reduce((total, slice) => total + slice.non2xx, 0),
        socket_errors: slices.reduce((total, slice) => total + slice.socket_errors, 0),
        p50_us: p50s[Math.floor(p50s.length / 2)]!,
        p99_us: Math.max(...slices.map((slice) => slice.p99_us)),
        max_us: Math.max(...slices.map((slice) => slice.max_us)),
        peak_rss_mib: Math.max(...slices.map((slice) => slice.peak_rss_mib ?? 0)),
      };
    };
    /** A scenario and its ceiling: warmed up, then measured in interleaved slices (see SLICES). */
    const alternately = async <C extends { requests: number; duration_us: number }>(
      name: string,
      mine: (seconds: number) => Promise<WrkResult>,
      ceilingName: string,
      theirs: (seconds: number) => Promise<C>,
      warmupSeconds = WARMUP_SECONDS,
    ) => {
      if (!selected(name)) return;
      log(`${name} and its ceiling, ${SLICES} interleaved slices of ${SLICE_SECONDS} s each`);
      await mine(warmupSeconds);
      await theirs(WARMUP_SECONDS);
      const ourSlices: WrkResult[] = [];
      const ceilingSlices: C[] = [];
      for (let slice = 0; slice < SLICES; slice++) {
        ourSlices.push(await mine(SLICE_SECONDS));
        ceilingSlices.push(await theirs(SLICE_SECONDS));
      }
      results[name] = combine(ourSlices);
      results[ceilingName] =
        "p99_us" in ceilingSlices[0]! ? combine(ceilingSlices as unknown as WrkResult[]) : { ...ceilingSlices.at(-1)!, ...summed(ceilingSlices) };
    };
    const scenario = async (name: string, go: () => Promise<WrkResult & { rps: number }>, warmup?: () => Promise<unknown>) => {
      if (!selected(name)) return;
      log(name);
      if (warmup) await warmup();
      const stopSampling = rssSampler(server!.pid);
      const result = await go();
      results[name] = { ...result, peak_rss_mib: stopSampling() };
    };

    const sampled = async <T>(pid: number, measure: () => Promise<T>) => {
      const stopSampling = rssSampler(pid);
      const result = await measure();
      return { ...result, peak_rss_mib: stopSampling() };
    };
    const meCeiling = ceiling;
    await alternately(
      "GET /api/me/",
      (seconds) => sampled(server!.pid, () => wrk(`${base}/api/me/`, "me", [meToken], { seconds })),
      "ceiling: GET /api/me/",
      (seconds) => sampled(meCeiling.process.pid, () => wrk(`${meCeiling.base}/`, "me", [meToken], { seconds })),
    );
    if (selected("POST /api/refresh/")) {
      const refreshCeiling = await startRefreshCeiling(database.url, ceilingCheckTokens);
      try {
        await alternately(
          "POST /api/refresh/",
          (seconds) => sampled(server!.pid, () => wrk(`${base}/api/refresh/`, "refresh", [refreshPools.shift()!, "2"], { seconds })),
          "ceiling: POST /api/refresh/",
          (seconds) => sampled(refreshCeiling.process.pid, () => wrk(`${refreshCeiling.base}/`, "refresh", [refreshPools.shift()!, "2"], { seconds })),
        );
      } finally {
        await refreshCeiling.stop();
      }
      // Hundreds of thousands of spent tokens: their vacuum would run during the login slices,
      // on authd's side only (the hashing ceiling does not touch the database).
      await settle();
    }
    await alternately(
      "POST /api/login/",
      async (seconds) => {
        const result = await sampled(server!.pid, () => wrk(`${base}/api/login/`, "login", [accountsFile], { connections: 16, seconds }));
        // Logins still in flight when wrk stops would otherwise hash into the ceiling's slice.
        await Bun.sleep(500);
        return result;
      },
      HASH_CEILING,
      hashCeiling,
      // At ~60 logins a second, the JIT takes several seconds of them to optimise the login path.
      LOGIN_WARMUP_SECONDS,
    );
    await scenario("POST /api/register/", () => wrk(`${base}/api/register/`, "register", [`r${Date.now()}`], { connections: 16 }));
    // 10 connections, each waiting 100 ms between requests: a steady 100 req/s, so p99 is the
    // search's own latency rather than queueing.
    const searchAt100 = (seconds = SECONDS) => wrk(`${base}/api/users/`, "profile-search", ["100"], { connections: 10, threads: 1, seconds });
    await scenario(PROFILE_SEARCH, () => searchAt100(), () => searchAt100(WARMUP_SECONDS));
    await scenario(ME_DURING_LOGINS, async () => {
      const login = wrk(`${base}/api/login/`, "login", [accountsFile], { connections: 16, seconds: SECONDS + 2 });
      await Bun.sleep(1000);
      const me = await wrk(`${base}/api/me/`, "me-paced", [meToken, "10"], { connections: 10, threads: 1 });
      const loginResult = await login;
      results["POST /api/login/ (beside the GET /api/me/ above)"] = loginResult;
      return me;
    });
    footprint["PostgreSQL mode, peak over the run"] = { rss: wholeRun() };
    if (selected(FOOTPRINT)) {
      log(`${FOOTPRINT}: 30 s idle, then embedded mode`);
      await Bun.sleep(30_000);
      footprint["PostgreSQL mode, idle 30 s after the load"] = resident(server.pid);
    }
  } finally {
    server?.kill("SIGTERM");
    await server?.exited;
    await ceiling?.stop();
    await database.drop();
  }

  if (selected(FOOTPRINT)) await embeddedFootprint(binary);

  // Register's ceiling too: hashing costs what verifying does.
  if (!results[HASH_CEILING] && (selected("POST /api/register/") || selected(ME_DURING_LOGINS))) {
    log(HASH_CEILING);
    results[HASH_CEILING] = await hashCeiling();
  }
  report(results);
}

function report(results: Record<string, any>) {
  const meCeiling = results["ceiling: GET /api/me/"]?.rps as number | undefined;
  const hashCeiling = results[HASH_CEILING]?.rps as number | undefined;
  const ceilingOf: Record<string, number | undefined> = {
    "GET /api/me/": meCeiling,
    "POST /api/refresh/": results["ceiling: POST /api/refresh/"]?.rps as number | undefined,
    "POST /api/login/": hashCeiling,
    "POST /api/register/": hashCeiling,
    "POST /api/login/ (beside the GET /api/me/ above)": hashCeiling,
  };
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  const lines = [
    "| scenario | req/s | p50 | p99 | non-2xx | server peak RSS | of ceiling |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [name, result] of Object.entries(results)) {
    if (name === HASH_CEILING) {
      lines.push(`| ${name} (m=${result.memoryCost} KiB, t=${result.timeCost}) | ${result.rps.toFixed(1)} | | | | | |`);
      continue;
    }
    const ceiling = ceilingOf[name];
    result.ratio_to_ceiling = ceiling ? result.rps / ceiling : null;
    lines.push(
      `| ${name} | ${result.rps.toFixed(0)} | ${ms(result.p50_us)} | ${ms(result.p99_us)} | ${result.non2xx + result.socket_errors} | ${
        result.peak_rss_mib ? `${result.peak_rss_mib.toFixed(0)} MiB` : ""
      } | ${ceiling ? `${(100 * result.rps / ceiling).toFixed(0)} %` : ""} |`,
    );
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Bun ${Bun.version}`;
  const out = process.env.BENCH_OUT ?? join(ROOT, "dist/bench.json");
  Bun.write(out, JSON.stringify({ machine, seconds: SECONDS, date: new Date().toISOString(), results, footprint }, null, 2));
  console.log(
    `\n${machine}; ${SECONDS} s per scenario after a ${WARMUP_SECONDS} s warm-up (with a ceiling: ${SLICES} slices of ${SLICE_SECONDS} s, ` +
      `interleaved with the ceiling's); wrk -t2 -c64 (login, register: -c16)\n`,
  );
  console.log(lines.join("\n"));
  console.log(`\n| ${FOOTPRINT} | VmRSS, MiB | of it, file pages (RssFile) |\n|---|---:|---:|`);
  for (const [moment, { rss, file }] of Object.entries(footprint))
    console.log(`| ${moment} | ${rss.toFixed(0)} | ${file === undefined ? "" : file.toFixed(0)} |`);
  console.log(`\nJSON: ${out}`);
}

await main();
