import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { refreshTokens, sessions, users } from "../../db/schema";
import { ApiError } from "../../errors";
import type { PasswordHasher } from "../../passwords";
import type { RateLimiter } from "../../rate-limit";
import type { SettingsStore } from "../../settings";
import { type AccessTokens, hashOpaqueToken, newOpaqueToken } from "../../tokens";
import type { UserService } from "../users/service";

export interface ClientInfo {
  userAgent: string;
  ip: string | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const invalidCredentials = () => new ApiError("invalid_credentials", "No active account found with the given credentials.");
const invalidRefreshToken = () => new ApiError("token_not_valid", "Token is invalid or expired.");

const secondsFromNow = (seconds: number) => sql`now() + make_interval(secs => ${seconds})`;

export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly users: UserService,
    private readonly passwords: PasswordHasher,
    private readonly settings: SettingsStore,
    private readonly accessTokens: AccessTokens,
    private readonly rateLimiter: RateLimiter,
  ) {}

  /**
   * Same answer, and about the same time, for an unknown email, a wrong password or an
   * inactive account. Failures count per account and IP; past the limit, 429 before any hashing.
   */
  async login(email: string, password: string, client: ClientInfo): Promise<TokenPair> {
    const normalizedEmail = email.trim().toLowerCase();
    const settings = await this.settings.current();
    const limitKey = `login:${normalizedEmail}|${client.ip ?? ""}`;
    await this.rateLimiter.assertAllowed(limitKey, settings.login_rate_limit);

    const user = await this.users.findByEmail(normalizedEmail);
    const passwordMatches = user
      ? await this.passwords.verify(password, user.passwordHash)
      : await this.passwords.verifyDecoy(password);
    if (!user || !passwordMatches || !user.isActive) {
      if (settings.login_rate_limit > 0) await this.rateLimiter.recordFailure(limitKey, settings.login_rate_limit_window);
      throw invalidCredentials();
    }
    if (settings.require_email_verification && !user.emailVerifiedAt)
      throw new ApiError("email_not_verified", "Verify your email address before logging in.");
    await this.rateLimiter.reset(limitKey);

    const refreshToken = newOpaqueToken();
    await this.db.transaction(async (tx) => {
      const [session] = await tx
        .insert(sessions)
        .values({ userId: user.id, userAgent: client.userAgent, ip: client.ip })
        .returning({ id: sessions.id });
      await this.storeRefreshToken(tx, session!.id, refreshToken, settings.refresh_token_lifetime);
      await tx.update(users).set({ lastLogin: sql`now()` }).where(eq(users.id, user.id));
    });
    return this.tokenPair(user.id, refreshToken, settings.access_token_lifetime);
  }

  /**
   * Rotates a refresh token. Marking it used is one conditional UPDATE, so of any number of
   * concurrent refreshes exactly one wins; a token presented after it was used is taken as
   * stolen and its whole session is revoked.
   */
  async refresh(presented: string): Promise<TokenPair> {
    const settings = await this.settings.current();
    const tokenHash = hashOpaqueToken(presented);
    const successor = newOpaqueToken();
    const outcome = await this.db.transaction(async (tx) => {
      const [consumed] = await tx
        .update(refreshTokens)
        .set({ usedAt: sql`now()` })
        .where(
          and(
            eq(refreshTokens.tokenHash, tokenHash),
            isNull(refreshTokens.usedAt),
            gt(refreshTokens.expiresAt, sql`now()`),
          ),
        )
        .returning({ sessionId: refreshTokens.sessionId });

      if (!consumed) {
        const [known] = await tx
          .select({ sessionId: refreshTokens.sessionId, usedAt: refreshTokens.usedAt })
          .from(refreshTokens)
          .where(eq(refreshTokens.tokenHash, tokenHash));
        if (!known?.usedAt) return { kind: "invalid" } as const;
        await this.revokeSession(tx, known.sessionId);
        return { kind: "reused" } as const;
      }

      const [owner] = await tx
        .update(sessions)
        .set({ lastUsedAt: sql`now()` })
        .from(users)
        .where(
          and(
            eq(sessions.id, consumed.sessionId),
            isNull(sessions.revokedAt),
            eq(users.id, sessions.userId),
            eq(users.isActive, true),
          ),
        )
        .returning({ userId: sessions.userId });
      if (!owner) return { kind: "invalid" } as const;
      await this.storeRefreshToken(tx, consumed.sessionId, successor, settings.refresh_token_lifetime);
      return { kind: "rotated", userId: owner.userId } as const;
    });

    if (outcome.kind === "reused")
      throw new ApiError("token_reused", "Refresh token was already used; the session has been revoked.");
    if (outcome.kind === "invalid") throw invalidRefreshToken();
    return this.tokenPair(outcome.userId, successor, settings.access_token_lifetime);
  }

  /** Revokes the session that a live refresh token belongs to. */
  async logout(presented: string): Promise<void> {
    const liveToken = this.db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(
        and(
          eq(refreshTokens.tokenHash, hashOpaqueToken(presented)),
          isNull(refreshTokens.usedAt),
          gt(refreshTokens.expiresAt, sql`now()`),
        ),
      );
    const revoked = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sql`(${liveToken})`), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    if (!revoked.length) throw invalidRefreshToken();
  }

  private async storeRefreshToken(tx: Tx, sessionId: string, token: string, lifetime: number) {
    await tx.insert(refreshTokens).values({
      sessionId,
      tokenHash: hashOpaqueToken(token),
      expiresAt: secondsFromNow(lifetime),
    });
  }

  /**
   * Revokes every token of a login: its refresh tokens are valid only while the session is.
   * Lock order everywhere is refresh-token row, then session row; this touches only the latter.
   */
  private async revokeSession(tx: Tx, sessionId: string) {
    await tx
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  }

  private async tokenPair(userId: number, refreshToken: string, accessLifetime: number): Promise<TokenPair> {
    const access = await this.accessTokens.issue(userId, accessLifetime);
    return { access_token: access.token, refresh_token: refreshToken, token_type: "Bearer", expires_in: access.expiresIn };
  }
}
