import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "./app";
import { type AppConfig, ConfigError, loadConfig } from "./config";
import { migrate, openDatabase } from "./db/client";
import { createLogger } from "./logger";

/** Embedded mode without JWT_SECRET: generate one on first start and keep it in DATA_DIR. */
function embeddedSecret(dataDir: string): string {
  const path = join(dataDir, "jwt-secret");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return secret;
}

async function serve(config: AppConfig) {
  const log = createLogger(config.logLevel);
  const database = await openDatabase(
    config.databaseUrl ? { kind: "postgres", url: config.databaseUrl } : { kind: "pglite", dataDir: config.dataDir },
  );
  const applied = await migrate(database.db);
  if (applied) log.info("migrations applied", { count: applied });
  const jwtSecret = config.jwtSecret ?? embeddedSecret(config.dataDir);
  const app = createApp({ config: { ...config, jwtSecret }, database, log }).listen({
    port: config.port,
    hostname: config.host,
    reusePort: false,
    // Bun's own hard stop; the app answers 413 in the error shape above config.maxBodyBytes.
    maxRequestBodySize: 1024 * 1024,
  });
  log.info("listening", { url: `http://${config.host}:${config.port}`, database: database.kind });
  const stop = async () => {
    await app.stop();
    await database.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

try {
  await serve(loadConfig());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`authd: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
