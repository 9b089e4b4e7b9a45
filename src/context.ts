import type { ClientReader } from "./client-info";
import type { AppConfig } from "./config";
import type { Database } from "./db/client";
import type { Logger } from "./logger";
import type { AuditLog } from "./audit";
import type { MailOutbox } from "./mail/outbox";
import type { Metrics } from "./metrics";
import type { AdminService } from "./modules/admin/service";
import type { AuthService } from "./modules/auth/service";
import type { EmailVerificationService } from "./modules/email/service";
import type { PasswordService } from "./modules/password/service";
import type { UserService } from "./modules/users/service";
import type { PasswordHasher } from "./passwords";
import type { SessionStore } from "./session-store";
import type { SettingsStore } from "./settings";
import type { AccessTokens } from "./tokens";

/** Everything a feature module may use, built once in `createApp`. */
export interface AppContext {
  config: AppConfig;
  /** Who is calling (user agent, address under TRUST_PROXY). */
  clientOf: ClientReader;
  database: Database;
  log: Logger;
  metrics: Metrics;
  settings: SettingsStore;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  users: UserService;
  sessions: SessionStore;
  outbox: MailOutbox;
  emailVerification: EmailVerificationService;
  audit: AuditLog;
  admin: AdminService;
  auth: AuthService;
  password: PasswordService;
}
