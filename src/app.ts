import "./fast-paths";
import { Elysia } from "elysia";
import { clientReader } from "./client-info";
import type { AppConfig } from "./config";
import type { AppContext } from "./context";
import type { Database } from "./db/client";
import { errorHandler } from "./errors";
import { SECURITY_HEADERS, httpPolicy } from "./http-policy";
import { type Logger, createLogger, errorFields } from "./logger";
import { AuditLog } from "./audit";
import { compatModule } from "./compat";
import { adminModule } from "./modules/admin";
import { adminZoneModule } from "./modules/admin-zone";
import { AdminService } from "./modules/admin/service";
import { authModule } from "./modules/auth";
import { AuthService } from "./modules/auth/service";
import { docsModule } from "./modules/docs";
import { healthModule } from "./modules/health";
import { keysModule } from "./modules/keys";
import { meModule } from "./modules/me";
import { emailModule } from "./modules/email";
import { EmailVerificationService } from "./modules/email/service";
import { passwordModule } from "./modules/password";
import { profilesModule } from "./modules/profiles";
import { PasswordService } from "./modules/password/service";
import { sessionsModule } from "./modules/sessions";
import { UserService } from "./modules/users/service";
import { PasswordHasher } from "./passwords";
import { MailOutbox } from "./mail/outbox";
import { mailTransport } from "./mail/transport";
import { OneTimeTokens } from "./one-time-tokens";
import { RateLimiter } from "./rate-limit";
import { Metrics } from "./metrics";
import { metricsModule } from "./modules/metrics";
import { observeRequests } from "./observe-requests";
import { SessionStore } from "./session-store";
import { SettingsStore } from "./settings";
import { accessTokensFor } from "./tokens";

export interface AppOptions {
  config: AppConfig & { jwtSecret: string };
  database: Database;
  log?: Logger;
}

/**
 * Every service, built once over the database. The mail outbox starts delivering at once (its
 * timer does not keep a process alive); `stop()` it before closing the database.
 */
export function createContext({ config, database, log: givenLog }: AppOptions): AppContext {
  const { db } = database;
  const log = givenLog ?? createLogger(config.logLevel);
  const settings = new SettingsStore(db);
  void settings.watch(database).catch((error) => log.warn("cannot listen for settings changes; re-reading every 2 s", errorFields(error)));
  const metrics = new Metrics(database);
  const passwords = new PasswordHasher(config.passwordCost, metrics);
  const accessTokens = accessTokensFor(config);
  const users = new UserService(db, passwords);
  const sessions = new SessionStore(database);
  const rateLimiter = new RateLimiter(db);
  const tokens = new OneTimeTokens(db);
  const outbox = new MailOutbox({ db, tokens, settings, transport: mailTransport(config, log), config, log });
  outbox.start();
  const auth = new AuthService({
    db,
    users,
    sessions,
    passwords,
    settings,
    accessTokens,
    rateLimiter,
    outbox,
    metrics,
    mailConfigured: config.smtpUrl !== undefined,
    refreshKey: config.jwtSecret,
  });
  const password = new PasswordService({ db, users, passwords, sessions, settings, rateLimiter, tokens, outbox });
  const emailVerification = new EmailVerificationService({ db, users, tokens, outbox, rateLimiter });
  const audit = new AuditLog(db);
  const admin = new AdminService({ db, users, sessions, passwords, settings, audit, rateLimiter, tokens });
  return { config, clientOf: clientReader(config.trustProxy), database, log, metrics, settings, passwords, accessTokens, users, sessions, outbox, auth, password, emailVerification, audit, admin };
}

/** The whole HTTP API over an open, migrated database. */
export function createApp(options: AppOptions) {
  return appFor(createContext(options));
}

export function appFor(context: AppContext) {
  // The path starts after "http://<host>": Elysia's default looks for it from the 11th
  // character on, which routed a request with a Host shorter than 4 characters ("Host: x") by
  // the wrong path (/api/users/ read as /users/).
  return new Elysia({ handler: { standardHostname: false } })
    .headers(SECURITY_HEADERS)
    .use(observeRequests(context.metrics, context.log, context.config.logLevel))
    .use(errorHandler((message, error) => context.log.error(message, errorFields(error))))
    .use(httpPolicy(context.config))
    .use(docsModule())
    .use(healthModule(context))
    .use(metricsModule(context))
    .use(keysModule(context))
    .use(authModule(context))
    .use(meModule(context))
    .use(profilesModule(context))
    .use(sessionsModule(context))
    .use(passwordModule(context))
    .use(emailModule(context))
    .use(adminModule(context))
    .use(adminZoneModule())
    .use(compatModule(context));
}

export type App = ReturnType<typeof createApp>;
