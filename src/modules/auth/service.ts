import { type SQL, and, eq, ne, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { ClientInfo } from "../../client-info";
import type { Db } from "../../db/client";
import { rateLimits, users } from "../../db/schema";
import { ApiError } from "../../errors";
import type { PasswordHasher } from "../../passwords";
import {
  type LoginCounterKeys,
  accountCounterName,
  accountCounterNameSql,
  loginCounterKeys,
  loginCounterKeysSql,
  networkCounted,
  unknownAccountCounterName,
} from "../../login-limits";
import { type RateLimiter, assertUnderLimits, openWindowOf, perIpKeys } from "../../rate-limit";
import type { SessionStore } from "../../session-store";
import type { Settings, SettingsStore } from "../../settings";
import { type AccessTokens, newOpaqueToken, successorOf } from "../../tokens";
import { assertAcceptablePassword } from "../../password-policy";
import type { MailOutbox } from "../../mail/outbox";
import type { LoginOutcome, Metrics } from "../../metrics";
import type { User } from "../../db/schema";
import { usernameKey } from "../../usernames";
import { normalizeEmail } from "../users/model";
import type { NewUser, UserService } from "../users/service";

const HOUR = 3600;

/** How a login names its account. */
export type AccountIdentifier = { email: string } | { username: string };

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

const invalidCredentials = () => new ApiError("invalid_credentials", "No active account found with the given credentials.");
const loginOutcomeOf = (error: ApiError): LoginOutcome => (error.code === "rate_limited" ? "rate_limited" : "failed");
const invalidRefreshToken = () => new ApiError("token_not_valid", "Token is invalid or expired.");

export interface AuthDependencies {
  db: Db;
  users: UserService;
  outbox: MailOutbox;
  /** SMTP_URL is set: registration mails a verification link even when it is not required. */
  mailConfigured: boolean;
  sessions: SessionStore;
  passwords: PasswordHasher;
  settings: SettingsStore;
  accessTokens: AccessTokens;
  rateLimiter: RateLimiter;
  metrics: Metrics;
  /** Keys the derivation of successor refresh tokens (see `successorOf`). */
  refreshKey: string;
}

/** Login, rotation and logout: rate limits, password checks and token minting around the session core. */
export class AuthService {
  /**
   * Everything a login checks before hashing, in one round trip: the account, if there is
   * one, and the brute-force window of this account and IP, if one is open. Always one row.
   * One prepared statement per way of naming the account, each on its unique index.
   */
  private readonly candidateByEmail;
  private readonly candidateByUsername;

  constructor(private readonly deps: AuthDependencies) {
    const accountWindow = alias(rateLimits, "account_window");
    const networkWindow = alias(rateLimits, "network_window");
    const accountAndNetworkWindow = alias(rateLimits, "account_network_window");
    const candidate = (account: SQL, name: string) => {
      const keys = loginCounterKeysSql(accountCounterNameSql(users.id, sql.placeholder("unknownAccount")), sql.placeholder("network"));
      return deps.db
        .select({
          user: users,
          accountAndNetwork: { count: accountAndNetworkWindow.count, resetAt: accountAndNetworkWindow.resetAt },
          network: { count: networkWindow.count, resetAt: networkWindow.resetAt },
          account: { count: accountWindow.count, resetAt: accountWindow.resetAt },
        })
        .from(sql`(select) as login_attempt`)
        .leftJoin(users, account)
        .leftJoin(accountAndNetworkWindow, openWindowOf(keys.accountAndIp, accountAndNetworkWindow))
        .leftJoin(networkWindow, openWindowOf(keys.ip, networkWindow))
        .leftJoin(accountWindow, openWindowOf(keys.account, accountWindow))
        .prepare(name);
    };
    this.candidateByEmail = candidate(eq(users.email, sql.placeholder("identifier")), "login_candidate_by_email");
    this.candidateByUsername = candidate(
      and(ne(users.usernameKey, ""), eq(users.usernameKey, sql.placeholder("identifier")))!,
      "login_candidate_by_username",
    );
  }

  /**
   * Creates an account, past the per-IP registration limit and the password policy, and queues
   * its verification mail (with the account, in one transaction) when mail is set up or
   * verification is required.
   */
  async register(input: NewUser, client: ClientInfo): Promise<User> {
    const { settings, rateLimiter, users, outbox } = this.deps;
    const current = await settings.current();
    await rateLimiter.attempt(perIpKeys("register", client.ip), current.register_rate_limit, HOUR);
    await assertAcceptablePassword(settings, input.password, "password");
    if (!this.deps.mailConfigured && !current.require_email_verification) return users.create(input);
    const user = await users.create(input, (tx, created) => outbox.enqueue("email_verification", created.id, tx));
    outbox.kick();
    return user;
  }

  /**
   * With require_email_verification on, an unverified account may not log in, unless it joined
   * before the setting was turned on: switching it on never locks out existing users (they are
   * asked to verify through resend once logged in).
   */
  private async mustVerifyFirst(user: Pick<User, "emailVerifiedAt" | "dateJoined">, required: boolean): Promise<boolean> {
    if (!required || user.emailVerifiedAt) return false;
    const since = await this.deps.settings.changedAt("require_email_verification");
    return !since || user.dateJoined >= since;
  }

  /**
   * Same answer, and about the same time, for an unknown email, a wrong password or an
   * inactive account. Failures count per account and IP; past the limit, 429 before any hashing.
   */
  async login(account: AccountIdentifier, password: string, client: ClientInfo): Promise<TokenPair> {
    try {
      const pair = await this.checkedLogin(account, password, client);
      this.deps.metrics.login("ok");
      return pair;
    } catch (error) {
      if (error instanceof ApiError) this.deps.metrics.login(loginOutcomeOf(error));
      throw error;
    }
  }

  private async checkedLogin(account: AccountIdentifier, password: string, client: ClientInfo): Promise<TokenPair> {
    const { passwords, sessions } = this.deps;
    const byEmail = "email" in account;
    const identifier = byEmail ? normalizeEmail(account.email) : usernameKey(account.username);
    const unknownAccount = unknownAccountCounterName(byEmail ? "email" : "username", identifier);
    const network = networkCounted(client.ip);
    const settings = await this.deps.settings.current();
    const statement = byEmail ? this.candidateByEmail : this.candidateByUsername;
    const [candidate] = await statement.execute({ identifier, unknownAccount, network });
    const { user } = candidate!;
    assertUnderLimits([
      [candidate!.accountAndNetwork, settings.login_rate_limit],
      [candidate!.network, network ? settings.login_ip_rate_limit : 0],
      [candidate!.account, settings.login_account_rate_limit],
    ]);

    const keys = loginCounterKeys(user ? accountCounterName(user.id) : unknownAccount, network);
    const passwordMatches = user ? await passwords.verify(password, user.passwordHash) : await passwords.verifyDecoy(password);
    if (!user || !passwordMatches || !user.isActive) {
      await this.countFailure(keys, settings);
      throw invalidCredentials();
    }
    if (await this.mustVerifyFirst(user, settings.require_email_verification))
      throw new ApiError("email_not_verified", "Verify your email address before logging in.");
    // The owner's own slips from this network are forgiven; the counts across accounts and across networks stay.
    if (candidate!.accountAndNetwork) await this.deps.rateLimiter.clear([keys.accountAndIp]);

    const refreshToken = newOpaqueToken();
    const sessionId = await sessions.start({
      userId: user.id,
      userAgent: client.userAgent,
      ip: client.ip,
      refreshToken,
      lifetime: settings.refresh_token_lifetime,
    });
    return this.tokenPair(user.id, sessionId, refreshToken, settings.access_token_lifetime);
  }

  /** One failed login on each counter that is on; the account's, once full, locks it for longer each time. */
  private async countFailure(keys: LoginCounterKeys, settings: Settings): Promise<void> {
    const { rateLimiter } = this.deps;
    const counted = [
      settings.login_rate_limit > 0 ? keys.accountAndIp : undefined,
      settings.login_ip_rate_limit > 0 ? keys.ip : undefined,
      settings.login_account_rate_limit > 0 ? keys.account : undefined,
    ].filter((key): key is string => key !== undefined);
    const windows = await rateLimiter.recordFailures(counted, settings.login_rate_limit_window);
    if (windows.get(keys.account)?.count === settings.login_account_rate_limit)
      await rateLimiter.extendLockout(keys.account, keys.strikes, settings.login_rate_limit_window);
  }

  /** Rotates a refresh token (see `SessionStore.rotate`): a new pair, or 401 token_reused / token_not_valid. */
  async refresh(presented: string): Promise<TokenPair> {
    const settings = await this.deps.settings.current();
    const successor = successorOf(presented, this.deps.refreshKey);
    const outcome = await this.deps.sessions.rotate(presented, successor, {
      lifetime: settings.refresh_token_lifetime,
      reuseInterval: settings.refresh_reuse_interval,
    });
    this.deps.metrics.rotation(outcome.kind);
    if (outcome.kind === "reused")
      throw new ApiError("token_reused", "Refresh token was already used; the session has been revoked.");
    if (outcome.kind === "invalid") throw invalidRefreshToken();
    return this.tokenPair(outcome.userId, outcome.sessionId, successor, settings.access_token_lifetime);
  }

  /** Revokes the session that a live refresh token belongs to. */
  async logout(presented: string): Promise<void> {
    if (!(await this.deps.sessions.revokeByRefreshToken(presented))) throw invalidRefreshToken();
  }

  private async tokenPair(userId: number, sessionId: string, refreshToken: string, accessLifetime: number): Promise<TokenPair> {
    const access = await this.deps.accessTokens.issue(userId, sessionId, accessLifetime);
    return { access_token: access.token, refresh_token: refreshToken, token_type: "Bearer", expires_in: access.expiresIn };
  }
}
