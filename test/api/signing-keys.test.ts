import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { SignJWT, createLocalJWKSet, jwtVerify } from "jose";
import { keyIdOf } from "../../src/tokens";
import { TEST_SECRET, appOn, decodeJwt, setupApp } from "../support/helpers";

const t = await setupApp();
const { email, password } = await t.register();
const oldTokens = await t.login(email, password);

const NEW_SECRET = "the-new-secret-after-rotation-32-bytes+";

describe("secret rotation with JWT_SECRET_PREVIOUS", () => {
  const rotated = appOn(t.database, { jwtSecret: NEW_SECRET, jwtSecretPrevious: TEST_SECRET });
  const withoutPrevious = appOn(t.database, { jwtSecret: NEW_SECRET });

  test("a token signed with the previous secret still verifies", async () => {
    expect((await rotated.request("GET", "/api/me/", { token: oldTokens.access_token })).status).toBe(200);
  });

  test("new tokens are signed with the new secret and carry its kid", async () => {
    const fresh = await rotated.request("POST", "/api/login/", { body: { email, password } });
    const { header } = decodeJwt(fresh.body.access_token);
    expect(header.kid).toBe(keyIdOf(NEW_SECRET));
    expect(header.kid).not.toBe(decodeJwt(oldTokens.access_token).header.kid);
    expect((await rotated.request("GET", "/api/me/", { token: fresh.body.access_token })).status).toBe(200);
    // The old deployment does not know the new secret.
    expect((await t.request("GET", "/api/me/", { token: fresh.body.access_token })).status).toBe(401);
  });

  test("once the previous secret is dropped, its tokens are rejected", async () => {
    const response = await withoutPrevious.request("GET", "/api/me/", { token: oldTokens.access_token });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("token_not_valid");
  });

  test("refresh tokens survive the rotation", async () => {
    const response = await rotated.request("POST", "/api/refresh/", { body: { refresh_token: oldTokens.refresh_token } });
    expect(response.status).toBe(200);
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
    const signed = appOn(t.database, { jwtAlgorithm: algorithm, jwtPrivateKey: makeKey() });

    test("tokens verify with jose against the keys from /.well-known/jwks.json", async () => {
      const login = await signed.request("POST", "/api/login/", { body: { email, password } });
      expect(login.status).toBe(200);
      const jwks = await signed.request("GET", "/.well-known/jwks.json");
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys).toHaveLength(1);
      expect(jwks.body.keys[0]).toMatchObject({ alg: algorithm, use: "sig", kid: expect.any(String) });
      expect(jwks.body.keys[0].d).toBeUndefined();
      const { payload, protectedHeader } = await jwtVerify(login.body.access_token, createLocalJWKSet(JSON.parse(jwks.text)), {
        algorithms: [algorithm],
      });
      expect(protectedHeader).toMatchObject({ alg: algorithm, kid: jwks.body.keys[0].kid });
      expect(payload).toMatchObject({ type: "access", sub: expect.any(String) });
      expect((await signed.request("GET", "/api/me/", { token: login.body.access_token })).status).toBe(200);
    });

    test("HS256 tokens are then rejected, even with the kid of the published key", async () => {
      const kid = (await signed.request("GET", "/.well-known/jwks.json")).body.keys[0].kid;
      expect((await signed.request("GET", "/api/me/", { token: oldTokens.access_token })).status).toBe(401);
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({ ...decodeJwt(oldTokens.access_token).payload, iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: "HS256", typ: "JWT", kid })
        .sign(new TextEncoder().encode(TEST_SECRET));
      const response = await signed.request("GET", "/api/me/", { token: forged });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe("token_not_valid");
    });
  });
}
