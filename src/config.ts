import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import Type, { type Static } from "typebox";
import { Compile } from "typebox/compile";
import { type TrustProxy, parseTrustProxy } from "./client-info";

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
  JWT_SECRET_PREVIOUS: Type.Optional(Type.String()),
  JWT_ALGORITHM: Type.Union([Type.Literal("HS256"), Type.Literal("EdDSA"), Type.Literal("ES256")]),
  JWT_PRIVATE_KEY: Type.Optional(Type.String({ pattern: "-----BEGIN" })),
  JWT_PRIVATE_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.String(),
  TRUST_PROXY: Type.String(),
  LOG_LEVEL: Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")]),
  SMTP_URL: Type.Optional(Type.String({ pattern: "^smtps?://" })),
  MAIL_FROM: Type.String({ minLength: 3 }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: "^https?://[^\\s/]+(/[^\\s]*)?$" })),
  MAIL_TEMPLATES_DIR: Type.Optional(Type.String({ minLength: 1 })),
  MAIL_RETRY_BASE_SECONDS: Type.Integer({ minimum: 1, maximum: 3600 }),
  COMPAT_ROUTES: Type.String({ pattern: "^\\s*(all|none|((simplejwt|v1|dj-rest-auth)\\s*(,\\s*|$))+)\\s*$" }),
  // argon2id cost; OWASP's minimum is m=19 MiB, t=2. Tests lower it through these same variables.
  PASSWORD_MEMORY_COST: Type.Integer({ minimum: 1024, maximum: 4194304 }),
  PASSWORD_TIME_COST: Type.Integer({ minimum: 1, maximum: 20 }),
  MAX_BODY_BYTES: Type.Integer({ minimum: 1024, maximum: 1048576 }),
  STARTUP_TIMEOUT: Type.Integer({ minimum: 0, maximum: 3600 }),
  SHUTDOWN_TIMEOUT: Type.Integer({ minimum: 0, maximum: 600 }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000 }),
});

type Env = Static<typeof EnvSchema>;
const checkEnv = Compile(EnvSchema);

const DEFAULTS: Record<keyof Env, string | undefined> = {
  PORT: "3000",
  HOST: "0.0.0.0",
  DATABASE_URL: undefined,
  DATA_DIR: "./authd-data",
  JWT_SECRET: undefined,
  JWT_SECRET_PREVIOUS: undefined,
  JWT_ALGORITHM: "HS256",
  JWT_PRIVATE_KEY: undefined,
  JWT_PRIVATE_KEY_FILE: undefined,
  CORS_ORIGINS: "",
  TRUST_PROXY: "false",
  LOG_LEVEL: "info",
  SMTP_URL: undefined,
  MAIL_FROM: "authd@localhost",
  PUBLIC_URL: undefined,
  MAIL_TEMPLATES_DIR: undefined,
  MAIL_RETRY_BASE_SECONDS: "5",
  COMPAT_ROUTES: "all",
  PASSWORD_MEMORY_COST: "19456",
  PASSWORD_TIME_COST: "2",
  MAX_BODY_BYTES: "65536",
  STARTUP_TIMEOUT: "60",
  SHUTDOWN_TIMEOUT: "10",
  METRICS_TOKEN: undefined,
  DATABASE_POOL_SIZE: "10",
};

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  /** HS256 signing secret; with an asymmetric algorithm it keys only derived refresh tokens. */
  jwtSecret?: string;
  /** Still verifies tokens signed before a rotation (HS256); never signs. */
  jwtSecretPrevious?: string;
  jwtAlgorithm: Env["JWT_ALGORITHM"];
  /** PEM private key for EdDSA (Ed25519) or ES256 (P-256). */
  jwtPrivateKey?: string;
  corsOrigins: string[];
  /** Who may name the client's address in X-Forwarded-For (see client-info.ts). */
  trustProxy: TrustProxy;
  logLevel: Env["LOG_LEVEL"];
  smtpUrl?: string;
  mailFrom: string;
  /** The base of every link in a mail, without a trailing slash. */
  publicUrl: string;
  /** Files overriding the embedded mail templates (see src/mail/templates.ts). */
  mailTemplatesDir?: string;
  /** The first retry of an undelivered mail waits this long; each next one twice as long, up to an hour. */
  mailRetryBaseSeconds: number;
  /** Which route sets of other systems are mounted (src/compat/). */
  compatRoutes: CompatRouteSet[];
  passwordCost: { memoryCost: number; timeCost: number };
  maxBodyBytes: number;
  /** Seconds to keep retrying an unreachable database at start. */
  startupTimeout: number;
  /** Seconds in-flight requests get to finish on SIGTERM/SIGINT. */
  shutdownTimeout: number;
  /** Connections each instance opens to PostgreSQL at most (instances × this ≤ max_connections). */
  databasePoolSize: number;
  /** Bearer token GET /metrics asks for; without one, metrics go to loopback clients only. */
  metricsToken?: string;
}

export const COMPAT_ROUTE_SETS = ["simplejwt", "v1", "dj-rest-auth"] as const;
export type CompatRouteSet = (typeof COMPAT_ROUTE_SETS)[number];

function compatRouteSets(value: string): CompatRouteSet[] {
  const names = value.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (names.includes("all")) return [...COMPAT_ROUTE_SETS];
  if (names.includes("none")) return [];
  return COMPAT_ROUTE_SETS.filter((set) => names.includes(set));
}

/** A bad environment variable: printed as one line naming it, exit 2. */
export class ConfigError extends Error {}

/** The shortest HS256 secret taken, from JWT_SECRET or DATA_DIR/jwt-secret. */
export const MIN_SECRET_BYTES = 32;

const SECRET_VARIABLES = new Set(["JWT_SECRET", "JWT_SECRET_PREVIOUS", "JWT_PRIVATE_KEY", "DATABASE_URL", "SMTP_URL", "METRICS_TOKEN"]);

const KEY_TYPES = { EdDSA: ["ed25519", undefined], ES256: ["ec", "prime256v1"] } as const;

/** The PEM private key an asymmetric JWT_ALGORITHM needs, read and checked. */
function privateKeyFor(env: Env): string | undefined {
  if (env.JWT_ALGORITHM === "HS256") return undefined;
  let pem = env.JWT_PRIVATE_KEY?.replaceAll("\\n", "\n");
  const source = pem ? "JWT_PRIVATE_KEY" : "JWT_PRIVATE_KEY_FILE";
  if (!pem && env.JWT_PRIVATE_KEY_FILE) {
    try {
      pem = readFileSync(env.JWT_PRIVATE_KEY_FILE, "utf8");
    } catch (error) {
      throw new ConfigError(`invalid JWT_PRIVATE_KEY_FILE: cannot read ${env.JWT_PRIVATE_KEY_FILE} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  if (!pem) throw new ConfigError(`JWT_ALGORITHM=${env.JWT_ALGORITHM} needs JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE`);
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError(`invalid ${source}: not a PEM private key`);
  }
  const [type, curve] = KEY_TYPES[env.JWT_ALGORITHM];
  if (key.asymmetricKeyType !== type || (curve && key.asymmetricKeyDetails?.namedCurve !== curve))
    throw new ConfigError(`invalid ${source}: JWT_ALGORITHM=${env.JWT_ALGORITHM} needs ${curve ? "a P-256 EC" : "an Ed25519"} key`);
  return pem;
}

function convert(name: keyof Env, raw: string): unknown {
  const schema = EnvSchema.properties[name] as { type?: string };
  if (schema.type === "integer") return /^\d+$/.test(raw) ? Number(raw) : raw;
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
  for (const name of ["JWT_SECRET", "JWT_SECRET_PREVIOUS"] as const) {
    const value = env[name];
    if (value !== undefined && Buffer.byteLength(value) < MIN_SECRET_BYTES) throw new ConfigError(`invalid ${name}: must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  const jwtPrivateKey = privateKeyFor(env);
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (typeof trustProxy === "string")
    throw new ConfigError(
      `invalid TRUST_PROXY ${JSON.stringify(environment.TRUST_PROXY)}: ${trustProxy} (allowed: false, true, a number of proxies, or a comma list of addresses and CIDRs)`,
    );
  if (env.DATABASE_URL && !env.JWT_SECRET)
    throw new ConfigError("JWT_SECRET is required when DATABASE_URL is set (at least 32 bytes)");
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    jwtSecret: env.JWT_SECRET,
    jwtSecretPrevious: env.JWT_SECRET_PREVIOUS,
    jwtAlgorithm: env.JWT_ALGORITHM,
    jwtPrivateKey,
    corsOrigins: env.CORS_ORIGINS.split(",").map((origin) => origin.trim()).filter(Boolean),
    trustProxy,
    logLevel: env.LOG_LEVEL,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ""),
    mailTemplatesDir: env.MAIL_TEMPLATES_DIR,
    mailRetryBaseSeconds: env.MAIL_RETRY_BASE_SECONDS,
    compatRoutes: compatRouteSets(env.COMPAT_ROUTES),
    passwordCost: { memoryCost: env.PASSWORD_MEMORY_COST, timeCost: env.PASSWORD_TIME_COST },
    maxBodyBytes: env.MAX_BODY_BYTES,
    startupTimeout: env.STARTUP_TIMEOUT,
    shutdownTimeout: env.SHUTDOWN_TIMEOUT,
    metricsToken: env.METRICS_TOKEN,
    databasePoolSize: env.DATABASE_POOL_SIZE,
  };
}
