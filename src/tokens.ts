import { type KeyObject, createHmac, createPrivateKey, createPublicKey, createSecretKey } from "node:crypto";
import { jwt } from "@elysiajs/jwt";
import { t } from "elysia";
import type { AppConfig } from "./config";

/**
 * Access tokens: JWTs signed and verified through @elysiajs/jwt (HS256 by default, EdDSA or
 * ES256 with a private key). Refresh and one-time tokens: opaque random values of which only
 * the SHA-256 is ever stored.
 */

const AccessClaims = t.Object({
  sub: t.String(),
  user_id: t.Number({ multipleOf: 1 }),
  sid: t.String({ format: "uuid" }),
  type: t.Literal("access"),
  jti: t.String(),
  iat: t.Number({ multipleOf: 1 }),
  exp: t.Number({ multipleOf: 1 }),
});
export type AccessClaims = typeof AccessClaims.static;

type Algorithm = AppConfig["jwtAlgorithm"];
type PublicJwk = Record<string, string>;
type Signer = ReturnType<typeof signerFor>;

const signerFor = (key: CryptoKey | KeyObject, alg: Algorithm, kid: string) =>
  jwt({ name: "jwt", secret: key, alg, kid, typ: "JWT", schema: AccessClaims }).decorator.jwt;

/**
 * An HS256 secret as a CryptoKey, made once: given the string, jose imports it afresh on every
 * sign and verify (a few µs of each authenticated request).
 */
const hmacKeyOf = (secret: string): CryptoKey =>
  createSecretKey(Buffer.from(secret)).toCryptoKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);

/** A key id that names an HS256 secret without revealing it, so rotation can be told apart. */
export function keyIdOf(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(`authd-kid:${secret}`).digest("hex").slice(0, 16);
}

/** RFC 7638 thumbprint: the key id of a public key, as anyone holding the JWK can recompute it. */
function thumbprintOf(jwk: PublicJwk): string {
  const members = jwk.kty === "OKP" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(members)).digest("base64url");
}

function decodeHeader(token: string): { kid?: unknown; alg?: unknown } | null {
  try {
    return JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString());
  } catch {
    return null;
  }
}

export interface SigningOptions {
  algorithm: Algorithm;
  /** HS256: the signing secret. */
  secret: string;
  /** HS256: secrets that still verify (not sign), for rotation without logging everyone out. */
  previousSecrets?: string[];
  /** EdDSA / ES256: the PEM private key. */
  privateKey?: string;
}

export class AccessTokens {
  private readonly signer: Signer;
  private readonly verifiers = new Map<string, Signer>();
  readonly algorithm: Algorithm;
  readonly keyId: string;
  /** Public keys for /.well-known/jwks.json (empty with HS256: a shared secret is never published). */
  readonly jwks: { keys: PublicJwk[] } = { keys: [] };

  constructor(options: SigningOptions) {
    this.algorithm = options.algorithm;
    if (options.algorithm === "HS256") {
      this.keyId = keyIdOf(options.secret);
      this.signer = signerFor(hmacKeyOf(options.secret), "HS256", this.keyId);
      this.verifiers.set(this.keyId, this.signer);
      for (const previous of options.previousSecrets ?? []) {
        const previousKeyId = keyIdOf(previous);
        this.verifiers.set(previousKeyId, signerFor(hmacKeyOf(previous), "HS256", previousKeyId));
      }
    } else {
      const privateKey = createPrivateKey(options.privateKey!);
      const publicKey = createPublicKey(privateKey);
      const publicJwk = publicKey.export({ format: "jwk" }) as PublicJwk;
      this.keyId = thumbprintOf(publicJwk);
      this.signer = signerFor(privateKey, options.algorithm, this.keyId);
      this.verifiers.set(this.keyId, signerFor(publicKey, options.algorithm, this.keyId));
      this.jwks.keys.push({ ...publicJwk, kid: this.keyId, alg: options.algorithm, use: "sig" } as PublicJwk);
    }
  }

  async issue(userId: number, sessionId: string, lifetimeSeconds: number): Promise<{ token: string; expiresIn: number }> {
    // jose stamps `iat` from its own clock read; `exp` derives from ours, read just before.
    const issuedAt = Math.floor(Date.now() / 1000);
    const token = await this.signer.sign({
      sub: String(userId),
      user_id: userId,
      sid: sessionId,
      type: "access",
      jti: crypto.randomUUID(),
      exp: issuedAt + lifetimeSeconds,
    });
    return { token, expiresIn: lifetimeSeconds };
  }

  /**
   * The claims of a token we signed that is still within its lifetime, or null: unknown key,
   * algorithm other than the configured one, bad signature, expired, or not an access token.
   * (Whether its session is still live is the guard's question.)
   */
  async verify(token: string): Promise<AccessClaims | null> {
    const header = decodeHeader(token);
    const verifier = typeof header?.kid === "string" ? this.verifiers.get(header.kid) : undefined;
    if (!verifier) return null;
    // Pinned: without `algorithms`, jose accepts any algorithm the key allows, and no `exp`.
    const claims = await verifier.verify(token, {
      algorithms: [this.algorithm],
      requiredClaims: ["exp", "iat", "sub"],
      typ: "JWT",
    });
    if (!claims || claims.sub !== String(claims.user_id)) return null;
    return claims as AccessClaims;
  }
}

export function accessTokensFor(config: Pick<AppConfig, "jwtAlgorithm" | "jwtSecretPrevious" | "jwtPrivateKey"> & { jwtSecret: string }) {
  return new AccessTokens({
    algorithm: config.jwtAlgorithm,
    secret: config.jwtSecret,
    previousSecrets: config.jwtSecretPrevious ? [config.jwtSecretPrevious] : [],
    privateKey: config.jwtPrivateKey,
  });
}

export const newOpaqueToken = (): string => crypto.randomUUID();

export const hashOpaqueToken = (token: string): string =>
  new Bun.CryptoHasher("sha256").update(token).digest("hex");

/**
 * The refresh token that replaces `presented`: a keyed hash of it, shaped as a UUID v4. Being
 * derived, the same successor can be handed out again within refresh_reuse_interval, and still
 * nothing secret is stored: the database keeps only its SHA-256.
 */
export function successorOf(presented: string, key: string): string {
  const bytes = createHmac("sha256", `authd-refresh-successor:${key}`).update(presented).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
