import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AppConfig, ConfigError, MIN_SECRET_BYTES } from "./config";
import { type Database, type Db, migrate, openDatabase, pgliteDatabaseExists, ping } from "./db/client";
import { makePrivateDir, tightenTree } from "./db/private-files";
import type { Logger } from "./logger";
import { completeUsernameForms } from "./modules/users/service";

/** A failure to start that the operator can act on: printed as one line, exit 1. */
export class StartupError extends Error {}

/** What lives in DATA_DIR (embedded mode). */
export const dataDirLayout = (dataDir: string) => ({
  pgdata: join(dataDir, "pgdata"),
  secret: join(dataDir, "jwt-secret"),
  lock: join(dataDir, "authd.lock"),
});

const redactUrl = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite has no lock of its own: two processes would open the same files and corrupt them.
 * A lock file holding our PID keeps a second authd out; one left by a dead process is taken over.
 */
/** The PID of a live authd holding DATA_DIR's lock, if one does. */
export function dataDirHolder(dataDir: string): number | undefined {
  try {
    const holder = Number.parseInt(readFileSync(dataDirLayout(dataDir).lock, "utf8"), 10);
    return holder && holder !== process.pid && isAlive(holder) ? holder : undefined;
  } catch {
    return undefined;
  }
}

export function lockDataDir(dataDir: string): () => void {
  const { lock } = dataDirLayout(dataDir);
  makePrivateDir(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readFileSync(lock, "utf8"), 10);
      if (holder && holder !== process.pid && isAlive(holder))
        throw new StartupError(`DATA_DIR ${dataDir} is in use by another authd process (pid ${holder})`);
      rmSync(lock, { force: true });
    }
  }
  throw new StartupError(`could not lock DATA_DIR ${dataDir}`);
}

/**
 * Embedded mode without JWT_SECRET: a secret generated on first start, kept in DATA_DIR, never
 * printed. One found there is held to JWT_SECRET's rule (at least 32 bytes).
 */
export function embeddedSecret(dataDir: string): string {
  const { secret: path } = dataDirLayout(dataDir);
  if (existsSync(path)) {
    const secret = readFileSync(path, "utf8").trim();
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES)
      throw new ConfigError(`invalid ${path}: the JWT secret must be at least ${MIN_SECRET_BYTES} bytes (delete the file to have a new one made, which logs everyone out)`);
    return secret;
  }
  makePrivateDir(dataDir);
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return secret;
}

/**
 * DATA_DIR and everything in it owner-only (0700 / 0600): an existing directory with looser
 * modes, from an older authd or a copy, is tightened before anything reads it.
 */
export function secureDataDir(dataDir: string, log: Logger): void {
  makePrivateDir(dataDir);
  const tightened = tightenTree(dataDir);
  if (tightened) log.warn("DATA_DIR had files readable or writable by others: made owner-only", { data_dir: dataDir, tightened });
}

const reasonOf = (error: unknown) => {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const { code, message } = (cause ?? {}) as { code?: string; message?: string };
  return [code, message].filter(Boolean).join(": ") || String(cause);
};

/** How to run this authd again: the binary itself, or bun with src/main.ts when run from source. */
const selfCommand = () => (Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, join(import.meta.dir, "main.ts")]);

/**
 * Embedded mode's first start: `authd migrate` in a child process creates the database
 * (initdb) and applies the migrations, then exits. The server then opens it as on any later
 * start. Done in this process, initdb left ~25 MiB behind for good: WebAssembly memory that,
 * once grown, is never handed back.
 */
export async function createEmbeddedDatabase(config: AppConfig, log: Logger): Promise<void> {
  if (pgliteDatabaseExists(dataDirLayout(config.dataDir).pgdata)) return;
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: config.dataDir, LOG_LEVEL: config.logLevel };
  delete env.DATABASE_URL;
  const child = Bun.spawn([...selfCommand(), "migrate"], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  // Its log lines pass through; its one-line failure becomes this process's.
  const lines = stderr.split("\n").filter(Boolean);
  const failure = lines.findLast((line) => line.startsWith("authd: "));
  for (const line of lines) if (line !== failure) process.stderr.write(`${line}\n`);
  if (exitCode !== 0) throw new StartupError(failure?.slice("authd: ".length) ?? `authd migrate exited with ${exitCode}`);
  log.info("embedded database created", { data_dir: config.dataDir, migrations: Number(stdout.match(/Applied (\d+)/)?.[1] ?? 0) });
}

/**
 * Applies pending migrations, then the data changes SQL cannot make (usernames' derived forms).
 * Returns how many migrations it applied.
 */
export async function runMigrations(db: Db, log: Logger): Promise<number> {
  const applied = await migrate(db);
  const { completed, clashes } = await completeUsernameForms(db);
  if (completed) log.info("usernames given their lookup forms", { count: completed });
  for (const clash of clashes)
    log.warn("username looks like another user's: kept, but not unique until changed", { user_id: clash.id });
  return applied;
}

/**
 * Opens the configured database: PostgreSQL (retrying with backoff for STARTUP_TIMEOUT
 * seconds while it is unreachable) or PGlite in DATA_DIR under a lock.
 */
export async function connectDatabase(config: AppConfig, log: Logger): Promise<Database> {
  if (!config.databaseUrl) {
    secureDataDir(config.dataDir, log);
    const release = lockDataDir(config.dataDir);
    try {
      const database = await openDatabase({ kind: "pglite", dataDir: dataDirLayout(config.dataDir).pgdata });
      return {
        ...database,
        async close() {
          await database.close();
          release();
        },
      };
    } catch (error) {
      release();
      throw new StartupError(`cannot open the embedded database in ${config.dataDir}: ${reasonOf(error)}`);
    }
  }

  const database = await openDatabase({ kind: "postgres", url: config.databaseUrl, maxConnections: config.databasePoolSize });
  const deadline = Date.now() + config.startupTimeout * 1000;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      await ping(database.db);
      return database;
    } catch (error) {
      const reason = reasonOf(error);
      if (Date.now() + delay > deadline) {
        await database.close().catch(() => {});
        throw new StartupError(`database unreachable at ${redactUrl(config.databaseUrl)}: ${reason}`);
      }
      log.warn("database unreachable, retrying", { reason, retry_in_ms: delay });
      await Bun.sleep(delay);
    }
  }
}
