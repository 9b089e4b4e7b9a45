import { type Placeholder, and, eq, gt, isNull, sql } from "drizzle-orm";
import type { ClientInfo } from "../../client-info";
import type { Db } from "../../db/client";
import { rateLimits, refreshTokens, sessions, users } from "../../db/schema";
import { ApiError } from "../../errors";
import type { PasswordHasher } from "../../passwords";
import { type RateLimiter, assertUnderLimit, openWindowOf } from "../../rate-limit";
import type { SettingsStore } from "../../settings";
import { type AccessTokens, hashOpaqueToken, newOpaqueToken, successorOf } from "../../tokens";
import type { SessionService } from "../sessions/service";
import type { UserService } from "../users/service";

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const invalidCredentials = () => new ApiError("invalid_credentials", "No active account found with the given credentials.");
const invalidRefreshToken = () => new ApiError("token_not_valid", "Token is invalid or expired.");

const secondsFromNow = (seconds: number | Placeholder) => sql`now() + make_interval(secs => ${seconds})`;

export interface AuthDependencies {
  db: Db;
  users: UserService;
  sessions: SessionService;
  passwords: PasswordHasher;
  settings: SettingsStore;
  accessTokens: AccessTokens;
  rateLimiter: RateLimiter;
  /** Keys the derivation of successor refresh tokens (see `successorOf`). */
  refreshKey: string;
}

export class AuthService {
  /**
   * Everything a login checks before hashing, in one round trip: the account, if there is
   * one, and the brute-force window of this account and IP, if one is open. Always one row.
   */
  private readonly loginCandidate;
  /**
   * A login's writes, the session, its first refresh token and last_login, in one prepared
   * statement: as atomic as a transaction, one round trip instead of five, built once.
   */
  private readonly startSession;

  constructor(private readonly deps: AuthDependencies) {
    const { db } = deps;
    this.loginCandidate = db
      .select({ user: users, failures: { count: rateLimits.count, resetAt: rateLimits.resetAt } })
      .from(sql`(select) as login_attempt`)
      .leftJoin(users, eq(users.email, sql.placeholder("email")))
      .leftJoin(rateLimits, openWindowOf(sql.placeholder("limitKey")))
      .prepare("login_candidate");

    const expiresAt = secondsFromNow(sql.placeholder("lifetime"));
    const session = db.$with("new_session").as(
      db
        .insert(sessions)
        .values({ userId: sql.placeholder("userId"), userAgent: sql.placeholder("userAgent"), ip: sql.placeholder("ip"), expiresAt })
        .returning({ id: sessions.id }),
    );
    const loggedIn = db.$with("logged_in").as(
      db.update(users).set({ lastLogin: sql`now()` }).where(eq(users.id, sql.placeholder("userId"))).returning({ id: users.id }),
    );
    this.startSession = db
      .with(session, loggedIn)
      .insert(refreshTokens)
      .values({ sessionId: sql`(select ${session.id} from ${session})`, tokenHash: sql.placeholder("tokenHash"), expiresAt })
      .returning({ sessionId: refreshTokens.sessionId })
      .prepare("start_session");
  }

  /**
   * Same answer, and about the same time, for an unknown email, a wrong password or an
   * inactive account. Failures count per account and IP; past the limit, 429 before any hashing.
   */
  async login(email: string, password: string, client: ClientInfo): Promise<TokenPair> {
    const { passwords, rateLimiter } = this.deps;
    const normalizedEmail = email.trim().toLowerCase();
    const settings = await this.deps.settings.current();
    const limitKey = `login:${normalizedEmail}|${client.ip ?? ""}`;
    const [candidate] = await this.loginCandidate.execute({ email: normalizedEmail, limitKey });
    const { user, failures } = candidate!;
    assertUnderLimit(failures, settings.login_rate_limit);

    const passwordMatches = user ? await passwords.verify(password, user.passwordHash) : await passwords.verifyDecoy(password);
    if (!user || !passwordMatches || !user.isActive) {
      if (settings.login_rate_limit > 0) await rateLimiter.recordFailure(limitKey, settings.login_rate_limit_window);
      throw invalidCredentials();
    }
    if (settings.require_email_verification && !user.emailVerifiedAt)
      throw new ApiError("email_not_verified", "Verify your email address before logging in.");
    if (failures) await rateLimiter.reset(limitKey);

    const refreshToken = newOpaqueToken();
    const [stored] = await this.startSession.execute({
      userId: user.id,
      userAgent: client.userAgent,
      ip: client.ip,
      tokenHash: hashOpaqueToken(refreshToken),
      lifetime: settings.refresh_token_lifetime,
    });
    return this.tokenPair(user.id, stored!.sessionId, refreshToken, settings.access_token_lifetime);
  }

  /**
   * Rotates a refresh token. Marking it used is one conditional UPDATE, so of any number of
   * concurrent refreshes exactly one rotates it. Presented again within refresh_reuse_interval
   * it gets the same successor (tabs racing end up holding one live token); later, it is taken
   * as stolen and its whole session is revoked.
   */
  async refresh(presented: string): Promise<TokenPair> {
    const { db, sessions: sessionService } = this.deps;
    const settings = await this.deps.settings.current();
    const tokenHash = hashOpaqueToken(presented);
    const successor = successorOf(presented, this.deps.refreshKey);

    const outcome = await db.transaction(async (tx) => {
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

      if (consumed) {
        const owner = await this.touchLiveSession(tx, consumed.sessionId, settings.refresh_token_lifetime);
        if (!owner) return { kind: "invalid" } as const;
        await this.storeRefreshToken(tx, consumed.sessionId, successor, settings.refresh_token_lifetime);
        return { kind: "rotated", ...owner } as const;
      }

      // clock_timestamp(), not now(): now() is when this transaction began, possibly before
      // the winner's, whose used_at would then look younger than it is.
      const grace = settings.refresh_reuse_interval;
      const [spent] = await tx
        .select({
          sessionId: refreshTokens.sessionId,
          inGrace: grace > 0 ? sql<boolean>`${refreshTokens.usedAt} > clock_timestamp() - make_interval(secs => ${grace})` : sql<boolean>`false`,
        })
        .from(refreshTokens)
        .where(and(eq(refreshTokens.tokenHash, tokenHash), sql`${refreshTokens.usedAt} is not null`));
      if (!spent) return { kind: "invalid" } as const;
      if (spent.inGrace) {
        // The successor was stored by the refresh that spent this token, in the same transaction.
        const owner = await this.touchLiveSession(tx, spent.sessionId, settings.refresh_token_lifetime);
        return owner ? ({ kind: "rotated", ...owner } as const) : ({ kind: "invalid" } as const);
      }
      await sessionService.revoke(spent.sessionId, tx);
      return { kind: "reused" } as const;
    });

    if (outcome.kind === "reused")
      throw new ApiError("token_reused", "Refresh token was already used; the session has been revoked.");
    if (outcome.kind === "invalid") throw invalidRefreshToken();
    return this.tokenPair(outcome.userId, outcome.sessionId, successor, settings.access_token_lifetime);
  }

  /** Revokes the session that a live refresh token belongs to. */
  async logout(presented: string): Promise<void> {
    const liveToken = this.deps.db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(
        and(
          eq(refreshTokens.tokenHash, hashOpaqueToken(presented)),
          isNull(refreshTokens.usedAt),
          gt(refreshTokens.expiresAt, sql`now()`),
        ),
      );
    const revoked = await this.deps.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, sql`(${liveToken})`), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    if (!revoked.length) throw invalidRefreshToken();
  }

  /** Marks a live session (of an active user) used and extends it; undefined when it is not live. */
  private async touchLiveSession(tx: Tx, sessionId: string, refreshLifetime: number) {
    const [owner] = await tx
      .update(sessions)
      .set({ lastUsedAt: sql`now()`, expiresAt: secondsFromNow(refreshLifetime) })
      .from(users)
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), eq(users.id, sessions.userId), eq(users.isActive, true)))
      .returning({ userId: sessions.userId, sessionId: sessions.id });
    return owner;
  }

  private async storeRefreshToken(tx: Tx, sessionId: string, token: string, lifetime: number) {
    await tx.insert(refreshTokens).values({
      sessionId,
      tokenHash: hashOpaqueToken(token),
      expiresAt: secondsFromNow(lifetime),
    });
  }

  private async tokenPair(userId: number, sessionId: string, refreshToken: string, accessLifetime: number): Promise<TokenPair> {
    const access = await this.deps.accessTokens.issue(userId, sessionId, accessLifetime);
    return { access_token: access.token, refresh_token: refreshToken, token_type: "Bearer", expires_in: access.expiresIn };
  }
}
