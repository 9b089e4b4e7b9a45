import { parseArgs } from "node:util";
import { getSchemaValidator, t } from "elysia";
import packageJson from "../package.json";
import { type AppConfig, ConfigError, loadConfig } from "./config";
import { type Logger, createLogger } from "./logger";
import { EmailField, PasswordField, normalizeEmail } from "./modules/users/model";
import { UserService } from "./modules/users/service";
import { PasswordHasher } from "./passwords";
import { serve } from "./server";
import { type ControlRequest, controlSocketPath, sendControlRequest } from "./control-socket";
import { StartupError, connectDatabase, dataDirHolder, runMigrations } from "./startup";

export const VERSION = packageJson.version;

const HELP = `authd ${VERSION}: a self-hosted authentication server

Usage:
  authd [serve]                                  migrate, then serve HTTP (default)
  authd migrate                                  apply pending migrations and exit
  authd createsuperuser --email E [--password P] create a superuser, or promote an existing user;
                                                 without --password: prompt on a terminal,
                                                 else read one line from standard input
  authd --help | --version

Environment: PORT (3000), HOST (0.0.0.0), DATABASE_URL (unset: embedded PostgreSQL in DATA_DIR),
DATA_DIR (./authd-data), JWT_SECRET (>= 32 bytes; required with DATABASE_URL), JWT_SECRET_PREVIOUS,
JWT_ALGORITHM (HS256 | EdDSA | ES256), JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, CORS_ORIGINS,
TRUST_PROXY (false | true | number of proxies | addresses and CIDRs), LOG_LEVEL (info), SMTP_URL (unset: mails are logged), MAIL_FROM, PUBLIC_URL (base of mailed
links; http://localhost:PORT), MAIL_TEMPLATES_DIR, MAIL_RETRY_BASE_SECONDS (5), COMPAT_ROUTES (all | none |
simplejwt,v1,dj-rest-auth), PASSWORD_MEMORY_COST, PASSWORD_TIME_COST,
MAX_BODY_BYTES, STARTUP_TIMEOUT (60), SHUTDOWN_TIMEOUT (10). Docs: http://localhost:3000/api-doc
`;

/** `authd <command> --help`. */
const COMMAND_HELP: Record<string, string> = {
  serve: `Usage: authd serve

Applies pending migrations, then serves HTTP on HOST:PORT until SIGTERM or SIGINT, after which
in-flight requests get SHUTDOWN_TIMEOUT seconds to finish. The environment is described in
authd --help. In embedded mode it also answers authd createsuperuser on DATA_DIR/authd.sock.
`,
  migrate: `Usage: authd migrate

Applies pending migrations (the ones embedded in this binary) and exits. Safe to run while other
instances start: migrations are applied once, under a database lock.
`,
  createsuperuser: `Usage: authd createsuperuser --email E [--password P]

Creates a superuser with that email, or makes the existing account with that email a superuser
(active, its address marked verified). With --password the password is set too; without it, an
existing account keeps its password, and a new one asks for it: a prompt on a terminal, else the
first line of standard input. Works while authd serves: in embedded mode the running process
does the work, through DATA_DIR/authd.sock.
`,
};

/** Wrong usage: printed as one line, exit 2. */
export class UsageError extends Error {}

const credentialsValidator = getSchemaValidator(t.Object({ email: EmailField, password: t.Optional(PasswordField) }), {
  modules: t.Module({}),
});

function checkCredentials(email: string, password: string | undefined) {
  const issue = credentialsValidator.Errors({ email, password }).First();
  if (!issue) return;
  const field = issue.path.slice(1);
  throw new UsageError(
    field === "email" ? `invalid email "${email}"` : "invalid password: it must be 8 to 128 characters",
  );
}

/** Reads a password without echo on a terminal, or the first line of piped standard input. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    for await (const line of console) return line.replace(/\r$/, "");
    throw new UsageError("no password given: pass --password or send it on standard input");
  }
  const first = await promptHidden("Password: ");
  const again = await promptHidden("Password (again): ");
  if (first !== again) throw new UsageError("the passwords do not match");
  return first;
}

function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (result: () => void) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      result();
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") return finish(() => resolve(value));
        if (char === "\u0003" || char === "\u0004") return finish(() => reject(new UsageError("cancelled")));
        value = char === "\u007f" || char === "\b" ? value.slice(0, -1) : value + char;
      }
    };
    stdin.on("data", onData);
  });
}

async function withDatabase<T>(config: AppConfig, log: Logger, work: (db: Awaited<ReturnType<typeof connectDatabase>>) => Promise<T>) {
  const database = await connectDatabase(config, log);
  try {
    await runMigrations(database.db, log);
    return await work(database);
  } finally {
    await database.close();
  }
}

/** What createsuperuser needs done, in this process or by the authd that holds DATA_DIR. */
interface SuperuserStore {
  promote(email: string): Promise<boolean>;
  upsert(email: string, password: string): Promise<{ created: boolean }>;
}

/** A running embedded authd's control socket as a SuperuserStore (see control-socket.ts). */
function runningServerStore(dataDir: string, holder: number): SuperuserStore {
  const send = async (request: ControlRequest) => {
    const reply = await sendControlRequest(dataDir, request);
    if (!reply) throw new StartupError(`DATA_DIR ${dataDir} is in use by authd (pid ${holder}), which does not answer on ${controlSocketPath(dataDir)}`);
    if (!reply.ok) throw new StartupError(`the running authd refused: ${reply.message}`);
    return reply;
  };
  return {
    promote: async (email) => Boolean((await send({ command: "promote", email })).found),
    upsert: async (email, password) => ({ created: Boolean((await send({ command: "upsert", email, password })).created) }),
  };
}

async function createSuperuser(args: string[], config: AppConfig, log: Logger) {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, password: { type: "string" } },
    strict: true,
  });
  if (!values.email) throw new UsageError("createsuperuser needs --email");
  const email = normalizeEmail(values.email);
  checkCredentials(email, values.password);
  const work = async (store: SuperuserStore) => {
    let password = values.password;
    if (password === undefined) {
      if (await store.promote(email)) return console.log(`Promoted ${email} to superuser.`);
      password = await readPassword();
      checkCredentials(email, password);
    }
    const { created } = await store.upsert(email, password);
    console.log(created ? `Created superuser ${email}.` : `Promoted ${email} to superuser and set its password.`);
  };
  // Embedded mode with authd running: PGlite is open there, so that process does the work.
  const holder = config.databaseUrl ? undefined : dataDirHolder(config.dataDir);
  if (holder) return work(runningServerStore(config.dataDir, holder));
  await withDatabase(config, log, async ({ db }) => {
    const users = new UserService(db, new PasswordHasher(config.passwordCost));
    await work({ promote: async (email) => (await users.promoteToSuperuser(email)) !== undefined, upsert: (email, password) => users.upsertSuperuser(email, password) });
  });
}

/** Runs one command; resolves with the exit code, or never for `serve`, which runs until a signal. */
export async function runCli(argv: string[], environment = process.env): Promise<number | undefined> {
  // Nothing authd writes (the data directory, its lock, socket and secret) is for other users.
  process.umask(0o077);
  const [command = "serve", ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    const help = COMMAND_HELP[command];
    if (!help) return fail(`unknown command "${command}" (see authd --help)`, 2);
    process.stdout.write(help);
    return 0;
  }
  if (command === "--version" || command === "-v") {
    console.log(`authd ${VERSION}`);
    return 0;
  }
  try {
    const config = loadConfig(environment);
    const log = createLogger(config.logLevel);
    switch (command) {
      case "serve":
        if (rest.length) throw new UsageError(`serve takes no arguments (got "${rest[0]}")`);
        await serve(config, log);
        return undefined;
      case "migrate": {
        if (rest.length) throw new UsageError(`migrate takes no arguments (got "${rest[0]}")`);
        const database = await connectDatabase(config, log);
        const applied = await runMigrations(database.db, log).finally(() => database.close());
        console.log(applied ? `Applied ${applied} migration(s).` : "No pending migrations.");
        return 0;
      }
      case "createsuperuser":
        await createSuperuser(rest, config, log);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}" (see authd --help)`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) return fail(error.message, 2);
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) return fail((error as Error).message, 2);
    if (error instanceof StartupError) return fail(error.message, 1);
    return fail(`unexpected error: ${(error as Error)?.message ?? error}`, 1);
  }
}

function fail(message: string, code: number): number {
  console.error(`authd: ${message.split("\n")[0]}`);
  return code;
}
