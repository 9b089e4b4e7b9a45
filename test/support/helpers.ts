import { afterAll } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import postgres from "postgres";
import { appFor, createContext } from "../../src/app";
import type { AppContext } from "../../src/context";
import { parseTrustProxy } from "../../src/client-info";
import { loadConfig } from "../../src/config";
import { type Database, type Db, migrate, openDatabase, pgliteOptions } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import type { Logger } from "../../src/logger";
import { type RunningAuthd, authdEnv, buildBinary, runAuthd, startAuthd } from "./binary-helpers";
import { freePort } from "./pg-cluster";

/**
 * The HTTP suite's one way to an authd: in this process through `app.handle` (the default), or,
 * with TEST_TARGET=binary, the compiled binary (AUTHD_BINARY, else built once) started for each
 * test file and spoken to over HTTP: what users run. Either way on PGlite, or on a fresh
 * database of TEST_DATABASE_URL's server. A test file configures its authd by environment
 * variables, as an operator would, so both targets read them through the same `loadConfig`.
 */
export const TARGET: "in-process" | "binary" = process.env.TEST_TARGET === "binary" ? "binary" : "in-process";
export const onBinary = TARGET === "binary";
/** The embedded binary owns its database: the test process cannot open it while it runs. */
export const onEmbeddedBinary = onBinary && !process.env.TEST_DATABASE_URL;

export const TEST_SECRET = "test-secret-that-is-at-least-32-bytes-long";

/** What every test authd runs with: cheap argon2id (through the setting production uses), quiet logs. */
const TEST_ENV: Record<string, string | undefined> = {
  DATA_DIR: "/nonexistent",
  LOG_LEVEL: "error",
  JWT_SECRET: TEST_SECRET,
  PASSWORD_MEMORY_COST: "1024",
  PASSWORD_TIME_COST: "1",
  // Passes through, so the native suite can be run without the other route sets.
  COMPAT_ROUTES: process.env.COMPAT_ROUTES,
};

/** authd's configuration for a test: TEST_ENV with the file's own variables on top. */
export const testConfig = (env: Record<string, string> = {}) => {
  const config = loadConfig({ ...TEST_ENV, ...env });
  return { ...config, jwtSecret: config.jwtSecret! };
};

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let pgliteTemplate: Promise<Blob> | undefined;

/** initdb + migrations once per test process; each file then loads a copy (~0.2 s). */
function migratedPgliteTemplate(): Promise<Blob> {
  pgliteTemplate ??= (async () => {
    const client = await PGlite.create(await pgliteOptions());
    await migrate(drizzle(client, { schema }) as unknown as Db);
    const dump = await client.dumpDataDir("none");
    await client.close();
    return dump;
  })();
  return pgliteTemplate;
}

/** A new, empty PostgreSQL database on TEST_DATABASE_URL's server, and how to drop it. */
export async function createServerDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `authd_test_${process.pid}_${crypto.randomUUID().slice(0, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
      await cleanup.end();
    },
  };
}

/** A new, migrated database: PGlite in memory, or a fresh database on TEST_DATABASE_URL. */
export async function freshDatabase(): Promise<Database> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return openDatabase({ kind: "pglite", loadDataDir: await migratedPgliteTemplate() });

  const created = await createServerDatabase(serverUrl);
  const database = await openDatabase({ kind: "postgres", url: created.url, maxConnections: 10 });
  await migrate(database.db);
  return {
    ...database,
    async close() {
      await database.close();
      await created.drop();
    },
  };
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** A raw body sent as is (no JSON encoding). */
  raw?: RequestInit["body"];
  /** From this machine, with no forwarding header: not given an address of its own over HTTP. */
  direct?: boolean;
}

export type Requester = <T = any>(method: string, path: string, options?: RequestOptions) => Promise<TestResponse<T>>;

function requestOf(base: string, method: string, path: string, options: RequestOptions): Request {
  const headers: Record<string, string> = { ...options.headers };
  let body: RequestInit["body"] = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Request(`${base}${path}`, { method, headers, body, redirect: "manual" });
}

async function testResponse<T>(response: Response): Promise<TestResponse<T>> {
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

type InProcessApp = ReturnType<typeof appFor>;

/** Sends requests to an app through `app.handle`, JSON in and out. */
export function requester(app: InProcessApp | (() => InProcessApp)): Requester {
  const current = typeof app === "function" ? app : () => app;
  return async (method, path, options = {}) => testResponse(await current().handle(requestOf("http://localhost", method, path, options)));
}

let clientCounter = 0;
/** A client address of its own for each request (10.0.0.0/8), sent as X-Forwarded-For. */
const nextClientAddress = () => {
  const n = ++clientCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

/**
 * Sends requests to a running authd over HTTP. Behind TRUST_PROXY=N proxies (1 unless the file
 * says otherwise) each request comes from an address of its own, unless it names one in
 * X-Forwarded-For: an in-process request has no address, so no per-IP limit binds it; over
 * HTTP every request would come from 127.0.0.1 and share every per-IP limit. Files that test
 * per-IP rules name their addresses, as they do in process.
 */
export function httpRequester(base: () => string, { proxies }: { proxies: number }): Requester {
  return async (method, path, options = {}) => {
    const headers = { ...options.headers };
    // With N proxies, the client is the N-th address from the right: the inner proxies follow it.
    if (proxies > 0 && !options.direct && !Object.keys(headers).some((name) => name.toLowerCase() === "x-forwarded-for"))
      headers["x-forwarded-for"] = [nextClientAddress(), ...Array(proxies - 1).fill("10.255.255.254")].join(", ");
    return testResponse(await fetch(requestOf(base(), method, path, { ...options, headers })));
  };
}

/** Mail outboxes of this test process, stopped before their database closes. */
const outboxes = new Map<Database, AppContext["outbox"][]>();

function contextOn(database: Database, env: Record<string, string>, log: Logger) {
  const context = createContext({ config: testConfig(env), database, log });
  outboxes.set(database, [...(outboxes.get(database) ?? []), context.outbox]);
  return context;
}

const inProcessOnly = (what: string): never => {
  throw new Error(`${what} is in-process only: this test runs against the binary (TEST_TARGET=binary); skip it there with onBinary`);
};

/** The binary's environment for a test file: TEST_ENV, the file's variables, its database, a port. */
async function binaryEnv(env: Record<string, string>, log: Logger | undefined): Promise<Record<string, string>> {
  const merged = Object.fromEntries(Object.entries({ ...TEST_ENV, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined));
  // A given log sees every line, as an in-process one would; the request log follows LOG_LEVEL in both.
  if (log && env.LOG_LEVEL === undefined) merged.LOG_LEVEL = "debug";
  return authdEnv({ ...merged, TRUST_PROXY: env.TRUST_PROXY ?? "1", PORT: String(await freePort()) });
}

let embeddedTemplate: Promise<string> | undefined;

/** A migrated embedded data directory, made once per test process by the binary itself; each file copies it. */
async function freshDataDir(bin: string): Promise<string> {
  embeddedTemplate ??= (async () => {
    const template = mkdtempSync(join(tmpdir(), "authd-template-"));
    const migrated = await runAuthd(bin, ["migrate"], { cwd: template, env: authdEnv({ DATA_DIR: join(template, "data") }) });
    if (migrated.exitCode !== 0) throw new Error(`authd migrate failed: ${migrated.stderr}`);
    return join(template, "data");
  })();
  const dir = join(mkdtempSync(join(tmpdir(), "authd-test-")), "data");
  cpSync(await embeddedTemplate, dir, { recursive: true });
  return dir;
}

/** What `setupApp` gives a test file, whichever the target. */
interface TestTarget {
  request: Requester;
  /** A raw request to a path (a stream body, a URL the helpers would not build). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The base URL of a listening server (in process: the app listens on a free port once asked). */
  listen(): Promise<string>;
  /** Runs `work` on the app's database (the embedded binary is stopped meanwhile: it owns the files). */
  inDatabase<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Makes an existing account a superuser, as `authd createsuperuser --email` does. */
  promoteToSuperuser(email: string): Promise<void>;
  /**
   * Another authd over the same database with other variables (other signing keys: an authd
   * "restart"). Against the binary a second process, so not on the embedded database.
   */
  sibling(env: Record<string, string>): Promise<{ request: Requester }>;
  /**
   * Stops authd and starts it again on the same database, at the same address; with `changes`,
   * with those variables on top of the file's own ("" unsets one).
   */
  restart(changes?: Record<string, string>): Promise<void>;
}

/** `target` with the properties of `extra`, getters kept as getters (Object.assign would read them once). */
const extend = <T extends object, E extends object>(target: T, extra: E): T & E =>
  Object.defineProperties(target, Object.getOwnPropertyDescriptors(extra)) as T & E;

async function inProcessTarget(env: Record<string, string>, log: Logger) {
  const database = await freshDatabase();
  let context = contextOn(database, env, log);
  let app = appFor(context);
  let closed = false;
  afterAll(() => (closed ? undefined : database.close()));
  database.close = ((close) => async () => {
    closed = true;
    for (const outbox of outboxes.get(database) ?? []) await outbox.stop();
    return close();
  })(database.close);
  let listening: string | undefined;
  // Registered now: a hook registered from inside a test or another hook runs at once.
  afterAll(() => (listening ? app.stop(true) : undefined));
  const target: TestTarget = {
    request: requester(() => app),
    fetch: (path, init) => app.handle(new Request(`http://localhost${path}`, init)),
    async listen() {
      if (!listening) {
        app.listen({ port: 0, hostname: env.HOST ?? "127.0.0.1" });
        listening = `http://127.0.0.1:${app.server!.port}`;
      }
      return listening;
    },
    inDatabase: (work) => work(database.db),
    promoteToSuperuser: async (email) => void (await context.users.promoteToSuperuser(email)),
    sibling: async (siblingEnv) => appOn(database, { ...env, ...siblingEnv }, log),
    async restart(changes = {}) {
      if (listening) throw new Error("restart() of a listening in-process app");
      await context.outbox.stop();
      context = contextOn(database, { ...env, ...changes }, log);
      app = appFor(context);
    },
  };
  return extend(target, {
    get app() {
      return app;
    },
    get context() {
      return context;
    },
    database,
    db: database.db,
  });
}

async function binaryTarget(env: Record<string, string>, log: Logger | undefined) {
  const bin = await buildBinary();
  const serverUrl = process.env.TEST_DATABASE_URL;
  const processEnv = await binaryEnv(env, log);
  let database: Database | undefined;
  let dropDatabase = async () => {};
  let cwd: string;
  if (serverUrl) {
    const created = await createServerDatabase(serverUrl);
    processEnv.DATABASE_URL = created.url;
    cwd = mkdtempSync(join(tmpdir(), "authd-test-"));
    database = await openDatabase({ kind: "postgres", url: created.url, maxConnections: 2 });
    dropDatabase = async () => {
      await database!.close();
      await created.drop();
    };
  } else {
    processEnv.DATA_DIR = await freshDataDir(bin);
    cwd = join(processEnv.DATA_DIR, "..");
  }
  const onLog = log && ((entry: Record<string, unknown>) => {
    const { level, message, time: _, ...fields } = entry as { level: keyof Logger; message: string; time?: string };
    log[level]?.(message, fields);
  });
  const start = (variables = processEnv) => startAuthd(bin, { cwd, env: variables, onLog });
  let server: RunningAuthd = await start();
  const siblings: RunningAuthd[] = [];
  // The processes first: a database dropped under a running authd keeps its stop waiting.
  afterAll(async () => {
    for (const running of [server, ...siblings]) await running.stop();
    await dropDatabase();
    rmSync(cwd, { recursive: true, force: true });
  });
  /** How many proxies TRUST_PROXY says are in front (0 for none, or for a list of addresses). */
  const proxiesOf = (variables: Record<string, string>) => {
    const trust = parseTrustProxy(variables.TRUST_PROXY ?? "");
    return typeof trust === "object" && trust.kind === "hops" ? trust.hops : 0;
  };
  const target: TestTarget = {
    request: httpRequester(() => server.base, { proxies: proxiesOf(processEnv) }),
    fetch: (path, init) => fetch(`${server.base}${path}`, { redirect: "manual", ...init }),
    listen: async () => server.base,
    async inDatabase(work) {
      if (database) return work(database.db);
      await server.stop();
      const embedded = await openDatabase({ kind: "pglite", dataDir: join(processEnv.DATA_DIR!, "pgdata") });
      try {
        return await work(embedded.db);
      } finally {
        await embedded.close();
        server = await start();
      }
    },
    async promoteToSuperuser(email) {
      const promoted = await runAuthd(bin, ["createsuperuser", "--email", email], { cwd, env: processEnv });
      if (promoted.exitCode !== 0) throw new Error(`createsuperuser failed: ${promoted.stderr}`);
    },
    async restart(changes = {}) {
      await server.stop();
      server = await start({ ...processEnv, ...changes });
    },
    async sibling(siblingEnv) {
      if (!database) return inProcessOnly("a second authd on the embedded database");
      const env = { ...processEnv, ...siblingEnv, PORT: String(await freePort()) };
      const running = await start(env);
      siblings.push(running);
      return { request: httpRequester(() => running.base, { proxies: proxiesOf(env) }) };
    },
  };
  return extend(target, {
    /** The running binary (restarted by `inDatabase` on the embedded database). */
    server: () => server,
    get app(): InProcessApp {
      return inProcessOnly("t.app");
    },
    get context(): AppContext {
      return inProcessOnly("t.context");
    },
    get database(): Database {
      return database ?? inProcessOnly("t.database on the embedded binary");
    },
    get db(): Db {
      return database?.db ?? inProcessOnly("t.db on the embedded binary (use t.inDatabase)");
    },
  });
}

/**
 * A fresh database and authd for one test file, closed after the file. `env` holds the file's
 * own environment variables (TRUST_PROXY, SMTP_URL…); `log`, if given, receives authd's log.
 */
export async function setupApp(env: Record<string, string> = {}, log?: Logger) {
  const target = onBinary ? await binaryTarget(env, log) : await inProcessTarget(env, log ?? silentLog);
  const { request } = target;

  let counter = 0;
  const uniqueEmail = (prefix = "user") => `${prefix}${++counter}-${crypto.randomUUID().slice(0, 6)}@example.com`;

  async function register(email = uniqueEmail(), password = "password123", extra: Record<string, unknown> = {}) {
    const response = await request("POST", "/api/register/", { body: { email, password, ...extra } });
    if (response.status !== 201) throw new Error(`register failed: ${response.status} ${response.text}`);
    return { email, password, user: response.body };
  }

  async function login(email: string, password = "password123") {
    const response = await request("POST", "/api/login/", { body: { email, password } });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
    return response.body as { access_token: string; refresh_token: string; token_type: string; expires_in: number };
  }

  /** A registered, logged-in user. */
  async function account(extra: Record<string, unknown> = {}) {
    const registered = await register(uniqueEmail(), "password123", extra);
    return { ...registered, ...(await login(registered.email)) };
  }

  /** A logged-in superuser, promoted as `authd createsuperuser` promotes an account. */
  async function superuser() {
    const registered = await register(uniqueEmail("admin"));
    await target.promoteToSuperuser(registered.email);
    return { ...registered, ...(await login(registered.email)) };
  }

  /** Makes these users staff (or not), straight in the database. */
  async function setStaff(userIds: number[], isStaff = true) {
    const { inArray } = await import("drizzle-orm");
    await target.inDatabase((db) => db.update(schema.users).set({ isStaff }).where(inArray(schema.users.id, userIds)));
  }

  // Assigned, not spread: a spread would read the in-process-only getters of a binary target.
  return Object.assign(target, { register, login, account, superuser, setStaff, uniqueEmail });
}

/** Another in-process app over an existing database (in-process tests only, e.g. a database that is gone). */
export function appOn(database: Database, env: Record<string, string> = {}, log: Logger = silentLog) {
  const context = contextOn(database, env, log);
  const app = appFor(context);
  return { app, context, request: requester(app) };
}

/** Decodes a JWT's header and payload without verifying it. */
export function decodeJwt(token: string): { header: any; payload: any } {
  const [header, payload] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header!, "base64url").toString()),
    payload: JSON.parse(Buffer.from(payload!, "base64url").toString()),
  };
}
