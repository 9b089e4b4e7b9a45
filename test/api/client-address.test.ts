import { describe, expect, test } from "bun:test";
import { onBinary, setupApp } from "../support/helpers";

/**
 * Whose address a request is (TRUST_PROXY), as sessions record it and login limits count it.
 * A request handed in process has no socket address; over HTTP, the test's is 127.0.0.1.
 */
const peer = onBinary ? "127.0.0.1" : null;

const oneProxy = await setupApp({ TRUST_PROXY: "1" });
const noProxy = await setupApp({ TRUST_PROXY: "false" });
const proxiesByAddress = await setupApp({ TRUST_PROXY: "127.0.0.1, 10.0.0.0/8, fd00::/8" });
const untrustedPeer = await setupApp({ TRUST_PROXY: "10.0.0.0/8" });

type Target = typeof oneProxy;

/** Logs in with this X-Forwarded-For and answers the address the new session recorded. */
async function recordedAddress(t: Target, forwardedFor: string): Promise<string | null> {
  const { email } = await t.register();
  const login = await t.request("POST", "/api/login/", { body: { email, password: "password123" }, headers: { "x-forwarded-for": forwardedFor } });
  expect(login.status).toBe(200);
  const sessions = await t.request("GET", "/api/sessions/", { token: login.body.access_token });
  return sessions.body[0].ip;
}

/** Wrong passwords for one account, each with its own X-Forwarded-For; the statuses. */
async function guesses(t: Target, email: string, forwardedFor: (attempt: number) => string, count: number) {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < count; attempt++) {
    const response = await t.request("POST", "/api/login/", {
      body: { email, password: "wrong-password" },
      headers: { "x-forwarded-for": forwardedFor(attempt) },
    });
    statuses.push(response.status);
  }
  return statuses;
}

describe("TRUST_PROXY=1: one proxy in front, which appends the address it saw", () => {
  test("the client is the rightmost X-Forwarded-For entry; what the client wrote to its left is ignored", async () => {
    expect(await recordedAddress(oneProxy, "203.0.113.99, 198.51.100.20")).toBe("198.51.100.20");
    expect(await recordedAddress(oneProxy, "198.51.100.21")).toBe("198.51.100.21");
  });

  test("rotating the entries a client writes does not escape the login limit (10 per account and IP)", async () => {
    const { email, password } = await oneProxy.register();
    const statuses = await guesses(oneProxy, email, (attempt) => `192.0.2.${attempt}, 198.51.100.30`, 10);
    expect(statuses).toEqual(Array(10).fill(401));
    const blocked = await oneProxy.request("POST", "/api/login/", {
      body: { email, password },
      headers: { "x-forwarded-for": "192.0.2.200, 198.51.100.30" },
    });
    expect(blocked.status).toBe(429);
  });

  test("an IPv6 client is counted by its /64: other addresses of that network share its limit", async () => {
    const { email, password } = await oneProxy.register();
    expect(await guesses(oneProxy, email, (attempt) => `2001:db8:1:2::${(attempt + 1).toString(16)}`, 10)).toEqual(Array(10).fill(401));
    const sameNetwork = { body: { email, password }, headers: { "x-forwarded-for": "2001:db8:1:2:ffff:ffff:ffff:ffff" } };
    expect((await oneProxy.request("POST", "/api/login/", sameNetwork)).status).toBe(429);
    const otherNetwork = { body: { email, password }, headers: { "x-forwarded-for": "2001:db8:1:3::1" } };
    expect((await oneProxy.request("POST", "/api/login/", otherNetwork)).status).toBe(200);
  });

  test("addresses are stored canonical; an entry that is not an IP address is never stored or counted as one", async () => {
    expect(await recordedAddress(oneProxy, "2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(await recordedAddress(oneProxy, "::ffff:198.51.100.40")).toBe("198.51.100.40");
    for (const garbage of ["<script>alert(1)</script>", "unknown", "198.51.100.1:8080", "999.1.1.1", ""])
      expect(await recordedAddress(oneProxy, garbage), garbage).toBe(peer);
  });
});

describe("TRUST_PROXY unset: X-Forwarded-For is ignored", () => {
  test("the session records the socket's address, not the header", async () => {
    expect(await recordedAddress(noProxy, "198.51.100.50")).toBe(peer);
  });

  test("rotating X-Forwarded-For does not escape the login limit", async () => {
    const { email, password } = await noProxy.register();
    expect(await guesses(noProxy, email, (attempt) => `198.51.100.${attempt}`, 10)).toEqual(Array(10).fill(401));
    const blocked = await noProxy.request("POST", "/api/login/", { body: { email, password }, headers: { "x-forwarded-for": "198.51.100.99" } });
    expect(blocked.status).toBe(429);
  });
});

describe("TRUST_PROXY as addresses and CIDRs: the rightmost address that is not a trusted proxy", () => {
  test("trusted hops are skipped from the right; a spoofed entry left of the client does not count", async () => {
    expect(await recordedAddress(proxiesByAddress, "203.0.113.5, 10.1.1.1")).toBe("203.0.113.5");
    expect(await recordedAddress(proxiesByAddress, "198.51.100.7, 203.0.113.5, 10.9.9.9, 10.1.1.1")).toBe("203.0.113.5");
    expect(await recordedAddress(proxiesByAddress, "2001:db8::7, fd12::1")).toBe("2001:db8::7");
    // Not an address, behind a trusted hop: the socket's address stands.
    expect(await recordedAddress(proxiesByAddress, "not-an-ip, 10.1.1.1")).toBe(peer);
  });

  test("a peer that is not a trusted proxy cannot forward for anyone", async () => {
    const base = await untrustedPeer.listen();
    const { email } = await untrustedPeer.register();
    const login = await fetch(`${base}/api/login/`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "198.51.100.60" },
      body: JSON.stringify({ email, password: "password123" }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const sessions = await fetch(`${base}/api/sessions/`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(((await sessions.json()) as Array<{ ip: string }>)[0]!.ip).toBe("127.0.0.1");
  });
});
