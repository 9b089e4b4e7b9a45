import { afterAll } from "bun:test";
import { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import postgres from "postgres";
import { type AppOptions, appFor, createContext } from "../../src/app";
import type { AppContext } from "../../src/context";
import { type AppConfig, loadConfig } from "../../src/config";
import { type Database, type Db, migrate, openDatabase, pgliteOptions } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import type { Logger } from "../../src/logger";

export const TEST_SECRET = "test-secret-that-is-at-least-32-bytes-long";

export const testConfig = (): AppConfig & { jwtSecret: string } => ({
  // COMPAT_ROUTES passes through, so the native suite can be run without the other route sets.
  ...loadConfig({ DATA_DIR: "/nonexistent", LOG_LEVEL: "error", COMPAT_ROUTES: process.env.COMPAT_ROUTES }),
  jwtSecret: TEST_SECRET,
  // Cheap argon2id for tests, through the same setting production uses.
  passwordCost: { memoryCost: 1024, timeCost: 1 },
});

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
}

type TestApp = ReturnType<typeof appFor>;

/** Sends requests to an app through `app.handle`, JSON in and out. */
export function requester(app: TestApp) {
  return async function request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: RequestInit["body"] = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
}

/** Mail outboxes of this test process, stopped before their database closes. */
const outboxes = new Map<Database, AppContext["outbox"][]>();

function contextOn(database: Database, overrides: Partial<AppOptions["config"]>, log: Logger) {
  const context = createContext({ config: { ...testConfig(), ...overrides }, database, log });
  outboxes.set(database, [...(outboxes.get(database) ?? []), context.outbox]);
  return context;
}

/** Another app over an existing database, e.g. with other signing keys (an authd "restart"). */
export function appOn(database: Database, overrides: Partial<AppOptions["config"]> = {}, log: Logger = silentLog) {
  const context = contextOn(database, overrides, log);
  const app = appFor(context);
  return { app, context, request: requester(app) };
}

/** A fresh database and app for one test file, closed after the file. */
export async function setupApp(overrides: Partial<AppOptions["config"]> = {}, log: Logger = silentLog) {
  const database = await freshDatabase();
  const context = contextOn(database, overrides, log);
  const app = appFor(context);
  let closed = false;
  afterAll(() => (closed ? undefined : database.close()));
  database.close = ((close) => async () => {
    closed = true;
    for (const outbox of outboxes.get(database) ?? []) await outbox.stop();
    return close();
  })(database.close);
  const request = requester(app);

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

  /** A logged-in user promoted straight in the database. */
  async function superuser() {
    const created = await account();
    await database.db
      .update(schema.users)
      .set({ isSuperuser: true, isStaff: true })
      .where(eq(schema.users.id, created.user.id));
    return created;
  }

  return { app, context, db: database.db, database, request, register, login, account, superuser, uniqueEmail };
}

/** Decodes a JWT's header and payload without verifying it. */
export function decodeJwt(token: string): { header: any; payload: any } {
  const [header, payload] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header!, "base64url").toString()),
    payload: JSON.parse(Buffer.from(payload!, "base64url").toString()),
  };
}
