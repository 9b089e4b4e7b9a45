import { describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { type Requester, setupApp } from "../support/helpers";

const t = await setupApp();
const limited = await setupApp();
const gated = await setupApp({ METRICS_TOKEN: "metrics-token-for-tests" });
const exposed = await setupApp({ HOST: "0.0.0.0" });

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Parses the Prometheus text exposition format strictly enough to fail on anything malformed. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const comment = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/);
    if (comment) {
      if (comment[1] === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(comment[3]!);
        typed.add(comment[2]!);
      }
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/);
    if (!sample) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[pair[1]!] = pair[2]!;
    const family = sample[1]!.replace(/_(bucket|sum|count)$/, "");
    if (!typed.has(sample[1]!) && !typed.has(family)) throw new Error(`sample without a TYPE line: ${sample[1]}`);
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return samples;
}

async function scrape(request: Requester = t.request, headers: Record<string, string> = {}) {
  const response = await request("GET", "/metrics", { headers, direct: true });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("text/plain");
  return { text: response.text, samples: parseExposition(response.text) };
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((total, sample) => total + sample.value, 0);

describe("GET /metrics", () => {
  test("is Prometheus text whose counts move with requests, labelled by route template only", async () => {
    const before = (await scrape()).samples;
    const { email, user, access_token, refresh_token } = await t.account();
    await t.request("GET", "/api/me/", { token: access_token });
    await t.request("GET", "/api/me/", { token: access_token });
    await t.request("POST", "/api/login/", { body: { email, password: "wrong-password" } });
    const rotated = await t.request("POST", "/api/refresh/", { body: { refresh_token } });
    expect(rotated.status).toBe(200);
    // No reuse window by default: the spent token presented again is reuse.
    expect((await t.request("POST", "/api/refresh/", { body: { refresh_token } })).body.code).toBe("token_reused");
    await t.request("GET", `/api/users/${user.id}/`);
    await t.request("GET", "/no/such/path/4242424242");
    await Bun.sleep(10); // after-response hooks run once the response is out

    const { text, samples } = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => valueOf(samples, name, labels) - valueOf(before, name, labels);
    expect(delta("authd_http_requests_total", { method: "GET", route: "/api/me/", status: "200" })).toBe(2);
    expect(delta("authd_http_requests_total", { method: "POST", route: "/api/login/", status: "401" })).toBe(1);
    expect(delta("authd_http_requests_total", { route: "unmatched", status: "404" })).toBe(1);
    expect(delta("authd_http_request_duration_seconds_count", { method: "GET", route: "/api/me/" })).toBe(2);
    expect(valueOf(samples, "authd_http_request_duration_seconds_bucket", { route: "/api/me/", le: "+Inf" })).toBeGreaterThanOrEqual(2);
    expect(delta("authd_logins_total", { outcome: "ok" })).toBe(1);
    expect(delta("authd_logins_total", { outcome: "failed" })).toBe(1);
    expect(delta("authd_refresh_rotations_total")).toBe(1);
    expect(delta("authd_refresh_reuse_detected_total")).toBe(1);
    expect(delta("authd_password_hash_duration_seconds_count", { operation: "hash" })).toBe(1);
    expect(delta("authd_password_hash_duration_seconds_count", { operation: "verify" })).toBe(2);
    expect(valueOf(samples, "authd_db_pool_connections", { state: "max" })).toBeGreaterThanOrEqual(1);
    // prom-client's process metrics, loaded by the first scrape, are in every one.
    expect(valueOf(samples, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(valueOf(before, "process_resident_memory_bytes")).toBeGreaterThan(0);

    const routes = new Set(samples.flatMap((sample) => (sample.labels.route ? [sample.labels.route] : [])));
    for (const route of routes) expect(route === "unmatched" || route.startsWith("/")).toBe(true);
    expect([...routes].some((route) => route.startsWith("/api/users/:"))).toBe(true);
    for (const secret of [email, access_token, refresh_token, "4242424242", `/api/users/${user.id}/`]) expect(text).not.toContain(secret);
  });

  test("counts rate-limited logins apart from failed ones", async () => {
    const { email } = await limited.register();
    const admin = await limited.superuser();
    await limited.request("PATCH", "/api/admin/config/", { token: admin.access_token, body: { login_rate_limit: 2 } });
    const before = (await scrape(limited.request)).samples;
    for (let attempt = 0; attempt < 3; attempt++)
      await limited.request("POST", "/api/login/", { body: { email, password: "wrong-password" }, headers: { "x-forwarded-for": "203.0.113.7" } });
    const { samples } = await scrape(limited.request);
    const delta = (outcome: string) => valueOf(samples, "authd_logins_total", { outcome }) - valueOf(before, "authd_logins_total", { outcome });
    expect(delta("failed")).toBe(2);
    expect(delta("rate_limited")).toBe(1);
  });

  test("METRICS_TOKEN gates it: no token or a wrong one is 401 in the error shape", async () => {
    const missing = await gated.request("GET", "/metrics");
    expect(missing.status).toBe(401);
    expect(missing.body.code).toBe("not_authenticated");
    expect((await gated.request("GET", "/metrics", { token: "metrics-token-for-test" })).status).toBe(401);
    expect((await gated.request("GET", "/metrics", { token: access_tokenOf(await gated.account()) })).status).toBe(401);
    await scrape(gated.request, { authorization: "Bearer metrics-token-for-tests" });
  });
});

const access_tokenOf = (account: { access_token: string }) => account.access_token;

const exposedBase = await exposed.listen();
describe("GET /metrics without METRICS_TOKEN, on a real port", () => {
  const base = exposedBase;
  const port = new URL(base).port;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === "IPv4" && !address.internal)?.address;

  test("a loopback client gets it; a request with any forwarding header (X-Real-IP alone too) does not", async () => {
    const local = await fetch(`${base}/metrics`);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain("authd_http_requests_total");
    for (const header of ["x-forwarded-for", "x-real-ip", "forwarded", "x-forwarded-host", "x-client-ip", "via", "true-client-ip"]) {
      const forwarded = await fetch(`${base}/metrics`, { headers: { [header]: header === "forwarded" ? "for=203.0.113.9" : "203.0.113.9" } });
      expect(forwarded.status, header).toBe(403);
      expect(((await forwarded.json()) as { code: string }).code).toBe("permission_denied");
    }
  });

  test.skipIf(!external)("a client on another address gets 403", async () => {
    const response = await fetch(`http://${external}:${port}/metrics`);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("permission_denied");
  });
});
