import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { onBinary, setupApp } from "../support/helpers";

/**
 * Property: whatever arrives, the answer is below 500 and, from 400 on, in the one error shape.
 * Requests are derived from the OpenAPI document: every operation, its path and query
 * parameters and its body fields, with values drawn from each field's own schema (so requests
 * get past validation and into the handlers) mixed with hostile ones (objects with keys such
 * as toString or __proto__, arrays, numbers, NUL, lone surrogates, huge text). Seeded:
 * FUZZ_SEED reproduces a run; a failure prints its seed and input.
 */
setDefaultTimeout(180_000);

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const t = await setupApp();

type Schema = {
  type?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
};
type Parameter = { name: string; in: "path" | "query" | "header"; schema: Schema };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } };

const spec = (await t.request("GET", "/api-doc/json")).body as { paths: Record<string, Record<string, Operation>> };

/** Every documented operation: method, path template, parameters, body schema. */
const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase(),
    path,
    parameters: operation.parameters ?? [],
    body: operation.requestBody?.content["application/json"]?.schema,
  })),
);

const PROTOTYPE_KEYS = ["toString", "valueOf", "constructor", "__proto__", "toJSON", "hasOwnProperty", "then"];

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom("\u0000", "\ud800", "\udfff", "\u0007", "\n", "\u202e", "\u200b", "\u0085"), fc.string({ maxLength: 8 })).map((parts) => parts.join("")),
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udfffy", "\u001f\u007f", "x".repeat(10_000), "ä".repeat(200), "' OR 1=1 --", "%00", "../../etc/passwd", "", " ", ...PROTOTYPE_KEYS),
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

/** An object whose keys are the ones JavaScript objects inherit: a classic way into a 500. */
const prototypeLike = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.dictionary(fc.string(), fc.integer()))), {
    minLength: 1,
    maxLength: 3,
    selector: ([key]) => key,
  })
  // Parsed from JSON, as a request body is: "__proto__" is then an own key, not the prototype.
  .map((entries) => JSON.parse(`{${entries.map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(", ")}}`));

const nested = (depth: number): unknown => (depth === 0 ? "leaf" : { level: nested(depth - 1) });

/** A value the schema allows (roughly: formats and patterns as a client would meet them). */
function validValue(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(validValue));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case "boolean":
      return fc.boolean();
    case "integer":
    case "number":
      return fc.integer({ min: Math.max(schema.minimum ?? -1_000, -1e9), max: Math.min(schema.maximum ?? 100_000, 1e9) });
    case "object":
      if (schema.properties)
        return fc.record(Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name, validValue(property)])), {
          requiredKeys: schema.required ?? [],
        });
      // A free object (metadata) within its limits: 4 KiB, 8 levels.
      return fc.oneof(
        fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 5 }),
        fc.integer({ min: 1, max: 8 }).map(nested),
      );
    case "array":
      return fc.array(jsonValue, { maxLength: 3 });
    default:
      break;
  }
  if (schema.format === "email") return fc.oneof(fc.emailAddress(), fc.constantFrom("user@example.com", "USER@example.com "));
  if (schema.format === "uuid") return fc.uuid();
  if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
  if (schema.format === "page-limit") return fc.integer({ min: 1, max: 500 }).map(String);
  if (schema.format === "page-offset") return fc.integer({ min: 0, max: 1000 }).map(String);
  if (schema.pattern?.startsWith("^(https?://")) return fc.oneof(fc.webUrl(), fc.constant(""));
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 40, 300);
  return fc.oneof(
    fc.string({ minLength, maxLength }),
    fc.string({ minLength, maxLength, unit: "grapheme" }),
    fc.constantFrom("password123", "John Smith", "Zoë Ω 测试", "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d").filter((value) => value.length >= minLength && value.length <= maxLength),
  );
}

/** Mostly what the schema allows, then what it does not. */
const fieldValue = (schema: Schema) =>
  fc.oneof(
    { weight: 4, arbitrary: validValue(schema) },
    { weight: 2, arbitrary: hostileString },
    { weight: 1, arbitrary: prototypeLike },
    { weight: 1, arbitrary: jsonValue },
    { weight: 1, arbitrary: fc.integer({ min: 9, max: 64 }).map(nested) },
  );

const deeplyNested = fc.integer({ min: 1, max: 5_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`);

/** A body for an operation: its own fields from its schema (plus strays), or not JSON at all. */
const bodyFor = (schema: Schema | undefined) =>
  fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .record<Record<string, unknown>>(
          Object.fromEntries([...Object.entries(schema?.properties ?? {}), ["__proto__", {}], ["extra", {}]].map(([name, property]) => [name, fieldValue(property as Schema)])),
          { requiredKeys: (schema?.required ?? []) as never[] },
        )
        .map((body) => JSON.stringify(body)),
    },
    jsonValue.map((value) => JSON.stringify(value)),
    deeplyNested.map((depth) => `{"x": ${depth}}`),
    fc.string(),
    fc.constantFrom("", "{", "null", '{"__proto__": {"isAdmin": true}}', '{"a": "\\ud800"}', '{"a\\u0000": 1}'),
  );

// encodeURIComponent refuses lone surrogates; their UTF-8 form is sent raw above instead.
const encode = (text: string) => encodeURIComponent(text.toWellFormed());
const stringOf = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value) ?? "");

const pathFor = (template: string, parameters: Parameter[]) =>
  fc
    .tuple(
      ...(template.match(/\{[^}]+\}/g) ?? []).map((placeholder) => {
        const schema = parameters.find((parameter) => parameter.in === "path" && `{${parameter.name}}` === placeholder)?.schema ?? {};
        return fc.oneof(
          { weight: 3, arbitrary: fc.oneof(validValue(schema), fc.integer({ min: 1, max: 50 })).map((value) => encode(stringOf(value))) },
          fc.webSegment(),
          hostileString.map(encode),
          fc.constantFrom("%00", "%ZZ", "%E0%A4", "%ED%A0%80", "0", "-1", "99999999999999999999"),
        );
      }),
    )
    .map((values) => {
      let index = 0;
      return template.replace(/\{[^}]+\}/g, () => values[index++]!);
    });

const queryFor = (parameters: Parameter[]) => {
  const query = parameters.filter((parameter) => parameter.in === "query");
  return fc.oneof(
    fc
      .record(Object.fromEntries(query.map((parameter) => [parameter.name, fc.oneof(validValue(parameter.schema), hostileString, fc.integer(), fc.double())])), { requiredKeys: [] })
      .map((params) => {
        const entries = Object.entries(params).map(([name, value]): [string, string] => [name, stringOf(value).toWellFormed()]);
        return entries.length ? `?${new URLSearchParams(entries)}` : "";
      }),
    fc.webQueryParameters().map((text) => `?${text}`),
    fc.constantFrom("", "?limit=%ZZ", "?query=%E0%A4%A", "?limit=1e309", "?offset=-0", "?limit=0x10"),
  );
};

const caseFor = (operation: (typeof operations)[number]) =>
  fc.record({
    operation: fc.constant(operation),
    path: pathFor(operation.path, operation.parameters),
    query: queryFor(operation.parameters),
    body: bodyFor(operation.body),
    // Mostly the operation's own method and JSON, so most requests reach their handler.
    method: fc.oneof({ weight: 8, arbitrary: fc.constant(operation.method) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") }),
    identity: fc.constantFrom("anonymous", "user", "superuser", "superuser", "garbage"),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant("application/json") },
      { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "application/merge-patch+json") },
    ),
  });

let user = await t.account();
let superuser = await t.superuser();
let runs = 0;
/** How often each status came back: a fuzz run that only ever meets 404s proves little. */
const statuses = new Map<number, number>();
afterAll(() => console.log(`fuzz (seed ${SEED}): ${runs} requests over ${operations.length} operations; statuses`, Object.fromEntries([...statuses].sort(([a], [b]) => a - b))));

/** Fresh tokens now and then: random calls log out, revoke sessions and change settings. */
async function tokenFor(identity: string): Promise<string | undefined> {
  if (++runs % 50 === 0) {
    await t.request("PATCH", "/api/admin/config/", { token: superuser.access_token, body: { require_email_verification: false, login_rate_limit: 0, login_account_rate_limit: 0 } });
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
  // Against the binary, what it logged about a 5xx (its stack) comes with the failure.
  if (response.status >= 500 && onBinary) console.error((t as unknown as { server(): { lines: string[] } }).server().lines.slice(-3).join("\n"));
  expect(response.status, where).toBeLessThan(500);
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  if (response.status >= 400 && method !== "HEAD") {
    const parsed = JSON.parse(text);
    expect(typeof parsed.detail, where).toBe("string");
    expect(typeof parsed.code, where).toBe("string");
  }
}

const run = (testCase: fc.Arbitrary<{ operation: { path: string }; path: string; query: string; body: string; method: string; identity: string; contentType: string }>, numRuns: number, seed: number) =>
  fc.assert(
    fc.asyncProperty(testCase, async ({ path, query, body, method, identity, contentType }) => {
      await expectSafeAnswer(method, `${path}${query}`, body, contentType, identity);
    }),
    { seed, numRuns },
  );

const PER_OPERATION = 20;

describe(`random requests never get a 5xx (seed ${SEED})`, () => {
  test(`the document lists every route: ${operations.length} operations`, () => {
    const compat = process.env.COMPAT_ROUTES !== "none";
    expect(operations.length).toBeGreaterThanOrEqual(compat ? 68 : 39);
    const paths = ["/api/login/", "/api/admin/users/{id}/lockout/", ...(compat ? ["/api/token/", "/dj-rest-auth/password/reset/confirm/"] : [])];
    for (const path of paths) expect(Object.keys(spec.paths)).toContain(path);
  });

  test(`each operation, ${PER_OPERATION} cases from its own schemas`, async () => {
    for (const [index, operation] of operations.entries()) await run(caseFor(operation), PER_OPERATION, SEED + index);
  });

  test("any operation, 1,000 cases", async () => {
    await run(fc.constantFrom(...operations).chain(caseFor), 1_000, SEED);
  });

  test("random paths and query strings anywhere (500 cases)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.webPath(), fc.webPath().map((path) => `/api${path}`), pathFor("/api/{a}/{b}/", [])),
        queryFor([]),
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

describe("a value of the wrong type anywhere is a 400 naming the field, on every route", () => {
  const stringFields = operations.flatMap((operation) =>
    Object.entries(operation.body?.properties ?? {})
      .filter(([, schema]) => schema.type === "string" || Boolean(schema.anyOf?.some((option) => option.type === "string")))
      .map(([field]) => ({ operation, field })),
  );

  test(`an object with inherited-looking keys, an array, a number where each of ${stringFields.length} string fields belongs`, async () => {
    const admin = await t.superuser();
    const samples: unknown[] = [{ toString: 1 }, { valueOf: {}, toString: "x" }, JSON.parse('{"__proto__": {"admin": true}}'), { constructor: 1 }, ["a"], 7];
    for (const { operation, field } of stringFields) {
      for (const sample of samples) {
        const path = operation.path.replace(/\{[^}]+\}/g, String(admin.user.id));
        // The other fields as the schema allows them: a check of theirs would answer first.
        const others = Object.entries(operation.body?.properties ?? {}).map(([name, schema]) => [name, fc.sample(validValue(schema), { numRuns: 1, seed: 42 })[0]]);
        const body = { ...Object.fromEntries(others), [field]: sample };
        const response = await t.request(operation.method, path, { body, token: admin.access_token });
        const where = `${operation.method} ${operation.path} ${field}=${JSON.stringify(sample)}`;
        expect(response.status, where).toBe(400);
        expect(response.body.fields?.[field], where).toBeArray();
      }
    }
  });
});

describe("metadata", () => {
  test("8 levels deep is taken; 9 is a 400 naming metadata", async () => {
    const { access_token } = await t.account();
    const eight = await t.request("PATCH", "/api/me/", { token: access_token, body: { metadata: nested(8) } });
    expect(eight.status).toBe(200);
    const nine = await t.request("PATCH", "/api/me/", { token: access_token, body: { metadata: nested(9) } });
    expect(nine.status).toBe(400);
    expect(Object.keys(nine.body.fields)).toEqual(["metadata"]);
    const arrays = await t.request("PATCH", "/api/me/", { token: access_token, body: { metadata: { a: [[[[[[[["too deep"]]]]]]]] } } });
    expect(arrays.status).toBe(400);
  });
});
