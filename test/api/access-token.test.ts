import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { keyIdOf } from "../../src/tokens";
import { TEST_SECRET, decodeJwt, setupApp } from "../support/helpers";

const t = await setupApp();
const { user, access_token } = await t.account();
const { sid } = decodeJwt(access_token).payload;

const sign = (claims: Record<string, unknown>, { alg = "HS256", secret = TEST_SECRET } = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: String(user.id),
    user_id: user.id,
    sid,
    type: "access",
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg, typ: "JWT", kid: keyIdOf(TEST_SECRET) })
    .sign(new TextEncoder().encode(secret));
};

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function expectRejected(token: string) {
  const response = await t.request("GET", "/api/me/", { token });
  expect(response.status).toBe(401);
  expect(response.body).toEqual({ detail: expect.any(String), code: "token_not_valid" });
}

describe("access token verification", () => {
  test("a token we sign the same way is accepted (the rejections below are meaningful)", async () => {
    expect((await t.request("GET", "/api/me/", { token: await sign({}) })).status).toBe(200);
    expect((await t.request("GET", "/api/me/", { token: access_token })).status).toBe(200);
  });

  test("alg none is rejected", async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { sub: String(user.id), user_id: user.id, sid, type: "access", jti: "x", iat: now, exp: now + 300 };
    await expectRejected(`${base64url({ alg: "none", typ: "JWT", kid: keyIdOf(TEST_SECRET) })}.${base64url(payload)}.`);
  });

  test("HS512 with the same secret is rejected", async () => {
    await expectRejected(await sign({}, { alg: "HS512" }));
  });

  test("a wrong secret is rejected", async () => {
    await expectRejected(await sign({}, { secret: "another-secret-that-is-at-least-32-bytes" }));
  });

  test("a tampered payload is rejected", async () => {
    const [header, , signature] = access_token.split(".");
    const payload = JSON.parse(Buffer.from(access_token.split(".")[1]!, "base64url").toString());
    await expectRejected(`${header}.${base64url({ ...payload, user_id: payload.user_id + 1 })}.${signature}`);
  });

  test("an expired token is rejected", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await sign({ iat: now - 120, exp: now - 60 }));
  });

  test("a token without exp is rejected", async () => {
    const token = await new SignJWT({ sub: String(user.id), user_id: user.id, sid, type: "access", jti: "x" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: keyIdOf(TEST_SECRET) })
      .setIssuedAt()
      .sign(new TextEncoder().encode(TEST_SECRET));
    await expectRejected(token);
  });

  test("a token whose type is not access is rejected", async () => {
    await expectRejected(await sign({ type: "refresh" }));
  });

  test("a token whose user_id is a string is rejected", async () => {
    await expectRejected(await sign({ user_id: String(user.id) }));
  });

  test("a token without a session id, or with another user's session, is rejected", async () => {
    await expectRejected(await sign({ sid: undefined }));
    const other = await t.account();
    await expectRejected(await sign({ sid: decodeJwt(other.access_token).payload.sid }));
  });

  test("a token with an unknown kid is rejected", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: String(user.id), user_id: user.id, sid, type: "access", jti: "x", iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: "unknown" })
      .sign(new TextEncoder().encode(TEST_SECRET));
    await expectRejected(token);
  });

  test("a token whose sub and user_id disagree is rejected", async () => {
    await expectRejected(await sign({ sub: String(user.id + 1) }));
  });
});
