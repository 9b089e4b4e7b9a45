import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { onBinary, setupApp } from "../support/helpers";

/**
 * Property: whatever arrives (random JSON bodies with hostile strings, random paths and query
 * strings, with or without a valid token), the answer is below 500 and, from 400 on, in the one
 * error shape. Seeded: FUZZ_SEED reproduces a run; a failure prints its seed and input.
 */
setDefaultTimeout(120_000);

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const t = await setupApp();
const spec = (await t.request("GET", "/api-doc/json")).body as {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>>;
};

/** Every documented operation, with the field names its body takes. */
const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase(),
    path,
    fields: Object.keys(operation.requestBody?.content["application/json"]?.schema.properties ?? {}),
  })),
);

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom("\u0000", "\ud800", "\u0007", "\n"), fc.string({ maxLength: 8 })).map((parts) => parts.join("")),
  fc.constantFrom(
    "\u0000",
    "a\u0000b",
    "\ud800",
    "x\udfffy",
    "\u001f\u007f",
    "x".repeat(10_000),
    "ä".repeat(200),
    "__proto__",
    "constructor",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "user@example.com",
    "John Smith",
    "password",
    "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
    "https://example.com/a.png",
    "",
    " ",
  ),
);

const { jsonValue } = fc.letrec((tie) => ({
  jsonValue: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("jsonValue"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("jsonValue"), { maxKeys: 4 }),
  ),
}));

/** A value a real client might send for a field of this name, so a request gets deep enough. */
const plausible = (field: string) => {
  if (/email/.test(field)) return fc.constantFrom("user@example.com", "USER@example.com ", "nobody@example.com");
  if (/password/.test(field)) return fc.constantFrom("password", "password123", "correct horse battery");
  if (/refresh|token/.test(field)) return fc.uuid();
  if (/username/.test(field)) return fc.constantFrom("John Smith", "zoë", "");
  if (/lifetime|interval|limit|window/.test(field)) return fc.integer({ min: -5, max: 100_000 });
  if (/privacy|require/.test(field)) return fc.boolean();
  if (field === "metadata") return fc.dictionary(fc.string(), jsonValue, { maxKeys: 3 });
  return fc.string({ maxLength: 20 });
};

/** Mostly plausible values with hostile ones mixed in: hostile text harms only where it gets in. */
const fieldValue = (field: string) =>
  fc.oneof({ weight: 3, arbitrary: plausible(field) }, { weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: jsonValue });

const deeplyNested = fc.integer({ min: 1, max: 5_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`);

/** A body for an operation: its own fields with random values, other keys, or not JSON at all. */
const bodyFor = (fields: string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc
      .record(Object.fromEntries([...fields, "__proto__", "extra"].map((field) => [field, fieldValue(field)])), { requiredKeys: fields })
      .map((body) => JSON.stringify(body)) },
    jsonValue.map((value) => JSON.stringify(value)),
    deeplyNested.map((nested) => `{"x": ${nested}}`),
    fc.string(),
    fc.constantFrom("", "{", "null", '{"__proto__": {"isAdmin": true}}', '{"a": "\\ud800"}', '{"a\\u0000": 1}'),
  );

// encodeURIComponent refuses lone surrogates; their UTF-8 form is sent raw above instead.
const encodeSegment = (text: string) => encodeURIComponent(text.toWellFormed());

const pathFor = (template: string) =>
  fc
    .tuple(...(template.match(/\{[^}]+\}/g) ?? []).map(() => fc.oneof(fc.webSegment(), hostileString.map(encodeSegment), fc.constantFrom("%00", "%ZZ", "%E0%A4", "%ED%A0%80", "1", "0", "-1", "99999999999999999999"))))
    .map((values) => {
      let index = 0;
      return template.replace(/\{[^}]+\}/g, () => values[index++]!);
    });

const queryString = fc.oneof(
  fc.constant(""),
  fc.webQueryParameters().map((query) => `?${query}`),
  fc
    .record({ query: hostileString, limit: fc.oneof(fc.integer(), hostileString), offset: fc.oneof(fc.integer(), hostileString) }, { requiredKeys: [] })
    .map((params) => `?${new URLSearchParams(Object.entries(params).map(([key, value]): [string, string] => [key, String(value).toWellFormed()]))}`),
  fc.constantFrom("?query=%00", "?limit=%ZZ", "?query=%E0%A4%A", "?limit=1e309"),
);

const request = fc.record({
  operation: fc.constantFrom(...operations),
  // Mostly the operation's own method and JSON, so most requests reach their handler.
  method: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE") }),
  identity: fc.constantFrom("anonymous", "user", "superuser", "superuser", "garbage"),
  contentType: fc.oneof({ weight: 8, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "application/merge-patch+json") }),
  seed: fc.nat(),
});

let user = await t.account();
let superuser = await t.superuser();
let runs = 0;
/** How often each status came back: a fuzz run that only ever meets 404s proves little. */
const statuses = new Map<number, number>();
afterAll(() => console.log(`fuzz (seed ${SEED}): ${runs} requests; statuses`, Object.fromEntries([...statuses].sort(([a], [b]) => a - b))));

/** Fresh tokens now and then: random calls log out, revoke sessions and change settings. */
async function tokenFor(identity: string): Promise<string | undefined> {
  if (++runs % 50 === 0) {
    await t.request("PATCH", "/api/admin/config/", { token: superuser.access_token, body: { require_email_verification: false, login_rate_limit: 0 } });
    user = await t.account().catch(() => user);
    superuser = await t.superuser().catch(() => superuser);
  }
  if (identity === "user") return user.access_token;
  if (identity === "superuser") return superuser.access_token;
  if (identity === "garbage") return "eyJhbGciOiJub25lIn0.e30.";
  return undefined;
}

async function expectSafeAnswer(method: string, path: string, body: string | undefined, contentType: string, identity: string) {
  const token = await tokenFor(identity);
  const headers: Record<string, string> = { "content-type": contentType };
  if (token) headers.authorization = `Bearer ${token}`;
  const hasBody = body !== undefined && method !== "GET" && method !== "HEAD";
  let response: Response;
  try {
    response = await t.fetch(path, { method, headers, body: hasBody ? body : undefined });
  } catch (error) {
    // A URL the Request constructor itself refuses never reaches a server.
    if (error instanceof TypeError && /url/i.test(error.message)) return;
    throw error;
  }
  const text = await response.text();
  const where = `${method} ${path} ${identity} (seed ${SEED})`;
  // Bun's HTTP server refuses a request head over 16 KiB itself (431, no body): authd never sees it.
  if (onBinary && response.status === 431 && path.length > 15_000) return;
  expect(response.status, where).toBeLessThan(500);
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  if (response.status >= 400 && method !== "HEAD") {
    const parsed = JSON.parse(text);
    expect(typeof parsed.detail, where).toBe("string");
    expect(typeof parsed.code, where).toBe("string");
  }
}

describe(`random requests never get a 5xx (seed ${SEED})`, () => {
  test("documented operations with random bodies, path parameters and tokens (1,500 cases)", async () => {
    await fc.assert(
      fc.asyncProperty(
        request.chain((base) =>
          fc.record({ base: fc.constant(base), path: pathFor(base.operation.path), query: queryString, body: bodyFor(base.operation.fields) }),
        ),
        async ({ base, path, query, body }) => {
          await expectSafeAnswer(base.method ?? base.operation.method, `${path}${query}`, body, base.contentType, base.identity);
        },
      ),
      { seed: SEED, numRuns: 1_500 },
    );
  });

  test("random paths and query strings anywhere (500 cases)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.webPath(), fc.webPath().map((path) => `/api${path}`), pathFor("/api/{a}/{b}/")),
        queryString,
        fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
        fc.constantFrom("anonymous", "user", "garbage"),
        jsonValue.map((value) => JSON.stringify(value)),
        async (path, query, method, identity, body) => {
          await expectSafeAnswer(method, `${path.startsWith("/") ? path : `/${path}`}${query}`, body, "application/json", identity);
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});
