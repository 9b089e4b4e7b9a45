import "./fast-paths";
import { Elysia } from "elysia";
import type { AppConfig } from "./config";
import type { AppContext } from "./context";
import type { Database } from "./db/client";
import { errorHandler } from "./errors";
import { SECURITY_HEADERS, httpPolicy } from "./http-policy";
import { type Logger, createLogger, errorFields } from "./logger";
import { adminModule } from "./modules/admin";
import { authModule } from "./modules/auth";
import { AuthService } from "./modules/auth/service";
import { docsModule } from "./modules/docs";
import { healthModule } from "./modules/health";
import { keysModule } from "./modules/keys";
import { meModule } from "./modules/me";
import { passwordModule } from "./modules/password";
import { profilesModule } from "./modules/profiles";
import { PasswordService } from "./modules/password/service";
import { sessionsModule } from "./modules/sessions";
import { UserService } from "./modules/users/service";
import { PasswordHasher } from "./passwords";
import { RateLimiter } from "./rate-limit";
import { requestLog } from "./request-log";
import { SessionStore } from "./session-store";
import { SettingsStore } from "./settings";
import { accessTokensFor } from "./tokens";

export interface AppOptions {
  config: AppConfig & { jwtSecret: string };
  database: Database;
  log?: Logger;
}

export function createContext({ config, database, log }: AppOptions): AppContext {
  const { db } = database;
  const settings = new SettingsStore(db);
  const passwords = new PasswordHasher(config.passwordCost);
  const accessTokens = accessTokensFor(config);
  const users = new UserService(db, passwords);
  const sessions = new SessionStore(database);
  const auth = new AuthService({
    db,
    sessions,
    passwords,
    settings,
    accessTokens,
    rateLimiter: new RateLimiter(db),
    refreshKey: config.jwtSecret,
  });
  const password = new PasswordService(db, users, passwords, sessions);
  return {
    config,
    database,
    log: log ?? createLogger(config.logLevel),
    settings,
    passwords,
    accessTokens,
    users,
    sessions,
    auth,
    password,
  };
}

/** The whole HTTP API over an open, migrated database. */
export function createApp(options: AppOptions) {
  const context = createContext(options);
  return new Elysia()
    .headers(SECURITY_HEADERS)
    .use(requestLog(context.log, context.config.logLevel))
    .use(errorHandler((message, error) => context.log.error(message, errorFields(error))))
    .use(httpPolicy(context.config))
    .use(docsModule())
    .use(healthModule(context))
    .use(keysModule(context))
    .use(authModule(context))
    .use(meModule(context))
    .use(profilesModule(context))
    .use(sessionsModule(context))
    .use(passwordModule(context))
    .use(adminModule(context));
}

export type App = ReturnType<typeof createApp>;
