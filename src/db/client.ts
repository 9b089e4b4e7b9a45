import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import initdbWasmPath from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import pgliteDataPath from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasmPath from "@electric-sql/pglite/pglite.wasm" with { type: "file" };
// Not in the package's exports map: imported by path so `bun build --compile` embeds it too.
import pgTrgmBundlePath from "../../node_modules/@electric-sql/pglite/dist/pg_trgm.tar.gz" with { type: "file" };
import type { PGlite } from "@electric-sql/pglite";
import { Placeholder, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type postgres from "postgres";
import { bundledMigrations } from "./bundled-migrations" with { type: "macro" };
import { makePrivateDir } from "./private-files";
import * as schema from "./schema";
import { releaseZeroPages } from "./zero-pages";

/** The one database handle type: postgres.js and PGlite both fit it. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
  /**
   * A Drizzle query (with named placeholders) rendered once and run straight on the driver as
   * a server-side prepared statement, for the one query on every authenticated request:
   * Drizzle's execute adds several async layers (~8 µs a call, 30% of GET /api/me/). Rows come
   * back raw, keyed by column name.
   */
  prepareRaw<Values extends Record<string, unknown>, Row = Record<string, unknown>>(
    query: RenderableQuery,
  ): (values: Values) => Promise<Row[]>;
  /**
   * Calls `onNotify` on each PostgreSQL NOTIFY on `channel` (postgres.js keeps one connection
   * listening and subscribes again after a reconnect). Embedded PGlite serves one process: none.
   */
  listen(channel: string, onNotify: () => void): Promise<void>;
  /** Connections by state, for the metrics. PGlite is one in-process connection: only `max`. */
  poolStats(): PoolStats;
  /** Embedded: hands back the zero pages of PGlite's WebAssembly memory (see zero-pages.ts); the bytes released. */
  releaseIdleMemory(): number;
}

export interface PoolStats {
  max: number;
  busy?: number;
  idle?: number;
  connecting?: number;
  /** Queries queued for a free connection. */
  waiting?: number;
}

interface RenderableQuery {
  toSQL(): { sql: string; params: unknown[] };
}

/** The query's text, and a function putting named values in its parameters' order. */
function render(query: RenderableQuery) {
  const { sql: text, params } = query.toSQL();
  const names = params.map((param) => {
    if (!(param instanceof Placeholder)) throw new Error("prepareRaw: every parameter must be a placeholder");
    return param.name;
  });
  return { text, order: (values: Record<string, unknown>) => names.map((name) => values[name]) };
}

export type DatabaseTarget =
  | { kind: "postgres"; url: string; maxConnections?: number }
  | { kind: "pglite"; dataDir?: string; loadDataDir?: Blob | File };

/** Whether PGlite's data directory holds a database already (initdb has run there). */
export const pgliteDatabaseExists = (dataDir: string) => existsSync(join(dataDir, "PG_VERSION"));

// Each driver is imported when a database of its kind opens (the binary is built with code
// splitting): PostgreSQL mode never loads PGlite, embedded mode never loads postgres.js, and
// neither pays the idle memory of the other's code and the Node modules it pulls in.
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === "postgres") {
    // While PostgreSQL is away, a request needing a connection must fail (503) at once or after
    // a second, not hang: connect_timeout 1 s instead of 30, and no backoff. postgres.js's own
    // backoff grows to 20 s over a few failed connects, and a query arriving meanwhile waits it
    // out before its connection even tries: requests hung 4-17 s and recovery took 8 s.
    const max = target.maxConnections ?? 10;
    const [{ default: postgres }, { drizzle: drizzlePostgres }] = await Promise.all([
      import("postgres"),
      import("drizzle-orm/postgres-js"),
    ]);
    const client = postgres(target.url, { max, connect_timeout: 1, backoff: () => 0, onnotice: () => {} });
    // `pool` is added by our patch of postgres.js (src/db/patches).
    const pool = () => (client as unknown as { pool: Record<"open" | "busy" | "full" | "connecting" | "reserved" | "waiting", number> }).pool;
    return {
      db: drizzlePostgres(client, { schema }) as unknown as Db,
      kind: "postgres",
      close: () => client.end({ timeout: 5 }),
      prepareRaw: (query) => {
        const { text, order } = render(query);
        return (values) => client.unsafe(text, order(values) as postgres.ParameterOrJSON<never>[], { prepare: true }) as never;
      },
      listen: async (channel, onNotify) => {
        await client.listen(channel, () => onNotify());
      },
      poolStats: () => {
        const { open, busy, full, connecting, reserved, waiting } = pool();
        return { max, busy: busy + full + reserved, idle: open, connecting, waiting };
      },
      releaseIdleMemory: () => 0,
    };
  }
  // PGlite does not create parent directories of its data dir itself.
  if (target.dataDir) makePrivateDir(target.dataDir);
  const [{ PGlite }, { drizzle: drizzlePglite }, { PrivateNodeFS }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("./private-node-fs"),
  ]);
  const client = await PGlite.create({
    dataDir: target.dataDir,
    fs: target.dataDir ? new PrivateNodeFS(target.dataDir) : undefined,
    loadDataDir: target.loadDataDir,
    ...(await pgliteOptions({ initdb: !target.loadDataDir && !(target.dataDir && pgliteDatabaseExists(target.dataDir)) })),
  });
  return {
    db: drizzlePglite(client, { schema }) as unknown as Db,
    kind: "pglite",
    close: () => client.close(),
    listen: async () => {},
    poolStats: () => ({ max: 1 }),
    // `mod` (the Emscripten module) is protected in PGlite's types, not private.
    releaseIdleMemory: () => {
      const memory = (client as unknown as { mod?: { wasmMemory?: WebAssembly.Memory } }).mod?.wasmMemory;
      return memory ? releaseZeroPages(memory.buffer) : 0;
    },
    prepareRaw: (query) => {
      const { text, order } = render(query);
      return async (values) => (await client.query(text, order(values))).rows as never;
    },
  };
}

/**
 * PostgreSQL settings for PGlite. Its buffer pool and the rest of its shared memory are set up
 * inside the WebAssembly memory: the default 128 MB pool was most of an idle embedded authd
 * (the data files stay in the OS page cache anyway), and tables sized for 100 connections held
 * ~4 MiB more. PGlite runs PostgreSQL in single-user mode: one backend, no replication.
 */
const EMBEDDED_SETTINGS = {
  shared_buffers: "8MB",
  max_connections: "1",
  superuser_reserved_connections: "0",
  reserved_connections: "0",
  max_wal_senders: "0",
};

const compiled = new Map<string, Promise<WebAssembly.Module>>();
/** A WASM file compiled once per process. */
const compiledOnce = (path: string) => {
  let module = compiled.get(path);
  if (!module) compiled.set(path, (module = Bun.file(path).arrayBuffer().then((bytes) => WebAssembly.compile(bytes))));
  return module;
};
let pgTrgmBundle: Promise<URL> | undefined;

/**
 * PGlite's wasm, file-system bundle and the pg_trgm extension, imported as files so
 * `bun build --compile` embeds them (PGlite's own lookup by URL fails inside a binary).
 * Compiled once per process. Every PGlite authd opens, tests' included, is made with these.
 * initdb's module only for a database that does not exist yet: compiled, it costs memory for good.
 */
export async function pgliteOptions({ initdb = true }: { initdb?: boolean } = {}) {
  const [{ PGlite }, pgliteWasmModule, initdbWasmModule, pgTrgm] = await Promise.all([
    import("@electric-sql/pglite"),
    compiledOnce(pgliteWasmPath),
    initdb ? compiledOnce(initdbWasmPath) : undefined,
    (pgTrgmBundle ??= readableFile(pgTrgmBundlePath)),
  ]);
  return {
    pgliteWasmModule,
    initdbWasmModule,
    fsBundle: Bun.file(pgliteDataPath),
    extensions: { pg_trgm: pgTrgm },
    startParams: [
      ...PGlite.defaultStartParams,
      ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    ],
  };
}

/**
 * A file URL PGlite can stream from. Files embedded in a compiled binary live under /$bunfs,
 * which Bun.file reads but node:fs streams (PGlite's loader) do not: copied out once per
 * process into a directory of its own (0700), removed at exit. Not a shared name in /tmp:
 * another local user could plant an extension there before authd starts.
 */
async function readableFile(path: string): Promise<URL> {
  if (!path.startsWith("/$bunfs/")) return pathToFileURL(path);
  const dir = mkdtempSync(join(tmpdir(), "authd-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const copy = join(dir, basename(path));
  await Bun.write(copy, Bun.file(path));
  return pathToFileURL(copy);
}

const MIGRATION_LOCK_ID = 0x61757468; // "auth": any constant shared by every authd instance

/**
 * Applies pending migrations in one transaction under an advisory lock, so instances started
 * at the same time apply each migration exactly once. Same bookkeeping table as drizzle-kit.
 */
export async function migrate(db: Db): Promise<number> {
  const migrations = bundledMigrations();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(sql`create table if not exists drizzle.__drizzle_migrations (
      id serial primary key, hash text not null, created_at bigint)`);
    const [last] = await tx
      .select({ createdAt: sql<string>`created_at` })
      .from(sql`drizzle.__drizzle_migrations`)
      .orderBy(sql`created_at desc`)
      .limit(1);
    let applied = 0;
    for (const migration of migrations) {
      if (last && Number(last.createdAt) >= migration.folderMillis) continue;
      for (const statement of migration.sql) {
        if (statement.trim()) await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
      );
      applied++;
    }
    return applied;
  });
}

/** Errors that say the database cannot be reached (or is shutting down), not that a query is wrong. */
const UNAVAILABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);

/** Whether `error` (or what it wraps, as Drizzle does) means "the database is unavailable". */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE.has(code)) return true;
  }
  return false;
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
