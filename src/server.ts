import { appFor, createContext } from "./app";
import type { AppConfig } from "./config";
import type { Logger } from "./logger";
import { serveControlSocket } from "./control-socket";
import { scheduleMaintenance } from "./maintenance";
import { passwordWorkDone } from "./passwords";
import { StartupError, connectDatabase, createEmbeddedDatabase, embeddedSecret, runMigrations } from "./startup";

/**
 * Bun's own limit answers 413 with an empty body, so it is set out of reach: the app refuses a
 * declared Content-Length above MAX_BODY_BYTES before reading, and stops reading a chunked body
 * there (src/http-policy.ts), in the JSON error shape either way.
 */
const BUN_MAX_BODY_BYTES = 2 ** 31 - 1;

/** `authd serve`: migrate, listen, and on SIGTERM/SIGINT finish in-flight requests and exit 0. */
export async function serve(config: AppConfig, log: Logger): Promise<void> {
  const jwtSecret = config.jwtSecret ?? embeddedSecret(config.dataDir);
  if (!config.databaseUrl) await createEmbeddedDatabase(config, log);
  const database = await connectDatabase(config, log);
  const applied = await runMigrations(database.db, log);
  if (applied) log.info("migrations applied", { count: applied });
  const context = createContext({ config: { ...config, jwtSecret }, database, log });
  const app = appFor(context);
  try {
    app.listen({
      port: config.port,
      hostname: config.host,
      reusePort: false, // a second authd on the same port must fail, not share it silently
      maxRequestBodySize: BUN_MAX_BODY_BYTES,
    });
  } catch (error) {
    await context.outbox.stop();
    await database.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new StartupError(
      code === "EADDRINUSE"
        ? `port ${config.port} on ${config.host} is already in use`
        : `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
  }
  const server = app.server!;
  const stopMaintenance = scheduleMaintenance(database.db, log);
  // Embedded mode: `authd createsuperuser` hands its work to this process (see control-socket.ts).
  const stopControlSocket = config.databaseUrl ? () => {} : serveControlSocket(config.dataDir, context.users, log);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, in_flight: server.pendingRequests });
    stopMaintenance();
    stopIdleCompaction();
    stopCollecting();
    stopControlSocket();
    // Bun stops counting a request whose client hung up, but its handler runs on, mostly
    // waiting for a password hash: wait for those too, then let them reach the database.
    // (A per-request hook to track handlers would cost GET /api/me/ a tenth of its speed.)
    const drained = server
      .stop(false)
      .then(passwordWorkDone)
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => true);
    const inTime = await Promise.race([drained, Bun.sleep(config.shutdownTimeout * 1000).then(() => false)]);
    if (!inTime) {
      log.warn("in-flight requests cut off after SHUTDOWN_TIMEOUT", { pending: server.pendingRequests });
      await server.stop(true);
    }
    await new Promise((resolve) => setImmediate(resolve)); // let after-response hooks (request log) run
    await context.outbox.stop(); // a mail being sent is finished; queued ones wait in the table
    await database.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  log.info("listening", { url: `http://${config.host}:${server.port}`, database: database.kind });
  // Starting leaves garbage no allocation will soon collect (the migration run, the set-up of
  // PGlite), and PGlite zeroed memory that no query may ever use.
  const compactMemory = () => {
    Bun.gc(true);
    database.releaseIdleMemory();
    (Bun as unknown as { shrink?: () => void }).shrink?.();
  };
  compactMemory();
  const answered = () => context.metrics.answered;
  const stopIdleCompaction = compactWhenIdle(answered, compactMemory);
  const stopCollecting = database.kind === "pglite" ? collectWhileBusy(answered) : () => {};
}

/** Requests between two garbage collections of a busy embedded authd. */
const COLLECT_EVERY_REQUESTS = 500;

/**
 * Embedded mode, while requests come in: a garbage collection every COLLECT_EVERY_REQUESTS
 * requests. JavaScriptCore lets garbage grow in proportion to the heap before it collects, and
 * counts PGlite's 128 MiB WebAssembly memory into the heap (twice): PGlite leaves ~25 KB of
 * garbage per query, and ~500 MB of it piled up before the first collection (RSS ~700 MiB
 * under a loop of queries; ~170 MiB when collected every 500).
 */
function collectWhileBusy(answered: () => number): () => void {
  let collectedAt = answered();
  const timer = setInterval(() => {
    const now = answered();
    if (now - collectedAt < COLLECT_EVERY_REQUESTS) return;
    collectedAt = now;
    Bun.gc(false);
  }, 100);
  timer.unref();
  return () => clearInterval(timer);
}

const IDLE_CHECK_MS = 5_000;
/** Fewer requests than this in a check's 5 s is quiet (a load balancer's health checks are). */
const QUIET_REQUESTS = 20;

/**
 * Once the server has been quiet for two checks in a row (5-10 s), compacts its memory, twice per
 * quiet spell: a burst of traffic leaves garbage that nothing would collect before the next
 * burst, and on a small VPS that is memory other programs could use.
 */
function compactWhenIdle(answered: () => number, compactMemory: () => void): () => void {
  let seen = answered();
  let quietChecks = 0;
  const timer = setInterval(() => {
    const now = answered();
    quietChecks = now - seen < QUIET_REQUESTS ? quietChecks + 1 : 0;
    seen = now;
    // Once quiet, and again once idle password threads (ended after 15 s) are gone; after
    // that, only a busy check re-arms it.
    if (quietChecks === 2 || quietChecks === 5) compactMemory();
  }, IDLE_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
