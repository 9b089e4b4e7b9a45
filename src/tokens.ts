import { jwt } from "@elysiajs/jwt";
import { t } from "elysia";

/**
 * Access tokens: HS256 JWTs signed and verified through @elysiajs/jwt. Refresh and one-time
 * tokens: opaque random values of which only the SHA-256 is ever stored.
 */

const AccessClaims = t.Object({
  sub: t.String(),
  user_id: t.Number({ multipleOf: 1 }),
  type: t.Literal("access"),
  jti: t.String(),
  iat: t.Number({ multipleOf: 1 }),
  exp: t.Number({ multipleOf: 1 }),
});
export type AccessClaims = typeof AccessClaims.static;

const ALGORITHM = "HS256";

/** A key id that names the secret without revealing it, so rotation can be told apart. */
export function keyIdOf(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(`authd-kid:${secret}`).digest("hex").slice(0, 16);
}

export class AccessTokens {
  private readonly signer;

  constructor(secret: string) {
    this.signer = jwt({ name: "jwt", secret, alg: ALGORITHM, kid: keyIdOf(secret), typ: "JWT", schema: AccessClaims })
      .decorator.jwt;
  }

  async issue(userId: number, lifetimeSeconds: number): Promise<{ token: string; expiresIn: number }> {
    // jose stamps `iat` from its own clock read; `exp` derives from ours, read just before.
    const issuedAt = Math.floor(Date.now() / 1000);
    const token = await this.signer.sign({
      sub: String(userId),
      user_id: userId,
      type: "access",
      jti: crypto.randomUUID(),
      exp: issuedAt + lifetimeSeconds,
    });
    return { token, expiresIn: lifetimeSeconds };
  }

  /** The claims of a valid access token, or null: wrong algorithm, signature, expiry or type. */
  async verify(token: string): Promise<AccessClaims | null> {
    // Without pinning, jose accepts any HMAC algorithm for this key and tokens without `exp`.
    const claims = await this.signer.verify(token, {
      algorithms: [ALGORITHM],
      requiredClaims: ["exp", "iat", "sub"],
      typ: "JWT",
    });
    if (!claims || claims.sub !== String(claims.user_id)) return null;
    return claims as AccessClaims;
  }
}

export const newOpaqueToken = (): string => crypto.randomUUID();

export const hashOpaqueToken = (token: string): string =>
  new Bun.CryptoHasher("sha256").update(token).digest("hex");
