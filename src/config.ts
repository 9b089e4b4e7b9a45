import Type, { type Static } from "typebox";
import { Compile } from "typebox/compile";

/**
 * Process configuration, read once from the environment at start. Runtime settings that an
 * admin may change live in `settings.ts`, not here.
 */
const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535 }), // 0: any free port (the log says which)
  HOST: Type.String({ minLength: 1 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: "^postgres(ql)?://" })),
  DATA_DIR: Type.String({ minLength: 1 }),
  JWT_SECRET: Type.Optional(Type.String()),
  CORS_ORIGINS: Type.String(),
  TRUST_PROXY: Type.Boolean(),
  LOG_LEVEL: Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")]),
  SMTP_URL: Type.Optional(Type.String({ pattern: "^smtps?://" })),
  MAIL_FROM: Type.String({ minLength: 3 }),
  // argon2id cost; OWASP's minimum is m=19 MiB, t=2. Tests lower it through these same variables.
  PASSWORD_MEMORY_COST: Type.Integer({ minimum: 1024, maximum: 4194304 }),
  PASSWORD_TIME_COST: Type.Integer({ minimum: 1, maximum: 20 }),
  MAX_BODY_BYTES: Type.Integer({ minimum: 1024, maximum: 1048576 }),
  STARTUP_TIMEOUT: Type.Integer({ minimum: 0, maximum: 3600 }),
  SHUTDOWN_TIMEOUT: Type.Integer({ minimum: 0, maximum: 600 }),
});

type Env = Static<typeof EnvSchema>;
const checkEnv = Compile(EnvSchema);

const DEFAULTS: Record<keyof Env, string | undefined> = {
  PORT: "3000",
  HOST: "0.0.0.0",
  DATABASE_URL: undefined,
  DATA_DIR: "./authd-data",
  JWT_SECRET: undefined,
  CORS_ORIGINS: "",
  TRUST_PROXY: "false",
  LOG_LEVEL: "info",
  SMTP_URL: undefined,
  MAIL_FROM: "authd@localhost",
  PASSWORD_MEMORY_COST: "19456",
  PASSWORD_TIME_COST: "2",
  MAX_BODY_BYTES: "65536",
  STARTUP_TIMEOUT: "60",
  SHUTDOWN_TIMEOUT: "10",
};

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  jwtSecret?: string;
  corsOrigins: string[];
  trustProxy: boolean;
  logLevel: Env["LOG_LEVEL"];
  smtpUrl?: string;
  mailFrom: string;
  passwordCost: { memoryCost: number; timeCost: number };
  maxBodyBytes: number;
  /** Seconds to keep retrying an unreachable database at start. */
  startupTimeout: number;
  /** Seconds in-flight requests get to finish on SIGTERM/SIGINT. */
  shutdownTimeout: number;
}

/** A bad environment variable: printed as one line naming it, exit 2. */
export class ConfigError extends Error {}

const SECRET_VARIABLES = new Set(["JWT_SECRET", "DATABASE_URL", "SMTP_URL"]);

function convert(name: keyof Env, raw: string): unknown {
  const schema = EnvSchema.properties[name] as { type?: string };
  if (schema.type === "integer") return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (name === "TRUST_PROXY") {
    if (["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
    if (["0", "false", "no", "off", ""].includes(raw.toLowerCase())) return false;
  }
  return raw;
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): AppConfig {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(DEFAULTS) as (keyof Env)[]) {
    const raw = environment[name] || DEFAULTS[name];
    if (raw !== undefined) values[name] = convert(name, raw.trim());
  }
  const issue = checkEnv.Errors(values)[0];
  if (issue) {
    const name = issue.instancePath.slice(1) || "environment";
    const shown = SECRET_VARIABLES.has(name) ? "" : ` ${JSON.stringify(environment[name])}`;
    throw new ConfigError(`invalid ${name}${shown}: ${issue.message}`);
  }
  const env = values as Env;
  if (env.JWT_SECRET !== undefined && Buffer.byteLength(env.JWT_SECRET) < 32)
    throw new ConfigError("invalid JWT_SECRET: must be at least 32 bytes");
  if (env.DATABASE_URL && !env.JWT_SECRET)
    throw new ConfigError("JWT_SECRET is required when DATABASE_URL is set (at least 32 bytes)");
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    jwtSecret: env.JWT_SECRET,
    corsOrigins: env.CORS_ORIGINS.split(",").map((origin) => origin.trim()).filter(Boolean),
    trustProxy: env.TRUST_PROXY,
    logLevel: env.LOG_LEVEL,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    passwordCost: { memoryCost: env.PASSWORD_MEMORY_COST, timeCost: env.PASSWORD_TIME_COST },
    maxBodyBytes: env.MAX_BODY_BYTES,
    startupTimeout: env.STARTUP_TIMEOUT,
    shutdownTimeout: env.SHUTDOWN_TIMEOUT,
  };
}
