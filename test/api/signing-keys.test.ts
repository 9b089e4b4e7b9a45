import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { SignJWT, createLocalJWKSet, jwtVerify } from "jose";
import { keyIdOf } from "../../src/tokens";
import { TEST_SECRET, decodeJwt, setupApp } from "../support/helpers";

const t = await setupApp();
const { email, password } = await t.register();
const oldTokens = await t.login(email, password);

const NEW_SECRET = "the-new-secret-after-rotation-32-bytes+";

/** Each restart is a new deployment of authd over the same database and sessions. */
describe("secret rotation with JWT_SECRET_PREVIOUS", () => {
  let fresh: string;

  test("after a restart with a new secret, a token signed with the previous one still verifies", async () => {
    await t.restart({ JWT_SECRET: NEW_SECRET, JWT_SECRET_PREVIOUS: TEST_SECRET });
    expect((await t.request("GET", "/api/me/", { token: oldTokens.access_token })).status).toBe(200);
  });

  test("new tokens are signed with the new secret and carry its kid", async () => {
    const login = await t.request("POST", "/api/login/", { body: { email, password } });
    fresh = login.body.access_token;
    const { header } = decodeJwt(fresh);
    expect(header.kid).toBe(keyIdOf(NEW_SECRET));
    expect(header.kid).not.toBe(decodeJwt(oldTokens.access_token).header.kid);
    expect((await t.request("GET", "/api/me/", { token: fresh })).status).toBe(200);
  });

  test("refresh tokens survive the rotation", async () => {
    const response = await t.request("POST", "/api/refresh/", { body: { refresh_token: oldTokens.refresh_token } });
    expect(response.status).toBe(200);
  });

  test("once the previous secret is dropped, its tokens are rejected", async () => {
    await t.restart({ JWT_SECRET: NEW_SECRET });
    const response = await t.request("GET", "/api/me/", { token: oldTokens.access_token });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("token_not_valid");
    expect((await t.request("GET", "/api/me/", { token: fresh })).status).toBe(200);
  });

  test("the old deployment does not know the new secret", async () => {
    await t.restart();
    expect((await t.request("GET", "/api/me/", { token: fresh })).status).toBe(401);
  });
});

describe("HS256 publishes no keys", () => {
  test("/.well-known/jwks.json is an empty key set", async () => {
    const response = await t.request("GET", "/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ keys: [] });
  });
});

const asymmetric: Array<["EdDSA" | "ES256", () => string]> = [
  ["EdDSA", () => generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString()],
  ["ES256", () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString()],
];

for (const [algorithm, makeKey] of asymmetric) {
  describe(`JWT_ALGORITHM=${algorithm}`, () => {
    const hs256Tokens = { access_token: "" };

    test("tokens verify with jose against the keys from /.well-known/jwks.json", async () => {
      await t.restart();
      Object.assign(hs256Tokens, await t.login(email, password));
      await t.restart({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: makeKey() });
      const login = await t.request("POST", "/api/login/", { body: { email, password } });
      expect(login.status).toBe(200);
      const jwks = await t.request("GET", "/.well-known/jwks.json");
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys).toHaveLength(1);
      expect(jwks.body.keys[0]).toMatchObject({ alg: algorithm, use: "sig", kid: expect.any(String) });
      expect(jwks.body.keys[0].d).toBeUndefined();
      const { payload, protectedHeader } = await jwtVerify(login.body.access_token, createLocalJWKSet(JSON.parse(jwks.text)), {
        algorithms: [algorithm],
      });
      expect(protectedHeader).toMatchObject({ alg: algorithm, kid: jwks.body.keys[0].kid });
      expect(payload).toMatchObject({ type: "access", sub: expect.any(String) });
      expect((await t.request("GET", "/api/me/", { token: login.body.access_token })).status).toBe(200);
    });

    test("HS256 tokens are then rejected, even with the kid of the published key", async () => {
      const kid = (await t.request("GET", "/.well-known/jwks.json")).body.keys[0].kid;
      expect((await t.request("GET", "/api/me/", { token: hs256Tokens.access_token })).status).toBe(401);
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({ ...decodeJwt(hs256Tokens.access_token).payload, iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: "HS256", typ: "JWT", kid })
        .sign(new TextEncoder().encode(TEST_SECRET));
      const response = await t.request("GET", "/api/me/", { token: forged });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe("token_not_valid");
    });
  });
}
