import { Elysia } from "elysia";
import type { AppConfig } from "./config";
import type { AppContext } from "./context";
import type { Database } from "./db/client";
import { errorHandler } from "./errors";
import { httpPolicy } from "./http-policy";
import { type Logger, createLogger, errorFields } from "./logger";
import { adminModule } from "./modules/admin";
import { authModule } from "./modules/auth";
import { AuthService } from "./modules/auth/service";
import { docsModule } from "./modules/docs";
import { healthModule } from "./modules/health";
import { meModule } from "./modules/me";
import { UserService } from "./modules/users/service";
import { PasswordHasher } from "./passwords";
import { RateLimiter } from "./rate-limit";
import { requestLog } from "./request-log";
import { SettingsStore } from "./settings";
import { AccessTokens } from "./tokens";

export interface AppOptions {
  config: AppConfig & { jwtSecret: string };
  database: Database;
  log?: Logger;
}

export function createContext({ config, database, log }: AppOptions): AppContext {
  const { db } = database;
  const settings = new SettingsStore(db);
  const passwords = new PasswordHasher(config.passwordCost);
  const accessTokens = new AccessTokens(config.jwtSecret);
  const users = new UserService(db, passwords);
  const auth = new AuthService(db, users, passwords, settings, accessTokens, new RateLimiter(db));
  return { config, database, log: log ?? createLogger(config.logLevel), settings, passwords, accessTokens, users, auth };
}

/** The whole HTTP API over an open, migrated database. */
export function createApp(options: AppOptions) {
  const context = createContext(options);
  return new Elysia()
    .use(requestLog(context.log))
    .use(errorHandler((message, error) => context.log.error(message, errorFields(error))))
    .use(httpPolicy(context.config))
    .use(docsModule())
    .use(healthModule(context))
    .use(authModule(context))
    .use(meModule(context))
    .use(adminModule(context));
}

export type App = ReturnType<typeof createApp>;
